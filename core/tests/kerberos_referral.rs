//! Client referrals (RFC 6806 `KDC_ERR_WRONG_REALM`): a KDC that refers every AS-REQ to the
//! realm of the MIT KDC fixture (tests/kdc), and the client that follows it there with the
//! enterprise name. Needs the fixture's variables (`KRB5_CONFIG`, whose realm section names the
//! real KDC, `MX_KRB5_REALM`, `MX_KRB5_SERVICE_HOST`, `MX_KRB5_UPN_USER`,
//! `MX_KRB5_UPN_PASSWORD`); without them it says so and passes, except under CI.

use std::time::Duration;

use monosync_exchange::transport::probe;
use monosync_exchange::transport::{AuthMethod, Credentials, TransportOptions};
use picky_asn1::date::Date;
use picky_asn1::restricted_string::Ia5String;
use picky_asn1::wrapper::{
    Asn1SequenceOf, ExplicitContextTag0, ExplicitContextTag1, ExplicitContextTag4,
    ExplicitContextTag5, ExplicitContextTag6, ExplicitContextTag7, ExplicitContextTag9,
    ExplicitContextTag10, GeneralStringAsn1, GeneralizedTimeAsn1, IntegerAsn1, Optional,
};
use picky_krb::data_types::PrincipalName;
use picky_krb::messages::{KrbError, KrbErrorInner};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn s(text: &str) -> GeneralStringAsn1 {
    GeneralStringAsn1::from(Ia5String::from_string(text.to_owned()).unwrap())
}

/// KDC_ERR_WRONG_REALM from `from`, naming `to` as the client's realm.
fn wrong_realm(from: &str, to: &str) -> Vec<u8> {
    let err = picky_asn1_der::application_tag::ApplicationTag::<_, 30>(KrbErrorInner {
        pvno: ExplicitContextTag0::from(IntegerAsn1::from(vec![5])),
        msg_type: ExplicitContextTag1::from(IntegerAsn1::from(vec![30])),
        ctime: Optional::from(None),
        cusec: Optional::from(None),
        stime: ExplicitContextTag4::from(GeneralizedTimeAsn1::from(
            Date::new(2026, 1, 1, 0, 0, 0).unwrap(),
        )),
        susec: ExplicitContextTag5::from(IntegerAsn1::from(vec![0])),
        error_code: ExplicitContextTag6::from(68u32),
        crealm: Optional::from(Some(ExplicitContextTag7::from(s(to)))),
        cname: Optional::from(None),
        realm: ExplicitContextTag9::from(s(from)),
        sname: ExplicitContextTag10::from(PrincipalName {
            name_type: ExplicitContextTag0::from(IntegerAsn1::from(vec![2])),
            name_string: ExplicitContextTag1::from(Asn1SequenceOf::from(vec![
                s("krbtgt"),
                s(from),
            ])),
        }),
        e_text: Optional::from(None),
        e_data: Optional::from(None),
    });
    let err: KrbError = err;
    let body = picky_asn1_der::to_vec(&err).unwrap();
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(&body);
    out
}

#[tokio::test]
async fn a_wrong_realm_referral_is_followed_with_the_enterprise_name() {
    let (Some(_), Some(realm), Some(host), Some(upn), Some(password)) = (
        env("KRB5_CONFIG"),
        env("MX_KRB5_REALM"),
        env("MX_KRB5_SERVICE_HOST"),
        env("MX_KRB5_UPN_USER"),
        env("MX_KRB5_UPN_PASSWORD"),
    ) else {
        assert!(
            env("CI").is_none(),
            "the KDC fixture's variables are not set under CI"
        );
        eprintln!("MX_KRB5_UPN_USER not set: start tests/kdc/start-kdc.sh and source its env");
        return;
    };
    // The referring KDC: one AS-REQ, answered with a referral to the fixture's realm.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let referral = wrong_realm("PARENT.TEST", &realm);
    let kdc = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let len = sock.read_u32().await.unwrap() as usize;
        let mut req = vec![0u8; len];
        sock.read_exact(&mut req).await.unwrap();
        sock.write_all(&referral).await.unwrap();
        req
    });
    let mut o = TransportOptions::new(
        format!("http://{host}/PowerShell"),
        AuthMethod::Kerberos,
        Credentials::new(upn.clone(), password),
    );
    o.realm = Some("PARENT.TEST".into());
    o.kdc = Some(format!("tcp://127.0.0.1:{port}"));
    o.timeouts.read = Duration::from_secs(10);
    let ticket = probe::kerberos_service_ticket(&o)
        .await
        .expect("the referral is followed to the fixture's KDC");
    assert_eq!(ticket.spn, format!("HTTP/{host}"));
    assert_eq!(
        ticket.principal.as_deref(),
        Some(format!("{upn} (NT-ENTERPRISE name) in realm {realm}").as_str())
    );
    // The first AS-REQ went to the referring KDC: the enterprise name (type 10) and its realm.
    let req = kdc.await.unwrap();
    assert!(req.windows(upn.len()).any(|w| w == upn.as_bytes()));
    assert!(req.windows(11).any(|w| w == b"PARENT.TEST"));
}
