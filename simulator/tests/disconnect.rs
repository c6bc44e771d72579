//! Disconnect, Reconnect and Connect ([MS-WSMV] 3.1.4.15 to 3.1.4.17) and the background
//! reaping of idle shells, with raw WS-Management envelopes over HTTP.

mod common;

use std::time::{Duration, Instant};

use common::{Client, ClientError, Outcome};
use monosync_exchange::psrp::{
    Command, PSInvocationState, PowerShellSpec, RunspacePool, RunspacePoolOptions,
    RunspacePoolState, TransmitPurpose,
};
use monosync_exchange::transport::AuthMethod;
use monosync_exchange::wsman::namespaces::{RESOURCE_EXCHANGE, SHELL, signal};
use monosync_exchange::wsman::response::EnumerationItem;
use monosync_exchange::wsman::{Header, Request, Response, Selector};
use mx_sim::{Endpoint, RunningServer, Server, SimConfig};

const ADMIN: &str = "Administrator";
const ADMIN_PW: &str = "P@ssw0rd!";
const SHELL_DISCONNECTED: u32 = 2_150_859_204;
const UNKNOWN_SHELL: u32 = 2_150_858_843;
const INTERNAL_ERROR: u32 = 2_150_858_770;

fn ntlm_client(server: &RunningServer) -> Client {
    let url = server.url(Endpoint::PowerShell);
    let opts = Client::options(&url, AuthMethod::Ntlm, ADMIN, ADMIN_PW);
    Client::new(&url, RESOURCE_EXCHANGE, opts)
}

async fn disconnect(client: &mut Client, idle: Option<Duration>) -> Result<Response, ClientError> {
    let header = client.header();
    client
        .call(&header, &Request::Disconnect { idle_timeout: idle })
        .await
}

async fn reconnect(client: &mut Client) -> Result<Response, ClientError> {
    let header = client.header();
    client.call(&header, &Request::Reconnect).await
}

async fn connect_command(client: &mut Client, id: uuid::Uuid) -> Result<Response, ClientError> {
    let header = client.header();
    let request = Request::Connect {
        command_id: Some(id),
        connect_xml: None,
    };
    client.call(&header, &request).await
}

async fn enumerate(
    client: &mut Client,
    resource_uri: &str,
    selector_filter: Vec<Selector>,
) -> Vec<EnumerationItem> {
    let header = Header::new(&client.url, resource_uri, uuid::Uuid::new_v4(), 512_000);
    let request = Request::Enumerate {
        optimize: true,
        max_elements: Some(32_000),
        selector_filter,
    };
    match client.call(&header, &request).await.expect("enumerates") {
        Response::Enumerate(e) => {
            assert!(e.end_of_sequence);
            e.items
        }
        other => panic!("not an EnumerateResponse: {other:?}"),
    }
}

