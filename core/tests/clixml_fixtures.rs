//! Decoding real Exchange CLIXML ([MS-PSRP] 2.2.5) captured from servers.

mod common;

use monosync_exchange::clixml::{
    Container, DateTimeKind, PsValue, from_slice, objects_from_slice, to_json, to_vec,
};
use uuid::Uuid;

fn fixture(name: &str) -> Vec<u8> {
    let path = common::fixtures::fixtures_dir().join("exchange").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn mailbox() -> PsValue {
    from_slice(&fixture(
        "get-mailbox_ex2016-cu23_pipeline-output_3gstudent.xml",
    ))
    .unwrap()
}

#[test]
fn mailbox_identity_and_type_chain() {
    let mbx = mailbox();
    let obj = mbx.as_object().unwrap();
    let names = obj.type_names.as_deref().unwrap();
    assert_eq!(names.len(), 8);
    assert_eq!(
        names[0],
        "Microsoft.Exchange.Data.Directory.Management.Mailbox"
    );
    assert_eq!(names[7], "System.Object");
    assert!(obj.is_type("Microsoft.Exchange.Data.Directory.ADObject"));
    assert_eq!(obj.to_string.as_deref(), Some("Administrator"));
    assert_eq!(
        mbx.property("Database").and_then(PsValue::as_str),
        Some("Ex2016-DB2")
    );
    assert_eq!(
        mbx.property("ExchangeGuid").and_then(PsValue::as_guid),
        Some(Uuid::parse_str("9b9387fe-e1b1-4695-97bd-b0a0bebe7ce2").unwrap())
    );
    assert_eq!(
        mbx.property("ArchiveGuid").and_then(PsValue::as_guid),
        Some(Uuid::nil())
    );
    assert_eq!(mbx.property("MailboxRegion"), Some(&PsValue::Nil));
    assert_eq!(
        mbx.property("IsHierarchyReady").and_then(PsValue::as_bool),
        Some(true)
    );
    assert_eq!(obj.adapted.len(), 228);
}

#[test]
fn mailbox_dates_lists_and_quotas() {
    let mbx = mailbox();
    match mbx.property("WhenChanged") {
        Some(PsValue::DateTime(dt)) => assert_eq!(dt.kind, DateTimeKind::Local(-420)),
        other => panic!("WhenChanged: {other:?}"),
    }
    match mbx.property("WhenChangedUTC") {
        Some(PsValue::DateTime(dt)) => {
            assert_eq!(dt.kind, DateTimeKind::Utc);
            assert_eq!(dt.ticks, 638_027_748_960_000_000);
        }
        other => panic!("WhenChangedUTC: {other:?}"),
    }
    let addresses = mbx
        .property("EmailAddresses")
        .and_then(PsValue::as_list)
        .unwrap();
    assert!(!addresses.is_empty());
    assert!(addresses.iter().all(|a| a.as_str().is_some()));
    assert!(
        addresses
            .iter()
            .any(|a| a.as_str().unwrap().starts_with("SMTP:")),
        "{addresses:?}"
    );
    let quota = mbx.property("ProhibitSendQuota").unwrap();
    assert_eq!(quota.as_str(), Some("Unlimited"));
    let empty = mbx.property("MailboxProvisioningPreferences").unwrap();
    assert_eq!(
        empty.as_object().unwrap().content,
        Some(Container::List(vec![]))
    );
}

#[test]
fn mailbox_round_trips_through_the_writer() {
    let mbx = mailbox();
    let raw = fixture("get-mailbox_ex2016-cu23_pipeline-output_3gstudent.xml");
    let text = String::from_utf8(raw).unwrap();
    let body = text[text.find("-->").unwrap() + 3..].trim();
    assert_eq!(String::from_utf8(to_vec(&mbx)).unwrap(), body);
    let json = to_json(&mbx);
    assert_eq!(json["Database"], "Ex2016-DB2");
    assert_eq!(json["ExchangeGuid"], "9b9387fe-e1b1-4695-97bd-b0a0bebe7ce2");
    assert_eq!(json["WhenChanged"], "2022-10-30T18:01:36-07:00");
    assert_eq!(json["$toString"], "Administrator");
    assert_eq!(
        json["$type"][0],
        "Microsoft.Exchange.Data.Directory.Management.Mailbox"
    );
}

#[test]
fn with_bom_and_whitespace() {
    let mut bytes = b"\xEF\xBB\xBF\r\n ".to_vec();
    bytes.extend(fixture(
        "get-mailbox_ex2016-cu23_pipeline-output_3gstudent.xml",
    ));
    bytes.extend(b"\r\n");
    assert_eq!(from_slice(&bytes).unwrap(), mailbox());
}

#[test]
fn export_clixml_documents() {
    let groups = objects_from_slice(&fixture(
        "get-dynamicdistributiongroup_ex2019_export-clixml_css-exchange.xml",
    ))
    .unwrap();
    assert!(!groups.is_empty());
    let first = groups[0].as_object().unwrap();
    assert!(first.is_type("Microsoft.Exchange.Data.Directory.Management.DynamicDistributionGroup"));
    let overrides = objects_from_slice(&fixture(
        "get-globalmonitoringoverride_ex2019_deserialized_css-exchange.xml",
    ))
    .unwrap();
    assert!(!overrides.is_empty());
    let o = &overrides[0];
    assert_eq!(
        o.property("ItemType").and_then(PsValue::as_str),
        Some("Probe")
    );
    assert_eq!(
        o.property("HealthSetName").and_then(PsValue::as_str),
        Some("FrontendTransport")
    );
    assert_eq!(
        o.property("RunspaceId").and_then(PsValue::as_guid),
        Some(Uuid::parse_str("6f717724-bc29-4a09-a19f-5512f339b875").unwrap())
    );
    assert!(o.as_object().unwrap().is_type("Deserialized.System.Object"));
}
