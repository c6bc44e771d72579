//! The CLIXML reader ([MS-PSRP] 2.2.5): bytes to [`PsValue`].
//!
//! One pass over borrowed quick-xml events; text is borrowed from the input unless it holds an
//! entity or a `_xHHHH_` escape. `<Ref>`s resolve to the same [`Arc`] as the object they name;
//! a `<Ref>` to an object still being read (one that encloses it) becomes a
//! [`PsValue::BackRef`], whose weak pointer is set when that object is complete.
//!
//! Input is UTF-8 (with or without a byte-order mark) or UTF-16 with a byte-order mark, little- or
//! big-endian (Windows PowerShell's `Export-Clixml` writes UTF-16LE); UTF-16 is converted to UTF-8
//! first, and error positions then count bytes of the converted text.
//!
//! Lone surrogates decode to [`PsValue::WideString`] in `<S>`; in `<URI>`, `<XD>`, `<SBK>`,
//! `<T>`, `<ToString>` and property names (kept as `String` by the object model) they become
//! U+FFFD.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, Weak};

use base64::Engine as _;
use quick_xml::events::{BytesRef, BytesStart, Event};

use super::error::ClixmlError;
use super::escape::{self, Decoded};
use super::scalar;
use super::value::{
    BackRef, Container, ProgressRecord, ProgressRecordType, Property, PsObject, PsValue,
};

/// The default bound on object nesting. PowerShell serializes remoting output at depth 1 and
/// `Export-Clixml` at depth 2 by default; 100 leaves ample room while keeping recursion shallow.
pub const DEFAULT_MAX_DEPTH: usize = 100;

/// The bytes that `<Ref>` and `<TNRef>` elements may stand for in one document, whatever its
/// size; beyond this the bound is four times the document. A reference counts as the encoded
/// size of the object (or type-name list) it names, references inside that object included.
pub const MAX_REF_EXPANSION_FLOOR: u64 = 16 * 1024 * 1024;

/// Reader options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reader {
    /// How deep `<Obj>` elements may nest before [`ClixmlError::TooDeep`]; the bound keeps
    /// hostile input from exhausting the stack. Default [`DEFAULT_MAX_DEPTH`].
    pub max_depth: usize,
}

