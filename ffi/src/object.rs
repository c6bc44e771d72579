//! `mx_object`: one value of a command's output, borrowed from its `mx_result` (or from the
//! streaming callback's call), read as JSON or through typed accessors.

use std::ffi::c_char;

use mx_core::clixml::{PsValue, to_json_string};

use crate::boundary::{
    Castable, Out, OwnershipRef, ffi_result, ffi_value, to_borrowed_ptr, try_ref, try_str,
};
use crate::error::{FfiError, mx_error, mx_result_code};
use crate::strings::{mx_str, mx_string, new_mx_string};

/// A value: an output object, or a property of one (which may itself be an object, a list,
/// a string or a number). Borrowed: valid as long as the `mx_result` it came from (or, in a
/// streaming callback, until the callback returns); never freed by the caller. Immutable, so
/// any thread may read it while its owner lives.
pub struct mx_object {
    _private: [u8; 0],
}

impl Castable for mx_object {
    type RustType = PsValue;
    type Ownership = OwnershipRef;
}

/// Lends `value` to C.
pub(crate) fn lend(value: &PsValue) -> *const mx_object {
    to_borrowed_ptr::<mx_object>(value)
}

fn value<'a>(object: *const mx_object) -> Result<&'a PsValue, FfiError> {
    // SAFETY: every accessor's documentation requires `object` to be NULL or an object whose
    // owner is still alive.
    unsafe { try_ref(object, "object") }
}

fn property<'a>(
    object: *const mx_object,
    name: *const c_char,
    name_len: usize,
) -> Result<&'a PsValue, FfiError> {
    let value = value(object)?;
    // SAFETY: the documentation requires `name` to point at `name_len` bytes.
    let name = unsafe { try_str(name, name_len, "name") }?;
    value.property(name).ok_or_else(|| {
        FfiError::new(
            mx_result_code::MX_NO_SUCH_PROPERTY,
            format!("the object has no property `{name}`"),
        )
    })
}

fn wrong_type(expected: &str) -> FfiError {
    FfiError::new(
        mx_result_code::MX_WRONG_TYPE,
        format!("the value is not {expected}"),
    )
}

/// The text a string accessor reads: a string, or the `ToString` an object carries (enums
/// such as RecipientTypeDetails, identities such as a mailbox's Database).
fn text(v: &PsValue) -> Option<&str> {
    v.as_str()
        .or_else(|| v.as_object().and_then(|o| o.to_string.as_deref()))
}

/// The text of `v` as PowerShell would print a scalar.
fn display(v: &PsValue) -> String {
    if let Some(t) = text(v) {
        return t.to_owned();
    }
    match v {
        PsValue::Nil => String::new(),
        PsValue::Bool(true) => "True".to_owned(),
        PsValue::Bool(false) => "False".to_owned(),
        other => match other.as_i64() {
            Some(i) => i.to_string(),
            // Dates, GUIDs, versions, lists: their JSON text without quotes for strings.
            None => match mx_core::clixml::to_json(other) {
                serde_json::Value::String(s) => s,
                json => json.to_string(),
            },
        },
    }
}

/// The object as JSON text (the core's mapping: properties by name, plus `$type`, `$toString`
/// and `$value` keys; SecureStrings never shown). The caller owns `*out` and frees it with
/// `mx_string_free`.
#[unsafe(no_mangle)]
pub extern "C" fn mx_object_json(
    object: *const mx_object,
    out: *mut *mut mx_string,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        let json = to_json_string(value(object)?);
        out.write(new_mx_string(json));
        Ok(())
    })
}

/// The object's text as PowerShell shows it: its `ToString`, or a scalar's text (`True`,
/// `42`, a date in ISO-8601). The caller owns `*out` and frees it with `mx_string_free`.
#[unsafe(no_mangle)]
pub extern "C" fn mx_object_to_string(
    object: *const mx_object,
    out: *mut *mut mx_string,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        let text = display(value(object)?);
        out.write(new_mx_string(text));
        Ok(())
    })
}

