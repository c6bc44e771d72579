//! `mx-bench`: one benchmark per run, its figures as one JSON line on stdout. `bench/run.py`
//! starts mx-sim, runs these and the other clients on the same work, and writes the table.
//!
//! ```text
//! mx-bench decode [--objects N] [--passes P] [--write FILE]
//! mx-bench calls URL [--calls N] [--identity ID]
//! mx-bench blocking-calls URL [--calls N] [--identity ID]
//! mx-bench bulk URL
//! mx-bench concurrent URL [--sessions S] [--calls N] [--identity ID]
//! ```

mod client;
mod decode;
mod measure;

use std::path::PathBuf;
use std::process::ExitCode;

use monosync_exchange::clixml::ClixmlError;
use monosync_exchange::exchange::SessionError;

/// Why a benchmark stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// Bad command line.
    #[error("usage: {0}")]
    Usage(String),
    /// A file could not be written.
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
    /// A message too large for the record format.
    #[error("a message of {0} bytes")]
    TooLarge(usize),
    /// Nothing to measure.
    #[error("no objects")]
    Empty,
    /// The decoder failed.
    #[error(transparent)]
    Clixml(#[from] ClixmlError),
    /// The session failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The work gave other results than it must.
    #[error("{0}")]
    Unexpected(String),
}

/// The command line: the benchmark, an optional URL and `--flag value` pairs.
struct Args {
    bench: String,
    url: Option<String>,
    flags: Vec<(String, String)>,
}

impl Args {
    fn parse() -> Result<Args, BenchError> {
        let mut args = std::env::args().skip(1);
        let bench = args
            .next()
            .ok_or_else(|| BenchError::Usage("mx-bench BENCH [URL] [--flag value]...".into()))?;
        let mut url = None;
        let mut flags = Vec::new();
        while let Some(arg) = args.next() {
            if let Some(flag) = arg.strip_prefix("--") {
                let value = args
                    .next()
                    .ok_or_else(|| BenchError::Usage(format!("--{flag} needs a value")))?;
                flags.push((flag.to_owned(), value));
            } else {
                url = Some(arg);
            }
        }
        Ok(Args { bench, url, flags })
    }

    fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, v)| v.as_str())
    }

    fn number(&self, name: &str, default: usize) -> Result<usize, BenchError> {
        self.flag(name).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| BenchError::Usage(format!("--{name} wants a number, not {v:?}")))
        })
    }

    fn url(&self) -> Result<&str, BenchError> {
        self.url
            .as_deref()
            .ok_or_else(|| BenchError::Usage(format!("mx-bench {} URL", self.bench)))
    }
}

fn run(args: &Args) -> Result<serde_json::Value, BenchError> {
    let identity = args.flag("identity").unwrap_or("Administrator");
    let calls = args.number("calls", 2000)?;
    let runtime = || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| BenchError::Io("tokio runtime".into(), e))
    };
    match args.bench.as_str() {
        "decode" => decode::run(
            args.number("objects", 10_000)?,
            args.number("passes", 3)?,
            args.flag("write").map(PathBuf::from).as_deref(),
        ),
        "calls" => runtime()?.block_on(client::calls(args.url()?, calls, identity)),
        "blocking-calls" => client::blocking_calls(args.url()?, calls, identity),
        "bulk" => runtime()?.block_on(client::bulk(args.url()?)),
        "concurrent" => runtime()?.block_on(client::concurrent(
            args.url()?,
            args.number("sessions", 8)?,
            calls,
            identity,
        )),
        other => Err(BenchError::Usage(format!("unknown benchmark {other:?}"))),
    }
}

fn main() -> ExitCode {
    match Args::parse().and_then(|args| run(&args)) {
        Ok(figures) => {
            println!("{figures}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mx-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
