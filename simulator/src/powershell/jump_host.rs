//! The jump-host bootstrap on `/wsman`: a script that opens a session to Exchange's local
//! endpoint with `New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri
//! http://<fqdn>/PowerShell/ -Credential <PSCredential>` and imports it with `Import-PSSession`.
//!
//! [`run_script`] evaluates the script ([`super::script`] parses it) with the parameters of the
//! PSRP command bound to its `param()` block, as PowerShell binds a script command's
//! parameters ([MS-PSRP] 2.2.3.12). The credential's password arrives as a SecureString and is
//! decrypted with the pool's session key, then checked against the organisation's accounts.
//! Success yields an [`Imported`] session: from then on the shell serves the Exchange cmdlets
//! as that account, with its RBAC, and relays their objects the way implicit remoting does.
//!
//! Errors follow PowerShell: a refused logon is a non-terminating `New-PSSession` error
//! (`AccessDenied,PSSessionOpenFailed`) unless `-ErrorAction Stop` or
//! `$ErrorActionPreference = 'Stop'` makes it end the script; a binding error ends its
//! statement; the script goes on with `$null` where the session would be.
//!
//! Simplifications: without `-Credential` the logon is refused, as the Kerberos second hop is
//! without delegation; `-CommandName` and `-Module` of Import-PSSession are ignored (every
//! cmdlet the account's roles grant is imported); commands other than the bootstrap's are not
//! evaluated in scripts.

use std::collections::HashMap;
use std::sync::Arc;

use monosync_exchange::clixml::{EncryptedSecureString, Property, PsObject, PsValue};
use monosync_exchange::psrp::Parameter;
use uuid::Uuid;
use zeroize::Zeroizing;

pub(crate) use super::imported::Imported;
use super::jump_records::{self as rec, Cmdlet};
use super::script::{self, CommandCall, Element, Expr, Pipeline, Statement};
use crate::exchange::{CmdletResult, Exchange, SimErrorRecord, cmdlets, errors};

/// What the script needs from the shell.
pub(crate) struct Context<'a> {
    /// The machine name (the ConnectionUri host must name it).
    pub(crate) machine: &'a str,
    /// The organisation whose accounts the credential is checked against.
    pub(crate) exchange: &'a Exchange,
    /// Decrypts a SecureString with the pool's session key.
    pub(crate) decrypt: &'a dyn Fn(&EncryptedSecureString) -> Option<Zeroizing<String>>,
}

/// What a script run produced.
#[derive(Debug, Default)]
pub(crate) struct ScriptOutcome {
    /// Output, errors and whether the script ended with a terminating error (the last error).
    pub(crate) result: CmdletResult,
    /// The session Import-PSSession imported, if it did.
    pub(crate) imported: Option<Imported>,
}

/// A PSSession the script opened.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OpenSession {
    id: i32,
    computer: String,
    configuration: String,
    user: String,
    instance: Uuid,
}

#[derive(Debug, Clone, PartialEq)]
enum Val {
    Null,
    Ps(PsValue),
    Session(OpenSession),
    Module(Imported),
}

impl Val {
    fn text(&self) -> Option<String> {
        match self {
            Val::Ps(v) => v.as_str().map(str::to_owned),
            _ => None,
        }
    }

    fn display(&self) -> String {
        match self {
            Val::Null => String::new(),
            Val::Ps(v) => v.as_str().map_or_else(|| format!("{v:?}"), str::to_owned),
            Val::Session(s) => format!("[PSSession]Session{}", s.id),
            Val::Module(m) => module_name(m),
        }
    }

    fn into_output(self) -> Option<PsValue> {
        match self {
            Val::Null => None,
            Val::Ps(v) => Some(v),
            Val::Session(s) => Some(session_object(&s)),
            Val::Module(m) => Some(module_object(&m)),
        }
    }
}

fn module_name(m: &Imported) -> String {
    format!("tmp_{}", m.runspace_id.simple())
}

fn object(type_name: &str, to_string: String, props: Vec<Property>) -> PsValue {
    PsValue::object(PsObject {
        type_names: Some(Arc::from(vec![
            type_name.to_owned(),
            "System.Object".to_owned(),
        ])),
        to_string: Some(to_string),
        adapted: props,
        ..PsObject::default()
    })
}

fn session_object(s: &OpenSession) -> PsValue {
    object(
        "System.Management.Automation.Runspaces.PSSession",
        format!("[PSSession]Session{}", s.id),
        vec![
            Property::new("Id", s.id),
            Property::new("Name", format!("Session{}", s.id).as_str()),
            Property::new("ComputerName", s.computer.as_str()),
            Property::new("ComputerType", "RemoteMachine"),
            Property::new("State", "Opened"),
            Property::new("ConfigurationName", s.configuration.as_str()),
            Property::new("Availability", "Available"),
            Property {
                name: "InstanceId".into(),
                value: PsValue::Guid(s.instance),
            },
        ],
    )
}

