//! Ctrl-C while doctor holds shells: the work in progress stops, and whatever was opened is
//! closed before doctor exits.

use std::future::Future;
use std::pin::Pin;

type Signal = Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>>;

/// Ctrl-C, listened for from creation on (it then no longer kills the process).
pub(crate) struct Interrupt {
    signal: Option<Signal>,
    fired: bool,
}

impl Interrupt {
    /// Starts listening for Ctrl-C.
    pub(crate) fn new() -> Self {
        Interrupt {
            signal: Some(Box::pin(tokio::signal::ctrl_c())),
            fired: false,
        }
    }

    /// Whether Ctrl-C came.
    pub(crate) fn fired(&self) -> bool {
        self.fired
    }

    /// Runs `work` unless Ctrl-C comes first: then `None`, and `work` is dropped. Without a
    /// signal handler (it could not be installed) the work simply runs.
    pub(crate) async fn guard<T>(&mut self, work: impl Future<Output = T>) -> Option<T> {
        tokio::pin!(work);
        loop {
            if self.fired {
                return None;
            }
            let Some(signal) = self.signal.as_mut() else {
                return Some(work.await);
            };
            tokio::select! {
                v = &mut work => return Some(v),
                r = signal => match r {
                    Ok(()) => self.fired = true,
                    Err(_) => self.signal = None,
                },
            }
        }
    }
}
