//! SOAP faults with the Windows `WSManFault` detail ([MS-WSMV] 2.2.4.43 and 3.1.4.5.2): read by
//! the client, built by a server, with constructors for the faults Windows sends.

use std::fmt;

use super::error::WsmanError;
use super::header::{ResponseHeader, write_response_start};
use super::namespaces::{SOAP_ENV, WSMAN, WSMAN_FAULT, XML, action};
use super::xml::{Element, XmlOut};
use crate::server_text::clip;

/// A SOAP fault. Text fields keep the server's words exactly (Windows ends them with spaces).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsManFault {
    /// Local part of `s:Code/s:Value`: `Sender` or `Receiver`.
    pub soap_code: String,
    /// Local part of `s:Subcode/s:Value`, a WS-Management fault name such as `TimedOut`,
    /// `InvalidSelectors`, `AccessDenied`, `QuotaLimit`.
    pub soap_subcode: Option<String>,
    /// `s:Reason/s:Text`.
    pub reason: String,
    /// `xml:lang` of the reason text.
    pub reason_lang: Option<String>,
    /// `w:FaultDetail` URI inside `s:Detail`.
    pub fault_detail: Option<String>,
    /// `WSManFault/@Code`: a Win32 error or WinRM HRESULT in decimal (e.g. 2150858793).
    pub wsman_code: Option<u32>,
    /// `WSManFault/@Machine`.
    pub machine: Option<String>,
    /// The text of `f:Message`, without any nested provider fault.
    pub message: Option<String>,
    /// All text inside `f:ProviderFault` (the plug-in's own error, e.g. PowerShell's).
    pub provider_fault: Option<String>,
}

/// `WSManFault` code of an expired OperationTimeout: 0x80338029 (seen in the captures,
/// `test_psrp_long_running_cmdlet.yml`).
pub const CODE_TIMED_OUT: u32 = 2_150_858_793;
/// Code of invalid selectors: unknown shell or command id, 0x8033805B (captured in
/// `test_psrp_receive_failure.yml`).
pub const CODE_INVALID_SELECTORS: u32 = 2_150_858_843;
/// Code of a resource URI the endpoint does not serve, 0x8033803B.
pub const CODE_RESOURCE_NOT_FOUND: u32 = 2_150_858_811;
/// Win32 ERROR_ACCESS_DENIED, sent when the user may not use the endpoint.
pub const CODE_ACCESS_DENIED: u32 = 5;
/// Code of an exceeded per-user shell quota, 0x803381A5.
pub const CODE_SHELL_QUOTA: u32 = 2_150_859_173;
/// Code of a request larger than MaxEnvelopeSize, 0x80338111 (HRESULT reported by PowerShell
/// clients, e.g. dsccommunity/SharePointDsc issue 670).
pub const CODE_MAX_ENVELOPE_SIZE: u32 = 2_150_859_025;

impl WsManFault {
    fn windows(
        soap_code: &str,
        subcode: &str,
        reason: &str,
        fault_detail: Option<&str>,
        code: u32,
        machine: &str,
        message: String,
    ) -> Self {
        Self {
            soap_code: soap_code.to_owned(),
            soap_subcode: Some(subcode.to_owned()),
            reason: reason.to_owned(),
            reason_lang: Some("en-US".to_owned()),
            fault_detail: fault_detail.map(str::to_owned),
            wsman_code: Some(code),
            machine: Some(machine.to_owned()),
            message: Some(message),
            provider_fault: None,
        }
    }

    /// The fault a Receive gets when no output arrived within OperationTimeout; clients
    /// simply receive again. Text as captured from Windows Server 2016.
    pub fn timed_out(machine: &str) -> Self {
        let text = "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  ";
        Self::windows(
            "Receiver",
            "TimedOut",
            text,
            None,
            CODE_TIMED_OUT,
            machine,
            text.to_owned(),
        )
    }

    /// Invalid selectors: the ShellId names no shell (text as Windows words it for a shell
    /// that was deleted or lives on another backend).
    pub fn unknown_shell(shell_id: &str, machine: &str) -> Self {
        Self::windows(
            "Sender",
            "InvalidSelectors",
            INVALID_SELECTORS_REASON,
            Some(UNEXPECTED_SELECTORS),
            CODE_INVALID_SELECTORS,
            machine,
            format!(
                "The request for the Windows Remote Shell with ShellId {shell_id} failed because the shell was not found on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. Provide the correct ShellId or create a new shell and retry the operation. "
            ),
        )
    }

