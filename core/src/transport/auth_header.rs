//! `WWW-Authenticate` and `Authorization` header values (RFC 7235, RFC 4559 for Negotiate).
//!
//! Sans-IO: parses the challenges a server offers and builds the credentials we send.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

/// An HTTP authentication scheme the transport speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// `Negotiate` (RFC 4559): SPNEGO, or raw NTLM/Kerberos tokens as Windows accepts them.
    Negotiate,
    /// `Kerberos`: raw Kerberos tokens; Exchange's IIS may offer only this.
    Kerberos,
    /// `NTLM`.
    Ntlm,
    /// `Basic` (RFC 7617).
    Basic,
}

impl Scheme {
    /// The scheme name as written in headers.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Negotiate => "Negotiate",
            Self::Kerberos => "Kerberos",
            Self::Ntlm => "NTLM",
            Self::Basic => "Basic",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [Self::Negotiate, Self::Kerberos, Self::Ntlm, Self::Basic]
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(name))
    }
}

impl std::fmt::Display for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One challenge of a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The scheme name as the server wrote it.
    pub scheme_name: String,
    /// The scheme, when it is one we know.
    pub scheme: Option<Scheme>,
    /// The decoded token68 (the security token of Negotiate/Kerberos/NTLM), if any.
    pub token: Option<Vec<u8>>,
    /// Auth parameters such as `realm`, unquoted.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// The value of an auth parameter, ignoring the name's case.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a `WWW-Authenticate` value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthHeaderError {
    /// The token of a challenge is not valid base64.
    #[error("the {scheme} token is not valid base64")]
    BadToken {
        /// The challenge's scheme name.
        scheme: String,
    },
    /// A quoted string is not closed.
    #[error("unterminated quoted string in WWW-Authenticate")]
    Unterminated,
    /// An auth parameter has no value.
    #[error("auth parameter `{0}` has no value")]
    MissingValue(String),
}

/// Parses every challenge in the given `WWW-Authenticate` header values (a response may carry
/// several headers, each with several comma-separated challenges).
pub fn parse_challenges<'a, I>(values: I) -> Result<Vec<Challenge>, AuthHeaderError>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut out = Vec::new();
    for value in values {
        parse_one(value, &mut out)?;
    }
    Ok(out)
}

/// The first challenge for `scheme`, if the server offers it.
pub fn find_challenge(challenges: &[Challenge], scheme: Scheme) -> Option<&Challenge> {
    challenges.iter().find(|c| c.scheme == Some(scheme))
}

/// Builds an `Authorization` value carrying a security token.
pub fn token_authorization(scheme: Scheme, token: &[u8]) -> String {
    format!("{} {}", scheme.as_str(), STANDARD.encode(token))
}

/// Builds a `Basic` `Authorization` value. The result holds the password, so it is zeroized.
pub fn basic_authorization(user: &str, password: &str) -> Zeroizing<String> {
    let joined = Zeroizing::new(format!("{user}:{password}"));
    Zeroizing::new(format!("Basic {}", STANDARD.encode(joined.as_bytes())))
}

struct Scanner<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn skip_ws_and_commas(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.pos += 1;
        }
    }

    /// Reads a run of characters up to whitespace, a comma or `=` (exclusive).
    fn token(&mut self) -> &str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if matches!(c, b' ' | b'\t' | b',' | b'=') {
                break;
            }
            self.pos += 1;
        }
        std::str::from_utf8(self.s.get(start..self.pos).unwrap_or_default()).unwrap_or_default()
    }

    fn quoted(&mut self) -> Result<String, AuthHeaderError> {
        // Called with the opening quote at `pos`.
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(AuthHeaderError::Unterminated),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = self.peek().ok_or(AuthHeaderError::Unterminated)?;
                    out.push(c);
                    self.pos += 1;
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }
}

