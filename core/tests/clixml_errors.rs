//! Bad CLIXML gives a specific error, never a panic ([MS-PSRP] 2.2.5).

use monosync_exchange::clixml::{ClixmlError, PsValue, Reader, from_slice, objects_from_slice};

fn err(xml: &str) -> ClixmlError {
    match from_slice(xml.as_bytes()) {
        Ok(v) => panic!("{xml} decoded to {v:?}"),
        Err(e) => e,
    }
}

#[test]
fn truncated_and_malformed() {
    assert!(matches!(
        err("<Obj RefId=\"0\"><Props><S N=\"a\">x</S>"),
        ClixmlError::UnexpectedEof { .. }
    ));
    assert!(matches!(err("<S>abc"), ClixmlError::UnexpectedEof { .. }));
    assert!(matches!(err(""), ClixmlError::UnexpectedEof { .. }));
    assert!(matches!(
        err("  <!-- only a comment -->"),
        ClixmlError::UnexpectedEof { .. }
    ));
    assert!(matches!(err("<S>abc</I32>"), ClixmlError::Xml { .. }));
    assert!(matches!(
        err("<Obj RefId=\"0\"><Props><S N=a>x</S></Props></Obj>"),
        ClixmlError::Xml { .. }
    ));
    assert!(matches!(
        err("<S>a</S><S>b</S>"),
        ClixmlError::UnexpectedContent { .. }
    ));
    assert!(matches!(
        err("<S>a</S>junk"),
        ClixmlError::UnexpectedContent { .. }
    ));
    assert!(matches!(
        err("<S>a&bogus;</S>"),
        ClixmlError::BadEntity { .. }
    ));
    assert!(matches!(
        err("<S>a<B>true</B></S>"),
        ClixmlError::UnexpectedElement { parent: "S", .. }
    ));
    assert!(matches!(
        err("<Obj><LST>text</LST></Obj>"),
        ClixmlError::UnexpectedContent { .. }
    ));
    assert!(matches!(
        err("<Nil>x</Nil>"),
        ClixmlError::UnexpectedContent { .. }
    ));
    assert!(matches!(
        from_slice(b"<S>\xFF</S>"),
        Err(ClixmlError::Utf8 { .. })
    ));
}

#[test]
fn unknown_and_misplaced_elements() {
    match err("<Obj><Props><Foo N=\"x\">1</Foo></Props></Obj>") {
        ClixmlError::UnknownElement { name, .. } => assert_eq!(name, "Foo"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        err("<Bogus/>"),
        ClixmlError::UnknownElement { .. }
    ));
    assert!(matches!(
        err("<Obj><TN><S>x</S></TN></Obj>"),
        ClixmlError::UnexpectedElement { parent: "TN", .. }
    ));
    assert!(matches!(
        err("<Obj><DCT><S>x</S></DCT></Obj>"),
        ClixmlError::UnexpectedElement { parent: "DCT", .. }
    ));
    assert!(matches!(err("<Props/>"), ClixmlError::NotAValue { .. }));
    assert!(matches!(
        err("<Objs><S>a</S></Objs>"),
        ClixmlError::NotAValue { .. }
    ));
    assert!(matches!(
        err("<Obj><LST><En/></LST></Obj>"),
        ClixmlError::NotAValue { .. }
    ));
    assert!(matches!(
        err("<Obj><Props><S>x</S></Props></Obj>"),
        ClixmlError::MissingAttribute { attribute: "N", .. }
    ));
    assert!(matches!(
        err("<Obj><DCT><En><S N=\"Key\">k</S></En></DCT></Obj>"),
        ClixmlError::IncompleteEntry { .. }
    ));
}

#[test]
fn bad_primitive_text() {
    for (xml, element) in [
        ("<I32>12x</I32>", "I32"),
        ("<I32>2147483648</I32>", "I32"),
        ("<By>-1</By>", "By"),
        ("<U64></U64>", "U64"),
        ("<Db>1,5</Db>", "Db"),
        ("<D>1.2.3</D>", "D"),
        ("<C>65536</C>", "C"),
    ] {
        match err(xml) {
            ClixmlError::BadNumber { element: e, .. } => assert_eq!(e, element, "{xml}"),
            other => panic!("{xml}: {other:?}"),
        }
    }
    assert!(matches!(
        err("<G>not-a-guid</G>"),
        ClixmlError::BadGuid { .. }
    ));
    assert!(matches!(
        err("<BA>AAA*</BA>"),
        ClixmlError::BadBase64 { element: "BA", .. }
    ));
    assert!(matches!(
        err("<SS>!!</SS>"),
        ClixmlError::BadBase64 { element: "SS", .. }
    ));
    for (xml, element) in [
        ("<B>yes</B>", "B"),
        ("<DT>2022-02-30T00:00:00</DT>", "DT"),
        ("<TS>1 day</TS>", "TS"),
        ("<Version>1</Version>", "Version"),
    ] {
        match err(xml) {
            ClixmlError::BadValue { element: e, .. } => assert_eq!(e, element, "{xml}"),
            other => panic!("{xml}: {other:?}"),
        }
    }
}

