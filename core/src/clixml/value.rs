//! The CLIXML object model: every value PSRP carries ([MS-PSRP] 2.2.5).

use std::sync::{Arc, OnceLock, Weak};

use rust_decimal::Decimal;
use uuid::Uuid;

/// One serialized value: a primitive ([MS-PSRP] 2.2.5.1) or a complex object (2.2.5.2).
///
/// Objects are reference counted so that a `<Ref RefId=".."/>` costs one pointer copy, and so that
/// decoded results can be shared between threads. A `<Ref>` to an object that encloses it (a
/// reference cycle) is a [`PsValue::BackRef`], which does not own its target: cyclic values
/// never leak, and walking a value (comparison, JSON, `Debug`) stops at back-references.
#[derive(Debug, Clone)]
pub enum PsValue {
    /// `<Nil/>`: a null reference.
    Nil,
    /// `<S>`: a string that is valid Unicode.
    String(String),
    /// `<S>` holding a lone UTF-16 surrogate, which a Rust `String` cannot hold. Rare; kept as UTF-16
    /// code units so that nothing is lost on a round trip.
    WideString(Vec<u16>),
    /// `<C>`: a .NET `System.Char`, one UTF-16 code unit (it may be a lone surrogate).
    Char(u16),
    /// `<B>`
    Bool(bool),
    /// `<DT>`
    DateTime(PsDateTime),
    /// `<TS>`: a `System.TimeSpan`, written as an xs:duration.
    Duration(PsDuration),
    /// `<By>`: `System.Byte`.
    U8(u8),
    /// `<SB>`: `System.SByte`.
    I8(i8),
    /// `<U16>`
    U16(u16),
    /// `<I16>`
    I16(i16),
    /// `<U32>`
    U32(u32),
    /// `<I32>`
    I32(i32),
    /// `<U64>`
    U64(u64),
    /// `<I64>`
    I64(i64),
    /// `<Sg>`: `System.Single`.
    Single(f32),
    /// `<Db>`: `System.Double`.
    Double(f64),
    /// `<D>`: `System.Decimal` (96-bit mantissa and a scale, like `rust_decimal`).
    Decimal(Decimal),
    /// `<BA>`: a byte array, base64 on the wire.
    Bytes(Vec<u8>),
    /// `<G>`
    Guid(Uuid),
    /// `<URI>`
    Uri(String),
    /// `<Version>`
    Version(PsVersion),
    /// `<XD>`: an XML document, kept as text.
    XmlDocument(String),
    /// `<SBK>`: a script block, kept as text.
    ScriptBlock(String),
    /// `<SS>`: a SecureString, encrypted with the session key (AES-256-CBC). Decrypt it with
    /// [`crate::psrp::SessionKey`].
    SecureString(EncryptedSecureString),
    /// `<Obj>`: a complex object (property bags, containers, enums, extended primitives).
    Object(Arc<PsObject>),
    /// `<Ref>` to an object that encloses this value: an Exchange `ADObjectId` whose
    /// `DomainId` is itself, a PSDrive whose provider lists the same drive.
    BackRef(BackRef),
    /// `<PR>`: a `System.Management.Automation.ProgressRecord`, a known type of PowerShell's
    /// serializer (progress records in `powershell.exe -OutputFormat xml` streams).
    Progress(Box<ProgressRecord>),
}

/// A reference from inside an object to the object itself or to one that encloses it.
///
/// It holds a weak pointer: the enclosing [`PsObject`] owns the value, not the other way round,
/// so a cyclic value is freed like any other. [`BackRef::object`] gives the target while
/// anything else keeps it alive (the value it was decoded with, normally).
#[derive(Clone)]
pub struct BackRef {
    /// Filled when the target is complete: the reader meets the reference before the object it
    /// names exists, and sets the pointer once it does.
    target: Arc<OnceLock<Weak<PsObject>>>,
    ref_id: u32,
}

