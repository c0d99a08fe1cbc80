//! Entity access: the [`Entity`] trait the evaluator reads entities
//! through, with its implementations for [`MachineAction`] and for
//! `serde_json::Value` objects and maps; the borrowed values it hands out
//! ([`PropertyValue`], [`Complex`]); [`AsEntity`], for evaluating borrowed
//! entities; and the direct readers of the built-in type
//! ([`UseTextReader`], [`UseInstantReader`]).
//!
//! A property name is resolved once, when a filter is compiled, into an
//! [`Entity::Accessor`], and each entity is then read with it: for
//! `MachineAction` the accessor is a [`Property`] and a read is a
//! `match`, with no name look-up and no allocation. JSON objects have no
//! fixed properties, so their accessor carries the name and a read is one
//! hash look-up, still without allocation.
//!
//! Must not know about: query syntax, the validation schema or evaluation
//! semantics (the evaluator converts what [`Entity::property`] hands it).

use std::fmt;

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use serde_json::{Map, Value};

use super::machine_action::{MachineAction, RelatedFileInfo};
use super::property::{FileInfoProperty, Property};
use super::timestamp::{parse_timestamp, Timestamp};
use super::wire::{FieldRef, WireObject};

/// One property value of an entity, borrowed from it.
///
/// JSON entities have no types beyond JSON's, so a DateTimeOffset in one is
/// a [`PropertyValue::String`]; [`PropertyValue::to_datetime_offset`] reads
/// either form.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum PropertyValue<'a> {
    /// `null`, or a property the entity does not have.
    Null,
    /// A Boolean.
    Bool(bool),
    /// An integer (an Int32 property, or a JSON number that fits an `i64`).
    Int(i64),
    /// A JSON number that does not fit an `i64`.
    Double(f64),
    /// A string.
    String(&'a str),
    /// A typed DateTimeOffset (compared by instant).
    DateTimeOffset(DateTime<FixedOffset>),
    /// A structured value: an object or a collection.
    Complex(Complex<'a>),
}

impl<'a> PropertyValue<'a> {
    /// The value of a JSON value, without copying it.
    pub fn from_json(value: &'a Value) -> PropertyValue<'a> {
        match value {
            Value::Null => PropertyValue::Null,
            Value::Bool(b) => PropertyValue::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => PropertyValue::Int(i),
                // Without `arbitrary_precision` every number is an i64, a
                // u64 or an f64, so `as_f64` always answers.
                None => n
                    .as_f64()
                    .map_or(PropertyValue::Null, PropertyValue::Double),
            },
            Value::String(s) => PropertyValue::String(s),
            Value::Array(_) | Value::Object(_) => {
                PropertyValue::Complex(Complex(ComplexRef::Json(value)))
            }
        }
    }

    /// Whether the value is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, PropertyValue::Null)
    }

    /// The string, if the value is one.
    pub fn as_str(&self) -> Option<&'a str> {
        match *self {
            PropertyValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a DateTimeOffset: a typed one as is, a string through
    /// [`parse_timestamp`]; `None` for anything else.
    pub fn to_datetime_offset(&self) -> Option<DateTime<FixedOffset>> {
        match *self {
            PropertyValue::DateTimeOffset(value) => Some(value),
            PropertyValue::String(text) => parse_timestamp(text),
            _ => None,
        }
    }

    /// The wire form of the value (typed DateTimeOffsets as
    /// [`Timestamp::from_datetime`] writes them).
    pub fn to_json(&self) -> Value {
        match *self {
            PropertyValue::Null => Value::Null,
            PropertyValue::Bool(b) => Value::Bool(b),
            PropertyValue::Int(i) => Value::from(i),
            PropertyValue::Double(d) => Value::from(d),
            PropertyValue::String(s) => Value::String(s.to_owned()),
            PropertyValue::DateTimeOffset(value) => Timestamp::from_datetime(value).map_or_else(
                || Value::String(value.to_rfc3339()),
                |t| Value::String(t.as_str().to_owned()),
            ),
            PropertyValue::Complex(complex) => complex.to_json(),
        }
    }
}

/// A structured property value (an object or a collection), borrowed.
#[derive(Clone, Copy, Debug)]
pub struct Complex<'a>(ComplexRef<'a>);

