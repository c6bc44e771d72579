//! Channel-binding checks over HTTPS, as WinRM's CbtHardeningLevel applies them to every
//! mechanism: the NTLM AUTHENTICATE message's MsvAvChannelBindings pair ([MS-NLMP] 2.2.2.1), raw
//! or wrapped in SPNEGO ([RFC 4178] NegTokenResp), and the Bnd field of the Kerberos AP-REQ
//! authenticator checksum ([RFC 4121] 4.1.1.2), raw or as the mechToken of a NegTokenInit.
//!
//! Both carry the MD5 of the flattened `gss_channel_bindings_struct` whose only non-empty member
//! is the application data `tls-server-end-point:<certificate hash>`. All-zero bindings are
//! what a client that does not bind sends, so they count as absent.

use md5::Digest as _;
use picky_krb::constants::key_usages::{AP_REQ_AUTHENTICATOR, TICKET_REP};
use picky_krb::crypto::CipherSuite;
use picky_krb::data_types::{Authenticator, EncTicketPart};
use picky_krb::gss_api::KrbMessage;
use picky_krb::messages::ApReq;

use monosync_exchange::transport::acceptor::{BindingCheck, BindingPolicy};

use super::CbtLevel;
use super::auth::{KerberosService, asn1_int};

/// The listener's channel-binding rule for the acceptor: over HTTPS, each token's bindings are
/// judged by [`refuse`] at the hardening level, with the same rule for every mechanism; the
/// context sees the bindings only once they are known to match.
pub(crate) struct Hardening<'a> {
    pub(crate) level: CbtLevel,
    /// `tls-server-end-point:` + certificate hash; `None` over plain HTTP.
    pub(crate) application_data: Option<&'a [u8]>,
    pub(crate) service: Option<&'a KerberosService>,
}

impl BindingPolicy for Hardening<'_> {
    fn check(&self, token: &[u8]) -> BindingCheck<'_> {
        let Some(data) = self
            .application_data
            .filter(|_| self.level != CbtLevel::None)
        else {
            return BindingCheck::Pass(None);
        };
        let found = inspect(token, self.service);
        if refuse(self.level, found, data) {
            return BindingCheck::Refuse;
        }
        BindingCheck::Pass(matches!(found, Found::Hash(_)).then_some(data))
    }
}

/// The GSS-API checksum type that carries the bindings ([RFC 4121] 4.1.1).
const GSS_CHECKSUM_TYPE: u32 = 0x8003;

/// What a token says about channel bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// The token is not one that carries bindings (NEGOTIATE, a SPNEGO token without one).
    NotApplicable,
    /// A binding-carrying token without bindings (absent, or all zero).
    Absent,
    /// Bindings present: the hash.
    Hash([u8; 16]),
    /// A binding-carrying token whose bindings could not be read (the acceptor will judge the
    /// token itself).
    Unreadable,
}

/// MD5 of the flattened `gss_channel_bindings_struct` with only application data: the value of
/// MsvAvChannelBindings and of the Kerberos Bnd field.
pub(crate) fn expected_hash(application_data: &[u8]) -> [u8; 16] {
    let mut md5 = md5::Md5::new();
    // Initiator and acceptor address types and lengths, all zero.
    md5.update([0u8; 16]);
    let len = u32::try_from(application_data.len()).unwrap_or(u32::MAX);
    md5.update(len.to_le_bytes());
    md5.update(application_data);
    md5.finalize().into()
}

/// Whether the request must be refused: `found` against `application_data` at `level`.
pub(crate) fn refuse(level: CbtLevel, found: Found, application_data: &[u8]) -> bool {
    match (level, found) {
        (CbtLevel::None, _) | (_, Found::NotApplicable) => false,
        (CbtLevel::Strict, Found::Absent | Found::Unreadable) => true,
        (CbtLevel::Relaxed, Found::Absent | Found::Unreadable) => false,
        (_, Found::Hash(h)) => h != expected_hash(application_data),
    }
}

