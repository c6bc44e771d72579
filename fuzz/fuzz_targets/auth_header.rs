//! `WWW-Authenticate` parsing (RFC 7235 section 4.1, as WinRM sends it): each input line is one
//! header value, as a response may carry several.
#![no_main]

use libfuzzer_sys::fuzz_target;
use monosync_exchange::transport::auth_header::{Scheme, find_challenge, parse_challenges};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(challenges) = parse_challenges(text.split('\n')) {
        for scheme in [
            Scheme::Negotiate,
            Scheme::Kerberos,
            Scheme::Ntlm,
            Scheme::Basic,
        ] {
            if let Some(c) = find_challenge(&challenges, scheme) {
                let _ = c.param("realm");
            }
        }
    }
});
