//! What a KDC's replies say, sans-IO: the error code, names and times of a KRB-ERROR, and the
//! encryption type of a service ticket in a TGS-REP. The transport records these as the replies
//! pass through (sspi keeps them to itself), so that a failure names its cause in Active
//! Directory's terms: a missing SPN, clock skew, an account without AES keys, a referral.
//!
//! Only unencrypted fields are read; no key, ticket or session key is kept.

use picky_asn1::wrapper::IntegerAsn1;
use picky_krb::data_types::{KerberosTime, PrincipalName};
use picky_krb::messages::{AsRep, KdcProxyMessage, KrbError, TgsRep};

/// RFC 3961 / RFC 4757 `rc4-hmac`.
pub const ETYPE_RC4_HMAC: i64 = 23;
/// RFC 3962 `aes128-cts-hmac-sha1-96`.
pub const ETYPE_AES128: i64 = 17;
/// RFC 3962 `aes256-cts-hmac-sha1-96`.
pub const ETYPE_AES256: i64 = 18;

/// RFC 4120 7.5.9 error codes this client gives a meaning to.
pub mod code {
    /// The client principal is unknown.
    pub const C_PRINCIPAL_UNKNOWN: u32 = 6;
    /// The service principal is unknown.
    pub const S_PRINCIPAL_UNKNOWN: u32 = 7;
    /// No encryption type in common (AD: the service account has no key of a requested type).
    pub const ETYPE_NOSUPP: u32 = 14;
    /// Pre-authentication failed (wrong password).
    pub const PREAUTH_FAILED: u32 = 24;
    /// Pre-authentication required (the first round of every AS exchange).
    pub const PREAUTH_REQUIRED: u32 = 25;
    /// The clocks differ too much (RFC 4120 calls it KRB_AP_ERR_SKEW; AD answers it for the
    /// pre-authentication timestamp as well).
    pub const SKEW: u32 = 37;
    /// Client referral (RFC 6806 5): the account lives in the realm named by `crealm`.
    pub const WRONG_REALM: u32 = 68;
}

/// A Kerberos name-type, principal and realm, as written in a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// RFC 4120 name type (1 NT-PRINCIPAL, 2 NT-SRV-INST, 10 NT-ENTERPRISE).
    pub name_type: i64,
    /// The name components joined by `/`.
    pub name: String,
}

/// A KRB-ERROR's readable fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KdcError {
    /// The error code (RFC 4120 7.5.9).
    pub code: u32,
    /// The KDC's time, `YYYY-MM-DD HH:MM:SS UTC`.
    pub kdc_time: String,
    /// The KDC's time in seconds since the Unix epoch.
    pub kdc_unix: i64,
    /// The realm of the server principal.
    pub realm: String,
    /// The server principal (`krbtgt/REALM` for the AS exchange, the SPN for TGS).
    pub sname: String,
    /// The client realm, when the KDC names one (a referral's target realm).
    pub crealm: Option<String>,
    /// The client name, when present.
    pub cname: Option<Principal>,
    /// The KDC's text, when present.
    pub text: Option<String>,
}

/// A ticket from an AS-REP or TGS-REP: for whom, and how it is encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTicket {
    /// Whether it came from the TGS exchange (a service ticket) rather than the AS exchange.
    pub service: bool,
    /// The server principal of the ticket.
    pub sname: String,
    /// The ticket's realm.
    pub realm: String,
    /// The client realm (after canonicalization).
    pub crealm: String,
    /// The client name (after canonicalization).
    pub cname: String,
    /// The encryption type of the ticket (the service key's type).
    pub ticket_etype: i64,
}

/// One KDC reply, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KdcReply {
    /// A KRB-ERROR.
    Error(KdcError),
    /// An AS-REP or TGS-REP.
    Ticket(IssuedTicket),
}

/// Reads a KDC reply as sspi receives it: with or without the 4-byte TCP length, or wrapped in
/// an [MS-KKDCP] `KDC-PROXY-MESSAGE`. `None` for anything else.
pub fn inspect(reply: &[u8]) -> Option<KdcReply> {
    let body = unframe(reply);
    if let Ok(m) = picky_asn1_der::from_bytes::<KdcProxyMessage>(body) {
        let inner: &[u8] = &m.kerb_message.0.0;
        return inspect_message(unframe(inner));
    }
    inspect_message(body)
}

