//! Conformance of the WS-Management layer against real Windows traffic
//! (`shared/fixtures/windows-captures`, recorded by pypsrp against Windows Server).

mod common;

use std::collections::BTreeMap;

use common::captures::{self, Exchange};
use monosync_exchange::wsman::namespaces::{ADDRESSING, WSMV};
use monosync_exchange::wsman::response::EnumerationItem;
use monosync_exchange::wsman::xml::{self, Element};
use monosync_exchange::wsman::{CommandStateKind, Request, Response, StreamData, WsmanError};
use uuid::Uuid;

fn exchanges() -> Vec<(String, Exchange)> {
    captures::load_all()
        .into_iter()
        .flat_map(|c| {
            let file = format!("{} [{}]", c.file, c.list);
            c.messages.into_iter().map(move |m| (file.clone(), m))
        })
        .collect()
}

/// The capture reader itself, on a made-up file.
#[test]
fn capture_reader_folds_continuations_and_reads_error_blocks() {
    let text = "# comment\nmessages:\n- request: <a>\n    x=\"1\"</a>\n  response: <b/>\n  transport_error:\n    protocol: http\n    code: 500\n- request: <c/>\n  timeout: 5\n";
    let captures = captures::parse("t.yml", text);
    assert_eq!(captures.len(), 1);
    let messages = &captures[0].messages;
    assert_eq!(messages.len(), 2);
    assert_eq!((messages[0].line, messages[1].line), (3, 9));
    assert_eq!(messages[0].request.as_deref(), Some("<a> x=\"1\"</a>"));
    assert_eq!(messages[0].response.as_deref(), Some("<b/>"));
    assert_eq!(
        messages[0].error.as_deref(),
        Some("transport_error: protocol=http code=500")
    );
    assert_eq!(messages[1].response, None);
    assert_eq!(messages[1].error.as_deref(), Some("timeout: 5"));
}

fn short(action: &str) -> String {
    action.rsplit('/').next().unwrap_or(action).to_owned()
}

/// Checks that a PSRP payload is a whole number of fragments: 8-byte object id, 8-byte
/// fragment id, flags, 4-byte big-endian length, blob. Proves base64 decoding kept every byte.
fn assert_fragments(data: &[u8], context: &str) {
    let mut rest = data;
    assert!(!rest.is_empty(), "{context}: empty payload");
    while !rest.is_empty() {
        assert!(rest.len() >= 21, "{context}: truncated fragment header");
        let len = u32::from_be_bytes([rest[17], rest[18], rest[19], rest[20]]) as usize;
        assert!(rest.len() >= 21 + len, "{context}: truncated fragment blob");
        rest = &rest[21 + len..];
    }
}

