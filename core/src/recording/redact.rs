//! Secrets out of a recording. What a recording holds is the SOAP bodies, so HTTP headers
//! (Authorization, cookies, Negotiate and Kerberos tokens) never reach it. Inside the bodies,
//! the PSRP payloads may carry:
//! - SecureStrings (`<SS>`, [MS-PSRP] 2.2.5.1.24): secret parameters and the password of
//!   every PSCredential;
//! - the session key: the client's RSA key in PUBLIC_KEY and the encrypted session key in
//!   ENCRYPTED_SESSION_KEY ([MS-PSRP] 2.2.2.3, 2.2.2.4).
//!
//! [`Redactor`] overwrites each of those texts with `A`s (base64 zero bytes) of the same
//! length, so fragment and message lengths stay as sent and the file still parses and
//! replays. The text of one secret may run on from one fragment, or one payload, into the
//! next; a redactor remembers where it is, one per direction.

use crate::psrp::{Fragment, FragmentError};

/// Start tags whose element text is a secret: a SecureString with or without attributes
/// (`<SS>`, `<SS N="Password">`), and the key material of the session-key exchange.
const MARKERS: &[&[u8]] = &[
    b"<SS>",
    b"<SS ",
    b"<S N=\"PublicKey\">",
    b"<S N=\"EncryptedSessionKey\">",
];

/// Longest marker, for matches across fragment boundaries.
const LONGEST: usize = 28;

/// Redacts the PSRP payloads of one direction of a conversation.
#[derive(Debug, Default, Clone)]
pub struct Redactor {
    /// Inside the start tag of a secret (its attributes).
    in_tag: bool,
    /// Inside a secret's text.
    inside: bool,
    /// The last bytes of message data seen, for a marker split across fragments.
    tail: Vec<u8>,
}

impl Redactor {
    /// A redactor outside any secret.
    pub fn new() -> Self {
        Redactor::default()
    }

    /// The payload (whole fragments, [MS-PSRP] 2.2.4) with every secret's text overwritten.
    pub fn payload(&mut self, payload: &[u8]) -> Result<Vec<u8>, FragmentError> {
        let mut fragments = Fragment::decode_all(payload)?;
        let mut out = Vec::with_capacity(payload.len());
        for fragment in &mut fragments {
            self.data(&mut fragment.data);
            fragment.encode_into(&mut out);
        }
        Ok(out)
    }

    /// Overwrites secrets in one run of message bytes.
    fn data(&mut self, data: &mut [u8]) {
        for byte in data.iter_mut() {
            if self.in_tag {
                if *byte == b'>' {
                    self.in_tag = false;
                    self.inside = true;
                }
                continue;
            }
            if self.inside {
                match *byte {
                    b'<' => self.inside = false,
                    b'=' | b' ' | b'\r' | b'\n' | b'\t' => {}
                    _ => *byte = b'A',
                }
                if self.inside {
                    continue;
                }
            }
            self.tail.push(*byte);
            if self.tail.len() > LONGEST {
                self.tail.remove(0);
            }
            if let Some(marker) = MARKERS.iter().find(|m| self.tail.ends_with(m)) {
                if marker.ends_with(b">") {
                    self.inside = true;
                } else {
                    self.in_tag = true;
                }
                self.tail.clear();
            }
        }
    }
}

