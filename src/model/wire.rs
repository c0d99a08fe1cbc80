//! The shared reader and writer of wire objects: the [`WireObject`] trait
//! a wire type implements (its known properties, its unknown members and
//! which known ones were absent), the serde visitor that reads any of them
//! from a JSON object, and the writer that puts the known properties in
//! order, then the unknown ones.
//!
//! `Deserialize` and `Serialize` are written by hand rather than derived:
//! derive cannot tell absent from `null` without wrapping every field, and
//! `#[serde(flatten)]` buffers the whole object before reading it. (Derive's
//! `alias` does work together with `flatten` in the serde version in use;
//! the hand-written reader still accepts the alias, and the tests check it
//! next to unknown fields.)
//!
//! Must not know about: which properties a wire type has (its
//! [`PropertyKey`] and [`WireObject`] impl say), or entity access.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::machine_action::RelatedFileInfo;
use super::property::{PropertyKey, PropertySet};
use super::timestamp::Timestamp;

/// One property value of a wire object, borrowed, as it is written.
#[derive(Clone, Copy)]
pub(super) enum FieldRef<'a> {
    Null,
    Str(&'a str),
    Int(i32),
    Time(&'a Timestamp),
    FileInfo(&'a RelatedFileInfo),
    Collection(&'a [Value]),
    Json(&'a Value),
}

impl<'a> FieldRef<'a> {
    pub(super) fn of_str(value: &'a Option<String>) -> FieldRef<'a> {
        value.as_deref().map_or(FieldRef::Null, FieldRef::Str)
    }

    fn to_json(self) -> Value {
        match self {
            FieldRef::Null => Value::Null,
            FieldRef::Str(s) => Value::String(s.to_owned()),
            FieldRef::Int(i) => Value::from(i),
            FieldRef::Time(t) => Value::String(t.as_str().to_owned()),
            FieldRef::FileInfo(info) => info.to_json(),
            FieldRef::Collection(items) => Value::Array(items.to_vec()),
            FieldRef::Json(v) => v.clone(),
        }
    }
}

impl Serialize for FieldRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self {
            FieldRef::Null => serializer.serialize_unit(),
            FieldRef::Str(s) => serializer.serialize_str(s),
            FieldRef::Int(i) => serializer.serialize_i32(i),
            FieldRef::Time(t) => t.serialize(serializer),
            FieldRef::FileInfo(info) => info.serialize(serializer),
            FieldRef::Collection(items) => items.serialize(serializer),
            FieldRef::Json(v) => v.serialize(serializer),
        }
    }
}

/// A wire object: known properties with absent-tracking, plus unknown ones.
pub(super) trait WireObject: Default {
    type Property: PropertyKey;

    /// Reads the value of `property` (the key was just read from `map`).
    fn read<'de, A: MapAccess<'de>>(
        &mut self,
        property: Self::Property,
        map: &mut A,
    ) -> Result<(), A::Error>;

    fn field(&self, property: Self::Property) -> FieldRef<'_>;
    fn extra_members(&self) -> &Map<String, Value>;
    fn extra_members_mut(&mut self) -> &mut Map<String, Value>;
    fn absent_set(&self) -> PropertySet<Self::Property>;
    fn set_absent_set(&mut self, absent: PropertySet<Self::Property>);

    /// What the object must hold to be one, checked once it is read: why
    /// it is not, if it is not.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

/// A map key: a known property or an unknown name.
enum Key<P> {
    Known(P),
    Unknown(String),
}

/// Reads a key without allocating when it names a known property.
struct KeySeed<P>(PhantomData<P>);

impl<'de, P: PropertyKey> DeserializeSeed<'de> for KeySeed<P> {
    type Value = Key<P>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key<P>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<P: PropertyKey> Visitor<'_> for KeySeed<P> {
    type Value = Key<P>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a property name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Key<P>, E> {
        Ok(P::from_wire_name(name).map_or_else(|| Key::Unknown(name.to_owned()), Key::Known))
    }

    fn visit_string<E: de::Error>(self, name: String) -> Result<Key<P>, E> {
        Ok(P::from_wire_name(&name).map_or(Key::Unknown(name), Key::Known))
    }
}

/// Reads any [`WireObject`] from a JSON object.
struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: WireObject> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut object = T::default();
        let mut seen = PropertySet::<T::Property>::new();
        while let Some(key) = map.next_key_seed(KeySeed::<T::Property>(PhantomData))? {
            match key {
                Key::Known(property) => {
                    // An alias counts as its property, so both names at once
                    // are a duplicate too.
                    if !seen.insert(property) {
                        return Err(de::Error::duplicate_field(property.wire_name()));
                    }
                    object.read(property, &mut map)?;
                }
                Key::Unknown(name) => {
                    // Any member twice is an error, not last-one-wins: the
                    // two could disagree.
                    if object.extra_members().contains_key(&name) {
                        return Err(de::Error::custom(format_args!("duplicate field `{name}`")));
                    }
                    let value: Value = map.next_value()?;
                    object.extra_members_mut().insert(name, value);
                }
            }
        }
        object.set_absent_set(seen.complement());
        object.check().map_err(de::Error::custom)?;
        Ok(object)
    }
}

pub(super) fn deserialize_object<'de, T: WireObject, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    deserializer.deserialize_map(ObjectVisitor::<T>(PhantomData))
}

/// The properties to write, in order: known ones unless absent-and-`None`,
/// then unknown ones whose names do not shadow a known property.
fn written_fields<T: WireObject>(object: &T) -> impl Iterator<Item = (&str, FieldRef<'_>)> {
    let absent = object.absent_set();
    let known = T::Property::ALL.iter().filter_map(move |&p| {
        let field = object.field(p);
        let skip = matches!(field, FieldRef::Null) && absent.contains(p);
        (!skip).then(|| (p.wire_name(), field))
    });
    let unknown = object
        .extra_members()
        .iter()
        .filter(|(name, _)| T::Property::from_wire_name(name).is_none())
        .map(|(name, value)| (name.as_str(), FieldRef::Json(value)));
    known.chain(unknown)
}

pub(super) fn serialize_object<T: WireObject, S: Serializer>(
    object: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(None)?;
    for (name, field) in written_fields(object) {
        map.serialize_entry(name, &field)?;
    }
    map.end()
}

pub(super) fn object_to_json<T: WireObject>(object: &T) -> Value {
    Value::Object(
        written_fields(object)
            .map(|(name, field)| (name.to_owned(), field.to_json()))
            .collect(),
    )
}