fn unframe(bytes: &[u8]) -> &[u8] {
    match (bytes.get(..4), bytes.get(4..)) {
        (Some(len), Some(rest))
            if u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize == rest.len()
                && !rest.is_empty() =>
        {
            rest
        }
        _ => bytes,
    }
}

fn inspect_message(bytes: &[u8]) -> Option<KdcReply> {
    // The DER application tag tells which message this is: 0x7E KRB-ERROR (30), 0x6B AS-REP
    // (11), 0x6D TGS-REP (13).
    match bytes.first()? {
        0x7E => {
            let e: KrbError = picky_asn1_der::from_bytes(bytes).ok()?;
            let e = e.0;
            let time: &KerberosTime = &e.stime.0;
            Some(KdcReply::Error(KdcError {
                code: e.error_code.0,
                kdc_time: format_time(time),
                kdc_unix: unix_time(time),
                realm: e.realm.0.0.as_utf8().to_owned(),
                sname: principal(&e.sname.0).name,
                crealm: e.crealm.0.map(|r| r.0.0.as_utf8().to_owned()),
                cname: e.cname.0.map(|c| principal(&c.0)),
                text: e.e_text.0.map(|t| t.0.0.as_utf8().to_owned()),
            }))
        }
        0x6B => {
            let r: AsRep = picky_asn1_der::from_bytes(bytes).ok()?;
            Some(KdcReply::Ticket(ticket(&r.0, false)))
        }
        0x6D => {
            let r: TgsRep = picky_asn1_der::from_bytes(bytes).ok()?;
            Some(KdcReply::Ticket(ticket(&r.0, true)))
        }
        _ => None,
    }
}

fn ticket(rep: &picky_krb::messages::KdcRep, service: bool) -> IssuedTicket {
    let t = &rep.ticket.0.0;
    IssuedTicket {
        service,
        sname: principal(&t.sname.0).name,
        realm: t.realm.0.0.as_utf8().to_owned(),
        crealm: rep.crealm.0.0.as_utf8().to_owned(),
        cname: principal(&rep.cname.0).name,
        ticket_etype: integer(&t.enc_part.0.etype.0),
    }
}

fn principal(p: &PrincipalName) -> Principal {
    Principal {
        name_type: integer(&p.name_type.0),
        name: p
            .name_string
            .0
            .0
            .iter()
            .map(|s| s.0.as_utf8())
            .collect::<Vec<_>>()
            .join("/"),
    }
}

fn integer(i: &IntegerAsn1) -> i64 {
    let bytes = i.as_signed_bytes_be();
    if bytes.is_empty() || bytes.len() > 8 {
        return 0;
    }
    let fill = if bytes[0] & 0x80 != 0 { 0xFF } else { 0 };
    let mut buf = [fill; 8];
    buf[8 - bytes.len()..].copy_from_slice(bytes);
    i64::from_be_bytes(buf)
}

fn format_time(t: &KerberosTime) -> String {
    let t = &t.0;
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn unix_time(t: &KerberosTime) -> i64 {
    let t = &t.0;
    let Ok(month) = time::Month::try_from(t.month()) else {
        return 0;
    };
    time::Date::from_calendar_date(i32::from(t.year()), month, t.day())
        .and_then(|d| d.with_hms(t.hour(), t.minute(), t.second()))
        .map(|dt| dt.assume_utc().unix_timestamp())
        .unwrap_or(0)
}

/// A Unix time as `YYYY-MM-DD HH:MM:SS UTC`, the form [`KdcError::kdc_time`] uses.
pub fn format_unix(secs: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => format!("{secs} (Unix time)"),
    }
}

/// Whether an encryption type is one of the AES families (RFC 3962, RFC 8009).
pub fn is_aes(etype: i64) -> bool {
    matches!(etype, 17..=20)
}