impl Default for Reader {
    fn default() -> Self {
        Reader {
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

impl Reader {
    /// Decodes one top-level value (see [`from_slice`]).
    pub fn read(&self, xml: &[u8]) -> Result<PsValue, ClixmlError> {
        let xml = utf8_input(xml)?;
        let mut parser = Parser::new(&xml, self.max_depth);
        let value = match parser.next_top()? {
            Some((start, empty)) => parser.value(&start, empty, 0)?,
            None => return Err(parser.eof()),
        };
        match parser.next_top()? {
            None => Ok(value),
            Some(_) => Err(ClixmlError::UnexpectedContent {
                position: parser.pos(),
            }),
        }
    }

    /// Decodes an `Export-Clixml` document or a sequence of top-level values (see
    /// [`objects_from_slice`]).
    pub fn read_objects(&self, xml: &[u8]) -> Result<Vec<PsValue>, ClixmlError> {
        let xml = utf8_input(xml)?;
        let mut parser = Parser::new(&xml, self.max_depth);
        let mut values = Vec::new();
        while let Some((start, empty)) = parser.next_top()? {
            if start.name().as_ref() == b"Objs" {
                parser.new_document();
                if !empty {
                    parser.items(&mut values, 0)?;
                }
            } else {
                values.push(parser.value(&start, empty, 0)?);
            }
        }
        Ok(values)
    }

    /// Decodes what `powershell.exe -OutputFormat xml` writes: `#< CLIXML` lines, then one or
    /// more `<Objs>` documents whose values may carry the stream they were written to (see
    /// [`streams_from_slice`]).
    pub fn read_streams(&self, xml: &[u8]) -> Result<Vec<StreamValue>, ClixmlError> {
        let mut xml = utf8_input(xml)?;
        blank_headers(&mut xml);
        let mut parser = Parser::new(&xml, self.max_depth);
        let mut values = Vec::new();
        while let Some((start, empty)) = parser.next_top()? {
            if start.name().as_ref() == b"Objs" {
                parser.new_document();
                if !empty {
                    while let Some((child, child_empty)) = parser.child()? {
                        values.push(parser.stream_value(&child, child_empty)?);
                    }
                }
            } else {
                values.push(parser.stream_value(&start, empty)?);
            }
        }
        Ok(values)
    }
}

/// A top-level value and the stream PowerShell tagged it with (its `S` attribute).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamValue {
    /// The stream as written (`Error`, `warning`, `progress`, ...); `None` for plain output.
    pub stream: Option<String>,
    /// The value.
    pub value: PsValue,
}

/// Decodes the output of `powershell.exe -OutputFormat xml` (or `pwsh`): any number of
/// `#< CLIXML` lines and `<Objs>` documents, each document with its own `RefId`s, every value
/// with the stream named by its `S` attribute (`<S S="Error">`, `<Obj S="progress">`).
pub fn streams_from_slice(xml: &[u8]) -> Result<Vec<StreamValue>, ClixmlError> {
    Reader::default().read_streams(xml)
}

/// The header line `-OutputFormat xml` writes before each stream of `<Objs>` documents.
const CLIXML_HEADER: &[u8] = b"#< CLIXML";

/// Replaces every line that holds only [`CLIXML_HEADER`] with spaces (keeping byte positions for
/// error messages). Such a line cannot stand inside CLIXML markup, where `<` is always escaped.
fn blank_headers(xml: &mut Cow<'_, [u8]>) {
    if !xml.windows(CLIXML_HEADER.len()).any(|w| w == CLIXML_HEADER) {
        return;
    }
    let bytes = xml.to_mut();
    let mut start = 0;
    while start < bytes.len() {
        let end = bytes[start..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(bytes.len(), |i| start + i);
        if let Some(line) = bytes.get_mut(start..end)
            && line.trim_ascii() == CLIXML_HEADER
        {
            line.fill(b' ');
        }
        start = end + 1;
    }
}

/// The input as UTF-8: without a UTF-8 byte-order mark, and converted from UTF-16 when it starts
/// with a UTF-16 byte-order mark (or, without one, with `<` as a UTF-16 code unit, as the XML
/// specification's appendix F detects it).
fn utf8_input(xml: &[u8]) -> Result<Cow<'_, [u8]>, ClixmlError> {
    let (body, big_endian) = match xml {
        [0xEF, 0xBB, 0xBF, rest @ ..] => return Ok(Cow::Borrowed(rest)),
        [0xFF, 0xFE, rest @ ..] => (rest, false),
        [0xFE, 0xFF, rest @ ..] => (rest, true),
        [b'<', 0, ..] => (xml, false),
        [0, b'<', ..] => (xml, true),
        _ => return Ok(Cow::Borrowed(xml)),
    };
    let bad = |position: usize| ClixmlError::Utf16 {
        position: position as u64,
    };
    if body.len() % 2 != 0 {
        return Err(bad(body.len()));
    }
    let units = body.chunks_exact(2).map(|pair| {
        let pair = [pair[0], pair[1]];
        if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    });
    let mut out = String::with_capacity(body.len() / 2);
    for (i, ch) in char::decode_utf16(units).enumerate() {
        out.push(ch.map_err(|_| bad(i * 2))?);
    }
    Ok(Cow::Owned(out.into_bytes()))
}

/// Decodes one CLIXML value: a single top-level element (`<Obj>`, `<S>`, `<Nil/>`, ...), with an
/// optional byte-order mark, XML declaration, comments and surrounding whitespace, as in a PSRP
/// message body ([MS-PSRP] 2.2.1).
pub fn from_slice(xml: &[u8]) -> Result<PsValue, ClixmlError> {
    Reader::default().read(xml)
}

/// Decodes an `Export-Clixml` document (`<Objs Version="1.1.0.1" ...>` holding values) or a plain
/// sequence of top-level values. `RefId`s are shared across the whole document; each `<Objs>`
/// element starts its own numbering, as each is written by a serializer of its own.
pub fn objects_from_slice(xml: &[u8]) -> Result<Vec<PsValue>, ClixmlError> {
    Reader::default().read_objects(xml)
}

/// What an element name means. Variants are spelled as the element names so that the mapping
/// reads at a glance.
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Nil,
    S,
    C,
    B,
    DT,
    TS,
    By,
    SB,
    U16,
    I16,
    U32,
    I32,
    U64,
    I64,
    Sg,
    Db,
    D,
    BA,
    G,
    URI,
    Version,
    XD,
    SBK,
    SS,
    Obj,
    Ref,
    TN,
    TNRef,
    ToString,
    Props,
    MS,
    LST,
    IE,
    STK,
    QUE,
    DCT,
    En,
    T,
    Objs,
    PR,
}

impl Kind {
    fn of(name: &[u8]) -> Option<Kind> {
        Some(match name {
            b"Nil" => Kind::Nil,
            b"S" => Kind::S,
            b"C" => Kind::C,
            b"B" => Kind::B,
            b"DT" => Kind::DT,
            b"TS" => Kind::TS,
            b"By" => Kind::By,
            b"SB" => Kind::SB,
            b"U16" => Kind::U16,
            b"I16" => Kind::I16,
            b"U32" => Kind::U32,
            b"I32" => Kind::I32,
            b"U64" => Kind::U64,
            b"I64" => Kind::I64,
            b"Sg" => Kind::Sg,
            b"Db" => Kind::Db,
            b"D" => Kind::D,
            b"BA" => Kind::BA,
            b"G" => Kind::G,
            b"URI" => Kind::URI,
            b"Version" => Kind::Version,
            b"XD" => Kind::XD,
            b"SBK" => Kind::SBK,
            b"SS" => Kind::SS,
            b"Obj" => Kind::Obj,
            b"Ref" => Kind::Ref,
            b"TN" => Kind::TN,
            b"TNRef" => Kind::TNRef,
            b"ToString" => Kind::ToString,
            b"Props" => Kind::Props,
            b"MS" => Kind::MS,
            b"LST" => Kind::LST,
            b"IE" => Kind::IE,
            b"STK" => Kind::STK,
            b"QUE" => Kind::QUE,
            b"DCT" => Kind::DCT,
            b"En" => Kind::En,
            b"T" => Kind::T,
            b"Objs" => Kind::Objs,
            b"PR" => Kind::PR,
            _ => return None,
        })
    }

