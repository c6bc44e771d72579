//! `mx`: run Exchange cmdlets over WinRM/PSRP from the command line, convert CLIXML to JSON,
//! and show the whole stack at work against an in-process mx-sim (`mx demo`).
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod args;
mod clixml_cmd;
mod console;
mod demo;
mod doctor;
mod error;
mod help_files;
mod output;
mod params;
mod run;

use std::process::ExitCode;

use clap::Parser as _;

use crate::args::{Cli, Mode};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version on stdout with success; usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                error::EXIT_USAGE
            } else {
                error::EXIT_OK
            });
        }
    };
    match top_level(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            console::write_err(format_args!("mx: {e:#}"));
            ExitCode::from(error::EXIT_PROTOCOL)
        }
    }
}

/// Runs the subcommand; only the runtime's own start-up failure comes back as an error.
fn top_level(cli: Cli) -> anyhow::Result<u8> {
    Ok(match cli.mode {
        Mode::Clixml(a) => clixml_cmd::main(&a),
        Mode::Demo => runtime()?.block_on(demo::main()),
        Mode::Run(a) => runtime()?.block_on(run::main(*a)),
        Mode::Doctor(a) => runtime()?.block_on(doctor::main(*a)),
        Mode::Completions(a) => help_files::completions(a.shell),
        Mode::Man(a) => help_files::man(a.dir.as_deref()),
    })
}

/// Two workers: the session's I/O and, in `mx demo`, the simulator it talks to.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}
