//! The SOAP header of requests and responses ([MS-WSMV] 2.2.4 and 3.1.4.1), with the small
//! value codecs they use: GUIDs, `xs:duration`, selectors and options.

use std::time::Duration;

use uuid::Uuid;

use super::error::WsmanError;
use super::namespaces::{ADDRESSING, ANONYMOUS, SOAP_ENV, WSMAN, WSMV, XML};
use super::xml::{Element, XmlOut};

/// One `wsman:Selector` (for the shell: `ShellId`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// The `Name` attribute.
    pub name: String,
    /// The selector's text.
    pub value: String,
}

/// One `wsman:Option` of the `OptionSet` ([MS-WSMV] 2.2.4.26), e.g. `protocolversion`,
/// `WINRS_SKIP_CMD_SHELL`, `WINRS_CONSOLEMODE_STDIN`, `WSMAN_CMDSHELL_OPTION_KEEPALIVE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsOption {
    /// The `Name` attribute.
    pub name: String,
    /// The option's text.
    pub value: String,
    /// The `MustComply` attribute, when present.
    pub must_comply: Option<bool>,
}

/// The WS-Addressing and WS-Management header of a request.
///
/// The action is not here: it follows from the [`Request`](super::Request) variant.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    /// `wsa:To`, the endpoint URL (e.g. `https://host:5986/wsman`).
    pub to: String,
    /// `wsman:ResourceURI`, e.g. [`RESOURCE_POWERSHELL`](super::namespaces::RESOURCE_POWERSHELL).
    pub resource_uri: String,
    /// `wsa:MessageID`; responses repeat it in `RelatesTo`.
    pub message_id: Uuid,
    /// `wsmv:SessionId` ([MS-WSMV] 2.2.4.40), one per client session.
    pub session_id: Option<Uuid>,
    /// `wsman:OperationTimeout`; a Receive waits this long before the server answers TimedOut.
    pub operation_timeout: Option<Duration>,
    /// `wsman:MaxEnvelopeSize` in bytes: the largest response the client accepts.
    pub max_envelope_size: Option<u32>,
    /// `wsman:Locale/@xml:lang`.
    pub locale: Option<String>,
    /// `wsmv:DataLocale/@xml:lang` ([MS-WSMV] 2.2.4.8).
    pub data_locale: Option<String>,
    /// `wsman:SelectorSet`, in order.
    pub selectors: Vec<Selector>,
    /// `wsman:OptionSet`, in order.
    pub options: Vec<WsOption>,
}

impl Header {
    /// A header with the values every WinRM client sends: 20 s operation timeout, en-US locales,
    /// no session id, selectors or options.
    pub fn new(
        to: impl Into<String>,
        resource_uri: impl Into<String>,
        message_id: Uuid,
        max_envelope_size: u32,
    ) -> Self {
        Self {
            to: to.into(),
            resource_uri: resource_uri.into(),
            message_id,
            session_id: None,
            operation_timeout: Some(Duration::from_secs(20)),
            max_envelope_size: Some(max_envelope_size),
            locale: Some("en-US".to_owned()),
            data_locale: Some("en-US".to_owned()),
            selectors: Vec::new(),
            options: Vec::new(),
        }
    }

    /// Adds the `ShellId` selector, written upper-case as Windows does.
    pub fn with_shell_id(mut self, shell_id: Uuid) -> Self {
        self.selectors.push(Selector {
            name: "ShellId".to_owned(),
            value: format_guid(shell_id),
        });
        self
    }

    /// Adds an option.
    pub fn with_option(mut self, name: &str, value: &str, must_comply: Option<bool>) -> Self {
        self.options.push(WsOption {
            name: name.to_owned(),
            value: value.to_owned(),
            must_comply,
        });
        self
    }

    /// The value of the selector `name`.
    pub fn selector(&self, name: &str) -> Option<&str> {
        self.selectors
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.value.as_str())
    }

    /// The `ShellId` selector as a GUID; `None` if absent, an error if it is not a GUID.
    pub fn shell_id(&self) -> Result<Option<Uuid>, WsmanError> {
        self.selector("ShellId")
            .map(|v| parse_guid("ShellId", v))
            .transpose()
    }

    /// The value of the option `name`.
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|o| o.name == name)
            .map(|o| o.value.as_str())
    }
}

/// The addressing header of a response (server side builds it, client side reads it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResponseHeader {
    /// `wsa:MessageID` of the response.
    pub message_id: Uuid,
    /// `wsa:RelatesTo`: the request's MessageID.
    pub relates_to: Option<Uuid>,
    /// `wsmv:ActivityId`, Windows' trace correlation id.
    pub activity_id: Option<Uuid>,
}