/// The bindings in an HTTP authentication token; `service` gives the key that decrypts
/// Kerberos tickets.
pub(crate) fn inspect(token: &[u8], service: Option<&KerberosService>) -> Found {
    inspect_depth(token, service, 0)
}

fn inspect_depth(token: &[u8], service: Option<&KerberosService>, depth: u8) -> Found {
    if depth > 2 {
        return Found::NotApplicable;
    }
    if token.starts_with(b"NTLMSSP\0\x03\0\0\0") {
        return ntlm(token);
    }
    if token.starts_with(b"NTLMSSP\0") {
        return Found::NotApplicable;
    }
    if let Some(inner) = spnego_inner(token) {
        return match inner {
            Some(inner) => inspect_depth(inner, service, depth + 1),
            None => Found::NotApplicable,
        };
    }
    if token.first() == Some(&0x60) {
        return kerberos(token, service);
    }
    Found::NotApplicable
}

/// The SPNEGO OID 1.3.6.1.5.5.2, DER-encoded content.
const SPNEGO_OID: [u8; 6] = [0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];

/// One DER element: tag, content, and what follows. Lengths are checked against the input.
fn tlv(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *data.first()?;
    let first = *data.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let bytes = data.get(2..2 + count)?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, 2 + count)
    };
    let end = header.checked_add(len)?;
    Some((tag, data.get(header..end)?, data.get(end..)?))
}

/// The inner mechanism token of a SPNEGO token ([RFC 4178] 4.2): the mechToken of a
/// NegTokenInit or the responseToken of a NegTokenResp. `None` when `token` is not SPNEGO;
/// `Some(None)` when it carries no inner token.
fn spnego_inner(token: &[u8]) -> Option<Option<&[u8]>> {
    let (tag, content, _) = tlv(token)?;
    let sequence = match tag {
        0x60 => {
            let (oid_tag, oid, rest) = tlv(content)?;
            if oid_tag != 0x06 || oid != SPNEGO_OID {
                return None;
            }
            let (init_tag, init, _) = tlv(rest)?;
            if init_tag != 0xa0 {
                return None;
            }
            init
        }
        0xa1 => content,
        _ => return None,
    };
    let (seq_tag, mut fields, _) = tlv(sequence)?;
    if seq_tag != 0x30 {
        return None;
    }
    while !fields.is_empty() {
        let (field_tag, field, rest) = tlv(fields)?;
        if field_tag == 0xa2 {
            let (octet_tag, octets, _) = tlv(field)?;
            return Some((octet_tag == 0x04).then_some(octets));
        }
        fields = rest;
    }
    Some(None)
}

fn nonzero(hash: [u8; 16]) -> Found {
    if hash.iter().all(|b| *b == 0) {
        Found::Absent
    } else {
        Found::Hash(hash)
    }
}

/// MsvAvChannelBindings of an NTLM AUTHENTICATE message, from the AV pairs of its NTLMv2
/// response (after NTProofStr and the NTLMv2_CLIENT_CHALLENGE header).
fn ntlm(token: &[u8]) -> Found {
    let field = || -> Option<&[u8]> {
        let len = usize::from(u16::from_le_bytes(token.get(20..22)?.try_into().ok()?));
        let off = usize::try_from(u32::from_le_bytes(token.get(24..28)?.try_into().ok()?)).ok()?;
        token.get(off..off.checked_add(len)?)
    };
    let Some(nt_response) = field() else {
        return Found::Unreadable;
    };
    // NTProofStr (16) + NTLMv2_CLIENT_CHALLENGE header (28) precede the AV pairs; an NTLMv1
    // response (24 bytes) has none.
    let mut pos = 44;
    while let Some(head) = nt_response.get(pos..pos + 4) {
        let id = u16::from_le_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_le_bytes([head[2], head[3]]));
        if id == 0 {
            break;
        }
        if id == 0x000A {
            return match nt_response
                .get(pos + 4..pos + 4 + len)
                .and_then(|v| <[u8; 16]>::try_from(v).ok())
            {
                Some(hash) => nonzero(hash),
                None => Found::Unreadable,
            };
        }
        pos += 4 + len;
    }
    Found::Absent
}

