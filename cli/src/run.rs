//! `mx run`: connect, run one cmdlet, print what it returned, close.

use std::io::IsTerminal as _;

use monosync_exchange::exchange::{
    Command, CommandResult, Endpoint, Session, SessionError, SessionOptions, StreamItem,
};
use monosync_exchange::transport::{
    AuthMethod, Credentials, IpOrder, ResolveOverride, TransportOptions, kerberos,
};
use serde_json::{Value, json};

use crate::args::{AuthArg, ConnectArgs, RunArgs};
use crate::console::{Closed, errln, out, outln};
use crate::error::{CliError, EXIT_CMDLET, EXIT_OK};
use crate::output;
use crate::params;

/// Runs `mx run` and returns the exit code.
pub(crate) async fn main(args: RunArgs) -> u8 {
    let json = args.json;
    match run(args).await {
        Ok(code) => code,
        Err(e) if e.is_quiet() => e.exit_code(),
        Err(e) => {
            if json {
                let _ = outln!("{}", error_document(&e));
            } else {
                // The message carries the server's words (fault, error record or HTTP body)
                // once, cut to a readable length.
                errln!("mx run: {e}");
                if let Some(hint) = e.hint() {
                    errln!("hint: {hint}");
                }
            }
            e.exit_code()
        }
    }
}

fn session_error(e: &CliError) -> Option<&SessionError> {
    match e {
        CliError::Session(s) => Some(s),
        _ => None,
    }
}

/// `{"error": {"kind", "message", ...}}`, with the error record of a failed command and the
/// output it produced before failing. The server's text is in `message` only (cut to a
/// readable length); `record` and `fault` add the codes and identifiers around it.
fn error_document(e: &CliError) -> Value {
    let mut error = json!({
        "kind": e.kind(),
        "message": e.to_string(),
        "exit_code": e.exit_code(),
    });
    if let Some(hint) = e.hint() {
        error["hint"] = json!(hint);
    }
    if let Some(session) = session_error(e) {
        if let Some(code) = session.server_code() {
            error["server_code"] = json!(code);
        }
        if let Some(record) = session.error_record() {
            let mut record = output::error_json(record);
            if let Some(fields) = record.as_object_mut() {
                fields.remove("message");
            }
            error["record"] = record;
        }
        if let Some(fault) = session.fault() {
            error["fault"] = json!({
                "soap_code": fault.soap_code,
                "soap_subcode": fault.soap_subcode,
                "wsman_code": fault.wsman_code,
                "machine": fault.machine,
            });
        }
        if let SessionError::Pipeline(failure) = session {
            error["state"] = json!(format!("{:?}", failure.state));
            error["partial"] = output::result_json(&failure.partial);
        }
    }
    json!({ "error": error })
}

async fn run(args: RunArgs) -> Result<u8, CliError> {
    let (name, tokens) = args
        .command
        .split_first()
        .ok_or_else(|| CliError::Usage("no cmdlet given".into()))?;
    let mut command: Command = params::command_from_tokens(name, tokens)?;
    if let Some(json) = &args.params {
        command = params::add_json_params(command, json)?;
    }
    let options = session_options(&args)?;
    if args.connect.insecure {
        errln!(
            "mx: WARNING: --insecure: the server certificate is not checked; anyone on the path can read and change this session"
        );
    }
    let mut session = Session::connect(options).await?;
    // Ctrl-C stops the command on the server rather than leaving it running there.
    let cancel = session.cancel_handle();
    let interrupt = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            errln!("mx: interrupted; stopping the command on the server");
            cancel.cancel();
        }
    });
    let outcome = if args.json {
        session.invoke(command).await.map(Shown::Collected)
    } else {
        stream_text(&mut session, command)
            .await
            .map(|(errors, closed)| Shown::Printed { errors, closed })
    };
    interrupt.abort();
    // The result decides the exit code; a failing close only warns, the work is done.
    let close = session.close().await;
    let outcome = outcome?;
    if let Err(e) = close {
        errln!("mx: WARNING: closing the session failed: {e}");
    }
    let errors = match outcome {
        Shown::Collected(result) => {
            outln!("{}", output::result_json(&result))?;
            result.errors.len()
        }
        Shown::Printed {
            errors,
            closed: None,
        } => errors,
        // The reader went away: the command was abandoned and the session closed above.
        Shown::Printed {
            closed: Some(closed),
            ..
        } => return Err(closed.into()),
    };
    Ok(if errors == 0 { EXIT_OK } else { EXIT_CMDLET })
}

/// What a finished command left to show.
enum Shown {
    /// Everything, for the JSON document.
    Collected(CommandResult),
    /// Already printed, or cut short.
    Printed {
        /// The number of error records.
        errors: usize,
        /// Standard output closed before the end: the rest was not read.
        closed: Option<Closed>,
    },
}

