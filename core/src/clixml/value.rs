//! The CLIXML object model: every value PSRP carries ([MS-PSRP] 2.2.5).

use std::sync::Arc;

use rust_decimal::Decimal;
use uuid::Uuid;

/// One serialized value: a primitive ([MS-PSRP] 2.2.5.1) or a complex object (2.2.5.2).
///
/// Objects are reference counted so that a `<Ref RefId=".."/>` costs one pointer copy, and so that
/// decoded results can be shared between threads.
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq, Default)]
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
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
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

    /// The object, when this is an `<Obj>`.
    pub fn as_object(&self) -> Option<&PsObject> {
        match self {
            PsValue::Object(o) => Some(o),
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
