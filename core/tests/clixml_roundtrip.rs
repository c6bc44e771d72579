//! Writer then reader is the identity ([MS-PSRP] 2.2.5), including hostile text.

use std::sync::Arc;

use monosync_exchange::clixml::{
    BackRef, Container, DateTimeKind, EncryptedSecureString, ProgressRecord, ProgressRecordType,
    Property, PsDateTime, PsDuration, PsObject, PsValue, PsVersion, from_slice, objects_from_slice,
    objects_to_vec, to_json_string, to_vec,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

const MAX_TICKS: i64 = 3_155_378_975_999_999_999;

fn hostile_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("_x0041_".to_owned()),
        Just("_x".to_owned()),
        Just("_X00".to_owned()),
        Just("_x005F_".to_owned()),
        Just("_".to_owned()),
        Just("]]>".to_owned()),
        Just("\r\n\t".to_owned()),
        Just("\r".to_owned()),
        Just("<&>\"'".to_owned()),
        Just("&amp;&#x41;".to_owned()),
        Just("\u{0}\u{1f}\u{7f}\u{85}\u{9f}\u{a0}".to_owned()),
        Just("\u{1F600}\u{10FFFF}".to_owned()),
        Just("  ".to_owned()),
        any::<char>().prop_map(String::from),
        "[a-zA-Z0-9 ]{0,8}",
    ];
    prop::collection::vec(piece, 0..6).prop_map(|v| v.concat())
}

fn wide_string() -> impl Strategy<Value = Vec<u16>> {
    prop::collection::vec(
        prop_oneof![
            any::<u16>(),
            0xD800u16..0xE000,
            Just(u16::from(b'_')),
            Just(u16::from(b'x'))
        ],
        0..12,
    )
    .prop_map(|mut units| {
        if String::from_utf16(&units).is_ok() {
            // Without a lone surrogate the reader rightly yields a String.
            units.insert(0, 0xDC00);
        }
        units
    })
}

fn datetime() -> impl Strategy<Value = PsDateTime> {
    let kind = prop_oneof![
        Just(DateTimeKind::Unspecified),
        Just(DateTimeKind::Utc),
        (-840i16..=840).prop_map(DateTimeKind::Local),
    ];
    (0..=MAX_TICKS, kind).prop_map(|(ticks, kind)| PsDateTime { ticks, kind })
}

fn leaf() -> impl Strategy<Value = PsValue> {
    prop_oneof![
        Just(PsValue::Nil),
        hostile_string().prop_map(PsValue::String),
        wide_string().prop_map(PsValue::WideString),
        any::<u16>().prop_map(PsValue::Char),
        any::<bool>().prop_map(PsValue::Bool),
        datetime().prop_map(PsValue::DateTime),
        any::<i64>().prop_map(|ticks| PsValue::Duration(PsDuration { ticks })),
        any::<u8>().prop_map(PsValue::U8),
        any::<i8>().prop_map(PsValue::I8),
        any::<u16>().prop_map(PsValue::U16),
        any::<i16>().prop_map(PsValue::I16),
        any::<u32>().prop_map(PsValue::U32),
        any::<i32>().prop_map(PsValue::I32),
        any::<u64>().prop_map(PsValue::U64),
        any::<i64>().prop_map(PsValue::I64),
        any::<f32>()
            .prop_filter("NaN", |v| !v.is_nan())
            .prop_map(PsValue::Single),
        any::<f64>()
            .prop_filter("NaN", |v| !v.is_nan())
            .prop_map(PsValue::Double),
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<bool>(),
            0u32..=28
        )
            .prop_map(|(lo, mid, hi, neg, scale)| {
                PsValue::Decimal(Decimal::from_parts(lo, mid, hi, neg, scale))
            }),
        prop::collection::vec(any::<u8>(), 0..48).prop_map(PsValue::Bytes),
        any::<u128>().prop_map(|g| PsValue::Guid(Uuid::from_u128(g))),
        hostile_string().prop_map(PsValue::Uri),
        (
            any::<u32>(),
            any::<u32>(),
            any::<Option<(u32, Option<u32>)>>()
        )
            .prop_map(|(major, minor, rest)| PsValue::Version(PsVersion {
                major,
                minor,
                build: rest.map(|r| r.0),
                revision: rest.and_then(|r| r.1),
            })),
        hostile_string().prop_map(PsValue::XmlDocument),
        hostile_string().prop_map(PsValue::ScriptBlock),
        prop::collection::vec(any::<u8>(), 0..48)
            .prop_map(|b| PsValue::SecureString(EncryptedSecureString(b))),
        progress_record().prop_map(|p| PsValue::Progress(Box::new(p))),
    ]
}

