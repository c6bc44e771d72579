//! `mx run`: connect, run one cmdlet, print what it returned, close.

use std::io::IsTerminal as _;

use monosync_exchange::exchange::{
    Command, CommandResult, Endpoint, Session, SessionError, SessionOptions, StreamItem,
};
use monosync_exchange::transport::{
    AuthMethod, Credentials, IpOrder, ResolveOverride, TransportOptions,
};
use serde_json::{Value, json};

use crate::args::{AuthArg, ConnectArgs, RunArgs};
use crate::error::{CliError, EXIT_CMDLET, EXIT_OK};
use crate::output;
use crate::params;

/// Runs `mx run` and returns the exit code.
pub(crate) async fn main(args: RunArgs) -> u8 {
    let json = args.json;
    match run(args).await {
        Ok(code) => code,
        Err(e) => {
            if json {
                println!("{}", error_document(&e));
            } else {
                eprintln!("mx run: {e}");
                if let Some(record) = session_error(&e).and_then(SessionError::error_record) {
                    eprintln!("ERROR: {}", output::error_line(record));
                }
                if let Some(hint) = e.hint() {
                    eprintln!("hint: {hint}");
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
/// output it produced before failing.
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
        if let Some(message) = session.server_message() {
            error["server_message"] = json!(message);
        }
        if let Some(record) = session.error_record() {
            error["record"] = output::error_json(record);
        }
        if let Some(fault) = session.fault() {
            error["fault"] = json!({
                "soap_code": fault.soap_code,
                "soap_subcode": fault.soap_subcode,
                "reason": fault.reason,
                "wsman_code": fault.wsman_code,
                "machine": fault.machine,
                "message": fault.message,
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
        eprintln!(
            "mx: WARNING: --insecure: the server certificate is not checked; anyone on the path can read and change this session"
        );
    }
    let mut session = Session::connect(options).await?;
    // Ctrl-C stops the command on the server rather than leaving it running there.
    let cancel = session.cancel_handle();
    let interrupt = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("mx: interrupted; stopping the command on the server");
            cancel.cancel();
        }
    });
    let outcome = if args.json {
        session.invoke(command).await.map(Shown::Collected)
    } else {
        stream_text(&mut session, command).await.map(Shown::Printed)
    };
    interrupt.abort();
    // The result decides the exit code; a failing close only warns, the work is done.
    let close = session.close().await;
    let outcome = outcome?;
    if let Err(e) = close {
        eprintln!("mx: WARNING: closing the session failed: {e}");
    }
    let errors = match outcome {
        Shown::Collected(result) => {
            println!("{}", output::result_json(&result));
            result.errors.len()
        }
        Shown::Printed(errors) => errors,
    };
    Ok(if errors == 0 { EXIT_OK } else { EXIT_CMDLET })
}

/// What a finished command left to show.
enum Shown {
    /// Everything, for the JSON document.
    Collected(CommandResult),
    /// Already printed; the number of error records.
    Printed(usize),
}

/// Prints output objects on stdout and warnings and errors on stderr as they arrive, so a
/// large result never sits in memory whole; returns the number of error records.
async fn stream_text(session: &mut Session, command: Command) -> Result<usize, SessionError> {
    let mut stream = session.invoke_stream(command).await?;
    let mut objects = 0usize;
    let mut errors = 0usize;
    while let Some(item) = stream.next().await {
        match item? {
            StreamItem::Output(value) => {
                if objects > 0 {
                    println!();
                }
                print!("{}", output::object_block(&value));
                objects += 1;
            }
            StreamItem::Error(record) => {
                errors += 1;
                eprintln!("ERROR: {}", output::error_line(&record));
            }
            StreamItem::Warning(record) => eprintln!("WARNING: {}", record.message),
            _ => {}
        }
    }
    Ok(errors)
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
    Ok(SessionOptions::new(transport, endpoint))
}

/// The transport options the connection arguments describe, for `url`.
pub(crate) fn transport_options(
    args: &ConnectArgs,
    url: &str,
) -> Result<TransportOptions, CliError> {
    let password = read_password(args)?;
    let mut transport = TransportOptions::new(
        url.to_owned(),
        auth_method(args.auth),
        Credentials::new(args.username.clone(), password),
    );
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