#[derive(Clone, Copy, Debug)]
enum ComplexRef<'a> {
    Json(&'a Value),
    Collection(&'a [Value]),
    FileInfo(&'a RelatedFileInfo),
}

impl<'a> Complex<'a> {
    /// Whether it is a collection (else it is an object).
    pub fn is_collection(&self) -> bool {
        matches!(
            self.0,
            ComplexRef::Collection(_) | ComplexRef::Json(Value::Array(_))
        )
    }

    /// A member of an object: typed members by case-insensitive name, JSON
    /// members by exact name; `Null` when there is none, or for a
    /// collection.
    pub fn member(&self, name: &str) -> PropertyValue<'a> {
        match self.0 {
            ComplexRef::Json(Value::Object(map)) => map
                .get(name)
                .map_or(PropertyValue::Null, PropertyValue::from_json),
            ComplexRef::FileInfo(info) => info.member(name),
            ComplexRef::Json(_) | ComplexRef::Collection(_) => PropertyValue::Null,
        }
    }

    /// The members of a collection; `None` for an object.
    pub(crate) fn elements(&self) -> Option<&'a [Value]> {
        match self.0 {
            ComplexRef::Collection(items) => Some(items),
            ComplexRef::Json(Value::Array(items)) => Some(items),
            ComplexRef::Json(_) | ComplexRef::FileInfo(_) => None,
        }
    }

    /// The wire form (a copy).
    pub fn to_json(&self) -> Value {
        match self.0 {
            ComplexRef::Json(value) => value.clone(),
            ComplexRef::Collection(items) => Value::Array(items.to_vec()),
            ComplexRef::FileInfo(info) => info.to_json(),
        }
    }
}

/// Equal when their wire forms are.
impl PartialEq for Complex<'_> {
    fn eq(&self, other: &Complex<'_>) -> bool {
        match (self.0, other.0) {
            (ComplexRef::Json(a), ComplexRef::Json(b)) => a == b,
            (ComplexRef::Collection(a), ComplexRef::Collection(b)) => a == b,
            (ComplexRef::Json(Value::Array(a)), ComplexRef::Collection(b))
            | (ComplexRef::Collection(b), ComplexRef::Json(Value::Array(a))) => a.as_slice() == b,
            _ => self.to_json() == other.to_json(),
        }
    }
}

/// Fields of wire objects as property values.
impl<'a> FieldRef<'a> {
    fn to_property_value(self) -> PropertyValue<'a> {
        match self {
            FieldRef::Null => PropertyValue::Null,
            FieldRef::Str(s) => PropertyValue::String(s),
            FieldRef::Int(i) => PropertyValue::Int(i64::from(i)),
            FieldRef::Time(t) => PropertyValue::DateTimeOffset(t.value()),
            FieldRef::FileInfo(info) => PropertyValue::Complex(Complex(ComplexRef::FileInfo(info))),
            FieldRef::Collection(items) => {
                PropertyValue::Complex(Complex(ComplexRef::Collection(items)))
            }
            FieldRef::Json(v) => PropertyValue::from_json(v),
        }
    }
}

/// Members of a file info, as [`Complex::member`] reads them.
impl RelatedFileInfo {
    fn member(&self, name: &str) -> PropertyValue<'_> {
        match FileInfoProperty::resolve(name) {
            Some(p) => self.field(p).to_property_value(),
            None => self
                .extra
                .get(name)
                .map_or(PropertyValue::Null, PropertyValue::from_json),
        }
    }
}

/// Code built around a direct reader of one string property: the
/// evaluator's specialized tests (`status eq 'Pending'`).
///
/// [`Entity::text_reader`] hands the builder the reader as a closure type
/// of its own, so the built code calls it statically and the compiler can
/// inline it: reading the property costs what `a.status.as_deref()` costs
/// in a hand-written closure, not a call through a function pointer.
#[doc(hidden)]
pub trait UseTextReader<E: ?Sized> {
    /// What is built.
    type Built;

    /// Builds around `read`, which answers as [`Entity::property`] does:
    /// `Some(s)` for [`PropertyValue::String`]`(s)`, `None` for
    /// [`PropertyValue::Null`].
    fn build<R>(self, read: R) -> Self::Built
    where
        R: for<'a> Fn(&'a E) -> Option<&'a str> + Copy + Send + Sync + 'static;
}

