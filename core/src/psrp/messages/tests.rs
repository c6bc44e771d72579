//! Round trips of every message type through CLIXML bytes, and typed errors for bad bodies.

use uuid::Uuid;

use super::*;
use crate::clixml::{PsVersion, hashtable};

fn v(major: u32, minor: u32) -> PsVersion {
    PsVersion {
        major,
        minor,
        build: None,
        revision: None,
    }
}

fn error_record() -> ErrorRecord {
    ErrorRecord::new(
        &[
            "System.Management.Automation.CommandNotFoundException",
            "System.Management.Automation.RuntimeException",
            "System.SystemException",
            "System.Exception",
            "System.Object",
        ],
        "The term 'Get-Nothing' is not recognized",
        "CommandNotFoundException",
        CategoryInfo {
            category: 13,
            activity: Some("Get-Nothing".into()),
            reason: Some("CommandNotFoundException".into()),
            target_name: Some("Get-Nothing".into()),
            target_type: Some("String".into()),
            message: Some(
                "ObjectNotFound: (Get-Nothing:String) [], CommandNotFoundException".into(),
            ),
        },
        Some(PsValue::from("Get-Nothing")),
    )
}

fn command(name: &str) -> PipelineCommand {
    let mut c = PipelineCommand::new(name);
    c.args.push(CommandArgument {
        name: Some("Identity".into()),
        value: PsValue::from("jdoe"),
    });
    c.args.push(CommandArgument {
        name: None,
        value: PsValue::I32(5),
    });
    c.use_local_scope = Some(true);
    c
}

fn every_message() -> Vec<PsrpMessage> {
    use PsrpMessage as M;
    let host_call = HostCall {
        call_id: 7,
        method: RemoteHostMethodId::PromptForChoice,
        params: vec![PsValue::from("caption"), PsValue::from("message")],
    };
    let host_response = HostResponse {
        call_id: 7,
        method: RemoteHostMethodId::ReadLine,
        return_value: Some(PsValue::from("typed text")),
        error: None,
    };
    vec![
        M::SessionCapability(SessionCapability {
            protocol_version: v(2, 3),
            ps_version: v(2, 0),
            serialization_version: PsVersion {
                major: 1,
                minor: 1,
                build: Some(0),
                revision: Some(1),
            },
            time_zone: Some(vec![0, 1, 0, 0, 0, 255]),
        }),
        M::InitRunspacePool(InitRunspacePool {
            min_runspaces: 1,
            max_runspaces: 1,
            thread_options: PsThreadOptions::Default,
            apartment_state: ApartmentState::Unknown,
            host_info: HostInfo::null_host(),
            application_arguments: Some(hashtable([(
                PsValue::from("Tenant"),
                PsValue::from("contoso"),
            )])),
        }),
        M::PublicKey(PublicKey {
            public_key: "BgIAAACkAABSU0Ex".into(),
        }),
        M::EncryptedSessionKey(EncryptedSessionKey {
            encrypted_session_key: "AQIAABBmAAAApAAA".into(),
        }),
        M::PublicKeyRequest(PublicKeyRequest),
        M::ConnectRunspacePool(ConnectRunspacePool {
            min_runspaces: Some(1),
            max_runspaces: Some(4),
        }),
        M::ConnectRunspacePool(ConnectRunspacePool::default()),
        M::SetMaxRunspaces(SetRunspaces {
            runspaces: 5,
            call_id: 1,
        }),
        M::SetMinRunspaces(SetRunspaces {
            runspaces: 2,
            call_id: 2,
        }),
        M::RunspaceAvailability(RunspaceAvailability {
            response: Availability::Set(false),
            call_id: 2,
        }),
        M::RunspaceAvailability(RunspaceAvailability {
            response: Availability::Count(3),
            call_id: 3,
        }),
        M::RunspacePoolState(RunspacePoolStateMessage {
            state: RunspacePoolState::Broken,
            error: Some(error_record()),
        }),
        M::CreatePipeline(CreatePipeline {
            no_input: true,
            apartment_state: ApartmentState::Unknown,
            remote_stream_options: RemoteStreamOptions::ALL,
            add_to_history: false,
            host_info: HostInfo::runspace_host(),
            power_shell: PowerShell {
                statements: vec![vec![command("Get-Mailbox"), command("Select-Object")]],
                is_nested: false,
                history: None,
                redirect_shell_error_output_pipe: true,
            },
            is_nested: false,
        }),
        M::CreatePipeline(CreatePipeline {
            no_input: false,
            apartment_state: ApartmentState::MTA,
            remote_stream_options: RemoteStreamOptions::ERROR_RECORD,
            add_to_history: true,
            host_info: HostInfo::null_host(),
            power_shell: PowerShell {
                statements: vec![vec![command("Get-User")], vec![command("Get-Group")]],
                is_nested: true,
                history: Some("Get-User; Get-Group".into()),
                redirect_shell_error_output_pipe: false,
            },
            is_nested: true,
        }),
        M::GetAvailableRunspaces(CallId { call_id: 9 }),
        M::UserEvent(UserEvent {
            object: std::sync::Arc::new(crate::clixml::PsObject {
                extended: vec![
                    crate::clixml::Property::new("PSEventArgs.EventIdentifier", 1),
                    crate::clixml::Property::new("PSEventArgs.SourceIdentifier", "src"),
                    crate::clixml::Property::new("PSEventArgs.SourceArgs", PsValue::Nil),
                ],
                ..Default::default()
            }),
        }),
        M::ApplicationPrivateData(ApplicationPrivateData {
            data: hashtable([(PsValue::from("BashPrivateData"), PsValue::Nil)]),
        }),
        M::GetCommandMetadata(GetCommandMetadata {
            names: vec!["Get-*".into()],
            command_type: 8,
            namespace: Some(vec!["Microsoft.Exchange".into()]),
            argument_list: None,
        }),
        M::RunspacePoolInitData(RunspacePoolInitData {
            min_runspaces: 1,
            max_runspaces: 2,
        }),
        M::ResetRunspaceState(CallId { call_id: 4 }),
        M::RunspacePoolHostCall(host_call.clone()),
        M::RunspacePoolHostResponse(host_response.clone()),
        M::PipelineInput(PsValue::I64(42)),
        M::EndOfPipelineInput,
        M::PipelineOutput(PsValue::from("out")),
        M::ErrorRecord(error_record()),
        M::PipelineState(PipelineStateMessage {
            state: PSInvocationState::Completed,
            error: None,
        }),
        M::DebugRecord(InformationalRecord::new("Debug", "debug text")),
        M::VerboseRecord(InformationalRecord::new("Verbose", "verbose text")),
        M::WarningRecord(InformationalRecord::new("Warning", "warning text")),
        M::ProgressRecord(ProgressRecord {
            activity: "Copying".into(),
            activity_id: 1,
            status_description: "half way".into(),
            current_operation: Some("file 3".into()),
            parent_activity_id: -1,
            percent_complete: 50,
            record_type: ProgressRecordType::Processing,
            seconds_remaining: -1,
        }),
        M::InformationRecord(InformationRecord::new(
            PsValue::from("hello"),
            "Write-Information",
            crate::clixml::PsDateTime {
                ticks: 637_000_000_000_000_000,
                kind: crate::clixml::DateTimeKind::Utc,
            },
        )),
        M::PipelineHostCall(host_call),
        M::PipelineHostResponse(HostResponse {
            return_value: None,
            error: Some(error_record()),
            ..host_response
        }),
    ]
}

