//! Errors of the CLIXML reader ([MS-PSRP] 2.2.5).

/// Why a CLIXML document could not be decoded.
///
/// `position` fields are byte offsets into the input (after any byte-order mark; for UTF-16
/// input, into its UTF-8 conversion), pointing at or just past the offending construct.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClixmlError {
    /// The XML itself is malformed (mismatched tags, bad attribute syntax, ...).
    #[error("malformed XML at byte {position}: {source}")]
    Xml {
        /// Where the XML parser stopped.
        position: u64,
        /// What the XML parser reported.
        #[source]
        source: quick_xml::Error,
    },
    /// The input ended inside an element, or held no element at all.
    #[error("CLIXML ends unexpectedly at byte {position}")]
    UnexpectedEof {
        /// Length of the input.
        position: u64,
    },
    /// An element name that CLIXML does not define.
    #[error("unknown CLIXML element <{name}> at byte {position}")]
    UnknownElement {
        /// The element name as written.
        name: String,
        /// Where the element ends.
        position: u64,
    },
    /// A known element in a place where it is not allowed (e.g. `<T>` inside `<Props>`).
    #[error("element <{name}> not allowed inside <{parent}> at byte {position}")]
    UnexpectedElement {
        /// The element name as written.
        name: String,
        /// The enclosing element.
        parent: &'static str,
        /// Where the element ends.
        position: u64,
    },
    /// A structural element (`<Props>`, `<TN>`, `<Objs>`, ...) where a value must stand (at the
    /// top level, in a list, as a property).
    #[error("element <{name}> is not a value, at byte {position}")]
    NotAValue {
        /// The element name as written.
        name: String,
        /// Where the element ends.
        position: u64,
    },
    /// Character data where only elements may appear, or more than one top-level value.
    #[error("unexpected content at byte {position}")]
    UnexpectedContent {
        /// Where the content ends.
        position: u64,
    },
    /// Text that is not valid UTF-8.
    #[error("invalid UTF-8 at byte {position}")]
    Utf8 {
        /// Where the text ends.
        position: u64,
    },
    /// An entity reference other than the five XML ones or a character reference.
    #[error("unknown or invalid entity reference &{name}; at byte {position}")]
    BadEntity {
        /// The entity name.
        name: String,
        /// Where the reference ends.
        position: u64,
    },
    /// An integer, float or decimal element whose text is not a number of its type.
    #[error("invalid number {text:?} in <{element}> at byte {position}")]
    BadNumber {
        /// The element name.
        element: &'static str,
        /// The text (cut to 64 characters).
        text: String,
        /// Where the element ends.
        position: u64,
    },
    /// A `<G>` whose text is not a GUID.
    #[error("invalid GUID {text:?} at byte {position}")]
    BadGuid {
        /// The text (cut to 64 characters).
        text: String,
        /// Where the element ends.
        position: u64,
    },
    /// A `<BA>` or `<SS>` whose text is not base64.
    #[error("invalid base64 in <{element}> at byte {position}: {source}")]
    BadBase64 {
        /// The element name.
        element: &'static str,
        /// Where the element ends.
        position: u64,
        /// What the decoder reported.
        #[source]
        source: base64::DecodeError,
    },
    /// Any other primitive (`B`, `C`, `DT`, `TS`, `Version`) whose text does not parse.
    #[error("invalid value {text:?} in <{element}> at byte {position}")]
    BadValue {
        /// The element name.
        element: &'static str,
        /// The text (cut to 64 characters).
        text: String,
        /// Where the element ends.
        position: u64,
    },
    /// Objects nest deeper than [`crate::clixml::Reader::max_depth`].
    #[error("objects nest deeper than {max_depth} levels at byte {position}")]
    TooDeep {
        /// The configured bound.
        max_depth: usize,
        /// Where the too-deep object starts.
        position: u64,
    },
    /// `<Ref>` and `<TNRef>` elements would expand the document beyond
    /// [`crate::clixml::MAX_REF_EXPANSION_FLOOR`] bytes or four times its size: a few
    /// kilobytes of nested references can otherwise stand for an exponential tree, which every
    /// walk of the value (JSON, bindings, comparison) would expand.
    #[error("references expand the document beyond {limit} bytes at byte {position}")]
    TooManyReferences {
        /// The bound for this document.
        limit: u64,
        /// Where the reference that crossed it ends.
        position: u64,
    },
    /// A required attribute (`RefId`, or `N` on a property) is missing.
    #[error("<{element}> lacks the {attribute} attribute at byte {position}")]
    MissingAttribute {
        /// The element name.
        element: &'static str,
        /// The attribute name.
        attribute: &'static str,
        /// Where the element ends.
        position: u64,
    },
    /// A `RefId` attribute that is not a non-negative integer.
    #[error("invalid RefId {text:?} at byte {position}")]
    BadRefId {
        /// The attribute text (cut to 64 characters).
        text: String,
        /// Where the element ends.
        position: u64,
    },
    /// Two `<Obj>` elements with the same `RefId`.
    #[error("duplicate object RefId {ref_id} at byte {position}")]
    DuplicateRefId {
        /// The repeated id.
        ref_id: u32,
        /// Where the second object ends.
        position: u64,
    },
    /// A `<Ref>` naming no earlier object and no object that encloses it.
    #[error("<Ref RefId=\"{ref_id}\"> names no earlier or enclosing object at byte {position}")]
    MissingRef {
        /// The id referenced.
        ref_id: u32,
        /// Where the reference ends.
        position: u64,
    },
    /// Two `<TN>` elements with the same `RefId`.
    #[error("duplicate type-name RefId {ref_id} at byte {position}")]
    DuplicateTypeNameRefId {
        /// The repeated id.
        ref_id: u32,
        /// Where the second `<TN>` ends.
        position: u64,
    },
    /// A `<TNRef>` naming no earlier `<TN>`.
    #[error("<TNRef RefId=\"{ref_id}\"> names no earlier type-name list at byte {position}")]
    MissingTypeNameRef {
        /// The id referenced.
        ref_id: u32,
        /// Where the reference ends.
        position: u64,
    },
    /// A `<PR>` (progress record) without one of the children PowerShell writes, or with a
    /// current operation that is not a string.
    #[error("progress record <PR> {detail} at byte {position}")]
    BadProgressRecord {
        /// What is wrong.
        detail: &'static str,
        /// Where the record ends.
        position: u64,
    },
    /// Input that starts as UTF-16 (byte-order mark) but is not valid UTF-16: an odd number of
    /// bytes or an unpaired surrogate (CLIXML writes those as `_xD800_` escapes, never raw).
    #[error(
        "invalid UTF-16 at byte {position} of the input; save the file as UTF-8 or UTF-16 with a byte-order mark"
    )]
    Utf16 {
        /// Byte offset after the byte-order mark.
        position: u64,
    },
    /// A `<DCT>` entry (`<En>`) without its `Key` or `Value` element.
    #[error("dictionary entry without Key or Value at byte {position}")]
    IncompleteEntry {
        /// Where the entry ends.
        position: u64,
    },
}
