//! The cmdlets, one module per noun family, and what they share: the invocation context,
//! identity lookups with Exchange's errors, `-ResultSize`, ShouldProcess and the mail-attribute
//! setters of the Set-/New-/Enable- cmdlets.

mod cas_mailbox;
mod distribution_group;
mod mail_contact;
mod mail_user;
mod mailbox;
mod mailbox_permission;
mod organization;
mod recipient;
mod remote_mailbox;
mod throttling;
mod user;

use monosync_exchange::clixml::PsValue;
use uuid::Uuid;

use super::directory::{Directory, DirectoryError};
use super::errors::{SimErrorRecord, TaskContext};
use super::filter::Filter;
use super::params::{self, Bound, BoundArg, MultiValue, ParamSpec, ParamType, opt};
use super::recipient::{MailAttributes, Recipient, RecipientTypeDetails};
use super::render::Renderer;
use super::{CmdletResult, ConfirmPrompt, InvokeOptions, Session};

/// How much a cmdlet asks before acting (`ConfirmImpact`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Impact {
    /// No ShouldProcess support (Get-*).
    None,
    /// `SupportsShouldProcess`, default impact: asks only with `-Confirm`.
    Medium,
    /// `ConfirmImpact.High`: asks unless `-Confirm:$false`.
    High,
}

/// One cmdlet.
pub struct CmdletDef {
    /// `Verb-Noun`.
    pub name: &'static str,
    /// The .NET class (FullyQualifiedErrorId suffix of task errors).
    pub class: &'static str,
    /// ShouldProcess behaviour.
    pub impact: Impact,
    /// Its own parameters (Exchange's common ones included).
    pub params: &'static [ParamSpec],
    run: fn(&mut Ctx<'_>, &Bound) -> Result<(), Stop>,
}

impl std::fmt::Debug for CmdletDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CmdletDef")
            .field("name", &self.name)
            .finish()
    }
}

/// Every cmdlet.
fn registry() -> &'static [CmdletDef] {
    static ALL: std::sync::LazyLock<Vec<CmdletDef>> = std::sync::LazyLock::new(|| {
        let mut v = Vec::new();
        v.extend(mailbox::cmdlets());
        v.extend(user::cmdlets());
        v.extend(recipient::cmdlets());
        v.extend(remote_mailbox::cmdlets());
        v.extend(mail_contact::cmdlets());
        v.extend(mail_user::cmdlets());
        v.extend(distribution_group::cmdlets());
        v.extend(mailbox_permission::cmdlets());
        v.extend(cas_mailbox::cmdlets());
        v.extend(organization::cmdlets());
        v.extend(throttling::cmdlets());
        v
    });
    &ALL
}

/// The cmdlet named `name` (case-insensitive).
pub fn find(name: &str) -> Option<&'static CmdletDef> {
    registry()
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(name.trim()))
}

/// The names of every implemented cmdlet.
pub fn names() -> Vec<&'static str> {
    registry().iter().map(|d| d.name).collect()
}

/// Why a cmdlet stopped early.
#[derive(Debug)]
pub(crate) enum Stop {
    /// A terminating error.
    Error(Box<SimErrorRecord>),
    /// ShouldProcess needs an answer.
    Confirm(ConfirmPrompt),
}

impl From<SimErrorRecord> for Stop {
    fn from(e: SimErrorRecord) -> Self {
        Stop::Error(Box::new(e))
    }
}

/// One invocation's state.
pub(crate) struct Ctx<'a> {
    dir: &'a mut Directory,
    session: &'a mut Session,
    task: TaskContext,
    out: CmdletResult,
    def: &'static CmdletDef,
    options: InvokeOptions,
    confirm: Option<bool>,
    what_if: bool,
    /// Receives output objects as they are made, instead of `out.output`.
    sink: Option<&'a mut dyn FnMut(PsValue)>,
}