/// As [`UseTextReader`], for a DateTimeOffset property.
#[doc(hidden)]
pub trait UseInstantReader<E: ?Sized> {
    /// What is built.
    type Built;

    /// Builds around `read`, which answers as [`Entity::property`] does:
    /// `Some(t)` for [`PropertyValue::DateTimeOffset`]`(t)`, `None` for
    /// [`PropertyValue::Null`].
    fn build<R>(self, read: R) -> Self::Built
    where
        R: Fn(&E) -> Option<DateTime<FixedOffset>> + Copy + Send + Sync + 'static;
}

/// An entity the evaluator can read: names are resolved once into an
/// accessor, which then reads any entity of the type; `Serialize` writes
/// the entity's wire form, which responses carry and `$select` projects.
///
/// Implement [`Entity::accessor`] and [`Entity::property`] (and `Serialize`,
/// usually derived) to evaluate queries over a type of your own:
///
/// ```
/// use defender_odata::model::{Entity, PropertyValue};
/// use defender_odata::{check, evaluate, machine_actions, ParseOptions};
///
/// #[derive(serde::Serialize)]
/// struct Action { id: String, status: String }
///
/// #[derive(Clone, Debug)]
/// enum Field { Id, Status }
///
/// impl Entity for Action {
///     type Accessor = Field;
///     fn accessor(name: &str) -> Option<Field> {
///         match name {
///             "id" => Some(Field::Id),
///             "status" => Some(Field::Status),
///             _ => None,
///         }
///     }
///     fn property(&self, field: &Field) -> PropertyValue<'_> {
///         match field {
///             Field::Id => PropertyValue::String(&self.id),
///             Field::Status => PropertyValue::String(&self.status),
///         }
///     }
/// }
///
/// let actions = vec![
///     Action { id: "a".into(), status: "Pending".into() },
///     Action { id: "b".into(), status: "Failed".into() },
/// ];
/// // Without `$orderby`, MachineActions come newest first: a type without
/// // `creationDateTimeUtc` needs an order of its own.
/// let query = check(
///     "$filter=status eq 'Failed'&$orderby=id",
///     machine_actions(),
///     &ParseOptions::default(),
/// )?;
/// let response = evaluate(&query, &actions)?;
/// assert_eq!(response.value, [serde_json::json!({"id": "b", "status": "Failed"})]);
/// # Ok::<(), defender_odata::Error>(())
/// ```
///
/// `'static`: a compiled query keeps code built for the type, which
/// outlives any borrow. Borrowed entities are evaluated all the same, through
/// [`AsEntity`].
pub trait Entity: Serialize + 'static {
    /// A resolved property name, kept in a compiled filter.
    type Accessor: Clone + fmt::Debug;

    /// Resolves a property name (the schema's spelling); `None` when the
    /// type has no such property.
    fn accessor(name: &str) -> Option<Self::Accessor>;

    /// Reads the property `accessor` denotes. (Not `get`: `Value` and
    /// `Map` have inherent `get`s, which would shadow it.)
    fn property<'a>(&'a self, accessor: &Self::Accessor) -> PropertyValue<'a>;

    /// A speed-up for the built-in types, which other implementations
    /// leave alone: has `user` build its code around a direct reader of the
    /// property `accessor` denotes, when every value it can hold is a
    /// string or null. The reader must answer as [`Entity::property`]
    /// does. `None` (the default): [`Entity::property`] is the way to read.
    #[doc(hidden)]
    fn text_reader<U: UseTextReader<Self>>(accessor: &Self::Accessor, user: U) -> Option<U::Built> {
        let _ = (accessor, user);
        None
    }

    /// As [`Entity::text_reader`], for a property every value of which is
    /// a typed DateTimeOffset ([`PropertyValue::DateTimeOffset`]) or null.
    #[doc(hidden)]
    fn instant_reader<U: UseInstantReader<Self>>(
        accessor: &Self::Accessor,
        user: U,
    ) -> Option<U::Built> {
        let _ = (accessor, user);
        None
    }
}

