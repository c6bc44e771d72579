//! The WinRS shell machines paired in memory: `ShellClient` against `ShellServer`, with a
//! tiny Exchange as the server's host and a clock the tests move (see `common::pairing`).
//! What a client session does end to end, request by request, without sockets.

mod common;

use std::time::Duration;

use common::exchange_host::ExchangeHost;
use common::pairing::{Finish, MACHINE, Pairing, server_config, shell_config};
use monosync_exchange::clixml::{PsValue, PsVersion};
use monosync_exchange::exchange::{Command, SessionError, StreamItem};
use monosync_exchange::psrp::messages::RemoteHostMethodId;
use monosync_exchange::psrp::{PSInvocationState, RunspacePoolState};

fn prop<'a>(v: &'a PsValue, name: &str) -> Option<&'a str> {
    v.property(name).and_then(PsValue::as_str)
}

fn listing() -> Command {
    Command::new("Get-Mailbox").param("ResultSize", "Unlimited")
}

/// Starts the listing and reads once: the stream is left with output still to come.
fn read_some_of_the_listing(p: &mut Pairing) -> uuid::Uuid {
    let pipeline = p.start(listing()).expect("start");
    let read = p.read(pipeline);
    assert!(read.end.is_none(), "{:?}", read.end);
    assert!(matches!(read.items.first(), Some(StreamItem::Output(_))));
    pipeline
}

#[test]
fn connect_opens_with_create_and_one_receive() {
    let mut p = Pairing::connect(ExchangeHost::new(&["Ann"], 0));
    assert_eq!(p.actions_since(0), ["Create", "Receive"]);
    assert_eq!(p.client.operations(), 2);
    // The server speaks protocol 2.3, so the envelope grows to 512000 bytes.
    assert_eq!(p.client.max_envelope_size(), 512_000);
    assert_eq!(p.client.pool().state(), RunspacePoolState::Opened);
    assert_eq!(p.server.shell_count(), 1);
    p.close();
    assert_eq!(p.server.shell_count(), 0);
    assert_eq!(p.client.pool().state(), RunspacePoolState::Closed);
    assert_eq!(p.actions_since(2), ["Delete"]);
}

#[test]
fn get_mailbox_returns_properties_and_ends_the_command() {
    let mut p = Pairing::connect(ExchangeHost::new(&["Ann"], 0));
    let before = p.seen.len();
    let result = p
        .invoke(Command::new("Get-Mailbox").param("Identity", "Ann"))
        .completed();
    assert_eq!(result.output.len(), 1);
    assert_eq!(prop(&result.output[0], "Name"), Some("Ann"));
    assert_eq!(
        prop(&result.output[0], "PrimarySmtpAddress"),
        Some("ann@corp.example")
    );
    assert!(result.errors.is_empty());
    assert_eq!(p.actions_since(before), ["Command", "Receive", "Signal"]);
    assert_eq!(p.live_commands(), 0, "the terminate signal ended it");
    p.close();
}

#[test]
fn not_found_surfaces_as_an_error_record() {
    let mut p = Pairing::connect(ExchangeHost::new(&["Ann"], 0));
    let result = p
        .invoke(Command::new("Get-Mailbox").param("Identity", "nobody"))
        .completed();
    assert!(result.output.is_empty());
    assert_eq!(result.errors.len(), 1);
    let record = &result.errors[0];
    assert!(
        record
            .fully_qualified_error_id()
            .is_some_and(|id| id.contains("ManagementObjectNotFoundException")
                && id.ends_with("Microsoft.Exchange.Management.RecipientTasks.GetMailbox"))
    );
    assert_eq!(
        record.exception_type(),
        Some("Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException")
    );
    p.close();
}

#[test]
fn a_terminating_error_is_a_pipeline_failure() {
    let mut p = Pairing::connect(ExchangeHost::new(&[], 0));
    let ran = p.invoke(Command::new("Remove-Everything"));
    match ran.end {
        Ok(Finish {
            state: PSInvocationState::Failed,
            error: Some(record),
        }) => assert_eq!(
            record.fully_qualified_error_id(),
            Some("CommandNotFoundException")
        ),
        other => panic!("expected a pipeline failure, got {other:?}"),
    }
    assert_eq!(p.live_commands(), 0);
    // The shell is still usable.
    let r = p.invoke(Command::new("Write-Streams")).completed();
    assert_eq!(r.output, vec![PsValue::I32(42)]);
    p.close();
}