/// Runs a cmdlet: binds the parameters, runs it, applies `-ErrorAction`/`-WarningAction`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run<'a>(
    def: &'static CmdletDef,
    dir: &'a mut Directory,
    session: &'a mut Session,
    args: &[BoundArg],
    options: InvokeOptions,
    now: i64,
    request_id: Uuid,
    sink: Option<&'a mut dyn FnMut(PsValue)>,
    allowed: Option<&[String]>,
) -> CmdletResult {
    let dc = session
        .preferred_server
        .clone()
        .unwrap_or_else(|| dir.org().domain_controller.clone());
    let task = TaskContext {
        server: dir.org().server.to_uppercase(),
        request_id,
        now,
        cmdlet: def.name.to_owned(),
        class: def.class.to_owned(),
        domain_controller: dc,
    };
    let mut groups: Vec<&'static [ParamSpec]> = vec![def.params, params::COMMON];
    if def.impact != Impact::None {
        groups.push(params::SHOULD_PROCESS);
    }
    let bound = match params::bind_restricted(&task, &groups, allowed, args) {
        Ok(b) => b,
        Err(e) => {
            return CmdletResult {
                errors: vec![e],
                failed: true,
                ..CmdletResult::default()
            };
        }
    };
    let mut ctx = Ctx {
        dir,
        session,
        task,
        out: CmdletResult::default(),
        def,
        options,
        confirm: bound.bool("Confirm"),
        what_if: bound.switch("WhatIf"),
        sink,
    };
    let result = (def.run)(&mut ctx, &bound);
    let mut out = ctx.out;
    match result {
        Ok(()) => {}
        Err(Stop::Error(e)) => {
            // Exchange writes task errors and the pipeline completes; engine errors (binding)
            // are terminating and fail it.
            out.failed |= e.terminating;
            out.errors.push(*e);
        }
        Err(Stop::Confirm(prompt)) => {
            out = CmdletResult {
                needs_confirmation: Some(prompt),
                ..CmdletResult::default()
            };
        }
    }
    match bound.str("ErrorAction") {
        Some("Stop") if !out.errors.is_empty() => {
            out.failed = true;
            out.errors.truncate(1);
        }
        Some("SilentlyContinue" | "Ignore") if !out.failed => out.errors.clear(),
        _ => {}
    }
    if matches!(
        bound.str("WarningAction"),
        Some("SilentlyContinue" | "Ignore")
    ) {
        out.warnings.clear();
    }
    out
}

/// Which recipients a cmdlet's identity parameter accepts.
pub(crate) type Accept = fn(&Recipient) -> bool;