#[test]
fn every_message_type_round_trips_through_bytes() {
    let all = every_message();
    let mut seen: Vec<MessageType> = all.iter().map(PsrpMessage::message_type).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(
        seen.len(),
        MessageType::ALL.len(),
        "a message type has no sample"
    );
    let rpid = Uuid::from_u128(0x1234);
    for m in &all {
        let pid = if m.message_type().is_pipeline_message() {
            Uuid::from_u128(0x5678)
        } else {
            Uuid::nil()
        };
        let raw = m.encode(rpid, pid, Destination::Client);
        let wire = raw.encode();
        let back = RawMessage::decode(&wire).unwrap();
        assert_eq!(back.runspace_pool_id, rpid);
        assert_eq!(back.pipeline_id, pid);
        let decoded = PsrpMessage::decode(&back).unwrap();
        assert_eq!(&decoded, m, "{:?}", m.message_type());
    }
}

#[test]
fn windows_bom_is_accepted() {
    let m = PsrpMessage::PipelineOutput(PsValue::from("x"));
    let mut raw = m.encode(Uuid::nil(), Uuid::from_u128(1), Destination::Client);
    raw.data.splice(0..0, *b"\xEF\xBB\xBF");
    assert_eq!(PsrpMessage::decode(&raw).unwrap(), m);
}

#[test]
fn record_accessors() {
    let e = error_record();
    assert_eq!(
        e.exception_type(),
        Some("System.Management.Automation.CommandNotFoundException")
    );
    assert_eq!(
        e.message(),
        Some("The term 'Get-Nothing' is not recognized")
    );
    assert_eq!(
        e.fully_qualified_error_id(),
        Some("CommandNotFoundException")
    );
    assert_eq!(e.category_info().unwrap().category, 13);
    assert_eq!(e.target_object(), Some(&PsValue::from("Get-Nothing")));
    let w = InformationalRecord::new("Warning", "careful");
    assert_eq!(w.message, "careful");
    assert!(!w.serialize_invocation_info());
    assert!(
        w.object
            .is_type("System.Management.Automation.WarningRecord")
    );
    let i = InformationRecord::new(
        PsValue::from("hi"),
        "src",
        crate::clixml::PsDateTime {
            ticks: 1,
            kind: crate::clixml::DateTimeKind::Utc,
        },
    );
    assert_eq!(i.source(), Some("src"));
    assert_eq!(i.message_data(), Some(&PsValue::from("hi")));
    assert_eq!(i.time_generated().map(|t| t.ticks), Some(1));
    assert!(i.tags().is_empty());
    assert_eq!(i.process_id(), Some(0));
}