    fn tag(self) -> &'static str {
        match self {
            Kind::Nil => "Nil",
            Kind::S => "S",
            Kind::C => "C",
            Kind::B => "B",
            Kind::DT => "DT",
            Kind::TS => "TS",
            Kind::By => "By",
            Kind::SB => "SB",
            Kind::U16 => "U16",
            Kind::I16 => "I16",
            Kind::U32 => "U32",
            Kind::I32 => "I32",
            Kind::U64 => "U64",
            Kind::I64 => "I64",
            Kind::Sg => "Sg",
            Kind::Db => "Db",
            Kind::D => "D",
            Kind::BA => "BA",
            Kind::G => "G",
            Kind::URI => "URI",
            Kind::Version => "Version",
            Kind::XD => "XD",
            Kind::SBK => "SBK",
            Kind::SS => "SS",
            Kind::Obj => "Obj",
            Kind::Ref => "Ref",
            Kind::TN => "TN",
            Kind::TNRef => "TNRef",
            Kind::ToString => "ToString",
            Kind::Props => "Props",
            Kind::MS => "MS",
            Kind::LST => "LST",
            Kind::IE => "IE",
            Kind::STK => "STK",
            Kind::QUE => "QUE",
            Kind::DCT => "DCT",
            Kind::En => "En",
            Kind::T => "T",
            Kind::Objs => "Objs",
            Kind::PR => "PR",
        }
    }
}

/// The two attributes CLIXML uses on every element (a top-level value's `S` is read apart).
struct Attrs<'a> {
    name: Option<Cow<'a, [u8]>>,
    ref_id: Option<Cow<'a, [u8]>>,
}

fn append<'a>(acc: &mut Option<Cow<'a, str>>, piece: Cow<'a, str>) {
    match acc {
        None => *acc = Some(piece),
        Some(prev) => prev.to_mut().push_str(&piece),
    }
}

fn cut(text: &str) -> String {
    text.chars().take(64).collect()
}

/// Where a back-reference finds its target once the target is built.
type Target = Arc<OnceLock<Weak<PsObject>>>;

struct Parser<'a> {
    xml: quick_xml::Reader<&'a [u8]>,
    objects: HashMap<u32, Arc<PsObject>>,
    type_names: HashMap<u32, Arc<[String]>>,
    /// The expanded size of each object with a `RefId`: its own bytes plus what the references
    /// inside it stand for.
    object_sizes: HashMap<u32, u64>,
    /// What the references read so far stand for, in bytes.
    expanded: u64,
    expansion_limit: u64,
    max_depth: usize,
    /// The objects with a `RefId` still being read, outermost first: what a `<Ref>` naming no
    /// complete object may refer back to. The slot exists once something refers back.
    open: Vec<(u32, Option<Target>)>,
}

impl<'a> Parser<'a> {
    fn new(xml: &'a [u8], max_depth: usize) -> Self {
        let mut reader = quick_xml::Reader::from_reader(xml);
        reader.config_mut().check_end_names = true;
        let len = u64::try_from(xml.len()).unwrap_or(u64::MAX);
        Parser {
            xml: reader,
            objects: HashMap::new(),
            type_names: HashMap::new(),
            object_sizes: HashMap::new(),
            expanded: 0,
            expansion_limit: MAX_REF_EXPANSION_FLOOR.max(len.saturating_mul(4)),
            max_depth,
            open: Vec::new(),
        }
    }

    /// Starts a new `<Objs>` document: `RefId`s and type-name `RefId`s start over.
    fn new_document(&mut self) {
        self.objects.clear();
        self.type_names.clear();
        self.object_sizes.clear();
    }

    /// A top-level value with its `S` attribute.
    fn stream_value(
        &mut self,
        e: &BytesStart<'a>,
        empty: bool,
    ) -> Result<StreamValue, ClixmlError> {
        let mut stream = None;
        for attr in e.attributes().with_checks(false) {
            let attr = attr.map_err(|err| ClixmlError::Xml {
                position: self.pos(),
                source: quick_xml::Error::InvalidAttr(err),
            })?;
            if attr.key.as_ref() == b"S" {
                stream = Some(escape::decode_lossy(&self.attr_text(&attr.value)?).into_owned());
            }
        }
        let value = self.value(e, empty, 0)?;
        Ok(StreamValue { stream, value })
    }

    /// Counts `bytes` more of reference expansion; an error past the document's bound.
    fn expand(&mut self, bytes: u64) -> Result<(), ClixmlError> {
        self.expanded = self.expanded.saturating_add(bytes);
        if self.expanded > self.expansion_limit {
            return Err(ClixmlError::TooManyReferences {
                limit: self.expansion_limit,
                position: self.pos(),
            });
        }
        Ok(())
    }

    fn pos(&self) -> u64 {
        self.xml.buffer_position()
    }

    fn eof(&self) -> ClixmlError {
        ClixmlError::UnexpectedEof {
            position: self.pos(),
        }
    }

