//! Responses of the WinRM shell protocol ([MS-WSMV] 3.1.4): the server builds them with
//! [`Response::to_xml`], the client reads them with [`Response::parse`], which turns an
//! `s:Fault` into [`WsmanError::Fault`].

use uuid::Uuid;

use super::error::WsmanError;
use super::fault::WsManFault;
use super::header::{
    ResponseHeader, Selector, envelope_parts, format_guid, parse_guid, read_response_header,
    read_selector_set, write_response_start, write_selector_set,
};
use super::namespaces::{
    ADDRESSING, ENUMERATION, POWERSHELL, SHELL, SOAP_ENV, TRANSFER, WSMAN, WSMID, action,
    command_state,
};
use super::stream::{StreamData, decode_base64, encode_base64, read_stream, write_stream};
use super::xml::{self, Element, XmlOut};

/// A successful response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Response {
    /// CreateResponse: the shell exists.
    Created(CreateResponse),
    /// CommandResponse with the command's id.
    Command {
        /// `rsp:CommandId`.
        command_id: Uuid,
    },
    /// SendResponse.
    Send,
    /// ReceiveResponse: output and, at the end, the command state.
    Receive(ReceiveResponse),
    /// SignalResponse.
    Signal,
    /// DeleteResponse (empty body).
    Delete,
    /// DisconnectResponse (empty body).
    Disconnect,
    /// ReconnectResponse (empty body).
    Reconnect,
    /// ConnectResponse.
    Connect(ConnectResponse),
    /// EnumerateResponse listing shells or commands.
    Enumerate(EnumerateResponse),
    /// IdentifyResponse.
    Identify(IdentifyResponse),
}

/// Body of a CreateResponse: the endpoint reference of the new shell, then its properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateResponse {
    /// `wsa:Address` of the endpoint.
    pub address: String,
    /// `wsman:ResourceURI` of the reference parameters.
    pub resource_uri: String,
    /// `wsman:SelectorSet` of the reference parameters (ShellId).
    pub selectors: Vec<Selector>,
    /// The `rsp:Shell` that Windows appends.
    pub shell: Option<ShellInfo>,
}

impl CreateResponse {
    /// The ShellId selector as a GUID.
    pub fn shell_id(&self) -> Result<Option<Uuid>, WsmanError> {
        self.selectors
            .iter()
            .find(|s| s.name == "ShellId")
            .map(|s| parse_guid("ShellId", &s.value))
            .transpose()
    }
}

/// An `rsp:Shell` description ([MS-WSMV] 2.2.4.37): its child elements in document order
/// (`ShellId`, `ResourceUri`, `Owner`, `State`, `IdleTimeOut`, ...), text as sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShellInfo {
    /// `(local name, text)` of each child element.
    pub properties: Vec<(String, String)>,
}

impl ShellInfo {
    /// The text of the property `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `ShellId` as a GUID.
    pub fn shell_id(&self) -> Result<Option<Uuid>, WsmanError> {
        self.get("ShellId")
            .map(|v| parse_guid("ShellId", v))
            .transpose()
    }

    fn read(shell: &Element) -> Self {
        Self {
            properties: shell
                .children
                .iter()
                .map(|c| (c.name.clone(), c.text.clone()))
                .collect(),
        }
    }

    /// Writes the shell; a property whose name is not an XML name is left out rather than
    /// written as broken markup.
    fn write(&self, out: &mut XmlOut) {
        out.start("rsp:Shell", &[]);
        for (name, value) in &self.properties {
            if is_xml_name(name) {
                out.leaf(&format!("rsp:{name}"), &[], value);
            }
        }
        out.end("rsp:Shell");
    }
}

/// Body of a ReceiveResponse ([MS-WSMV] 2.2.4.31).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceiveResponse {
    /// The `rsp:Stream` elements in order; one element may hold several PSRP fragments.
    pub streams: Vec<StreamData>,
    /// `rsp:CommandState`, present when a command changed state.
    pub command_state: Option<CommandState>,
}

/// `rsp:CommandState` ([MS-WSMV] 2.2.4.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandState {
    /// `CommandId` attribute.
    pub command_id: Option<Uuid>,
    /// `State` attribute.
    pub state: CommandStateKind,
    /// `rsp:ExitCode`, sent with Done.
    pub exit_code: Option<i64>,
}

/// The `State` URI of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommandStateKind {
    /// `.../CommandState/Running`.
    Running,
    /// `.../CommandState/Done`: no more output will come.
    Done,
    /// `.../CommandState/Pending`.
    Pending,
    /// Any other URI, kept as sent.
    Other(String),
}

