//! provision: the provisioning flow of docs/rust.md, as a Rust host runs it.
//!
//! ```sh
//! cargo run -p monosync-exchange --example provision -- URL [USER PASSWORD]
//! ```
//!
//! Connects with NTLM, enables a mailbox for a user that has none, sets its properties,
//! creates a distribution group unless it exists and adds the mailbox to it, then runs the
//! same steps again to show that a second run changes nothing (NotFound and AlreadyExists are
//! answers, not failures). Reads every mailbox as a stream, shows a command that runs out of
//! time and one cancelled from another task, and closes. Exits 0 when every step behaved as
//! expected, 1 otherwise.

use std::process::ExitCode;
use std::time::Duration;

use monosync_exchange::exchange::{
    Command, CommandResult, ErrorKind, Pool, PoolOptions, PoolStats, ResultSize, Session,
    SessionError, SessionOptions, StreamItem,
};
use monosync_exchange::transport::{AuthMethod, Credentials};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

// region: logging
/// Prints the crate's events of level DEBUG and above (connects, authentication,
/// reconnects, retries, failed shell deletions) to stderr. Any `tracing` subscriber works
/// (tracing-subscriber's `fmt()`, an OpenTelemetry layer, ...); this one shows what an event
/// carries.
struct StderrLog;

impl<S: Subscriber> Layer<S> for StderrLog {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let meta = event.metadata();
        // Dependencies log too (sspi's NTLM steps at DEBUG): keep this crate's events.
        if *meta.level() > Level::DEBUG || !meta.target().starts_with("monosync_exchange") {
            return;
        }
        struct Text(String);
        impl Visit for Text {
            fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
                match field.name() {
                    "message" => self.0.push_str(&format!(" {value:?}")),
                    name => self.0.push_str(&format!(" {name}={value:?}")),
                }
            }
        }
        let mut text = Text(String::new());
        event.record(&mut text);
        eprintln!("[{}] {}:{}", meta.level(), meta.target(), text.0);
    }
}

fn install_logging() {
    let subscriber = tracing_subscriber::registry().with(StderrLog);
    // Fails only when the process already has a subscriber, which then gets the events.
    let _ = tracing::subscriber::set_global_default(subscriber);
}
// endregion

// region: connect
fn options(url: &str, account: &str, password: &str) -> SessionOptions {
    let mut options =
        SessionOptions::exchange(url, AuthMethod::Ntlm, Credentials::new(account, password));
    // A TCP connect per address, and each wait for a response.
    options.transport.timeouts.connect = Duration::from_secs(10);
    options.transport.timeouts.read = Duration::from_secs(60);
    // One whole command: past it the command is stopped on the server and the call fails
    // with SessionError::Timeout.
    options.invoke_timeout = Some(Duration::from_secs(120));
    options
}
// endregion

// region: errors
/// Why a step failed: the session's error, or an error record the step did not expect.
#[derive(Debug)]
enum Failure {
    Session(SessionError),
    Record(ErrorKind, String),
}

impl From<SessionError> for Failure {
    fn from(e: SessionError) -> Self {
        Failure::Session(e)
    }
}

/// Exchange reports most failures as non-terminating error records, each with its kind:
/// `Ok` with the kind of the first one the caller accepts, `Err` for any other.
fn check(result: &CommandResult, accept: &[ErrorKind]) -> Result<Option<ErrorKind>, Failure> {
    match result.errors.first() {
        None => Ok(None),
        Some(record) => {
            let kind = ErrorKind::of_record(record);
            if accept.contains(&kind) {
                Ok(Some(kind))
            } else {
                Err(Failure::Record(
                    kind,
                    record.message().unwrap_or_default().to_owned(),
                ))
            }
        }
    }
}
// endregion

// region: enable
/// Enables a mailbox for `user`: true when it did, false when the user had one already.
async fn enable_mailbox(session: &mut Session, user: &str) -> Result<bool, Failure> {
    let result = session
        .invoke(Command::new("Enable-Mailbox").param("Identity", user))
        .await?;
    Ok(check(&result, &[ErrorKind::AlreadyExists])?.is_none())
}
// endregion