/// Redacts every PSRP payload of an envelope: the text of `creationXml`, `Arguments`,
/// `Stream`, `connectXml` and `connectResponseXml` elements. Text that does not decode as
/// base64 fragments is left as it is.
pub fn envelope(text: &str, redactor: &mut Redactor) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((start, end)) = next_payload_text(rest) {
        out.push_str(&rest[..start]);
        let encoded = rest[start..end].trim();
        let redacted = crate::wsman::stream::decode_base64("payload", encoded)
            .ok()
            .filter(|d| !d.is_empty())
            .and_then(|data| redactor.payload(&data).ok())
            .map(|data| crate::wsman::stream::encode_base64(&data));
        match redacted {
            Some(text) => out.push_str(&text),
            None => out.push_str(&rest[start..end]),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Local names of the elements that carry PSRP payloads.
const PAYLOAD_ELEMENTS: &[&str] = &[
    "creationXml",
    "Arguments",
    "Stream",
    "connectXml",
    "connectResponseXml",
];

/// The byte range of the text of the next payload element in `text`.
pub(crate) fn next_payload_text(text: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(open) = text[from..].find('<').map(|i| i + from) {
        from = open + 1;
        let tag_end = text[from..].find('>')? + from;
        let tag = &text[from..tag_end];
        if tag.starts_with('/') || tag.ends_with('/') || tag.starts_with('?') {
            continue;
        }
        let name = tag
            .split([' ', '\t', '\r', '\n'])
            .next()
            .unwrap_or_default();
        let local = name.rsplit(':').next().unwrap_or(name);
        if !PAYLOAD_ELEMENTS.contains(&local) {
            continue;
        }
        let start = tag_end + 1;
        let end = text[start..].find('<')? + start;
        return Some((start, end));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fragment(object_id: u64, fragment_id: u64, start: bool, end: bool, data: &[u8]) -> Vec<u8> {
        Fragment {
            object_id,
            fragment_id,
            start,
            end,
            data: data.to_vec(),
        }
        .encode()
    }

    #[test]
    fn secrets_are_overwritten_even_across_fragments() {
        let mut payload = fragment(1, 0, true, false, b"<Obj><SS>c2Vj");
        payload.extend(fragment(
            1,
            1,
            false,
            true,
            b"cmV0IQ==</SS><S>plain</S></Obj>",
        ));
        payload.extend(fragment(2, 0, true, true, b"<Obj><MS><S N=\"EncryptedSess"));
        payload.extend(fragment(3, 0, true, true, b"ionKey\">a2V5</S></MS></Obj>"));
        let mut redactor = Redactor::new();
        let out = redactor.payload(&payload).expect("payload");
        let fragments = Fragment::decode_all(&out).expect("fragments");
        let texts: Vec<String> = fragments
            .iter()
            .map(|f| String::from_utf8_lossy(&f.data).into_owned())
            .collect();
        assert_eq!(
            texts,
            [
                "<Obj><SS>AAAA",
                "AAAAAA==</SS><S>plain</S></Obj>",
                "<Obj><MS><S N=\"EncryptedSess",
                "ionKey\">AAAA</S></MS></Obj>",
            ]
        );
    }

    #[test]
    fn payload_texts_are_found_in_any_prefix() {
        let xml = r#"<?xml version="1.0"?><rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="X">QUJD</rsp:Stream><Stream Name="b">REVG</Stream><rsp:Stream Name="c" End="true" /><rsp:StreamX>no</rsp:StreamX><creationXml xmlns="p">R0hJ</creationXml></rsp:ReceiveResponse>"#;
        let mut found = Vec::new();
        let mut rest = xml;
        while let Some((s, e)) = next_payload_text(rest) {
            found.push(rest[s..e].to_owned());
            rest = &rest[e..];
        }
        assert_eq!(found, ["QUJD", "REVG", "R0hJ"]);
    }

    #[test]
    fn envelopes_keep_everything_but_the_secrets() {
        let data = fragment(1, 0, true, true, b"<SS>c2VjcmV0</SS><SS N=\"V\">c2Vj</SS>");
        let encoded = crate::wsman::stream::encode_base64(&data);
        let xml = format!(
            "<s:Body><rsp:Send><rsp:Stream Name=\"stdin\" CommandId=\"X\">{encoded}</rsp:Stream></rsp:Send></s:Body>"
        );
        let out = envelope(&xml, &mut Redactor::new());
        assert_ne!(out, xml);
        let expected = crate::wsman::stream::encode_base64(&fragment(
            1,
            0,
            true,
            true,
            b"<SS>AAAAAAAA</SS><SS N=\"V\">AAAA</SS>",
        ));
        assert!(out.contains(&expected), "{out}");
        assert!(out.starts_with("<s:Body><rsp:Send><rsp:Stream Name=\"stdin\" CommandId=\"X\">"));
    }
}
