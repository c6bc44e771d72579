//! Drives a [`ClientHandshake`] over one connection: creates and steps the security contexts it
//! names (the only part that may wait, on the KDC) and sends the `Authorization` values it
//! builds. Every decision is the handshake's; the transport and the diagnostic probes share
//! this driver and differ only in how a request is sent.

use std::time::Duration;

use super::auth::{Credentials, KerberosSettings, SecurityContext};
use super::auth_header::Scheme;
use super::connection::Response;
use super::error::TransportError;
use super::handshake::{ClientHandshake, HandshakeError, HandshakeStep};

/// Who logs on to what, for the contexts the handshake asks for.
pub(crate) struct Logon<'a> {
    pub(crate) credentials: &'a Credentials,
    pub(crate) settings: &'a KerberosSettings,
    /// The service principal (`HTTP/<host>`).
    pub(crate) target: &'a str,
    /// The `tls-server-end-point` bindings the contexts carry.
    pub(crate) channel_binding: Option<&'a [u8]>,
    pub(crate) client_name: &'a str,
    pub(crate) kdc_timeout: Duration,
}

/// Why a logon did not complete.
pub(crate) enum LogonFailure {
    /// The server ended the handshake (a `401` refusal, or a handshake it cannot complete),
    /// with the context it refused, whose KDC answers may explain why.
    Refused {
        error: HandshakeError,
        context: Option<Box<SecurityContext>>,
    },
    /// The network, the KDC, the context or an HTTP error.
    Failed(TransportError),
}

impl From<TransportError> for LogonFailure {
    fn from(e: TransportError) -> Self {
        Self::Failed(e)
    }
}

impl LogonFailure {
    /// The error to report: a refusal explained by the context's KDC answers when they say
    /// more (clock skew, an RC4 service ticket).
    pub(crate) fn into_error(self) -> TransportError {
        match self {
            Self::Refused {
                error: error @ HandshakeError::Refused { .. },
                context: Some(ctx),
            } => ctx.explain_rejection(error.into()),
            Self::Refused { error, .. } => error.into(),
            Self::Failed(e) => e,
        }
    }
}

/// Sends one authentication request on the connection being authenticated.
pub(crate) trait Legs {
    /// Sends a request with this `Authorization` value and returns the answer.
    fn send(
        &mut self,
        authorization: String,
    ) -> impl Future<Output = Result<Response, TransportError>> + Send;
}

/// Runs `handshake` to its end, sending its requests through `legs`.
pub(crate) async fn log_on(
    mut handshake: ClientHandshake,
    logon: &Logon<'_>,
    legs: &mut impl Legs,
) -> Result<(SecurityContext, Scheme), LogonFailure> {
    let mut context: Option<SecurityContext> = None;
    let mut step = handshake.start();
    loop {
        step = match step {
            HandshakeStep::Start { method, scheme }
            | HandshakeStep::SwitchScheme { method, scheme, .. } => {
                if let HandshakeStep::SwitchScheme { from, .. } = &step {
                    tracing::debug!(from = %from, to = %scheme, "switching scheme");
                }
                let ctx = context.insert(SecurityContext::new(
                    method,
                    logon.credentials,
                    logon.settings,
                    logon.client_name,
                )?);
                let (token, complete) = ctx
                    .step(
                        scheme,
                        logon.target,
                        None,
                        logon.channel_binding,
                        logon.kdc_timeout,
                    )
                    .await?;
                handshake.token(&token, complete)
            }
            HandshakeStep::Continue { scheme, input } => {
                let Some(ctx) = context.as_mut() else {
                    return Err(LogonFailure::Refused {
                        error: HandshakeError::Incomplete { scheme },
                        context: None,
                    });
                };
                let (token, complete) = ctx
                    .step(
                        scheme,
                        logon.target,
                        Some(&input),
                        logon.channel_binding,
                        logon.kdc_timeout,
                    )
                    .await?;
                handshake.token(&token, complete)
            }
            HandshakeStep::Send { authorization } => {
                let resp = legs.send(authorization).await?;
                match handshake.response(resp.status, resp.header_values("www-authenticate")) {
                    HandshakeStep::Unexpected { status } => {
                        return Err(LogonFailure::Failed(TransportError::Http {
                            status,
                            body: resp.body,
                        }));
                    }
                    next => next,
                }
            }
            HandshakeStep::Done { scheme, legs } => {
                tracing::debug!(scheme = %scheme, legs, "authenticated");
                return match context {
                    Some(ctx) => Ok((ctx, scheme)),
                    None => Err(LogonFailure::Refused {
                        error: HandshakeError::Incomplete { scheme },
                        context: None,
                    }),
                };
            }
            HandshakeStep::Rejected(error) => {
                return Err(LogonFailure::Refused {
                    error,
                    context: context.map(Box::new),
                });
            }
            HandshakeStep::Unexpected { status } => {
                return Err(LogonFailure::Failed(TransportError::Http {
                    status,
                    body: Vec::new(),
                }));
            }
        };
    }
}

