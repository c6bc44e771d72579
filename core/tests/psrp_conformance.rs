//! Every PSRP message in the recorded Windows traffic (`shared/fixtures/windows-captures`)
//! reassembles from its fragments ([MS-PSRP] 2.2.4) and decodes into the right typed message
//! (2.2.1-2.2.3), and re-encodes to the same typed message.

mod common;

use std::collections::BTreeMap;

use common::captures::{self, Sender};
use common::messages;
use monosync_exchange::clixml::{PsValue, PsVersion, to_vec};
use monosync_exchange::psrp::messages::{
    Availability, ErrorRecord, InformationRecord, InformationalRecord, PSInvocationState,
    RemoteHostMethodId, RunspacePoolState, dict_get,
};
use monosync_exchange::psrp::{
    CryptoError, Defragmenter, Destination, ExchangePublicKey, KeyExchange, MessageType, PsrpError,
    PsrpMessage, RawMessage,
};

struct Captured {
    file: String,
    sender: Sender,
    raw: RawMessage,
    message: PsrpMessage,
}

/// Every message of every capture file, and every error met on the way.
fn decode_all() -> (Vec<Captured>, Vec<String>) {
    let (blobs, mut errors) = messages::all();
    let mut out = Vec::new();
    for blob in blobs {
        let decoded = RawMessage::decode(&blob.data)
            .and_then(|raw| PsrpMessage::decode(&raw).map(|message| (raw, message)));
        match decoded {
            Ok((raw, message)) => out.push(Captured {
                file: blob.file,
                sender: blob.sender,
                raw,
                message,
            }),
            Err(e) => errors.push(format!(
                "{}:{}: {e}: {}",
                blob.file,
                blob.line,
                String::from_utf8_lossy(&blob.data[40.min(blob.data.len())..])
            )),
        }
    }
    (out, errors)
}

fn in_file<'a>(all: &'a [Captured], file: &'a str) -> impl Iterator<Item = &'a Captured> {
    all.iter().filter(move |c| c.file == file)
}

#[test]
fn every_captured_message_decodes() {
    let (all, errors) = decode_all();
    assert!(
        errors.is_empty(),
        "{} errors:\n{}",
        errors.len(),
        errors.join("\n")
    );
    let mut per_type: BTreeMap<MessageType, usize> = BTreeMap::new();
    for c in &all {
        assert_eq!(c.raw.message_type, c.message.message_type());
        let expected_dest = match c.sender {
            Sender::Client => Destination::Server,
            Sender::Server => Destination::Client,
        };
        assert_eq!(c.raw.destination, expected_dest, "{}", c.file);
        // Pipeline messages, and the pool messages that create a pipeline, name one.
        let creates = matches!(
            c.raw.message_type,
            MessageType::CreatePipeline | MessageType::GetCommandMetadata
        );
        assert_eq!(
            c.raw.message_type.is_pipeline_message() || creates,
            !c.raw.pipeline_id.is_nil(),
            "{}: {:?}",
            c.file,
            c.raw.message_type
        );
        *per_type.entry(c.raw.message_type).or_default() += 1;
    }
    let counts: Vec<(MessageType, usize)> = per_type.into_iter().collect();
    use MessageType as T;
    assert_eq!(
        counts,
        vec![
            (T::SessionCapability, 64),
            (T::InitRunspacePool, 28),
            (T::PublicKey, 2),
            (T::EncryptedSessionKey, 2),
            (T::ConnectRunspacePool, 4),
            (T::SetMaxRunspaces, 2),
            (T::SetMinRunspaces, 2),
            (T::RunspaceAvailability, 8),
            (T::RunspacePoolState, 30),
            (T::CreatePipeline, 25),
            (T::GetAvailableRunspaces, 2),
            (T::ApplicationPrivateData, 30),
            (T::GetCommandMetadata, 3),
            (T::RunspacePoolInitData, 4),
            (T::ResetRunspaceState, 2),
            (T::PipelineInput, 13),
            (T::EndOfPipelineInput, 4),
            (T::PipelineOutput, 80),
            (T::ErrorRecord, 3),
            (T::PipelineState, 27),
            (T::DebugRecord, 12),
            (T::VerboseRecord, 4),
            (T::WarningRecord, 4),
            (T::ProgressRecord, 15),
            (T::InformationRecord, 3),
            (T::PipelineHostCall, 31),
            (T::PipelineHostResponse, 6),
        ]
    );
    assert_eq!(all.len(), 410);
    assert_eq!(
        all.iter().filter(|c| c.sender == Sender::Server).count(),
        285
    );
}

