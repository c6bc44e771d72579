//! Requests of the WinRM shell protocol ([MS-WSMV] 3.1.4): the client builds them with
//! [`Request::to_xml`], the server reads them with [`Request::parse`].

use std::time::Duration;

use uuid::Uuid;

use super::error::WsmanError;
use super::header::{
    Header, REQUEST_NAMESPACES, Selector, envelope_parts, format_duration, format_guid,
    parse_duration, parse_guid, read_request_header, read_selector_set, write_request_header,
    write_selector_set,
};
use super::namespaces::{
    ENUMERATION, POWERSHELL, SELECTOR_FILTER_DIALECT, SHELL, SOAP_ENV, WSMAN, WSMID, action,
};
use super::stream::{StreamData, decode_base64, encode_base64, read_stream, write_stream};
use super::xml::{self, Element, XmlOut};

/// One WS-Management operation on a shell, with its body values. Header values (endpoint,
/// ShellId selector, options, ids) travel separately in a [`Header`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Request {
    /// wst:Create of an `rsp:Shell` ([MS-WSMV] 3.1.4.5; [MS-PSRP] 3.1.5.3.1).
    Create {
        /// `ShellId` attribute: PSRP clients choose the id (it is the runspace pool id).
        shell_id: Option<Uuid>,
        /// `Name` attribute (the session name PowerShell shows).
        name: Option<String>,
        /// `rsp:IdleTimeOut`.
        idle_timeout: Option<Duration>,
        /// `rsp:InputStreams`, e.g. `["stdin", "pr"]`.
        input_streams: Vec<String>,
        /// `rsp:OutputStreams`, e.g. `["stdout"]`.
        output_streams: Vec<String>,
        /// Decoded `creationXml` (PSRP fragments: SESSION_CAPABILITY and INIT_RUNSPACEPOOL).
        creation_xml: Option<Vec<u8>>,
    },
    /// rsp:Command: starts a command; for PSRP a pipeline ([MS-PSRP] 3.1.5.3.4).
    Command {
        /// `CommandId` attribute: PSRP clients choose it (it is the pipeline id).
        command_id: Option<Uuid>,
        /// `rsp:Command` text; empty for PSRP.
        command: String,
        /// Decoded `rsp:Arguments` (the CREATE_PIPELINE fragments).
        arguments: Option<Vec<u8>>,
    },
    /// rsp:Send: input streams.
    Send {
        /// The `rsp:Stream` elements, in order.
        streams: Vec<StreamData>,
    },
    /// rsp:Receive: asks for output.
    Receive {
        /// `rsp:DesiredStream` text, e.g. `stdout`.
        desired_stream: String,
        /// `CommandId` attribute of DesiredStream; absent for shell-level output.
        command_id: Option<Uuid>,
    },
    /// rsp:Signal ([MS-WSMV] 3.1.4.12).
    Signal {
        /// `CommandId` attribute.
        command_id: Option<Uuid>,
        /// `rsp:Code`, see [`namespaces::signal`](super::namespaces::signal).
        code: String,
    },
    /// wst:Delete: closes the shell; the body is empty.
    Delete,
    /// rsp:Disconnect ([MS-WSMV] 3.1.4.15).
    Disconnect {
        /// `rsp:IdleTimeOut`: how long the server keeps the disconnected shell.
        idle_timeout: Option<Duration>,
    },
    /// rsp:Reconnect ([MS-WSMV] 3.1.4.16); sent with an empty body, as the captures show.
    Reconnect,
    /// rsp:Connect ([MS-WSMV] 3.1.4.17): attach to a disconnected shell or command.
    Connect {
        /// `CommandId` attribute when connecting to a command.
        command_id: Option<Uuid>,
        /// Decoded `connectXml` (PSRP SESSION_CAPABILITY and CONNECT_RUNSPACEPOOL).
        connect_xml: Option<Vec<u8>>,
    },
    /// wsen:Enumerate of shells (resource URI [`SHELL`]) or of a shell's commands.
    Enumerate {
        /// `wsman:OptimizeEnumeration` present.
        optimize: bool,
        /// `wsman:MaxElements`.
        max_elements: Option<u32>,
        /// Selectors of a `SelectorFilter` filter; empty for no filter.
        selector_filter: Vec<Selector>,
    },
    /// wsmid:Identify ([MS-WSMV] 3.1.4.18): body only, no addressing header.
    Identify,
}

