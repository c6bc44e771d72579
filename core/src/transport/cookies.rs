//! A small cookie jar: `name=value` per host. WinRM load balancers route by an `MS-WSMAN`
//! cookie; without it a shell's later requests can reach another backend and fail with
//! invalid-selector faults.
//!
//! A server, proxy or load balancer decides what it sets, so the jar is bounded as RFC 6265
//! section 6.1 suggests and as curl bounds its own since CVE-2022-32205: a cookie over
//! [`MAX_COOKIE_LEN`] bytes, one past [`MAX_COOKIES_PER_HOST`] or [`MAX_COOKIES`], one that
//! would make the `Cookie` header longer than [`MAX_HEADER_LEN`], and one with characters a
//! cookie may not hold are dropped, and never sent back.

use std::collections::BTreeMap;

/// The longest cookie kept, name and value together (RFC 6265 6.1: at least 4096 bytes).
pub const MAX_COOKIE_LEN: usize = 4096;
/// The most cookies kept for one host (RFC 6265 6.1: at least 50).
pub const MAX_COOKIES_PER_HOST: usize = 50;
/// The most cookies kept in all.
pub const MAX_COOKIES: usize = 150;
/// The longest `Cookie` header sent (curl's limit, 8190 bytes, what servers accept).
pub const MAX_HEADER_LEN: usize = 8190;
/// The most `Set-Cookie` headers of one response read (curl's limit).
pub const MAX_SET_COOKIE_PER_RESPONSE: usize = 50;

/// Cookies by host, then by name.
#[derive(Debug, Clone, Default)]
pub struct CookieJar {
    hosts: BTreeMap<String, BTreeMap<String, String>>,
    /// Cookies dropped for a limit or bad characters, for diagnostics.
    dropped: u64,
}

impl CookieJar {
    /// Records the `Set-Cookie` values of one response from `host`; past
    /// [`MAX_SET_COOKIE_PER_RESPONSE`] they are dropped.
    pub fn store_all<'a>(&mut self, host: &str, set_cookies: impl Iterator<Item = &'a str>) {
        for (i, value) in set_cookies.enumerate() {
            if i < MAX_SET_COOKIE_PER_RESPONSE {
                self.store(host, value);
            } else {
                self.dropped += 1;
            }
        }
    }

    /// Records one `Set-Cookie` value received from `host`. Attributes other than a deleting
    /// `Max-Age=0` are ignored: the jar only serves one endpoint.
    pub fn store(&mut self, host: &str, set_cookie: &str) {
        let mut parts = set_cookie.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
            return;
        };
        let name = name.trim();
        if name.is_empty() {
            return;
        }
        let value = value.trim().trim_matches('"');
        let delete = parts.any(|attr| {
            attr.split_once('=').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("max-age") && v.trim().starts_with(['0', '-'])
            })
        });
        let host = host.to_ascii_lowercase();
        if delete {
            if let Some(jar) = self.hosts.get_mut(&host) {
                jar.remove(name);
            }
            return;
        }
        if !self.acceptable(&host, name, value) {
            tracing::debug!(%host, "cookie dropped: over a limit or with characters a cookie may not hold");
            self.dropped += 1;
            return;
        }
        self.hosts
            .entry(host)
            .or_default()
            .insert(name.to_owned(), value.to_owned());
    }

    /// Whether `name=value` may join (or replace its namesake in) `host`'s cookies.
    fn acceptable(&self, host: &str, name: &str, value: &str) -> bool {
        if name.len() + value.len() > MAX_COOKIE_LEN
            || !name.bytes().all(is_token_byte)
            || !value.bytes().all(is_cookie_octet)
        {
            return false;
        }
        let jar = self.hosts.get(host);
        let replaced = jar.and_then(|j| j.get(name));
        let count = jar.map_or(0, BTreeMap::len);
        let total: usize = self.hosts.values().map(BTreeMap::len).sum();
        if replaced.is_none() && (count >= MAX_COOKIES_PER_HOST || total >= MAX_COOKIES) {
            return false;
        }
        // The header after the change: every other cookie, "; " between them.
        let others: usize = jar.map_or(0, |j| {
            j.iter()
                .filter(|(k, _)| k.as_str() != name)
                .map(|(k, v)| k.len() + 1 + v.len() + 2)
                .sum()
        });
        others + name.len() + 1 + value.len() <= MAX_HEADER_LEN
    }

    /// Cookies dropped so far for a limit or bad characters.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The `Cookie` header value for `host`, if any cookie is held.
    pub fn header(&self, host: &str) -> Option<String> {
        let jar = self.hosts.get(&host.to_ascii_lowercase())?;
        if jar.is_empty() {
            return None;
        }
        Some(
            jar.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
    }
}