#[cfg(test)]
mod tests {
    //! Both machines joined in memory: the client's handshake and contexts against the
    //! server's acceptor, without sockets (NTLM and NTLM-in-SPNEGO need no KDC).

    use super::*;
    use crate::transport::AuthMethod;
    use crate::transport::acceptor::{AcceptPolicy, Account, Refusal, ServerAuth, Verdict};
    use crate::transport::auth_header;
    use crate::transport::encryption::SealingContext as _;
    use crate::transport::kerberos::KerberosConfigError;

    /// A server that answers each leg from a [`ServerAuth`], offering `schemes`.
    struct Loopback {
        auth: ServerAuth,
        accounts: Vec<Account>,
        schemes: Vec<Scheme>,
        expected_bindings: Option<Vec<u8>>,
        verdicts: Vec<Verdict>,
    }

    impl Loopback {
        fn new(schemes: &[Scheme]) -> Self {
            Self {
                auth: ServerAuth::new(),
                accounts: vec![Account::new("CORP\\alice", "Passw0rd!")],
                schemes: schemes.to_vec(),
                expected_bindings: None,
                verdicts: Vec::new(),
            }
        }

        fn answer(&mut self, authorization: &str) -> Response {
            let policy = AcceptPolicy {
                accounts: &self.accounts,
                schemes: &self.schemes,
                ntlm: true,
                kerberos: None,
                domains: &[],
                bindings: &self.expected_bindings,
            };
            let verdict = self.auth.authorize(authorization, &policy);
            self.verdicts.push(verdict.clone());
            let mut headers = hyper::HeaderMap::new();
            let mut add = |v: &str| {
                headers.append(
                    "www-authenticate",
                    hyper::header::HeaderValue::from_str(v).expect("header"),
                );
            };
            let status = match verdict {
                Verdict::Continue { challenge } => {
                    add(&challenge);
                    401
                }
                Verdict::Accepted { final_token, .. } => {
                    if let Some(t) = final_token {
                        add(&t);
                    }
                    200
                }
                Verdict::Rejected(_) => {
                    for s in &self.schemes {
                        add(s.as_str());
                    }
                    401
                }
            };
            Response {
                status,
                headers,
                body: Vec::new(),
                cut: false,
            }
        }
    }

    impl Legs for Loopback {
        async fn send(&mut self, authorization: String) -> Result<Response, TransportError> {
            Ok(self.answer(&authorization))
        }
    }

