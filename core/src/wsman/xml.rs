//! A namespace-resolved element tree read with quick-xml, and the event writer the builders use.
//!
//! Envelopes are matched by namespace URI, never by prefix: Windows writes `a:`/`w:`/`p:` where
//! pypsrp writes `wsa:`/`wsman:`/`wsmv:`. Envelopes are small and shallow, so a tree is simpler
//! than a streaming match and costs little; the limits below bound what hostile input can make
//! the reader allocate beyond the input itself.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use quick_xml::Writer;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use super::error::WsmanError;

/// Deepest nesting accepted; real envelopes stay under 10.
pub const MAX_DEPTH: usize = 64;
/// Most elements accepted in one document.
pub const MAX_ELEMENTS: usize = 100_000;
/// Most attributes on one element, namespace declarations included; Windows and pypsrp write
/// at most a dozen (on the `Envelope`).
pub const MAX_ATTRIBUTES: usize = 64;
/// Most namespace declarations in scope at once; real envelopes declare about ten.
pub const MAX_NAMESPACES: usize = 128;

/// One attribute, with its namespace resolved (`None` for unprefixed attributes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Namespace URI, if the attribute is prefixed.
    pub namespace: Option<String>,
    /// Local name.
    pub name: String,
    /// Unescaped value.
    pub value: String,
}

/// One element with its namespace resolved. Namespace declarations are not attributes here.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// Namespace URI, if any.
    pub namespace: Option<String>,
    /// Local name.
    pub name: String,
    /// Attributes in document order, without `xmlns` declarations.
    pub attributes: Vec<Attribute>,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// The element's own character data, concatenated and unescaped.
    pub text: String,
}

impl Element {
    /// Whether this element is `{namespace}name`.
    pub fn is(&self, namespace: &str, name: &str) -> bool {
        self.name == name && self.namespace.as_deref() == Some(namespace)
    }

    /// The first child `{namespace}name`.
    pub fn child(&self, namespace: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(namespace, name))
    }

    /// All children `{namespace}name`, in order.
    pub fn children_named<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(namespace, name))
    }

    /// The value of the unprefixed attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.namespace.is_none() && a.name == name)
            .map(|a| a.value.as_str())
    }

    /// The value of the attribute `{namespace}name`.
    pub fn attr_ns(&self, namespace: &str, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.namespace.as_deref() == Some(namespace) && a.name == name)
            .map(|a| a.value.as_str())
    }

    /// `{namespace}name`, for error messages.
    pub(crate) fn qualified(&self) -> String {
        format!(
            "{{{}}}{}",
            self.namespace.as_deref().unwrap_or(""),
            self.name
        )
    }
}

fn malformed(reader: &NsReader<&[u8]>, detail: impl ToString) -> WsmanError {
    WsmanError::Malformed {
        position: reader.buffer_position(),
        detail: detail.to_string(),
    }
}

fn resolved(result: ResolveResult<'_>) -> Result<Option<String>, String> {
    match result {
        ResolveResult::Unbound => Ok(None),
        ResolveResult::Bound(ns) => Ok(Some(String::from_utf8_lossy(ns.as_ref()).into_owned())),
        ResolveResult::Unknown(prefix) => Err(format!(
            "undeclared namespace prefix {:?}",
            String::from_utf8_lossy(&prefix)
        )),
    }
}

/// The number of namespace declarations on `start`, after checking its attribute count: both
/// bound quadratic work, the duplicate-attribute check in [`open`] and prefix resolution, so they
/// are counted without that check.
fn declarations(start: &BytesStart<'_>) -> Result<usize, WsmanError> {
    let mut attributes = 0;
    let mut declarations = 0;
    for attr in start.attributes().with_checks(false) {
        // A malformed attribute is reported by `open`.
        let Ok(attr) = attr else { break };
        attributes += 1;
        if attributes > MAX_ATTRIBUTES {
            return Err(WsmanError::TooManyAttributes {
                limit: MAX_ATTRIBUTES,
            });
        }
        if attr.key.as_namespace_binding().is_some() {
            declarations += 1;
        }
    }
    Ok(declarations)
}

