//! Message encryption over HTTP ([MS-WSMV] 2.2.9.1): the SOAP body is sealed with the security
//! context of the connection and carried as `multipart/encrypted` MIME.
//!
//! This module is sans-IO and shared by the client and a server: it only frames and unframes
//! bytes; the cryptography is behind [`SealingContext`].
//!
//! Wire layout of one sealed message:
//!
//! ```text
//! --Encrypted Boundary\r\n
//! \tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n
//! \tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=N\r\n
//! --Encrypted Boundary\r\n
//! \tContent-Type: application/octet-stream\r\n
//! <u32 LE signature length><signature><sealed data>--Encrypted Boundary--\r\n
//! ```

use super::error::SealingError;

/// The MIME boundary every WinRM implementation uses.
pub const BOUNDARY: &str = "Encrypted Boundary";

/// Largest SOAP message sealed in one part; WinRM envelopes stay far below this.
const MAX_PLAIN_LEN: usize = 64 * 1024 * 1024;

/// The encryption protocol named in the `Content-Type` of a sealed body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealProtocol {
    /// `application/HTTP-SPNEGO-session-encrypted`: the context came from a `Negotiate` exchange
    /// (SPNEGO, or raw NTLM/Kerberos tokens under the Negotiate scheme).
    Spnego,
    /// `application/HTTP-Kerberos-session-encrypted`: the context came from the `Kerberos` scheme.
    Kerberos,
}

impl SealProtocol {
    /// The MIME type string of the protocol.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Spnego => "application/HTTP-SPNEGO-session-encrypted",
            Self::Kerberos => "application/HTTP-Kerberos-session-encrypted",
        }
    }

    /// The value of the HTTP `Content-Type` header of a sealed request or response.
    pub fn content_type(self) -> String {
        format!(
            "multipart/encrypted;protocol=\"{}\";boundary=\"{BOUNDARY}\"",
            self.mime()
        )
    }

    /// Recognises the protocol from a MIME type string, ignoring case.
    pub fn from_mime(s: &str) -> Option<Self> {
        let s = s.trim().trim_matches('"');
        if s.eq_ignore_ascii_case(Self::Spnego.mime()) {
            Some(Self::Spnego)
        } else if s.eq_ignore_ascii_case(Self::Kerberos.mime()) {
            Some(Self::Kerberos)
        } else {
            None
        }
    }

    /// Reads the protocol from an HTTP `Content-Type` header value, when it announces a sealed
    /// body (`multipart/encrypted;protocol="..."`).
    pub fn from_content_type(value: &str) -> Option<Self> {
        let mut parts = value.split(';');
        let media = parts.next()?.trim();
        if !media.eq_ignore_ascii_case("multipart/encrypted") {
            return None;
        }
        parts.find_map(|p| {
            let (k, v) = p.split_once('=')?;
            if k.trim().eq_ignore_ascii_case("protocol") {
                Self::from_mime(v)
            } else {
                None
            }
        })
    }
}

/// A security context able to seal (wrap with confidentiality) and unseal messages; implemented
/// for sspi's NTLM, Kerberos and Negotiate contexts once they are established.
///
/// Implementations keep their own send and receive sequence numbers, so calls must follow the
/// order of the messages on the wire.
pub trait SealingContext {
    /// Seals `plain`, returning the signature (the SSPI token buffer) and the sealed data.
    fn seal(&mut self, plain: &[u8]) -> Result<(Vec<u8>, Vec<u8>), SealingError>;
    /// Checks `signature` and unseals `cipher`, returning the plain text.
    fn unseal(&mut self, signature: &[u8], cipher: &[u8]) -> Result<Vec<u8>, SealingError>;
    /// The signature length this context produces (16 for NTLM, 60 for Kerberos AES), when
    /// known; used to reject malformed bodies early.
    fn signature_len(&mut self) -> Option<usize> {
        None
    }
}