    fn run<T>(f: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    fn log_on_as(
        method: AuthMethod,
        user: &str,
        password: &str,
        bindings: Option<&[u8]>,
        server: &mut Loopback,
    ) -> Result<(SecurityContext, Scheme), LogonFailure> {
        let credentials = Credentials::new(user, password);
        // No realm: Negotiate carries NTLM inside SPNEGO and never asks a KDC.
        let settings = KerberosSettings {
            user_error: Some(KerberosConfigError::NoRealm(user.to_owned())),
            ..KerberosSettings::default()
        };
        let logon = Logon {
            credentials: &credentials,
            settings: &settings,
            target: "HTTP/ex01.corp.test",
            channel_binding: bindings,
            client_name: "client",
            kdc_timeout: Duration::from_secs(1),
        };
        let handshake = ClientHandshake::new(method, bindings.is_some(), bindings.is_some());
        run(log_on(handshake, &logon, server))
    }

    fn refused(r: Result<(SecurityContext, Scheme), LogonFailure>) -> HandshakeError {
        match r {
            Err(LogonFailure::Refused { error, .. }) => error,
            Err(LogonFailure::Failed(e)) => panic!("failed: {e}"),
            Ok((_, s)) => panic!("accepted under {s}"),
        }
    }

    #[test]
    fn ntlm_three_legs_then_both_sides_seal() {
        let mut server = Loopback::new(&[Scheme::Negotiate]);
        let (mut client, scheme) = log_on_as(
            AuthMethod::Ntlm,
            "CORP\\alice",
            "Passw0rd!",
            None,
            &mut server,
        )
        .unwrap_or_else(|_| panic!("logon"));
        assert_eq!(scheme, Scheme::Negotiate);
        assert!(matches!(server.verdicts[0], Verdict::Continue { .. }));
        assert!(matches!(
            &server.verdicts[1],
            Verdict::Accepted { user, mechanism: crate::transport::acceptor::Mechanism::Ntlm, .. }
                if user == "CORP\\alice"
        ));
        assert_eq!(server.verdicts.len(), 2);
        assert_eq!(server.auth.user(), Some("CORP\\alice"));
        // The two contexts share keys: what one seals the other opens.
        let (sig, cipher) = client.seal(b"<s:Envelope/>").expect("seal");
        let ctx = server.auth.sealing().expect("context");
        assert_eq!(ctx.unseal(&sig, &cipher).expect("unseal"), b"<s:Envelope/>");
    }

    #[test]
    fn negotiate_carries_ntlm_inside_spnego() {
        let mut server = Loopback::new(&[Scheme::Negotiate]);
        let (_, scheme) = log_on_as(
            AuthMethod::Negotiate,
            "CORP\\alice",
            "Passw0rd!",
            None,
            &mut server,
        )
        .unwrap_or_else(|_| panic!("logon"));
        assert_eq!(scheme, Scheme::Negotiate);
        assert_eq!(
            server.auth.mechanism(),
            Some(crate::transport::acceptor::Mechanism::Spnego)
        );
    }

    #[test]
    fn a_server_that_speaks_only_ntlm_gets_the_ntlm_scheme() {
        let mut server = Loopback::new(&[Scheme::Ntlm]);
        let (_, scheme) = log_on_as(
            AuthMethod::Ntlm,
            "CORP\\alice",
            "Passw0rd!",
            None,
            &mut server,
        )
        .unwrap_or_else(|_| panic!("logon"));
        assert_eq!(scheme, Scheme::Ntlm);
        assert_eq!(server.verdicts[0], Verdict::Rejected(Refusal::Scheme));
        assert_eq!(server.verdicts.len(), 3);
    }

    #[test]
    fn a_wrong_password_fails_the_final_leg() {
        let mut server = Loopback::new(&[Scheme::Negotiate]);
        let e = refused(log_on_as(
            AuthMethod::Ntlm,
            "CORP\\alice",
            "wrong",
            None,
            &mut server,
        ));
        assert!(
            matches!(&e, HandshakeError::Refused { scheme: Scheme::Negotiate, offered, .. } if offered == &["Negotiate"]),
            "{e:?}"
        );
        assert_eq!(server.verdicts[1], Verdict::Rejected(Refusal::Credentials));
        assert_eq!(server.auth.user(), None);
    }

    #[test]
    fn an_unknown_user_with_a_known_password_is_refused() {
        let mut server = Loopback::new(&[Scheme::Negotiate]);
        refused(log_on_as(
            AuthMethod::Ntlm,
            "CORP\\mallory",
            "Passw0rd!",
            None,
            &mut server,
        ));
        assert_eq!(server.verdicts[1], Verdict::Rejected(Refusal::Credentials));
    }

    #[test]
    fn channel_bindings_must_match_the_servers() {
        let ours = b"tls-server-end-point:ours".to_vec();
        let mut server = Loopback::new(&[Scheme::Negotiate]);
        server.expected_bindings = Some(ours.clone());
        assert!(
            log_on_as(
                AuthMethod::Ntlm,
                "CORP\\alice",
                "Passw0rd!",
                Some(&ours),
                &mut server
            )
            .is_ok()
        );
        let mut server = Loopback::new(&[Scheme::Negotiate]);
        server.expected_bindings = Some(b"tls-server-end-point:theirs".to_vec());
        let e = refused(log_on_as(
            AuthMethod::Ntlm,
            "CORP\\alice",
            "Passw0rd!",
            Some(&ours),
            &mut server,
        ));
        assert!(matches!(e, HandshakeError::Refused { .. }), "{e:?}");
    }

    #[test]
    fn basic_is_checked_against_the_accounts_by_bare_name() {
        let accounts = [Account::new("CORP\\alice", "Passw0rd!")];
        let none: Option<Vec<u8>> = None;
        let policy = |schemes| AcceptPolicy {
            accounts: &accounts,
            schemes,
            ntlm: true,
            kerberos: None,
            domains: &[],
            bindings: &none,
        };
        let mut auth = ServerAuth::new();
        let right = auth_header::basic_authorization("alice@corp.example", "Passw0rd!");
        assert_eq!(
            auth.authorize(&right, &policy(&[Scheme::Basic])),
            Verdict::Accepted {
                user: "CORP\\alice".into(),
                mechanism: crate::transport::acceptor::Mechanism::Basic,
                final_token: None
            }
        );
        assert!(auth.sealing().is_none());
        let wrong = auth_header::basic_authorization("CORP\\alice", "nope");
        assert_eq!(
            auth.authorize(&wrong, &policy(&[Scheme::Basic])),
            Verdict::Rejected(Refusal::Credentials)
        );
        assert_eq!(auth.user(), None);
        // Where Basic is not allowed, the right password is refused too.
        assert_eq!(
            auth.authorize(&right, &policy(&[Scheme::Negotiate])),
            Verdict::Rejected(Refusal::Scheme)
        );
    }

    #[test]
    fn authorization_values_are_bounded_and_read_with_care() {
        let accounts = [Account::new("CORP\\alice", "Passw0rd!")];
        let none: Option<Vec<u8>> = None;
        let policy = AcceptPolicy {
            accounts: &accounts,
            schemes: &[Scheme::Negotiate, Scheme::Kerberos],
            ntlm: true,
            kerberos: None,
            domains: &[],
            bindings: &none,
        };
        let mut auth = ServerAuth::new();
        let long = format!(
            "Negotiate {}",
            "A".repeat(crate::transport::acceptor::MAX_AUTHORIZATION_BYTES)
        );
        assert_eq!(
            auth.authorize(&long, &policy),
            Verdict::Rejected(Refusal::TooLong)
        );
        assert_eq!(
            auth.authorize("Negotiate !!", &policy),
            Verdict::Rejected(Refusal::BadToken)
        );
        // A raw Kerberos token without a Kerberos service, and NTLM under `Kerberos`.
        let krb5 = [
            0x60, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02,
        ];
        assert_eq!(
            auth.authorize(
                &auth_header::token_authorization(Scheme::Negotiate, &krb5),
                &policy
            ),
            Verdict::Rejected(Refusal::Mechanism)
        );
        assert_eq!(
            auth.authorize(
                &auth_header::token_authorization(Scheme::Kerberos, b"NTLMSSP\0\x01\0\0\0"),
                &policy
            ),
            Verdict::Rejected(Refusal::Mechanism)
        );
    }
}
