//! Values in the shapes Windows PowerShell accepts as cmdlet parameters ([MS-PSRP] 2.2.5.2):
//! hashtables, arrays, credentials, enums, and Exchange's multi-valued property updates.

use std::sync::Arc;

use super::value::{Container, EncryptedSecureString, Property, PsObject, PsValue};

fn names(list: &[&str]) -> Option<Arc<[String]>> {
    Some(list.iter().map(|s| (*s).to_owned()).collect())
}

/// A `System.Collections.Hashtable` (`@{...}`): `<DCT>` entries in the given order.
pub fn hashtable(entries: impl IntoIterator<Item = (PsValue, PsValue)>) -> PsValue {
    PsValue::object(PsObject {
        type_names: names(&["System.Collections.Hashtable", "System.Object"]),
        content: Some(Container::Dictionary(entries.into_iter().collect())),
        ..PsObject::default()
    })
}

/// A `System.Object[]` (`@(...)`): an `<LST>`.
pub fn array(items: impl IntoIterator<Item = PsValue>) -> PsValue {
    PsValue::object(PsObject {
        type_names: names(&["System.Object[]", "System.Array", "System.Object"]),
        content: Some(Container::List(items.into_iter().collect())),
        ..PsObject::default()
    })
}

/// Exchange's update of a multi-valued property without replacing it:
/// `@{Add=@(...); Remove=@(...)}`. A key whose list is empty is left out, so the server does not
/// see an empty `Add` or `Remove`.
pub fn multi_valued_update(add: Vec<PsValue>, remove: Vec<PsValue>) -> PsValue {
    let mut entries = Vec::with_capacity(2);
    if !add.is_empty() {
        entries.push((PsValue::from("Add"), array(add)));
    }
    if !remove.is_empty() {
        entries.push((PsValue::from("Remove"), array(remove)));
    }
    hashtable(entries)
}

/// A `System.Management.Automation.PSCredential`: `UserName` as `<S>`, `Password` as `<SS>`
/// (already encrypted with the session key, [MS-PSRP] 2.2.5.1.24).
pub fn ps_credential(user: &str, password: EncryptedSecureString) -> PsValue {
    PsValue::object(PsObject {
        type_names: names(&["System.Management.Automation.PSCredential", "System.Object"]),
        adapted: vec![
            Property::new("UserName", user),
            Property {
                name: "Password".to_owned(),
                value: PsValue::SecureString(password),
            },
        ],
        ..PsObject::default()
    })
}

/// An enum value: the type-name chain (most derived first, e.g. `["...RecipientTypeDetails",
/// "System.Enum", "System.ValueType", "System.Object"]`), its `ToString` and its number as
/// `<I32>`.
pub fn enum_value(type_names: &[&str], to_string: &str, value: i32) -> PsValue {
    PsValue::object(PsObject {
        type_names: names(type_names),
        to_string: Some(to_string.to_owned()),
        value: Some(PsValue::I32(value)),
        ..PsObject::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clixml::to_vec;

    #[test]
    fn hashtable_wire_form() {
        let v = hashtable([(PsValue::from("Name"), PsValue::from("x"))]);
        assert_eq!(
            String::from_utf8(to_vec(&v)).unwrap(),
            "<Obj RefId=\"0\"><TN RefId=\"0\"><T>System.Collections.Hashtable</T><T>System.Object</T></TN>\
             <DCT><En><S N=\"Key\">Name</S><S N=\"Value\">x</S></En></DCT></Obj>"
        );
    }

    #[test]
    fn multi_valued_update_shapes() {
        let v = multi_valued_update(vec!["smtp:a@b.c".into()], vec![]);
        let dict = v.as_dict().unwrap();
        assert_eq!(dict.len(), 1);
        assert_eq!(dict[0].0.as_str(), Some("Add"));
        let list = dict[0].1.as_list().unwrap();
        assert_eq!(list, &[PsValue::from("smtp:a@b.c")]);
        assert!(dict[0].1.as_object().unwrap().is_type("System.Object[]"));
    }

    #[test]
    fn credential_and_enum() {
        let c = ps_credential("CORP\\svc", EncryptedSecureString(vec![1, 2, 3]));
        assert_eq!(
            c.property("UserName").and_then(PsValue::as_str),
            Some("CORP\\svc")
        );
        assert_eq!(
            c.property("Password"),
            Some(&PsValue::SecureString(EncryptedSecureString(vec![1, 2, 3])))
        );
        let e = enum_value(&["T", "System.Enum"], "UserMailbox", 1);
        assert_eq!(e.as_object().unwrap().enum_value(), Some(1));
        assert_eq!(
            e.as_object().unwrap().to_string.as_deref(),
            Some("UserMailbox")
        );
    }
}
