//! `mx completions` and `mx man`: shell completion scripts and man pages generated from the
//! same clap definition as the parser, so they never drift from the flags mx accepts.

use std::io::Write as _;
use std::path::Path;

use clap::CommandFactory as _;

use crate::args::Cli;
use crate::error::{EXIT_OK, EXIT_USAGE};

/// Prints the completion script for `shell` on standard output.
pub(crate) fn completions(shell: clap_complete::Shell) -> u8 {
    // Rendered into memory first: writing to a Vec cannot fail, and a closed stdout is then an
    // error reported below rather than a panic inside the generator.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "mx", &mut script);
    report(std::io::stdout().write_all(&script))
}

/// Prints mx.1, or writes mx.1 and mx-<subcommand>.1 into `dir`.
pub(crate) fn man(dir: Option<&Path>) -> u8 {
    let result = match dir {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .and_then(|()| std::io::stdout().write_all(&page))
        }
        Some(dir) => std::fs::create_dir_all(dir)
            .and_then(|()| clap_mangen::generate_to(Cli::command(), dir))
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", dir.display()))),
    };
    report(result)
}

/// The exit code of a write; a reader that stopped early (`| head`) is not an error.
fn report(result: std::io::Result<()>) -> u8 {
    match result {
        Ok(()) => EXIT_OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            eprintln!("mx: {e}");
            EXIT_USAGE
        }
    }
}
