//! Kerberos failures as Active Directory deployments meet them, each with what to change.

/// A Kerberos failure the client could name from the KDC's answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KerberosError {
    /// The KDC knows no service principal for the URL's host (`KDC_ERR_S_PRINCIPAL_UNKNOWN`).
    #[error(
        "Kerberos: the KDC of realm {realm} knows no service principal {spn} (KDC_ERR_S_PRINCIPAL_UNKNOWN); \
         register it on the account the service runs as: setspn -S {spn} <account> (usually the computer account, HOST$){}",
        if *.short_host { "; Kerberos needs the server's fully qualified domain name in the URL, not a short name" } else { "" }
    )]
    SpnUnknown {
        /// The service principal asked for.
        spn: String,
        /// The realm asked.
        realm: String,
        /// Whether the URL's host is a short name (no dot).
        short_host: bool,
    },
    /// The KDC knows no such user (`KDC_ERR_C_PRINCIPAL_UNKNOWN`).
    #[error(
        "Kerberos: the KDC of realm {realm} knows no user {principal} (KDC_ERR_C_PRINCIPAL_UNKNOWN); {hint}"
    )]
    ClientUnknown {
        /// The principal tried, with its name type.
        principal: String,
        /// The realm asked.
        realm: String,
        /// What to change.
        hint: String,
    },
    /// The clocks of this machine and the KDC differ by more than the KDC allows (and the
    /// logon failed: the KDC refused even with its own time, or the server refused a ticket
    /// timed by the KDC's clock).
    #[error(
        "Kerberos: the clocks differ by more than Kerberos allows (KRB_AP_ERR_SKEW from the KDC of realm {realm}): \
         the KDC's time is {kdc_time}, this machine's is {local_time}; synchronise this machine, the domain \
         controllers and the server with the domain's time (NTP), AD allows 5 minutes"
    )]
    ClockSkew {
        /// The realm asked.
        realm: String,
        /// The KDC's time, from its error.
        kdc_time: String,
        /// This machine's time when the error arrived.
        local_time: String,
    },
    /// The KDC has no key of a type this client asked for (`KDC_ERR_ETYPE_NOSUPP`); in AD, the
    /// service account has no AES keys.
    #[error(
        "Kerberos: the KDC of realm {realm} has no key of an encryption type this client uses (AES) for {principal} \
         (KDC_ERR_ETYPE_NOSUPP); enable AES on its account: set msDS-SupportedEncryptionTypes to 24 (AES128 | AES256), \
         e.g. Set-ADComputer <account> -KerberosEncryptionType AES128,AES256, then reset the account's password so AES keys exist"
    )]
    EtypeNotSupported {
        /// The principal the request was for (a service, or `krbtgt/REALM`).
        principal: String,
        /// The realm asked.
        realm: String,
    },
    /// The KDC issued a service ticket encrypted with RC4, and the server refused it.
    #[error(
        "Kerberos: the service ticket for {spn} is encrypted with {etype}, and the server refused it; \
         the account of {spn} has no msDS-SupportedEncryptionTypes (AD then issues RC4 tickets): set it to 24 \
         (AES128 | AES256), e.g. Set-ADComputer <account> -KerberosEncryptionType AES128,AES256"
    )]
    WeakServiceTicket {
        /// The service principal.
        spn: String,
        /// The ticket's encryption type, by name.
        etype: String,
    },
    /// The account lives in another realm and the KDC's referrals did not end.
    #[error(
        "Kerberos: the KDCs kept referring {principal} to other realms ({}); set the realm option to the account's realm",
        .realms.join(" -> ")
    )]
    TooManyReferrals {
        /// The principal tried.
        principal: String,
        /// The realms tried, in order.
        realms: Vec<String>,
    },
    /// The KDC proxy could not carry the request.
    #[error(
        "Kerberos: the KDC proxy {url} failed: {message}; check the proxy URL (--kdc https://host/KdcProxy) and that the proxy serves the user's realm"
    )]
    Proxy {
        /// The proxy URL.
        url: String,
        /// What went wrong.
        message: String,
    },
}

impl KerberosError {
    /// What an administrator can change, in one sentence.
    pub fn hint(&self) -> String {
        match self {
            Self::SpnUnknown {
                spn, short_host, ..
            } => {
                let mut h = format!("setspn -S {spn} <account>");
                if *short_host {
                    h.push_str(", and use the server's FQDN in the URL");
                }
                h
            }
            Self::ClientUnknown { hint, .. } => hint.clone(),
            Self::ClockSkew { .. } => {
                "synchronise this machine's clock with the domain (NTP)".to_owned()
            }
            Self::EtypeNotSupported { .. } | Self::WeakServiceTicket { .. } => {
                "set msDS-SupportedEncryptionTypes = 24 (AES128 | AES256) on the service's account"
                    .to_owned()
            }
            Self::TooManyReferrals { .. } => {
                "set the realm option to the account's realm".to_owned()
            }
            Self::Proxy { .. } => {
                "check the KDC proxy URL, its certificate (CA file) and that it serves the realm"
                    .to_owned()
            }
        }
    }
}