fn is_token68(word: &str) -> bool {
    let body = word.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

fn parse_one(value: &str, out: &mut Vec<Challenge>) -> Result<(), AuthHeaderError> {
    let mut sc = Scanner {
        s: value.as_bytes(),
        pos: 0,
    };
    loop {
        sc.skip_ws_and_commas();
        if sc.peek().is_none() {
            return Ok(());
        }
        let scheme_name = sc.token().to_owned();
        if scheme_name.is_empty() {
            // A stray `=` or similar: skip one byte and carry on rather than loop forever.
            sc.pos += 1;
            continue;
        }
        let mut challenge = Challenge {
            scheme: Scheme::from_name(&scheme_name),
            scheme_name,
            token: None,
            params: Vec::new(),
        };
        sc.skip_ws();
        // Either a token68, auth-params, or nothing.
        let save = sc.pos;
        let word_start = sc.pos;
        while let Some(c) = sc.peek() {
            if matches!(c, b' ' | b'\t' | b',') {
                break;
            }
            sc.pos += 1;
        }
        let word = std::str::from_utf8(sc.s.get(word_start..sc.pos).unwrap_or_default())
            .unwrap_or_default();
        if !word.is_empty() && is_token68(word) && !starts_param(word) {
            let token = STANDARD
                .decode(word)
                .map_err(|_| AuthHeaderError::BadToken {
                    scheme: challenge.scheme_name.clone(),
                })?;
            challenge.token = Some(token);
        } else {
            sc.pos = save;
            parse_params(&mut sc, &mut challenge)?;
        }
        out.push(challenge);
    }
}

/// `name=value` where the `=` is not just base64 padding.
fn starts_param(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, rest)) => !name.is_empty() && !rest.trim_start_matches('=').is_empty(),
        None => false,
    }
}

fn parse_params(sc: &mut Scanner<'_>, challenge: &mut Challenge) -> Result<(), AuthHeaderError> {
    loop {
        sc.skip_ws_and_commas();
        let start = sc.pos;
        let name = sc.token().to_owned();
        sc.skip_ws();
        if name.is_empty() || sc.peek() != Some(b'=') {
            // Not a parameter: the start of the next challenge.
            sc.pos = start;
            return Ok(());
        }
        sc.pos += 1;
        sc.skip_ws();
        let value = match sc.peek() {
            Some(b'"') => sc.quoted()?,
            Some(_) => {
                let v = sc.token().to_owned();
                if v.is_empty() {
                    return Err(AuthHeaderError::MissingValue(name));
                }
                v
            }
            None => return Err(AuthHeaderError::MissingValue(name)),
        };
        challenge.params.push((name, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_bare_challenges_in_one_header() {
        let c = parse_challenges(["Negotiate, Kerberos, Basic realm=\"WSMAN\""]).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].scheme, Some(Scheme::Negotiate));
        assert_eq!(c[0].token, None);
        assert_eq!(c[1].scheme, Some(Scheme::Kerberos));
        assert_eq!(c[2].scheme, Some(Scheme::Basic));
        assert_eq!(c[2].param("REALM"), Some("WSMAN"));
    }

    #[test]
    fn token_is_decoded_across_headers() {
        let c = parse_challenges([
            "Negotiate TlRMTVNTUAACAAAA",
            "NTLM",
            "Basic realm=x, charset=\"UTF-8\"",
        ])
        .unwrap();
        assert_eq!(
            c[0].token.as_deref(),
            Some(&b"NTLMSSP\x00\x02\x00\x00\x00"[..])
        );
        assert_eq!(c[1].scheme, Some(Scheme::Ntlm));
        assert_eq!(c[2].param("realm"), Some("x"));
        assert_eq!(c[2].param("charset"), Some("UTF-8"));
        assert_eq!(
            find_challenge(&c, Scheme::Negotiate).and_then(|c| c.token.clone()),
            Some(b"NTLMSSP\x00\x02\x00\x00\x00".to_vec())
        );
    }

    #[test]
    fn padded_token_and_unknown_scheme() {
        let c = parse_challenges(["Kerberos YQ==, CustomScheme a=\"q\\\"x\""]).unwrap();
        assert_eq!(c[0].token.as_deref(), Some(&b"a"[..]));
        assert_eq!(c[1].scheme, None);
        assert_eq!(c[1].scheme_name, "CustomScheme");
        assert_eq!(c[1].param("a"), Some("q\"x"));
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!(
            parse_challenges(["Negotiate YQ"]).unwrap_err(),
            AuthHeaderError::BadToken {
                scheme: "Negotiate".into()
            }
        );
        assert_eq!(
            parse_challenges(["Basic realm=\"open"]).unwrap_err(),
            AuthHeaderError::Unterminated
        );
    }

    #[test]
    fn builds_authorization_values() {
        assert_eq!(token_authorization(Scheme::Kerberos, b"a"), "Kerberos YQ==");
        assert_eq!(
            basic_authorization("Aladdin", "open sesame").as_str(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,80}") {
            let _ = parse_challenges([s.as_str()]);
        }
    }
}