/// Seals `plain` and frames it as a `multipart/encrypted` body.
pub fn seal_body(
    ctx: &mut dyn SealingContext,
    protocol: SealProtocol,
    plain: &[u8],
) -> Result<Vec<u8>, SealingError> {
    if plain.len() > MAX_PLAIN_LEN {
        return Err(SealingError::TooLarge(plain.len()));
    }
    let (signature, cipher) = ctx.seal(plain)?;
    let sig_len =
        u32::try_from(signature.len()).map_err(|_| SealingError::TooLarge(signature.len()))?;
    let mut out = Vec::with_capacity(256 + signature.len() + cipher.len());
    out.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\n\tContent-Type: {}\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length={}\r\n--{BOUNDARY}\r\n\tContent-Type: application/octet-stream\r\n",
            protocol.mime(),
            plain.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&sig_len.to_le_bytes());
    out.extend_from_slice(&signature);
    out.extend_from_slice(&cipher);
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    Ok(out)
}

/// The parts of a sealed body, before unsealing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedParts<'a> {
    /// The protocol named in the first part.
    pub protocol: SealProtocol,
    /// The `Length=` of the original content.
    pub original_length: usize,
    /// The signature (SSPI token buffer).
    pub signature: &'a [u8],
    /// The sealed data.
    pub cipher: &'a [u8],
}

/// Splits a `multipart/encrypted` body into its parts, checking its structure strictly.
pub fn parse_sealed(body: &[u8]) -> Result<SealedParts<'_>, SealingError> {
    let open = format!("--{BOUNDARY}\r\n");
    let close = format!("--{BOUNDARY}--");
    let rest = body
        .strip_prefix(open.as_bytes())
        .ok_or(SealingError::MissingBoundary)?;

    // First part: header lines until the next boundary line.
    let mut protocol = None;
    let mut original_length = None;
    let mut rest = rest;
    loop {
        let (line, after) = split_line(rest).ok_or(SealingError::MissingBoundary)?;
        rest = after;
        if line == open.trim_end().as_bytes() {
            break;
        }
        let line = std::str::from_utf8(line)
            .map_err(|_| SealingError::MissingHeader("Content-Type"))?
            .trim();
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            if name.eq_ignore_ascii_case("Content-Type") {
                protocol = Some(SealProtocol::from_mime(value).ok_or_else(|| {
                    SealingError::WrongProtocol {
                        expected: "an HTTP-*-session-encrypted protocol".to_owned(),
                        found: value.trim().to_owned(),
                    }
                })?);
            } else if name.eq_ignore_ascii_case("OriginalContent") {
                original_length = Some(parse_original_length(value)?);
            }
        }
    }
    let protocol = protocol.ok_or(SealingError::MissingHeader("Content-Type"))?;
    let original_length = original_length.ok_or(SealingError::MissingHeader("OriginalContent"))?;

    // Second part: one Content-Type line, then the binary payload up to the closing boundary.
    let (line, payload) = split_line(rest).ok_or(SealingError::MissingHeader("Content-Type"))?;
    let line = String::from_utf8_lossy(line);
    let ct = line
        .trim()
        .split_once(':')
        .filter(|(n, _)| n.trim().eq_ignore_ascii_case("Content-Type"))
        .map(|(_, v)| v.trim().to_owned())
        .ok_or(SealingError::MissingHeader("Content-Type"))?;
    if !ct.eq_ignore_ascii_case("application/octet-stream") {
        return Err(SealingError::MissingHeader(
            "Content-Type: application/octet-stream",
        ));
    }
    // The payload is binary and may contain anything; the closing boundary is the last line.
    let payload = strip_closing(payload, close.as_bytes())?;
    let len_bytes: [u8; 4] = payload
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or(SealingError::Truncated("no signature length"))?;
    let sig_len = u32::from_le_bytes(len_bytes) as usize;
    let after_len = payload.get(4..).unwrap_or_default();
    if sig_len > after_len.len() {
        return Err(SealingError::Truncated("signature longer than the data"));
    }
    let (signature, cipher) = after_len.split_at(sig_len);
    Ok(SealedParts {
        protocol,
        original_length,
        signature,
        cipher,
    })
}

