//! A rendered Mailbox has exactly the property names, in the same order, as the real Exchange
//! 2016 CU23 Get-Mailbox output, and the same value kinds.

use monosync_exchange::clixml::PsValue;
use mx_sim::exchange::{BoundArg, Exchange};
use quick_xml::Reader;
use quick_xml::events::Event;

const FIXTURE: &str = include_str!("data/get-mailbox_ex2016-cu23_pipeline-output_3gstudent.xml");

/// (name, element) of each property directly under the top object's `<Props>`.
fn fixture_props() -> Vec<(String, String)> {
    let mut reader = Reader::from_str(FIXTURE);
    let mut depth = 0usize;
    let mut in_props = false;
    let mut props_depth = 0usize;
    let mut out = Vec::new();
    loop {
        match reader.read_event().expect("xml") {
            Event::Start(e) => {
                depth += 1;
                let tag = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if tag == "Props" && !in_props {
                    in_props = true;
                    props_depth = depth;
                } else if in_props && depth == props_depth + 1 {
                    out.push((attr_n(&e), tag));
                }
            }
            Event::Empty(e) if in_props && depth == props_depth => {
                let tag = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                out.push((attr_n(&e), tag));
            }
            Event::End(e) => {
                if in_props && depth == props_depth && e.name().as_ref() == b"Props" {
                    break;
                }
                depth -= 1;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

fn attr_n(e: &quick_xml::events::BytesStart<'_>) -> String {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == b"N")
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
        .unwrap_or_default()
}

fn kind(v: &PsValue) -> &'static str {
    match v {
        PsValue::Nil => "Nil",
        PsValue::String(_) => "S",
        PsValue::Bool(_) => "B",
        PsValue::Guid(_) => "G",
        PsValue::DateTime(_) => "DT",
        PsValue::I32(_) => "I32",
        PsValue::Object(_) => "Obj",
        _ => "?",
    }
}

#[test]
fn mailbox_matches_real_get_mailbox() {
    let expected = fixture_props();
    assert_eq!(expected.len(), 228);
    let mut e = Exchange::from_seed_json(include_str!("../seed/default.json")).expect("seed");
    let r = e.invoke("Get-Mailbox", &[BoundArg::positional("Administrator")]);
    let o = r
        .output
        .first()
        .and_then(PsValue::as_object)
        .expect("mailbox");
    let got: Vec<(&str, &str)> = o
        .adapted
        .iter()
        .map(|p| (p.name.as_str(), kind(&p.value)))
        .collect();
    let want: Vec<(&str, &str)> = expected
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let names = |v: &[(&str, &str)]| v.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>();
    assert_eq!(names(&got), names(&want));
    // Value kinds agree where the fixture's Administrator has the same settings as ours.
    for ((name, g), (_, w)) in got.iter().zip(want.iter()) {
        let optional = matches!(*name, "RoomMailboxAccountEnabled" | "ResourceType");
        if !optional {
            assert_eq!(g, w, "kind of {name}");
        }
    }
}