fn module_object(m: &Imported) -> PsValue {
    object(
        "System.Management.Automation.PSModuleInfo",
        module_name(m),
        vec![
            Property::new("Name", module_name(m).as_str()),
            Property::new("ModuleType", "Script"),
            Property::new("Version", "1.0"),
            Property::new(
                "Description",
                format!("Implicit remoting for http://{}/PowerShell/", m.computer).as_str(),
            ),
        ],
    )
}

/// How a parameter takes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Switch,
    Value,
}

struct Spec {
    cmdlet: Cmdlet,
    params: &'static [(&'static str, Kind)],
    positional: &'static [&'static str],
}

/// PowerShell's common parameters, which every cmdlet takes.
const COMMON: &[(&str, Kind)] = &[
    ("Verbose", Kind::Switch),
    ("Debug", Kind::Switch),
    ("ErrorAction", Kind::Value),
    ("WarningAction", Kind::Value),
    ("InformationAction", Kind::Value),
    ("ErrorVariable", Kind::Value),
    ("WarningVariable", Kind::Value),
    ("InformationVariable", Kind::Value),
    ("OutVariable", Kind::Value),
    ("OutBuffer", Kind::Value),
    ("PipelineVariable", Kind::Value),
];

const NEW_PSSESSION: Spec = Spec {
    cmdlet: Cmdlet {
        name: "New-PSSession",
        class: "Microsoft.PowerShell.Commands.NewPSSessionCommand",
    },
    params: &[
        ("ConnectionUri", Kind::Value),
        ("ComputerName", Kind::Value),
        ("ConfigurationName", Kind::Value),
        ("Credential", Kind::Value),
        ("Authentication", Kind::Value),
        ("Name", Kind::Value),
        ("SessionOption", Kind::Value),
        ("AllowRedirection", Kind::Switch),
        ("EnableNetworkAccess", Kind::Switch),
        ("CertificateThumbprint", Kind::Value),
        ("ThrottleLimit", Kind::Value),
    ],
    positional: &["ConnectionUri", "Credential"],
};

const IMPORT_PSSESSION: Spec = Spec {
    cmdlet: Cmdlet {
        name: "Import-PSSession",
        class: "Microsoft.PowerShell.Commands.ImportPSSessionCommand",
    },
    params: &[
        ("Session", Kind::Value),
        ("CommandName", Kind::Value),
        ("FormatTypeName", Kind::Value),
        ("Prefix", Kind::Value),
        ("DisableNameChecking", Kind::Switch),
        ("AllowClobber", Kind::Switch),
        ("ArgumentList", Kind::Value),
        ("CommandType", Kind::Value),
        ("Module", Kind::Value),
        ("FullyQualifiedModule", Kind::Value),
        ("Certificate", Kind::Value),
    ],
    positional: &["Session", "CommandName", "FormatTypeName"],
};

const IMPORT_MODULE: Spec = Spec {
    cmdlet: Cmdlet {
        name: "Import-Module",
        class: "Microsoft.PowerShell.Commands.ImportModuleCommand",
    },
    params: &[
        ("Name", Kind::Value),
        ("ModuleInfo", Kind::Value),
        ("Global", Kind::Switch),
        ("DisableNameChecking", Kind::Switch),
        ("Force", Kind::Switch),
        ("PassThru", Kind::Switch),
        ("Prefix", Kind::Value),
        ("Scope", Kind::Value),
        ("NoClobber", Kind::Switch),
    ],
    positional: &["ModuleInfo"],
};

const OUT_NULL: Spec = Spec {
    cmdlet: Cmdlet {
        name: "Out-Null",
        class: "Microsoft.PowerShell.Commands.OutNullCommand",
    },
    params: &[("InputObject", Kind::Value)],
    positional: &[],
};

/// `System.Management.Automation.Runspaces.AuthenticationMechanism`.
const AUTHENTICATION: &[&str] = &[
    "Default",
    "Basic",
    "Negotiate",
    "NegotiateWithImplicitCredential",
    "Credssp",
    "Digest",
    "Kerberos",
];

/// Why evaluation stops.
enum Stop {
    /// A terminating error: the script ends Failed with it.
    Script(SimErrorRecord),
    /// A statement-terminating error: written, then the next statement runs (unless the
    /// preference is Stop).
    Statement(SimErrorRecord),
}

struct Eval<'c, 'a> {
    ctx: &'c Context<'a>,
    vars: HashMap<String, Val>,
    errors: Vec<SimErrorRecord>,
    output: Vec<PsValue>,
    imported: Option<Imported>,
    sessions: i32,
}