/// A GUID as Windows writes it in ShellId and CommandId: upper-case, hyphenated.
pub fn format_guid(id: Uuid) -> String {
    id.as_hyphenated()
        .encode_upper(&mut Uuid::encode_buffer())
        .to_owned()
}

/// Reads a GUID, with or without the `uuid:` prefix of MessageID and RelatesTo.
pub fn parse_guid(field: &'static str, text: &str) -> Result<Uuid, WsmanError> {
    let trimmed = text.trim();
    let bare = trimmed.strip_prefix("uuid:").unwrap_or(trimmed);
    Uuid::parse_str(bare).map_err(|_| WsmanError::InvalidUuid {
        field,
        value: text.to_owned(),
    })
}

/// Writes an `xs:duration` the way WinRM does: `PT20S`, or `PT7200.500S` with milliseconds.
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.subsec_millis();
    if millis == 0 {
        format!("PT{}S", duration.as_secs())
    } else {
        format!("PT{}.{:03}S", duration.as_secs(), millis)
    }
}

/// Reads an `xs:duration` with days, hours, minutes and (fractional) seconds, as WinRM sends
/// (`PT20S`, `PT7200.000S`, `P0DT0H0M9S`). Years and months have no fixed length: rejected.
pub fn parse_duration(field: &'static str, text: &str) -> Result<Duration, WsmanError> {
    let err = || WsmanError::InvalidDuration {
        field,
        value: text.to_owned(),
    };
    let rest = text.trim().strip_prefix('P').ok_or_else(err)?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total = Duration::ZERO;
    let mut seen = false;
    let mut add = |number: &str, unit_secs: u64, fraction_ok: bool| -> Option<()> {
        let (whole, frac) = match number.split_once('.') {
            Some((w, f)) if fraction_ok => (w, Some(f)),
            Some(_) => return None,
            None => (number, None),
        };
        let whole: u64 = whole.parse().ok()?;
        total = total.checked_add(Duration::from_secs(whole.checked_mul(unit_secs)?))?;
        if let Some(frac) = frac {
            if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let digits: String = frac.chars().chain("000000000".chars()).take(9).collect();
            let nanos: u32 = digits.parse().ok()?;
            total = total.checked_add(Duration::from_nanos(u64::from(nanos)))?;
        }
        seen = true;
        Some(())
    };
    let mut walk = |part: &str, units: &[(char, u64, bool)]| -> Option<()> {
        let mut number = String::new();
        let mut allowed = units.iter();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let &(_, secs, frac) = allowed.find(|(u, _, _)| *u == c)?;
            if number.is_empty() {
                return None;
            }
            add(&number, secs, frac)?;
            number.clear();
        }
        number.is_empty().then_some(())
    };
    walk(date, &[('D', 86_400, false)]).ok_or_else(err)?;
    if let Some(time) = time {
        if time.is_empty() {
            return Err(err());
        }
        walk(
            time,
            &[('H', 3600, false), ('M', 60, false), ('S', 1, true)],
        )
        .ok_or_else(err)?;
    }
    if !seen {
        return Err(err());
    }
    Ok(total)
}

/// Namespace prefixes of requests, as pypsrp and Windows clients write them.
pub(crate) const REQUEST_NAMESPACES: [(&str, &str); 5] = [
    ("xmlns:s", SOAP_ENV),
    ("xmlns:wsa", ADDRESSING),
    ("xmlns:wsman", WSMAN),
    ("xmlns:wsmv", WSMV),
    ("xmlns:rsp", super::namespaces::SHELL),
];