impl BackRef {
    /// A back-reference to `target` (from [`Arc::new_cyclic`] or [`Arc::downgrade`]), labelled
    /// `ref_id` in JSON. The CLIXML writer numbers objects itself and ignores the label.
    pub fn new(target: &Weak<PsObject>, ref_id: u32) -> Self {
        BackRef {
            target: Arc::new(OnceLock::from(Weak::clone(target))),
            ref_id,
        }
    }

    /// A back-reference whose target is set through `slot` once it is built.
    pub(crate) fn pending(slot: Arc<OnceLock<Weak<PsObject>>>, ref_id: u32) -> Self {
        BackRef {
            target: slot,
            ref_id,
        }
    }

    /// The `RefId` of the target in the document it was read from.
    pub fn ref_id(&self) -> u32 {
        self.ref_id
    }

    /// The target, unless every owner of it has been dropped.
    pub fn object(&self) -> Option<Arc<PsObject>> {
        self.target.get()?.upgrade()
    }

    /// Whether this refers to `obj`.
    pub fn refers_to(&self, obj: &Arc<PsObject>) -> bool {
        self.object()
            .is_some_and(|target| Arc::ptr_eq(&target, obj))
    }
}

impl std::fmt::Debug for BackRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BackRef(RefId {})", self.ref_id)
    }
}

/// A `System.Management.Automation.ProgressRecord`: the `<PR>` element, and the body of a PSRP
/// PROGRESS_RECORD message ([MS-PSRP] 2.2.2.25).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressRecord {
    /// `Activity`.
    pub activity: String,
    /// `ActivityId`.
    pub activity_id: i32,
    /// `StatusDescription`.
    pub status_description: String,
    /// `CurrentOperation`.
    pub current_operation: Option<String>,
    /// `ParentActivityId`: -1 for a top-level activity.
    pub parent_activity_id: i32,
    /// `PercentComplete`: -1 when unknown.
    pub percent_complete: i32,
    /// `Type`.
    pub record_type: ProgressRecordType,
    /// `SecondsRemaining`: -1 when unknown.
    pub seconds_remaining: i32,
}

/// Whether an activity goes on or is complete (`System.Management.Automation.ProgressRecordType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProgressRecordType {
    /// The activity goes on.
    Processing = 0,
    /// The activity is complete.
    Completed = 1,
}

impl ProgressRecordType {
    /// The .NET type name.
    pub const TYPE_NAME: &'static str = "System.Management.Automation.ProgressRecordType";

    /// The .NET number.
    pub fn value(self) -> i32 {
        self as i32
    }

    /// The member for a .NET number.
    pub fn from_value(v: i64) -> Option<Self> {
        match v {
            0 => Some(ProgressRecordType::Processing),
            1 => Some(ProgressRecordType::Completed),
            _ => None,
        }
    }

    /// The .NET member name (what `ToString()` gives, and what `<PR>` carries in `<T>`).
    pub fn name(self) -> &'static str {
        match self {
            ProgressRecordType::Processing => "Processing",
            ProgressRecordType::Completed => "Completed",
        }
    }

    /// The member for a name (case-insensitive) or a number, as .NET's `Enum.Parse` reads one.
    pub fn from_name(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("Processing") {
            Some(ProgressRecordType::Processing)
        } else if text.eq_ignore_ascii_case("Completed") {
            Some(ProgressRecordType::Completed)
        } else {
            text.parse().ok().and_then(Self::from_value)
        }
    }

    /// The CLIXML enum object .NET serializes.
    pub fn to_clixml(self) -> PsValue {
        super::values::enum_value(
            &[
                Self::TYPE_NAME,
                "System.Enum",
                "System.ValueType",
                "System.Object",
            ],
            self.name(),
            self.value(),
        )
    }
}

/// A `System.DateTime` as PowerShell serializes it: wall-clock ticks plus what the text said about
/// the offset, so that a round trip gives the same text back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PsDateTime {
    /// 100-nanosecond ticks since 0001-01-01T00:00:00 of the wall-clock time written in the text
    /// (before any offset is applied), as .NET's `DateTime.Ticks`.
    pub ticks: i64,
    /// Which zone the wall-clock time is in.
    pub kind: DateTimeKind,
}