    fn next(&mut self) -> Result<Event<'a>, ClixmlError> {
        self.xml.read_event().map_err(|source| ClixmlError::Xml {
            position: self.xml.error_position(),
            source,
        })
    }

    /// The next top-level element, skipping the prolog, comments and whitespace.
    fn next_top(&mut self) -> Result<Option<(BytesStart<'a>, bool)>, ClixmlError> {
        loop {
            match self.next()? {
                Event::Start(e) => return Ok(Some((e, false))),
                Event::Empty(e) => return Ok(Some((e, true))),
                Event::Eof => return Ok(None),
                Event::End(_) => {
                    return Err(ClixmlError::UnexpectedContent {
                        position: self.pos(),
                    });
                }
                event => self.skip_ignorable(event)?,
            }
        }
    }

    /// Accepts whitespace, comments and processing instructions between elements.
    fn skip_ignorable(&self, event: Event<'a>) -> Result<(), ClixmlError> {
        match event {
            Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => Ok(()),
            Event::Comment(_) | Event::PI(_) | Event::Decl(_) | Event::DocType(_) => Ok(()),
            _ => Err(ClixmlError::UnexpectedContent {
                position: self.pos(),
            }),
        }
    }

    fn attrs<'e>(&self, e: &'e BytesStart<'a>) -> Result<Attrs<'e>, ClixmlError> {
        let mut attrs = Attrs {
            name: None,
            ref_id: None,
        };
        for attr in e.attributes().with_checks(false) {
            let attr = attr.map_err(|err| ClixmlError::Xml {
                position: self.pos(),
                source: quick_xml::Error::InvalidAttr(err),
            })?;
            match attr.key.as_ref() {
                b"N" => attrs.name = Some(attr.value),
                b"RefId" => attrs.ref_id = Some(attr.value),
                _ => {}
            }
        }
        Ok(attrs)
    }

    fn attr_text<'b>(&self, raw: &'b [u8]) -> Result<Cow<'b, str>, ClixmlError> {
        let text = std::str::from_utf8(raw).map_err(|_| ClixmlError::Utf8 {
            position: self.pos(),
        })?;
        if !text.contains('&') {
            return Ok(Cow::Borrowed(text));
        }
        quick_xml::escape::unescape(text).map_err(|err| ClixmlError::Xml {
            position: self.pos(),
            source: quick_xml::Error::Escape(err),
        })
    }

    fn ref_id(&self, attrs: &Attrs<'_>, element: &'static str) -> Result<u32, ClixmlError> {
        let raw = attrs
            .ref_id
            .as_deref()
            .ok_or(ClixmlError::MissingAttribute {
                element,
                attribute: "RefId",
                position: self.pos(),
            })?;
        let text = self.attr_text(raw)?;
        text.trim().parse().map_err(|_| ClixmlError::BadRefId {
            text: cut(&text),
            position: self.pos(),
        })
    }

    fn prop_name(&self, attrs: &Attrs<'_>, element: &'static str) -> Result<String, ClixmlError> {
        let raw = attrs.name.as_deref().ok_or(ClixmlError::MissingAttribute {
            element,
            attribute: "N",
            position: self.pos(),
        })?;
        let text = self.attr_text(raw)?;
        Ok(escape::decode_lossy(&text).into_owned())
    }

    fn entity(&self, r: &BytesRef<'a>) -> Result<char, ClixmlError> {
        let bad = || ClixmlError::BadEntity {
            name: String::from_utf8_lossy(r).into_owned(),
            position: self.pos(),
        };
        if r.is_char_ref() {
            return r.resolve_char_ref().ok().flatten().ok_or_else(bad);
        }
        match &**r {
            b"lt" => Ok('<'),
            b"gt" => Ok('>'),
            b"amp" => Ok('&'),
            b"apos" => Ok('\''),
            b"quot" => Ok('"'),
            _ => Err(bad()),
        }
    }

    fn utf8(&self, bytes: Cow<'a, [u8]>) -> Result<Cow<'a, str>, ClixmlError> {
        let err = |_| ClixmlError::Utf8 {
            position: self.pos(),
        };
        Ok(match bytes {
            Cow::Borrowed(b) => Cow::Borrowed(std::str::from_utf8(b).map_err(err)?),
            Cow::Owned(v) => Cow::Owned(String::from_utf8(v).map_err(|e| err(e.utf8_error()))?),
        })
    }

    /// The character data of the element just opened, up to its end tag. Borrowed from the input
    /// when it is one piece (no entity reference, CDATA section or comment inside).
    fn text(&mut self, parent: Kind) -> Result<Cow<'a, str>, ClixmlError> {
        let mut acc: Option<Cow<'a, str>> = None;
        loop {
            match self.next()? {
                Event::Text(t) => {
                    let piece = self.utf8(t.into_inner())?;
                    append(&mut acc, piece);
                }
                Event::CData(c) => {
                    let piece = self.utf8(c.into_inner())?;
                    append(&mut acc, piece);
                }
                Event::GeneralRef(r) => {
                    let ch = self.entity(&r)?;
                    acc.get_or_insert_with(Cow::default).to_mut().push(ch);
                }
                Event::Comment(_) | Event::PI(_) => {}
                Event::End(_) => return Ok(acc.unwrap_or(Cow::Borrowed(""))),
                Event::Eof => return Err(self.eof()),
                Event::Start(e) | Event::Empty(e) => {
                    return Err(ClixmlError::UnexpectedElement {
                        name: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
                        parent: parent.tag(),
                        position: self.pos(),
                    });
                }
                Event::Decl(_) | Event::DocType(_) => {
                    return Err(ClixmlError::UnexpectedContent {
                        position: self.pos(),
                    });
                }
            }
        }
    }

    fn text_of(&mut self, kind: Kind, empty: bool) -> Result<Cow<'a, str>, ClixmlError> {
        if empty {
            Ok(Cow::Borrowed(""))
        } else {
            self.text(kind)
        }
    }

    /// Skips to the end of an element that must hold nothing but whitespace or comments.
    fn expect_end(&mut self, kind: Kind, empty: bool) -> Result<(), ClixmlError> {
        if !empty {
            let text = self.text(kind)?;
            if !text.trim().is_empty() {
                return Err(ClixmlError::UnexpectedContent {
                    position: self.pos(),
                });
            }
        }
        Ok(())
    }

    fn unknown(&self, e: &BytesStart<'a>) -> ClixmlError {
        ClixmlError::UnknownElement {
            name: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
            position: self.pos(),
        }
    }

    fn misplaced(&self, e: &BytesStart<'a>, parent: Kind) -> ClixmlError {
        ClixmlError::UnexpectedElement {
            name: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
            parent: parent.tag(),
            position: self.pos(),
        }
    }

    /// The next child element of `parent`, or `None` at its end tag.
    fn child(&mut self) -> Result<Option<(BytesStart<'a>, bool)>, ClixmlError> {
        loop {
            match self.next()? {
                Event::Start(e) => return Ok(Some((e, false))),
                Event::Empty(e) => return Ok(Some((e, true))),
                Event::End(_) => return Ok(None),
                Event::Eof => return Err(self.eof()),
                event => self.skip_ignorable(event)?,
            }
        }
    }

    fn value(
        &mut self,
        e: &BytesStart<'a>,
        empty: bool,
        depth: usize,
    ) -> Result<PsValue, ClixmlError> {
        let kind = Kind::of(e.name().as_ref()).ok_or_else(|| self.unknown(e))?;
        self.value_of(kind, e, None, empty, depth)
    }

    fn number<T: std::str::FromStr>(&mut self, kind: Kind, empty: bool) -> Result<T, ClixmlError> {
        let text = self.text_of(kind, empty)?;
        text.trim().parse().map_err(|_| ClixmlError::BadNumber {
            element: kind.tag(),
            text: cut(&text),
            position: self.pos(),
        })
    }

    fn bad_value(&self, kind: Kind, text: &str) -> ClixmlError {
        ClixmlError::BadValue {
            element: kind.tag(),
            text: cut(text),
            position: self.pos(),
        }
    }

    fn base64(&mut self, kind: Kind, empty: bool) -> Result<Vec<u8>, ClixmlError> {
        let text = self.text_of(kind, empty)?;
        let engine = base64::engine::general_purpose::STANDARD;
        let result = if text.bytes().any(|b| b.is_ascii_whitespace()) {
            // .NET's Convert.FromBase64String ignores whitespace (line-wrapped input).
            let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
            engine.decode(compact)
        } else {
            engine.decode(text.as_bytes())
        };
        result.map_err(|source| ClixmlError::BadBase64 {
            element: kind.tag(),
            position: self.pos(),
            source,
        })
    }

    fn lossy_text(&mut self, kind: Kind, empty: bool) -> Result<String, ClixmlError> {
        let text = self.text_of(kind, empty)?;
        Ok(match escape::decode_lossy(&text) {
            Cow::Borrowed(_) => text.into_owned(),
            Cow::Owned(s) => s,
        })
    }

    /// `attrs`: the element's attributes when the caller already parsed them.
    fn value_of(
        &mut self,
        kind: Kind,
        e: &BytesStart<'a>,
        attrs: Option<Attrs<'_>>,
        empty: bool,
        depth: usize,
    ) -> Result<PsValue, ClixmlError> {
        Ok(match kind {
            Kind::Obj => {
                let attrs = match attrs {
                    Some(attrs) => attrs,
                    None => self.attrs(e)?,
                };
                self.object(&attrs, empty, depth + 1)?
            }
            Kind::Ref => {
                let attrs = match attrs {
                    Some(attrs) => attrs,
                    None => self.attrs(e)?,
                };
                self.reference(&attrs, empty)?
            }
            Kind::PR => self.progress(empty, depth)?,
            _ => self.scalar(kind, empty)?,
        })
    }

    /// A primitive value. Apart from [`Parser::value_of`], which nested objects recurse through:
    /// unoptimised builds give each local its own stack slot, and these arms hold many.
    fn scalar(&mut self, kind: Kind, empty: bool) -> Result<PsValue, ClixmlError> {
        Ok(match kind {
            Kind::Nil => {
                self.expect_end(kind, empty)?;
                PsValue::Nil
            }
            Kind::S => {
                let text = self.text_of(kind, empty)?;
                match escape::decode(&text) {
                    Decoded::Str(Cow::Borrowed(_)) => PsValue::String(text.into_owned()),
                    Decoded::Str(Cow::Owned(s)) => PsValue::String(s),
                    Decoded::Wide(units) => PsValue::WideString(units),
                }
            }
            Kind::C => PsValue::Char(self.number(kind, empty)?),
            Kind::B => {
                let text = self.text_of(kind, empty)?;
                match text.trim() {
                    "true" | "1" => PsValue::Bool(true),
                    "false" | "0" => PsValue::Bool(false),
                    other => return Err(self.bad_value(kind, other)),
                }
            }
            Kind::DT => {
                let text = self.text_of(kind, empty)?;
                PsValue::DateTime(
                    scalar::parse_datetime(&text).ok_or_else(|| self.bad_value(kind, &text))?,
                )
            }
            Kind::TS => {
                let text = self.text_of(kind, empty)?;
                PsValue::Duration(
                    scalar::parse_duration(&text).ok_or_else(|| self.bad_value(kind, &text))?,
                )
            }
            Kind::Version => {
                let text = self.text_of(kind, empty)?;
                PsValue::Version(
                    scalar::parse_version(&text).ok_or_else(|| self.bad_value(kind, &text))?,
                )
            }
            Kind::By => PsValue::U8(self.number(kind, empty)?),
            Kind::SB => PsValue::I8(self.number(kind, empty)?),
            Kind::U16 => PsValue::U16(self.number(kind, empty)?),
            Kind::I16 => PsValue::I16(self.number(kind, empty)?),
            Kind::U32 => PsValue::U32(self.number(kind, empty)?),
            Kind::I32 => PsValue::I32(self.number(kind, empty)?),
            Kind::U64 => PsValue::U64(self.number(kind, empty)?),
            Kind::I64 => PsValue::I64(self.number(kind, empty)?),
            Kind::D => PsValue::Decimal(self.number(kind, empty)?),
            Kind::Sg | Kind::Db => {
                let text = self.text_of(kind, empty)?;
                let bad = || ClixmlError::BadNumber {
                    element: kind.tag(),
                    text: cut(&text),
                    position: self.pos(),
                };
                if kind == Kind::Sg {
                    PsValue::Single(scalar::parse_float(&text).ok_or_else(bad)?)
                } else {
                    PsValue::Double(scalar::parse_float(&text).ok_or_else(bad)?)
                }
            }
            Kind::BA => PsValue::Bytes(self.base64(kind, empty)?),
            Kind::SS => PsValue::SecureString(super::value::EncryptedSecureString(
                self.base64(kind, empty)?,
            )),
            Kind::G => {
                let text = self.text_of(kind, empty)?;
                PsValue::Guid(uuid::Uuid::try_parse(text.trim()).map_err(|_| {
                    ClixmlError::BadGuid {
                        text: cut(&text),
                        position: self.pos(),
                    }
                })?)
            }
            Kind::URI => PsValue::Uri(self.lossy_text(kind, empty)?),
            Kind::XD => PsValue::XmlDocument(self.lossy_text(kind, empty)?),
            Kind::SBK => PsValue::ScriptBlock(self.lossy_text(kind, empty)?),
            _ => {
                return Err(ClixmlError::NotAValue {
                    name: kind.tag().to_owned(),
                    position: self.pos(),
                });
            }
        })
    }

    // `reference` and `progress` are apart from `value_of` so that their locals do not grow the
    // frame of every nested value: unoptimised builds give each local its own stack slot.

    /// `<Ref>`: the object it names, or a back-reference to an enclosing one.
    fn reference(&mut self, attrs: &Attrs<'_>, empty: bool) -> Result<PsValue, ClixmlError> {
        let ref_id = self.ref_id(attrs, "Ref")?;
        self.expect_end(Kind::Ref, empty)?;
        if let Some(obj) = self.objects.get(&ref_id).map(Arc::clone) {
            self.expand(self.object_sizes.get(&ref_id).copied().unwrap_or(0))?;
            Ok(PsValue::Object(obj))
        } else if let Some((_, slot)) = self.open.iter_mut().rev().find(|(open, _)| *open == ref_id)
        {
            let slot = Arc::clone(slot.get_or_insert_with(Target::default));
            // A back-reference is never expanded: it counts as one byte.
            self.expand(1)?;
            Ok(PsValue::BackRef(BackRef::pending(slot, ref_id)))
        } else {
            Err(ClixmlError::MissingRef {
                ref_id,
                position: self.pos(),
            })
        }
    }

    fn progress(&mut self, empty: bool, depth: usize) -> Result<PsValue, ClixmlError> {
        Ok(PsValue::Progress(Box::new(
            self.progress_record(empty, depth)?,
        )))
    }

    fn object(
        &mut self,
        attrs: &Attrs<'_>,
        empty: bool,
        depth: usize,
    ) -> Result<PsValue, ClixmlError> {
        if depth > self.max_depth {
            return Err(ClixmlError::TooDeep {
                max_depth: self.max_depth,
                position: self.pos(),
            });
        }
        let ref_id = match attrs.ref_id {
            Some(_) => Some(self.ref_id(attrs, "Obj")?),
            None => None,
        };
        let (start, expanded_before) = (self.pos(), self.expanded);
        if let Some(ref_id) = ref_id {
            self.open.push((ref_id, None));
        }
        // On an error the whole document fails, so `open` needs no unwinding.
        let mut obj = PsObject::default();
        if !empty {
            while let Some((child, child_empty)) = self.child()? {
                self.object_child(&mut obj, &child, child_empty, depth)?;
            }
        }
        let slot = match ref_id {
            Some(_) => self.open.pop().and_then(|(_, slot)| slot),
            None => None,
        };
        let obj = Arc::new(obj);
        if let Some(slot) = slot {
            // Set once, here: the slot was made for this object alone.
            let _ = slot.set(Arc::downgrade(&obj));
        }
        if let Some(ref_id) = ref_id {
            if self.objects.insert(ref_id, Arc::clone(&obj)).is_some() {
                return Err(ClixmlError::DuplicateRefId {
                    ref_id,
                    position: self.pos(),
                });
            }
            // At least one byte, so that a reference to an empty object still counts.
            let size = (self.pos().saturating_sub(start) + 1)
                .saturating_add(self.expanded.saturating_sub(expanded_before));
            self.object_sizes.insert(ref_id, size);
        }
        Ok(PsValue::Object(obj))
    }

    /// `<PR>`: the children PowerShell's serializer writes, in its order: `AV` (activity), `AI`
    /// (activity id), the current operation as a value (`<Nil/>` or `<S>`), `PI` (parent
    /// activity id), `PC` (percent complete), `T` (record type), `SR` (seconds remaining), `SD`
    /// (status description).
    fn progress_record(
        &mut self,
        empty: bool,
        depth: usize,
    ) -> Result<ProgressRecord, ClixmlError> {
        if empty {
            return Err(self.bad_progress("is empty"));
        }
        let activity = self.progress_text("AV")?;
        let activity_id = self.progress_number("AI")?;
        let current_operation = match self.child()? {
            Some((e, e_empty)) => match self.value(&e, e_empty, depth)? {
                PsValue::Nil => None,
                PsValue::String(s) => Some(s),
                PsValue::WideString(units) => Some(String::from_utf16_lossy(&units)),
                _ => return Err(self.bad_progress("has a current operation that is not a string")),
            },
            None => return Err(self.bad_progress("lacks its current operation")),
        };
        let parent_activity_id = self.progress_number("PI")?;
        let percent_complete = self.progress_number("PC")?;
        let record_type = self.progress_text("T")?;
        let record_type = ProgressRecordType::from_name(&record_type)
            .ok_or_else(|| self.bad_value(Kind::PR, &record_type))?;
        let seconds_remaining = self.progress_number("SR")?;
        let status_description = self.progress_text("SD")?;
        if let Some((extra, _)) = self.child()? {
            return Err(self.misplaced(&extra, Kind::PR));
        }
        Ok(ProgressRecord {
            activity,
            activity_id,
            status_description,
            current_operation,
            parent_activity_id,
            percent_complete,
            record_type,
            seconds_remaining,
        })
    }

    fn bad_progress(&self, detail: &'static str) -> ClixmlError {
        ClixmlError::BadProgressRecord {
            detail,
            position: self.pos(),
        }
    }

    /// The text of the next child of `<PR>`, which must be `<name>`.
    fn progress_text(&mut self, name: &'static str) -> Result<String, ClixmlError> {
        match self.child()? {
            Some((e, empty)) if e.name().as_ref() == name.as_bytes() => {
                let text = self.text_of(Kind::PR, empty)?;
                Ok(escape::decode_lossy(&text).into_owned())
            }
            Some((e, _)) => Err(self.misplaced(&e, Kind::PR)),
            None => Err(ClixmlError::BadProgressRecord {
                detail: match name {
                    "AV" => "lacks <AV> (activity)",
                    "T" => "lacks <T> (record type)",
                    _ => "lacks <SD> (status description)",
                },
                position: self.pos(),
            }),
        }
    }

    fn progress_number(&mut self, name: &'static str) -> Result<i32, ClixmlError> {
        match self.child()? {
            Some((e, empty)) if e.name().as_ref() == name.as_bytes() => {
                let text = self.text_of(Kind::PR, empty)?;
                text.trim().parse().map_err(|_| ClixmlError::BadNumber {
                    element: name,
                    text: cut(&text),
                    position: self.pos(),
                })
            }
            Some((e, _)) => Err(self.misplaced(&e, Kind::PR)),
            None => Err(ClixmlError::BadProgressRecord {
                detail: match name {
                    "AI" => "lacks <AI> (activity id)",
                    "PI" => "lacks <PI> (parent activity id)",
                    "PC" => "lacks <PC> (percent complete)",
                    _ => "lacks <SR> (seconds remaining)",
                },
                position: self.pos(),
            }),
        }
    }

    /// `<TN>` or `<TNRef>`: the type-name chain. Apart from [`Parser::object_child`] for the
    /// same reason as [`Parser::scalar`].
    fn type_names_of(
        &mut self,
        kind: Kind,
        e: &BytesStart<'a>,
        empty: bool,
    ) -> Result<Arc<[String]>, ClixmlError> {
        Ok(match kind {
            Kind::TN => {
                let attrs = self.attrs(e)?;
                let ref_id = match attrs.ref_id {
                    Some(_) => Some(self.ref_id(&attrs, "TN")?),
                    None => None,
                };
                let mut names = Vec::new();
                if !empty {
                    while let Some((t, t_empty)) = self.child()? {
                        if t.name().as_ref() != b"T" {
                            return Err(self.misplaced(&t, Kind::TN));
                        }
                        names.push(self.lossy_text(Kind::T, t_empty)?);
                    }
                }
                let names: Arc<[String]> = names.into();
                if let Some(ref_id) = ref_id
                    && self.type_names.insert(ref_id, Arc::clone(&names)).is_some()
                {
                    return Err(ClixmlError::DuplicateTypeNameRefId {
                        ref_id,
                        position: self.pos(),
                    });
                }
                names
            }
            Kind::TNRef => {
                let attrs = self.attrs(e)?;
                let ref_id = self.ref_id(&attrs, "TNRef")?;
                self.expect_end(kind, empty)?;
                let names = self.type_names.get(&ref_id).map(Arc::clone).ok_or(
                    ClixmlError::MissingTypeNameRef {
                        ref_id,
                        position: self.pos(),
                    },
                )?;
                // Each name costs its text plus the `<T></T>` around it.
                let size = names.iter().map(|n| n.len() as u64 + 7).sum::<u64>() + 1;
                self.expand(size)?;
                names
            }
            _ => return Err(self.misplaced(e, Kind::Obj)),
        })
    }

    fn object_child(
        &mut self,
        obj: &mut PsObject,
        e: &BytesStart<'a>,
        empty: bool,
        depth: usize,
    ) -> Result<(), ClixmlError> {
        let kind = Kind::of(e.name().as_ref()).ok_or_else(|| self.unknown(e))?;
        match kind {
            Kind::TN | Kind::TNRef => obj.type_names = Some(self.type_names_of(kind, e, empty)?),
            Kind::ToString => obj.to_string = Some(self.lossy_text(kind, empty)?),
            Kind::Props | Kind::MS => {
                let mut props = Vec::new();
                if !empty {
                    while let Some((child, child_empty)) = self.child()? {
                        let child_kind =
                            Kind::of(child.name().as_ref()).ok_or_else(|| self.unknown(&child))?;
                        let attrs = self.attrs(&child)?;
                        let name = self.prop_name(&attrs, child_kind.tag())?;
                        let value =
                            self.value_of(child_kind, &child, Some(attrs), child_empty, depth)?;
                        props.push(Property { name, value });
                    }
                }
                if kind == Kind::Props {
                    obj.adapted = props;
                } else {
                    obj.extended = props;
                }
            }
            Kind::LST | Kind::IE | Kind::STK | Kind::QUE => {
                let mut items = Vec::new();
                if !empty {
                    self.items(&mut items, depth)?;
                }
                obj.content = Some(match kind {
                    Kind::LST => Container::List(items),
                    Kind::IE => Container::Enumerable(items),
                    Kind::STK => Container::Stack(items),
                    _ => Container::Queue(items),
                });
            }
            Kind::DCT => {
                let mut entries = Vec::new();
                if !empty {
                    while let Some((en, en_empty)) = self.child()? {
                        if en.name().as_ref() != b"En" {
                            return Err(self.misplaced(&en, Kind::DCT));
                        }
                        entries.push(self.entry(en_empty, depth)?);
                    }
                }
                obj.content = Some(Container::Dictionary(entries));
            }
            _ => obj.value = Some(self.value_of(kind, e, None, empty, depth)?),
        }
        Ok(())
    }

    fn items(&mut self, items: &mut Vec<PsValue>, depth: usize) -> Result<(), ClixmlError> {
        while let Some((child, child_empty)) = self.child()? {
            items.push(self.value(&child, child_empty, depth)?);
        }
        Ok(())
    }

    fn entry(&mut self, empty: bool, depth: usize) -> Result<(PsValue, PsValue), ClixmlError> {
        let mut key = None;
        let mut value = None;
        if !empty {
            while let Some((child, child_empty)) = self.child()? {
                let kind = Kind::of(child.name().as_ref()).ok_or_else(|| self.unknown(&child))?;
                let attrs = self.attrs(&child)?;
                let is_key = match attrs.name.as_deref() {
                    Some(b"Key") => true,
                    Some(b"Value") => false,
                    _ => return Err(self.misplaced(&child, Kind::En)),
                };
                let item = self.value_of(kind, &child, Some(attrs), child_empty, depth)?;
                if is_key {
                    key = Some(item);
                } else {
                    value = Some(item);
                }
            }
        }
        match (key, value) {
            (Some(k), Some(v)) => Ok((k, v)),
            _ => Err(ClixmlError::IncompleteEntry {
                position: self.pos(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Object `i` lists ten references to object `i - 1`: a few kilobytes standing for 10^29
    /// strings.
    fn nested_references(levels: u32) -> String {
        let mut xml =
            String::from(r#"<Obj RefId="1000"><LST><Obj RefId="0"><LST><S>x</S></LST></Obj>"#);
        for i in 1..levels {
            xml.push_str(&format!(r#"<Obj RefId="{i}"><LST>"#));
            for _ in 0..10 {
                xml.push_str(&format!(r#"<Ref RefId="{}" />"#, i - 1));
            }
            xml.push_str("</LST></Obj>");
        }
        xml.push_str("</LST></Obj>");
        xml
    }

    #[test]
    fn nested_references_that_expand_exponentially_are_refused() {
        let xml = nested_references(30);
        assert!(xml.len() < 8 * 1024);
        match from_slice(xml.as_bytes()) {
            Err(ClixmlError::TooManyReferences { limit, .. }) => {
                assert_eq!(limit, MAX_REF_EXPANSION_FLOOR);
            }
            other => panic!("expected TooManyReferences, got {other:?}"),
        }
    }

    #[test]
    fn a_few_levels_of_references_still_decode_shared() {
        let value = from_slice(nested_references(3).as_bytes()).expect("decodes");
        let PsValue::Object(outer) = value else {
            panic!("not an object")
        };
        let Some(Container::List(items)) = &outer.content else {
            panic!("no list")
        };
        assert_eq!(items.len(), 3);
        let (PsValue::Object(first), PsValue::Object(second)) = (&items[0], &items[1]) else {
            panic!("not objects")
        };
        let Some(Container::List(refs)) = &second.content else {
            panic!("no list")
        };
        assert_eq!(refs.len(), 10);
        for r in refs {
            let PsValue::Object(r) = r else {
                panic!("not an object")
            };
            assert!(Arc::ptr_eq(r, first));
        }
    }

    #[test]
    fn type_name_references_to_a_long_list_are_bounded() {
        // 200 kB of type names named by 10,000 objects: 2 GB once every object carries them.
        let mut xml = String::from(r#"<Obj RefId="0"><TN RefId="0">"#);
        for i in 0..2000 {
            xml.push_str(&format!(
                "<T>System.Type.Name.Padding.To.One.Hundred.Bytes.{i:0>50}</T>"
            ));
        }
        xml.push_str("</TN><LST>");
        for _ in 0..10_000 {
            xml.push_str(r#"<Obj><TNRef RefId="0" /></Obj>"#);
        }
        xml.push_str("</LST></Obj>");
        assert!(matches!(
            from_slice(xml.as_bytes()),
            Err(ClixmlError::TooManyReferences { .. })
        ));
        // The same list named a few times is ordinary reuse.
        let few = xml.replacen(r#"<Obj><TNRef RefId="0" /></Obj>"#, "", 9_990);
        assert!(from_slice(few.as_bytes()).is_ok());
    }
}
