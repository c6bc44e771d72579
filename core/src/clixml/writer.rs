//! The CLIXML writer ([MS-PSRP] 2.2.5): [`PsValue`] to bytes.
//!
//! Text goes through the `_xHHHH_` and XML escaping of [`super::escape`], so no input can break
//! the markup. The writer numbers `<Obj>`s from 0 and emits `<Ref>` when the same [`Arc`]
//! appears again, or when a [`PsValue::BackRef`] names an object already started (an enclosing
//! one); identical type-name chains are written once and then referenced with `<TNRef>`.
//! Nesting is not bounded here: values come from the program, not the wire.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::Arc;

use base64::Engine as _;

use super::escape;
use super::scalar;
use super::value::{BackRef, Container, ProgressRecord, Property, PsObject, PsValue};

/// Serializes one value, without a BOM or an `<Objs>` wrapper (a PSRP message body).
pub fn to_vec(value: &PsValue) -> Vec<u8> {
    let mut out = Vec::new();
    write_value(&mut out, value);
    out
}

/// Appends one serialized value to `out`; `RefId`s start at 0 for this value.
pub fn write_value(out: &mut Vec<u8>, value: &PsValue) {
    Writer::new(out).value(value, None);
}

/// Serializes values as an `Export-Clixml` document; `RefId`s are shared across the document.
pub fn objects_to_vec(values: &[PsValue]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(
        b"<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">",
    );
    let mut writer = Writer::new(&mut out);
    for value in values {
        writer.value(value, None);
    }
    out.extend_from_slice(b"</Objs>");
    out
}

struct Writer<'o> {
    out: &'o mut Vec<u8>,
    objects: HashMap<*const PsObject, u32>,
    type_names: HashMap<Arc<[String]>, u32>,
}

impl<'o> Writer<'o> {
    fn new(out: &'o mut Vec<u8>) -> Self {
        Writer {
            out,
            objects: HashMap::new(),
            type_names: HashMap::new(),
        }
    }

    fn open(&mut self, tag: &str, name: Option<&str>) {
        self.out.push(b'<');
        self.out.extend_from_slice(tag.as_bytes());
        if let Some(name) = name {
            self.out.extend_from_slice(b" N=\"");
            escape::encode_attr(self.out, name);
            self.out.push(b'"');
        }
    }

    fn close(&mut self, tag: &str) {
        self.out.extend_from_slice(b"</");
        self.out.extend_from_slice(tag.as_bytes());
        self.out.push(b'>');
    }

    /// `<tag N="name">` + whatever `body` writes + `</tag>`.
    fn element(&mut self, tag: &str, name: Option<&str>, body: impl FnOnce(&mut Vec<u8>)) {
        self.open(tag, name);
        self.out.push(b'>');
        body(self.out);
        self.close(tag);
    }

    fn text(&mut self, tag: &str, name: Option<&str>, text: &str) {
        self.element(tag, name, |out| escape::encode_str(out, text));
    }

    fn value(&mut self, value: &PsValue, name: Option<&str>) {
        match value {
            PsValue::Nil => {
                self.open("Nil", name);
                self.out.extend_from_slice(b" />");
            }
            PsValue::String(s) => self.text("S", name, s),
            PsValue::WideString(units) => {
                self.element("S", name, |out| escape::encode_wide(out, units))
            }
            PsValue::Char(c) => self.element("C", name, |out| {
                let _ = write!(out, "{c}");
            }),
            PsValue::Bool(b) => self.element("B", name, |out| {
                out.extend_from_slice(if *b { b"true" } else { b"false" })
            }),
            PsValue::DateTime(dt) => {
                self.element("DT", name, |out| scalar::write_datetime(out, dt, true))
            }
            PsValue::Duration(d) => self.element("TS", name, |out| scalar::write_duration(out, d)),
            PsValue::U8(v) => self.display("By", name, v),
            PsValue::I8(v) => self.display("SB", name, v),
            PsValue::U16(v) => self.display("U16", name, v),
            PsValue::I16(v) => self.display("I16", name, v),
            PsValue::U32(v) => self.display("U32", name, v),
            PsValue::I32(v) => self.display("I32", name, v),
            PsValue::U64(v) => self.display("U64", name, v),
            PsValue::I64(v) => self.display("I64", name, v),
            PsValue::Decimal(v) => self.display("D", name, v),
            PsValue::Single(v) => {
                let v = *v;
                self.element("Sg", name, |out| {
                    scalar::write_float(out, f64::from(v), |exp| {
                        if exp { format!("{v:e}") } else { v.to_string() }
                    })
                })
            }
            PsValue::Double(v) => {
                let v = *v;
                self.element("Db", name, |out| {
                    scalar::write_float(
                        out,
                        v,
                        |exp| {
                            if exp { format!("{v:e}") } else { v.to_string() }
                        },
                    )
                })
            }
            PsValue::Bytes(bytes) => self.base64("BA", name, bytes),
            PsValue::SecureString(ss) => self.base64("SS", name, &ss.0),
            PsValue::Guid(g) => self.element("G", name, |out| {
                let mut buf = uuid::Uuid::encode_buffer();
                out.extend_from_slice(g.hyphenated().encode_lower(&mut buf).as_bytes());
            }),
            PsValue::Uri(s) => self.text("URI", name, s),
            PsValue::Version(v) => {
                self.element("Version", name, |out| scalar::write_version(out, v))
            }
            PsValue::XmlDocument(s) => self.text("XD", name, s),
            PsValue::ScriptBlock(s) => self.text("SBK", name, s),
            PsValue::Object(obj) => self.object(obj, name),
            PsValue::BackRef(back) => self.back_ref(back, name),
            PsValue::Progress(record) => self.progress(record, name),
        }
    }

