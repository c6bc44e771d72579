//! The client side of HTTP authentication as a sans-IO state machine: which scheme to try,
//! what each `401` means, when to switch schemes and when the server has refused.
//!
//! The machine never touches a socket or a security context. Its driver creates the context
//! the machine names, steps it with the tokens the machine hands over, sends the
//! `Authorization` values the machine builds and reports each answer's status and
//! `WWW-Authenticate` values:
//!
//! ```
//! use monosync_exchange::transport::AuthMethod;
//! use monosync_exchange::transport::auth_header::Scheme;
//! use monosync_exchange::transport::handshake::{ClientHandshake, HandshakeStep};
//!
//! let mut hs = ClientHandshake::new(AuthMethod::Ntlm, false, false);
//! assert!(matches!(
//!     hs.start(),
//!     HandshakeStep::Start { method: AuthMethod::Ntlm, scheme: Scheme::Negotiate }
//! ));
//! // The context's first token (an NTLM NEGOTIATE) goes out under that scheme.
//! let HandshakeStep::Send { authorization } = hs.token(b"NTLMSSP\0\x01", false) else {
//!     unreachable!()
//! };
//! assert!(authorization.starts_with("Negotiate "));
//! // A server that speaks only NTLM refuses it without a token: try the NTLM scheme.
//! assert!(matches!(
//!     hs.response(401, ["NTLM"]),
//!     HandshakeStep::SwitchScheme { scheme: Scheme::Ntlm, .. }
//! ));
//! ```

use super::auth::AuthMethod;
use super::auth_header::{self, AuthHeaderError, Challenge, Scheme};
use super::error::TransportError;

/// Requests sent under one scheme before the server is taken to be confused: NTLM takes two,
/// Kerberos one, SPNEGO up to three.
pub const MAX_LEGS: usize = 4;

/// Most `WWW-Authenticate` values read from one answer.
pub const MAX_CHALLENGE_VALUES: usize = 16;

/// Most bytes of `WWW-Authenticate` values read from one answer; a Kerberos AP-REP or an NTLM
/// CHALLENGE takes a few hundred.
pub const MAX_CHALLENGE_BYTES: usize = 64 * 1024;

/// What the driver does next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeStep {
    /// Create a security context of `method`, step it without input for `scheme`, and report
    /// its token with [`ClientHandshake::token`].
    Start {
        /// The kind of context.
        method: AuthMethod,
        /// The header scheme its tokens travel under.
        scheme: Scheme,
    },
    /// The server refused `from` outright but offers `scheme`: drop the context, create one of
    /// `method`, step it without input and report its token with [`ClientHandshake::token`].
    SwitchScheme {
        /// The scheme refused.
        from: Scheme,
        /// The kind of the new context.
        method: AuthMethod,
        /// The header scheme to use now.
        scheme: Scheme,
    },
    /// Step the context with the server's `input` token and report the result with
    /// [`ClientHandshake::token`].
    Continue {
        /// The scheme in use.
        scheme: Scheme,
        /// The server's token.
        input: Vec<u8>,
    },
    /// Send a request with this `Authorization` value and report the answer with
    /// [`ClientHandshake::response`].
    Send {
        /// The header value (`Negotiate <base64>`).
        authorization: String,
    },
    /// The server accepted the context.
    Done {
        /// The scheme it authenticated with.
        scheme: Scheme,
        /// Requests sent under that scheme.
        legs: usize,
    },
    /// The handshake failed.
    Rejected(HandshakeError),
    /// The server answered with a status that is neither success nor `401`: an HTTP error the
    /// driver reports with the answer's body.
    Unexpected {
        /// The HTTP status.
        status: u16,
    },
}