/// Receives a pipeline to its end.
async fn finish(client: &mut Client, id: uuid::Uuid) -> Outcome {
    let mut outcome = Outcome::default();
    loop {
        let done = client.receive(Some(id)).await.expect("receives");
        client.collect(&mut outcome);
        if done {
            break;
        }
    }
    client
        .signal(id, signal::TERMINATE)
        .await
        .expect("terminated");
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnected_shell_keeps_its_output_until_reconnect() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    let mut client = ntlm_client(&server);
    client.open().await.expect("shell opens");
    let id = client
        .start(&PowerShellSpec::new(
            Command::new("Get-Mailbox").param("ResultSize", 7),
        ))
        .await
        .expect("starts");
    assert_eq!(
        disconnect(&mut client, Some(Duration::from_secs(60)))
            .await
            .expect("disconnects"),
        Response::Disconnect
    );
    // Nothing but Reconnect, Connect and Delete reaches a disconnected shell.
    let err = client.receive(Some(id)).await.expect_err("disconnected");
    assert_eq!(err.fault_code(), Some(SHELL_DISCONNECTED));
    let err = disconnect(&mut client, None).await.expect_err("already");
    assert_eq!(err.fault_code(), Some(SHELL_DISCONNECTED));
    let err = connect_command(&mut client, id)
        .await
        .expect_err("the shell first");
    assert_eq!(err.fault_code(), Some(SHELL_DISCONNECTED));
    // A new connection (the client's first went away) finds the shell still there.
    client.transport.disconnect();
    assert_eq!(server.shell_count(), 1);
    assert_eq!(
        reconnect(&mut client).await.expect("reconnects"),
        Response::Reconnect
    );
    let Response::Connect(connected) = connect_command(&mut client, id)
        .await
        .expect("the command is connected")
    else {
        panic!("not a ConnectResponse");
    };
    assert_eq!(connected.output_streams, vec!["stdout".to_owned()]);
    let err = connect_command(&mut client, uuid::Uuid::new_v4())
        .await
        .expect_err("no such command");
    assert_eq!(err.fault_code(), Some(2_150_858_843));
    let outcome = finish(&mut client, id).await;
    assert_eq!(outcome.state, Some(PSInvocationState::Completed));
    assert_eq!(outcome.output.len(), 7, "the buffered output arrives");
    // The runspace is the same one: it runs more.
    let outcome = client
        .run(&PowerShellSpec::new(Command::new("Get-Mailbox").arg(ADMIN)))
        .await
        .expect("runs after reconnecting");
    assert_eq!(outcome.output.len(), 1);
    // Reconnect on a connected shell is ignored; Connect on one is an error.
    assert_eq!(
        reconnect(&mut client).await.expect("ignored"),
        Response::Reconnect
    );
    let header = client.header();
    let err = client
        .call(
            &header,
            &Request::Connect {
                command_id: None,
                connect_xml: None,
            },
        )
        .await
        .expect_err("connected already");
    assert_eq!(err.fault_code(), Some(INTERNAL_ERROR));
    client.delete().await.expect("deleted");
    assert_eq!(server.shell_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_client_connects_to_a_disconnected_shell() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    let mut first = ntlm_client(&server);
    first.open().await.expect("shell opens");
    let running = first
        .start(&PowerShellSpec::new(
            Command::new("Get-Mailbox").param("ResultSize", 3),
        ))
        .await
        .expect("starts");
    disconnect(&mut first, None).await.expect("disconnects");
    let pool_id = first.pool.id();
    let shell_id = first.shell_id;
    drop(first);

    let mut second = ntlm_client(&server);
    // What a new client sees: the shell, disconnected, and its command.
    let shells = enumerate(&mut second, SHELL, Vec::new()).await;
    let [EnumerationItem::Shell(shell)] = shells.as_slice() else {
        panic!("one shell: {shells:?}");
    };
    let property = |name: &str| {
        shell
            .properties
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(property("State").as_deref(), Some("Disconnected"));
    assert_eq!(
        property("ShellId"),
        shell_id.map(monosync_exchange::wsman::header::format_guid)
    );
    let filter = vec![Selector {
        name: "ShellId".into(),
        value: property("ShellId").unwrap_or_default(),
    }];
    let commands = enumerate(&mut second, &format!("{SHELL}/Command"), filter).await;
    let [EnumerationItem::Command(command)] = commands.as_slice() else {
        panic!("one command: {commands:?}");
    };
    assert_eq!(command.command_id, running);
    second.pool = RunspacePool::new(RunspacePoolOptions::new(pool_id));
    second.shell_id = shell_id;
    second.pool.connect().expect("connect queued");
    let t = second.pool.poll_transmit(200_000).expect("connectXml");
    assert_eq!(t.purpose, TransmitPurpose::Connect);
    let header = second.header();
    let response = second
        .call(
            &header,
            &Request::Connect {
                command_id: None,
                connect_xml: Some(t.data),
            },
        )
        .await
        .expect("connects");
    let Response::Connect(connect) = response else {
        panic!("not a ConnectResponse: {response:?}");
    };
    let xml = connect.connect_response_xml.expect("connectResponseXml");
    second.pool.receive(None, &xml).expect("init data");
    while second.pool.poll_event().is_some() {}
    assert_eq!(second.pool.state(), RunspacePoolState::Opened);
    // The first pool-level Receive brings RUNSPACEPOOL_STATE Opened, as Windows sends it.
    second.receive(None).await.expect("the pool state");
    assert_eq!(second.pool.state(), RunspacePoolState::Opened);
    let outcome = second
        .run(&PowerShellSpec::new(Command::new("Get-Mailbox").arg(ADMIN)))
        .await
        .expect("runs on the connected shell");
    assert_eq!(outcome.state, Some(PSInvocationState::Completed));
    assert_eq!(outcome.output.len(), 1);
    second.delete().await.expect("deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnected_shell_expires_after_the_disconnect_idle_timeout() {
    let server = Server::start(SimConfig::default()).expect("server starts");
    let mut client = ntlm_client(&server);
    client.open().await.expect("shell opens");
    disconnect(&mut client, Some(Duration::from_millis(300)))
        .await
        .expect("disconnects");
    // Refused requests do not count as use: asked every 20 ms, the shell still goes.
    let started = Instant::now();
    loop {
        let err = client
            .receive(None)
            .await
            .expect_err("disconnected or gone");
        if err.fault_code() == Some(UNKNOWN_SHELL) {
            break;
        }
        assert_eq!(err.fault_code(), Some(SHELL_DISCONNECTED));
        assert!(started.elapsed() < Duration::from_secs(3), "never expired");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(server.shell_count(), 0);
    let err = reconnect(&mut client).await.expect_err("gone");
    assert_eq!(err.fault_code(), Some(UNKNOWN_SHELL));
}

async fn wait_for_no_shells(server: &RunningServer, limit: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if server.shell_count() == 0 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_shells_are_reaped_in_the_background_and_free_the_quota() {
    let mut config = SimConfig::default();
    config.service.idle_timeout = Duration::from_millis(400);
    config.service.max_shells_per_user = 2;
    let server = Server::start(config).expect("server starts");
    let mut a = ntlm_client(&server);
    let mut b = ntlm_client(&server);
    let mut c = ntlm_client(&server);
    a.open().await.expect("first shell");
    b.open().await.expect("second shell");
    let err = c.open().await.expect_err("over the quota");
    assert_eq!(err.fault_code(), Some(2_150_859_173));
    assert_eq!(server.shell_count(), 2);
    // No request touches the server: the shells go by themselves.
    let started = Instant::now();
    assert!(wait_for_no_shells(&server, Duration::from_secs(5)).await);
    assert!(started.elapsed() >= Duration::from_millis(200));
    let err = a.receive(None).await.expect_err("reaped");
    assert_eq!(err.fault_code(), Some(UNKNOWN_SHELL));
    let mut d = ntlm_client(&server);
    d.open().await.expect("the quota is free again");
    d.delete().await.expect("deleted");
}