    /// Invalid selectors: the CommandId names no command (text as captured).
    pub fn unknown_command(machine: &str) -> Self {
        Self::windows(
            "Sender",
            "InvalidSelectors",
            INVALID_SELECTORS_REASON,
            Some(UNEXPECTED_SELECTORS),
            CODE_INVALID_SELECTORS,
            machine,
            "The Windows Remote Shell received a request to perform an operation on a command identifier that does not exist. Either the command has completed execution or the client specified an invalid command identifier. ".to_owned(),
        )
    }

    /// The endpoint does not serve `resource_uri` (e.g. the Exchange URI sent to `/wsman`).
    /// Code and message as Windows reports them (DESIGN.md section 4); not in the captures,
    /// so the reason wording is unverified.
    pub fn resource_not_found(resource_uri: &str, machine: &str) -> Self {
        Self::windows(
            "Sender",
            "DestinationUnreachable",
            "The WS-Management service cannot process the request. The service cannot find the resource identified by the resource URI and selectors. ",
            None,
            CODE_RESOURCE_NOT_FOUND,
            machine,
            format!(
                "The WS-Management service cannot process the request. The resource URI ({resource_uri}) was not found in the WS-Management catalog. The catalog contains the metadata that describes resources, or logical endpoints. "
            ),
        )
    }

    /// The authenticated user may not use the endpoint: Win32 error 5 and its system text.
    /// Not in the captures.
    pub fn access_denied(machine: &str) -> Self {
        Self::windows(
            "Sender",
            "AccessDenied",
            "Access is denied. ",
            None,
            CODE_ACCESS_DENIED,
            machine,
            "Access is denied. ".to_owned(),
        )
    }

    /// Shell creation beyond the per-user quota. [MS-WSMV] 3.1.4.5.2.1 names the QuotaLimit
    /// subcode; the message is the one PowerShell users report (PowerShell team blog,
    /// "Configuring WSMAN Limits"); the reason is DSP0226's text for QuotaLimit.
    pub fn shell_quota_exceeded(max_shells: u32, machine: &str) -> Self {
        Self::windows(
            "Receiver",
            "QuotaLimit",
            "The service is busy servicing other requests.",
            None,
            CODE_SHELL_QUOTA,
            machine,
            format!(
                "The WS-Management service cannot process the request. This user is allowed a maximum number of {max_shells} concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. "
            ),
        )
    }

    /// A request envelope larger than the server's MaxEnvelopeSize: DSP0226's `EncodingLimit`
    /// subcode with the MaxEnvelopeSize fault detail and the HRESULT clients report. Windows'
    /// own server wording is not in the captures; the message paraphrases the client's.
    pub fn max_envelope_size_exceeded(machine: &str) -> Self {
        Self::windows(
            "Sender",
            "EncodingLimit",
            "The WS-Management service cannot process the request because the request size exceeded the configured MaxEnvelopeSize quota. ",
            Some("http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/MaxEnvelopeSize"),
            CODE_MAX_ENVELOPE_SIZE,
            machine,
            "The WS-Management service cannot process the request because the request size exceeded the configured MaxEnvelopeSize quota. ".to_owned(),
        )
    }

    /// Whether this is the OperationTimeout fault a Receive loop should retry on.
    pub fn is_timed_out(&self) -> bool {
        self.wsman_code == Some(CODE_TIMED_OUT) || self.soap_subcode.as_deref() == Some("TimedOut")
    }

