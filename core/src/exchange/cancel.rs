//! Stopping a running command from another task or thread.
//!
//! One model serves sessions and pools alike: a [`CancelHandle`] given to a call
//! ([`super::Invoke::invoke_cancellable`], [`super::Invoke::invoke_stream_cancellable`] and
//! their blocking forms) stops that call when it is requested. A [`super::Session`] also has
//! a handle of its own ([`super::Session::cancel_handle`]) that stops whatever command it
//! runs at that moment.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

#[derive(Debug, Default)]
struct Shared {
    requested: AtomicBool,
    notify: Notify,
    /// A caller's handle whose request counts as this one's until the next reset: the token
    /// of the call a session runs now. Only its own request counts, not those of handles it
    /// is linked to in turn, so links never form a cycle.
    linked: Mutex<Option<Arc<Shared>>>,
}

impl Shared {
    fn requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    fn linked(&self) -> Option<Arc<Shared>> {
        self.linked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Stops a running command. Cloneable, `Send` and `Sync`.
///
/// Given to a call, a requested handle stops it: the running command is sent the PowerShell
/// stop signal ([MS-PSRP] 3.1.5.3.8) and the call returns [`super::SessionError::Cancelled`];
/// a call started with a requested handle fails at once. Such a handle stays requested: make
/// a new one for the next call.
///
/// The handle of a [`super::Session`] ([`super::Session::cancel_handle`]) stops the command
/// the session runs when it is requested; a request made while nothing runs is forgotten
/// when the next invocation starts.
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

    /// Whether cancellation was requested and not yet consumed, here or on the handle of the
    /// call this one serves.
    pub fn is_cancelled(&self) -> bool {
        self.shared.requested() || self.shared.linked().is_some_and(|l| l.requested())
    }

    /// Forgets an earlier request, and the call's handle; called when an invocation starts.
    pub(crate) fn reset(&self) {
        self.shared.requested.store(false, Ordering::SeqCst);
        *self
            .shared
            .linked
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Makes a request of `call` count as one of this handle until the next
    /// [`CancelHandle::reset`]: a session's own handle then stops the command of a call
    /// made with `call`. A request made before is honoured at once.
    pub(crate) fn link(&self, call: &CancelHandle) {
        if Arc::ptr_eq(&self.shared, &call.shared) {
            return;
        }
        *self
            .shared
            .linked
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&call.shared));
        // Waiters re-check, now watching `call` too.
        self.shared.notify.notify_waiters();
    }

    /// Resolves once cancellation is requested.
    pub(crate) async fn cancelled(&self) {
        loop {
            // Created before the check so that a `notify_waiters` in between still wakes them.
            let own = self.shared.notify.notified();
            let linked = self.shared.linked();
            let other = linked.as_ref().map(|l| l.notify.notified());
            if self.is_cancelled() {
                return;
            }
            match other {
                Some(other) => {
                    tokio::select! {
                        () = own => {}
                        () = other => {}
                    }
                }
                None => own.await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn cancel_from_another_task_wakes_the_waiter() {
        let handle = CancelHandle::default();
        let other = handle.clone();
        let task = tokio::spawn(async move { other.cancel() });
        tokio::time::timeout(Duration::from_secs(5), handle.cancelled())
            .await
            .expect("the waiter was woken");
        task.await.expect("task");
        assert!(handle.is_cancelled());
        handle.reset();
        assert!(!handle.is_cancelled());
    }

    #[tokio::test]
    async fn a_linked_call_handle_cancels_until_the_reset() {
        let session = CancelHandle::default();
        let call = CancelHandle::default();
        let waiter = session.clone();
        let waiting = tokio::spawn(async move { waiter.cancelled().await });
        tokio::task::yield_now().await;
        // Linked while a waiter waits: it watches the call's handle from then on.
        session.link(&call);
        assert!(!session.is_cancelled());
        call.cancel();
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the waiter was woken")
            .expect("task");
        assert!(session.is_cancelled());
        session.reset();
        assert!(!session.is_cancelled(), "the reset drops the link");
        assert!(call.is_cancelled(), "the call's handle stays requested");
    }

    #[test]
    fn links_do_not_chain() {
        let a = CancelHandle::default();
        let b = CancelHandle::default();
        let c = CancelHandle::default();
        a.link(&b);
        b.link(&a);
        b.link(&c);
        a.link(&a);
        c.cancel();
        assert!(b.is_cancelled());
        assert!(
            !a.is_cancelled(),
            "only the linked handle's own request counts"
        );
    }
}