/// What the evaluator accepts as an entity of type `E`: the entity itself,
/// a reference to one, or a smart pointer to one. So
/// `evaluate(&query, actions.iter())` reads a `&[MachineAction]` in place,
/// without cloning it.
pub trait AsEntity<E> {
    /// The entity.
    fn as_entity(&self) -> &E;
}

impl<E: Entity> AsEntity<E> for E {
    fn as_entity(&self) -> &E {
        self
    }
}

impl<E: Entity> AsEntity<E> for &E {
    fn as_entity(&self) -> &E {
        self
    }
}

impl<E: Entity> AsEntity<E> for Box<E> {
    fn as_entity(&self) -> &E {
        self
    }
}

impl<E: Entity> AsEntity<E> for std::rc::Rc<E> {
    fn as_entity(&self) -> &E {
        self
    }
}

impl<E: Entity> AsEntity<E> for std::sync::Arc<E> {
    fn as_entity(&self) -> &E {
        self
    }
}

impl Entity for MachineAction {
    type Accessor = Property;

    /// Case-insensitive, as on the service; `lastUpdateTimeUtc` resolves to
    /// [`Property::LastUpdateDateTimeUtc`]. Unknown properties kept in
    /// [`MachineAction::extra`] are not reachable: they are not in the
    /// schema a query is validated against.
    fn accessor(name: &str) -> Option<Property> {
        Property::resolve(name)
    }

    fn property<'a>(&'a self, accessor: &Property) -> PropertyValue<'a> {
        self.field(*accessor).to_property_value()
    }

    fn text_reader<U: UseTextReader<Self>>(accessor: &Property, user: U) -> Option<U::Built> {
        Some(match accessor {
            Property::Id => user.build(|a: &MachineAction| a.id.as_deref()),
            Property::Type => user.build(|a: &MachineAction| a.action_type.as_deref()),
            Property::Title => user.build(|a: &MachineAction| a.title.as_deref()),
            Property::Requestor => user.build(|a: &MachineAction| a.requestor.as_deref()),
            Property::RequestorComment => {
                user.build(|a: &MachineAction| a.requestor_comment.as_deref())
            }
            Property::Status => user.build(|a: &MachineAction| a.status.as_deref()),
            Property::MachineId => user.build(|a: &MachineAction| a.machine_id.as_deref()),
            Property::ComputerDnsName => {
                user.build(|a: &MachineAction| a.computer_dns_name.as_deref())
            }
            Property::CancellationRequestor => {
                user.build(|a: &MachineAction| a.cancellation_requestor.as_deref())
            }
            Property::CancellationComment => {
                user.build(|a: &MachineAction| a.cancellation_comment.as_deref())
            }
            Property::Scope => user.build(|a: &MachineAction| a.scope.as_deref()),
            Property::ExternalId => user.build(|a: &MachineAction| a.external_id.as_deref()),
            Property::RequestSource => user.build(|a: &MachineAction| a.request_source.as_deref()),
            Property::CreationDateTimeUtc
            | Property::LastUpdateDateTimeUtc
            | Property::CancellationDateTimeUtc
            | Property::ErrorHResult
            | Property::RelatedFileInfo
            | Property::Commands
            | Property::TroubleshootInfo => return None,
        })
    }

    fn instant_reader<U: UseInstantReader<Self>>(accessor: &Property, user: U) -> Option<U::Built> {
        fn instant(t: &Option<Timestamp>) -> Option<DateTime<FixedOffset>> {
            t.as_ref().map(Timestamp::value)
        }
        Some(match accessor {
            Property::CreationDateTimeUtc => {
                user.build(|a: &MachineAction| instant(&a.creation_date_time_utc))
            }
            Property::LastUpdateDateTimeUtc => {
                user.build(|a: &MachineAction| instant(&a.last_update_date_time_utc))
            }
            Property::CancellationDateTimeUtc => {
                user.build(|a: &MachineAction| instant(&a.cancellation_date_time_utc))
            }
            _ => return None,
        })
    }
}

/// The accessor of a JSON object's member: its exact name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JsonProperty(Box<str>);

impl JsonProperty {
    /// The member name.
    pub fn name(&self) -> &str {
        &self.0
    }
}

