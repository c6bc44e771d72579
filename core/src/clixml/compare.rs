//! Equality of CLIXML values, reference cycles included.
//!
//! Values compare by content, as a derived `PartialEq` would, except that a back-reference is
//! not followed into an endless walk: two back-references are equal when they refer to objects
//! being compared with each other (a pair of enclosing objects, or a pair already assumed equal
//! while following an earlier pair of back-references). This is the usual co-inductive equality
//! of graphs; it ends because every pair of back-reference targets is followed at most once.

use std::collections::HashSet;
use std::sync::Arc;

use super::value::{Container, Property, PsObject, PsValue};

type Pair = (*const PsObject, *const PsObject);

#[derive(Default)]
struct Graph {
    /// The pairs of objects being compared, outermost first.
    open: Vec<Pair>,
    /// Pairs of back-reference targets already followed.
    assumed: HashSet<Pair>,
}

impl Graph {
    fn values(&mut self, a: &PsValue, b: &PsValue) -> bool {
        use PsValue as V;
        match (a, b) {
            (V::Object(x), V::Object(y)) => self.objects(x, y),
            (V::Object(_) | V::BackRef(_), V::Object(_) | V::BackRef(_)) => self.linked(a, b),
            (V::Progress(x), V::Progress(y)) => x == y,
            (V::Nil, V::Nil) => true,
            (V::String(x), V::String(y))
            | (V::Uri(x), V::Uri(y))
            | (V::XmlDocument(x), V::XmlDocument(y))
            | (V::ScriptBlock(x), V::ScriptBlock(y)) => x == y,
            (V::WideString(x), V::WideString(y)) => x == y,
            (V::Char(x), V::Char(y)) => x == y,
            (V::Bool(x), V::Bool(y)) => x == y,
            (V::DateTime(x), V::DateTime(y)) => x == y,
            (V::Duration(x), V::Duration(y)) => x == y,
            (V::U8(x), V::U8(y)) => x == y,
            (V::I8(x), V::I8(y)) => x == y,
            (V::U16(x), V::U16(y)) => x == y,
            (V::I16(x), V::I16(y)) => x == y,
            (V::U32(x), V::U32(y)) => x == y,
            (V::I32(x), V::I32(y)) => x == y,
            (V::U64(x), V::U64(y)) => x == y,
            (V::I64(x), V::I64(y)) => x == y,
            (V::Single(x), V::Single(y)) => x == y,
            (V::Double(x), V::Double(y)) => x == y,
            (V::Decimal(x), V::Decimal(y)) => x == y,
            (V::Bytes(x), V::Bytes(y)) => x == y,
            (V::Guid(x), V::Guid(y)) => x == y,
            (V::Version(x), V::Version(y)) => x == y,
            (V::SecureString(x), V::SecureString(y)) => x == y,
            _ => false,
        }
    }

    fn optional(&mut self, a: Option<&PsValue>, b: Option<&PsValue>) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => self.values(a, b),
            (None, None) => true,
            _ => false,
        }
    }

    fn objects(&mut self, a: &PsObject, b: &PsObject) -> bool {
        self.open.push((a as *const PsObject, b as *const PsObject));
        let equal = a.type_names == b.type_names
            && a.to_string == b.to_string
            && self.optional(a.value.as_ref(), b.value.as_ref())
            && match (&a.content, &b.content) {
                (Some(x), Some(y)) => self.containers(x, y),
                (None, None) => true,
                _ => false,
            }
            && self.properties(&a.adapted, &b.adapted)
            && self.properties(&a.extended, &b.extended);
        self.open.pop();
        equal
    }

    /// Two values of which at least one is a back-reference: compared as the objects they
    /// stand for, so that a cycle equals its unrolling (what writing a part of a cyclic value on
    /// its own gives).
    fn linked(&mut self, a: &PsValue, b: &PsValue) -> bool {
        let (x, y) = match (a.to_object(), b.to_object()) {
            (Some(x), Some(y)) => (x, y),
            // Targets no longer alive: equal when both are, under the same label.
            (None, None) => {
                return match (a, b) {
                    (PsValue::BackRef(x), PsValue::BackRef(y)) => x.ref_id() == y.ref_id(),
                    _ => false,
                };
            }
            _ => return false,
        };
        let pair = (Arc::as_ptr(&x), Arc::as_ptr(&y));
        if self.open.contains(&pair) || self.assumed.contains(&pair) {
            return true;
        }
        self.assumed.insert(pair);
        self.objects(&x, &y)
    }

    fn lists(&mut self, a: &[PsValue], b: &[PsValue]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| self.values(x, y))
    }

    fn containers(&mut self, a: &Container, b: &Container) -> bool {
        match (a, b) {
            (Container::List(x), Container::List(y))
            | (Container::Enumerable(x), Container::Enumerable(y))
            | (Container::Stack(x), Container::Stack(y))
            | (Container::Queue(x), Container::Queue(y)) => self.lists(x, y),
            (Container::Dictionary(x), Container::Dictionary(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .all(|((xk, xv), (yk, yv))| self.values(xk, yk) && self.values(xv, yv))
            }
            _ => false,
        }
    }

    fn properties(&mut self, a: &[Property], b: &[Property]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.name == y.name && self.values(&x.value, &y.value))
    }
}

impl PartialEq for PsValue {
    fn eq(&self, other: &Self) -> bool {
        Graph::default().values(self, other)
    }
}

impl PartialEq for PsObject {
    fn eq(&self, other: &Self) -> bool {
        Graph::default().objects(self, other)
    }
}

impl PartialEq for Container {
    fn eq(&self, other: &Self) -> bool {
        Graph::default().containers(self, other)
    }
}

impl PartialEq for Property {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && Graph::default().values(&self.value, &other.value)
    }
}
