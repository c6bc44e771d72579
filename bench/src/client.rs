//! Items 2 to 5 and the Rust side of item 6: our client against a running mx-sim.

use monosync_exchange::exchange::{
    BlockingSession, Command, Pool, PoolOptions, ResultSize, Session, SessionOptions, StreamItem,
};
use monosync_exchange::transport::{AuthMethod, Credentials};

use crate::BenchError;
use crate::measure::{Timer, status_kib};

/// The simulator's administrator, who may run every recipient cmdlet.
const USER: &str = "CONTOSO\\Administrator";
const PASSWORD: &str = "P@ssw0rd!";

/// NTLM with message sealing over plain HTTP, as the Exchange endpoint is reached by default.
pub fn options(url: &str) -> SessionOptions {
    SessionOptions::exchange(url, AuthMethod::Ntlm, Credentials::new(USER, PASSWORD))
}

fn get_mailbox(identity: &str) -> Command {
    Command::new("Get-Mailbox").param("Identity", identity)
}

/// Checks that a `Get-Mailbox -Identity` call found its one mailbox.
fn one_object(output: usize, errors: usize) -> Result<(), BenchError> {
    if output == 1 && errors == 0 {
        Ok(())
    } else {
        Err(BenchError::Unexpected(format!(
            "Get-Mailbox -Identity gave {output} objects and {errors} errors"
        )))
    }
}

/// Items 2 and 3: opens a session, runs `calls` sequential `Get-Mailbox -Identity`, closes.
pub async fn calls(
    url: &str,
    calls: usize,
    identity: &str,
) -> Result<serde_json::Value, BenchError> {
    let mut out = serde_json::Map::new();
    let timer = Timer::start();
    let mut session = Session::connect(options(url)).await?;
    let open = timer.stop();
    open.json("open", &mut out);
    let trips = session.round_trips();
    out.insert("open_http".into(), trips.http.into());

    let timer = Timer::start();
    for _ in 0..calls {
        let result = session.invoke(get_mailbox(identity)).await?;
        one_object(result.output.len(), result.errors.len())?;
    }
    let phase = timer.stop();
    phase.json("calls", &mut out);
    let after = session.round_trips();
    out.insert("calls_http".into(), (after.http - trips.http).into());
    out.insert("calls_wsman".into(), (after.wsman - trips.wsman).into());
    session.close().await?;
    out.insert("bench".into(), "calls".into());
    out.insert("calls".into(), calls.into());
    Ok(out.into())
}

/// Item 6, the Rust side: the same calls through [`BlockingSession`], which the Python module
/// and the C library wrap. Runs outside any tokio runtime.
pub fn blocking_calls(
    url: &str,
    calls: usize,
    identity: &str,
) -> Result<serde_json::Value, BenchError> {
    let mut out = serde_json::Map::new();
    let timer = Timer::start();
    let session = BlockingSession::connect(options(url))?;
    timer.stop().json("open", &mut out);
    let timer = Timer::start();
    for _ in 0..calls {
        let result = session.invoke(get_mailbox(identity))?;
        one_object(result.output.len(), result.errors.len())?;
    }
    timer.stop().json("calls", &mut out);
    session.close()?;
    out.insert("bench".into(), "blocking_calls".into());
    out.insert("calls".into(), calls.into());
    Ok(out.into())
}

/// Item 4: streams `Get-Mailbox -ResultSize Unlimited`, holding one object at a time.
pub async fn bulk(url: &str) -> Result<serde_json::Value, BenchError> {
    let mut out = serde_json::Map::new();
    let mut session = Session::connect(options(url)).await?;
    let rss_before = status_kib("VmHWM:");
    let timer = Timer::start();
    let mut stream = session
        .invoke_stream(Command::new("Get-Mailbox").result_size(ResultSize::Unlimited))
        .await?;
    let mut objects = 0u64;
    let mut names = 0u64;
    while let Some(item) = stream.next().await {
        if let StreamItem::Output(value) = item? {
            objects += 1;
            // Touch the object, as a caller would.
            if value.property("Name").and_then(|n| n.as_str()).is_some() {
                names += 1;
            }
        }
    }
    drop(stream);
    timer.stop().json("bulk", &mut out);
    if names != objects {
        return Err(BenchError::Unexpected(format!(
            "{objects} objects, {names} with a Name"
        )));
    }
    session.close().await?;
    out.insert("bench".into(), "bulk".into());
    out.insert("objects".into(), objects.into());
    out.insert("rss_before_kib".into(), rss_before.into());
    out.insert("peak_rss_kib".into(), status_kib("VmHWM:").into());
    Ok(out.into())
}

/// Item 5: `calls` `Get-Mailbox -Identity` spread over `sessions` tasks sharing one pool of
/// `sessions` sessions. The sessions are opened (and timed) first.
pub async fn concurrent(
    url: &str,
    sessions: usize,
    calls: usize,
    identity: &str,
) -> Result<serde_json::Value, BenchError> {
    let mut options = PoolOptions::new(options(url));
    options.max_sessions = sessions;
    let pool = Pool::new(options)?;
    let mut out = serde_json::Map::new();

    let run = |per_task: usize| {
        let tasks: Vec<_> = (0..sessions)
            .map(|_| {
                let pool = pool.clone();
                let identity = identity.to_owned();
                tokio::spawn(async move {
                    for _ in 0..per_task {
                        let result = pool.invoke(get_mailbox(&identity)).await?;
                        one_object(result.output.len(), result.errors.len())?;
                    }
                    Ok::<(), BenchError>(())
                })
            })
            .collect();
        async move {
            for task in tasks {
                task.await
                    .map_err(|e| BenchError::Unexpected(e.to_string()))??;
            }
            Ok::<(), BenchError>(())
        }
    };
    // One call per task opens every session.
    let timer = Timer::start();
    run(1).await?;
    timer.stop().json("open", &mut out);
    let per_task = calls.div_ceil(sessions.max(1));
    let timer = Timer::start();
    run(per_task).await?;
    timer.stop().json("calls", &mut out);
    pool.close().await?;
    out.insert("bench".into(), "concurrent".into());
    out.insert("sessions".into(), sessions.into());
    out.insert("calls".into(), (per_task * sessions).into());
    Ok(out.into())
}