fn body_child<'a>(
    body: &'a Element,
    namespace: &str,
    name: &'static str,
) -> Result<&'a Element, WsmanError> {
    match body.children.first() {
        Some(child) if child.is(namespace, name) => Ok(child),
        Some(child) => Err(WsmanError::UnexpectedBody {
            expected: name,
            found: child.qualified(),
        }),
        None => Err(WsmanError::UnexpectedBody {
            expected: name,
            found: "nothing".to_owned(),
        }),
    }
}

fn optional_guid(element: &Element, attribute: &'static str) -> Result<Option<Uuid>, WsmanError> {
    element
        .attr(attribute)
        .map(|v| parse_guid(attribute, v))
        .transpose()
}

fn stream_list(text: &str) -> Vec<String> {
    text.split_ascii_whitespace().map(str::to_owned).collect()
}

impl Request {
    /// The `wsa:Action` URI of this request (empty for Identify, which has none).
    pub fn action(&self) -> &'static str {
        match self {
            Request::Create { .. } => action::CREATE,
            Request::Command { .. } => action::COMMAND,
            Request::Send { .. } => action::SEND,
            Request::Receive { .. } => action::RECEIVE,
            Request::Signal { .. } => action::SIGNAL,
            Request::Delete => action::DELETE,
            Request::Disconnect { .. } => action::DISCONNECT,
            Request::Reconnect => action::RECONNECT,
            Request::Connect { .. } => action::CONNECT,
            Request::Enumerate { .. } => action::ENUMERATE,
            Request::Identify => "",
        }
    }

    /// Builds the SOAP envelope. `header` is ignored for Identify, which carries none.
    pub fn to_xml(&self, header: &Header) -> Vec<u8> {
        let mut out = XmlOut::new();
        if let Request::Identify = self {
            out.start(
                "s:Envelope",
                &[("xmlns:s", SOAP_ENV), ("xmlns:wsmid", WSMID)],
            );
            out.empty("s:Header", &[]);
            out.start("s:Body", &[]);
            out.empty("wsmid:Identify", &[]);
            out.end("s:Body");
            out.end("s:Envelope");
            return out.finish();
        }
        let mut attrs: Vec<(&str, &str)> = REQUEST_NAMESPACES.to_vec();
        if let Request::Enumerate { .. } = self {
            attrs.push(("xmlns:wsen", ENUMERATION));
        }
        out.start("s:Envelope", &attrs);
        write_request_header(&mut out, self.action(), header);
        match self {
            Request::Delete | Request::Reconnect => out.empty("s:Body", &[]),
            _ => {
                out.start("s:Body", &[]);
                self.write_body(&mut out);
                out.end("s:Body");
            }
        }
        out.end("s:Envelope");
        out.finish()
    }

    fn write_body(&self, out: &mut XmlOut) {
        match self {
            Request::Create {
                shell_id,
                name,
                idle_timeout,
                input_streams,
                output_streams,
                creation_xml,
            } => {
                let id = shell_id.map(format_guid);
                let mut attrs = Vec::new();
                if let Some(id) = &id {
                    attrs.push(("ShellId", id.as_str()));
                }
                if let Some(name) = name {
                    attrs.push(("Name", name.as_str()));
                }
                out.start("rsp:Shell", &attrs);
                if let Some(timeout) = idle_timeout {
                    out.leaf("rsp:IdleTimeOut", &[], &format_duration(*timeout));
                }
                out.leaf("rsp:InputStreams", &[], &input_streams.join(" "));
                out.leaf("rsp:OutputStreams", &[], &output_streams.join(" "));
                if let Some(data) = creation_xml {
                    out.leaf(
                        "creationXml",
                        &[("xmlns", POWERSHELL)],
                        &encode_base64(data),
                    );
                }
                out.end("rsp:Shell");
            }
            Request::Command {
                command_id,
                command,
                arguments,
            } => {
                let id = command_id.map(format_guid);
                let attrs: Vec<(&str, &str)> =
                    id.iter().map(|id| ("CommandId", id.as_str())).collect();
                out.start("rsp:CommandLine", &attrs);
                out.leaf("rsp:Command", &[], command);
                if let Some(data) = arguments {
                    out.leaf("rsp:Arguments", &[], &encode_base64(data));
                }
                out.end("rsp:CommandLine");
            }
            Request::Send { streams } => {
                out.start("rsp:Send", &[]);
                for stream in streams {
                    write_stream(out, stream);
                }
                out.end("rsp:Send");
            }
            Request::Receive {
                desired_stream,
                command_id,
            } => {
                let id = command_id.map(format_guid);
                let attrs: Vec<(&str, &str)> =
                    id.iter().map(|id| ("CommandId", id.as_str())).collect();
                out.start("rsp:Receive", &[]);
                out.leaf("rsp:DesiredStream", &attrs, desired_stream);
                out.end("rsp:Receive");
            }
            Request::Signal { command_id, code } => {
                let id = command_id.map(format_guid);
                let attrs: Vec<(&str, &str)> =
                    id.iter().map(|id| ("CommandId", id.as_str())).collect();
                out.start("rsp:Signal", &attrs);
                out.leaf("rsp:Code", &[], code);
                out.end("rsp:Signal");
            }
            Request::Disconnect { idle_timeout } => match idle_timeout {
                Some(timeout) => {
                    out.start("rsp:Disconnect", &[]);
                    out.leaf("rsp:IdleTimeOut", &[], &format_duration(*timeout));
                    out.end("rsp:Disconnect");
                }
                None => out.empty("rsp:Disconnect", &[]),
            },
            Request::Connect {
                command_id,
                connect_xml,
            } => {
                let id = command_id.map(format_guid);
                let attrs: Vec<(&str, &str)> =
                    id.iter().map(|id| ("CommandId", id.as_str())).collect();
                match connect_xml {
                    Some(data) => {
                        out.start("rsp:Connect", &attrs);
                        out.leaf("connectXml", &[("xmlns", POWERSHELL)], &encode_base64(data));
                        out.end("rsp:Connect");
                    }
                    None => out.empty("rsp:Connect", &attrs),
                }
            }
            Request::Enumerate {
                optimize,
                max_elements,
                selector_filter,
            } => {
                out.start("wsen:Enumerate", &[]);
                if *optimize {
                    out.empty("wsman:OptimizeEnumeration", &[]);
                }
                if let Some(max) = max_elements {
                    out.leaf("wsman:MaxElements", &[], &max.to_string());
                }
                if !selector_filter.is_empty() {
                    out.start("wsman:Filter", &[("Dialect", SELECTOR_FILTER_DIALECT)]);
                    write_selector_set(out, "wsman", selector_filter);
                    out.end("wsman:Filter");
                }
                out.end("wsen:Enumerate");
            }
            Request::Delete | Request::Reconnect | Request::Identify => {}
        }
    }

    /// Reads a request envelope (server side). Identify comes back with an empty header.
    pub fn parse(xml: &[u8]) -> Result<(Header, Request), WsmanError> {
        let root = xml::parse(xml)?;
        let (header, body) = envelope_parts(&root)?;
        if body
            .children
            .first()
            .is_some_and(|c| c.is(WSMID, "Identify"))
        {
            return Ok((Header::default(), Request::Identify));
        }
        let header = header.ok_or(WsmanError::MissingElement { element: "Header" })?;
        let (action, header) = read_request_header(header)?;
        let action = action.ok_or(WsmanError::MissingElement { element: "Action" })?;
        let request = Self::parse_body(&action, body)?;
        Ok((header, request))
    }

    fn parse_body(action_uri: &str, body: &Element) -> Result<Request, WsmanError> {
        Ok(match action_uri {
            action::CREATE => {
                let shell = body_child(body, SHELL, "Shell")?;
                Request::Create {
                    shell_id: optional_guid(shell, "ShellId")?,
                    name: shell.attr("Name").map(str::to_owned),
                    idle_timeout: shell
                        .child(SHELL, "IdleTimeOut")
                        .map(|e| parse_duration("IdleTimeOut", &e.text))
                        .transpose()?,
                    input_streams: shell
                        .child(SHELL, "InputStreams")
                        .map(|e| stream_list(&e.text))
                        .unwrap_or_default(),
                    output_streams: shell
                        .child(SHELL, "OutputStreams")
                        .map(|e| stream_list(&e.text))
                        .unwrap_or_default(),
                    creation_xml: shell
                        .child(POWERSHELL, "creationXml")
                        .map(|e| decode_base64("creationXml", &e.text))
                        .transpose()?,
                }
            }
            action::COMMAND => {
                let line = body_child(body, SHELL, "CommandLine")?;
                Request::Command {
                    command_id: optional_guid(line, "CommandId")?,
                    command: line
                        .child(SHELL, "Command")
                        .map(|e| e.text.clone())
                        .unwrap_or_default(),
                    arguments: line
                        .child(SHELL, "Arguments")
                        .map(|e| decode_base64("Arguments", &e.text))
                        .transpose()?,
                }
            }
            action::SEND => {
                let send = body_child(body, SHELL, "Send")?;
                Request::Send {
                    streams: send
                        .children_named(SHELL, "Stream")
                        .map(read_stream)
                        .collect::<Result<_, _>>()?,
                }
            }
            action::RECEIVE => {
                let receive = body_child(body, SHELL, "Receive")?;
                let desired =
                    receive
                        .child(SHELL, "DesiredStream")
                        .ok_or(WsmanError::MissingElement {
                            element: "DesiredStream",
                        })?;
                Request::Receive {
                    desired_stream: desired.text.trim().to_owned(),
                    command_id: optional_guid(desired, "CommandId")?,
                }
            }
            action::SIGNAL => {
                let signal = body_child(body, SHELL, "Signal")?;
                let code = signal
                    .child(SHELL, "Code")
                    .ok_or(WsmanError::MissingElement { element: "Code" })?;
                Request::Signal {
                    command_id: optional_guid(signal, "CommandId")?,
                    code: code.text.trim().to_owned(),
                }
            }
            action::DELETE => Request::Delete,
            action::DISCONNECT => {
                let disconnect = body_child(body, SHELL, "Disconnect")?;
                Request::Disconnect {
                    idle_timeout: disconnect
                        .child(SHELL, "IdleTimeOut")
                        .map(|e| parse_duration("IdleTimeOut", &e.text))
                        .transpose()?,
                }
            }
            action::RECONNECT => match body.children.first() {
                None => Request::Reconnect,
                Some(_) => {
                    body_child(body, SHELL, "Reconnect")?;
                    Request::Reconnect
                }
            },
            action::CONNECT => {
                let connect = body_child(body, SHELL, "Connect")?;
                Request::Connect {
                    command_id: optional_guid(connect, "CommandId")?,
                    connect_xml: connect
                        .child(POWERSHELL, "connectXml")
                        .map(|e| decode_base64("connectXml", &e.text))
                        .transpose()?,
                }
            }
            action::ENUMERATE => {
                let enumerate = body_child(body, ENUMERATION, "Enumerate")?;
                let max_elements = enumerate
                    .child(WSMAN, "MaxElements")
                    .map(|e| {
                        e.text
                            .trim()
                            .parse()
                            .map_err(|_| WsmanError::InvalidNumber {
                                field: "MaxElements",
                                value: e.text.clone(),
                            })
                    })
                    .transpose()?;
                let selector_filter = match enumerate
                    .child(WSMAN, "Filter")
                    .and_then(|f| f.child(WSMAN, "SelectorSet"))
                {
                    Some(set) => read_selector_set(set)?,
                    None => Vec::new(),
                };
                Request::Enumerate {
                    optimize: enumerate.child(WSMAN, "OptimizeEnumeration").is_some(),
                    max_elements,
                    selector_filter,
                }
            }
            other => return Err(WsmanError::UnknownAction(other.to_owned())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wsman::namespaces::{RESOURCE_POWERSHELL, signal};

    fn header() -> Header {
        Header::new(
            "https://host:5986/wsman",
            RESOURCE_POWERSHELL,
            Uuid::from_u128(7),
            153_600,
        )
        .with_shell_id(Uuid::from_u128(0xabc))
    }

    #[test]
    fn requests_round_trip() {
        let requests = [
            Request::Create {
                shell_id: Some(Uuid::from_u128(0xabc)),
                name: Some("a<&>\"b".to_owned()),
                idle_timeout: Some(Duration::from_secs(7200)),
                input_streams: vec!["stdin".into(), "pr".into()],
                output_streams: vec!["stdout".into()],
                creation_xml: Some(vec![0, 1, 2, 255]),
            },
            Request::Command {
                command_id: Some(Uuid::from_u128(0xdef)),
                command: String::new(),
                arguments: Some(b"\xEF\xBB\xBF<Obj/>".to_vec()),
            },
            Request::Send {
                streams: vec![
                    StreamData::new("stdin", None, vec![1, 2, 3]),
                    StreamData {
                        end: true,
                        ..StreamData::new("pr", Some(Uuid::from_u128(5)), vec![])
                    },
                ],
            },
            Request::Receive {
                desired_stream: "stdout".into(),
                command_id: Some(Uuid::from_u128(9)),
            },
            Request::Signal {
                command_id: Some(Uuid::from_u128(9)),
                code: signal::TERMINATE.into(),
            },
            Request::Delete,
            Request::Disconnect {
                idle_timeout: Some(Duration::from_secs(240)),
            },
            Request::Reconnect,
            Request::Connect {
                command_id: None,
                connect_xml: Some(vec![9; 40]),
            },
            Request::Enumerate {
                optimize: true,
                max_elements: Some(32000),
                selector_filter: vec![],
            },
        ];
        let header = Header {
            session_id: Some(Uuid::from_u128(11)),
            ..header().with_option("protocolversion", "2.3", Some(true))
        };
        for request in requests {
            let xml = request.to_xml(&header);
            let (parsed_header, parsed) = Request::parse(&xml).unwrap();
            assert_eq!(parsed, request);
            assert_eq!(parsed_header, header);
        }
        let (h, identify) = Request::parse(&Request::Identify.to_xml(&header)).unwrap();
        assert_eq!(identify, Request::Identify);
        assert_eq!(h, Header::default());
    }

    #[test]
    fn bad_requests_give_typed_errors() {
        let good = String::from_utf8(
            Request::Receive {
                desired_stream: "stdout".into(),
                command_id: None,
            }
            .to_xml(&header()),
        )
        .unwrap();
        assert!(matches!(
            Request::parse(b"<s:Envelope xmlns:s=\"x\"><s:Body>"),
            Err(WsmanError::Malformed { .. })
        ));
        assert!(matches!(
            Request::parse(b"<a><b></a>"),
            Err(WsmanError::Malformed { .. })
        ));
        assert!(matches!(
            Request::parse(b"<p:x:y/>"),
            Err(WsmanError::Malformed { .. })
        ));
        let unknown = good.replace(action::RECEIVE, "http://example.org/Frobnicate");
        assert_eq!(
            Request::parse(unknown.as_bytes()),
            Err(WsmanError::UnknownAction(
                "http://example.org/Frobnicate".into()
            ))
        );
        let wrong_ns = good.replace(SOAP_ENV, "http://schemas.xmlsoap.org/soap/envelope/");
        assert!(matches!(
            Request::parse(wrong_ns.as_bytes()),
            Err(WsmanError::NotAnEnvelope { .. })
        ));
        let no_body = good
            .replace("<s:Body>", "<s:Bodx>")
            .replace("</s:Body>", "</s:Bodx>");
        assert_eq!(
            Request::parse(no_body.as_bytes()),
            Err(WsmanError::MissingElement { element: "Body" })
        );
        let empty_body = Request::Delete
            .to_xml(&header())
            .iter()
            .map(|&b| b as char)
            .collect::<String>()
            .replace(action::DELETE, action::RECEIVE);
        assert_eq!(
            Request::parse(empty_body.as_bytes()),
            Err(WsmanError::UnexpectedBody {
                expected: "Receive",
                found: "nothing".into()
            })
        );
        let bad_stream = String::from_utf8(
            Request::Send {
                streams: vec![StreamData::new("stdin", None, b"abc".to_vec())],
            }
            .to_xml(&header()),
        )
        .unwrap()
        .replace("YWJj", "Y*Jj");
        assert_eq!(
            Request::parse(bad_stream.as_bytes()),
            Err(WsmanError::InvalidBase64 { element: "Stream" })
        );
        let bad_id = good.replace(&format_guid(Uuid::from_u128(0xabc)), "not-a-guid");
        let (h, _) = Request::parse(bad_id.as_bytes()).unwrap();
        assert!(matches!(h.shell_id(), Err(WsmanError::InvalidUuid { .. })));
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert_eq!(
            Request::parse(deep.as_bytes()),
            Err(WsmanError::TooDeep {
                limit: xml::MAX_DEPTH
            })
        );
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::wsman::header::WsOption;
    use proptest::collection::vec;
    use proptest::option;
    use proptest::prelude::*;

    // Values the parser trims or splits on whitespace get no whitespace; free text may hold
    // spaces and markup characters. XML cannot carry most control characters, so none here.
    fn token() -> impl Strategy<Value = String> {
        "[A-Za-z0-9<>&'\"./:_-]{1,24}"
    }

    fn text() -> impl Strategy<Value = String> {
        "[A-Za-z0-9<>&'\" ./:_-]{0,24}"
    }

    fn guid() -> impl Strategy<Value = Uuid> {
        any::<u128>().prop_map(Uuid::from_u128)
    }

    fn duration() -> impl Strategy<Value = Duration> {
        (0u64..100_000_000).prop_map(Duration::from_millis)
    }

    fn header() -> impl Strategy<Value = Header> {
        (
            (token(), token(), guid(), option::of(guid())),
            (option::of(duration()), option::of(any::<u32>())),
            (option::of(token()), option::of(token())),
            vec((token(), text()), 0..3),
            vec((token(), text(), option::of(any::<bool>())), 0..3),
        )
            .prop_map(
                |((to, uri, id, session), (timeout, size), (locale, data), sel, opts)| Header {
                    to,
                    resource_uri: uri,
                    message_id: id,
                    session_id: session,
                    operation_timeout: timeout,
                    max_envelope_size: size,
                    locale,
                    data_locale: data,
                    selectors: sel
                        .into_iter()
                        .map(|(name, value)| Selector { name, value })
                        .collect(),
                    options: opts
                        .into_iter()
                        .map(|(name, value, must_comply)| WsOption {
                            name,
                            value,
                            must_comply,
                        })
                        .collect(),
                },
            )
    }

    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        vec(any::<u8>(), 0..200)
    }

    fn request() -> impl Strategy<Value = Request> {
        prop_oneof![
            (
                option::of(guid()),
                option::of(text()),
                option::of(duration()),
                vec(token(), 0..3),
                vec(token(), 0..3),
                option::of(bytes())
            )
                .prop_map(|(shell_id, name, idle_timeout, i, o, creation_xml)| {
                    Request::Create {
                        shell_id,
                        name,
                        idle_timeout,
                        input_streams: i,
                        output_streams: o,
                        creation_xml,
                    }
                }),
            (option::of(guid()), text(), option::of(bytes())).prop_map(
                |(command_id, command, arguments)| Request::Command {
                    command_id,
                    command,
                    arguments,
                }
            ),
            vec((token(), option::of(guid()), bytes(), any::<bool>()), 0..4).prop_map(|s| {
                Request::Send {
                    streams: s
                        .into_iter()
                        .map(|(name, command_id, data, end)| StreamData {
                            name,
                            command_id,
                            data,
                            end,
                        })
                        .collect(),
                }
            }),
            (token(), option::of(guid())).prop_map(|(desired_stream, command_id)| {
                Request::Receive {
                    desired_stream,
                    command_id,
                }
            }),
            (option::of(guid()), token())
                .prop_map(|(command_id, code)| Request::Signal { command_id, code }),
            Just(Request::Delete),
            Just(Request::Reconnect),
            option::of(duration()).prop_map(|idle_timeout| Request::Disconnect { idle_timeout }),
            (option::of(guid()), option::of(bytes())).prop_map(|(command_id, connect_xml)| {
                Request::Connect {
                    command_id,
                    connect_xml,
                }
            }),
            (
                any::<bool>(),
                option::of(any::<u32>()),
                vec((token(), text()), 0..2)
            )
                .prop_map(|(optimize, max_elements, sel)| Request::Enumerate {
                    optimize,
                    max_elements,
                    selector_filter: sel
                        .into_iter()
                        .map(|(name, value)| Selector { name, value })
                        .collect(),
                }),
        ]
    }

    proptest! {
        #[test]
        fn any_request_round_trips(header in header(), request in request()) {
            let xml = request.to_xml(&header);
            let (parsed_header, parsed) = Request::parse(&xml).map_err(|e| {
                TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(&xml)))
            })?;
            prop_assert_eq!(parsed, request);
            prop_assert_eq!(parsed_header, header);
        }

        #[test]
        fn mutated_envelopes_never_panic(
            header in header(),
            request in request(),
            edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut xml = request.to_xml(&header);
            for (index, byte) in edits {
                let at = index.index(xml.len());
                xml[at] = byte;
            }
            let _ = Request::parse(&xml);
            let _ = crate::wsman::Response::parse(&xml);
            xml.truncate(cut.index(xml.len()));
            prop_assert!(Request::parse(&xml).is_err());
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in vec(any::<u8>(), 0..400)) {
            let _ = Request::parse(&data);
            let _ = crate::wsman::Response::parse(&data);
        }
    }
}