fn progress_record() -> impl Strategy<Value = ProgressRecord> {
    (
        (
            hostile_string(),
            hostile_string(),
            prop::option::of(hostile_string()),
        ),
        any::<(i32, i32, i32, i32)>(),
        any::<bool>(),
    )
        .prop_map(
            |((activity, status_description, current_operation), ids, completed)| ProgressRecord {
                activity,
                activity_id: ids.0,
                status_description,
                current_operation,
                parent_activity_id: ids.1,
                percent_complete: ids.2,
                record_type: if completed {
                    ProgressRecordType::Completed
                } else {
                    ProgressRecordType::Processing
                },
                seconds_remaining: ids.3,
            },
        )
}

/// An object that refers to itself, and holds a child that refers back to it and to itself, a
/// list that holds it, and `shared` twice (the second time as a plain `<Ref>`).
fn cyclic(name: String, payload: PsValue, shared: PsValue) -> PsValue {
    PsValue::Object(Arc::new_cyclic(|root| {
        let child = Arc::new_cyclic(|me| PsObject {
            extended: vec![
                Property::new("Parent", PsValue::BackRef(BackRef::new(root, 0))),
                Property::new("Me", PsValue::BackRef(BackRef::new(me, 1))),
                Property::new("Payload", payload),
            ],
            ..PsObject::default()
        });
        PsObject {
            type_names: Some(vec!["Deserialized.Cycle".to_owned()].into()),
            adapted: vec![
                Property::new(name, PsValue::BackRef(BackRef::new(root, 0))),
                Property::new("Child", PsValue::Object(child)),
                Property::new("Shared", shared.clone()),
            ],
            content: Some(Container::List(vec![
                PsValue::BackRef(BackRef::new(root, 0)),
                shared,
            ])),
            ..PsObject::default()
        }
    }))
}

fn props(inner: BoxedStrategy<PsValue>) -> impl Strategy<Value = Vec<Property>> {
    prop::collection::vec(
        (hostile_string(), inner).prop_map(|(name, value)| Property { name, value }),
        0..4,
    )
}