struct Bound(Vec<(&'static str, Val)>);

impl Bound {
    fn get(&self, name: &str) -> Option<&Val> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    fn text(&self, name: &str) -> Option<String> {
        self.get(name).and_then(Val::text)
    }

    fn stop(&self) -> bool {
        self.text("ErrorAction")
            .is_some_and(|a| a.eq_ignore_ascii_case("Stop"))
    }
}

/// Runs `text` with `params` bound to its `param()` block.
pub(crate) fn run_script(text: &str, params: &[Parameter], ctx: &Context<'_>) -> ScriptOutcome {
    let parsed = match script::parse(text) {
        Ok(s) => s,
        Err(e) => return failed(rec::not_supported(&e.to_string())),
    };
    let mut eval = Eval {
        ctx,
        vars: HashMap::new(),
        errors: Vec::new(),
        output: Vec::new(),
        imported: None,
        sessions: 0,
    };
    if let Err(record) = eval.bind_script(&parsed.params, params) {
        return failed(record);
    }
    let mut terminating = false;
    for statement in &parsed.statements {
        match eval.statement(statement) {
            Ok(()) => {}
            Err(Stop::Statement(record)) if !eval.preference_stop() => eval.errors.push(record),
            Err(Stop::Statement(record) | Stop::Script(record)) => {
                eval.errors.push(record);
                terminating = true;
                break;
            }
        }
    }
    ScriptOutcome {
        result: CmdletResult {
            output: eval.output,
            errors: eval.errors,
            failed: terminating,
            ..CmdletResult::default()
        },
        imported: eval.imported,
    }
}

fn failed(record: SimErrorRecord) -> ScriptOutcome {
    ScriptOutcome {
        result: CmdletResult {
            errors: vec![record],
            failed: true,
            ..CmdletResult::default()
        },
        imported: None,
    }
}

fn literal(expr: &Expr) -> Val {
    match expr {
        Expr::Str(s) | Expr::Bare(s) => Val::Ps(PsValue::String(s.clone())),
        Expr::Bool(b) => Val::Ps(PsValue::Bool(*b)),
        _ => Val::Null,
    }
}

impl Eval<'_, '_> {
    fn preference_stop(&self) -> bool {
        self.vars
            .get("erroractionpreference")
            .and_then(Val::text)
            .is_some_and(|p| p.eq_ignore_ascii_case("Stop"))
    }

    fn bind_script(
        &mut self,
        decls: &[script::ParamDecl],
        params: &[Parameter],
    ) -> Result<(), SimErrorRecord> {
        let mut positional = params.iter().filter(|p| p.name.is_none());
        for decl in decls {
            let given = params.iter().find(|p| {
                p.name
                    .as_deref()
                    .is_some_and(|n| n.trim_start_matches('-').eq_ignore_ascii_case(&decl.name))
            });
            let value = match given.or_else(|| positional.next()) {
                Some(p) => Val::Ps(p.value.clone()),
                None => decl.default.as_ref().map_or(Val::Null, literal),
            };
            self.vars.insert(decl.name.to_ascii_lowercase(), value);
        }
        for p in params {
            if let Some(name) = p.name.as_deref() {
                let name = name.trim_start_matches('-');
                if !decls.iter().any(|d| d.name.eq_ignore_ascii_case(name)) {
                    return Err(rec::parameter_not_found(None, name));
                }
            }
        }
        if let Some(extra) = positional.next() {
            let shown = extra.value.as_str().unwrap_or("").to_owned();
            return Err(rec::not_supported(&format!(
                "a positional argument '{shown}' the param block has no place for"
            )));
        }
        Ok(())
    }

    fn statement(&mut self, statement: &Statement) -> Result<(), Stop> {
        match statement {
            Statement::Assign(name, expr) => {
                let value = self.expr(expr)?;
                self.vars.insert(name.to_ascii_lowercase(), value);
            }
            Statement::Pipeline(p) => {
                let out = self.pipeline(p)?;
                self.output
                    .extend(out.into_iter().filter_map(Val::into_output));
            }
        }
        Ok(())
    }

    fn expr(&mut self, expr: &Expr) -> Result<Val, Stop> {
        Ok(match expr {
            Expr::Variable(v) => self
                .vars
                .get(&v.to_ascii_lowercase())
                .cloned()
                .unwrap_or(Val::Null),
            Expr::Sub(p) => {
                let mut out = self.pipeline(p)?;
                match out.len() {
                    0 => Val::Null,
                    1 => out.pop().unwrap_or(Val::Null),
                    _ => Val::Ps(monosync_exchange::clixml::array(
                        out.into_iter().filter_map(Val::into_output),
                    )),
                }
            }
            other => literal(other),
        })
    }

    fn pipeline(&mut self, pipeline: &Pipeline) -> Result<Vec<Val>, Stop> {
        let mut flowing: Option<Vec<Val>> = None;
        for call in &pipeline.0 {
            flowing = Some(self.command(call, flowing.take())?);
        }
        Ok(flowing.unwrap_or_default())
    }

    fn command(&mut self, call: &CommandCall, input: Option<Vec<Val>>) -> Result<Vec<Val>, Stop> {
        let name = call.name.as_str();
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        let spec = if is("New-PSSession") || is("nsn") {
            &NEW_PSSESSION
        } else if is("Import-PSSession") || is("ipsn") {
            &IMPORT_PSSESSION
        } else if is("Import-Module") || is("ipmo") {
            &IMPORT_MODULE
        } else if is("Out-Null") {
            &OUT_NULL
        } else {
            let exchange_name = self
                .imported
                .as_ref()
                .map_or(Some(name.to_owned()), |i| i.resolve(name));
            let is_exchange = exchange_name.is_some_and(|n| cmdlets::find(&n).is_some());
            return Err(Stop::Statement(if is_exchange && self.imported.is_some() {
                rec::not_supported(&format!("{name} inside a script"))
            } else if is_exchange {
                errors::command_not_found(name)
            } else {
                rec::not_supported(name)
            }));
        };
        let bound = self.bind(spec, &call.elements)?;
        let input = input.unwrap_or_default();
        if spec.cmdlet == OUT_NULL.cmdlet {
            return Ok(Vec::new());
        }
        if !input.is_empty() {
            return Err(Stop::Statement(rec::input_not_bound(spec.cmdlet)));
        }
        let stop = bound.stop() || self.preference_stop();
        let result = if spec.cmdlet == NEW_PSSESSION.cmdlet {
            self.new_pssession(&bound)
        } else if spec.cmdlet == IMPORT_PSSESSION.cmdlet {
            self.import_pssession(&bound)
        } else {
            self.import_module(&bound)
        };
        match result {
            Ok(out) => Ok(out),
            // A cmdlet's own (non-terminating) error: written, or terminating under Stop.
            Err(Stop::Statement(record)) if !record.terminating => {
                if stop {
                    Err(Stop::Script(record))
                } else {
                    self.errors.push(record);
                    Ok(Vec::new())
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Pairs elements with parameters as PowerShell's binder does: by exact name, then by
    /// unambiguous prefix; values left over fill the positional parameters in order.
    fn bind(&mut self, spec: &Spec, elements: &[Element]) -> Result<Bound, Stop> {
        let c = spec.cmdlet;
        let all = || spec.params.iter().chain(COMMON.iter());
        let mut bound: Vec<(&'static str, Val)> = Vec::new();
        let mut loose: Vec<Val> = Vec::new();
        let mut i = 0;
        while let Some(element) = elements.get(i) {
            i += 1;
            match element {
                Element::Value(e) => loose.push(self.expr(e)?),
                Element::Parameter(written, attached) => {
                    let exact = all().find(|(n, _)| n.eq_ignore_ascii_case(written));
                    let found = match exact {
                        Some(p) => *p,
                        None => {
                            let lower = written.to_ascii_lowercase();
                            let matches: Vec<&(&str, Kind)> = all()
                                .filter(|(n, _)| n.to_ascii_lowercase().starts_with(&lower))
                                .collect();
                            match matches.as_slice() {
                                [one] => **one,
                                [] => {
                                    return Err(Stop::Statement(rec::parameter_not_found(
                                        Some(c),
                                        written,
                                    )));
                                }
                                many => {
                                    let names: Vec<&str> = many.iter().map(|(n, _)| *n).collect();
                                    return Err(Stop::Statement(rec::parameter_ambiguous(
                                        c, written, &names,
                                    )));
                                }
                            }
                        }
                    };
                    let (name, kind) = found;
                    if bound.iter().any(|(n, _)| *n == name) {
                        return Err(Stop::Statement(rec::parameter_repeated(c, name)));
                    }
                    let value = match (attached, kind) {
                        (Some(e), _) => self.expr(e)?,
                        (None, Kind::Switch) => Val::Ps(PsValue::Bool(true)),
                        (None, Kind::Value) => match elements.get(i) {
                            Some(Element::Value(e)) => {
                                i += 1;
                                self.expr(e)?
                            }
                            _ => return Err(Stop::Statement(rec::missing_argument(c, name))),
                        },
                    };
                    bound.push((name, value));
                }
            }
        }
        let mut free = spec
            .positional
            .iter()
            .filter(|p| !bound.iter().any(|(n, _)| n == *p))
            .copied()
            .collect::<Vec<_>>()
            .into_iter();
        for value in loose {
            match free.next() {
                Some(name) => bound.push((name, value)),
                None => {
                    return Err(Stop::Statement(rec::positional_not_found(
                        c,
                        &value.display(),
                    )));
                }
            }
        }
        Ok(Bound(bound))
    }

    fn new_pssession(&mut self, bound: &Bound) -> Result<Vec<Val>, Stop> {
        let c = NEW_PSSESSION.cmdlet;
        let Some(uri) = bound.text("ConnectionUri") else {
            return Err(Stop::Statement(if bound.get("ComputerName").is_some() {
                rec::not_supported("New-PSSession -ComputerName (use -ConnectionUri)")
            } else {
                rec::missing_mandatory(c, "ConnectionUri")
            }));
        };
        let authentication = match bound.get("Authentication") {
            None | Some(Val::Null) => "Default".to_owned(),
            Some(v) => {
                let text = v.display();
                match AUTHENTICATION
                    .iter()
                    .find(|a| a.eq_ignore_ascii_case(&text))
                {
                    Some(a) => (*a).to_owned(),
                    None => {
                        return Err(Stop::Statement(rec::cannot_convert(
                            c,
                            "Authentication",
                            &text,
                            "System.Management.Automation.Runspaces.AuthenticationMechanism",
                        )));
                    }
                }
            }
        };
        let credential = match bound.get("Credential") {
            None | Some(Val::Null) => None,
            Some(Val::Ps(v)) => match credential_of(v, self.ctx.decrypt) {
                Some(pair) => Some(pair),
                None => return Err(Stop::Statement(rec::credential_transformation(c))),
            },
            Some(_) => return Err(Stop::Statement(rec::credential_transformation(c))),
        };
        let configuration = bound
            .text("ConfigurationName")
            .unwrap_or_else(|| "Microsoft.PowerShell".to_owned());
        let Some((scheme, host, path)) = split_uri(&uri) else {
            return Err(Stop::Statement(rec::cannot_convert(
                c,
                "ConnectionUri",
                &uri,
                "System.Uri",
            )));
        };
        let open_error = |record: SimErrorRecord| Err(Stop::Statement(record));
        if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
            return Err(Stop::Statement(rec::cannot_convert(
                c,
                "ConnectionUri",
                &uri,
                "System.Uri",
            )));
        }
        if !names_machine(&host, self.ctx.machine) {
            return open_error(rec::host_not_found(&host));
        }
        if !path
            .trim_end_matches('/')
            .eq_ignore_ascii_case("/PowerShell")
        {
            return open_error(rec::url_not_available(&host));
        }
        if !configuration.eq_ignore_ascii_case("Microsoft.Exchange") {
            return open_error(rec::configuration_not_found(&host, &configuration));
        }
        // Exchange's /PowerShell virtual directory has Windows authentication only.
        let windows = ["Default", "Negotiate", "Kerberos"].contains(&authentication.as_str());
        let account = match credential {
            Some((user, password)) if windows => self
                .ctx
                .exchange
                .authenticate(&user, &password)
                .map(|a| a.user.clone()),
            _ => None,
        };
        let Some(user) = account else {
            return open_error(rec::access_denied(&host));
        };
        self.sessions += 1;
        Ok(vec![Val::Session(OpenSession {
            id: self.sessions,
            computer: host,
            configuration: "Microsoft.Exchange".into(),
            user,
            instance: Uuid::new_v4(),
        })])
    }

    fn import_pssession(&mut self, bound: &Bound) -> Result<Vec<Val>, Stop> {
        let c = IMPORT_PSSESSION.cmdlet;
        let session = match bound.get("Session") {
            None => return Err(Stop::Statement(rec::missing_mandatory(c, "Session"))),
            Some(Val::Null) => return Err(Stop::Statement(rec::argument_null(c, "Session"))),
            Some(Val::Session(s)) => s.clone(),
            Some(other) => {
                return Err(Stop::Statement(rec::cannot_convert(
                    c,
                    "Session",
                    &other.display(),
                    "System.Management.Automation.Runspaces.PSSession",
                )));
            }
        };
        let imported = Imported {
            user: session.user,
            computer: session.computer,
            prefix: bound.text("Prefix").filter(|p| !p.is_empty()),
            runspace_id: session.instance,
        };
        self.imported = Some(imported.clone());
        Ok(vec![Val::Module(imported)])
    }

    fn import_module(&mut self, bound: &Bound) -> Result<Vec<Val>, Stop> {
        let module = match bound.get("ModuleInfo") {
            Some(Val::Module(m)) => m.clone(),
            Some(other) => {
                return Err(Stop::Statement(rec::not_supported(&format!(
                    "Import-Module of '{}'",
                    other.display()
                ))));
            }
            None => {
                return Err(Stop::Statement(rec::not_supported(
                    "Import-Module without the module Import-PSSession returned",
                )));
            }
        };
        // The module is already imported; `-Global` only widens where its commands are seen.
        let passthru = matches!(bound.get("PassThru"), Some(Val::Ps(PsValue::Bool(true))));
        Ok(if passthru {
            vec![Val::Module(module)]
        } else {
            Vec::new()
        })
    }
}

/// `UserName` and the decrypted `Password` of a PSCredential.
fn credential_of(
    value: &PsValue,
    decrypt: &dyn Fn(&EncryptedSecureString) -> Option<Zeroizing<String>>,
) -> Option<(String, Zeroizing<String>)> {
    let obj = value.as_object()?;
    let is_credential = obj.type_names.as_deref().is_some_and(|names| {
        names.iter().any(|n| {
            n.trim_start_matches("Deserialized.")
                .eq_ignore_ascii_case("System.Management.Automation.PSCredential")
        })
    });
    if !is_credential {
        return None;
    }
    let user = value.property("UserName")?.as_str()?.to_owned();
    match value.property("Password")? {
        PsValue::SecureString(enc) => Some((user, decrypt(enc)?)),
        _ => None,
    }
}

/// Scheme, host and path of an absolute URI (`http://ex01.contoso.com/PowerShell/`).
fn split_uri(uri: &str) -> Option<(String, String, String)> {
    let (scheme, rest) = uri.trim().split_once("://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (rest.get(..i)?, rest.get(i..)?),
        None => (rest, "/"),
    };
    let host = authority.rsplit('@').next()?;
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    if host.is_empty() || scheme.is_empty() {
        return None;
    }
    let path = path.split(['?', '#']).next().unwrap_or("/");
    Some((scheme.to_owned(), host.to_owned(), path.to_owned()))
}

/// Whether `host` names the machine: its FQDN or its first label. Kerberos needs a name, so
/// an address or `localhost` does not qualify.
fn names_machine(host: &str, machine: &str) -> bool {
    let first = |s: &str| s.split('.').next().unwrap_or("").to_ascii_lowercase();
    !host.is_empty() && first(host) == first(machine) && !first(host).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use monosync_exchange::clixml::ps_credential;

    const BOOTSTRAP: &str = "param([string] $ConnectionUri, [pscredential] $Credential, [string] $Authentication = 'Kerberos')\n\
        $s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri $ConnectionUri -Credential $Credential -Authentication $Authentication -ErrorAction Stop\n\
        Import-Module (Import-PSSession -Session $s -DisableNameChecking -AllowClobber) -Global";

    fn exchange() -> Exchange {
        Exchange::from_seed_json(crate::DEFAULT_SEED).expect("seed")
    }

    /// A stand-in cipher for the session key: the "encrypted" bytes are the reversed text.
    fn secure(text: &str) -> EncryptedSecureString {
        EncryptedSecureString(text.bytes().rev().collect())
    }

    fn decrypt(enc: &EncryptedSecureString) -> Option<Zeroizing<String>> {
        let bytes: Vec<u8> = enc.0.iter().rev().copied().collect();
        String::from_utf8(bytes).ok().map(Zeroizing::new)
    }

    fn params(uri: &str, user: &str, password: &str) -> Vec<Parameter> {
        vec![
            Parameter {
                name: Some("ConnectionUri".into()),
                value: PsValue::String(uri.into()),
            },
            Parameter {
                name: Some("Credential".into()),
                value: ps_credential(user, secure(password)),
            },
        ]
    }

    fn run(text: &str, params: &[Parameter]) -> ScriptOutcome {
        let ex = exchange();
        let ctx = Context {
            machine: "EX01.contoso.com",
            exchange: &ex,
            decrypt: &decrypt,
        };
        run_script(text, params, &ctx)
    }

    fn ids(outcome: &ScriptOutcome) -> Vec<&str> {
        outcome
            .result
            .errors
            .iter()
            .map(|e| e.fully_qualified_error_id.as_str())
            .collect()
    }

    #[test]
    fn the_bootstrap_imports_the_credentials_account() {
        let out = run(
            BOOTSTRAP,
            &params(
                "http://ex01.contoso.com/PowerShell/",
                "CONTOSO\\recipientadmin",
                "Recipients1!",
            ),
        );
        assert!(out.result.errors.is_empty(), "{:?}", ids(&out));
        assert!(!out.result.failed);
        assert!(out.result.output.is_empty(), "Import-Module writes nothing");
        let imported = out.imported.expect("imported");
        assert_eq!(imported.user, "recipientadmin");
        assert_eq!(imported.computer, "ex01.contoso.com");
        assert_eq!(imported.prefix, None);
    }

    #[test]
    fn a_wrong_password_ends_the_script_with_access_denied_under_stop() {
        let out = run(
            BOOTSTRAP,
            &params(
                "http://ex01.contoso.com/PowerShell/",
                "CONTOSO\\recipientadmin",
                "wrong",
            ),
        );
        assert!(out.result.failed);
        assert_eq!(ids(&out), ["AccessDenied,PSSessionOpenFailed"]);
        assert!(out.imported.is_none());
    }

    #[test]
    fn without_stop_the_error_is_written_and_import_gets_null() {
        let text = "param($ConnectionUri, $Credential)\n\
            $s = New-PSSession -ConnectionUri $ConnectionUri -ConfigurationName Microsoft.Exchange -Credential $Credential\n\
            Import-PSSession $s | Out-Null";
        let out = run(
            text,
            &params("http://EX01/PowerShell", "recipientadmin", "nope"),
        );
        assert!(!out.result.failed, "statement errors do not end the script");
        assert_eq!(
            ids(&out),
            [
                "AccessDenied,PSSessionOpenFailed",
                "ParameterArgumentValidationError,Microsoft.PowerShell.Commands.ImportPSSessionCommand"
            ]
        );
        assert!(out.imported.is_none());
        // $ErrorActionPreference = 'Stop' makes the first error end the script.
        let stopped = run(
            &text.replace("\n$s", "\n$ErrorActionPreference = 'Stop'\n$s"),
            &params("http://EX01/PowerShell", "recipientadmin", "nope"),
        );
        assert!(stopped.result.failed);
        assert_eq!(ids(&stopped), ["AccessDenied,PSSessionOpenFailed"]);
    }

    #[test]
    fn the_second_hop_is_checked_like_windows_checks_it() {
        let text = "param($ConnectionUri, $Credential, $Configuration = 'Microsoft.Exchange', $Authentication = 'Kerberos')\n\
            $s = New-PSSession -ConnectionUri $ConnectionUri -ConfigurationName $Configuration -Credential $Credential -Authentication $Authentication -ErrorAction Stop";
        let with = |extra: Vec<Parameter>, uri: &str| {
            let mut p = params(uri, "Administrator", "P@ssw0rd!");
            p.extend(extra);
            run(text, &p)
        };
        let named = |n: &str, v: &str| Parameter {
            name: Some(n.into()),
            value: PsValue::String(v.into()),
        };
        let ok = with(Vec::new(), "https://ex01.contoso.com:443/powershell");
        assert!(ok.result.errors.is_empty(), "{:?}", ids(&ok));
        assert_eq!(ok.result.output.len(), 0, "assigned, not written");
        // Open errors are the cmdlet's own and end the script under -ErrorAction Stop; a
        // binding error ends only its statement.
        for (extra, uri, id, ends) in [
            (
                Vec::new(),
                "http://ex02.contoso.com/PowerShell/",
                "NetworkPathNotFound,PSSessionOpenFailed",
                true,
            ),
            (
                Vec::new(),
                "http://127.0.0.1/PowerShell/",
                "NetworkPathNotFound,PSSessionOpenFailed",
                true,
            ),
            (
                Vec::new(),
                "http://ex01.contoso.com/wsman",
                "URLNotAvailable,PSSessionOpenFailed",
                true,
            ),
            (
                vec![named("Configuration", "Microsoft.PowerShell")],
                "http://ex01/PowerShell/",
                "-2144108485,PSSessionOpenFailed",
                true,
            ),
            (
                vec![named("Authentication", "Basic")],
                "http://ex01/PowerShell/",
                "AccessDenied,PSSessionOpenFailed",
                true,
            ),
            (
                vec![named("Authentication", "Bogus")],
                "http://ex01/PowerShell/",
                "CannotConvertArgumentNoMessage,Microsoft.PowerShell.Commands.NewPSSessionCommand",
                false,
            ),
        ] {
            let out = with(extra, uri);
            assert_eq!(out.result.failed, ends, "{uri}");
            assert_eq!(ids(&out), [id], "{uri}");
            assert!(out.imported.is_none());
        }
        // No explicit credential: the second hop has nothing to log on with.
        let out = run(
            "New-PSSession -ConnectionUri http://ex01/PowerShell/ -ConfigurationName Microsoft.Exchange",
            &[],
        );
        assert_eq!(ids(&out), ["AccessDenied,PSSessionOpenFailed"]);
        // A plain string is no credential: PowerShell would have to prompt.
        let out = run(
            "param($Credential) New-PSSession http://ex01/PowerShell/ $Credential -ConfigurationName Microsoft.Exchange",
            &[Parameter {
                name: Some("Credential".into()),
                value: PsValue::String("Administrator".into()),
            }],
        );
        assert_eq!(
            ids(&out),
            [
                "ParameterArgumentTransformationError,Microsoft.PowerShell.Commands.NewPSSessionCommand"
            ]
        );
    }

    #[test]
    fn binding_follows_powershell() {
        let out = run("New-PSSession -Bogus 1", &[]);
        assert_eq!(
            ids(&out),
            ["NamedParameterNotFound,Microsoft.PowerShell.Commands.NewPSSessionCommand"]
        );
        let out = run("Import-PSSession -Co x", &[]);
        assert_eq!(
            ids(&out),
            ["AmbiguousParameter,Microsoft.PowerShell.Commands.ImportPSSessionCommand"]
        );
        let out = run("Import-PSSession -Session", &[]);
        assert_eq!(
            ids(&out),
            ["MissingArgument,Microsoft.PowerShell.Commands.ImportPSSessionCommand"]
        );
        let out = run("Import-PSSession a b c d", &[]);
        assert_eq!(
            ids(&out),
            ["PositionalParameterNotFound,Microsoft.PowerShell.Commands.ImportPSSessionCommand"]
        );
        let out = run(
            "param($A) Get-Date",
            &[Parameter {
                name: Some("B".into()),
                value: PsValue::I32(1),
            }],
        );
        assert_eq!(ids(&out), ["NamedParameterNotFound"]);
        assert!(out.result.failed);
    }

    #[test]
    fn exchange_cmdlets_in_scripts_are_unknown_before_the_import() {
        let out = run("Get-Mailbox -Identity x", &[]);
        assert_eq!(ids(&out), ["CommandNotFoundException"]);
        let out = run("Get-ChildItem", &[]);
        assert_eq!(ids(&out), ["ScriptNotSupported"]);
        let out = run("foreach ($m in $x) { }", &[]);
        assert_eq!(ids(&out), ["ScriptNotSupported"]);
    }

    #[test]
    fn a_prefix_renames_the_imported_cmdlets_and_output_is_relayed() {
        let text = "param($ConnectionUri, $Credential)\n\
            $s = New-PSSession -ConnectionUri $ConnectionUri -ConfigurationName Microsoft.Exchange -Credential $Credential\n\
            Import-PSSession -Session $s -Prefix Ex";
        let out = run(
            text,
            &params("http://ex01/PowerShell/", "auditor", "ReadOnly1!"),
        );
        assert!(out.result.errors.is_empty(), "{:?}", ids(&out));
        assert_eq!(out.result.output.len(), 1, "the PSModuleInfo");
        assert_eq!(
            out.result.output[0]
                .as_object()
                .and_then(|o| o.type_names.as_deref())
                .and_then(|t| t.first())
                .map(String::as_str),
            Some("System.Management.Automation.PSModuleInfo")
        );
        let imported = out.imported.expect("imported");
        assert_eq!(imported.user, "auditor");
        assert_eq!(
            imported.resolve("Get-ExMailbox").as_deref(),
            Some("Get-Mailbox")
        );
        assert_eq!(imported.resolve("Get-Mailbox"), None);
        assert_eq!(imported.resolve("Get-Ex"), None);

        let relayed = imported.relay(object(
            "Microsoft.Exchange.Data.Directory.Management.Mailbox",
            "Ann".into(),
            vec![Property::new("Name", "Ann")],
        ));
        let obj = relayed.as_object().expect("object");
        assert_eq!(
            obj.type_names.as_deref().map(|t| t.to_vec()),
            Some(vec![
                "Deserialized.Microsoft.Exchange.Data.Directory.Management.Mailbox".to_owned(),
                "Deserialized.System.Object".to_owned()
            ])
        );
        assert_eq!(
            relayed.property("Name").and_then(PsValue::as_str),
            Some("Ann")
        );
        assert_eq!(
            relayed.property("PSComputerName").and_then(PsValue::as_str),
            Some("ex01")
        );
        assert_eq!(
            relayed.property("PSShowComputerName"),
            Some(&PsValue::Bool(false))
        );
    }

    #[test]
    fn uris_split_into_scheme_host_and_path() {
        assert_eq!(
            split_uri("http://ex01.contoso.com:80/PowerShell/?x=1"),
            Some((
                "http".into(),
                "ex01.contoso.com".into(),
                "/PowerShell/".into()
            ))
        );
        assert_eq!(
            split_uri("https://ex01"),
            Some(("https".into(), "ex01".into(), "/".into()))
        );
        assert_eq!(split_uri("ex01/PowerShell"), None);
        assert_eq!(split_uri("http:///PowerShell"), None);
        assert!(names_machine("EX01", "ex01.contoso.com"));
        assert!(!names_machine("localhost", "ex01.contoso.com"));
    }
}