// region: set
/// Sets the mailbox's properties; setting them again changes nothing.
async fn set_properties(session: &mut Session, user: &str) -> Result<(), Failure> {
    let result = session
        .invoke(
            Command::new("Set-Mailbox")
                .param("Identity", user)
                .param("Office", "HQ-RS")
                .param("CustomAttribute1", "provisioned")
                .param("HiddenFromAddressListsEnabled", false),
        )
        .await?;
    check(&result, &[])?;
    Ok(())
}
// endregion

// region: group
/// Creates the group unless it exists: true when it did. `-ErrorAction Stop` turns
/// Exchange's "not found" into a terminating error, whose kind is NotFound.
async fn ensure_group(session: &mut Session, group: &str) -> Result<bool, Failure> {
    let lookup = Command::new("Get-DistributionGroup")
        .param("Identity", group)
        .param("ErrorAction", "Stop");
    match session.invoke(lookup).await {
        Ok(_) => Ok(false),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            let create = Command::new("New-DistributionGroup").param("Name", group);
            let result = session.invoke(create).await?;
            check(&result, &[])?;
            Ok(true)
        }
        Err(e) => Err(e.into()),
    }
}

/// Adds `user` to `group`: true when it did, false when the user was a member already.
async fn add_member(session: &mut Session, group: &str, user: &str) -> Result<bool, Failure> {
    let result = session
        .invoke(
            Command::new("Add-DistributionGroupMember")
                .param("Identity", group)
                .param("Member", user),
        )
        .await?;
    Ok(check(&result, &[ErrorKind::AlreadyExists])?.is_none())
}
// endregion

// region: stream
/// Reads every mailbox as it arrives, never holding the whole list.
async fn count_mailboxes(session: &mut Session, user: &str) -> Result<(usize, bool), SessionError> {
    let command = Command::new("Get-Mailbox").result_size(ResultSize::Unlimited);
    let mut stream = session.invoke_stream(command).await?;
    let (mut count, mut found) = (0, false);
    while let Some(item) = stream.next().await {
        match item? {
            StreamItem::Output(mailbox) => {
                count += 1;
                found |= mailbox.property("Name").and_then(|v| v.as_str()) == Some(user);
            }
            StreamItem::Error(record) => eprintln!("error record: {:?}", record.message()),
            _ => {}
        }
    }
    Ok((count, found))
}
// endregion

// region: timeout
/// A session whose commands may take 1 ms: reading every mailbox takes longer, so the
/// command is stopped on the server and the call fails with ErrorKind::Timeout.
async fn show_timeout(mut options: SessionOptions) -> Result<ErrorKind, SessionError> {
    options.invoke_timeout = Some(Duration::from_millis(1));
    let mut session = Session::connect(options).await?;
    let command = Command::new("Get-Mailbox").result_size(ResultSize::Unlimited);
    let kind = match session.invoke(command).await {
        Ok(_) => None,
        Err(e) => Some(e.kind()),
    };
    session.close().await?;
    Ok(kind.unwrap_or(ErrorKind::Command))
}
// endregion

// region: cancel
/// Cancels a running command from another task: the handle is Clone + Send + Sync.
async fn show_cancel(session: &mut Session) -> Result<ErrorKind, SessionError> {
    let cancel = session.cancel_handle();
    let command = Command::new("Get-Mailbox").result_size(ResultSize::Unlimited);
    let mut stream = session.invoke_stream(command).await?;
    let mut cancel = Some(cancel);
    while let Some(item) = stream.next().await {
        match item {
            Ok(StreamItem::Output(_)) => {
                // After the first object, as a user's "stop" or a shutdown would.
                if let Some(handle) = cancel.take() {
                    let _ = tokio::spawn(async move { handle.cancel() }).await;
                }
            }
            Ok(_) => {}
            Err(e) => return Ok(e.kind()),
        }
    }
    Ok(ErrorKind::Command)
}
// endregion

// region: pool
/// Several commands at once over a pool of two sessions; clones of a Pool share it.
async fn show_pool(options: SessionOptions, user: &str) -> Result<PoolStats, Failure> {
    let mut pool_options = PoolOptions::new(options);
    pool_options.max_sessions = 2;
    let pool = Pool::new(pool_options)?;
    let read = |name: &str| {
        let pool = pool.clone();
        let command = Command::new("Get-Mailbox").param("Identity", name.to_owned());
        async move { pool.invoke(command).await }
    };
    let (a, b, c) = tokio::join!(read("Administrator"), read(user), read("Justin Martin"));
    for result in [a?, b?, c?] {
        check(&result, &[])?;
    }
    let stats = pool.stats();
    pool.close().await?;
    Ok(stats)
}
// endregion