#[test]
fn references() {
    assert!(matches!(
        err("<Obj RefId=\"0\"><LST><Obj RefId=\"1\"/><Obj RefId=\"1\"/></LST></Obj>"),
        ClixmlError::DuplicateRefId { ref_id: 1, .. }
    ));
    assert!(matches!(
        err("<Obj RefId=\"0\"><LST><Ref RefId=\"7\"/></LST></Obj>"),
        ClixmlError::MissingRef { ref_id: 7, .. }
    ));
    // A reference to the enclosing object is a cycle, which decodes; one to an object not yet
    // started does not.
    assert!(matches!(
        from_slice(b"<Obj RefId=\"0\"><LST><Ref RefId=\"0\"/></LST></Obj>"),
        Ok(PsValue::Object(_))
    ));
    assert!(matches!(
        err("<Obj RefId=\"0\"><LST><Ref RefId=\"1\"/><Obj RefId=\"1\"/></LST></Obj>"),
        ClixmlError::MissingRef { ref_id: 1, .. }
    ));
    assert!(matches!(
        err("<Obj RefId=\"0\"><TNRef RefId=\"3\"/></Obj>"),
        ClixmlError::MissingTypeNameRef { ref_id: 3, .. }
    ));
    assert!(matches!(
        err(
            "<Obj><LST><Obj><TN RefId=\"0\"><T>a</T></TN></Obj><Obj><TN RefId=\"0\"><T>b</T></TN></Obj></LST></Obj>"
        ),
        ClixmlError::DuplicateTypeNameRefId { ref_id: 0, .. }
    ));
    assert!(matches!(
        err("<Obj RefId=\"x\"/>"),
        ClixmlError::BadRefId { .. }
    ));
    assert!(matches!(
        err("<Ref/>"),
        ClixmlError::MissingAttribute {
            attribute: "RefId",
            ..
        }
    ));
}

