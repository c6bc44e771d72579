//! Kerberos through the C ABI: a UPN whose suffix is not the realm, with
//! `mx_options_set_realm`, through the KDC proxy given to `mx_options_set_kdc` and trusted with
//! `mx_options_set_ca_file`, against mx-sim; and a malformed realm refused.
//!
//! Needs the environment of tests/kdc/start-kdc.sh and start-kdcproxy.sh (`MX_KDC_URL`,
//! `MX_KRB5_REALM`, `MX_KRB5_USER`, `MX_KRB5_PASSWORD`, `MX_KRB5_SERVICE_HOST`, `MX_KRB5_SERVICE_PASSWORD` (MIT; the Samba AD DC's
//! environment gives `MX_KRB5_KEYTAB` instead), `MX_KRB5_UPN_USER`,
//! `MX_KRB5_UPN_PASSWORD`, `MX_KRB5_UPN_ACCOUNT`, `MX_KDC_PROXY_URL`, `MX_KDC_PROXY_CA`);
//! without it the test says so and passes, except under CI (`CI` set).

use monosync_exchange::command::*;
use monosync_exchange::error::*;
use monosync_exchange::options::*;
use monosync_exchange::result::*;
use monosync_exchange::session::*;
use mx_fixtures::{KdcProxy, Realm, UpnUser};

mod common;

use common::{check, s, take_error};

#[test]
fn a_malformed_realm_is_an_invalid_argument() {
    let o = mx_options_new();
    let mut err = std::ptr::null_mut();
    let (p, n) = s("not a realm");
    assert_eq!(
        mx_options_set_realm(o, p, n, &mut err),
        mx_result_code::MX_INVALID_ARGUMENT
    );
    let (_, message) = take_error(err);
    assert!(message.contains("not a realm"), "{message}");
    // NULL goes back to the default.
    let mut err = std::ptr::null_mut();
    check(mx_options_set_realm(o, std::ptr::null(), 0, &mut err), err);
    mx_options_free(o);
}

#[test]
fn a_upn_suffix_with_the_realm_through_the_kdc_proxy() {
    let (Some(r), Some(upn), Some(proxy)) =
        (Realm::from_env(), UpnUser::from_env(), KdcProxy::from_env())
    else {
        return;
    };
    let server = r.kerberos_server(&upn.account);
    let host = &r.host;
    let port = server.addr().port();

    let o = mx_options_new();
    let mut err = std::ptr::null_mut();
    let set = |f: extern "C" fn(
        *mut mx_options,
        *const std::ffi::c_char,
        usize,
        *mut *mut mx_error,
    ) -> mx_result_code,
               value: &str| {
        let mut err = std::ptr::null_mut();
        let (p, n) = s(value);
        check(f(o, p, n, &mut err), err);
    };
    set(
        mx_options_set_url,
        &format!("http://{host}:{port}/PowerShell"),
    );
    check(
        mx_options_set_auth(o, mx_auth::Kerberos as u32, &mut err),
        err,
    );
    set(mx_options_set_username, &upn.upn);
    set(mx_options_set_password, &upn.password);
    set(mx_options_set_realm, &r.realm.to_ascii_lowercase());
    set(mx_options_set_kdc, &proxy.url);
    let (p, n) = s(&proxy.ca);
    let mut err = std::ptr::null_mut();
    check(mx_options_set_ca_file(o, p, n, &mut err), err);
    set(mx_options_add_resolve, &format!("{host}:{port}:127.0.0.1"));

    let mut session = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    check(mx_session_open(o, &mut session, &mut err), err);
    mx_options_free(o);

    let mut c = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    let (p, n) = s("Get-Mailbox");
    check(mx_command_new(p, n, &mut c, &mut err), err);
    let (kp, kn) = s("Identity");
    let (vp, vn) = s("Administrator");
    check(mx_command_add_string(c, kp, kn, vp, vn, &mut err), err);
    let mut result = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    check(mx_session_invoke(session, c, &mut result, &mut err), err);
    assert_eq!(mx_result_count(result), 1);
    mx_result_free(result);
    mx_command_free(c);
    let mut err = std::ptr::null_mut();
    check(mx_session_close(session, &mut err), err);
    mx_session_free(session);
    let log = server.request_log().entries();
    assert!(
        log.iter()
            .filter(|e| e.operation != "Auth" && e.status == 200)
            .all(|e| e.auth.as_deref() == Some("Kerberos") && e.sealed),
        "{log:?}"
    );
}