/// Reads a string property (`name_len` bytes of UTF-8): a string, or an object's `ToString`
/// (enums, identities). `MX_NO_SUCH_PROPERTY` when absent, `MX_WRONG_TYPE` for other values
/// (use `mx_object_property` and `mx_object_to_string` for those). `*out` is borrowed: valid
/// as long as the object.
#[unsafe(no_mangle)]
pub extern "C" fn mx_object_property_string(
    object: *const mx_object,
    name: *const c_char,
    name_len: usize,
    out: *mut mx_str,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        let v = property(object, name, name_len)?;
        out.write(mx_str::from(text(v).ok_or_else(|| wrong_type("a string"))?));
        Ok(())
    })
}

/// Reads an integer property (any integer type, or an enum's number). `MX_NO_SUCH_PROPERTY`
/// when absent, `MX_WRONG_TYPE` when not an integer or beyond int64.
#[unsafe(no_mangle)]
pub extern "C" fn mx_object_property_int(
    object: *const mx_object,
    name: *const c_char,
    name_len: usize,
    out: *mut i64,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        let v = property(object, name, name_len)?;
        out.write(v.as_i64().ok_or_else(|| wrong_type("an integer"))?);
        Ok(())
    })
}

/// Reads a boolean property. `MX_NO_SUCH_PROPERTY` when absent, `MX_WRONG_TYPE` otherwise.
#[unsafe(no_mangle)]
pub extern "C" fn mx_object_property_bool(
    object: *const mx_object,
    name: *const c_char,
    name_len: usize,
    out: *mut bool,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        let v = property(object, name, name_len)?;
        out.write(v.as_bool().ok_or_else(|| wrong_type("a boolean"))?);
        Ok(())
    })
}

/// The property `name` as a value of its own (a nested object, a list, a date...). `*out` is
/// borrowed: valid as long as `object`. `MX_NO_SUCH_PROPERTY` when absent.
#[unsafe(no_mangle)]
pub extern "C" fn mx_object_property(
    object: *const mx_object,
    name: *const c_char,
    name_len: usize,
    out: *mut *const mx_object,
    err: *mut *mut mx_error,
) -> mx_result_code {
    ffi_result!(err => {
        // SAFETY: the documentation requires `out` to be valid for a write.
        let out = unsafe { Out::new(out, "out") }?;
        out.write(lend(property(object, name, name_len)?));
        Ok(())
    })
}

/// The number of properties (extended, then adapted, as PowerShell orders them); 0 for
/// values that are not objects and for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn mx_object_property_count(object: *const mx_object) -> usize {
    ffi_value!(0, {
        value(object)
            .ok()
            .and_then(PsValue::as_object)
            .map_or(0, |o| o.properties().count())
    })
}

/// The name of property `index` (see `mx_object_property_count`); `data` is NULL when out of
/// range. Borrowed: valid as long as the object.
#[unsafe(no_mangle)]
pub extern "C" fn mx_object_property_name(object: *const mx_object, index: usize) -> mx_str {
    ffi_value!(mx_str::none(), {
        mx_str::from_opt(
            value(object)
                .ok()
                .and_then(PsValue::as_object)
                .and_then(|o| o.properties().nth(index))
                .map(|p| p.name.as_str()),
        )
    })
}

/// The number of type names (most derived first, e.g.
/// `Deserialized.Microsoft.Exchange.Data.Directory.Management.Mailbox`); 0 for scalars.
#[unsafe(no_mangle)]
pub extern "C" fn mx_object_type_name_count(object: *const mx_object) -> usize {
    ffi_value!(0, {
        value(object)
            .ok()
            .and_then(PsValue::as_object)
            .and_then(|o| o.type_names.as_deref())
            .map_or(0, <[String]>::len)
    })
}