#[test]
fn references_resolve_to_the_same_object() {
    let v = from_slice(
        b"<Obj RefId=\"0\"><LST><Obj RefId=\"1\"><TN RefId=\"0\"><T>A</T></TN><ToString>a</ToString></Obj>\
          <Ref RefId=\"1\" /><Obj RefId=\"2\"><TNRef RefId=\"0\" /></Obj></LST></Obj>",
    )
    .unwrap();
    let items = v.as_list().unwrap();
    match (&items[0], &items[1], &items[2]) {
        (PsValue::Object(a), PsValue::Object(b), PsValue::Object(c)) => {
            assert!(std::sync::Arc::ptr_eq(a, b));
            assert!(std::sync::Arc::ptr_eq(
                a.type_names.as_ref().unwrap(),
                c.type_names.as_ref().unwrap()
            ));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn deep_nesting_is_bounded() {
    let n = 100_000;
    let xml = "<Obj><LST>".repeat(n) + &"</LST></Obj>".repeat(n);
    assert!(matches!(
        from_slice(xml.as_bytes()),
        Err(ClixmlError::TooDeep { max_depth: 100, .. })
    ));
    let props = "<Obj N=\"p\"><MS>".repeat(n);
    assert!(matches!(
        from_slice(props.as_bytes()),
        Err(ClixmlError::TooDeep { .. })
    ));
    let within = "<Obj>".repeat(100) + &"</Obj>".repeat(100);
    assert!(from_slice(within.as_bytes()).is_ok());
    let strict = Reader { max_depth: 3 };
    let four = "<Obj>".repeat(4) + &"</Obj>".repeat(4);
    assert!(matches!(
        strict.read(four.as_bytes()),
        Err(ClixmlError::TooDeep { max_depth: 3, .. })
    ));
}

#[test]
fn objs_documents() {
    let doc = br#"<?xml version="1.0"?><Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">
  <S>a</S>
  <Obj RefId="0"><ToString>x</ToString></Obj>
  <Ref RefId="0" />
</Objs>"#;
    let values = objects_from_slice(doc).unwrap();
    assert_eq!(values.len(), 3);
    assert_eq!(values[0], PsValue::from("a"));
    assert_eq!(values[1], values[2]);
    assert_eq!(
        objects_from_slice(b"<S>a</S> <I32>1</I32>").unwrap(),
        vec![PsValue::from("a"), PsValue::I32(1)]
    );
    assert_eq!(objects_from_slice(b"<Objs />").unwrap(), vec![]);
    assert!(matches!(
        objects_from_slice(b"<Objs><S>a</S>"),
        Err(ClixmlError::UnexpectedEof { .. })
    ));
}

/// Every prefix of a real document fails cleanly.
#[test]
fn every_truncation_errors() {
    let xml = br#"<Obj RefId="0"><TN RefId="0"><T>A</T></TN><ToString>t &amp; _x000A_</ToString><Props><S N="a_x005F_b">x</S><DT N="d">2022-10-30T18:01:36.5-07:00</DT><BA N="b">AQID</BA></Props><DCT><En><S N="Key">k</S><I32 N="Value">1</I32></En></DCT></Obj>"#;
    assert!(from_slice(xml).is_ok());
    for end in 0..xml.len() {
        assert!(from_slice(&xml[..end]).is_err(), "prefix {end} decoded");
    }
}

#[test]
fn malformed_progress_records() {
    const FULL: &str =
        "<AV>a</AV><AI>1</AI><Nil /><PI>-1</PI><PC>5</PC><T>Processing</T><SR>-1</SR><SD>s</SD>";
    assert!(matches!(
        from_slice(format!("<PR>{FULL}</PR>").as_bytes()),
        Ok(PsValue::Progress(_))
    ));
    // As .NET's Enum.Parse reads them: any case, or the number.
    for t in ["completed", "1"] {
        let xml = format!("<PR>{}</PR>", FULL.replace("Processing", t));
        assert!(
            matches!(from_slice(xml.as_bytes()), Ok(PsValue::Progress(_))),
            "{t}"
        );
    }
    assert!(matches!(
        err("<PR />"),
        ClixmlError::BadProgressRecord { .. }
    ));
    assert!(matches!(
        err("<PR><AV>a</AV><AI>1</AI></PR>"),
        ClixmlError::BadProgressRecord { .. }
    ));
    assert!(matches!(
        err(&format!(
            "<PR>{}</PR>",
            FULL.replace("<AI>1</AI>", "<AI>x</AI>")
        )),
        ClixmlError::BadNumber { element: "AI", .. }
    ));
    assert!(matches!(
        err(&format!(
            "<PR>{}</PR>",
            FULL.replace("Processing", "Paused")
        )),
        ClixmlError::BadValue { element: "PR", .. }
    ));
    assert!(matches!(
        err(&format!(
            "<PR>{}</PR>",
            FULL.replace("<Nil />", "<I32>3</I32>")
        )),
        ClixmlError::BadProgressRecord { .. }
    ));
    assert!(matches!(
        err(&format!("<PR>{}<X /></PR>", FULL)),
        ClixmlError::UnexpectedElement { parent: "PR", .. }
    ));
    assert!(matches!(
        err(&format!(
            "<PR>{}</PR>",
            FULL.replace("<AV>a</AV><AI>1</AI>", "<AI>1</AI><AV>a</AV>")
        )),
        ClixmlError::UnexpectedElement { parent: "PR", .. }
    ));
}

#[test]
fn encodings() {
    let utf16 = |text: &str, bom: bool, big_endian: bool| -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend_from_slice(if big_endian {
                &[0xFE, 0xFF]
            } else {
                &[0xFF, 0xFE]
            });
        }
        for unit in text.encode_utf16() {
            out.extend_from_slice(&if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        out
    };
    let doc = "<?xml version=\"1.0\" encoding=\"utf-16\"?><Objs><S>\u{e9}\u{1F600}</S></Objs>";
    let expected = vec![PsValue::String("\u{e9}\u{1F600}".into())];
    for (bom, big_endian) in [(true, false), (true, true), (false, false), (false, true)] {
        assert_eq!(
            objects_from_slice(&utf16(doc, bom, big_endian)).unwrap(),
            expected,
            "bom {bom} big-endian {big_endian}"
        );
    }
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(doc.as_bytes());
    assert_eq!(objects_from_slice(&with_bom).unwrap(), expected);
    assert_eq!(objects_from_slice(doc.as_bytes()).unwrap(), expected);
    // Odd length, and an unpaired surrogate: typed errors.
    let mut odd = utf16("<S>a</S>", true, false);
    odd.push(b'x');
    assert!(matches!(from_slice(&odd), Err(ClixmlError::Utf16 { .. })));
    let mut lone = utf16("<S>a</S>", true, false);
    lone.splice(8..8, [0x00, 0xDC]);
    assert!(matches!(
        from_slice(&lone),
        Err(ClixmlError::Utf16 { position: 6 })
    ));
}