/// Parses and unseals a `multipart/encrypted` body sealed with `expected` protocol.
pub fn unseal_body(
    ctx: &mut dyn SealingContext,
    expected: SealProtocol,
    body: &[u8],
) -> Result<Vec<u8>, SealingError> {
    let parts = parse_sealed(body)?;
    if parts.protocol != expected {
        return Err(SealingError::WrongProtocol {
            expected: expected.mime().to_owned(),
            found: parts.protocol.mime().to_owned(),
        });
    }
    if let Some(expected_len) = ctx.signature_len()
        && expected_len != parts.signature.len()
    {
        return Err(SealingError::SignatureLength {
            expected: expected_len,
            found: parts.signature.len(),
        });
    }
    if parts.original_length > MAX_PLAIN_LEN {
        return Err(SealingError::TooLarge(parts.original_length));
    }
    let plain = ctx.unseal(parts.signature, parts.cipher)?;
    if plain.len() != parts.original_length {
        return Err(SealingError::LengthMismatch {
            declared: parts.original_length,
            actual: plain.len(),
        });
    }
    Ok(plain)
}

fn split_line(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let pos = data.windows(2).position(|w| w == b"\r\n")?;
    Some((data.get(..pos)?, data.get(pos + 2..)?))
}

fn strip_closing<'a>(payload: &'a [u8], close: &[u8]) -> Result<&'a [u8], SealingError> {
    let mut end = payload;
    // Tolerate a trailing CRLF (or none) after the closing boundary.
    while let Some(stripped) = end.strip_suffix(b"\r\n") {
        end = stripped;
    }
    end.strip_suffix(close)
        .ok_or(SealingError::MissingClosingBoundary)
}