/// Writes the request header in the order pypsrp does, which Windows accepts.
pub(crate) fn write_request_header(out: &mut XmlOut, action: &str, header: &Header) {
    out.start("s:Header", &[]);
    out.leaf("wsa:Action", &[("s:mustUnderstand", "true")], action);
    if let Some(lang) = &header.data_locale {
        out.empty(
            "wsmv:DataLocale",
            &[("s:mustUnderstand", "false"), ("xml:lang", lang)],
        );
    }
    if let Some(lang) = &header.locale {
        out.empty(
            "wsman:Locale",
            &[("s:mustUnderstand", "false"), ("xml:lang", lang)],
        );
    }
    if let Some(size) = header.max_envelope_size {
        out.leaf(
            "wsman:MaxEnvelopeSize",
            &[("s:mustUnderstand", "true")],
            &size.to_string(),
        );
    }
    out.leaf(
        "wsa:MessageID",
        &[],
        &format!("uuid:{}", format_guid(header.message_id)),
    );
    if let Some(timeout) = header.operation_timeout {
        out.leaf("wsman:OperationTimeout", &[], &format_duration(timeout));
    }
    out.start("wsa:ReplyTo", &[]);
    out.leaf("wsa:Address", &[("s:mustUnderstand", "true")], ANONYMOUS);
    out.end("wsa:ReplyTo");
    out.leaf(
        "wsman:ResourceURI",
        &[("s:mustUnderstand", "true")],
        &header.resource_uri,
    );
    if let Some(session) = header.session_id {
        out.leaf(
            "wsmv:SessionId",
            &[("s:mustUnderstand", "false")],
            &format!("uuid:{}", format_guid(session)),
        );
    }
    out.leaf("wsa:To", &[], &header.to);
    if !header.options.is_empty() {
        out.start("wsman:OptionSet", &[("s:mustUnderstand", "true")]);
        for option in &header.options {
            let comply = option.must_comply.map(|b| if b { "true" } else { "false" });
            let mut attrs = Vec::with_capacity(2);
            if let Some(c) = comply {
                attrs.push(("MustComply", c));
            }
            attrs.push(("Name", option.name.as_str()));
            out.leaf("wsman:Option", &attrs, &option.value);
        }
        out.end("wsman:OptionSet");
    }
    write_selector_set(out, "wsman", &header.selectors);
    out.end("s:Header");
}

/// Writes `<prefix:SelectorSet>` unless there are no selectors.
pub(crate) fn write_selector_set(out: &mut XmlOut, prefix: &str, selectors: &[Selector]) {
    if selectors.is_empty() {
        return;
    }
    let set = format!("{prefix}:SelectorSet");
    let one = format!("{prefix}:Selector");
    out.start(&set, &[]);
    for selector in selectors {
        out.leaf(&one, &[("Name", selector.name.as_str())], &selector.value);
    }
    out.end(&set);
}

/// Reads the selectors of a `SelectorSet` element.
pub(crate) fn read_selector_set(set: &Element) -> Result<Vec<Selector>, WsmanError> {
    set.children_named(WSMAN, "Selector")
        .map(|s| {
            Ok(Selector {
                name: s
                    .attr("Name")
                    .ok_or(WsmanError::MissingAttribute {
                        element: "Selector",
                        attribute: "Name",
                    })?
                    .to_owned(),
                value: s.text.clone(),
            })
        })
        .collect()
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim() {
        "true" | "True" | "TRUE" | "1" => Some(true),
        "false" | "False" | "FALSE" | "0" => Some(false),
        _ => None,
    }
}

/// Reads a request header; returns the Action (absent for Identify) and the header.
pub(crate) fn read_request_header(
    header: &Element,
) -> Result<(Option<String>, Header), WsmanError> {
    let action = header
        .child(ADDRESSING, "Action")
        .map(|a| a.text.trim().to_owned());
    let text = |ns: &str, name: &'static str| -> Result<String, WsmanError> {
        header
            .child(ns, name)
            .map(|e| e.text.trim().to_owned())
            .ok_or(WsmanError::MissingElement { element: name })
    };
    let message_id = parse_guid("MessageID", &text(ADDRESSING, "MessageID")?)?;
    let mut out = Header {
        to: text(ADDRESSING, "To")?,
        resource_uri: text(WSMAN, "ResourceURI")?,
        message_id,
        ..Header::default()
    };
    if let Some(e) = header.child(WSMV, "SessionId") {
        out.session_id = Some(parse_guid("SessionId", &e.text)?);
    }
    if let Some(e) = header.child(WSMAN, "OperationTimeout") {
        out.operation_timeout = Some(parse_duration("OperationTimeout", &e.text)?);
    }
    if let Some(e) = header.child(WSMAN, "MaxEnvelopeSize") {
        let size = e.text.trim();
        out.max_envelope_size = Some(size.parse().map_err(|_| WsmanError::InvalidNumber {
            field: "MaxEnvelopeSize",
            value: size.to_owned(),
        })?);
    }
    out.locale = header
        .child(WSMAN, "Locale")
        .and_then(|e| e.attr_ns(XML, "lang"))
        .map(str::to_owned);
    out.data_locale = header
        .child(WSMV, "DataLocale")
        .and_then(|e| e.attr_ns(XML, "lang"))
        .map(str::to_owned);
    if let Some(set) = header.child(WSMAN, "SelectorSet") {
        out.selectors = read_selector_set(set)?;
    }
    if let Some(set) = header.child(WSMAN, "OptionSet") {
        for option in set.children_named(WSMAN, "Option") {
            let name = option.attr("Name").ok_or(WsmanError::MissingAttribute {
                element: "Option",
                attribute: "Name",
            })?;
            out.options.push(WsOption {
                name: name.to_owned(),
                value: option.text.clone(),
                must_comply: option.attr("MustComply").and_then(parse_bool),
            });
        }
    }
    Ok((action, out))
}