/// Why a handshake failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The server answered `401` and ended the handshake: wrong credentials, bindings it
    /// refuses, or a scheme it does not accept.
    #[error("the server rejected the credentials (HTTP 401; it offers: {})", offer_list(.offered))]
    Refused {
        /// The scheme refused.
        scheme: Scheme,
        /// The challenges of the final `401`, as the server wrote their scheme names.
        offered: Vec<String>,
        /// What an administrator can check.
        hint: String,
    },
    /// No scheme of the method's plan can be used.
    #[error("the server offers no authentication scheme this client can use")]
    NoUsableScheme {
        /// The method asked for.
        method: AuthMethod,
    },
    /// A `WWW-Authenticate` value could not be read.
    #[error("{source}")]
    BadChallenge {
        /// The scheme in use.
        scheme: Scheme,
        /// What is wrong with it.
        source: AuthHeaderError,
    },
    /// The `WWW-Authenticate` values are more or longer than a handshake needs.
    #[error(
        "the server sent {values} WWW-Authenticate values of {bytes} bytes (at most {MAX_CHALLENGE_VALUES} values of {MAX_CHALLENGE_BYTES} bytes are read)"
    )]
    OversizedChallenge {
        /// The scheme in use.
        scheme: Scheme,
        /// The values counted (reading stops past the limit).
        values: usize,
        /// Their bytes.
        bytes: usize,
    },
    /// The server's token on the success answer did not complete the context.
    #[error("the server's final token did not complete the context")]
    Incomplete {
        /// The scheme in use.
        scheme: Scheme,
    },
    /// The server answered success before the context was established and without a token
    /// that completes it: its identity was not proven.
    #[error("the server accepted the request without completing mutual authentication")]
    NoMutualAuth {
        /// The scheme in use.
        scheme: Scheme,
    },
    /// The server kept answering `401` with tokens past [`MAX_LEGS`].
    #[error("the server kept asking for more authentication legs")]
    TooManyLegs {
        /// The scheme in use.
        scheme: Scheme,
    },
    /// The driver called the machine in an order it does not expect (a token while an answer
    /// is due, a second start, anything after the end).
    #[error("the authentication handshake was driven out of order")]
    OutOfOrder {
        /// The method of the handshake.
        method: AuthMethod,
    },
}

impl HandshakeError {
    /// The scheme name errors are reported under.
    pub fn scheme_name(&self) -> &'static str {
        match self {
            Self::Refused { scheme, .. }
            | Self::BadChallenge { scheme, .. }
            | Self::OversizedChallenge { scheme, .. }
            | Self::Incomplete { scheme }
            | Self::NoMutualAuth { scheme }
            | Self::TooManyLegs { scheme } => scheme.as_str(),
            Self::NoUsableScheme { method } | Self::OutOfOrder { method } => {
                method_scheme_name(*method)
            }
        }
    }

    /// What an administrator can do about it.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Self::Refused { hint, .. } => Some(hint),
            _ => None,
        }
    }
}

impl From<HandshakeError> for TransportError {
    fn from(e: HandshakeError) -> Self {
        TransportError::Auth {
            scheme: e.scheme_name().to_owned(),
            message: e.to_string(),
            hint: e.hint().map(str::to_owned),
        }
    }
}

fn offer_list(offered: &[String]) -> String {
    if offered.is_empty() {
        "nothing".to_owned()
    } else {
        offered.join(", ")
    }
}

/// The header scheme a method is named by in errors.
fn method_scheme_name(method: AuthMethod) -> &'static str {
    match method {
        AuthMethod::Basic => "Basic",
        AuthMethod::Kerberos => "Kerberos",
        AuthMethod::Ntlm => "NTLM",
        _ => "Negotiate",
    }
}

/// The refusal of a `401` that ends authentication under `scheme` (a handshake leg, or a
/// request on a connection already authenticated, Basic included): the server's offers and
/// what to check. `unbound` says that HTTPS carried no channel bindings.
pub fn refusal<'a>(
    scheme: Scheme,
    www_authenticate: impl IntoIterator<Item = &'a str>,
    unbound: bool,
) -> HandshakeError {
    let offered = bounded(www_authenticate)
        .ok()
        .and_then(|values| auth_header::parse_challenges(values).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.scheme_name)
        .collect();
    refused(scheme, offered, unbound)
}

fn refused(scheme: Scheme, offered: Vec<String>, unbound: bool) -> HandshakeError {
    let mut hint = match scheme {
        Scheme::Kerberos => "check the user and password, that the URL uses the FQDN and that the SPN HTTP/<fqdn> is registered",
        Scheme::Basic => "check the user and password, and that Basic is enabled on the listener",
        _ => "check the user name (DOMAIN\\user or user@domain) and the password",
    }
    .to_owned();
    if unbound {
        hint.push_str("; no channel binding was sent");
    }
    HandshakeError::Refused {
        scheme,
        offered,
        hint,
    }
}