#[test]
fn every_capture_parses_with_expected_counts() {
    let all = exchanges();
    let mut requests: BTreeMap<String, usize> = BTreeMap::new();
    let mut responses: BTreeMap<String, usize> = BTreeMap::new();
    for (file, exchange) in &all {
        let request_xml = exchange
            .request
            .as_deref()
            .expect("every entry has a request");
        let (header, request) = Request::parse(request_xml.as_bytes())
            .unwrap_or_else(|e| panic!("{file}: request does not parse: {e}"));
        *requests.entry(short(request.action())).or_default() += 1;
        match &request {
            Request::Create { creation_xml, .. } => {
                assert_fragments(creation_xml.as_deref().expect("creationXml"), file)
            }
            Request::Command { arguments, .. } => {
                assert_fragments(arguments.as_deref().expect("Arguments"), file)
            }
            Request::Send { streams } => {
                streams.iter().for_each(|s| assert_fragments(&s.data, file))
            }
            Request::Connect {
                connect_xml: Some(data),
                ..
            } => assert_fragments(data, file),
            _ => {}
        }
        let Some(response_xml) = exchange.response.as_deref() else {
            continue;
        };
        match Response::parse(response_xml.as_bytes()) {
            Ok((response_header, response)) => {
                assert_eq!(
                    response_header.relates_to,
                    Some(header.message_id),
                    "{file}: RelatesTo"
                );
                assert_eq!(
                    exchange.error, None,
                    "{file}: success with a transport error"
                );
                if let Response::Receive(receive) = &response {
                    receive
                        .streams
                        .iter()
                        .for_each(|s| assert_fragments(&s.data, file));
                }
                *responses.entry(short(response.action())).or_default() += 1;
            }
            Err(WsmanError::Fault(fault)) => {
                assert!(fault.wsman_code.is_some(), "{file}: {fault}");
                *responses.entry("Fault".to_owned()).or_default() += 1;
            }
            Err(e) => panic!("{file}: response does not parse: {e}"),
        }
    }
    let expected_requests: BTreeMap<String, usize> = [
        ("Command", 28),
        ("Connect", 6),
        ("Create", 28),
        ("Delete", 28),
        ("Disconnect", 5),
        ("Enumerate", 6),
        ("Receive", 109),
        ("Reconnect", 3),
        ("Send", 20),
        ("Signal", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(requests, expected_requests);
    let expected_responses: BTreeMap<String, usize> = [
        ("CommandResponse", 28),
        ("ConnectResponse", 6),
        ("CreateResponse", 28),
        ("DeleteResponse", 28),
        ("DisconnectResponse", 5),
        ("EnumerateResponse", 6),
        ("Fault", 3),
        ("ReceiveResponse", 106),
        ("ReconnectResponse", 3),
        ("SendResponse", 20),
        ("SignalResponse", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(responses, expected_responses);
}

/// Normalises a tree for comparison: header children sorted by name, MessageID and SessionId
/// values blanked, attributes sorted.
fn normalise(mut element: Element, in_header: bool) -> Element {
    element
        .attributes
        .sort_by(|a, b| (&a.namespace, &a.name, &a.value).cmp(&(&b.namespace, &b.name, &b.value)));
    if in_header && (element.is(ADDRESSING, "MessageID") || element.is(WSMV, "SessionId")) {
        element.text.clear();
    }
    let is_header = element.name == "Header";
    element.children = element
        .children
        .into_iter()
        .map(|c| normalise(c, is_header || in_header))
        .collect();
    if is_header {
        element
            .children
            .sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    }
    element
}

fn first_difference(a: &Element, b: &Element, path: &str) -> Option<String> {
    let here = format!("{path}/{}", a.name);
    if a.namespace != b.namespace || a.name != b.name {
        return Some(format!(
            "{here}: element {:?} vs {:?}",
            (&a.namespace, &a.name),
            (&b.namespace, &b.name)
        ));
    }
    if a.attributes != b.attributes {
        return Some(format!(
            "{here}: attributes {:?} vs {:?}",
            a.attributes, b.attributes
        ));
    }
    if a.text.trim() != b.text.trim() {
        return Some(format!("{here}: text {:?} vs {:?}", a.text, b.text));
    }
    if a.children.len() != b.children.len() {
        return Some(format!(
            "{here}: {} vs {} children",
            a.children.len(),
            b.children.len()
        ));
    }
    a.children
        .iter()
        .zip(&b.children)
        .find_map(|(x, y)| first_difference(x, y, &here))
}

#[test]
fn rebuilt_requests_match_the_recorded_ones() {
    let mut compared = 0;
    for (file, exchange) in exchanges() {
        let recorded = exchange.request.expect("request");
        let (header, request) = Request::parse(recorded.as_bytes()).expect("parses");
        let rebuilt = request.to_xml(&header);
        let ours = normalise(xml::parse(&rebuilt).expect("our XML parses"), false);
        let theirs = normalise(
            xml::parse(recorded.as_bytes()).expect("recorded XML parses"),
            false,
        );
        if let Some(diff) = first_difference(&ours, &theirs, "") {
            panic!("{file}: {} differs: {diff}", short(request.action()));
        }
        // Ids are rebuilt from the parsed values, so they must be identical, not just present.
        let (again, _) = Request::parse(&rebuilt).expect("rebuilt parses");
        assert_eq!(again.message_id, header.message_id);
        assert_eq!(again.session_id, header.session_id);
        compared += 1;
    }
    assert_eq!(compared, 234);
}

#[test]
fn comparison_notices_a_changed_id_or_missing_option() {
    let (_, exchange) = exchanges()
        .into_iter()
        .find(|(_, e)| {
            e.request
                .as_deref()
                .is_some_and(|r| r.contains("rsp:CommandLine"))
        })
        .expect("a Command request");
    let recorded = exchange.request.unwrap();
    let theirs = normalise(xml::parse(recorded.as_bytes()).unwrap(), false);
    let (mut header, request) = Request::parse(recorded.as_bytes()).unwrap();
    let Request::Command {
        command, arguments, ..
    } = request.clone()
    else {
        panic!("not a Command");
    };
    let changed = Request::Command {
        command_id: Some(Uuid::from_u128(1)),
        command,
        arguments,
    };
    let ours = normalise(xml::parse(&changed.to_xml(&header)).unwrap(), false);
    assert!(first_difference(&ours, &theirs, "").is_some_and(|d| d.contains("CommandId")));
    header.options.clear();
    let ours = normalise(xml::parse(&request.to_xml(&header)).unwrap(), false);
    assert!(first_difference(&ours, &theirs, "").is_some());
}

#[test]
fn rebuilt_responses_match_windows_and_parse_back() {
    for (file, exchange) in exchanges() {
        let Some(recorded) = exchange.response else {
            continue;
        };
        match Response::parse(recorded.as_bytes()) {
            Ok((header, response)) => {
                let rebuilt = response.to_xml(&header);
                // What a server built on this module sends must look like what Windows sent.
                let ours = normalise(xml::parse(&rebuilt).expect("our XML parses"), false);
                let theirs = normalise(xml::parse(recorded.as_bytes()).expect("parses"), false);
                if let Some(diff) = first_difference(&ours, &theirs, "") {
                    panic!("{file}: {} differs: {diff}", short(response.action()));
                }
                let (header2, response2) = Response::parse(&rebuilt).expect("rebuilt parses");
                assert_eq!(header2, header, "{file}");
                assert_eq!(response2, response, "{file}");
            }
            Err(WsmanError::Fault(fault)) => {
                let header = monosync_exchange::wsman::ResponseHeader::default();
                // Fault headers are not returned by Response::parse; read the ids from the tree.
                let recorded_tree = xml::parse(recorded.as_bytes()).expect("parses");
                let soap_header = recorded_tree.children.first().expect("header");
                let guid = |ns: &str, name: &str| {
                    soap_header
                        .child(ns, name)
                        .map(|e| Uuid::parse_str(e.text.trim_start_matches("uuid:")).expect("GUID"))
                };
                let ours = monosync_exchange::wsman::ResponseHeader {
                    message_id: Uuid::nil(),
                    relates_to: guid(ADDRESSING, "RelatesTo"),
                    activity_id: guid(WSMV, "ActivityId"),
                };
                let built = normalise(xml::parse(&fault.to_xml(&ours)).unwrap(), false);
                let recorded_tree = normalise(recorded_tree, false);
                if let Some(diff) = first_difference(&built, &recorded_tree, "") {
                    panic!("{file}: fault differs: {diff}");
                }
                match Response::parse(&fault.to_xml(&header)) {
                    Err(WsmanError::Fault(again)) => assert_eq!(again, fault, "{file}"),
                    other => panic!("{file}: rebuilt fault parsed as {other:?}"),
                }
            }
            Err(e) => panic!("{file}: {e}"),
        }
    }
}

fn responses_of(file: &str) -> Vec<Result<Response, WsmanError>> {
    captures::load_all()
        .into_iter()
        .filter(|c| c.file == file)
        .flat_map(|c| c.messages)
        .filter_map(|m| m.response)
        .map(|r| Response::parse(r.as_bytes()).map(|(_, response)| response))
        .collect()
}

#[test]
fn receive_with_several_streams_and_final_state() {
    let command = Uuid::parse_str("1B0A50ED-013D-441E-B495-399522676726").unwrap();
    let receives: Vec<_> = responses_of("test_psrp_get_command_metadata.yml")
        .into_iter()
        .filter_map(|r| match r {
            Ok(Response::Receive(receive)) => Some(receive),
            _ => None,
        })
        .filter(|r| r.streams.iter().any(|s| s.command_id == Some(command)))
        .collect();
    let last = receives
        .iter()
        .find(|r| r.command_state.is_some())
        .expect("a final receive for the command");
    assert!(last.streams.len() >= 3, "{} streams", last.streams.len());
    assert!(
        last.streams
            .iter()
            .all(|s| s.name == "stdout" && s.command_id == Some(command) && !s.end)
    );
    let state = last.command_state.as_ref().unwrap();
    assert_eq!(state.command_id, Some(command));
    assert_eq!(state.state, CommandStateKind::Done);
    assert_eq!(state.exit_code, Some(0));
    // The last stream carries PIPELINE_STATE (0x00041006) with state Completed (4).
    let StreamData { data, .. } = last.streams.last().unwrap();
    let blob = &data[21..];
    assert_eq!(&blob[4..8], &0x0004_1006u32.to_le_bytes());
    let body = String::from_utf8_lossy(&blob[40..]);
    assert!(body.contains("<I32 N=\"PipelineState\">4</I32>"), "{body}");
}

#[test]
fn captured_invalid_selectors_fault() {
    let fault = responses_of("test_psrp_receive_failure.yml")
        .into_iter()
        .find_map(|r| match r {
            Err(WsmanError::Fault(fault)) => Some(fault),
            _ => None,
        })
        .expect("a fault");
    assert_eq!(fault.soap_code, "Sender");
    assert_eq!(fault.soap_subcode.as_deref(), Some("InvalidSelectors"));
    assert_eq!(fault.wsman_code, Some(2_150_858_843));
    assert_eq!(fault.machine.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        fault.fault_detail.as_deref(),
        Some("http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors")
    );
    assert_eq!(
        fault.message.as_deref(),
        Some(
            "The Windows Remote Shell received a request to perform an operation on a command identifier that does not exist. Either the command has completed execution or the client specified an invalid command identifier. "
        )
    );
    assert_eq!(
        *fault,
        monosync_exchange::wsman::WsManFault::unknown_command("127.0.0.1")
    );
}

#[test]
fn captured_timed_out_fault_matches_constructor() {
    let fault = responses_of("test_psrp_long_running_cmdlet.yml")
        .into_iter()
        .find_map(|r| match r {
            Err(WsmanError::Fault(fault)) => Some(fault),
            _ => None,
        })
        .expect("a fault");
    assert!(fault.is_timed_out());
    assert_eq!(
        *fault,
        monosync_exchange::wsman::WsManFault::timed_out("127.0.0.1")
    );
}

#[test]
fn captured_create_and_enumerate_responses() {
    let responses = responses_of("test_psrp_disconnect_runspaces.yml");
    let created = responses
        .iter()
        .find_map(|r| match r {
            Ok(Response::Created(c)) => Some(c),
            _ => None,
        })
        .expect("a CreateResponse");
    let shell_id = created.shell_id().unwrap().expect("ShellId selector");
    let shell = created.shell.as_ref().expect("rsp:Shell");
    assert_eq!(shell.shell_id().unwrap(), Some(shell_id));
    assert_eq!(shell.get("State"), Some("Connected"));
    assert_eq!(
        created.resource_uri,
        "http://schemas.microsoft.com/powershell/Microsoft.PowerShell"
    );
    let enumerated: Vec<_> = responses
        .iter()
        .filter_map(|r| match r {
            Ok(Response::Enumerate(e)) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(enumerated.len(), 3);
    assert!(enumerated.iter().all(|e| e.end_of_sequence));
    let states: Vec<_> = enumerated
        .iter()
        .flat_map(|e| &e.items)
        .map(|item| match item {
            EnumerationItem::Shell(s) => s.get("State").unwrap_or("").to_owned(),
            EnumerationItem::Command(c) => c.state.clone(),
            _ => String::new(),
        })
        .collect();
    assert_eq!(states, ["Disconnected", "Disconnected"]);
    let commands: Vec<_> = responses_of("test_psrp_disconnected_commands.yml")
        .into_iter()
        .filter_map(|r| match r {
            Ok(Response::Enumerate(e)) => Some(e.items),
            _ => None,
        })
        .flatten()
        .filter_map(|item| match item {
            EnumerationItem::Command(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(commands.len(), 2);
    assert!(
        commands
            .iter()
            .all(|c| c.state == "Running" && c.command_line.is_empty())
    );
    assert_eq!(
        commands[0].command_id,
        Uuid::parse_str("DB4E8DCF-51CC-423F-A7DF-5D0EA0D6FA08").unwrap()
    );
}