fn parse_original_length(value: &str) -> Result<usize, SealingError> {
    value
        .split(';')
        .find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("Length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .ok_or_else(|| SealingError::BadOriginalContent(value.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A context that XORs with a rolling counter so sequence errors show up, with a 16-byte
    /// signature holding the counter and a checksum.
    struct XorCtx {
        send: u8,
        recv: u8,
    }

    fn sig(seq: u8, data: &[u8]) -> Vec<u8> {
        let sum = data.iter().fold(0u8, |a, b| a.wrapping_add(*b));
        let mut s = vec![0u8; 16];
        s[0] = seq;
        s[1] = sum;
        s
    }

    impl SealingContext for XorCtx {
        fn seal(&mut self, plain: &[u8]) -> Result<(Vec<u8>, Vec<u8>), SealingError> {
            let seq = self.send;
            self.send = self.send.wrapping_add(1);
            let c: Vec<u8> = plain.iter().map(|b| b ^ 0x5a ^ seq).collect();
            Ok((sig(seq, plain), c))
        }
        fn unseal(&mut self, signature: &[u8], cipher: &[u8]) -> Result<Vec<u8>, SealingError> {
            let seq = self.recv;
            self.recv = self.recv.wrapping_add(1);
            let p: Vec<u8> = cipher.iter().map(|b| b ^ 0x5a ^ seq).collect();
            if signature != sig(seq, &p).as_slice() {
                return Err(SealingError::Crypto("bad signature".into()));
            }
            Ok(p)
        }
        fn signature_len(&mut self) -> Option<usize> {
            Some(16)
        }
    }

    fn pair() -> (XorCtx, XorCtx) {
        (XorCtx { send: 0, recv: 0 }, XorCtx { send: 0, recv: 0 })
    }

    #[test]
    fn round_trip_and_exact_framing() {
        let (mut a, mut b) = pair();
        let body = seal_body(&mut a, SealProtocol::Spnego, b"<s:Envelope/>").unwrap();
        let head = b"--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=13\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n";
        assert!(body.starts_with(head));
        assert_eq!(&body[head.len()..head.len() + 4], &16u32.to_le_bytes());
        assert!(body.ends_with(b"--Encrypted Boundary--\r\n"));
        assert_eq!(body.len(), head.len() + 4 + 16 + 13 + 24);
        let plain = unseal_body(&mut b, SealProtocol::Spnego, &body).unwrap();
        assert_eq!(plain, b"<s:Envelope/>");
    }

    #[test]
    fn kerberos_protocol_is_named_and_checked() {
        let (mut a, mut b) = pair();
        let body = seal_body(&mut a, SealProtocol::Kerberos, b"x").unwrap();
        assert!(
            body.windows(43)
                .any(|w| w == b"application/HTTP-Kerberos-session-encrypted")
        );
        let err = unseal_body(&mut b, SealProtocol::Spnego, &body).unwrap_err();
        assert!(matches!(err, SealingError::WrongProtocol { .. }), "{err:?}");
    }

    #[test]
    fn content_type_round_trip() {
        let ct = SealProtocol::Kerberos.content_type();
        assert_eq!(
            ct,
            "multipart/encrypted;protocol=\"application/HTTP-Kerberos-session-encrypted\";boundary=\"Encrypted Boundary\""
        );
        assert_eq!(
            SealProtocol::from_content_type(&ct),
            Some(SealProtocol::Kerberos)
        );
        assert_eq!(
            SealProtocol::from_content_type("application/soap+xml;charset=UTF-8"),
            None
        );
    }

    fn frame(length: usize, signature: &[u8], cipher: &[u8]) -> Vec<u8> {
        let mut body = format!("--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length={length}\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n").into_bytes();
        body.extend_from_slice(&(signature.len() as u32).to_le_bytes());
        body.extend_from_slice(signature);
        body.extend_from_slice(cipher);
        body.extend_from_slice(b"--Encrypted Boundary--\r\n");
        body
    }

    #[test]
    fn length_mismatch_is_reported() {
        let (mut a, mut b) = pair();
        let body = seal_body(&mut a, SealProtocol::Spnego, b"hello").unwrap();
        let parts = parse_sealed(&body).unwrap();
        assert_eq!(parts.original_length, 5);
        let tampered = frame(6, parts.signature, parts.cipher);
        let err = unseal_body(&mut b, SealProtocol::Spnego, &tampered).unwrap_err();
        assert_eq!(
            err,
            SealingError::LengthMismatch {
                declared: 6,
                actual: 5
            }
        );
    }

    #[test]
    fn wrong_signature_length_is_rejected() {
        let body = frame(2, b"abcd", b"xy");
        let (_, mut b) = pair();
        assert_eq!(
            unseal_body(&mut b, SealProtocol::Spnego, &body).unwrap_err(),
            SealingError::SignatureLength {
                expected: 16,
                found: 4
            }
        );
    }

    #[test]
    fn structural_errors_are_typed() {
        assert_eq!(
            parse_sealed(b"").unwrap_err(),
            SealingError::MissingBoundary
        );
        assert_eq!(
            parse_sealed(b"--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n\x00\x00\x00\x00--Encrypted Boundary--\r\n").unwrap_err(),
            SealingError::MissingHeader("OriginalContent")
        );
        assert_eq!(
            parse_sealed(b"--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n\tOriginalContent: type=application/soap+xml;Length=x\r\n--Encrypted Boundary\r\n").unwrap_err(),
            SealingError::BadOriginalContent("type=application/soap+xml;Length=x".into())
        );
        let no_close = b"--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n\tOriginalContent: type=application/soap+xml;Length=1\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n\x10\x00\x00\x00abc";
        assert_eq!(
            parse_sealed(no_close).unwrap_err(),
            SealingError::MissingClosingBoundary
        );
        let short = b"--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n\tOriginalContent: type=application/soap+xml;Length=1\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n\xff\xff\xff\xffabc--Encrypted Boundary--\r\n";
        assert_eq!(
            parse_sealed(short).unwrap_err(),
            SealingError::Truncated("signature longer than the data")
        );
    }

    #[test]
    fn binary_payload_containing_boundary_text_survives() {
        struct Ident;
        impl SealingContext for Ident {
            fn seal(&mut self, p: &[u8]) -> Result<(Vec<u8>, Vec<u8>), SealingError> {
                Ok((vec![1; 16], p.to_vec()))
            }
            fn unseal(&mut self, _s: &[u8], c: &[u8]) -> Result<Vec<u8>, SealingError> {
                Ok(c.to_vec())
            }
        }
        let plain = b"a--Encrypted Boundary--\r\nb";
        let body = seal_body(&mut Ident, SealProtocol::Spnego, plain).unwrap();
        assert_eq!(
            unseal_body(&mut Ident, SealProtocol::Spnego, &body).unwrap(),
            plain
        );
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let mut body = b"--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n".to_vec();
            body.extend_from_slice(&data);
            let _ = parse_sealed(&body);
            let _ = parse_sealed(&data);
        }

        #[test]
        fn seal_round_trips(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000)) {
            let (mut a, mut b) = pair();
            let body = seal_body(&mut a, SealProtocol::Spnego, &data).unwrap();
            proptest::prop_assert_eq!(unseal_body(&mut b, SealProtocol::Spnego, &body).unwrap(), data);
        }
    }
}