/// Prints output objects on stdout and warnings and errors on stderr as they arrive, so a
/// large result never sits in memory whole; returns the number of error records, and why the
/// output stopped early when standard output closed (the command is then left unread, and
/// closing the session deletes it on the server).
async fn stream_text(
    session: &mut Session,
    command: Command,
) -> Result<(usize, Option<Closed>), SessionError> {
    let mut stream = session.invoke_stream(command).await?;
    let mut objects = 0usize;
    let mut errors = 0usize;
    while let Some(item) = stream.next().await {
        match item? {
            StreamItem::Output(value) => {
                let separator = if objects > 0 { "\n" } else { "" };
                if let Err(closed) = out!("{separator}{}", output::object_block(&value)) {
                    return Ok((errors, Some(closed)));
                }
                objects += 1;
            }
            StreamItem::Error(record) => {
                errors += 1;
                errln!("ERROR: {}", output::error_line(&record));
            }
            StreamItem::Warning(record) => errln!("WARNING: {}", record.message),
            _ => {}
        }
    }
    Ok((errors, None))
}

fn auth_method(a: AuthArg) -> AuthMethod {
    match a {
        AuthArg::Kerberos => AuthMethod::Kerberos,
        AuthArg::Ntlm => AuthMethod::Ntlm,
        AuthArg::Negotiate => AuthMethod::Negotiate,
        AuthArg::Basic => AuthMethod::Basic,
    }
}

fn session_options(args: &RunArgs) -> Result<SessionOptions, CliError> {
    let transport = transport_options(&args.connect, &args.server)?;
    let endpoint = match &args.configuration {
        Some(name) => Endpoint::Configuration(name.clone()),
        None => Endpoint::Exchange,
    };
    let mut options = SessionOptions::new(transport, endpoint);
    options.set_server(&args.server);
    options.record = args.record.clone();
    options.invoke_timeout = args.timeout.filter(|d| !d.is_zero());
    options.open_timeout = Some(args.open_timeout).filter(|d| !d.is_zero());
    Ok(options)
}

/// The transport options the connection arguments describe, for `url`.
pub(crate) fn transport_options(
    args: &ConnectArgs,
    url: &str,
) -> Result<TransportOptions, CliError> {
    let credentials = match &args.keytab {
        Some(keytab) => Credentials::with_keytab(args.username.clone(), keytab.clone()),
        None if args.username.is_empty() => {
            return Err(CliError::Usage(
                "--username is required (or --keytab for a keytab logon)".into(),
            ));
        }
        None => Credentials::new(args.username.clone(), read_password(args)?),
    };
    let mut transport = TransportOptions::new(url.to_owned(), auth_method(args.auth), credentials);
    transport.tls.ca_file = args.ca_file.clone();
    transport.tls.pinned_thumbprints = args.pin_thumbprint.clone();
    transport.tls.insecure = args.insecure;
    transport.resolve_overrides = args
        .resolve
        .iter()
        .map(|r| r.parse::<ResolveOverride>())
        .collect::<Result<_, _>>()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if let Some(order) = &args.ip_order {
        transport.ip_order = order
            .parse::<IpOrder>()
            .map_err(|e| CliError::Usage(e.to_string()))?;
    }
    if let Some(kdc) = &args.kdc {
        // Checked here, before any request: a KDC the Kerberos layer cannot use is a mistake
        // on the command line, not an authentication failure.
        kerberos::kdc_url(kdc).map_err(|e| CliError::Usage(format!("--kdc: {e}")))?;
    }
    transport.kdc = args.kdc.clone();
    transport.realm = args
        .realm
        .as_deref()
        .map(monosync_exchange::transport::kerberos::check_realm)
        .transpose()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    transport.allow_unencrypted = args.allow_unencrypted;
    transport.allow_basic_over_http = args.allow_unencrypted;
    Ok(transport)
}

/// The password from `--password-env`, `--password-file` or a prompt on the terminal; never a
/// prompt when standard input is not a terminal, so scripts fail instead of hanging.
fn read_password(args: &ConnectArgs) -> Result<String, CliError> {
    if let Some(var) = &args.password_env {
        return std::env::var(var)
            .map_err(|_| CliError::Password(format!("environment variable {var} is not set")));
    }
    if let Some(path) = &args.password_file {
        let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
            path: path.display().to_string(),
            source,
        })?;
        return Ok(text.lines().next().unwrap_or("").to_owned());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Password(
            "standard input is not a terminal; use --password-env or --password-file".into(),
        ));
    }
    rpassword::prompt_password(format!("Password for {}: ", args.username))
        .map_err(|e| CliError::Password(e.to_string()))
}