/// The zone marker at the end of a serialized `DateTime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateTimeKind {
    /// No marker (`DateTimeKind.Unspecified`).
    Unspecified,
    /// `Z` (`DateTimeKind.Utc`).
    Utc,
    /// `+hh:mm` / `-hh:mm` (`DateTimeKind.Local`): the offset in minutes east of UTC.
    Local(i16),
}

/// A `System.TimeSpan`: signed 100-nanosecond ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PsDuration {
    /// 100-nanosecond ticks; negative for a negative duration.
    pub ticks: i64,
}

/// A `System.Version`: two to four components.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PsVersion {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
    /// Build number, when present.
    pub build: Option<u32>,
    /// Revision, when present (only with a build number).
    pub revision: Option<u32>,
}

/// The ciphertext of a SecureString as it travels: AES-256-CBC with the session key, zero IV.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptedSecureString(pub Vec<u8>);

impl std::fmt::Debug for EncryptedSecureString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EncryptedSecureString({} bytes)", self.0.len())
    }
}

/// A complex object: `<Obj>` ([MS-PSRP] 2.2.5.2).
#[derive(Debug, Clone, Default)]
pub struct PsObject {
    /// The type-name chain, most derived first (`<TN>`); shared between objects that reuse it
    /// through `<TNRef>`.
    pub type_names: Option<Arc<[String]>>,
    /// `<ToString>`
    pub to_string: Option<String>,
    /// The object's own value: an enum's number, or the primitive an extended primitive wraps.
    pub value: Option<PsValue>,
    /// A container: `<LST>`, `<IE>`, `<STK>`, `<QUE>` or `<DCT>`.
    pub content: Option<Container>,
    /// Adapted properties (`<Props>`), in wire order.
    pub adapted: Vec<Property>,
    /// Extended properties (`<MS>`), in wire order.
    pub extended: Vec<Property>,
}

/// The container an object may hold.
#[derive(Debug, Clone)]
pub enum Container {
    /// `<LST>`: a list (`System.Collections.ArrayList`, arrays).
    List(Vec<PsValue>),
    /// `<IE>`: any other enumerable.
    Enumerable(Vec<PsValue>),
    /// `<STK>`: a stack, top first as serialized.
    Stack(Vec<PsValue>),
    /// `<QUE>`: a queue, head first.
    Queue(Vec<PsValue>),
    /// `<DCT>`: a dictionary, entries in wire order.
    Dictionary(Vec<(PsValue, PsValue)>),
}

/// One named property of an object.
#[derive(Debug, Clone)]
pub struct Property {
    /// The property name (the `N` attribute).
    pub name: String,
    /// Its value.
    pub value: PsValue,
}

impl PsObject {
    /// The property `name`, looked up in the extended properties first, then the adapted ones
    /// (PowerShell's own precedence).
    pub fn property(&self, name: &str) -> Option<&PsValue> {
        self.extended
            .iter()
            .chain(self.adapted.iter())
            .find(|p| p.name == name)
            .map(|p| &p.value)
    }

    /// All properties, extended then adapted.
    pub fn properties(&self) -> impl Iterator<Item = &Property> {
        self.extended.iter().chain(self.adapted.iter())
    }

    /// Whether the type-name chain contains `name`.
    pub fn is_type(&self, name: &str) -> bool {
        self.type_names
            .as_deref()
            .is_some_and(|names| names.iter().any(|n| n == name))
    }

    /// The enum value of an enum object: its number, when the object wraps an integer.
    pub fn enum_value(&self) -> Option<i64> {
        self.value.as_ref().and_then(PsValue::as_i64)
    }
}