    /// `<Ref>` to the target when it was written already (it encloses this value when the value
    /// was decoded); the whole target when this value is written without it; `<Nil />` when
    /// the target no longer exists.
    fn back_ref(&mut self, back: &BackRef, name: Option<&str>) {
        let Some(target) = back.object() else {
            self.value(&PsValue::Nil, name);
            return;
        };
        // `object` writes a `<Ref>` when the target was started already.
        self.object(&target, name);
    }

    /// `<PR>` with its children in the order PowerShell's serializer writes and reads them.
    fn progress(&mut self, record: &ProgressRecord, name: Option<&str>) {
        self.open("PR", name);
        self.out.push(b'>');
        self.text("AV", None, &record.activity);
        self.display("AI", None, &record.activity_id);
        match &record.current_operation {
            Some(text) => self.text("S", None, text),
            None => self.value(&PsValue::Nil, None),
        }
        self.display("PI", None, &record.parent_activity_id);
        self.display("PC", None, &record.percent_complete);
        self.text("T", None, record.record_type.name());
        self.display("SR", None, &record.seconds_remaining);
        self.text("SD", None, &record.status_description);
        self.close("PR");
    }

    fn display(&mut self, tag: &str, name: Option<&str>, v: &impl std::fmt::Display) {
        self.element(tag, name, |out| {
            let _ = write!(out, "{v}");
        });
    }

    fn base64(&mut self, tag: &str, name: Option<&str>, bytes: &[u8]) {
        self.element(tag, name, |out| {
            let text = base64::engine::general_purpose::STANDARD.encode(bytes);
            out.extend_from_slice(text.as_bytes());
        });
    }

    fn object(&mut self, obj: &Arc<PsObject>, name: Option<&str>) {
        let key = Arc::as_ptr(obj);
        if let Some(ref_id) = self.objects.get(&key) {
            let ref_id = *ref_id;
            self.open("Ref", name);
            let _ = write!(self.out, " RefId=\"{ref_id}\" />");
            return;
        }
        let ref_id = u32::try_from(self.objects.len()).unwrap_or(u32::MAX);
        self.objects.insert(key, ref_id);
        self.open("Obj", name);
        let _ = write!(self.out, " RefId=\"{ref_id}\">");
        if let Some(names) = &obj.type_names {
            self.type_names_of(names);
        }
        match obj.to_string.as_deref() {
            Some("") => self.out.extend_from_slice(b"<ToString />"),
            Some(text) => self.text("ToString", None, text),
            None => {}
        }
        if let Some(value) = &obj.value {
            self.value(value, None);
        }
        match &obj.content {
            None => {}
            Some(Container::List(items)) => self.items("LST", items),
            Some(Container::Enumerable(items)) => self.items("IE", items),
            Some(Container::Stack(items)) => self.items("STK", items),
            Some(Container::Queue(items)) => self.items("QUE", items),
            Some(Container::Dictionary(entries)) if entries.is_empty() => {
                self.out.extend_from_slice(b"<DCT />");
            }
            Some(Container::Dictionary(entries)) => {
                self.out.extend_from_slice(b"<DCT>");
                for (key, value) in entries {
                    self.out.extend_from_slice(b"<En>");
                    self.value(key, Some("Key"));
                    self.value(value, Some("Value"));
                    self.out.extend_from_slice(b"</En>");
                }
                self.out.extend_from_slice(b"</DCT>");
            }
        }
        if !obj.adapted.is_empty() {
            self.props("Props", &obj.adapted);
        }
        if !obj.extended.is_empty() {
            self.props("MS", &obj.extended);
        }
        self.close("Obj");
    }

    fn type_names_of(&mut self, names: &Arc<[String]>) {
        if let Some(ref_id) = self.type_names.get(&**names) {
            let _ = write!(self.out, "<TNRef RefId=\"{ref_id}\" />");
            return;
        }
        let ref_id = u32::try_from(self.type_names.len()).unwrap_or(u32::MAX);
        self.type_names.insert(Arc::clone(names), ref_id);
        let _ = write!(self.out, "<TN RefId=\"{ref_id}\">");
        for name in names.iter() {
            self.text("T", None, name);
        }
        self.out.extend_from_slice(b"</TN>");
    }

    fn items(&mut self, tag: &str, items: &[PsValue]) {
        if items.is_empty() {
            self.open(tag, None);
            self.out.extend_from_slice(b" />");
            return;
        }
        self.open(tag, None);
        self.out.push(b'>');
        for item in items {
            self.value(item, None);
        }
        self.close(tag);
    }

    fn props(&mut self, tag: &str, props: &[Property]) {
        self.open(tag, None);
        self.out.push(b'>');
        for prop in props {
            self.value(&prop.value, Some(&prop.name));
        }
        self.close(tag);
    }
}
