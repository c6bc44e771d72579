//! The Exchange session a jump-host bootstrap imported into a `/wsman` runspace
//! (`Import-PSSession`): which account runs the cmdlets, under which names, and how their objects
//! reach the client through implicit remoting.

use std::sync::Arc;

use monosync_exchange::clixml::{Property, PsObject, PsValue};
use uuid::Uuid;

/// The Exchange session a bootstrap imported into a `/wsman` runspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Imported {
    /// The account of the credential: Exchange runs the cmdlets with its RBAC.
    pub(crate) user: String,
    /// The host of the ConnectionUri (`PSComputerName` of relayed objects).
    pub(crate) computer: String,
    /// `-Prefix` of Import-PSSession: `Get-ExMailbox` for `Get-Mailbox`.
    pub(crate) prefix: Option<String>,
    /// The remote runspace's id (`RunspaceId` of relayed objects).
    pub(crate) runspace_id: Uuid,
}

impl Imported {
    /// The Exchange cmdlet an imported command name stands for, if it follows the prefix.
    pub(crate) fn resolve(&self, name: &str) -> Option<String> {
        let Some(prefix) = self.prefix.as_deref().filter(|p| !p.is_empty()) else {
            return Some(name.to_owned());
        };
        let (verb, noun) = name.split_once('-')?;
        let head = noun.get(..prefix.len())?;
        let rest = noun.get(prefix.len()..)?;
        (head.eq_ignore_ascii_case(prefix) && !rest.is_empty()).then(|| format!("{verb}-{rest}"))
    }

    /// An object as implicit remoting hands it on: the jump host deserialised it, so its type
    /// names carry `Deserialized.` (property bags only; lists and dictionaries rehydrate to
    /// their .NET types), and the proxy adds `PSComputerName`, `RunspaceId` and
    /// `PSShowComputerName`.
    pub(crate) fn relay(&self, value: PsValue) -> PsValue {
        let PsValue::Object(obj) = value else {
            return value;
        };
        let mut obj = deserialized(PsObject::clone(&obj));
        obj.extended.extend([
            Property::new("PSComputerName", self.computer.as_str()),
            Property {
                name: "RunspaceId".into(),
                value: PsValue::Guid(self.runspace_id),
            },
            Property::new("PSShowComputerName", false),
        ]);
        PsValue::object(obj)
    }
}

fn deserialized(mut obj: PsObject) -> PsObject {
    if obj.content.is_none()
        && let Some(names) = obj.type_names.as_deref()
    {
        let prefixed: Vec<String> = names
            .iter()
            .map(|n| {
                if n.starts_with("Deserialized.") {
                    n.clone()
                } else {
                    format!("Deserialized.{n}")
                }
            })
            .collect();
        obj.type_names = Some(Arc::from(prefixed));
    }
    for p in obj.adapted.iter_mut().chain(obj.extended.iter_mut()) {
        if let PsValue::Object(inner) = &p.value {
            p.value = PsValue::object(deserialized(PsObject::clone(inner)));
        }
    }
    obj
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imported(prefix: Option<&str>) -> Imported {
        Imported {
            user: "auditor".into(),
            computer: "ex01.contoso.com".into(),
            prefix: prefix.map(str::to_owned),
            runspace_id: Uuid::nil(),
        }
    }

    #[test]
    fn names_resolve_through_the_prefix() {
        assert_eq!(
            imported(None).resolve("Get-Mailbox").as_deref(),
            Some("Get-Mailbox")
        );
        let ex = imported(Some("Ex"));
        assert_eq!(ex.resolve("get-exMailbox").as_deref(), Some("get-Mailbox"));
        assert_eq!(ex.resolve("Get-Mailbox"), None);
        assert_eq!(ex.resolve("Get-Ex"), None);
        assert_eq!(ex.resolve("GetExMailbox"), None);
    }

    #[test]
    fn lists_keep_their_type_names_and_nested_bags_are_prefixed() {
        let list = PsValue::object(PsObject {
            type_names: Some(Arc::from(vec!["System.Collections.ArrayList".to_owned()])),
            content: Some(monosync_exchange::clixml::Container::List(vec![])),
            ..PsObject::default()
        });
        let inner = PsValue::object(PsObject {
            type_names: Some(Arc::from(vec!["Deserialized.Inner".to_owned()])),
            ..PsObject::default()
        });
        let outer = PsValue::object(PsObject {
            type_names: Some(Arc::from(vec!["Outer".to_owned()])),
            adapted: vec![
                Property {
                    name: "List".into(),
                    value: list,
                },
                Property {
                    name: "Inner".into(),
                    value: inner,
                },
            ],
            ..PsObject::default()
        });
        let relayed = imported(None).relay(outer);
        let names = |v: Option<&PsValue>| {
            v.and_then(PsValue::as_object)
                .and_then(|o| o.type_names.as_deref())
                .map(|t| t.to_vec())
        };
        assert_eq!(
            names(Some(&relayed)),
            Some(vec!["Deserialized.Outer".to_owned()])
        );
        assert_eq!(
            names(relayed.property("List")),
            Some(vec!["System.Collections.ArrayList".to_owned()])
        );
        assert_eq!(
            names(relayed.property("Inner")),
            Some(vec!["Deserialized.Inner".to_owned()])
        );
        assert_eq!(
            relayed.property("RunspaceId"),
            Some(&PsValue::Guid(Uuid::nil()))
        );
        assert_eq!(imported(None).relay(PsValue::I32(3)), PsValue::I32(3));
    }
}