/// Namespace prefixes of responses, as Windows writes them.
pub(crate) const RESPONSE_NAMESPACES: [(&str, &str); 7] = [
    ("xmlns:s", SOAP_ENV),
    ("xmlns:a", ADDRESSING),
    ("xmlns:x", super::namespaces::TRANSFER),
    ("xmlns:w", WSMAN),
    ("xmlns:rsp", super::namespaces::SHELL),
    ("xmlns:p", WSMV),
    ("xmlns:n", super::namespaces::ENUMERATION),
];

/// Opens a response envelope and writes its header, in Windows' order.
pub(crate) fn write_response_start(out: &mut XmlOut, action: &str, header: &ResponseHeader) {
    let mut attrs: Vec<(&str, &str)> = vec![("xml:lang", "en-US")];
    attrs.extend(RESPONSE_NAMESPACES);
    out.start("s:Envelope", &attrs);
    out.start("s:Header", &[]);
    out.leaf("a:Action", &[], action);
    out.leaf(
        "a:MessageID",
        &[],
        &format!("uuid:{}", format_guid(header.message_id)),
    );
    if let Some(activity) = header.activity_id {
        out.leaf("p:ActivityId", &[], &format_guid(activity));
    }
    out.leaf("a:To", &[], ANONYMOUS);
    if let Some(relates) = header.relates_to {
        out.leaf(
            "a:RelatesTo",
            &[],
            &format!("uuid:{}", format_guid(relates)),
        );
    }
    out.end("s:Header");
}

/// Reads a response header; returns the Action (absent for Identify) and the header.
pub(crate) fn read_response_header(
    header: &Element,
) -> Result<(Option<String>, ResponseHeader), WsmanError> {
    let action = header
        .child(ADDRESSING, "Action")
        .map(|a| a.text.trim().to_owned());
    let mut out = ResponseHeader::default();
    if let Some(e) = header.child(ADDRESSING, "MessageID") {
        out.message_id = parse_guid("MessageID", &e.text)?;
    }
    if let Some(e) = header.child(ADDRESSING, "RelatesTo") {
        out.relates_to = Some(parse_guid("RelatesTo", &e.text)?);
    }
    if let Some(e) = header.child(WSMV, "ActivityId") {
        out.activity_id = Some(parse_guid("ActivityId", &e.text)?);
    }
    Ok((action, out))
}

/// Splits an envelope into its header (if any) and body.
pub(crate) fn envelope_parts(root: &Element) -> Result<(Option<&Element>, &Element), WsmanError> {
    if !root.is(SOAP_ENV, "Envelope") {
        return Err(WsmanError::NotAnEnvelope {
            namespace: root.namespace.clone().unwrap_or_default(),
            name: root.name.clone(),
        });
    }
    let body = root
        .child(SOAP_ENV, "Body")
        .ok_or(WsmanError::MissingElement { element: "Body" })?;
    Ok((root.child(SOAP_ENV, "Header"), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_and_write_like_winrm() {
        assert_eq!(
            parse_duration("t", "PT20S").unwrap(),
            Duration::from_secs(20)
        );
        assert_eq!(
            parse_duration("t", "PT7200.000S").unwrap(),
            Duration::from_secs(7200)
        );
        assert_eq!(
            parse_duration("t", "PT2147483.647S").unwrap(),
            Duration::from_millis(2_147_483_647)
        );
        assert_eq!(
            parse_duration("t", "P1DT2H3M4S").unwrap(),
            Duration::from_secs(86_400 + 7200 + 180 + 4)
        );
        assert_eq!(format_duration(Duration::from_secs(20)), "PT20S");
        assert_eq!(format_duration(Duration::from_millis(1500)), "PT1.500S");
        for bad in [
            "", "P", "PT", "20S", "P1Y", "PT1.5M", "PTS", "PT-1S", "PT1S2",
        ] {
            assert!(
                matches!(
                    parse_duration("t", bad),
                    Err(WsmanError::InvalidDuration { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn guids_are_written_upper_case_and_read_with_prefix() {
        let id = Uuid::from_u128(0xe91c5753_6af8_4b5d_b693_eac4aaa2f7f2);
        assert_eq!(format_guid(id), "E91C5753-6AF8-4B5D-B693-EAC4AAA2F7F2");
        assert_eq!(
            parse_guid("x", "uuid:e91c5753-6af8-4b5d-b693-eac4aaa2f7f2").unwrap(),
            id
        );
        assert!(matches!(
            parse_guid("x", "uuid:nope"),
            Err(WsmanError::InvalidUuid { field: "x", .. })
        ));
    }
}
