//! Which Exchange server a new session goes to.
//!
//! Every server of the list serves the same organisation with the same credentials, so any
//! of them can run any command; the first healthy one is preferred (it is usually the
//! nearest). A server that failed to connect, or threw a transient error, sits out a
//! cooldown so that new sessions do not each wait for it to fail again. A session itself
//! never moves: its shell, its cookies and its security context live on one server, and the
//! transport reconnects only to its own URL.
//!
//! The list keeps no clock: callers pass `now`, which keeps the ordering testable.

use std::time::{Duration, Instant};

/// What happened the last time a server was tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Health {
    /// Connected, or never tried.
    Up,
    /// Failed at this moment; skipped until the cooldown has passed.
    Down(Instant),
}

/// The servers, in the caller's order of preference, with their recent health.
#[derive(Debug, Clone)]
pub struct ServerList {
    urls: Vec<String>,
    health: Vec<Health>,
    cooldown: Duration,
}

impl ServerList {
    /// The list `urls`, all presumed healthy; a failed server is skipped for `cooldown`.
    pub fn new(urls: Vec<String>, cooldown: Duration) -> ServerList {
        let health = vec![Health::Up; urls.len()];
        ServerList {
            urls,
            health,
            cooldown,
        }
    }

    /// The URL of server `index`.
    pub fn url(&self, index: usize) -> Option<&str> {
        self.urls.get(index).map(String::as_str)
    }

    /// How many servers there are.
    pub fn len(&self) -> usize {
        self.urls.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.urls.is_empty()
    }

    /// The order to try servers in at `now`: healthy ones (and those whose cooldown is over)
    /// in list order, then those still cooling down, the longest-failed first. A server that
    /// is down is still tried last: when every server failed, one of them may be back.
    pub fn order(&self, now: Instant) -> Vec<usize> {
        let mut ready = Vec::new();
        let mut cooling = Vec::new();
        for (i, h) in self.health.iter().enumerate() {
            match h {
                Health::Down(at) if now.saturating_duration_since(*at) < self.cooldown => {
                    cooling.push((*at, i));
                }
                _ => ready.push(i),
            }
        }
        cooling.sort();
        ready.extend(cooling.into_iter().map(|(_, i)| i));
        ready
    }

    /// Records that server `index` failed at `now`.
    pub fn mark_down(&mut self, index: usize, now: Instant) {
        if let Some(h) = self.health.get_mut(index) {
            *h = Health::Down(now);
        }
    }

    /// Records that server `index` answered.
    pub fn mark_up(&mut self, index: usize) {
        if let Some(h) = self.health.get_mut(index) {
            *h = Health::Up;
        }
    }

    /// Whether server `index` is cooling down at `now`.
    pub fn is_down(&self, index: usize, now: Instant) -> bool {
        matches!(self.health.get(index), Some(Health::Down(at))
            if now.saturating_duration_since(*at) < self.cooldown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> ServerList {
        ServerList::new(
            vec!["http://a/".into(), "http://b/".into(), "http://c/".into()],
            Duration::from_secs(30),
        )
    }

    #[test]
    fn healthy_servers_in_list_order() {
        let l = list();
        assert_eq!(l.order(Instant::now()), [0, 1, 2]);
        assert_eq!(l.url(1), Some("http://b/"));
        assert_eq!(l.url(3), None);
        assert_eq!(l.len(), 3);
    }

    #[test]
    fn failed_servers_go_last_until_their_cooldown_ends() {
        let mut l = list();
        let t0 = Instant::now();
        l.mark_down(0, t0);
        l.mark_down(1, t0 + Duration::from_secs(5));
        let now = t0 + Duration::from_secs(10);
        assert_eq!(l.order(now), [2, 0, 1]);
        assert!(l.is_down(0, now));
        assert!(!l.is_down(2, now));
        // Server 0's cooldown is over: it is first again; 1 still waits.
        let later = t0 + Duration::from_secs(31);
        assert_eq!(l.order(later), [0, 2, 1]);
        l.mark_up(1);
        assert_eq!(l.order(later), [0, 1, 2]);
    }

    #[test]
    fn every_server_down_still_yields_every_server() {
        let mut l = list();
        let t0 = Instant::now();
        l.mark_down(2, t0);
        l.mark_down(0, t0 + Duration::from_millis(1));
        l.mark_down(1, t0 + Duration::from_millis(2));
        assert_eq!(l.order(t0 + Duration::from_millis(3)), [2, 0, 1]);
        l.mark_down(7, t0);
        assert_eq!(l.len(), 3);
    }
}