    /// Builds the fault envelope (server side).
    pub fn to_xml(&self, header: &ResponseHeader) -> Vec<u8> {
        let mut out = XmlOut::new();
        write_response_start(&mut out, action::FAULT, header);
        out.start("s:Body", &[]);
        out.start("s:Fault", &[]);
        out.start("s:Code", &[]);
        out.leaf("s:Value", &[], &format!("s:{}", self.soap_code));
        if let Some(sub) = &self.soap_subcode {
            out.start("s:Subcode", &[]);
            out.leaf("s:Value", &[], &format!("w:{sub}"));
            out.end("s:Subcode");
        }
        out.end("s:Code");
        out.start("s:Reason", &[]);
        let lang: Vec<(&str, &str)> = self
            .reason_lang
            .iter()
            .map(|l| ("xml:lang", l.as_str()))
            .collect();
        out.leaf("s:Text", &lang, &self.reason);
        out.end("s:Reason");
        let has_wsman = self.wsman_code.is_some()
            || self.machine.is_some()
            || self.message.is_some()
            || self.provider_fault.is_some();
        if self.fault_detail.is_some() || has_wsman {
            out.start("s:Detail", &[]);
            if let Some(detail) = &self.fault_detail {
                out.leaf("w:FaultDetail", &[], detail);
            }
            if has_wsman {
                let code = self.wsman_code.map(|c| c.to_string());
                let mut attrs = vec![("xmlns:f", WSMAN_FAULT)];
                if let Some(code) = &code {
                    attrs.push(("Code", code.as_str()));
                }
                if let Some(machine) = &self.machine {
                    attrs.push(("Machine", machine.as_str()));
                }
                out.start("f:WSManFault", &attrs);
                out.start("f:Message", &[]);
                if let Some(message) = &self.message {
                    out.text(message);
                }
                if let Some(provider) = &self.provider_fault {
                    out.leaf("f:ProviderFault", &[], provider);
                }
                out.end("f:Message");
                out.end("f:WSManFault");
            }
            out.end("s:Detail");
        }
        out.end("s:Fault");
        out.end("s:Body");
        out.end("s:Envelope");
        out.finish()
    }

    /// Reads an `s:Fault` element.
    pub(crate) fn from_element(fault: &Element) -> Result<Self, WsmanError> {
        let local = |qname: &str| {
            let q = qname.trim();
            q.rsplit_once(':').map_or(q, |(_, l)| l).to_owned()
        };
        let code = fault
            .child(SOAP_ENV, "Code")
            .ok_or(WsmanError::MissingElement { element: "Code" })?;
        let soap_code = code
            .child(SOAP_ENV, "Value")
            .map(|v| local(&v.text))
            .ok_or(WsmanError::MissingElement { element: "Value" })?;
        let soap_subcode = code
            .child(SOAP_ENV, "Subcode")
            .and_then(|s| s.child(SOAP_ENV, "Value"))
            .map(|v| local(&v.text));
        let text = fault
            .child(SOAP_ENV, "Reason")
            .and_then(|r| r.child(SOAP_ENV, "Text"));
        let detail = fault.child(SOAP_ENV, "Detail");
        let wsman = detail.and_then(|d| d.child(WSMAN_FAULT, "WSManFault"));
        let message = wsman.and_then(|w| w.child(WSMAN_FAULT, "Message"));
        let wsman_code = match wsman.and_then(|w| w.attr("Code")) {
            Some(code) => Some(code.trim().parse().map_err(|_| WsmanError::InvalidNumber {
                field: "WSManFault/@Code",
                value: code.to_owned(),
            })?),
            None => None,
        };
        Ok(Self {
            soap_code,
            soap_subcode,
            reason: text.map(|t| t.text.clone()).unwrap_or_default(),
            reason_lang: text.and_then(|t| t.attr_ns(XML, "lang")).map(str::to_owned),
            fault_detail: detail
                .and_then(|d| d.child(WSMAN, "FaultDetail"))
                .map(|f| f.text.clone()),
            wsman_code,
            machine: wsman.and_then(|w| w.attr("Machine")).map(str::to_owned),
            message: message.map(|m| m.text.clone()),
            provider_fault: message
                .and_then(|m| m.child(WSMAN_FAULT, "ProviderFault"))
                .map(all_text),
        })
    }
}

const INVALID_SELECTORS_REASON: &str = "The WS-Management service cannot process the request because the request contained invalid selectors for the resource. ";
const UNEXPECTED_SELECTORS: &str =
    "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors";

fn all_text(element: &Element) -> String {
    let mut text = element.text.clone();
    for child in &element.children {
        text.push_str(&all_text(child));
    }
    text
}