fn value() -> impl Strategy<Value = PsValue> {
    leaf().prop_recursive(4, 48, 5, |inner| {
        let list = prop::collection::vec(inner.clone(), 0..4);
        let container = prop_oneof![
            list.clone().prop_map(Container::List),
            list.clone().prop_map(Container::Enumerable),
            list.clone().prop_map(Container::Stack),
            list.prop_map(Container::Queue),
            prop::collection::vec((inner.clone(), inner.clone()), 0..3)
                .prop_map(Container::Dictionary),
        ];
        let type_names = prop::option::of(
            prop_oneof![
                Just(vec!["System.Object".to_owned()]),
                prop::collection::vec(hostile_string(), 0..3),
            ]
            .prop_map(Arc::<[String]>::from),
        );
        (
            type_names,
            prop::option::of(hostile_string()),
            prop::option::of(inner.clone()),
            prop::option::of(container),
            props(inner.clone()),
            props(inner),
        )
            .prop_map(
                |(type_names, to_string, value, content, adapted, extended)| {
                    PsValue::object(PsObject {
                        type_names,
                        to_string,
                        value,
                        content,
                        adapted,
                        extended,
                    })
                },
            )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn write_then_read_is_identity(v in value()) {
        let xml = to_vec(&v);
        let back = from_slice(&xml);
        prop_assert!(back.is_ok(), "{:?} for {}", back, String::from_utf8_lossy(&xml));
        prop_assert_eq!(back.unwrap(), v);
    }

    #[test]
    fn documents_round_trip(values in prop::collection::vec(value(), 0..4)) {
        prop_assert_eq!(objects_from_slice(&objects_to_vec(&values)).unwrap(), values);
    }

    #[test]
    fn cycles_round_trip(name in hostile_string(), payload in value(), shared in value()) {
        let v = cyclic(name, payload, shared);
        let xml = to_vec(&v);
        let back = from_slice(&xml);
        prop_assert!(back.is_ok(), "{:?} for {}", back, String::from_utf8_lossy(&xml));
        let back = back.unwrap();
        prop_assert_eq!(&back, &v);
        // Written again, the decoded graph gives the same bytes; JSON and Debug are finite.
        prop_assert_eq!(to_vec(&back), xml);
        let json = to_json_string(&back);
        prop_assert!(json.contains(r#"{"$ref":0}"#), "{}", json);
        let debug = format!("{:?}", back);
        prop_assert!(debug.contains("BackRef(RefId 0)"), "{}", debug);
    }
}

#[test]
fn cycles_compare_by_shape() {
    let a = cyclic("Self".into(), PsValue::I32(1), PsValue::Nil);
    let b = cyclic("Self".into(), PsValue::I32(1), PsValue::Nil);
    let c = cyclic("Self".into(), PsValue::I32(2), PsValue::Nil);
    assert_eq!(a, b);
    assert_ne!(a, c);
    // {P: {Q: back to the root}} differs from {P: {Q: back to P}}.
    let to_root = PsValue::Object(Arc::new_cyclic(|root| PsObject {
        extended: vec![Property::new(
            "P",
            PsValue::object(PsObject {
                extended: vec![Property::new("Q", PsValue::BackRef(BackRef::new(root, 0)))],
                ..PsObject::default()
            }),
        )],
        ..PsObject::default()
    }));
    let to_inner = PsValue::object(PsObject {
        extended: vec![Property::new(
            "P",
            PsValue::Object(Arc::new_cyclic(|inner| PsObject {
                extended: vec![Property::new("Q", PsValue::BackRef(BackRef::new(inner, 1)))],
                ..PsObject::default()
            })),
        )],
        ..PsObject::default()
    });
    assert_ne!(to_root, to_inner);
    assert_eq!(from_slice(&to_vec(&to_root)).unwrap(), to_root);
    assert_eq!(from_slice(&to_vec(&to_inner)).unwrap(), to_inner);
}

#[test]
fn long_hostile_strings() {
    let unit = "ab_x0041_]]>\r\n\u{1F600}&<\u{85}";
    let text: String = unit.chars().cycle().take(100_000).collect();
    let v = PsValue::object(PsObject {
        to_string: Some(text.clone()),
        adapted: vec![Property::new(text.clone(), text.clone())],
        ..PsObject::default()
    });
    assert_eq!(from_slice(&to_vec(&v)).unwrap(), v);
    let wide: Vec<u16> = text.encode_utf16().chain([0xD800]).collect();
    let w = PsValue::WideString(wide);
    assert_eq!(from_slice(&to_vec(&w)).unwrap(), w);
}

#[test]
fn nan_and_signed_zero() {
    for v in [f64::NAN, -0.0, f64::MIN_POSITIVE, 5e-324, f64::MAX] {
        match from_slice(&to_vec(&PsValue::Double(v))).unwrap() {
            PsValue::Double(back) if v.is_nan() => assert!(back.is_nan()),
            PsValue::Double(back) => assert_eq!(back.to_bits(), v.to_bits()),
            other => panic!("{other:?}"),
        }
    }
    match from_slice(&to_vec(&PsValue::Single(f32::NAN))).unwrap() {
        PsValue::Single(back) => assert!(back.is_nan()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn shared_objects_and_type_names_are_referenced() {
    let names: Arc<[String]> = vec!["A".to_owned(), "System.Object".to_owned()].into();
    let shared = PsValue::object(PsObject {
        type_names: Some(names.clone()),
        to_string: Some("s".into()),
        ..PsObject::default()
    });
    let other = PsValue::object(PsObject {
        type_names: Some(vec!["A".to_owned(), "System.Object".to_owned()].into()),
        ..PsObject::default()
    });
    let list = PsValue::object(PsObject {
        content: Some(Container::List(vec![shared.clone(), shared, other])),
        ..PsObject::default()
    });
    let xml = String::from_utf8(to_vec(&list)).unwrap();
    assert_eq!(
        xml,
        "<Obj RefId=\"0\"><LST><Obj RefId=\"1\"><TN RefId=\"0\"><T>A</T><T>System.Object</T></TN>\
         <ToString>s</ToString></Obj><Ref RefId=\"1\" /><Obj RefId=\"2\"><TNRef RefId=\"0\" /></Obj>\
         </LST></Obj>"
    );
    assert_eq!(from_slice(xml.as_bytes()).unwrap(), list);
}

#[test]
fn primitive_wire_forms() {
    let cases: Vec<(PsValue, &str)> = vec![
        (PsValue::Nil, "<Nil />"),
        (
            PsValue::String("a\r\nb_x".into()),
            "<S>a_x000D__x000A_b_x005F_x</S>",
        ),
        (PsValue::WideString(vec![0x41, 0xD83D]), "<S>A_xD83D_</S>"),
        (PsValue::Char(65), "<C>65</C>"),
        (PsValue::Double(0.1), "<Db>0.1</Db>"),
        (PsValue::Double(f64::INFINITY), "<Db>INF</Db>"),
        (PsValue::Single(1.5e20), "<Sg>1.5E+20</Sg>"),
        (PsValue::Decimal(Decimal::new(150, 2)), "<D>1.50</D>"),
        (
            PsValue::Duration(PsDuration { ticks: 90_000_000 }),
            "<TS>PT9S</TS>",
        ),
        (PsValue::Bytes(vec![1, 2, 3]), "<BA>AQID</BA>"),
        (
            PsValue::Guid(Uuid::parse_str("9B9387FE-E1B1-4695-97BD-B0A0BEBE7CE2").unwrap()),
            "<G>9b9387fe-e1b1-4695-97bd-b0a0bebe7ce2</G>",
        ),
        (
            PsValue::Version(PsVersion {
                major: 15,
                minor: 1,
                build: Some(2507),
                revision: Some(6),
            }),
            "<Version>15.1.2507.6</Version>",
        ),
    ];
    for (value, xml) in cases {
        assert_eq!(String::from_utf8(to_vec(&value)).unwrap(), xml);
        assert_eq!(from_slice(xml.as_bytes()).unwrap(), value, "{xml}");
    }
}

#[test]
fn reads_what_windows_writes() {
    let v = from_slice(
        "<Obj RefId=\"0\"><MS><S N=\"a_x005F_b\">x&lt;y&#x41;&#66;<![CDATA[<c>]]></S>\
         <S N=\"e\">_xD83D__xDE00_</S><S N=\"lone\">_xDC00_</S><S N=\"empty\" /><Db N=\"inf\">Infinity</Db>\
         <Db N=\"r\">1.7976931348623157E+308</Db><DT N=\"dt\">2022-10-19T20:31:31.1234567-07:00</DT></MS></Obj>"
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(
        v.property("a_b").and_then(PsValue::as_str),
        Some("x<yAB<c>")
    );
    assert_eq!(v.property("e").and_then(PsValue::as_str), Some("\u{1F600}"));
    assert_eq!(v.property("lone"), Some(&PsValue::WideString(vec![0xDC00])));
    assert_eq!(v.property("empty").and_then(PsValue::as_str), Some(""));
    assert_eq!(v.property("inf"), Some(&PsValue::Double(f64::INFINITY)));
    assert_eq!(v.property("r"), Some(&PsValue::Double(f64::MAX)));
    match v.property("dt") {
        Some(PsValue::DateTime(dt)) => {
            assert_eq!(dt.kind, DateTimeKind::Local(-420));
            assert_eq!(dt.ticks % 10_000_000, 1_234_567);
        }
        other => panic!("{other:?}"),
    }
}