/// The readable name of an encryption type.
pub fn etype_name(etype: i64) -> String {
    match etype {
        ETYPE_AES256 => "aes256-cts-hmac-sha1-96".to_owned(),
        ETYPE_AES128 => "aes128-cts-hmac-sha1-96".to_owned(),
        ETYPE_RC4_HMAC => "rc4-hmac".to_owned(),
        19 => "aes128-cts-hmac-sha256-128".to_owned(),
        20 => "aes256-cts-hmac-sha384-192".to_owned(),
        1 => "des-cbc-crc".to_owned(),
        3 => "des-cbc-md5".to_owned(),
        other => format!("etype {other}"),
    }
}

/// The RFC 4120 name of an error code.
pub fn code_name(code: u32) -> String {
    match code {
        code::C_PRINCIPAL_UNKNOWN => "KDC_ERR_C_PRINCIPAL_UNKNOWN".to_owned(),
        code::S_PRINCIPAL_UNKNOWN => "KDC_ERR_S_PRINCIPAL_UNKNOWN".to_owned(),
        code::ETYPE_NOSUPP => "KDC_ERR_ETYPE_NOSUPP".to_owned(),
        code::PREAUTH_FAILED => "KDC_ERR_PREAUTH_FAILED".to_owned(),
        code::PREAUTH_REQUIRED => "KDC_ERR_PREAUTH_REQUIRED".to_owned(),
        code::SKEW => "KRB_AP_ERR_SKEW".to_owned(),
        code::WRONG_REALM => "KDC_ERR_WRONG_REALM".to_owned(),
        18 => "KDC_ERR_CLIENT_REVOKED".to_owned(),
        23 => "KDC_ERR_KEY_EXPIRED".to_owned(),
        other => format!("KDC error {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use picky_asn1::date::Date;
    use picky_asn1::restricted_string::Ia5String;
    use picky_asn1::wrapper::{
        Asn1SequenceOf, ExplicitContextTag0, ExplicitContextTag1, ExplicitContextTag2,
        ExplicitContextTag3, ExplicitContextTag4, ExplicitContextTag5, ExplicitContextTag6,
        ExplicitContextTag7, ExplicitContextTag9, ExplicitContextTag10, GeneralStringAsn1,
        GeneralizedTimeAsn1, OctetStringAsn1, Optional,
    };
    use picky_krb::data_types::{EncryptedData, TicketInner};
    use picky_krb::messages::{KdcRep, KrbErrorInner};

    fn s(text: &str) -> GeneralStringAsn1 {
        GeneralStringAsn1::from(Ia5String::from_string(text.to_owned()).unwrap())
    }

    fn name(kind: u8, parts: &[&str]) -> PrincipalName {
        PrincipalName {
            name_type: ExplicitContextTag0::from(IntegerAsn1::from(vec![kind])),
            name_string: ExplicitContextTag1::from(Asn1SequenceOf::from(
                parts.iter().map(|p| s(p)).collect::<Vec<_>>(),
            )),
        }
    }

    fn krb_error(code: u32, crealm: Option<&str>) -> Vec<u8> {
        let err: KrbError = picky_asn1_der::application_tag::ApplicationTag(KrbErrorInner {
            pvno: ExplicitContextTag0::from(IntegerAsn1::from(vec![5])),
            msg_type: ExplicitContextTag1::from(IntegerAsn1::from(vec![30])),
            ctime: Optional::from(None),
            cusec: Optional::from(None),
            stime: ExplicitContextTag4::from(GeneralizedTimeAsn1::from(
                Date::new(2026, 12, 7, 21, 30, 5).unwrap(),
            )),
            susec: ExplicitContextTag5::from(IntegerAsn1::from(vec![0])),
            error_code: ExplicitContextTag6::from(code),
            crealm: Optional::from(crealm.map(|r| ExplicitContextTag7::from(s(r)))),
            cname: Optional::from(None),
            realm: ExplicitContextTag9::from(s("CONTOSO.COM")),
            sname: ExplicitContextTag10::from(name(2, &["HTTP", "ex01.contoso.com"])),
            e_text: Optional::from(None),
            e_data: Optional::from(None),
        });
        picky_asn1_der::to_vec(&err).unwrap()
    }

    fn framed(msg: &[u8]) -> Vec<u8> {
        let mut out = (msg.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(msg);
        out
    }

    #[test]
    fn reads_a_krb_error_framed_or_in_a_proxy_message() {
        let raw = krb_error(code::S_PRINCIPAL_UNKNOWN, None);
        let expect = KdcReply::Error(KdcError {
            code: 7,
            kdc_time: "2026-12-07 21:30:05 UTC".into(),
            kdc_unix: 1_796_679_005,
            realm: "CONTOSO.COM".into(),
            sname: "HTTP/ex01.contoso.com".into(),
            crealm: None,
            cname: None,
            text: None,
        });
        assert_eq!(inspect(&raw), Some(expect.clone()));
        assert_eq!(inspect(&framed(&raw)), Some(expect.clone()));
        let proxied = KdcProxyMessage {
            kerb_message: ExplicitContextTag0::from(OctetStringAsn1::from(framed(&raw))),
            target_domain: Optional::from(None),
            dclocator_hint: Optional::from(None),
        };
        let proxied = picky_asn1_der::to_vec(&proxied).unwrap();
        assert_eq!(inspect(&proxied), Some(expect));
        assert_eq!(format_unix(1_796_679_005), "2026-12-07 21:30:05 UTC");
    }

    #[test]
    fn reads_a_referral_realm() {
        let raw = krb_error(code::WRONG_REALM, Some("CHILD.CONTOSO.COM"));
        let Some(KdcReply::Error(e)) = inspect(&framed(&raw)) else {
            panic!("not an error");
        };
        assert_eq!(e.crealm.as_deref(), Some("CHILD.CONTOSO.COM"));
        assert_eq!(code_name(e.code), "KDC_ERR_WRONG_REALM");
    }

    #[test]
    fn reads_the_etype_of_a_service_ticket() {
        let rep: TgsRep = picky_asn1_der::application_tag::ApplicationTag(KdcRep {
            pvno: ExplicitContextTag0::from(IntegerAsn1::from(vec![5])),
            msg_type: ExplicitContextTag1::from(IntegerAsn1::from(vec![13])),
            padata: Optional::from(None),
            crealm: ExplicitContextTag3::from(s("CONTOSO.COM")),
            cname: ExplicitContextTag4::from(name(1, &["john.smith"])),
            ticket: ExplicitContextTag5::from(picky_asn1_der::application_tag::ApplicationTag(
                TicketInner {
                    tkt_vno: ExplicitContextTag0::from(IntegerAsn1::from(vec![5])),
                    realm: ExplicitContextTag1::from(s("CONTOSO.COM")),
                    sname: ExplicitContextTag2::from(name(2, &["HTTP", "ex01.contoso.com"])),
                    enc_part: ExplicitContextTag3::from(EncryptedData {
                        etype: ExplicitContextTag0::from(IntegerAsn1::from(vec![23])),
                        kvno: Optional::from(None),
                        cipher: ExplicitContextTag2::from(OctetStringAsn1::from(vec![0; 32])),
                    }),
                },
            )),
            enc_part: ExplicitContextTag6::from(EncryptedData {
                etype: ExplicitContextTag0::from(IntegerAsn1::from(vec![18])),
                kvno: Optional::from(None),
                cipher: ExplicitContextTag2::from(OctetStringAsn1::from(vec![0; 32])),
            }),
        });
        let raw = picky_asn1_der::to_vec(&rep).unwrap();
        assert_eq!(
            inspect(&framed(&raw)),
            Some(KdcReply::Ticket(IssuedTicket {
                service: true,
                sname: "HTTP/ex01.contoso.com".into(),
                realm: "CONTOSO.COM".into(),
                crealm: "CONTOSO.COM".into(),
                cname: "john.smith".into(),
                ticket_etype: ETYPE_RC4_HMAC,
            }))
        );
        assert_eq!(etype_name(ETYPE_RC4_HMAC), "rc4-hmac");
        assert!(!is_aes(ETYPE_RC4_HMAC) && !is_aes(3));
        assert!(is_aes(ETYPE_AES256) && is_aes(ETYPE_AES128) && is_aes(20));
    }

    #[test]
    fn ignores_what_is_not_a_kdc_reply() {
        assert_eq!(inspect(b""), None);
        assert_eq!(inspect(&[0, 0, 0, 2, 0x7E, 0x00]), None);
        assert_eq!(inspect(b"HTTP/1.1 200 OK"), None);
    }
}