impl PsValue {
    /// The text of a `String`, or of an extended primitive wrapping one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            PsValue::String(s) => Some(s),
            PsValue::Object(o) => o.value.as_ref().and_then(PsValue::as_str),
            _ => None,
        }
    }

    /// The value of any integer variant (and of enums) that fits an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            PsValue::U8(v) => Some(v.into()),
            PsValue::I8(v) => Some(v.into()),
            PsValue::U16(v) => Some(v.into()),
            PsValue::I16(v) => Some(v.into()),
            PsValue::U32(v) => Some(v.into()),
            PsValue::I32(v) => Some(v.into()),
            PsValue::U64(v) => i64::try_from(v).ok(),
            PsValue::I64(v) => Some(v),
            PsValue::Object(ref o) => o.value.as_ref().and_then(PsValue::as_i64),
            _ => None,
        }
    }

    /// A `Bool`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            PsValue::Bool(b) => Some(*b),
            PsValue::Object(o) => o.value.as_ref().and_then(PsValue::as_bool),
            _ => None,
        }
    }

    /// A `Guid`.
    pub fn as_guid(&self) -> Option<Uuid> {
        match self {
            PsValue::Guid(g) => Some(*g),
            PsValue::Object(o) => o.value.as_ref().and_then(PsValue::as_guid),
            _ => None,
        }
    }

    /// The object, when this is an `<Obj>`. A [`PsValue::BackRef`] gives `None` here; its
    /// [`BackRef::object`] gives the object it refers back to.
    pub fn as_object(&self) -> Option<&PsObject> {
        match self {
            PsValue::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The object an `<Obj>` or a back-reference stands for.
    pub fn to_object(&self) -> Option<Arc<PsObject>> {
        match self {
            PsValue::Object(o) => Some(Arc::clone(o)),
            PsValue::BackRef(r) => r.object(),
            _ => None,
        }
    }

    /// The items of a list-like container (`LST`, `IE`, `STK`, `QUE`).
    pub fn as_list(&self) -> Option<&[PsValue]> {
        match self.as_object()?.content.as_ref()? {
            Container::List(v)
            | Container::Enumerable(v)
            | Container::Stack(v)
            | Container::Queue(v) => Some(v),
            Container::Dictionary(_) => None,
        }
    }

    /// The entries of a dictionary.
    pub fn as_dict(&self) -> Option<&[(PsValue, PsValue)]> {
        match self.as_object()?.content.as_ref()? {
            Container::Dictionary(d) => Some(d),
            _ => None,
        }
    }

    /// A property of an object value (see [`PsObject::property`]).
    pub fn property(&self, name: &str) -> Option<&PsValue> {
        self.as_object()?.property(name)
    }

    /// Wraps an object.
    pub fn object(obj: PsObject) -> Self {
        PsValue::Object(Arc::new(obj))
    }

    /// Whether this is `Nil`.
    pub fn is_nil(&self) -> bool {
        matches!(self, PsValue::Nil)
    }
}

impl From<&str> for PsValue {
    fn from(s: &str) -> Self {
        PsValue::String(s.to_owned())
    }
}

impl From<String> for PsValue {
    fn from(s: String) -> Self {
        PsValue::String(s)
    }
}

impl From<bool> for PsValue {
    fn from(b: bool) -> Self {
        PsValue::Bool(b)
    }
}

impl From<i32> for PsValue {
    fn from(v: i32) -> Self {
        PsValue::I32(v)
    }
}

impl From<i64> for PsValue {
    fn from(v: i64) -> Self {
        PsValue::I64(v)
    }
}

impl From<Uuid> for PsValue {
    fn from(v: Uuid) -> Self {
        PsValue::Guid(v)
    }
}

impl From<PsObject> for PsValue {
    fn from(o: PsObject) -> Self {
        PsValue::object(o)
    }
}

impl Property {
    /// A property named `name` with `value`.
    pub fn new(name: impl Into<String>, value: impl Into<PsValue>) -> Self {
        Property {
            name: name.into(),
            value: value.into(),
        }
    }
}
