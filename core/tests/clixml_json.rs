//! The JSON view of CLIXML values.

use monosync_exchange::clixml::{
    EncryptedSecureString, PsValue, array, enum_value, from_slice, hashtable, to_json,
    to_json_string,
};
use serde_json::json;

#[test]
fn enum_is_type_tostring_and_value() {
    let v = enum_value(
        &[
            "Microsoft.Exchange.Data.Directory.Recipient.RecipientTypeDetails",
            "System.Enum",
        ],
        "UserMailbox",
        1,
    );
    assert_eq!(
        to_json_string(&v),
        r#"{"$toString":"UserMailbox","$type":["Microsoft.Exchange.Data.Directory.Recipient.RecipientTypeDetails","System.Enum"],"$value":1}"#
    );
}

#[test]
fn mailbox_like_object() {
    let xml = br#"<Obj RefId="0"><TN RefId="0"><T>Mailbox</T><T>System.Object</T></TN><ToString>Administrator</ToString>
<Props><S N="Alias">Administrator</S><G N="Guid">C07D2FBC-48F5-4A90-B7D7-5EC79D2844B4</G>
<DT N="WhenChanged">2022-10-30T18:01:36.5-07:00</DT><DT N="WhenChangedUTC">2022-10-31T01:01:36Z</DT>
<Obj N="EmailAddresses" RefId="1"><TN RefId="1"><T>ProxyAddressCollection</T></TN><LST><S>SMTP:a@b.c</S><S>smtp:x@b.c</S></LST></Obj>
<Nil N="ForwardingAddress" /><I64 N="Big">9223372036854775807</I64><D N="Dec">1.50</D><TS N="T">PT9S</TS>
<Version N="V">15.1.2507.6</Version><BA N="B">AQID</BA><C N="Ch">65</C><Db N="Inf">INF</Db><SS N="P">AQID</SS>
<Obj N="Type" RefId="2"><TN RefId="2"><T>RecipientType</T><T>System.Enum</T></TN><ToString>UserMailbox</ToString><I32>1</I32></Obj></Props>
<MS><S N="Alias">extended wins</S></MS></Obj>"#;
    let v = from_slice(xml).unwrap();
    assert_eq!(
        to_json(&v),
        json!({
            "$type": ["Mailbox", "System.Object"],
            "$toString": "Administrator",
            "Alias": "extended wins",
            "Guid": "c07d2fbc-48f5-4a90-b7d7-5ec79d2844b4",
            "WhenChanged": "2022-10-30T18:01:36.5000000-07:00",
            "WhenChangedUTC": "2022-10-31T01:01:36Z",
            "EmailAddresses": ["SMTP:a@b.c", "smtp:x@b.c"],
            "ForwardingAddress": null,
            "Big": 9_223_372_036_854_775_807i64,
            "Dec": "1.50",
            "T": "PT9S",
            "V": "15.1.2507.6",
            "B": "AQID",
            "Ch": "A",
            "Inf": "INF",
            "P": {"$secureString": "encrypted"},
            "Type": {"$type": ["RecipientType", "System.Enum"], "$toString": "UserMailbox", "$value": 1},
        })
    );
}

#[test]
fn dictionaries_and_extended_primitives() {
    let h = hashtable([
        (PsValue::from("Add"), array([PsValue::from("x")])),
        (PsValue::from("Count"), PsValue::I32(2)),
    ]);
    assert_eq!(to_json(&h), json!({"Add": ["x"], "Count": 2}));
    let mixed = hashtable([(PsValue::I32(1), PsValue::from("one"))]);
    assert_eq!(to_json(&mixed), json!([{"key": 1, "value": "one"}]));
    let ext = from_slice(
        br#"<Obj RefId="0"><TN RefId="0"><T>System.String</T></TN><ToString>abc</ToString><S>abc</S><MS><S N="PSComputerName">ex1</S></MS></Obj>"#,
    )
    .unwrap();
    assert_eq!(
        to_json(&ext),
        json!({"$type": ["System.String"], "$toString": "abc", "$value": "abc", "PSComputerName": "ex1"})
    );
    assert_eq!(to_json(&PsValue::Single(0.1)), json!(0.1));
    assert_eq!(
        to_json(&PsValue::WideString(vec![0x41, 0xD800])),
        json!("A\u{FFFD}")
    );
    assert_eq!(
        to_json(&PsValue::SecureString(EncryptedSecureString(vec![9; 16]))),
        json!({"$secureString": "encrypted"})
    );
}