/// A `token` character of RFC 9110 (a cookie name).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A `cookie-octet` of RFC 6265 4.1.1: visible ASCII but `"`, `,`, `;` and `\`.
fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_replaces_and_deletes() {
        let mut jar = CookieJar::default();
        assert_eq!(jar.header("ex01"), None);
        jar.store("EX01", "MS-WSMAN=abc; path=/; HttpOnly");
        jar.store("ex01", "b=\"1\"");
        assert_eq!(jar.header("ex01").as_deref(), Some("MS-WSMAN=abc; b=1"));
        jar.store("ex01", "MS-WSMAN=def");
        assert_eq!(jar.header("ex01").as_deref(), Some("MS-WSMAN=def; b=1"));
        jar.store("ex01", "b=; Max-Age=0");
        assert_eq!(jar.header("ex01").as_deref(), Some("MS-WSMAN=def"));
        jar.store("ex01", "garbage");
        assert_eq!(jar.header("other"), None);
    }

    #[test]
    fn a_flood_is_cut_at_the_limits_and_never_sent_back() {
        let mut jar = CookieJar::default();
        jar.store("ex01", "MS-WSMAN=keep");
        for i in 0..10_000 {
            jar.store("ex01", &format!("flood{i}=v"));
        }
        let header = jar.header("ex01").unwrap();
        assert_eq!(header.split("; ").count(), MAX_COOKIES_PER_HOST);
        assert!(header.starts_with("MS-WSMAN=keep"), "{header}");
        assert!(!header.contains("flood9999"));
        // A kept cookie can still be replaced.
        jar.store("ex01", "MS-WSMAN=new");
        assert!(jar.header("ex01").unwrap().starts_with("MS-WSMAN=new"));
        // Other hosts share the total.
        for h in 0..10 {
            for i in 0..MAX_COOKIES_PER_HOST {
                jar.store(&format!("h{h}"), &format!("c{i}=v"));
            }
        }
        let total: usize = jar.hosts.values().map(BTreeMap::len).sum();
        assert_eq!(total, MAX_COOKIES);
        assert!(jar.dropped() > 10_000);
    }

    #[test]
    fn oversized_and_malformed_cookies_are_dropped() {
        let mut jar = CookieJar::default();
        jar.store("ex01", &format!("big={}", "x".repeat(MAX_COOKIE_LEN)));
        jar.store("ex01", "sp ace=1");
        jar.store("ex01", "v=a,b");
        jar.store("ex01", "v=a\\b");
        assert_eq!(jar.header("ex01"), None);
        // Cookies that fit one by one stop where the header would pass its limit.
        for i in 0..4 {
            jar.store("ex01", &format!("c{i}={}", "y".repeat(3000)));
        }
        let header = jar.header("ex01").unwrap();
        assert!(header.len() <= MAX_HEADER_LEN, "{}", header.len());
        assert_eq!(header.split("; ").count(), 2);
        let mut jar = CookieJar::default();
        let many: Vec<String> = (0..200).map(|i| format!("r{i}=1")).collect();
        jar.store_all("ex01", many.iter().map(String::as_str));
        assert_eq!(
            jar.header("ex01").unwrap().split("; ").count(),
            MAX_SET_COOKIE_PER_RESPONSE
        );
    }
}