/// The values of `WWW-Authenticate`, refused past [`MAX_CHALLENGE_VALUES`] values or
/// [`MAX_CHALLENGE_BYTES`] bytes; the error carries what was counted.
fn bounded<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<Vec<&'a str>, (usize, usize)> {
    let mut out = Vec::new();
    let mut bytes = 0usize;
    for v in values {
        bytes = bytes.saturating_add(v.len());
        out.push(v);
        if out.len() > MAX_CHALLENGE_VALUES || bytes > MAX_CHALLENGE_BYTES {
            return Err((out.len(), bytes));
        }
    }
    Ok(out)
}

/// The (context kind, header scheme) pairs a method tries: the first, then those the server
/// may offer instead when it refuses the first without a token.
fn plan(method: AuthMethod) -> &'static [(AuthMethod, Scheme)] {
    match method {
        AuthMethod::Kerberos => &[
            (AuthMethod::Kerberos, Scheme::Kerberos),
            (AuthMethod::Kerberos, Scheme::Negotiate),
        ],
        AuthMethod::Ntlm => &[
            (AuthMethod::Ntlm, Scheme::Negotiate),
            (AuthMethod::Ntlm, Scheme::Ntlm),
        ],
        AuthMethod::Basic => &[],
        _ => &[
            (AuthMethod::Negotiate, Scheme::Negotiate),
            (AuthMethod::Kerberos, Scheme::Kerberos),
            (AuthMethod::Ntlm, Scheme::Ntlm),
        ],
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before [`ClientHandshake::start`].
    Idle,
    /// Waiting for the context's token to send.
    Token,
    /// Waiting for the context to take the token of a success answer.
    Verify,
    /// Waiting for the answer to a request.
    Answer,
    /// Done, refused or failed.
    Finished,
}

/// The client's authentication handshake for one connection (NTLM, Kerberos, Negotiate;
/// Basic needs none: its header goes on every request, and a `401` is a [`refusal`]).
#[derive(Debug, Clone)]
pub struct ClientHandshake {
    method: AuthMethod,
    plan: &'static [(AuthMethod, Scheme)],
    index: usize,
    /// Requests sent under the current scheme.
    legs: usize,
    /// Whether the context reported itself established.
    complete: bool,
    phase: Phase,
    /// Whether the connection is HTTPS without channel bindings.
    unbound: bool,
}

impl ClientHandshake {
    /// A handshake for `method` over HTTPS (`https`) or plain HTTP, with or without channel
    /// bindings in the context.
    pub fn new(method: AuthMethod, https: bool, channel_binding: bool) -> Self {
        Self {
            method,
            plan: plan(method),
            index: 0,
            legs: 0,
            complete: false,
            phase: Phase::Idle,
            unbound: https && !channel_binding,
        }
    }

    /// The scheme in use.
    pub fn scheme(&self) -> Option<Scheme> {
        self.plan.get(self.index).map(|&(_, s)| s)
    }

    /// The first step: the context to create.
    pub fn start(&mut self) -> HandshakeStep {
        match self.plan.first() {
            _ if self.phase != Phase::Idle => self.out_of_order(),
            Some(&(method, scheme)) => {
                self.phase = Phase::Token;
                HandshakeStep::Start { method, scheme }
            }
            None => self.fail(HandshakeError::NoUsableScheme {
                method: self.method,
            }),
        }
    }

    /// The context's output after [`HandshakeStep::Start`], [`HandshakeStep::SwitchScheme`] or
    /// [`HandshakeStep::Continue`]: its next token (possibly empty) and whether it is now
    /// established.
    pub fn token(&mut self, token: &[u8], complete: bool) -> HandshakeStep {
        let Some(scheme) = self.scheme() else {
            return self.fail(HandshakeError::NoUsableScheme {
                method: self.method,
            });
        };
        match self.phase {
            Phase::Token => {
                if self.legs >= MAX_LEGS {
                    return self.fail(HandshakeError::TooManyLegs { scheme });
                }
                self.legs += 1;
                self.complete = complete;
                self.phase = Phase::Answer;
                HandshakeStep::Send {
                    authorization: auth_header::token_authorization(scheme, token),
                }
            }
            Phase::Verify if complete => self.done(scheme),
            Phase::Verify => self.fail(HandshakeError::Incomplete { scheme }),
            _ => self.out_of_order(),
        }
    }

