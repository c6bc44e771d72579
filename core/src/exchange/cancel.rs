//! Stopping a running command from another task or thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

#[derive(Debug, Default)]
struct Shared {
    requested: AtomicBool,
    notify: Notify,
}

/// Cancels the command a [`super::Session`] is running. Cloneable, `Send` and `Sync`.
///
/// [`CancelHandle::cancel`] makes the running invocation send the PowerShell stop signal
/// ([MS-PSRP] 3.1.5.3.8), wait for the server to report the pipeline stopped, end the command,
/// and return [`super::SessionError::Cancelled`]. A request made while nothing runs is
/// forgotten when the next invocation starts.
#[derive(Debug, Clone, Default)]
pub struct CancelHandle {
    shared: Arc<Shared>,
}

impl CancelHandle {
    /// Requests cancellation of the running command.
    pub fn cancel(&self) {
        self.shared.requested.store(true, Ordering::SeqCst);
        self.shared.notify.notify_waiters();
    }

    /// Whether cancellation was requested and not yet consumed.
    pub fn is_cancelled(&self) -> bool {
        self.shared.requested.load(Ordering::SeqCst)
    }

    /// Forgets an earlier request; called when an invocation starts.
    pub(crate) fn reset(&self) {
        self.shared.requested.store(false, Ordering::SeqCst);
    }

    /// Resolves once cancellation is requested.
    pub(crate) async fn cancelled(&self) {
        loop {
            // Created before the check so that a `notify_waiters` in between still wakes it.
            let notified = self.shared.notify.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cancel_from_another_task_wakes_the_waiter() {
        let handle = CancelHandle::default();
        let other = handle.clone();
        let task = tokio::spawn(async move { other.cancel() });
        tokio::time::timeout(std::time::Duration::from_secs(5), handle.cancelled())
            .await
            .expect("the waiter was woken");
        task.await.expect("task");
        assert!(handle.is_cancelled());
        handle.reset();
        assert!(!handle.is_cancelled());
    }
}