impl CommandStateKind {
    /// The state's URI.
    pub fn uri(&self) -> &str {
        match self {
            CommandStateKind::Running => command_state::RUNNING,
            CommandStateKind::Done => command_state::DONE,
            CommandStateKind::Pending => command_state::PENDING,
            CommandStateKind::Other(uri) => uri,
        }
    }

    /// Reads a state URI.
    pub fn from_uri(uri: &str) -> Self {
        match uri.trim() {
            command_state::RUNNING => CommandStateKind::Running,
            command_state::DONE => CommandStateKind::Done,
            command_state::PENDING => CommandStateKind::Pending,
            other => CommandStateKind::Other(other.to_owned()),
        }
    }
}

/// Body of a ConnectResponse ([MS-WSMV] 3.1.4.17); empty when connecting to a command.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectResponse {
    /// `rsp:InputStreams`.
    pub input_streams: Vec<String>,
    /// `rsp:OutputStreams`.
    pub output_streams: Vec<String>,
    /// Decoded `connectResponseXml` (PSRP fragments).
    pub connect_response_xml: Option<Vec<u8>>,
}

/// Body of an EnumerateResponse with `OptimizeEnumeration`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnumerateResponse {
    /// `n:EnumerationContext` text, if the element is present.
    pub context: Option<String>,
    /// `w:Items`, in order.
    pub items: Vec<EnumerationItem>,
    /// `w:EndOfSequence` present: no Pull needed.
    pub end_of_sequence: bool,
}

/// One enumerated item.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EnumerationItem {
    /// A shell.
    Shell(ShellInfo),
    /// A command of a shell.
    Command(CommandInfo),
}

/// An enumerated `rsp:Command`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandInfo {
    /// `rsp:CommandId`.
    pub command_id: Uuid,
    /// `rsp:CommandLine` text.
    pub command_line: String,
    /// `rsp:CommandState` text, e.g. `Running`.
    pub state: String,
}

/// Body of an IdentifyResponse ([MS-WSMV] 3.1.4.18).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdentifyResponse {
    /// `wsmid:ProtocolVersion` (the WS-Management namespace URI).
    pub protocol_version: String,
    /// `wsmid:ProductVendor`.
    pub product_vendor: String,
    /// `wsmid:ProductVersion`, e.g. `OS: 10.0.14393 SP: 0.0 Stack: 3.0`.
    pub product_version: String,
    /// `wsmid:SecurityProfiles/wsmid:SecurityProfileName`, in order.
    pub security_profiles: Vec<String>,
}

/// Whether `name` is a prefix-free XML name (ASCII subset, which covers every shell property).
fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn text_of(parent: &Element, ns: &str, name: &'static str) -> Result<String, WsmanError> {
    parent
        .child(ns, name)
        .map(|e| e.text.clone())
        .ok_or(WsmanError::MissingElement { element: name })
}

fn first_body<'a>(
    body: &'a Element,
    ns: &str,
    name: &'static str,
) -> Result<&'a Element, WsmanError> {
    body.child(ns, name)
        .ok_or_else(|| WsmanError::UnexpectedBody {
            expected: name,
            found: body
                .children
                .first()
                .map_or_else(|| "nothing".to_owned(), Element::qualified),
        })
}

fn streams_text(streams: &[String]) -> String {
    streams.join(" ")
}