    /// The answer to the request of the last [`HandshakeStep::Send`]: its status and the
    /// values of its `WWW-Authenticate` headers.
    pub fn response<'a>(
        &mut self,
        status: u16,
        www_authenticate: impl IntoIterator<Item = &'a str>,
    ) -> HandshakeStep {
        let Some(scheme) = self.scheme() else {
            return self.fail(HandshakeError::NoUsableScheme {
                method: self.method,
            });
        };
        if self.phase != Phase::Answer {
            return self.out_of_order();
        }
        let values = match bounded(www_authenticate) {
            Ok(v) => v,
            Err((values, bytes)) => {
                return self.fail(HandshakeError::OversizedChallenge {
                    scheme,
                    values,
                    bytes,
                });
            }
        };
        let challenges = match auth_header::parse_challenges(values) {
            Ok(c) => c,
            Err(source) => return self.fail(HandshakeError::BadChallenge { scheme, source }),
        };
        let server_token =
            auth_header::find_challenge(&challenges, scheme).and_then(|c| c.token.clone());
        match status {
            200..=299 => match server_token {
                Some(input) if !self.complete => {
                    self.phase = Phase::Verify;
                    HandshakeStep::Continue { scheme, input }
                }
                None if !self.complete => self.fail(HandshakeError::NoMutualAuth { scheme }),
                _ => self.done(scheme),
            },
            401 => match server_token {
                Some(input) if !self.complete => {
                    self.phase = Phase::Token;
                    HandshakeStep::Continue { scheme, input }
                }
                _ if self.legs == 1 => self.switch(scheme, &challenges),
                _ => self.refuse(scheme, &challenges),
            },
            status => {
                self.phase = Phase::Finished;
                HandshakeStep::Unexpected { status }
            }
        }
    }

    /// Refused outright on the first leg: the next scheme of the plan the server offers.
    fn switch(&mut self, from: Scheme, challenges: &[Challenge]) -> HandshakeStep {
        let offered: Vec<Scheme> = challenges.iter().filter_map(|c| c.scheme).collect();
        let next = self
            .plan
            .iter()
            .enumerate()
            .skip(self.index + 1)
            .find(|(_, (_, s))| offered.contains(s));
        match next {
            Some((i, &(method, scheme))) => {
                self.index = i;
                self.legs = 0;
                self.complete = false;
                self.phase = Phase::Token;
                HandshakeStep::SwitchScheme {
                    from,
                    method,
                    scheme,
                }
            }
            None => self.refuse(from, challenges),
        }
    }

    fn refuse(&mut self, scheme: Scheme, challenges: &[Challenge]) -> HandshakeStep {
        let offered = challenges.iter().map(|c| c.scheme_name.clone()).collect();
        self.fail(refused(scheme, offered, self.unbound))
    }

    fn done(&mut self, scheme: Scheme) -> HandshakeStep {
        self.phase = Phase::Finished;
        HandshakeStep::Done {
            scheme,
            legs: self.legs,
        }
    }

    fn fail(&mut self, e: HandshakeError) -> HandshakeStep {
        self.phase = Phase::Finished;
        HandshakeStep::Rejected(e)
    }

    /// A call the current phase does not expect: the handshake cannot go on.
    fn out_of_order(&mut self) -> HandshakeStep {
        self.fail(HandshakeError::OutOfOrder {
            method: self.method,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(step: HandshakeStep) -> String {
        match step {
            HandshakeStep::Send { authorization } => authorization,
            other => panic!("expected Send, got {other:?}"),
        }
    }

    fn input(step: HandshakeStep) -> Vec<u8> {
        match step {
            HandshakeStep::Continue { input, .. } => input,
            other => panic!("expected Continue, got {other:?}"),
        }
    }

    #[test]
    fn ntlm_three_legs_under_negotiate() {
        let mut hs = ClientHandshake::new(AuthMethod::Ntlm, false, false);
        assert_eq!(
            hs.start(),
            HandshakeStep::Start {
                method: AuthMethod::Ntlm,
                scheme: Scheme::Negotiate
            }
        );
        assert_eq!(send(hs.token(b"neg", false)), "Negotiate bmVn");
        // The CHALLENGE comes back in the 401.
        assert_eq!(input(hs.response(401, ["Negotiate Y2hhbA=="])), b"chal");
        // The AUTHENTICATE completes the client's side.
        assert_eq!(send(hs.token(b"auth", true)), "Negotiate YXV0aA==");
        assert_eq!(
            hs.response(200, []),
            HandshakeStep::Done {
                scheme: Scheme::Negotiate,
                legs: 2
            }
        );
    }

    #[test]
    fn kerberos_verifies_the_servers_final_token() {
        let mut hs = ClientHandshake::new(AuthMethod::Kerberos, false, false);
        assert!(matches!(
            hs.start(),
            HandshakeStep::Start {
                scheme: Scheme::Kerberos,
                ..
            }
        ));
        assert_eq!(send(hs.token(b"ap-req", false)), "Kerberos YXAtcmVx");
        // The AP-REP rides on the 200 and must complete the context.
        assert_eq!(input(hs.response(200, ["Kerberos YXAtcmVw"])), b"ap-rep");
        assert_eq!(
            hs.token(b"", true),
            HandshakeStep::Done {
                scheme: Scheme::Kerberos,
                legs: 1
            }
        );

        let mut hs = ClientHandshake::new(AuthMethod::Kerberos, false, false);
        hs.start();
        send(hs.token(b"ap-req", false));
        input(hs.response(200, ["Kerberos YXAtcmVw"]));
        assert_eq!(
            hs.token(b"", false),
            HandshakeStep::Rejected(HandshakeError::Incomplete {
                scheme: Scheme::Kerberos
            })
        );
    }

    #[test]
    fn success_without_mutual_authentication_is_refused() {
        let mut hs = ClientHandshake::new(AuthMethod::Kerberos, false, false);
        hs.start();
        send(hs.token(b"ap-req", false));
        let step = hs.response(200, []);
        assert_eq!(
            step,
            HandshakeStep::Rejected(HandshakeError::NoMutualAuth {
                scheme: Scheme::Kerberos
            })
        );
        // Finished: nothing more is sent.
        assert!(matches!(hs.token(b"x", true), HandshakeStep::Rejected(_)));
    }

    #[test]
    fn kerberos_moves_to_negotiate_when_only_that_is_offered() {
        let mut hs = ClientHandshake::new(AuthMethod::Kerberos, false, false);
        hs.start();
        send(hs.token(b"ap-req", false));
        assert_eq!(
            hs.response(401, ["Negotiate", "Basic realm=\"WSMAN\""]),
            HandshakeStep::SwitchScheme {
                from: Scheme::Kerberos,
                method: AuthMethod::Kerberos,
                scheme: Scheme::Negotiate
            }
        );
        assert!(send(hs.token(b"ap-req", false)).starts_with("Negotiate "));
        assert_eq!(input(hs.response(200, ["Negotiate YXAtcmVw"])), b"ap-rep");
        assert!(matches!(
            hs.token(b"", true),
            HandshakeStep::Done {
                scheme: Scheme::Negotiate,
                legs: 1
            }
        ));
    }

    #[test]
    fn negotiate_switches_only_to_schemes_offered_and_later_in_its_plan() {
        let mut hs = ClientHandshake::new(AuthMethod::Negotiate, false, false);
        hs.start();
        send(hs.token(b"init", false));
        // Only NTLM offered: Kerberos is skipped.
        assert_eq!(
            hs.response(401, ["NTLM"]),
            HandshakeStep::SwitchScheme {
                from: Scheme::Negotiate,
                method: AuthMethod::Ntlm,
                scheme: Scheme::Ntlm
            }
        );
        send(hs.token(b"neg", false));
        // Refused again on its first leg, with nothing left to try.
        let HandshakeStep::Rejected(HandshakeError::Refused {
            scheme, offered, ..
        }) = hs.response(401, ["Negotiate"])
        else {
            panic!("expected a refusal");
        };
        assert_eq!(scheme, Scheme::Ntlm);
        assert_eq!(offered, ["Negotiate"]);
    }

    #[test]
    fn a_failed_final_leg_is_a_refusal_with_the_servers_offers_and_a_hint() {
        let mut hs = ClientHandshake::new(AuthMethod::Ntlm, true, false);
        hs.start();
        send(hs.token(b"neg", false));
        input(hs.response(401, ["Negotiate Y2hhbA=="]));
        send(hs.token(b"auth", true));
        // Refused after the second leg: no switch, even though NTLM is offered.
        let step = hs.response(401, ["Negotiate", "NTLM", "Basic realm=\"WSMAN\""]);
        let HandshakeStep::Rejected(e) = step else {
            panic!("expected a refusal, got {step:?}");
        };
        assert_eq!(
            e.to_string(),
            "the server rejected the credentials (HTTP 401; it offers: Negotiate, NTLM, Basic)"
        );
        let hint = e.hint().unwrap_or_default();
        assert!(hint.contains("password"), "{hint}");
        assert!(hint.ends_with("; no channel binding was sent"), "{hint}");
        let TransportError::Auth { scheme, .. } = TransportError::from(e) else {
            panic!("an auth error");
        };
        assert_eq!(scheme, "Negotiate");
    }

    #[test]
    fn a_refusal_without_offers_says_so() {
        let e = refusal(Scheme::Kerberos, [], false);
        assert_eq!(
            e.to_string(),
            "the server rejected the credentials (HTTP 401; it offers: nothing)"
        );
        assert!(e.hint().unwrap_or_default().contains("SPN"));
        assert!(!e.hint().unwrap_or_default().contains("channel binding"));
    }

    #[test]
    fn basic_refusal_names_basic_and_its_listener() {
        let e = refusal(Scheme::Basic, ["Basic realm=\"WSMAN\""], true);
        assert_eq!(e.scheme_name(), "Basic");
        let hint = e.hint().unwrap_or_default();
        assert!(hint.contains("Basic is enabled"), "{hint}");
        assert!(hint.contains("no channel binding"), "{hint}");
        // Basic has no legs to drive.
        let mut hs = ClientHandshake::new(AuthMethod::Basic, true, false);
        assert_eq!(
            hs.start(),
            HandshakeStep::Rejected(HandshakeError::NoUsableScheme {
                method: AuthMethod::Basic
            })
        );
    }

    #[test]
    fn other_statuses_are_left_to_the_driver() {
        let mut hs = ClientHandshake::new(AuthMethod::Ntlm, false, false);
        hs.start();
        send(hs.token(b"neg", false));
        assert_eq!(
            hs.response(503, []),
            HandshakeStep::Unexpected { status: 503 }
        );
    }

    #[test]
    fn legs_are_bounded() {
        let mut hs = ClientHandshake::new(AuthMethod::Negotiate, false, false);
        hs.start();
        for _ in 0..MAX_LEGS {
            send(hs.token(b"more", false));
            input(hs.response(401, ["Negotiate YQ=="]));
        }
        assert_eq!(
            hs.token(b"more", false),
            HandshakeStep::Rejected(HandshakeError::TooManyLegs {
                scheme: Scheme::Negotiate
            })
        );
    }

    #[test]
    fn challenge_headers_are_bounded_in_count_and_size() {
        let many = vec!["Negotiate"; MAX_CHALLENGE_VALUES + 1];
        let mut hs = ClientHandshake::new(AuthMethod::Ntlm, false, false);
        hs.start();
        send(hs.token(b"neg", false));
        assert!(matches!(
            hs.response(401, many.iter().copied()),
            HandshakeStep::Rejected(HandshakeError::OversizedChallenge { values, .. })
                if values == MAX_CHALLENGE_VALUES + 1
        ));

        let big = format!("Negotiate {}", "A".repeat(MAX_CHALLENGE_BYTES));
        let mut hs = ClientHandshake::new(AuthMethod::Ntlm, false, false);
        hs.start();
        send(hs.token(b"neg", false));
        assert!(matches!(
            hs.response(401, [big.as_str()]),
            HandshakeStep::Rejected(HandshakeError::OversizedChallenge { bytes, .. })
                if bytes > MAX_CHALLENGE_BYTES
        ));
        // A refusal built from oversized values lists no offers rather than failing.
        assert!(matches!(
            refusal(Scheme::Ntlm, many.iter().copied(), false),
            HandshakeError::Refused { offered, .. } if offered.is_empty()
        ));
    }

    #[test]
    fn an_unreadable_challenge_is_named() {
        let mut hs = ClientHandshake::new(AuthMethod::Ntlm, false, false);
        hs.start();
        send(hs.token(b"neg", false));
        let step = hs.response(401, ["Negotiate YQ"]);
        assert!(
            matches!(
                &step,
                HandshakeStep::Rejected(HandshakeError::BadChallenge {
                    scheme: Scheme::Negotiate,
                    ..
                })
            ),
            "{step:?}"
        );
    }

    #[test]
    fn calls_out_of_order_end_the_handshake() {
        let mut hs = ClientHandshake::new(AuthMethod::Ntlm, false, false);
        hs.start();
        let out_of_order = HandshakeStep::Rejected(HandshakeError::OutOfOrder {
            method: AuthMethod::Ntlm,
        });
        assert_eq!(hs.response(200, []), out_of_order);
        let mut hs = ClientHandshake::new(AuthMethod::Ntlm, false, false);
        hs.start();
        assert_eq!(hs.start(), out_of_order);
    }
}
