//! Reading and building the property bags message bodies are made of.

use std::sync::Arc;

use crate::clixml::{Container, Property, PsObject, PsValue, PsVersion};

use super::super::error::PsrpError;
use super::super::message::MessageType;

/// The object a message body must be.
pub(super) fn body(mt: MessageType, v: &PsValue) -> Result<&PsObject, PsrpError> {
    v.as_object().ok_or(PsrpError::InvalidProperty {
        message_type: mt,
        property: "(body)",
        expected: "an object",
    })
}

/// Typed property access that names the message and property in its errors.
pub(super) struct Props<'a> {
    pub(super) mt: MessageType,
    pub(super) obj: &'a PsObject,
}

impl<'a> Props<'a> {
    pub(super) fn of(mt: MessageType, v: &'a PsValue) -> Result<Self, PsrpError> {
        Ok(Props {
            mt,
            obj: body(mt, v)?,
        })
    }

    pub(super) fn invalid(&self, property: &'static str, expected: &'static str) -> PsrpError {
        PsrpError::InvalidProperty {
            message_type: self.mt,
            property,
            expected,
        }
    }

    /// The property `name`. PowerShell matches property names without regard to case, and
    /// some clients send `CI` for `ci`: an exact match wins, then a case-insensitive one.
    pub(super) fn get(&self, name: &str) -> Option<&'a PsValue> {
        self.obj.property(name).or_else(|| {
            self.obj
                .properties()
                .find(|p| p.name.eq_ignore_ascii_case(name))
                .map(|p| &p.value)
        })
    }

    /// The property, `None` when absent or `<Nil/>`.
    pub(super) fn opt(&self, name: &str) -> Option<&'a PsValue> {
        self.get(name).filter(|v| !v.is_nil())
    }

    pub(super) fn req(&self, name: &'static str) -> Result<&'a PsValue, PsrpError> {
        self.get(name).ok_or(PsrpError::MissingProperty {
            message_type: self.mt,
            property: name,
        })
    }

    pub(super) fn i64(&self, name: &'static str) -> Result<i64, PsrpError> {
        self.req(name)?
            .as_i64()
            .ok_or_else(|| self.invalid(name, "an integer"))
    }

    pub(super) fn i32(&self, name: &'static str) -> Result<i32, PsrpError> {
        i32::try_from(self.i64(name)?).map_err(|_| self.invalid(name, "a 32-bit integer"))
    }

    pub(super) fn opt_i32(&self, name: &'static str) -> Result<Option<i32>, PsrpError> {
        match self.opt(name) {
            None => Ok(None),
            Some(_) => self.i32(name).map(Some),
        }
    }

    pub(super) fn bool(&self, name: &'static str) -> Result<bool, PsrpError> {
        self.req(name)?
            .as_bool()
            .ok_or_else(|| self.invalid(name, "a boolean"))
    }

    pub(super) fn opt_bool(&self, name: &'static str) -> Result<Option<bool>, PsrpError> {
        match self.opt(name) {
            None => Ok(None),
            Some(_) => self.bool(name).map(Some),
        }
    }

    pub(super) fn string(&self, name: &'static str) -> Result<String, PsrpError> {
        self.req(name)?
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| self.invalid(name, "a string"))
    }

    pub(super) fn opt_string(&self, name: &'static str) -> Result<Option<String>, PsrpError> {
        match self.opt(name) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(|s| Some(s.to_owned()))
                .ok_or_else(|| self.invalid(name, "a string")),
        }
    }

    pub(super) fn version(&self, name: &'static str) -> Result<PsVersion, PsrpError> {
        match self.req(name)? {
            PsValue::Version(v) => Ok(*v),
            PsValue::Object(o) => match &o.value {
                Some(PsValue::Version(v)) => Ok(*v),
                _ => Err(self.invalid(name, "a Version")),
            },
            _ => Err(self.invalid(name, "a Version")),
        }
    }

    pub(super) fn enumeration<T>(
        &self,
        name: &'static str,
        from_value: fn(i64) -> Option<T>,
        expected: &'static str,
    ) -> Result<T, PsrpError> {
        from_value(self.i64(name)?).ok_or_else(|| self.invalid(name, expected))
    }

    pub(super) fn list(&self, name: &'static str) -> Result<&'a [PsValue], PsrpError> {
        self.req(name)?
            .as_list()
            .ok_or_else(|| self.invalid(name, "a list"))
    }
}

/// A property bag without type names: how message bodies carry their fields (`<MS>`).
pub(super) fn note_object(props: Vec<Property>) -> PsValue {
    PsValue::object(PsObject {
        extended: props,
        ..PsObject::default()
    })
}

/// A type-name chain.
pub(super) fn type_names(names: &[&str]) -> Option<Arc<[String]>> {
    Some(names.iter().map(|s| (*s).to_owned()).collect())
}

/// A list object with the given type names.
pub(super) fn list_object(names: &[&str], items: Vec<PsValue>) -> PsValue {
    PsValue::object(PsObject {
        type_names: type_names(names),
        content: Some(Container::List(items)),
        ..PsObject::default()
    })
}

/// An optional value as a property: `<Nil/>` when absent.
pub(super) fn or_nil<T: Into<PsValue>>(v: Option<T>) -> PsValue {
    v.map_or(PsValue::Nil, Into::into)
}

/// Defines a .NET enum carried as `<Obj><TN>..</TN><ToString>Name</ToString><I32>n</I32></Obj>`.
macro_rules! dotnet_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $type_name:literal, { $($(#[$vdoc:meta])* $variant:ident = $value:literal,)* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant = $value,)*
        }

        impl $name {
            /// The .NET type name.
            pub const TYPE_NAME: &'static str = $type_name;

            /// The .NET number.
            pub fn value(self) -> i32 {
                self as i32
            }

            /// The member for a .NET number.
            pub fn from_value(v: i64) -> Option<Self> {
                match v {
                    $($value => Some($name::$variant),)*
                    _ => None,
                }
            }

            /// The .NET member name (what `ToString()` gives).
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => stringify!($variant),)*
                }
            }

            /// The CLIXML enum object .NET serializes.
            pub fn to_clixml(self) -> crate::clixml::PsValue {
                crate::clixml::enum_value(
                    &[$type_name, "System.Enum", "System.ValueType", "System.Object"],
                    self.name(),
                    self.value(),
                )
            }
        }
    };
}

pub(super) use dotnet_enum;