/// Adds `more` declarations to the `in_scope` count, or refuses the document.
fn declare(in_scope: usize, more: usize) -> Result<usize, WsmanError> {
    let total = in_scope + more;
    if total > MAX_NAMESPACES {
        return Err(WsmanError::TooManyNamespaces {
            limit: MAX_NAMESPACES,
        });
    }
    Ok(total)
}

fn open(
    reader: &NsReader<&[u8]>,
    version: XmlVersion,
    start: &BytesStart<'_>,
) -> Result<Element, WsmanError> {
    let (ns, local) = reader.resolver().resolve_element(start.name());
    let namespace = resolved(ns).map_err(|e| malformed(reader, e))?;
    let mut element = Element {
        namespace,
        name: String::from_utf8_lossy(local.as_ref()).into_owned(),
        ..Element::default()
    };
    for attr in start.attributes() {
        let attr = attr.map_err(|e| malformed(reader, e))?;
        let key = attr.key;
        if key.as_namespace_binding().is_some() {
            continue;
        }
        let (ns, local) = reader.resolver().resolve_attribute(key);
        let namespace = resolved(ns).map_err(|e| malformed(reader, e))?;
        // Normalised as the XML specification requires (tabs and line breaks in an attribute
        // value read as spaces), as Windows' own parser does.
        let value = attr
            .decoded_and_normalized_value(version, reader.decoder())
            .map_err(|e| malformed(reader, e))?;
        element.attributes.push(Attribute {
            namespace,
            name: String::from_utf8_lossy(local.as_ref()).into_owned(),
            value: value.into_owned(),
        });
    }
    Ok(element)
}

/// Reads `xml` into a namespace-resolved tree and returns its root element.
///
/// A UTF-8 byte-order mark, the XML declaration, comments and processing instructions are
/// skipped. Content after the root element, other than whitespace, is an error.
pub fn parse(xml: &[u8]) -> Result<Element, WsmanError> {
    let mut reader = NsReader::from_reader(xml);
    let mut stack: Vec<Element> = Vec::new();
    // Declarations made by each open element, and their sum.
    let mut scopes: Vec<usize> = Vec::new();
    let mut in_scope = 0usize;
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    // From the XML declaration, when there is one: line-break and attribute normalisation
    // differ between XML 1.0 and 1.1.
    let mut version = XmlVersion::Implicit1_0;
    loop {
        let event = match reader.read_resolved_event() {
            Ok((_, event)) => event,
            Err(e) => return Err(malformed(&reader, e)),
        };
        match event {
            Event::Start(start) => {
                let declared = declarations(&start)?;
                in_scope = declare(in_scope, declared)?;
                scopes.push(declared);
                let element = open(&reader, version, &start)?;
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(WsmanError::TooManyElements {
                        limit: MAX_ELEMENTS,
                    });
                }
                if root.is_some() {
                    return Err(malformed(&reader, "more than one root element"));
                }
                stack.push(element);
                if stack.len() > MAX_DEPTH {
                    return Err(WsmanError::TooDeep { limit: MAX_DEPTH });
                }
            }
            Event::Empty(start) => {
                declare(in_scope, declarations(&start)?)?;
                let element = open(&reader, version, &start)?;
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(WsmanError::TooManyElements {
                        limit: MAX_ELEMENTS,
                    });
                }
                close(&reader, &mut stack, &mut root, element)?;
            }
            Event::End(_) => {
                let Some(element) = stack.pop() else {
                    return Err(malformed(&reader, "end tag without start tag"));
                };
                in_scope = in_scope.saturating_sub(scopes.pop().unwrap_or(0));
                close(&reader, &mut stack, &mut root, element)?;
            }
            Event::Text(text) => {
                let content = text
                    .xml_content(version)
                    .map_err(|e| malformed(&reader, e))?;
                push_text(&reader, &mut stack, &content)?;
            }
            Event::CData(data) => {
                let content = data
                    .xml_content(version)
                    .map_err(|e| malformed(&reader, e))?;
                push_text(&reader, &mut stack, &content)?;
            }
            Event::GeneralRef(reference) => {
                let ch = if reference.is_char_ref() {
                    reference
                        .resolve_char_ref()
                        .map_err(|e| malformed(&reader, e))?
                        .map(String::from)
                } else {
                    let name = reference.decode().map_err(|e| malformed(&reader, e))?;
                    quick_xml::escape::resolve_predefined_entity(&name).map(String::from)
                };
                let Some(ch) = ch else {
                    return Err(malformed(&reader, "unknown entity reference"));
                };
                push_text(&reader, &mut stack, &ch)?;
            }
            Event::Eof => break,
            Event::Decl(decl) => {
                // XML 1.0 (fifth edition) reads other 1.x versions as 1.0.
                version = decl.xml_version().unwrap_or(XmlVersion::Explicit1_0);
            }
            Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(malformed(&reader, "unexpected end of document"));
    }
    root.ok_or_else(|| malformed(&reader, "no root element"))
}

