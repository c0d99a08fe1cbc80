//! A lambda's range variable as an entity: one member of a collection,
//! which a lambda body is compiled for and run over.
//!
//! Owns: [`Element`], an [`Entity`] with one property, the member itself
//! ([`VARIABLE`]); paths into it (`t/name`) are members of that value.
//! Must not know about: which collection it came from, or the body.

use serde::Serialize;
use serde_json::Value;

use crate::model::{Entity, PropertyValue};

/// The name the compiler gives a lambda's range variable: not a name any
/// schema property can have (`$` cannot start an OData identifier).
pub(crate) const VARIABLE: &str = "$element";

/// One member of a collection, as the entity a lambda body runs over.
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub(crate) struct Element(pub(crate) Value);

/// The one property of an [`Element`]: the member itself.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Whole;

impl Entity for Element {
    type Accessor = Whole;

    fn accessor(name: &str) -> Option<Whole> {
        (name == VARIABLE).then_some(Whole)
    }

    fn property<'a>(&'a self, _: &Whole) -> PropertyValue<'a> {
        PropertyValue::from_json(&self.0)
    }
}
