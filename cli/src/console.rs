//! Standard output and error that never panic. `println!` panics when the reader went away
//! (`mx ... | head`: EPIPE); here a closed standard output is a value the caller acts on (stop
//! the command, close the session, exit quietly), and a failing standard error is ignored.

use std::fmt;
use std::io::{ErrorKind, Write as _};

/// Standard output cannot be written any more.
#[derive(Debug)]
pub(crate) struct Closed(pub(crate) std::io::Error);

impl Closed {
    /// Whether the reader simply went away (a broken pipe), which ends `mx` quietly; any
    /// other failure (a full disk) is worth a message.
    pub(crate) fn is_broken_pipe(&self) -> bool {
        self.0.kind() == ErrorKind::BrokenPipe
    }
}

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write to standard output: {}", self.0)
    }
}

impl std::error::Error for Closed {}

/// Writes to standard output and flushes, so a closed pipe shows at once.
pub(crate) fn write_out(args: fmt::Arguments<'_>) -> Result<(), Closed> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_fmt(args)
        .and_then(|()| stdout.flush())
        .map_err(Closed)
}

/// Writes a line to standard error; a closed standard error is ignored.
pub(crate) fn write_err(args: fmt::Arguments<'_>) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_fmt(args);
    let _ = stderr.write_all(b"\n");
}

/// `print!` that returns [`Closed`] instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::console::write_out(format_args!($($arg)*))
    };
}

/// `println!` that returns [`Closed`] instead of panicking.
macro_rules! outln {
    () => {
        $crate::console::write_out(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::console::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` that ignores a closed standard error instead of panicking.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::console::write_err(format_args!($($arg)*))
    };
}

pub(crate) use {errln, out, outln};
