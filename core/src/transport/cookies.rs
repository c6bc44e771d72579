//! A small cookie jar: `name=value` per host. WinRM load balancers route by an `MS-WSMAN`
//! cookie; without it a shell's later requests can reach another backend and fail with
//! invalid-selector faults.

use std::collections::BTreeMap;

/// Cookies by host, then by name.
#[derive(Debug, Clone, Default)]
pub struct CookieJar {
    hosts: BTreeMap<String, BTreeMap<String, String>>,
}

impl CookieJar {
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
        let jar = self.hosts.entry(host.to_ascii_lowercase()).or_default();
        if delete {
            jar.remove(name);
        } else {
            jar.insert(name.to_owned(), value.to_owned());
        }
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
}