/// A JSON object as an entity; any other JSON value has only `null`
/// properties.
///
/// Member names are matched exactly: a JSON object has no schema to resolve
/// other spellings against, so the caller passes the spelling the data uses
/// (the evaluator: the schema's canonical one).
impl Entity for Value {
    type Accessor = JsonProperty;

    fn accessor(name: &str) -> Option<JsonProperty> {
        Some(JsonProperty(name.into()))
    }

    fn property<'a>(&'a self, accessor: &JsonProperty) -> PropertyValue<'a> {
        match self {
            Value::Object(map) => map.get(accessor.name()),
            _ => None,
        }
        .map_or(PropertyValue::Null, PropertyValue::from_json)
    }
}

/// A JSON object's member map as an entity, as [`Value`] objects are.
impl Entity for Map<String, Value> {
    type Accessor = JsonProperty;

    fn accessor(name: &str) -> Option<JsonProperty> {
        Some(JsonProperty(name.into()))
    }

    fn property<'a>(&'a self, accessor: &JsonProperty) -> PropertyValue<'a> {
        self.get(accessor.name())
            .map_or(PropertyValue::Null, PropertyValue::from_json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PropertyKey;

    #[test]
    fn direct_readers_answer_as_property_does() {
        let full: MachineAction = serde_json::from_value(serde_json::json!({
            "id": "i", "type": "t", "scope": "s", "title": "ti", "requestor": "r",
            "requestorComment": "rc", "status": "st", "machineId": "m",
            "computerDnsName": "c", "creationDateTimeUtc": "2018-12-04T12:43:57.2011911Z",
            "lastUpdateDateTimeUtc": "2018-12-04T12:43:58Z", "cancellationRequestor": "cr",
            "cancellationComment": "cc", "cancellationDateTimeUtc": "2018-12-04T12:43:59+01:00",
            "errorHResult": 5, "externalId": "e", "requestSource": "rs",
            "relatedFileInfo": {"fileIdentifier": "f"}, "commands": [], "troubleshootInfo": {}
        }))
        .expect("test entity");
        let mut entities = crate::sample::example1();
        entities.extend([full, MachineAction::default()]);
        /// Builds the reader's answer for each of the entities.
        struct ReadAll<'e>(&'e [MachineAction]);
        impl UseTextReader<MachineAction> for ReadAll<'_> {
            type Built = Vec<Option<String>>;
            fn build<R>(self, read: R) -> Self::Built
            where
                R: for<'a> Fn(&'a MachineAction) -> Option<&'a str> + Copy + Send + Sync,
            {
                self.0.iter().map(|a| read(a).map(String::from)).collect()
            }
        }
        impl UseInstantReader<MachineAction> for ReadAll<'_> {
            type Built = Vec<Option<DateTime<FixedOffset>>>;
            fn build<R>(self, read: R) -> Self::Built
            where
                R: Fn(&MachineAction) -> Option<DateTime<FixedOffset>> + Copy + Send + Sync,
            {
                self.0.iter().map(read).collect()
            }
        }
        for &p in Property::ALL {
            let (text, instant) = (
                MachineAction::text_reader(&p, ReadAll(&entities)),
                MachineAction::instant_reader(&p, ReadAll(&entities)),
            );
            for (i, a) in entities.iter().enumerate() {
                let value = a.property(&p);
                if let Some(read) = &text {
                    let expected = match value {
                        PropertyValue::String(s) => Some(s),
                        PropertyValue::Null => None,
                        other => panic!("{p:?} has a text reader but holds {other:?}"),
                    };
                    assert_eq!(read[i].as_deref(), expected, "{p:?}");
                }
                if let Some(read) = &instant {
                    let expected = match value {
                        PropertyValue::DateTimeOffset(t) => Some(t),
                        PropertyValue::Null => None,
                        other => panic!("{p:?} has an instant reader but holds {other:?}"),
                    };
                    assert_eq!(read[i], expected, "{p:?}");
                }
            }
            // Every text and instant property has its reader.
            match entities[entities.len() - 2].property(&p) {
                PropertyValue::String(_) => assert!(text.is_some(), "{p:?}"),
                PropertyValue::DateTimeOffset(_) => assert!(instant.is_some(), "{p:?}"),
                _ => assert!(text.is_none() && instant.is_none(), "{p:?}"),
            }
        }
    }
}