#[test]
fn every_captured_message_reencodes_to_the_same_message() {
    let (all, errors) = decode_all();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    for c in &all {
        let raw = c
            .message
            .encode(c.raw.runspace_pool_id, c.raw.pipeline_id, c.raw.destination);
        assert_eq!(raw.message_type, c.raw.message_type);
        let wire = raw.encode();
        let back = RawMessage::decode(&wire).expect("header");
        assert_eq!(back, raw);
        let again = PsrpMessage::decode(&back).unwrap_or_else(|e| {
            panic!(
                "{}: {:?}: {e}\n{}",
                c.file,
                c.raw.message_type,
                String::from_utf8_lossy(&raw.data)
            )
        });
        assert_eq!(again, c.message, "{}: {:?}", c.file, c.raw.message_type);
    }
}

fn version(major: u32, minor: u32) -> PsVersion {
    PsVersion {
        major,
        minor,
        build: None,
        revision: None,
    }
}

#[test]
fn session_capability_versions() {
    let (all, _) = decode_all();
    for (file, protocol, ps) in [
        (
            "test_psrp_run_protocol_version_2.1",
            version(2, 1),
            version(2, 0),
        ),
        (
            "test_psrp_run_protocol_version_2.2",
            version(2, 2),
            version(2, 0),
        ),
        (
            "test_psrp_run_protocol_version_2.3",
            version(2, 3),
            version(2, 0),
        ),
    ] {
        let server = in_file(&all, file)
            .filter(|c| c.sender == Sender::Server)
            .find_map(|c| match &c.message {
                PsrpMessage::SessionCapability(s) => Some(s),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{file}: no server SESSION_CAPABILITY"));
        assert_eq!(server.protocol_version, protocol, "{file}");
        assert_eq!(server.ps_version, ps, "{file}");
        assert_eq!(
            server.serialization_version,
            PsVersion {
                major: 1,
                minor: 1,
                build: Some(0),
                revision: Some(1)
            }
        );
    }
}

#[test]
fn application_private_data_carries_the_version_table() {
    let (all, _) = decode_all();
    let data = in_file(&all, "test_psrp_open_runspace")
        .find_map(|c| match &c.message {
            PsrpMessage::ApplicationPrivateData(d) => Some(d),
            _ => None,
        })
        .expect("APPLICATION_PRIVATE_DATA");
    let table = data.ps_version_table().expect("PSVersionTable");
    let get = |k: &str| dict_get(table, k).unwrap_or_else(|| panic!("{k} missing"));
    assert_eq!(
        get("PSVersion"),
        &PsValue::Version(PsVersion {
            major: 5,
            minor: 1,
            build: Some(14393),
            revision: Some(2248)
        })
    );
    assert_eq!(
        get("PSRemotingProtocolVersion"),
        &PsValue::Version(version(2, 3))
    );
    assert_eq!(get("PSEdition").as_str(), Some("Desktop"));
    assert_eq!(
        get("SerializationVersion"),
        &PsValue::Version(PsVersion {
            major: 1,
            minor: 1,
            build: Some(0),
            revision: Some(1)
        })
    );
}

#[test]
fn runspace_pool_and_pipeline_states() {
    let (all, _) = decode_all();
    let pool_states: Vec<RunspacePoolState> = in_file(&all, "test_psrp_open_runspace")
        .filter_map(|c| match &c.message {
            PsrpMessage::RunspacePoolState(s) => Some(s.state),
            _ => None,
        })
        .collect();
    assert_eq!(pool_states.first(), Some(&RunspacePoolState::Opened));
    assert_eq!(RunspacePoolState::Opened.value(), 2);

    let completed = in_file(&all, "test_psrp_multiple_commands")
        .filter_map(|c| match &c.message {
            PsrpMessage::PipelineState(s) => Some(s.state),
            _ => None,
        })
        .collect::<Vec<_>>();
    assert!(!completed.is_empty());
    assert!(completed.iter().all(|s| *s == PSInvocationState::Completed));
    assert_eq!(PSInvocationState::Completed.value(), 4);
}

#[test]
fn failed_pipeline_error_record() {
    let (all, _) = decode_all();
    let file = "test_psrp_error_failed";
    let state = in_file(&all, file)
        .find_map(|c| match &c.message {
            PsrpMessage::PipelineState(s) => Some(s),
            _ => None,
        })
        .expect("PIPELINE_STATE");
    assert_eq!(state.state, PSInvocationState::Failed);
    assert_eq!(state.state.value(), 5);
    let error = state.error.as_ref().expect("ExceptionAsErrorRecord");
    let write_error = "Microsoft.PowerShell.Commands.WriteErrorException";
    assert_eq!(error.exception_type(), Some(write_error));
    assert_eq!(error.message(), Some("error"));
    assert_eq!(error.fully_qualified_error_id(), Some(write_error));
    assert_eq!(error.target_object(), None);
    assert!(!error.serialize_extended_info());
    assert!(error.invocation_info().is_some());
    let cat = error.category_info().expect("category");
    assert_eq!(cat.category, 0);
    assert_eq!(cat.activity.as_deref(), Some("Write-Error"));
    assert_eq!(cat.reason.as_deref(), Some("WriteErrorException"));
    assert_eq!(cat.target_name.as_deref(), Some(""));
    assert_eq!(
        cat.message.as_deref(),
        Some("NotSpecified: (:) [Write-Error], WriteErrorException")
    );
    // A record built here has the exception Windows sent, byte for byte.
    let ours = ErrorRecord::new(
        &[
            write_error,
            "System.SystemException",
            "System.Exception",
            "System.Object",
        ],
        "error",
        write_error,
        cat.clone(),
        None,
    );
    let bytes = |e: &ErrorRecord| to_vec(e.object.property("Exception").expect("Exception"));
    assert_eq!(
        String::from_utf8(bytes(&ours)).unwrap(),
        String::from_utf8(bytes(error)).unwrap()
    );
    assert_eq!(ours.category_info(), Some(cat));

    // The output before the failure arrived first.
    let outputs: Vec<_> = in_file(&all, file)
        .filter_map(|c| match &c.message {
            PsrpMessage::PipelineOutput(v) => v.as_str(),
            _ => None,
        })
        .collect();
    assert_eq!(outputs, ["before"]);
}

#[test]
fn error_record_messages() {
    let (all, _) = decode_all();
    let error = in_file(&all, "test_psrp_merge_commands")
        .find_map(|c| match &c.message {
            PsrpMessage::ErrorRecord(e) => Some(e),
            _ => None,
        })
        .expect("ERROR_RECORD");
    assert_eq!(
        error.exception_type(),
        Some("Microsoft.PowerShell.Commands.WriteErrorException")
    );
    assert_eq!(error.message(), Some("error stream"));
    assert_eq!(
        error.object.property("writeErrorStream"),
        Some(&PsValue::Bool(true))
    );
}

#[test]
fn host_calls_carry_method_and_arguments() {
    let (all, _) = decode_all();
    let exit = in_file(&all, "test_psrp_pshost_methods")
        .find_map(|c| match &c.message {
            PsrpMessage::PipelineHostCall(h) => Some(h),
            _ => None,
        })
        .expect("host call");
    assert_eq!(exit.method, RemoteHostMethodId::SetShouldExit);
    assert_eq!(exit.call_id, -100);
    assert_eq!(exit.params, [PsValue::I32(1)]);

    let file = "test_psrp_pshost_ui_mocked_methods";
    let calls: Vec<_> = in_file(&all, file)
        .filter_map(|c| match &c.message {
            PsrpMessage::PipelineHostCall(h) => Some(h),
            _ => None,
        })
        .collect();
    let methods: Vec<i32> = calls.iter().map(|h| h.method.value()).collect();
    assert_eq!(&methods[..4], [11, 12, 13, 14]);
    let write2 = calls[3];
    assert_eq!(write2.method, RemoteHostMethodId::Write2);
    assert_eq!(
        write2.params,
        [PsValue::I32(9), PsValue::I32(15), PsValue::from("Write2")]
    );
    let progress = calls
        .iter()
        .find(|h| h.method == RemoteHostMethodId::WriteProgress)
        .expect("WriteProgress");
    assert_eq!(progress.params.first(), Some(&PsValue::I64(1)));
    assert_eq!(
        progress.params[1]
            .property("Activity")
            .and_then(PsValue::as_str),
        Some("Preparing modules for first use.")
    );

    let response = in_file(&all, file)
        .find_map(|c| match &c.message {
            PsrpMessage::PipelineHostResponse(r) => Some(r),
            _ => None,
        })
        .expect("host response");
    assert_eq!(response.call_id, 1);
    assert_eq!(response.method, RemoteHostMethodId::ReadLine);
    assert_eq!(
        response.return_value,
        Some(PsValue::from("ReadLine response"))
    );
    assert!(response.error.is_none());
}

#[test]
fn runspace_availability_answers() {
    let (all, _) = decode_all();
    let answers: Vec<Availability> = in_file(&all, "test_psrp_set_runspaces")
        .filter_map(|c| match &c.message {
            PsrpMessage::RunspaceAvailability(a) => Some(a.response),
            _ => None,
        })
        .collect();
    assert!(answers.contains(&Availability::Set(true)));
}

#[test]
fn unknown_message_type_is_a_typed_error() {
    let mut blob = vec![0u8; 40];
    blob[0] = 1;
    blob[4..8].copy_from_slice(&0x0004_2000u32.to_le_bytes());
    assert!(matches!(
        RawMessage::decode(&blob),
        Err(PsrpError::UnknownMessageType(0x0004_2000))
    ));
}

#[test]
fn key_exchange_blobs_parse() {
    let (all, _) = decode_all();
    let mut public_keys = 0;
    let mut session_keys = 0;
    let own = KeyExchange::new().expect("key pair");
    for c in &all {
        match &c.message {
            PsrpMessage::PublicKey(k) => {
                let key = ExchangePublicKey::from_blob(&k.public_key).expect("PUBLICKEYBLOB");
                assert_eq!(key.bits(), 2048);
                assert_eq!(key.to_blob(), k.public_key);
                public_keys += 1;
            }
            PsrpMessage::EncryptedSessionKey(k) => {
                // Encrypted to the recording client's key: the blob's structure is accepted and
                // only the RSA step can fail.
                assert!(matches!(
                    own.decrypt_session_key(&k.encrypted_session_key),
                    Err(CryptoError::Rsa(_))
                ));
                session_keys += 1;
            }
            _ => {}
        }
    }
    assert_eq!((public_keys, session_keys), (2, 2));
}

/// The first server payload of a capture: real Windows fragments to damage.
fn first_server_payload(file: &str) -> Vec<u8> {
    let name = format!("{file}.yml");
    captures::load_all()
        .into_iter()
        .filter(|c| c.file == name)
        .flat_map(|c| c.messages)
        .flat_map(|e| e.payloads().expect("payloads"))
        .find(|p| p.sender == Sender::Server && p.element == "Stream")
        .expect("a Receive response")
        .data
}

#[test]
fn damaged_windows_payloads_give_typed_errors() {
    use monosync_exchange::psrp::{Fragment, FragmentError};
    let payload = first_server_payload("test_psrp_open_runspace");
    let fragments = Fragment::decode_all(&payload).expect("fragments");
    assert!(!fragments.is_empty());
    assert!(fragments[0].start && fragments[0].end);

    // Cut short inside the first blob.
    let cut = Defragmenter::new().feed(&payload[..30]).unwrap_err();
    assert!(
        matches!(cut, FragmentError::TruncatedBlob { declared, available: 9, .. } if declared > 9)
    );
    // Cut inside a header.
    assert_eq!(
        Defragmenter::new().feed(&payload[..12]).unwrap_err(),
        FragmentError::TruncatedHeader { available: 12 }
    );
    // A length one byte too long runs into the next fragment or off the end.
    let mut longer = payload.clone();
    let len = u32::from_be_bytes(longer[17..21].try_into().unwrap());
    longer[17..21].copy_from_slice(&(len + 1).to_be_bytes());
    assert!(Defragmenter::new().feed(&longer).is_err());
    // A huge declared length is compared, not allocated.
    let mut huge = payload.clone();
    huge[17..21].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(matches!(
        Defragmenter::new().feed(&huge),
        Err(FragmentError::TruncatedBlob {
            declared: u32::MAX,
            ..
        })
    ));
    // A continuation of a message never started.
    let mut orphan = fragments[0].clone();
    orphan.start = false;
    orphan.fragment_id = 3;
    assert!(matches!(
        Defragmenter::new().feed(&orphan.encode()),
        Err(FragmentError::MissingStart { fragment_id: 3, .. })
    ));
    // A gap in fragment ids.
    let mut first = fragments[0].clone();
    first.end = false;
    let mut third = fragments[0].clone();
    third.start = false;
    third.fragment_id = 2;
    let mut gap = first.encode();
    third.encode_into(&mut gap);
    assert!(matches!(
        Defragmenter::new().feed(&gap),
        Err(FragmentError::FragmentIdGap {
            expected: 1,
            got: 2,
            ..
        })
    ));
    // A message type Windows never defined.
    let mut blob = fragments[0].data.clone();
    blob[4..8].copy_from_slice(&0x0001_0003u32.to_le_bytes());
    assert!(matches!(
        RawMessage::decode(&blob),
        Err(PsrpError::UnknownMessageType(0x0001_0003))
    ));
    // A key blob that is not base64.
    assert!(matches!(
        ExchangePublicKey::from_blob("BgIAAACk*AABSU0Ex"),
        Err(CryptoError::Base64)
    ));
}

#[test]
fn server_messages_reencode_to_the_bytes_windows_sent() {
    let (all, errors) = decode_all();
    assert!(errors.is_empty());
    let mut mismatches = Vec::new();
    let mut checked = 0;
    for c in all.iter().filter(|c| c.sender == Sender::Server) {
        let ours = monosync_exchange::clixml::to_vec(&c.message.to_clixml());
        let theirs = c
            .raw
            .data
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&c.raw.data);
        checked += 1;
        if ours != theirs {
            mismatches.push(format!(
                "{} {:?}\n ours:   {}\n theirs: {}",
                c.file,
                c.raw.message_type,
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(theirs)
            ));
        }
    }
    assert_eq!(checked, 285);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn records_built_here_match_windows_bytes() {
    let (all, _) = decode_all();
    let file = "test_psrp_merge_commands";
    let info = in_file(&all, file)
        .find_map(|c| match &c.message {
            PsrpMessage::InformationRecord(r) => Some(r),
            _ => None,
        })
        .expect("INFORMATION_RECORD");
    assert_eq!(info.source(), Some("Write-Information"));
    assert_eq!(info.user(), Some("WIN-NNMU24VVKJ0\\vagrant"));
    assert_eq!(info.process_id(), Some(2636));
    let time = info.time_generated().expect("TimeGenerated");
    let ours = InformationRecord::new(
        PsValue::from("information stream"),
        "Write-Information",
        time,
    )
    .with_origin("WIN-NNMU24VVKJ0\\vagrant", "WIN-NNMU24VVKJ0", 2636, 2840, 7);
    assert_eq!(
        String::from_utf8(to_vec(&ours.to_clixml())).unwrap(),
        String::from_utf8(to_vec(&info.to_clixml())).unwrap()
    );

    let warning = in_file(&all, "test_psrp_pshost_ui_mocked_methods")
        .find_map(|c| match &c.message {
            PsrpMessage::WarningRecord(r) => Some(r),
            _ => None,
        })
        .expect("WARNING_RECORD");
    assert_eq!(warning.message, "WriteWarningLine");
    let ours = InformationalRecord::new("Warning", "WriteWarningLine");
    assert_eq!(to_vec(&ours.to_clixml()), to_vec(&warning.to_clixml()));
}

#[test]
fn raw_ui_host_calls() {
    let (all, _) = decode_all();
    let calls: Vec<_> = in_file(&all, "test_psrp_pshost_raw_ui_mocked_methods")
        .filter_map(|c| match &c.message {
            PsrpMessage::PipelineHostCall(h) => Some(h),
            _ => None,
        })
        .collect();
    use RemoteHostMethodId as H;
    let methods: Vec<RemoteHostMethodId> = calls.iter().map(|h| h.method).collect();
    assert_eq!(
        &methods[..3],
        [
            H::SetForegroundColor,
            H::SetBackgroundColor,
            H::WriteProgress
        ]
    );
    assert_eq!(calls[0].params, [PsValue::I32(10)]);
    // Calls that expect no answer carry call id -100; ReadKey waits for one.
    assert!(
        calls
            .iter()
            .filter(|h| h.method != H::ReadKey)
            .all(|h| h.call_id == -100)
    );
    let read_key = calls
        .iter()
        .find(|h| h.method == H::ReadKey)
        .expect("ReadKey");
    assert_eq!(read_key.call_id, 1);
    assert_eq!(read_key.params, [PsValue::I32(4)]);
    let cursor = calls
        .iter()
        .find(|h| h.method == H::SetCursorPosition)
        .expect("SetCursorPosition");
    let pos = cursor.params.first().expect("coordinates");
    assert_eq!(pos.property("x"), Some(&PsValue::I32(11)));
    assert_eq!(pos.property("y"), Some(&PsValue::I32(12)));
    let title = calls
        .iter()
        .find(|h| h.method == H::SetWindowTitle)
        .expect("SetWindowTitle");
    assert_eq!(title.params, [PsValue::from("New Window Title")]);
}

/// Client messages whose shape leaves no room for taste re-encode to pypsrp's bytes. (The
/// others differ only where pypsrp departs from .NET: `CI` for `ci`, its own type names for
/// `ApartmentState` and `RemoteStreamOptions`, a plain `<I32>` for `CommandTypes`.)
#[test]
fn client_messages_reencode_to_the_recorded_bytes() {
    let (all, _) = decode_all();
    let exact = [
        MessageType::SessionCapability,
        MessageType::PublicKey,
        MessageType::GetAvailableRunspaces,
        MessageType::ResetRunspaceState,
        MessageType::PipelineInput,
        MessageType::PipelineHostResponse,
    ];
    let mut checked = 0;
    for c in all
        .iter()
        .filter(|c| c.sender == Sender::Client && exact.contains(&c.raw.message_type))
    {
        let theirs = c
            .raw
            .data
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&c.raw.data);
        assert_eq!(
            String::from_utf8_lossy(&to_vec(&c.message.to_clixml())),
            String::from_utf8_lossy(theirs),
            "{}: {:?}",
            c.file,
            c.raw.message_type
        );
        checked += 1;
    }
    assert_eq!(checked, 32 + 2 + 2 + 2 + 13 + 6);
}

#[test]
fn host_default_data_is_typed() {
    let (all, _) = decode_all();
    let init = in_file(&all, "test_psrp_pshost_raw_ui_mocked_methods")
        .find_map(|c| match &c.message {
            PsrpMessage::InitRunspacePool(i) => Some(i),
            _ => None,
        })
        .expect("INIT_RUNSPACEPOOL");
    let data = init
        .host_info
        .default_data(MessageType::InitRunspacePool)
        .expect("valid host data")
        .expect("host data sent");
    let fg = data.get(0).expect("ForegroundColor");
    assert_eq!(fg.type_name, "System.ConsoleColor");
    assert_eq!(fg.value, PsValue::I32(15));
    let buffer = data.get(5).expect("BufferSize");
    assert_eq!(buffer.type_name, "System.Management.Automation.Host.Size");
    assert_eq!(buffer.value.property("width"), Some(&PsValue::I32(80)));
    // Rebuilt from the typed form, the host data is the same object.
    assert_eq!(
        to_vec(&data.to_clixml()),
        to_vec(init.host_info.host_default_data.as_ref().expect("raw"))
    );
}