#[test]
fn enum_numbers_match_dotnet() {
    assert_eq!(RunspacePoolState::Disconnected.value(), 9);
    assert_eq!(
        RunspacePoolState::from_value(7),
        Some(RunspacePoolState::NegotiationSucceeded)
    );
    assert_eq!(RunspacePoolState::from_value(10), None);
    assert_eq!(PSInvocationState::Failed.value(), 5);
    assert_eq!(
        PSInvocationState::from_value(6),
        Some(PSInvocationState::Disconnected)
    );
    assert_eq!(
        RemoteHostMethodId::PromptForChoiceMultipleSelection.value(),
        56
    );
    assert_eq!(RemoteHostMethodId::from_value(57), None);
    assert_eq!(RemoteStreamOptions::ALL.name(), "AddInvocationInfo");
    assert_eq!(
        RemoteStreamOptions(5).name(),
        "AddInvocationInfoToErrorRecord, AddInvocationInfoToDebugRecord"
    );
}

fn body_of(props: Vec<crate::clixml::Property>) -> PsValue {
    PsValue::object(crate::clixml::PsObject {
        extended: props,
        ..Default::default()
    })
}

#[test]
fn missing_and_invalid_properties_are_named() {
    use crate::clixml::Property;
    let err = PsrpMessage::from_clixml(
        MessageType::RunspacePoolState,
        &body_of(vec![Property::new("Other", 1)]),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        PsrpError::MissingProperty {
            message_type: MessageType::RunspacePoolState,
            property: "RunspaceState"
        }
    ));
    let err = PsrpMessage::from_clixml(
        MessageType::PipelineState,
        &body_of(vec![Property::new("PipelineState", 42)]),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        PsrpError::InvalidProperty {
            message_type: MessageType::PipelineState,
            property: "PipelineState",
            ..
        }
    ));
    let err = PsrpMessage::from_clixml(
        MessageType::SessionCapability,
        &body_of(vec![Property::new("protocolversion", "2.3")]),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        PsrpError::InvalidProperty {
            property: "protocolversion",
            ..
        }
    ));
    let err =
        PsrpMessage::from_clixml(MessageType::PipelineHostCall, &PsValue::I32(1)).unwrap_err();
    assert!(matches!(
        err,
        PsrpError::InvalidProperty {
            property: "(body)",
            ..
        }
    ));
    let err = PsrpMessage::from_clixml(
        MessageType::PipelineHostCall,
        &body_of(vec![
            Property::new("ci", 1i64),
            Property::new("mi", 99),
            Property::new("mp", PsValue::Nil),
        ]),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        PsrpError::InvalidProperty { property: "mi", .. }
    ));
    // Property names match without case, as PowerShell does.
    let m = PsrpMessage::from_clixml(
        MessageType::SetMaxRunspaces,
        &body_of(vec![
            Property::new("MaxRunspaces", 5),
            Property::new("CI", 1i64),
        ]),
    )
    .unwrap();
    assert_eq!(
        m,
        PsrpMessage::SetMaxRunspaces(SetRunspaces {
            runspaces: 5,
            call_id: 1
        })
    );
}

#[test]
fn bad_bodies_are_clixml_errors() {
    let raw = RawMessage {
        destination: Destination::Client,
        message_type: MessageType::PipelineOutput,
        runspace_pool_id: Uuid::nil(),
        pipeline_id: Uuid::from_u128(1),
        data: b"<Obj RefId=\"0\"><MS>".to_vec(),
    };
    assert!(matches!(
        PsrpMessage::decode(&raw),
        Err(PsrpError::Clixml(_))
    ));
    let empty = RawMessage {
        message_type: MessageType::PipelineState,
        data: Vec::new(),
        ..raw
    };
    assert!(matches!(
        PsrpMessage::decode(&empty),
        Err(PsrpError::InvalidProperty { .. })
    ));
}

#[test]
fn client_defaults_match_the_captured_client() {
    let sc = SessionCapability::current();
    assert_eq!(
        String::from_utf8(crate::clixml::to_vec(&sc.to_clixml())).unwrap(),
        "<Obj RefId=\"0\"><MS><Version N=\"protocolversion\">2.3</Version>\
         <Version N=\"PSVersion\">2.0</Version>\
         <Version N=\"SerializationVersion\">1.1.0.1</Version></MS></Obj>"
    );
    let init = InitRunspacePool::new(1, 1);
    let back = InitRunspacePool::from_clixml(&init.to_clixml()).unwrap();
    assert_eq!(back, init);
    assert!(back.host_info.is_host_null);
}