fn close(
    reader: &NsReader<&[u8]>,
    stack: &mut [Element],
    root: &mut Option<Element>,
    element: Element,
) -> Result<(), WsmanError> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_none() => *root = Some(element),
        None => return Err(malformed(reader, "more than one root element")),
    }
    Ok(())
}

fn push_text(
    reader: &NsReader<&[u8]>,
    stack: &mut [Element],
    text: &str,
) -> Result<(), WsmanError> {
    match stack.last_mut() {
        Some(element) => element.text.push_str(text),
        None if text.trim_start_matches('\u{feff}').trim().is_empty() => {}
        None => return Err(malformed(reader, "text outside the root element")),
    }
    Ok(())
}

/// Writes an envelope event by event; every name and value goes through quick-xml's escaping.
pub(crate) struct XmlOut {
    writer: Writer<Vec<u8>>,
}

impl XmlOut {
    pub(crate) fn new() -> Self {
        Self::with_capacity(0)
    }

    /// A writer whose buffer holds `bytes` before it grows: a Receive response carries
    /// hundreds of kilobytes, and growing by doubling copies them several times.
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        Self {
            writer: Writer::new(Vec::with_capacity(bytes)),
        }
    }

    // Writing into a Vec cannot fail, so the io::Result of each event is dropped.
    fn emit(&mut self, event: Event<'_>) {
        let _ = self.writer.write_event(event);
    }

    pub(crate) fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let mut start = BytesStart::new(name);
        for attr in attrs {
            start.push_attribute(*attr);
        }
        self.emit(Event::Start(start));
    }

    pub(crate) fn end(&mut self, name: &str) {
        self.emit(Event::End(BytesEnd::new(name)));
    }

    pub(crate) fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let mut start = BytesStart::new(name);
        for attr in attrs {
            start.push_attribute(*attr);
        }
        self.emit(Event::Empty(start));
    }

    pub(crate) fn text(&mut self, text: &str) {
        self.emit(Event::Text(BytesText::new(text)));
    }

    /// `<name attrs>text</name>`, or `<name attrs/>` when `text` is empty.
    pub(crate) fn leaf(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        if text.is_empty() {
            self.empty(name, attrs);
        } else {
            self.start(name, attrs);
            self.text(text);
            self.end(name);
        }
    }

    /// `<name attrs>base64 of data</name>`, encoded straight into the buffer: base64 never
    /// needs escaping, and stream data is the bulk of a large envelope.
    pub(crate) fn leaf_base64(&mut self, name: &str, attrs: &[(&str, &str)], data: &[u8]) {
        if data.is_empty() {
            self.empty(name, attrs);
            return;
        }
        self.start(name, attrs);
        let out = self.writer.get_mut();
        let start = out.len();
        out.resize(
            start + base64::encoded_len(data.len(), true).unwrap_or(0),
            0,
        );
        let written = out
            .get_mut(start..)
            .map(|tail| STANDARD.encode_slice(data, tail));
        match written {
            Some(Ok(n)) => out.truncate(start + n),
            _ => {
                out.truncate(start);
                out.extend_from_slice(STANDARD.encode(data).as_bytes());
            }
        }
        self.end(name);
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        self.writer.into_inner()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_element_with_too_many_attributes_is_refused() {
        let attrs: String = (0..=MAX_ATTRIBUTES)
            .map(|i| format!(" a{i}=\"1\""))
            .collect();
        let xml = format!("<root><e{attrs}/></root>");
        assert_eq!(
            parse(xml.as_bytes()),
            Err(WsmanError::TooManyAttributes {
                limit: MAX_ATTRIBUTES
            })
        );
        let fewer: String = (1..MAX_ATTRIBUTES)
            .map(|i| format!(" a{i}=\"1\""))
            .collect();
        let root = parse(format!("<root><e{fewer}/></root>").as_bytes()).expect("parses");
        assert_eq!(root.children[0].attributes.len(), MAX_ATTRIBUTES - 1);
    }

    /// Declarations spread over nested elements, each under the attribute limit.
    fn nested_declarations(levels: usize, per_level: usize) -> String {
        let mut xml = String::new();
        for level in 0..levels {
            xml.push_str("<p0:e");
            for i in 0..per_level {
                xml.push_str(&format!(" xmlns:p{i}=\"urn:{level}:{i}\""));
            }
            xml.push('>');
        }
        xml.push_str(&"</p0:e>".repeat(levels));
        xml
    }

    #[test]
    fn too_many_namespace_declarations_in_scope_are_refused() {
        let xml = nested_declarations(MAX_NAMESPACES / 32 + 1, 32);
        assert_eq!(
            parse(xml.as_bytes()),
            Err(WsmanError::TooManyNamespaces {
                limit: MAX_NAMESPACES
            })
        );
        let root = parse(nested_declarations(MAX_NAMESPACES / 32, 32).as_bytes()).expect("parses");
        assert_eq!(root.namespace.as_deref(), Some("urn:0:0"));
    }

    #[test]
    fn declarations_leave_scope_with_their_element() {
        // Siblings declaring 60 prefixes each: never more than 60 in scope.
        let sibling: String = (0..60)
            .map(|i| format!(" xmlns:p{i}=\"urn:{i}\""))
            .collect();
        let xml = format!(
            "<root>{}</root>",
            format!("<p1:e{sibling}/><p2:f{sibling}></p2:f>").repeat(10)
        );
        let root = parse(xml.as_bytes()).expect("parses");
        assert_eq!(root.children.len(), 20);
        assert_eq!(root.children[19].namespace.as_deref(), Some("urn:2"));
    }

    #[test]
    fn attribute_values_are_normalised_and_text_line_ends_too() {
        // XML 1.0 section 3.3.3: a literal tab or line break in an attribute value reads as a
        // space; a character reference keeps the character. Section 2.11: CR LF in text reads LF.
        let root = parse(b"<root a=\"x\ty\r\nz\" b=\"x&#9;y\">l1\r\nl2</root>").expect("parses");
        assert_eq!(root.attr("a"), Some("x y z"));
        assert_eq!(root.attr("b"), Some("x\ty"));
        assert_eq!(root.text, "l1\nl2");
        let v11 =
            parse("<?xml version=\"1.1\"?><root a=\"x\u{85}y\"/>".as_bytes()).expect("parses");
        assert_eq!(v11.attr("a"), Some("x y"));
    }
}