/// The first user without a mailbox; each run of the example provisions another.
async fn pick_user(session: &mut Session) -> Result<String, Failure> {
    let users = Command::new("Get-User").param("RecipientTypeDetails", "User");
    let result = session.invoke(users).await?;
    check(&result, &[])?;
    let name = result.output.first().and_then(|u| u.property("Name"));
    match name.and_then(|v| v.as_str()) {
        Some(name) => Ok(name.to_owned()),
        None => Err(Failure::Record(
            ErrorKind::NotFound,
            "no user without a mailbox".into(),
        )),
    }
}

// region: provision
/// The flow's steps, each idempotent: run again, it finds its work done. Says what each
/// changed: the mailbox enabled, the group created, the member added.
async fn provision(session: &mut Session, user: &str, group: &str) -> Result<[bool; 3], Failure> {
    let enabled = enable_mailbox(session, user).await?;
    set_properties(session, user).await?;
    let created = ensure_group(session, group).await?;
    let added = add_member(session, group, user).await?;
    Ok([enabled, created, added])
}
// endregion

async fn run(url: &str, account: &str, password: &str) -> Result<usize, Failure> {
    let mut failures = 0;
    // region: run
    let options = options(url, account, password);
    let mut session = Session::connect(options.clone()).await?;
    let user = pick_user(&mut session).await?;
    let group = format!("rs-example-group-{}", std::process::id());
    let first = provision(&mut session, &user, &group).await?; // [true, true, true]
    let again = provision(&mut session, &user, &group).await?; // [false, false, false]
    // endregion
    println!("connected to {url}");
    println!("{user}, first run:  enabled, created, added = {first:?}");
    println!("{user}, second run: enabled, created, added = {again:?}");
    if first != [true; 3] || again != [false; 3] {
        eprintln!("unexpected: a run changed what it should not have, or missed a change");
        failures += 1;
    }

    let (count, found) = count_mailboxes(&mut session, &user).await?;
    println!("Get-Mailbox -ResultSize Unlimited, streamed: {count} mailboxes");
    if !found {
        eprintln!("unexpected: {user} is not among the mailboxes");
        failures += 1;
    }

    let cancelled = show_cancel(&mut session).await?;
    println!("cancelled from another task: {}", cancelled.as_str());
    if cancelled != ErrorKind::Cancelled {
        eprintln!("unexpected: the stream ended with {}", cancelled.as_str());
        failures += 1;
    }

    // region: close
    let trips = session.round_trips();
    session.close().await?;
    // endregion
    println!("closed after {} WS-Management round trips", trips.wsman);

    let stats = show_pool(options.clone(), &user).await?;
    println!("pool: 3 commands on {} sessions", stats.opened);
    if stats.opened == 0 || stats.opened > 2 {
        eprintln!("unexpected: the pool opened {} sessions", stats.opened);
        failures += 1;
    }

    let timed_out = show_timeout(options).await?;
    println!("with a 1 ms limit: {}", timed_out.as_str());
    if timed_out != ErrorKind::Timeout {
        eprintln!("unexpected: the command ended with {}", timed_out.as_str());
        failures += 1;
    }
    Ok(failures)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (url, user, password) = match args.as_slice() {
        [url] => (url.as_str(), "CONTOSO\\Administrator", "P@ssw0rd!"),
        [url, user, password] => (url.as_str(), user.as_str(), password.as_str()),
        _ => {
            eprintln!("usage: provision URL [USER PASSWORD]");
            return ExitCode::from(2);
        }
    };
    install_logging();
    match run(url, user, password).await {
        Ok(0) => {
            println!("every step went as expected");
            ExitCode::SUCCESS
        }
        Ok(n) => {
            println!("{n} steps did not go as expected");
            ExitCode::FAILURE
        }
        Err(Failure::Session(e)) => {
            eprintln!("failed ({}): {e}", e.kind().as_str());
            if let Some(hint) = e.hint() {
                eprintln!("hint: {hint}");
            }
            ExitCode::FAILURE
        }
        Err(Failure::Record(kind, message)) => {
            eprintln!("failed ({}): {message}", kind.as_str());
            ExitCode::FAILURE
        }
    }
}