impl Response {
    /// The `wsa:Action` URI of this response (empty for Identify).
    pub fn action(&self) -> &'static str {
        match self {
            Response::Created(_) => action::CREATE_RESPONSE,
            Response::Command { .. } => action::COMMAND_RESPONSE,
            Response::Send => action::SEND_RESPONSE,
            Response::Receive(_) => action::RECEIVE_RESPONSE,
            Response::Signal => action::SIGNAL_RESPONSE,
            Response::Delete => action::DELETE_RESPONSE,
            Response::Disconnect => action::DISCONNECT_RESPONSE,
            Response::Reconnect => action::RECONNECT_RESPONSE,
            Response::Connect(_) => action::CONNECT_RESPONSE,
            Response::Enumerate(_) => action::ENUMERATE_RESPONSE,
            Response::Identify(_) => "",
        }
    }

    /// Builds the response envelope (server side), with Windows' prefixes and header order.
    pub fn to_xml(&self, header: &ResponseHeader) -> Vec<u8> {
        let data = match self {
            Response::Receive(receive) => receive.streams.iter().map(|s| s.data.len()).sum(),
            _ => 0,
        };
        // Room for the envelope and the stream data's base64 (4 bytes per 3).
        let mut out = XmlOut::with_capacity(2048 + data / 3 * 4 + 4);
        if let Response::Identify(identify) = self {
            out.start(
                "s:Envelope",
                &[("xmlns:s", SOAP_ENV), ("xmlns:wsmid", WSMID)],
            );
            out.empty("s:Header", &[]);
            out.start("s:Body", &[]);
            out.start("wsmid:IdentifyResponse", &[]);
            out.leaf("wsmid:ProtocolVersion", &[], &identify.protocol_version);
            out.leaf("wsmid:ProductVendor", &[], &identify.product_vendor);
            out.leaf("wsmid:ProductVersion", &[], &identify.product_version);
            out.start("wsmid:SecurityProfiles", &[]);
            for profile in &identify.security_profiles {
                out.leaf("wsmid:SecurityProfileName", &[], profile);
            }
            out.end("wsmid:SecurityProfiles");
            out.end("wsmid:IdentifyResponse");
            out.end("s:Body");
            out.end("s:Envelope");
            return out.finish();
        }
        write_response_start(&mut out, self.action(), header);
        out.start("s:Body", &[]);
        self.write_body(&mut out);
        out.end("s:Body");
        out.end("s:Envelope");
        out.finish()
    }

    fn write_body(&self, out: &mut XmlOut) {
        match self {
            Response::Created(created) => {
                out.start("x:ResourceCreated", &[]);
                out.leaf("a:Address", &[], &created.address);
                out.start("a:ReferenceParameters", &[]);
                out.leaf("w:ResourceURI", &[], &created.resource_uri);
                write_selector_set(out, "w", &created.selectors);
                out.end("a:ReferenceParameters");
                out.end("x:ResourceCreated");
                if let Some(shell) = &created.shell {
                    shell.write(out);
                }
            }
            Response::Command { command_id } => {
                out.start("rsp:CommandResponse", &[]);
                out.leaf("rsp:CommandId", &[], &format_guid(*command_id));
                out.end("rsp:CommandResponse");
            }
            Response::Send => out.empty("rsp:SendResponse", &[]),
            Response::Signal => out.empty("rsp:SignalResponse", &[]),
            Response::Receive(receive) => {
                out.start("rsp:ReceiveResponse", &[]);
                for stream in &receive.streams {
                    write_stream(out, stream);
                }
                if let Some(state) = &receive.command_state {
                    let id = state.command_id.map(format_guid);
                    let mut attrs = Vec::new();
                    if let Some(id) = &id {
                        attrs.push(("CommandId", id.as_str()));
                    }
                    attrs.push(("State", state.state.uri()));
                    match state.exit_code {
                        Some(code) => {
                            out.start("rsp:CommandState", &attrs);
                            out.leaf("rsp:ExitCode", &[], &code.to_string());
                            out.end("rsp:CommandState");
                        }
                        None => out.empty("rsp:CommandState", &attrs),
                    }
                }
                out.end("rsp:ReceiveResponse");
            }
            Response::Delete | Response::Disconnect | Response::Reconnect => {}
            Response::Connect(connect) => {
                let empty = connect.input_streams.is_empty()
                    && connect.output_streams.is_empty()
                    && connect.connect_response_xml.is_none();
                if empty {
                    out.empty("rsp:ConnectResponse", &[]);
                    return;
                }
                out.start("rsp:ConnectResponse", &[]);
                out.leaf(
                    "rsp:InputStreams",
                    &[],
                    &streams_text(&connect.input_streams),
                );
                out.leaf(
                    "rsp:OutputStreams",
                    &[],
                    &streams_text(&connect.output_streams),
                );
                if let Some(data) = &connect.connect_response_xml {
                    out.leaf(
                        "connectResponseXml",
                        &[("xmlns", POWERSHELL)],
                        &encode_base64(data),
                    );
                }
                out.end("rsp:ConnectResponse");
            }
            Response::Enumerate(enumerate) => {
                out.start("n:EnumerateResponse", &[]);
                if let Some(context) = &enumerate.context {
                    out.start("n:EnumerationContext", &[]);
                    out.text(context);
                    out.end("n:EnumerationContext");
                }
                if !enumerate.items.is_empty() {
                    out.start("w:Items", &[]);
                    for item in &enumerate.items {
                        match item {
                            EnumerationItem::Shell(shell) => shell.write(out),
                            EnumerationItem::Command(command) => {
                                out.start("rsp:Command", &[]);
                                out.leaf("rsp:CommandId", &[], &format_guid(command.command_id));
                                out.leaf("rsp:CommandLine", &[], &command.command_line);
                                out.leaf("rsp:CommandState", &[], &command.state);
                                out.end("rsp:Command");
                            }
                        }
                    }
                    out.end("w:Items");
                }
                if enumerate.end_of_sequence {
                    out.empty("w:EndOfSequence", &[]);
                }
                out.end("n:EnumerateResponse");
            }
            Response::Identify(_) => {}
        }
    }

    /// Reads a response envelope (client side). A SOAP fault comes back as
    /// [`WsmanError::Fault`].
    pub fn parse(xml: &[u8]) -> Result<(ResponseHeader, Response), WsmanError> {
        let root = xml::parse(xml)?;
        let (header, body) = envelope_parts(&root)?;
        if let Some(fault) = body.child(SOAP_ENV, "Fault") {
            return Err(WsmanError::Fault(Box::new(WsManFault::from_element(
                fault,
            )?)));
        }
        if let Some(identify) = body.child(WSMID, "IdentifyResponse") {
            let profiles = identify
                .child(WSMID, "SecurityProfiles")
                .map(|p| {
                    p.children_named(WSMID, "SecurityProfileName")
                        .map(|n| n.text.trim().to_owned())
                        .collect()
                })
                .unwrap_or_default();
            return Ok((
                ResponseHeader::default(),
                Response::Identify(IdentifyResponse {
                    protocol_version: text_of(identify, WSMID, "ProtocolVersion")?,
                    product_vendor: text_of(identify, WSMID, "ProductVendor")?,
                    product_version: text_of(identify, WSMID, "ProductVersion")?,
                    security_profiles: profiles,
                }),
            ));
        }
        let header = header.ok_or(WsmanError::MissingElement { element: "Header" })?;
        let (action, header) = read_response_header(header)?;
        let action = action.ok_or(WsmanError::MissingElement { element: "Action" })?;
        Ok((header, Self::parse_body(&action, body)?))
    }

    fn parse_body(action_uri: &str, body: &Element) -> Result<Response, WsmanError> {
        Ok(match action_uri {
            action::CREATE_RESPONSE => {
                let created = first_body(body, TRANSFER, "ResourceCreated")?;
                let params = created.child(ADDRESSING, "ReferenceParameters").ok_or(
                    WsmanError::MissingElement {
                        element: "ReferenceParameters",
                    },
                )?;
                Response::Created(CreateResponse {
                    address: text_of(created, ADDRESSING, "Address")?.trim().to_owned(),
                    resource_uri: text_of(params, WSMAN, "ResourceURI")?.trim().to_owned(),
                    selectors: match params.child(WSMAN, "SelectorSet") {
                        Some(set) => read_selector_set(set)?,
                        None => Vec::new(),
                    },
                    shell: body.child(SHELL, "Shell").map(ShellInfo::read),
                })
            }
            action::COMMAND_RESPONSE => {
                let response = first_body(body, SHELL, "CommandResponse")?;
                Response::Command {
                    command_id: parse_guid("CommandId", &text_of(response, SHELL, "CommandId")?)?,
                }
            }
            action::SEND_RESPONSE => Response::Send,
            action::SIGNAL_RESPONSE => Response::Signal,
            action::DELETE_RESPONSE => Response::Delete,
            action::DISCONNECT_RESPONSE => Response::Disconnect,
            action::RECONNECT_RESPONSE => Response::Reconnect,
            action::RECEIVE_RESPONSE => {
                let receive = first_body(body, SHELL, "ReceiveResponse")?;
                let streams = receive
                    .children_named(SHELL, "Stream")
                    .map(read_stream)
                    .collect::<Result<_, _>>()?;
                let command_state = match receive.child(SHELL, "CommandState") {
                    Some(state) => Some(CommandState {
                        command_id: state
                            .attr("CommandId")
                            .map(|v| parse_guid("CommandId", v))
                            .transpose()?,
                        state: CommandStateKind::from_uri(state.attr("State").ok_or(
                            WsmanError::MissingAttribute {
                                element: "CommandState",
                                attribute: "State",
                            },
                        )?),
                        exit_code: match state.child(SHELL, "ExitCode") {
                            Some(code) => Some(code.text.trim().parse().map_err(|_| {
                                WsmanError::InvalidNumber {
                                    field: "ExitCode",
                                    value: code.text.clone(),
                                }
                            })?),
                            None => None,
                        },
                    }),
                    None => None,
                };
                Response::Receive(ReceiveResponse {
                    streams,
                    command_state,
                })
            }
            action::CONNECT_RESPONSE => {
                let connect = first_body(body, SHELL, "ConnectResponse")?;
                let list = |name| {
                    connect
                        .child(SHELL, name)
                        .map(|e| e.text.split_ascii_whitespace().map(str::to_owned).collect())
                        .unwrap_or_default()
                };
                Response::Connect(ConnectResponse {
                    input_streams: list("InputStreams"),
                    output_streams: list("OutputStreams"),
                    connect_response_xml: connect
                        .child(POWERSHELL, "connectResponseXml")
                        .map(|e| decode_base64("connectResponseXml", &e.text))
                        .transpose()?,
                })
            }
            action::ENUMERATE_RESPONSE => {
                let enumerate = first_body(body, ENUMERATION, "EnumerateResponse")?;
                let mut items = Vec::new();
                if let Some(list) = enumerate.child(WSMAN, "Items") {
                    for item in &list.children {
                        if item.is(SHELL, "Shell") {
                            items.push(EnumerationItem::Shell(ShellInfo::read(item)));
                        } else if item.is(SHELL, "Command") {
                            items.push(EnumerationItem::Command(CommandInfo {
                                command_id: parse_guid(
                                    "CommandId",
                                    &text_of(item, SHELL, "CommandId")?,
                                )?,
                                command_line: item
                                    .child(SHELL, "CommandLine")
                                    .map(|e| e.text.clone())
                                    .unwrap_or_default(),
                                state: item
                                    .child(SHELL, "CommandState")
                                    .map(|e| e.text.trim().to_owned())
                                    .unwrap_or_default(),
                            }));
                        }
                    }
                }
                Response::Enumerate(EnumerateResponse {
                    context: enumerate
                        .child(ENUMERATION, "EnumerationContext")
                        .map(|e| e.text.clone()),
                    items,
                    end_of_sequence: enumerate.child(WSMAN, "EndOfSequence").is_some(),
                })
            }
            other => return Err(WsmanError::UnknownAction(other.to_owned())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> ResponseHeader {
        ResponseHeader {
            message_id: Uuid::from_u128(1),
            relates_to: Some(Uuid::from_u128(2)),
            activity_id: None,
        }
    }

    #[test]
    fn responses_round_trip() {
        let shell = ShellInfo {
            properties: vec![
                ("ShellId".into(), format_guid(Uuid::from_u128(3))),
                ("Owner".into(), "CONTOSO\\admin <&>".into()),
                ("State".into(), "Connected".into()),
            ],
        };
        let responses = [
            Response::Created(CreateResponse {
                address: "https://ex01.contoso.com/PowerShell".into(),
                resource_uri: crate::wsman::namespaces::RESOURCE_EXCHANGE.into(),
                selectors: vec![Selector {
                    name: "ShellId".into(),
                    value: format_guid(Uuid::from_u128(3)),
                }],
                shell: Some(shell.clone()),
            }),
            Response::Command {
                command_id: Uuid::from_u128(4),
            },
            Response::Send,
            Response::Signal,
            Response::Delete,
            Response::Disconnect,
            Response::Reconnect,
            Response::Receive(ReceiveResponse {
                streams: vec![
                    StreamData::new("stdout", Some(Uuid::from_u128(4)), vec![1, 2, 3]),
                    StreamData {
                        end: true,
                        ..StreamData::new("stdout", None, vec![])
                    },
                ],
                command_state: Some(CommandState {
                    command_id: Some(Uuid::from_u128(4)),
                    state: CommandStateKind::Done,
                    exit_code: Some(-1),
                }),
            }),
            Response::Receive(ReceiveResponse {
                streams: vec![],
                command_state: Some(CommandState {
                    command_id: None,
                    state: CommandStateKind::Other("urn:x".into()),
                    exit_code: None,
                }),
            }),
            Response::Connect(ConnectResponse::default()),
            Response::Connect(ConnectResponse {
                input_streams: vec!["stdin".into(), "pr".into()],
                output_streams: vec!["stdout".into()],
                connect_response_xml: Some(vec![0; 30]),
            }),
            Response::Enumerate(EnumerateResponse {
                context: Some(String::new()),
                items: vec![
                    EnumerationItem::Shell(shell),
                    EnumerationItem::Command(CommandInfo {
                        command_id: Uuid::from_u128(5),
                        command_line: String::new(),
                        state: "Running".into(),
                    }),
                ],
                end_of_sequence: true,
            }),
        ];
        for response in responses {
            let (h, parsed) = Response::parse(&response.to_xml(&header())).unwrap();
            assert_eq!(parsed, response);
            assert_eq!(h, header());
        }
        let identify = Response::Identify(IdentifyResponse {
            protocol_version: WSMAN.into(),
            product_vendor: "Microsoft Corporation".into(),
            product_version: "OS: 10.0.14393 SP: 0.0 Stack: 3.0".into(),
            security_profiles: vec![
                "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/spnego-kerberos".into(),
            ],
        });
        let (h, parsed) = Response::parse(&identify.to_xml(&header())).unwrap();
        assert_eq!(parsed, identify);
        assert_eq!(h, ResponseHeader::default());
    }

    #[test]
    fn invalid_property_names_are_not_written() {
        let shell = ShellInfo {
            properties: vec![
                ("State".into(), "Connected".into()),
                ("bad name".into(), "x".into()),
                ("x><y".into(), "x".into()),
            ],
        };
        let xml = Response::Created(CreateResponse {
            address: "a".into(),
            resource_uri: "r".into(),
            selectors: vec![],
            shell: Some(shell),
        })
        .to_xml(&header());
        let (_, Response::Created(created)) = Response::parse(&xml).unwrap() else {
            panic!("not a CreateResponse");
        };
        assert_eq!(
            created.shell.unwrap().properties,
            vec![("State".to_owned(), "Connected".to_owned())]
        );
    }

    #[test]
    fn bad_responses_give_typed_errors() {
        let receive = |body: &str| {
            format!(
                "<s:Envelope xmlns:s=\"{SOAP_ENV}\" xmlns:a=\"{ADDRESSING}\" xmlns:rsp=\"{SHELL}\"><s:Header><a:Action>{}</a:Action></s:Header><s:Body>{body}</s:Body></s:Envelope>",
                action::RECEIVE_RESPONSE
            )
        };
        assert_eq!(
            Response::parse(receive("").as_bytes()),
            Err(WsmanError::UnexpectedBody {
                expected: "ReceiveResponse",
                found: "nothing".into()
            })
        );
        assert_eq!(
            Response::parse(
                receive("<rsp:ReceiveResponse><rsp:Stream Name=\"stdout\">!!</rsp:Stream></rsp:ReceiveResponse>")
                    .as_bytes()
            ),
            Err(WsmanError::InvalidBase64 { element: "Stream" })
        );
        assert_eq!(
            Response::parse(
                receive("<rsp:ReceiveResponse><rsp:Stream>AA==</rsp:Stream></rsp:ReceiveResponse>")
                    .as_bytes()
            ),
            Err(WsmanError::MissingAttribute {
                element: "Stream",
                attribute: "Name"
            })
        );
        assert!(matches!(
            Response::parse(
                receive("<rsp:ReceiveResponse><rsp:CommandState State=\"x\"><rsp:ExitCode>zero</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>")
                    .as_bytes()
            ),
            Err(WsmanError::InvalidNumber { field: "ExitCode", .. })
        ));
        let wrong_ns = receive("<rsp:ReceiveResponse/>").replace(
            &format!("xmlns:rsp=\"{SHELL}\""),
            "xmlns:rsp=\"http://example.org/shell\"",
        );
        assert_eq!(
            Response::parse(wrong_ns.as_bytes()),
            Err(WsmanError::UnexpectedBody {
                expected: "ReceiveResponse",
                found: "{http://example.org/shell}ReceiveResponse".into()
            })
        );
        let other_action = receive("").replace(action::RECEIVE_RESPONSE, "urn:nothing");
        assert_eq!(
            Response::parse(other_action.as_bytes()),
            Err(WsmanError::UnknownAction("urn:nothing".into()))
        );
        assert!(matches!(
            Response::parse(b"\xEF\xBB\xBF<s:Envelope xmlns:s=\"urn:x\"/>"),
            Err(WsmanError::NotAnEnvelope { .. })
        ));
        assert!(matches!(
            Response::parse(b"<s:Envelope xmlns:s=\"urn:x\">&bogus;</s:Envelope>"),
            Err(WsmanError::Malformed { .. })
        ));
        assert!(matches!(
            Response::parse(b""),
            Err(WsmanError::Malformed { .. })
        ));
    }
}