impl fmt::Display for WsManFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = self
            .message
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .unwrap_or(self.reason.trim());
        f.write_str(&clip(message))?;
        if let Some(provider) = self.provider_fault.as_deref().map(str::trim)
            && !provider.is_empty()
            && provider != message
        {
            write!(f, " {}", clip(provider))?;
        }
        match (self.wsman_code, &self.machine) {
            (Some(code), Some(machine)) => {
                write!(f, " (WSManFault {code} on {})", clip(machine))
            }
            (Some(code), None) => write!(f, " (WSManFault {code})"),
            _ => write!(
                f,
                " (SOAP fault {}{})",
                clip(&self.soap_code),
                self.soap_subcode
                    .as_deref()
                    .map(|s| format!("/{}", clip(s)))
                    .unwrap_or_default()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wsman::Response;
    use uuid::Uuid;

    fn header() -> ResponseHeader {
        ResponseHeader {
            message_id: Uuid::from_u128(1),
            relates_to: Some(Uuid::from_u128(2)),
            activity_id: Some(Uuid::from_u128(3)),
        }
    }

    fn round_trip(fault: &WsManFault) -> WsManFault {
        match Response::parse(&fault.to_xml(&header())) {
            Err(WsmanError::Fault(parsed)) => *parsed,
            other => panic!("expected a fault, got {other:?}"),
        }
    }

    #[test]
    fn constructed_faults_round_trip() {
        let faults = [
            WsManFault::timed_out("127.0.0.1"),
            WsManFault::unknown_shell("E91C5753-6AF8-4B5D-B693-EAC4AAA2F7F2", "ex01"),
            WsManFault::unknown_command("ex01"),
            WsManFault::resource_not_found(crate::wsman::namespaces::RESOURCE_EXCHANGE, "ex01"),
            WsManFault::access_denied("ex01"),
            WsManFault::shell_quota_exceeded(18, "ex01"),
            WsManFault::max_envelope_size_exceeded("ex01"),
        ];
        for fault in &faults {
            assert_eq!(&round_trip(fault), fault);
        }
    }

    #[test]
    fn timed_out_fault_is_recognised() {
        let fault = round_trip(&WsManFault::timed_out("127.0.0.1"));
        assert!(fault.is_timed_out());
        assert_eq!(fault.soap_code, "Receiver");
        assert_eq!(fault.soap_subcode.as_deref(), Some("TimedOut"));
        assert_eq!(fault.wsman_code, Some(2_150_858_793));
        assert_eq!(
            fault.to_string(),
            "The WS-Management service cannot complete the operation within the time specified in OperationTimeout. (WSManFault 2150858793 on 127.0.0.1)"
        );
        assert!(!WsManFault::access_denied("m").is_timed_out());
    }

    #[test]
    fn provider_fault_and_escaping_survive() {
        let fault = WsManFault {
            provider_fault: Some("Cannot bind <parameter> & \"quote\"".to_owned()),
            message: Some("outer & <inner>".to_owned()),
            ..WsManFault::access_denied("host<1>")
        };
        let parsed = round_trip(&fault);
        assert_eq!(parsed, fault);
        assert_eq!(
            parsed.to_string(),
            "outer & <inner> Cannot bind <parameter> & \"quote\" (WSManFault 5 on host<1>)"
        );
    }

    #[test]
    fn fault_without_wsman_detail() {
        let fault = WsManFault {
            soap_code: "Sender".into(),
            soap_subcode: None,
            reason: "Bad".into(),
            reason_lang: None,
            fault_detail: None,
            wsman_code: None,
            machine: None,
            message: None,
            provider_fault: None,
        };
        assert_eq!(round_trip(&fault), fault);
        assert_eq!(fault.to_string(), "Bad (SOAP fault Sender)");
    }

    #[test]
    fn bad_fault_code_is_a_typed_error() {
        let xml = String::from_utf8(WsManFault::access_denied("m").to_xml(&header()))
            .unwrap()
            .replace("Code=\"5\"", "Code=\"five\"");
        assert!(matches!(
            Response::parse(xml.as_bytes()),
            Err(WsmanError::InvalidNumber {
                field: "WSManFault/@Code",
                ..
            })
        ));
    }
}