/// The Bnd field of a GSS-API Kerberos AP-REQ: the ticket is decrypted with the service key,
/// the authenticator with the ticket's session key.
fn kerberos(token: &[u8], service: Option<&KerberosService>) -> Found {
    let Ok(message) = KrbMessage::<ApReq>::decode_application_krb_message(token) else {
        return Found::NotApplicable;
    };
    if message.0.krb5_token_id != [0x01, 0x00] {
        return Found::NotApplicable;
    }
    let ap_req = &message.0.krb_msg.0;
    let ticket = &ap_req.ticket.0.0;
    let sname: Vec<String> = ticket
        .sname
        .0
        .name_string
        .0
        .0
        .iter()
        .map(|c| String::from_utf8_lossy(c.0.as_bytes()).into_owned())
        .collect();
    let enc = &ticket.enc_part.0;
    let etype = i32::try_from(asn1_int(&enc.etype.0.0)).unwrap_or(-1);
    let kvno = enc
        .kvno
        .0
        .as_ref()
        .and_then(|k| u32::try_from(asn1_int(&k.0.0)).ok());
    // Looked up (or derived, a PBKDF2 run) only now.
    let Some(key) = service.and_then(|s| s.ticket_key(&sname, etype, kvno)) else {
        return Found::Unreadable;
    };
    let decrypt = |data: &picky_krb::data_types::EncryptedData, key: &[u8], usage: i32| {
        let suite = CipherSuite::try_from(data.etype.0.0.as_slice()).ok()?;
        suite.cipher().decrypt(key, usage, &data.cipher.0.0).ok()
    };
    let Some(ticket) = decrypt(&ap_req.ticket.0.0.enc_part.0, &key, TICKET_REP)
        .and_then(|plain| picky_asn1_der::from_bytes::<EncTicketPart>(&plain).ok())
    else {
        return Found::Unreadable;
    };
    let session_key = &ticket.0.key.0.key_value.0.0;
    let Some(authenticator) = decrypt(&ap_req.authenticator.0, session_key, AP_REQ_AUTHENTICATOR)
        .and_then(|plain| picky_asn1_der::from_bytes::<Authenticator>(&plain).ok())
    else {
        return Found::Unreadable;
    };
    let Some(cksum) = authenticator.0.cksum.0 else {
        return Found::Absent;
    };
    let kind = cksum
        .0
        .cksumtype
        .0
        .as_unsigned_bytes_be()
        .iter()
        .fold(0u32, |acc, b| {
            acc.saturating_mul(256).saturating_add(u32::from(*b))
        });
    if kind != GSS_CHECKSUM_TYPE {
        return Found::Absent;
    }
    // Lgth (4 bytes, little endian, 16) then Bnd.
    match cksum.0.checksum.0.0.get(4..20) {
        Some(bnd) => <[u8; 16]>::try_from(bnd).map_or(Found::Unreadable, nonzero),
        None => Found::Unreadable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An AUTHENTICATE message whose NtChallengeResponse holds `pairs` after the NTLMv2 header.
    fn authenticate(pairs: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut response = vec![0x11; 16 + 28];
        for (id, value) in pairs {
            response.extend_from_slice(&id.to_le_bytes());
            response.extend_from_slice(&u16::try_from(value.len()).unwrap_or(0).to_le_bytes());
            response.extend_from_slice(value);
        }
        response.extend_from_slice(&[0, 0, 0, 0]);
        let mut msg = b"NTLMSSP\0\x03\0\0\0".to_vec();
        msg.resize(64, 0);
        let len = u16::try_from(response.len()).unwrap_or(0);
        msg[20..22].copy_from_slice(&len.to_le_bytes());
        msg[22..24].copy_from_slice(&len.to_le_bytes());
        msg[24..28].copy_from_slice(&64u32.to_le_bytes());
        msg.extend_from_slice(&response);
        msg
    }

    #[test]
    fn the_hash_is_md5_of_the_flattened_bindings() {
        // MD5 of 16 zero bytes, length 4 and "abcd", computed independently.
        let mut flat = vec![0u8; 16];
        flat.extend_from_slice(&4u32.to_le_bytes());
        flat.extend_from_slice(b"abcd");
        let direct: [u8; 16] = md5::Md5::digest(&flat).into();
        assert_eq!(expected_hash(b"abcd"), direct);
        assert_ne!(expected_hash(b"abcd"), expected_hash(b"abce"));
    }

    #[test]
    fn ntlm_bindings_are_found_in_the_ntlmv2_response() {
        let hash = expected_hash(b"tls-server-end-point:x");
        let with = authenticate(&[(0x0002, vec![0x41, 0]), (0x000A, hash.to_vec())]);
        assert_eq!(inspect(&with, None), Found::Hash(hash));
        let zeros = authenticate(&[(0x000A, vec![0; 16])]);
        assert_eq!(inspect(&zeros, None), Found::Absent);
        let without = authenticate(&[(0x0002, vec![0x41, 0])]);
        assert_eq!(inspect(&without, None), Found::Absent);
        assert_eq!(inspect(b"NTLMSSP\0\x03\0\0\0", None), Found::Unreadable);
        assert_eq!(
            inspect(b"NTLMSSP\0\x01\0\0\0\0\0\0\0", None),
            Found::NotApplicable
        );
    }

    #[test]
    fn ntlm_inside_a_neg_token_resp_is_inspected() {
        let hash = expected_hash(b"data");
        let inner = authenticate(&[(0x000A, hash.to_vec())]);
        // NegTokenResp { responseToken [2] OCTET STRING inner }, DER by hand.
        let octets = der(0x04, &inner);
        let tagged = der(0xa2, &octets);
        let sequence = der(0x30, &tagged);
        let token = der(0xa1, &sequence);
        assert_eq!(inspect(&token, None), Found::Hash(hash));
        assert!(!refuse(CbtLevel::Strict, inspect(&token, None), b"data"));
        assert!(refuse(CbtLevel::Relaxed, inspect(&token, None), b"other"));
    }

    fn der(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 128 {
            out.push(u8::try_from(len).unwrap_or(0));
        } else {
            let bytes = u16::try_from(len).unwrap_or(0).to_be_bytes();
            out.push(0x82);
            out.extend_from_slice(&bytes);
        }
        out.extend_from_slice(content);
        out
    }

    #[test]
    fn hostile_spnego_tokens_are_not_applicable() {
        for token in [
            vec![0x60],
            vec![0x60, 0x84, 0xff, 0xff, 0xff, 0xff],
            vec![0xa1, 0x03, 0x30, 0x01, 0xa2],
            vec![0x60, 0x03, 0x06, 0x01, 0x2b],
            vec![0xa1, 0x02, 0x30, 0x00],
        ] {
            assert_eq!(inspect(&token, None), Found::NotApplicable, "{token:02x?}");
        }
    }

    #[test]
    fn levels_decide_as_winrm_does() {
        let data = b"tls-server-end-point:abc";
        let right = Found::Hash(expected_hash(data));
        let wrong = Found::Hash(expected_hash(b"tls-server-end-point:xyz"));
        for found in [right, wrong, Found::Absent, Found::Unreadable] {
            assert!(!refuse(CbtLevel::None, found, data));
        }
        assert!(!refuse(CbtLevel::Relaxed, right, data));
        assert!(refuse(CbtLevel::Relaxed, wrong, data));
        assert!(!refuse(CbtLevel::Relaxed, Found::Absent, data));
        assert!(!refuse(CbtLevel::Strict, right, data));
        assert!(refuse(CbtLevel::Strict, wrong, data));
        assert!(refuse(CbtLevel::Strict, Found::Absent, data));
        assert!(!refuse(CbtLevel::Strict, Found::NotApplicable, data));
    }
}