/// Type name `index`; `data` is NULL when out of range. Borrowed: valid as long as the object.
#[unsafe(no_mangle)]
pub extern "C" fn mx_object_type_name(object: *const mx_object, index: usize) -> mx_str {
    ffi_value!(mx_str::none(), {
        mx_str::from_opt(
            value(object)
                .ok()
                .and_then(PsValue::as_object)
                .and_then(|o| o.type_names.as_deref())
                .and_then(|names| names.get(index))
                .map(String::as_str),
        )
    })
}

/// The number of items when the value is a list (an array, `MultiValuedProperty`, ...); 0
/// otherwise.
#[unsafe(no_mangle)]
pub extern "C" fn mx_object_list_count(object: *const mx_object) -> usize {
    ffi_value!(0, {
        value(object)
            .ok()
            .and_then(PsValue::as_list)
            .map_or(0, <[PsValue]>::len)
    })
}

/// List item `index`; NULL when out of range or not a list. Borrowed: valid as long as the
/// object.
#[unsafe(no_mangle)]
pub extern "C" fn mx_object_list_item(object: *const mx_object, index: usize) -> *const mx_object {
    ffi_value!(std::ptr::null(), {
        value(object)
            .ok()
            .and_then(PsValue::as_list)
            .and_then(|items| items.get(index))
            .map_or(std::ptr::null(), lend)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mx_core::clixml::{Property, PsObject, array, enum_value};

    fn mailbox() -> PsValue {
        PsValue::object(PsObject {
            type_names: Some(
                vec![
                    "Deserialized.Microsoft.Exchange.Data.Directory.Management.Mailbox".to_owned(),
                    "Deserialized.System.Object".to_owned(),
                ]
                .into(),
            ),
            to_string: Some("Ann Smith".into()),
            adapted: vec![
                Property::new("Name", "Ann Smith"),
                Property::new("ProhibitSendQuotaInMB", 2048i64),
                Property::new("HiddenFromAddressListsEnabled", false),
                Property::new(
                    "RecipientTypeDetails",
                    enum_value(&["RecipientTypeDetails", "System.Enum"], "UserMailbox", 1),
                ),
                Property::new("EmailAddresses", array(["SMTP:ann@contoso.com".into()])),
            ],
            ..PsObject::default()
        })
    }

    fn name(text: &str) -> (*const c_char, usize) {
        (text.as_ptr().cast(), text.len())
    }

    #[test]
    fn typed_accessors_read_properties() {
        let mbx = mailbox();
        let o = lend(&mbx);
        let null = std::ptr::null_mut();
        let mut s = mx_str::none();
        let (p, n) = name("Name");
        assert_eq!(
            mx_object_property_string(o, p, n, &mut s, null),
            mx_result_code::MX_OK
        );
        // SAFETY: `mbx` is alive.
        assert_eq!(unsafe { s.to_str() }, Some("Ann Smith"));
        let (p, n) = name("RecipientTypeDetails");
        assert_eq!(
            mx_object_property_string(o, p, n, &mut s, null),
            mx_result_code::MX_OK
        );
        // SAFETY: `mbx` is alive.
        assert_eq!(unsafe { s.to_str() }, Some("UserMailbox"));
        let mut i = 0i64;
        assert_eq!(
            mx_object_property_int(o, p, n, &mut i, null),
            mx_result_code::MX_OK
        );
        assert_eq!(i, 1);
        let (p, n) = name("ProhibitSendQuotaInMB");
        assert_eq!(
            mx_object_property_int(o, p, n, &mut i, null),
            mx_result_code::MX_OK
        );
        assert_eq!(i, 2048);
        assert_eq!(
            mx_object_property_string(o, p, n, &mut s, null),
            mx_result_code::MX_WRONG_TYPE
        );
        let mut b = true;
        let (p, n) = name("HiddenFromAddressListsEnabled");
        assert_eq!(
            mx_object_property_bool(o, p, n, &mut b, null),
            mx_result_code::MX_OK
        );
        assert!(!b);
        let (p, n) = name("Missing");
        assert_eq!(
            mx_object_property_bool(o, p, n, &mut b, null),
            mx_result_code::MX_NO_SUCH_PROPERTY
        );
        let mut list: *const mx_object = std::ptr::null();
        let (p, n) = name("EmailAddresses");
        assert_eq!(
            mx_object_property(o, p, n, &mut list, null),
            mx_result_code::MX_OK
        );
        assert_eq!(mx_object_list_count(list), 1);
        let first = mx_object_list_item(list, 0);
        let mut text: *mut mx_string = std::ptr::null_mut();
        assert_eq!(
            mx_object_to_string(first, &mut text, null),
            mx_result_code::MX_OK
        );
        // SAFETY: read before the free.
        let read = unsafe { crate::strings::mx_string_str(text).to_str() };
        assert_eq!(read, Some("SMTP:ann@contoso.com"));
        crate::strings::mx_string_free(text);
        assert!(mx_object_list_item(list, 1).is_null());
    }

    #[test]
    fn names_types_and_json() {
        let mbx = mailbox();
        let o = lend(&mbx);
        assert_eq!(mx_object_property_count(o), 5);
        // SAFETY: `mbx` is alive for every view read here.
        unsafe {
            assert_eq!(
                mx_object_property_name(o, 1).to_str(),
                Some("ProhibitSendQuotaInMB")
            );
            assert!(mx_object_property_name(o, 5).to_str().is_none());
            assert_eq!(mx_object_type_name_count(o), 2);
            assert_eq!(
                mx_object_type_name(o, 0).to_str(),
                Some("Deserialized.Microsoft.Exchange.Data.Directory.Management.Mailbox")
            );
        }
        let mut json: *mut mx_string = std::ptr::null_mut();
        assert_eq!(
            mx_object_json(o, &mut json, std::ptr::null_mut()),
            mx_result_code::MX_OK
        );
        // SAFETY: read before the free.
        let text = unsafe { crate::strings::mx_string_str(json).to_str() }.map(str::to_owned);
        crate::strings::mx_string_free(json);
        let parsed: serde_json::Value =
            serde_json::from_str(text.as_deref().unwrap_or_default()).expect("JSON");
        assert_eq!(parsed["Name"], "Ann Smith");
        assert_eq!(parsed["ProhibitSendQuotaInMB"], 2048);
        assert_eq!(parsed["RecipientTypeDetails"]["$toString"], "UserMailbox");
        assert_eq!(parsed["EmailAddresses"][0], "SMTP:ann@contoso.com");
    }

    #[test]
    fn null_objects_and_names_are_refused() {
        let mut s = mx_str::none();
        let null = std::ptr::null_mut();
        let (p, n) = name("Name");
        assert_eq!(
            mx_object_property_string(std::ptr::null(), p, n, &mut s, null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        let mbx = mailbox();
        assert_eq!(
            mx_object_property_string(lend(&mbx), std::ptr::null(), 4, &mut s, null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        assert_eq!(
            mx_object_property_string(lend(&mbx), p, n, std::ptr::null_mut(), null),
            mx_result_code::MX_INVALID_ARGUMENT
        );
        assert_eq!(mx_object_property_count(std::ptr::null()), 0);
        assert!(mx_object_list_item(std::ptr::null(), 0).is_null());
        let scalar = PsValue::I32(7);
        let mut text: *mut mx_string = std::ptr::null_mut();
        assert_eq!(
            mx_object_to_string(lend(&scalar), &mut text, null),
            mx_result_code::MX_OK
        );
        // SAFETY: read before the free.
        let read = unsafe { crate::strings::mx_string_str(text).to_str() };
        assert_eq!(read, Some("7"));
        crate::strings::mx_string_free(text);
    }
}