#[test]
fn every_stream_is_collected() {
    let mut p = Pairing::connect(ExchangeHost::new(&[], 0));
    let r = p.invoke(Command::new("Write-Streams")).completed();
    let messages = |records: &[monosync_exchange::psrp::messages::InformationalRecord]| {
        records
            .iter()
            .map(|w| w.message.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(messages(&r.warnings), ["w1"]);
    assert_eq!(messages(&r.verbose), ["v1"]);
    assert_eq!(messages(&r.debug), ["d1"]);
    assert_eq!(r.output, vec![PsValue::I32(42)]);
    p.close();
}

#[test]
fn secure_string_parameters_run_the_key_exchange_once() {
    let mut p = Pairing::connect(ExchangeHost::new(&[], 0));
    let before = p.seen.len();
    let r = p
        .invoke(
            Command::new("New-Mailbox")
                .param("Name", "Bob")
                .secure("Password", "S3cret!pw"),
        )
        .completed();
    assert_eq!(prop(&r.output[0], "Name"), Some("Bob"));
    assert_eq!(
        p.actions_since(before),
        ["Send", "Receive", "Command", "Receive", "Signal"]
    );
    let before = p.seen.len();
    p.invoke(
        Command::new("New-Mailbox")
            .param("Name", "Cy")
            .secure("Password", "other"),
    )
    .completed();
    assert_eq!(p.actions_since(before), ["Command", "Receive", "Signal"]);
    assert_eq!(p.host.passwords, ["S3cret!pw", "other"]);
    let r = p
        .invoke(Command::new("Get-Mailbox").param("Identity", "Bob"))
        .completed();
    assert_eq!(prop(&r.output[0], "Alias"), Some("bob"));
    p.close();
}

#[test]
fn host_calls_are_answered_and_surfaced() {
    let mut p = Pairing::connect(ExchangeHost::new(&[], 0));
    let r = p.invoke(Command::new("Read-Host")).completed();
    assert_eq!(r.host_calls.len(), 1);
    assert_eq!(r.host_calls[0].0.method, RemoteHostMethodId::ReadLine);
    // The server saw the error answer, sent on the pr stream of the command.
    assert_eq!(r.output, vec![PsValue::String("HostNotInteractive".into())]);
    assert_eq!(p.sent.len(), 1, "{:?}", p.sent);
    assert_eq!(p.sent[0].0, "pr");
    assert!(p.sent[0].1.is_some(), "addressed to the command");
    p.close();
}

#[test]
fn streaming_counts_many_objects_over_many_receives() {
    let mut p = Pairing::connect(ExchangeHost::new(&[], 3000));
    let before = p.seen.len();
    let pipeline = p.start(listing()).expect("start");
    let mut count = 0usize;
    let mut last = String::new();
    let end = loop {
        let read = p.read(pipeline);
        for item in read.items {
            match item {
                StreamItem::Output(v) => {
                    count += 1;
                    last = prop(&v, "Name").unwrap_or_default().to_owned();
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        if let Some(end) = read.end {
            break end;
        }
    };
    assert!(matches!(
        end,
        Ok(Finish {
            state: PSInvocationState::Completed,
            ..
        })
    ));
    assert_eq!(count, 3000);
    assert_eq!(last, "User02999");
    let receives = p
        .actions_since(before)
        .iter()
        .filter(|a| **a == "Receive")
        .count();
    assert!(
        receives > 1,
        "the output spans several Receives: {receives}"
    );
    assert_eq!(p.live_commands(), 0);
    p.close();
}

#[test]
fn a_dropped_stream_is_stopped_before_the_next_command() {
    let mut p = Pairing::connect(ExchangeHost::new(&[], 3000));
    let pipeline = read_some_of_the_listing(&mut p);
    p.client.abandon(pipeline);
    assert_eq!(p.live_commands(), 1);
    let before = p.seen.len();
    let r = p.invoke(Command::new("Write-Streams")).completed();
    assert_eq!(r.output, vec![PsValue::I32(42)]);
    let actions = p.actions_since(before);
    assert_eq!(actions[0], "Signal", "the stop comes first: {actions:?}");
    assert_eq!(
        p.headers_of("Signal").len(),
        3,
        "stop and end the listing, end the next command"
    );
    assert_eq!(p.live_commands(), 0);
    p.close();
}

#[test]
fn cancel_stops_the_command() {
    let mut p = Pairing::connect(ExchangeHost::new(&[], 0));
    let start = p.now;
    p.cancel_at = Some(start + Duration::from_millis(500));
    let err = p.invoke(Command::new("Wait-Forever")).failure();
    assert!(matches!(err, SessionError::Cancelled), "{err:?}");
    assert_eq!(p.now, start + Duration::from_millis(500));
    let signals = p.headers_of("Signal").len();
    assert_eq!(signals, 2, "stop, then terminate: {:?}", p.actions_since(0));
    assert_eq!(p.live_commands(), 0);
    let r = p.invoke(Command::new("Write-Streams")).completed();
    assert_eq!(r.output, vec![PsValue::I32(42)]);
    p.close();
}

#[test]
fn invoke_timeout_stops_the_command() {
    let mut config = shell_config();
    config.invoke_timeout = Some(Duration::from_millis(400));
    let mut p = Pairing::with(ExchangeHost::new(&[], 0), config, server_config());
    p.open();
    let start = p.now;
    let err = p.invoke(Command::new("Wait-Forever")).failure();
    assert!(
        matches!(err, SessionError::Timeout(d) if d == Duration::from_millis(400)),
        "{err:?}"
    );
    // The Receive was given up at the deadline, before its own OperationTimeout of a second.
    assert_eq!(p.now, start + Duration::from_millis(400));
    assert_eq!(p.live_commands(), 0);
    p.close();
}

#[test]
fn a_silent_command_is_received_again_after_each_operation_timeout() {
    let mut p = Pairing::connect(ExchangeHost::new(&[], 0));
    let start = p.now;
    p.cancel_at = Some(start + Duration::from_millis(2_500));
    let before = p.seen.len();
    let err = p.invoke(Command::new("Wait-Forever")).failure();
    assert!(matches!(err, SessionError::Cancelled), "{err:?}");
    // Two Receives ran into the TimedOut fault; the third was cancelled.
    let receives = p.actions_since(before)[..4].to_vec();
    assert_eq!(receives, ["Command", "Receive", "Receive", "Receive"]);
    p.close();
}

#[test]
fn dropping_a_session_sends_one_delete() {
    let mut p = Pairing::connect(ExchangeHost::new(&[], 0));
    let before = p.seen.len();
    p.delete_on_drop().expect("deleted");
    assert_eq!(p.actions_since(before), ["Delete"]);
    assert_eq!(p.server.shell_count(), 0);
}

#[test]
fn a_vanished_shell_is_a_fault_with_its_code() {
    let mut p = Pairing::connect(ExchangeHost::new(&[], 0));
    // The server deletes the shell once it was idle for its IdleTimeout.
    p.now += server_config().idle_timeout;
    let err = p.invoke(Command::new("Write-Streams")).failure();
    assert_eq!(p.server.shell_count(), 0);
    let fault = err.fault().expect("a fault");
    assert_eq!(fault.wsman_code, Some(2_150_858_843));
    assert_eq!(fault.machine.as_deref(), Some(MACHINE));
}

#[test]
fn requests_carry_what_windows_clients_send() {
    let mut p = Pairing::connect(ExchangeHost::new(&["Ann"], 0));
    p.invoke(Command::new("Get-Mailbox").param("Identity", "Ann"))
        .completed();
    let shell = p.client.shell_id().expect("shell id");
    p.close();
    let create = p.headers_of("Create");
    assert_eq!(create.len(), 1);
    assert_eq!(
        create[0].resource_uri,
        "http://schemas.microsoft.com/powershell/Microsoft.Exchange"
    );
    assert_eq!(create[0].option("protocolversion"), Some("2.3"));
    assert_eq!(
        create[0].options[0].must_comply,
        Some(true),
        "the server must honour the protocol version"
    );
    assert_eq!(create[0].max_envelope_size, Some(153_600));
    assert_eq!(create[0].shell_id().ok().flatten(), None);
    let receives = p.headers_of("Receive");
    assert_eq!(receives.len(), 2);
    for h in receives {
        assert_eq!(h.option("WSMAN_CMDSHELL_OPTION_KEEPALIVE"), Some("True"));
        assert_eq!(h.operation_timeout, Some(Duration::from_secs(1)));
        assert_eq!(h.shell_id().ok().flatten(), Some(shell));
    }
    let command = p.headers_of("Command");
    assert_eq!(command[0].option("WINRS_SKIP_CMD_SHELL"), Some("False"));
    // After the server's SESSION_CAPABILITY (protocol 2.3) every request may be 512000 bytes.
    assert_eq!(command[0].max_envelope_size, Some(512_000));
    assert_eq!(command[0].locale.as_deref(), Some("en-US"));
    assert_eq!(command[0].data_locale.as_deref(), Some("en-US"));
    assert_eq!(p.headers_of("Delete").len(), 1);
}

#[test]
fn an_old_server_keeps_the_small_envelope() {
    let mut server = server_config();
    server.pool_options.protocol_version = PsVersion {
        major: 2,
        minor: 1,
        build: None,
        revision: None,
    };
    let mut p = Pairing::with(ExchangeHost::new(&["Ann"], 0), shell_config(), server);
    p.open();
    assert_eq!(p.client.max_envelope_size(), 153_600);
    p.invoke(Command::new("Get-Mailbox").param("Identity", "Ann"))
        .completed();
    p.close();
    let sizes: Vec<Option<u32>> = p.seen.iter().map(|s| s.header.max_envelope_size).collect();
    assert!(sizes.iter().all(|m| *m == Some(153_600)), "{sizes:?}");
}

#[test]
fn close_after_a_dropped_stream_is_one_delete() {
    let mut p = Pairing::connect(ExchangeHost::new(&[], 3000));
    let pipeline = read_some_of_the_listing(&mut p);
    p.client.abandon(pipeline);
    let before = p.seen.len();
    p.close();
    assert_eq!(p.actions_since(before), ["Delete"]);
    assert_eq!(p.server.shell_count(), 0);
}

#[test]
fn a_large_create_pipeline_continues_in_sends() {
    let mut p = Pairing::connect(ExchangeHost::new(&[], 0));
    // Far beyond one 512000-byte envelope: the rest of CREATE_PIPELINE follows the Command
    // in Sends on the command's stdin.
    let identity = "x".repeat(900_000);
    let before = p.seen.len();
    let r = p
        .invoke(Command::new("Get-Mailbox").param("Identity", identity.as_str()))
        .completed();
    assert_eq!(r.errors.len(), 1);
    assert_eq!(
        r.errors[0]
            .category_info()
            .and_then(|c| c.target_name)
            .map(|t| t.len()),
        Some(900_000)
    );
    let ops = p.actions_since(before);
    assert_eq!(ops[0], "Command");
    assert!(
        ops[1..].iter().take_while(|o| **o == "Send").count() >= 2,
        "{ops:?}"
    );
    assert!(
        p.sent
            .iter()
            .all(|(name, id)| name == "stdin" && id.is_some())
    );
    assert!(
        p.seen
            .iter()
            .all(|s| s.header.max_envelope_size <= Some(512_000)),
        "every request within the envelope"
    );
    p.close();
}

#[test]
fn the_servers_shell_and_command_ids_are_used_whatever_the_client_proposed() {
    let mut p = Pairing::new(ExchangeHost::new(&["Ann"], 3000));
    p.assign_ids = true;
    p.open();
    let shell = p.assigned[0];
    assert_eq!(p.client.shell_id(), Some(shell));
    assert_ne!(
        shell,
        p.client.pool().id(),
        "the server chose its own ShellId"
    );
    // A command that completes, then the key exchange and a SecureString command, then a
    // stopped stream and a cancelled command: every path that names the command.
    let r = p
        .invoke(Command::new("Get-Mailbox").param("Identity", "Ann"))
        .completed();
    assert_eq!(prop(&r.output[0], "Name"), Some("Ann"));
    p.invoke(
        Command::new("New-Mailbox")
            .param("Name", "Bob")
            .secure("Password", "S3cret!pw"),
    )
    .completed();
    let pipeline = read_some_of_the_listing(&mut p);
    assert_ne!(
        p.assigned.last(),
        Some(&pipeline),
        "the server chose its own CommandId"
    );
    p.client.abandon(pipeline);
    p.cancel_at = Some(p.now + Duration::from_millis(300));
    let err = p.invoke(Command::new("Wait-Forever")).failure();
    assert!(matches!(err, SessionError::Cancelled), "{err:?}");
    assert_eq!(p.live_commands(), 0, "every command was terminated");
    p.close();
    assert_eq!(p.assigned.len(), 5, "one shell and four commands");
    for (shell_named, command_named) in &p.named {
        assert_eq!(*shell_named, Some(shell));
        if let Some(c) = command_named {
            assert!(p.assigned.contains(c), "{c} is not a server id");
        }
    }
    let commands_named = p.named.iter().filter(|(_, c)| c.is_some()).count();
    assert!(
        commands_named >= 10,
        "{commands_named} requests named a command"
    );
}