impl Ctx<'_> {
    fn r(&self) -> Renderer<'_> {
        Renderer::new(self.dir)
    }

    fn write(&mut self, v: PsValue) {
        match self.sink.as_mut() {
            Some(sink) => sink(v),
            None => self.out.output.push(v),
        }
    }

    /// A non-terminating error.
    fn error(&mut self, e: SimErrorRecord) {
        self.out.errors.push(e);
    }

    fn warn(&mut self, w: String) {
        self.out.warnings.push(w);
    }

    fn now(&self) -> i64 {
        self.task.now
    }

    /// ShouldProcess: `Ok(true)` = go ahead, `Ok(false)` = `-WhatIf` (skip), `Err` = ask first.
    fn should_process(&mut self, action: String) -> Result<bool, Stop> {
        if self.what_if {
            self.out.host_output.push(format!("What if: {action}"));
            return Ok(false);
        }
        let ask = match self.def.impact {
            Impact::None => false,
            Impact::Medium => self.confirm == Some(true),
            Impact::High => self.confirm != Some(false),
        };
        if ask && !self.options.confirmed {
            return Err(Stop::Confirm(ConfirmPrompt::should_process(&action)));
        }
        Ok(true)
    }

    /// Whether the session may see a recipient (`RecipientViewRoot`).
    fn in_scope(&self, r: &Recipient) -> bool {
        match self.session.recipient_view_root.as_deref() {
            None => true,
            Some(root) => {
                let ou = self.dir.ou_of(r).to_lowercase();
                let root = root.trim_end_matches('/').to_lowercase();
                ou == root || ou.starts_with(&format!("{root}/"))
            }
        }
    }

    /// Matches of an identity among the recipients `accept` allows.
    fn matches(&self, identity: &str, accept: Accept) -> Vec<Uuid> {
        self.dir
            .resolve(identity)
            .into_iter()
            .filter(|g| {
                self.dir
                    .get(*g)
                    .is_some_and(|r| accept(r) && self.in_scope(r))
            })
            .collect()
    }

    /// The one recipient `-Identity` names, or Exchange's not-found / ambiguous error.
    fn resolve_identity(&self, identity: &str, accept: Accept) -> Result<Uuid, SimErrorRecord> {
        match self.matches(identity, accept).as_slice() {
            [one] => Ok(*one),
            [] => Err(self.task.not_found(identity)),
            _ => Err(self.task.ambiguous(identity)),
        }
    }

    /// The one recipient another parameter (`-Member`, `-ForwardingAddress`, `-Manager`) names.
    fn resolve_other(&self, identity: &str, accept: Accept) -> Result<Uuid, SimErrorRecord> {
        match self.matches(identity, accept).as_slice() {
            [one] => Ok(*one),
            [] => Err(self.task.recipient_not_found(identity)),
            _ => Err(self.task.recipient_ambiguous(identity)),
        }
    }

    fn get(&self, guid: Uuid) -> Result<&Recipient, SimErrorRecord> {
        self.dir
            .get(guid)
            .ok_or_else(|| self.task.not_found(&guid.to_string()))
    }

    fn canonical(&self, guid: Uuid) -> String {
        self.dir
            .get(guid)
            .map(|r| self.dir.canonical_name(r))
            .unwrap_or_default()
    }

    /// The recipients a Get-* cmdlet returns: `-Identity` (wildcards allowed; none found is an
    /// error) or every accepted recipient, then `-OrganizationalUnit`, `-Filter`, `-Anr`,
    /// `-RecipientTypeDetails`, then `-ResultSize` (default 1000, with Exchange's warning).
    fn select(&mut self, b: &Bound, accept: Accept) -> Result<Vec<Uuid>, Stop> {
        let filter = match b.str("Filter") {
            Some(f) => Some(Filter::parse(f).map_err(|msg| {
                self.task.task_error(
                    "Microsoft.Exchange.Management.Tasks.InvalidFilterException",
                    &[],
                    format!("Cannot bind parameter 'Filter' to the target. Exception setting \"Filter\": \"{msg}\""),
                    super::errors::ErrorCategory::InvalidArgument,
                    super::errors::Target::default(),
                )
            })?),
            None => None,
        };
        // `-Identity $null` behaves like no identity (Exchange documents this for Get-Mailbox).
        let mut guids = match b.str("Identity").filter(|id| !id.is_empty()) {
            Some(id) => {
                let m = self.matches(id, accept);
                if m.is_empty() {
                    self.error(self.task.not_found(id));
                    return Ok(Vec::new());
                }
                m
            }
            None => self
                .dir
                .iter()
                .filter(|r| accept(r) && self.in_scope(r))
                .map(|r| r.guid)
                .collect(),
        };
        let ou = b
            .str("OrganizationalUnit")
            .or_else(|| b.str("OnPremisesOrganizationalUnit"));
        if let Some(ou) = ou {
            let want = self
                .dir
                .org()
                .dn_to_canonical(ou)
                .filter(|_| ou.contains('='))
                .unwrap_or_else(|| ou.to_owned())
                .trim_end_matches('/')
                .to_lowercase();
            guids.retain(|g| {
                self.dir.get(*g).is_some_and(|r| {
                    let o = self.dir.ou_of(r).to_lowercase();
                    o == want || o.starts_with(&format!("{want}/"))
                })
            });
        }
        if let Some(types) = b.list("RecipientTypeDetails") {
            let set: Vec<RecipientTypeDetails> = types
                .iter()
                .filter_map(|t| RecipientTypeDetails::parse(t))
                .collect();
            guids.retain(|g| self.dir.get(*g).is_some_and(|r| set.contains(&r.kind)));
        }
        if let Some(types) = b.list("RecipientType") {
            guids.retain(|g| {
                self.dir.get(*g).is_some_and(|r| {
                    types
                        .iter()
                        .any(|t| t.eq_ignore_ascii_case(r.kind.recipient_type()))
                })
            });
        }
        if let Some(anr) = b.str("Anr") {
            let a = anr.to_lowercase();
            guids.retain(|g| self.dir.get(*g).is_some_and(|r| anr_match(r, &a)));
        }
        if let Some(by) = b.str("SortBy") {
            let key = |g: &Uuid| -> String {
                let Some(r) = self.dir.get(*g) else {
                    return String::new();
                };
                match by.trim_start_matches('-').to_lowercase().as_str() {
                    "displayname" => r.display_name.to_lowercase(),
                    "alias" => r
                        .mail
                        .as_ref()
                        .map(|m| m.alias.to_lowercase())
                        .unwrap_or_default(),
                    "primarysmtpaddress" => r
                        .mail
                        .as_ref()
                        .and_then(|m| m.primary_smtp())
                        .unwrap_or_default()
                        .to_lowercase(),
                    "whencreated" | "whencreatedutc" => format!("{:020}", r.when_created),
                    "whenchanged" | "whenchangedutc" => format!("{:020}", r.when_changed),
                    "city" => r.person.city.to_lowercase(),
                    "department" => r.person.department.to_lowercase(),
                    _ => r.name.to_lowercase(),
                }
            };
            guids.sort_by_cached_key(key);
            if by.starts_with('-') {
                guids.reverse();
            }
        }
        if let Some(f) = filter {
            let r = Renderer::new(self.dir);
            guids.retain(|g| {
                self.dir
                    .get(*g)
                    .is_some_and(|rec| f.matches_object(&r.reduced(rec)))
            });
        }
        Ok(guids)
    }

    /// Applies `-ResultSize` (default 1000) and writes Exchange's warnings.
    fn result_size<T>(&mut self, b: &Bound, mut items: Vec<T>) -> Vec<T> {
        match b.limit("ResultSize") {
            Some(None) => items,
            Some(Some(n)) => {
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                if items.len() > n {
                    items.truncate(n);
                    self.warn("There are more results available than are currently displayed. To view them, increase the value for the ResultSize parameter.".into());
                }
                items
            }
            None => {
                if items.len() > 1000 {
                    items.truncate(1000);
                    self.warn("By default, only the first 1000 items are returned. Use the ResultSize parameter to specify the number of items returned. To return all items, specify \"-ResultSize Unlimited\". Be aware that, depending on the actual number of items, returning all items can take a long time and consume a large amount of memory. Also, we don't recommend storing the results in a variable. Instead, pipe the results to another task or script to perform batch changes.".into());
                }
                items
            }
        }
    }

    /// Writes a changed recipient back, turning directory refusals into Exchange's errors.
    fn commit(&mut self, guid: Uuid, new: Recipient) -> Result<(), Stop> {
        let target = self.canonical(guid);
        let now = self.now();
        let res = self.dir.update(guid, |r| {
            *r = new;
            r.when_changed = now;
        });
        res.map_err(|e| Stop::from(self.directory_error(e, &target)))
    }

    /// Adds a new recipient, turning directory refusals into Exchange's errors.
    fn create(&mut self, r: Recipient) -> Result<Uuid, Stop> {
        let target = self.dir.canonical_name(&r);
        let dn = self.dir.dn(&r);
        self.dir.insert(r).map_err(|e| match e {
            DirectoryError::AccountNameInUse { .. } => Stop::from(self.task.entry_exists(&dn)),
            other => Stop::from(self.directory_error(other, &target)),
        })
    }

    fn directory_error(&self, e: DirectoryError, target: &str) -> SimErrorRecord {
        match e {
            DirectoryError::ProxyAddressInUse { address, owner } => {
                self.task.proxy_in_use(&address, &owner, target)
            }
            DirectoryError::ObjectExists { dn } => self.task.object_exists(&dn),
            DirectoryError::AccountNameInUse { name } => {
                let dn = self
                    .dir
                    .resolve(target)
                    .first()
                    .and_then(|g| self.dir.get(*g))
                    .map(|r| self.dir.dn(r))
                    .unwrap_or(name);
                self.task.entry_exists(&dn)
            }
            DirectoryError::NoSuchDatabase(g) => self.task.database_not_found(&g.to_string()),
            DirectoryError::GuidInUse(g) => self.task.object_exists(&g.to_string()),
            DirectoryError::NoSuchRecipient(g) => self.task.not_found(&g.to_string()),
        }
    }

    /// `-Database`: the one database named, or the automatic distribution's pick.
    fn database(&self, b: &Bound) -> Result<Uuid, SimErrorRecord> {
        match b.str("Database") {
            Some(id) => match self.dir.resolve_database(id).as_slice() {
                [one] => Ok(one.guid),
                [] => Err(self.task.database_not_found(id)),
                _ => Err(self.task.task_error(
                    "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException",
                    &[],
                    format!("Multiple databases match \"{id}\". Specify a unique value."),
                    super::ErrorCategory::ExchangeContext,
                    super::errors::Target::default(),
                )),
            },
            None => self
                .dir
                .pick_database()
                .ok_or_else(|| self.task.database_not_found("(automatic)")),
        }
    }

    /// Switches that select different parameter sets: more than one is PowerShell's
    /// `AmbiguousParameterSet`.
    fn exclusive(&self, b: &Bound, switches: &[&str]) -> Result<(), Stop> {
        if switches.iter().filter(|s| b.switch(s)).count() > 1 {
            return Err(self
                .task
                .binding(
                    super::errors::BindingErrorKind::AmbiguousParameterSet,
                    "Parameter set cannot be resolved using the specified named parameters.".into(),
                )
                .into());
        }
        Ok(())
    }

    /// A Set-* cmdlet changed nothing: Exchange's warning.
    fn warn_unchanged(&mut self, guid: Uuid) {
        let id = self.canonical(guid);
        self.warn(format!(
            "The command completed successfully but no settings of '{id}' have been modified."
        ));
    }

    /// Applies the Set-* parameters every mail-enabled recipient shares.
    fn apply_mail_params(&self, b: &Bound, r: &mut Recipient) -> Result<(), Stop> {
        if let Some(n) = b.str("Name") {
            r.name = n.to_owned();
        }
        if let Some(d) = b.str("DisplayName") {
            r.display_name = d.to_owned();
        }
        if let Some(s) = b.str("SamAccountName")
            && let Some(a) = r.account.as_mut()
        {
            a.sam_account_name = s.to_owned();
        }
        if let Some(u) = b.str("UserPrincipalName")
            && let Some(a) = r.account.as_mut()
        {
            a.user_principal_name = u.to_owned();
        }
        if let Some(v) = b.bool("ResetPasswordOnNextLogon")
            && let Some(a) = r.account.as_mut()
        {
            a.reset_password_on_next_logon = v;
        }
        let guid = r.guid;
        let Some(m) = r.mail.as_mut() else {
            return Ok(());
        };
        if let Some(a) = b.str("Alias") {
            if a.is_empty()
                || !a
                    .chars()
                    .all(|c| c.is_ascii_graphic() && !"\"(),:;<>@[\\]".contains(c))
            {
                return Err(self
                    .task
                    .recipient_task(
                        format!("The alias \"{a}\" contains characters that aren't valid. Valid characters are: A-Z, a-z, 0-9, and !, #, $, %, &, ', *, +, -, /, =, ?, ^, _, `, {{, |, }} or ~."),
                        super::ErrorCategory::InvalidArgument,
                    )
                    .into());
            }
            let changed = !m.alias.eq_ignore_ascii_case(a);
            m.alias = a.to_owned();
            // The email address policy stamps the new alias address as primary; the old stays.
            if changed && m.email_address_policy_enabled && !b.has("PrimarySmtpAddress") {
                let addr = self.dir.policy_address(a, Some(guid));
                set_primary(m, &addr);
            }
        }
        if let Some(v) = b.bool("EmailAddressPolicyEnabled") {
            m.email_address_policy_enabled = v;
        }
        if let Some(v) = b.bool("HiddenFromAddressListsEnabled") {
            m.hidden_from_address_lists_enabled = v;
        }
        if let Some(ea) = b.multi("EmailAddresses") {
            apply_email_addresses(m, ea);
        }
        if let Some(p) = b.str("PrimarySmtpAddress") {
            set_primary(m, p);
            m.email_address_policy_enabled = false;
        }
        if let Some(w) = b.str("WindowsEmailAddress") {
            m.windows_email_address = w.to_owned();
        }
        if let Some(l) = b.limit("MaxSendSize") {
            m.max_send_size = l;
        }
        if let Some(l) = b.limit("MaxReceiveSize") {
            m.max_receive_size = l;
        }
        if let Some(v) = b.bool("RequireSenderAuthenticationEnabled") {
            m.require_sender_authentication_enabled = v;
        }
        if let Some(v) = b.bool("ModerationEnabled") {
            m.moderation_enabled = v;
        }
        for n in 1u8..=15 {
            if let Some(v) = b.str(&format!("CustomAttribute{n}")) {
                if v.is_empty() {
                    m.custom_attributes.remove(&n);
                } else {
                    m.custom_attributes.insert(n, v.to_owned());
                }
            }
        }
        for n in 1u8..=5 {
            if let Some(mv) = b.multi(&format!("ExtensionCustomAttribute{n}")) {
                let cur = m.extension_custom_attributes.entry(n).or_default();
                mv.apply(cur);
                if cur.is_empty() {
                    m.extension_custom_attributes.remove(&n);
                }
            }
        }
        Ok(())
    }

    /// Resolves a list of recipients named by a multi-valued parameter and applies it to `current`.
    fn apply_recipient_list(
        &self,
        mv: &MultiValue,
        current: &mut Vec<Uuid>,
    ) -> Result<(), SimErrorRecord> {
        let any: Accept = |r| r.kind.is_mail_enabled() || r.account.is_some();
        let resolve = |ids: &[String]| -> Result<Vec<Uuid>, SimErrorRecord> {
            ids.iter().map(|id| self.resolve_other(id, any)).collect()
        };
        match mv {
            MultiValue::Replace(ids) => {
                *current = resolve(ids)?;
                current.dedup();
            }
            MultiValue::Update { add, remove } => {
                let remove = resolve(remove)?;
                current.retain(|g| !remove.contains(g));
                for g in resolve(add)? {
                    if !current.contains(&g) {
                        current.push(g);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Ambiguous name resolution: prefix of name, display name, first/last name, alias, sam or
/// primary SMTP address.
fn anr_match(r: &Recipient, a: &str) -> bool {
    let starts = |s: &str| s.to_lowercase().starts_with(a);
    starts(&r.name)
        || starts(&r.display_name)
        || starts(&r.person.first_name)
        || starts(&r.person.last_name)
        || r.account
            .as_ref()
            .is_some_and(|x| starts(&x.sam_account_name))
        || r.mail
            .as_ref()
            .is_some_and(|m| starts(&m.alias) || m.primary_smtp().is_some_and(starts))
}

/// Normalises a proxy address: no prefix means `smtp:`; `SMTP`/`smtp` prefixes keep their case.
pub(crate) fn normalize_proxy(address: &str) -> String {
    match address.split_once(':') {
        Some((prefix, rest)) if !prefix.is_empty() && !prefix.contains('@') => {
            if prefix.eq_ignore_ascii_case("smtp") {
                format!("{prefix}:{rest}")
            } else {
                format!("{}:{rest}", prefix.to_uppercase())
            }
        }
        _ => format!("smtp:{address}"),
    }
}

/// Makes `address` the primary SMTP address (`SMTP:`), demoting the old one to `smtp:`.
pub(crate) fn set_primary(m: &mut MailAttributes, address: &str) {
    let addr = address
        .split_once(':')
        .filter(|(p, _)| p.eq_ignore_ascii_case("smtp"))
        .map_or(address, |(_, a)| a);
    for a in &mut m.email_addresses {
        if let Some(rest) = a.strip_prefix("SMTP:") {
            *a = format!("smtp:{rest}");
        }
    }
    m.email_addresses.retain(|a| {
        !a.get(5..).is_some_and(|rest| {
            a.to_lowercase().starts_with("smtp:") && rest.eq_ignore_ascii_case(addr)
        })
    });
    m.email_addresses.insert(0, format!("SMTP:{addr}"));
}

/// `-EmailAddresses`: a list replaces, `@{Add=…; Remove=…}` edits; an `SMTP:` entry becomes the
/// primary address; without one the first `smtp:` entry is promoted.
pub(crate) fn apply_email_addresses(m: &mut MailAttributes, mv: &MultiValue) {
    let same = |a: &str, b: &str| super::directory::proxy_key(a) == super::directory::proxy_key(b);
    match mv {
        MultiValue::Replace(list) => {
            m.email_addresses.clear();
            for a in list {
                let a = normalize_proxy(a);
                if !m.email_addresses.iter().any(|x| same(x, &a)) {
                    m.email_addresses.push(a);
                }
            }
        }
        MultiValue::Update { add, remove } => {
            for r in remove {
                let r = normalize_proxy(r);
                m.email_addresses.retain(|x| !same(x, &r));
            }
            for a in add {
                let a = normalize_proxy(a);
                if a.starts_with("SMTP:") {
                    set_primary(m, &a);
                } else if !m.email_addresses.iter().any(|x| same(x, &a)) {
                    m.email_addresses.push(a);
                }
            }
        }
    }
    let primaries = m
        .email_addresses
        .iter()
        .filter(|a| a.starts_with("SMTP:"))
        .count();
    if primaries > 1 {
        let mut seen = false;
        for a in &mut m.email_addresses {
            if let Some(rest) = a.strip_prefix("SMTP:") {
                if seen {
                    *a = format!("smtp:{rest}");
                }
                seen = true;
            }
        }
    } else if primaries == 0
        && let Some(first) = m
            .email_addresses
            .iter_mut()
            .find(|a| a.to_lowercase().starts_with("smtp:"))
        && let Some(rest) = first.get(5..).map(str::to_owned)
    {
        *first = format!("SMTP:{rest}");
    }
}

/// Exchange's common parameters of Get-* cmdlets.
pub(crate) const GET_COMMON: [ParamSpec; 4] = [
    opt("IgnoreDefaultScope", ParamType::Switch),
    opt("ReadFromDomainController", ParamType::Switch),
    opt("DomainController", ParamType::String),
    opt("Credential", ParamType::Object),
];

/// Exchange's common parameters of cmdlets that change things.
pub(crate) const WRITE_COMMON: [ParamSpec; 2] = [
    opt("DomainController", ParamType::String),
    opt("IgnoreDefaultScope", ParamType::Switch),
];

/// The `CustomAttribute1`…`15` and `ExtensionCustomAttribute1`…`5` parameters.
pub(crate) const CUSTOM_ATTRIBUTES: [ParamSpec; 20] = [
    opt("CustomAttribute1", ParamType::String),
    opt("CustomAttribute2", ParamType::String),
    opt("CustomAttribute3", ParamType::String),
    opt("CustomAttribute4", ParamType::String),
    opt("CustomAttribute5", ParamType::String),
    opt("CustomAttribute6", ParamType::String),
    opt("CustomAttribute7", ParamType::String),
    opt("CustomAttribute8", ParamType::String),
    opt("CustomAttribute9", ParamType::String),
    opt("CustomAttribute10", ParamType::String),
    opt("CustomAttribute11", ParamType::String),
    opt("CustomAttribute12", ParamType::String),
    opt("CustomAttribute13", ParamType::String),
    opt("CustomAttribute14", ParamType::String),
    opt("CustomAttribute15", ParamType::String),
    opt("ExtensionCustomAttribute1", ParamType::MultiValued),
    opt("ExtensionCustomAttribute2", ParamType::MultiValued),
    opt("ExtensionCustomAttribute3", ParamType::MultiValued),
    opt("ExtensionCustomAttribute4", ParamType::MultiValued),
    opt("ExtensionCustomAttribute5", ParamType::MultiValued),
];

/// Builds a `&'static [ParamSpec]` from several lists.
pub(crate) fn params_of(parts: &[&[ParamSpec]]) -> &'static [ParamSpec] {
    let v: Vec<ParamSpec> = parts.iter().flat_map(|p| p.iter().copied()).collect();
    Box::leak(v.into_boxed_slice())
}

/// A new recipient's alias from a name: letters, digits and `.-_` only.
pub(crate) fn alias_from(name: &str) -> String {
    let a: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    if a.is_empty() { "user".into() } else { a }
}
