//! The MachineAction wire model and the entity-access trait the evaluator
//! reads entities through.
//!
//! Owns: [`MachineAction`] and its parts ([`RelatedFileInfo`], [`Timestamp`]),
//! reading and writing the Defender wire JSON without loss; the
//! [`Entity`] trait with its implementations for `MachineAction` and for
//! `serde_json::Value` objects; the known values of `type` and `status`
//! ([`ActionType`], [`ActionStatus`]); and [`parse_timestamp`], the one
//! DateTimeOffset text parser for entity data.
//!
//! Must not know about: query syntax, the validation schema (which properties
//! are filterable, which types a comparison accepts) or evaluation semantics.
//! The evaluator converts what [`Entity::property`] hands it.
//!
//! # Lossless round trip
//!
//! Deserializing a response and serializing it again loses nothing:
//!
//! - **null vs absent.** Every property is an `Option`. Which known
//!   properties were *absent* from the input is remembered in
//!   [`MachineAction::absent`] (a bitset, no allocation): a `None` property is
//!   written as `null` unless it is in that set, in which case it is left out.
//!   A value built in code (`MachineAction::default()`) has an empty set, so
//!   its `None`s are written as `null`, as the service itself writes them.
//!   Setting a property to `Some` always writes it, whatever the set says.
//! - **Timestamps** keep the text they were read from next to the parsed
//!   instant ([`Timestamp`]), so `2018-12-04T12:43:57.2011911Z`, `...57.2Z`,
//!   `...57Z` and `...57+01:00` each come back byte-identical. Rebuilding
//!   the text from the instant would need the digit count, the `Z`/`+00:00`
//!   spelling and the letter case to be remembered as well; the text is the
//!   simplest record that is exact for every input.
//! - **`lastUpdateTimeUtc`**, the name the docs' examples use, is read as an
//!   alias of `lastUpdateDateTimeUtc` and written under the canonical name.
//!   Both names in one object is a `duplicate field` error, as either name
//!   twice is: the two could disagree.
//! - **Unknown properties** are kept, in their input order, in
//!   [`MachineAction::extra`] and written after the known ones (nested
//!   objects are `serde_json::Value`s, whose order `preserve_order` keeps).
//!   Known properties are written in the order of the service's entity
//!   documentation ([`Property`]), not in input order: remembering the input
//!   order would cost a list per entity, and JSON object equality ignores
//!   order. The docs' Example 1 uses yet another order, so its text does
//!   not come back byte for byte, but every member and value does.
//!
//! `Deserialize` and `Serialize` are written by hand rather than derived:
//! derive cannot tell absent from `null` without wrapping every field, and
//! `#[serde(flatten)]` buffers the whole object before reading it. (Derive's
//! `alias` does work together with `flatten` in the serde version in use;
//! the hand-written reader still accepts the alias, and the tests check it
//! next to unknown fields.)
//!
//! # Entity access
//!
//! [`Entity`] lets the evaluator resolve a property name once, when a filter
//! is compiled, into an [`Entity::Accessor`], and then read each entity with
//! it: for `MachineAction` the accessor is a [`Property`] and a read is a
//! `match`, with no name look-up and no allocation. JSON objects have no
//! fixed properties, so their accessor carries the name and a read is one
//! hash look-up, still without allocation.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, Offset, Timelike};
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

// ---------------------------------------------------------------------------
// Timestamps

/// Parses a DateTimeOffset as entity data writes it:
/// `YYYY-MM-DDThh:mm[:ss[.fffffff]]` followed by `Z` or `±hh:mm`.
///
/// The grammar is the one `$filter` literals are read with (the OData ABNF's
/// `dateTimeOffsetValue`: `T` and `Z` in either case, up to 12 fraction
/// digits with nanoseconds kept, a leap second 60, offsets to ±23:59), so a
/// value a filter can write is a value the data can hold. Returns `None`
/// for anything else, including impossible dates and times.
pub fn parse_timestamp(text: &str) -> Option<DateTime<FixedOffset>> {
    match crate::syntax::lexer::date_time_offset(text)? {
        ("", value) => Some(value.0),
        _ => None,
    }
}

/// A DateTimeOffset property value: the instant, and the exact text it was
/// read from, which is what it is written back as.
///
/// Equality (and hashing) compare the text, so two timestamps are equal when
/// they would be written identically; compare [`Timestamp::value`]s to
/// compare instants.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Timestamp {
    // Invariant: `parse_timestamp(&text) == Some(value)`, offset included.
    text: Box<str>,
    value: DateTime<FixedOffset>,
}

impl Timestamp {
    /// Parses `text` (see [`parse_timestamp`] for the accepted shape),
    /// keeping it verbatim.
    pub fn parse(text: &str) -> Result<Timestamp, InvalidTimestamp> {
        match parse_timestamp(text) {
            Some(value) => Ok(Timestamp {
                text: text.into(),
                value,
            }),
            None => Err(InvalidTimestamp {
                text: text.to_owned(),
            }),
        }
    }

    /// A timestamp for `value`, written the way the service writes them:
    /// seven fraction digits (nine when the value has sub-100ns precision),
    /// `Z` for a zero offset, else `±hh:mm`.
    ///
    /// `None` when that text could not be read back as the same value: a
    /// year outside `0000..=9999` or a leap second.
    pub fn from_datetime(value: DateTime<FixedOffset>) -> Option<Timestamp> {
        let nanos = value.nanosecond();
        let fraction = if nanos % 100 == 0 {
            format!("{:07}", nanos / 100)
        } else {
            format!("{nanos:09}")
        };
        let offset_seconds = value.offset().fix().local_minus_utc();
        let offset = if offset_seconds == 0 {
            "Z".to_owned()
        } else {
            let sign = if offset_seconds < 0 { '-' } else { '+' };
            let minutes = offset_seconds.unsigned_abs() / 60;
            format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
        };
        let text = format!(
            "{}.{fraction}{offset}",
            value.naive_local().format("%Y-%m-%dT%H:%M:%S")
        );
        let read_back = parse_timestamp(&text)?;
        (read_back == value && read_back.offset() == value.offset()).then(|| Timestamp {
            text: text.into(),
            value,
        })
    }

    /// The instant, with the offset it was written with.
    pub fn value(&self) -> DateTime<FixedOffset> {
        self.value
    }

    /// The text it was read from (or built as), as it is written back.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Timestamp {
    type Err = InvalidTimestamp;

    fn from_str(text: &str) -> Result<Timestamp, InvalidTimestamp> {
        Timestamp::parse(text)
    }
}

/// Text that is not a DateTimeOffset in the shape [`parse_timestamp`] reads.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid DateTimeOffset {text:?}: expected YYYY-MM-DDThh:mm[:ss[.fffffff]] and Z or ±hh:mm"
)]
pub struct InvalidTimestamp {
    /// The rejected text.
    pub text: String,
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        struct TimestampVisitor;

        impl Visitor<'_> for TimestampVisitor {
            type Value = Timestamp;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a DateTimeOffset string such as \"2018-12-04T12:43:57.2011911Z\"")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
                Timestamp::parse(text)
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(text), &self))
            }
        }

        deserializer.deserialize_str(TimestampVisitor)
    }
}

// ---------------------------------------------------------------------------
// Property names and sets

/// The known properties of a wire object, usable as members of a
/// [`PropertySet`].
pub trait PropertyKey: Copy + Eq + fmt::Debug + 'static {
    /// Every property, in the order they are written.
    const ALL: &'static [Self];

    /// The property's position in [`PropertyKey::ALL`] (below 32).
    fn index(self) -> u32;

    /// The exact (camelCase) name on the wire.
    fn wire_name(self) -> &'static str;

    /// The property a wire name denotes, exactly as spelled; aliases
    /// included.
    fn from_wire_name(name: &str) -> Option<Self>;
}

/// A set of the known properties of one wire object type: in
/// [`MachineAction::absent`], those absent from the input.
pub struct PropertySet<P> {
    bits: u32,
    _property: PhantomData<fn() -> P>,
}

// Derives would demand `P: Clone` etc. of the marker type; the set itself
// is a plain `u32`.
impl<P> Clone for PropertySet<P> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P> Copy for PropertySet<P> {}
impl<P> PartialEq for PropertySet<P> {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits
    }
}
impl<P> Eq for PropertySet<P> {}
impl<P> Default for PropertySet<P> {
    fn default() -> Self {
        PropertySet::new()
    }
}

impl<P: PropertyKey> fmt::Debug for PropertySet<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<P> PropertySet<P> {
    /// The empty set.
    pub const fn new() -> PropertySet<P> {
        PropertySet {
            bits: 0,
            _property: PhantomData,
        }
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.bits == 0
    }
}

impl<P: PropertyKey> PropertySet<P> {
    /// Every known property.
    pub fn all() -> PropertySet<P> {
        P::ALL.iter().fold(PropertySet::new(), |mut set, &p| {
            set.insert(p);
            set
        })
    }

    /// Whether `property` is in the set.
    pub fn contains(&self, property: P) -> bool {
        self.bits & (1 << property.index()) != 0
    }

    /// Adds `property`; returns whether it was not there yet.
    pub fn insert(&mut self, property: P) -> bool {
        let fresh = !self.contains(property);
        self.bits |= 1 << property.index();
        fresh
    }

    /// Removes `property`; returns whether it was there.
    pub fn remove(&mut self, property: P) -> bool {
        let present = self.contains(property);
        self.bits &= !(1 << property.index());
        present
    }

    /// The known properties not in the set.
    pub fn complement(&self) -> PropertySet<P> {
        PropertySet {
            bits: PropertySet::<P>::all().bits & !self.bits,
            _property: PhantomData,
        }
    }

    /// The members, in [`PropertyKey::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = P> + '_ {
        P::ALL.iter().copied().filter(|&p| self.contains(p))
    }
}

/// Declares a property enum over a schema's property list: variant `i` is
/// the schema's property `i`, whose name (and aliases) it answers to. The
/// names live in the schema only.
macro_rules! properties {
    (
        $(#[$meta:meta])*
        $name:ident in $defs:expr => { $( $(#[$vmeta:meta])* $variant:ident, )* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// The exact (camelCase) name on the wire: the schema's.
            pub fn wire_name(self) -> &'static str {
                $defs[self as usize].name
            }

            /// Resolves a property name case-insensitively (as the service
            /// does), aliases included.
            pub fn resolve(name: &str) -> Option<$name> {
                let def = crate::schema::find_property($defs, name)?;
                <$name as PropertyKey>::ALL
                    .iter()
                    .copied()
                    .find(|p| std::ptr::eq(&$defs[*p as usize], def))
            }
        }

        // A `PropertySet` is a `u32` bitset, and every variant is one of the
        // schema's properties, in its order.
        const _: () = assert!(<$name as PropertyKey>::ALL.len() <= 32);
        const _: () = assert!(<$name as PropertyKey>::ALL.len() == $defs.len());

        impl PropertyKey for $name {
            const ALL: &'static [$name] = &[ $( $name::$variant, )* ];

            fn index(self) -> u32 {
                self as u32
            }

            fn wire_name(self) -> &'static str {
                $name::wire_name(self)
            }

            fn from_wire_name(name: &str) -> Option<$name> {
                <$name as PropertyKey>::ALL.iter().copied().find(|p| {
                    let def = &$defs[*p as usize];
                    def.name == name || def.aliases.contains(&name)
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.wire_name())
            }
        }
    };
}

properties! {
    /// The properties of a [`MachineAction`], in the order of the
    /// MachineActions schema, which is the order the service writes them
    /// in its responses (the docs' Examples 1 and 2 put `scope` right after
    /// `type`) and this crate writes them.
    ///
    /// It is the [`Entity::Accessor`] of `MachineAction`.
    Property in crate::schema::MACHINE_ACTIONS.properties => {
        /// `id`: the action's GUID, as text.
        Id,
        /// `type`: what the action does; see [`ActionType`].
        Type,
        /// `scope`: e.g. `Full` or `Selective`.
        Scope,
        /// `title`.
        Title,
        /// `requestor`: who asked for the action.
        Requestor,
        /// `requestorComment`.
        RequestorComment,
        /// `status`: see [`ActionStatus`].
        Status,
        /// `machineId`: the device the action runs on.
        MachineId,
        /// `computerDnsName`.
        ComputerDnsName,
        /// `creationDateTimeUtc`.
        CreationDateTimeUtc,
        /// `lastUpdateDateTimeUtc` (also read as `lastUpdateTimeUtc`, the
        /// spelling of the docs' examples).
        LastUpdateDateTimeUtc,
        /// `cancellationRequestor`.
        CancellationRequestor,
        /// `cancellationComment`.
        CancellationComment,
        /// `cancellationDateTimeUtc`.
        CancellationDateTimeUtc,
        /// `errorHResult`: an Int32.
        ErrorHResult,
        /// `externalId`: the caller's correlation id.
        ExternalId,
        /// `requestSource`.
        RequestSource,
        /// `relatedFileInfo`: see [`RelatedFileInfo`].
        RelatedFileInfo,
        /// `commands`: the live response commands.
        Commands,
        /// `troubleshootInfo`.
        TroubleshootInfo,
    }
}

properties! {
    /// The properties of a [`RelatedFileInfo`], in writing order.
    FileInfoProperty in crate::schema::machine_action::FILE_INFO.properties => {
        /// `fileIdentifier`: the hash.
        FileIdentifier,
        /// `fileIdentifierType`: `Sha1`, `Sha256`, ...
        FileIdentifierType,
    }
}

// ---------------------------------------------------------------------------
// Known values of `type` and `status`

/// Declares a string-valued enum of known values.
macro_rules! known_values {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident, )* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// Every known value, in the documentation's order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )* ];

            /// Every known value as the service spells it, in the same
            /// order: the schema's list of known values.
            pub const NAMES: &'static [&'static str] = &[ $( stringify!($variant), )* ];

            /// The value as the service spells it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => stringify!($variant), )*
                }
            }

            /// The known value spelled exactly `text` (values compare
            /// ordinally, as strings do in `$filter`).
            pub fn parse(text: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

known_values! {
    /// The known values of `MachineAction.type`. The property
    /// itself stays a `String`: the service adds values.
    ActionType {
        /// An antivirus scan.
        RunAntiVirusScan,
        /// Offboarding the device.
        Offboard,
        /// A live response session.
        LiveResponse,
        /// Collecting an investigation package.
        CollectInvestigationPackage,
        /// Isolating the device from the network.
        Isolate,
        /// Releasing the device from isolation.
        Unisolate,
        /// Stopping a file and quarantining it.
        StopAndQuarantineFile,
        /// Restricting app execution.
        RestrictCodeExecution,
        /// Lifting the app execution restriction.
        UnrestrictCodeExecution,
        /// Collecting a file sample.
        RequestSample,
        /// Not known to the service.
        Unknown,
    }
}

known_values! {
    /// The known values of `MachineAction.status`. The property
    /// itself stays a `String`: the service adds values.
    ActionStatus {
        /// Not started yet.
        Pending,
        /// Running.
        InProgress,
        /// Done.
        Succeeded,
        /// Done, unsuccessfully.
        Failed,
        /// Not done in time.
        TimeOut,
        /// Cancelled by a user.
        Cancelled,
    }
}

// ---------------------------------------------------------------------------
// The shared reader and writer of wire objects

/// One property value of a wire object, borrowed, as it is written.
#[derive(Clone, Copy)]
enum FieldRef<'a> {
    Null,
    Str(&'a str),
    Int(i32),
    Time(&'a Timestamp),
    FileInfo(&'a RelatedFileInfo),
    Collection(&'a [Value]),
    Json(&'a Value),
}

impl<'a> FieldRef<'a> {
    fn of_str(value: &'a Option<String>) -> FieldRef<'a> {
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
trait WireObject: Default {
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
                    let value: Value = map.next_value()?;
                    object.extra_members_mut().insert(name, value);
                }
            }
        }
        object.set_absent_set(seen.complement());
        Ok(object)
    }
}

fn deserialize_object<'de, T: WireObject, D: Deserializer<'de>>(
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

fn serialize_object<T: WireObject, S: Serializer>(
    object: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(None)?;
    for (name, field) in written_fields(object) {
        map.serialize_entry(name, &field)?;
    }
    map.end()
}

fn object_to_json<T: WireObject>(object: &T) -> Value {
    Value::Object(
        written_fields(object)
            .map(|(name, field)| (name.to_owned(), field.to_json()))
            .collect(),
    )
}

// ---------------------------------------------------------------------------
// RelatedFileInfo

/// The `relatedFileInfo` of a [`MachineAction`]: the file an action is
/// about. Read and written as losslessly as the action itself (see the
/// module docs).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RelatedFileInfo {
    /// `fileIdentifier`: the hash.
    pub file_identifier: Option<String>,
    /// `fileIdentifierType`: `Sha1`, `Sha256`, ...
    pub file_identifier_type: Option<String>,
    /// Unknown properties, in input order; written after the known ones.
    pub extra: Map<String, Value>,
    /// The known properties that were absent from the input; `None` ones in
    /// this set are left out when writing, the other `None`s are `null`.
    pub absent: PropertySet<FileInfoProperty>,
}

impl RelatedFileInfo {
    /// The wire form.
    pub fn to_json(&self) -> Value {
        object_to_json(self)
    }

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

impl WireObject for RelatedFileInfo {
    type Property = FileInfoProperty;

    fn read<'de, A: MapAccess<'de>>(
        &mut self,
        property: FileInfoProperty,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match property {
            FileInfoProperty::FileIdentifier => self.file_identifier = map.next_value()?,
            FileInfoProperty::FileIdentifierType => self.file_identifier_type = map.next_value()?,
        }
        Ok(())
    }

    fn field(&self, property: FileInfoProperty) -> FieldRef<'_> {
        match property {
            FileInfoProperty::FileIdentifier => FieldRef::of_str(&self.file_identifier),
            FileInfoProperty::FileIdentifierType => FieldRef::of_str(&self.file_identifier_type),
        }
    }

    fn extra_members(&self) -> &Map<String, Value> {
        &self.extra
    }

    fn extra_members_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.extra
    }

    fn absent_set(&self) -> PropertySet<FileInfoProperty> {
        self.absent
    }

    fn set_absent_set(&mut self, absent: PropertySet<FileInfoProperty>) {
        self.absent = absent;
    }
}

impl Serialize for RelatedFileInfo {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_object(self, serializer)
    }
}

impl<'de> Deserialize<'de> for RelatedFileInfo {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RelatedFileInfo, D::Error> {
        deserialize_object(deserializer)
    }
}

// ---------------------------------------------------------------------------
// MachineAction

/// One Defender machine action, as `GET /api/machineactions` returns it.
///
/// Every property is nullable; see the module docs for how `null`, absent
/// and unknown properties and timestamps survive a round trip.
/// `MachineAction::default()` is an action whose every property is `null`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MachineAction {
    /// `id`: the action's GUID, as text (kept verbatim, case included).
    pub id: Option<String>,
    /// `type` (wire name): what the action does. A `String`, not an
    /// [`ActionType`], because the service adds values; see
    /// [`MachineAction::known_type`].
    pub action_type: Option<String>,
    /// `title`.
    pub title: Option<String>,
    /// `requestor`: who asked for the action.
    pub requestor: Option<String>,
    /// `requestorComment`.
    pub requestor_comment: Option<String>,
    /// `status`. A `String`, not an [`ActionStatus`], because the service
    /// adds values; see [`MachineAction::known_status`].
    pub status: Option<String>,
    /// `machineId`: the device the action runs on.
    pub machine_id: Option<String>,
    /// `computerDnsName`.
    pub computer_dns_name: Option<String>,
    /// `creationDateTimeUtc`.
    pub creation_date_time_utc: Option<Timestamp>,
    /// `lastUpdateDateTimeUtc` (read from `lastUpdateTimeUtc` too).
    pub last_update_date_time_utc: Option<Timestamp>,
    /// `cancellationRequestor`.
    pub cancellation_requestor: Option<String>,
    /// `cancellationComment`.
    pub cancellation_comment: Option<String>,
    /// `cancellationDateTimeUtc`.
    pub cancellation_date_time_utc: Option<Timestamp>,
    /// `errorHResult`: an Int32.
    pub error_h_result: Option<i32>,
    /// `scope`.
    pub scope: Option<String>,
    /// `externalId`.
    pub external_id: Option<String>,
    /// `requestSource`.
    pub request_source: Option<String>,
    /// `relatedFileInfo`.
    pub related_file_info: Option<RelatedFileInfo>,
    /// `commands`: the live response commands. Their shape is documented
    /// only by example on another endpoint's page and nothing here
    /// evaluates them, so each is kept as the JSON it was.
    pub commands: Option<Vec<Value>>,
    /// `troubleshootInfo`, kept as the JSON it was.
    pub troubleshoot_info: Option<Value>,
    /// Unknown properties, in input order; written after the known ones.
    pub extra: Map<String, Value>,
    /// The known properties that were absent from the input; `None` ones in
    /// this set are left out when writing, the other `None`s are `null`.
    pub absent: PropertySet<Property>,
}

impl MachineAction {
    /// The wire form, as [`Serialize`] writes it.
    pub fn to_json(&self) -> Value {
        object_to_json(self)
    }

    /// `type` as a known [`ActionType`], if it is one.
    pub fn known_type(&self) -> Option<ActionType> {
        self.action_type.as_deref().and_then(ActionType::parse)
    }

    /// `status` as a known [`ActionStatus`], if it is one.
    pub fn known_status(&self) -> Option<ActionStatus> {
        self.status.as_deref().and_then(ActionStatus::parse)
    }
}

impl WireObject for MachineAction {
    type Property = Property;

    fn read<'de, A: MapAccess<'de>>(
        &mut self,
        property: Property,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match property {
            Property::Id => self.id = map.next_value()?,
            Property::Type => self.action_type = map.next_value()?,
            Property::Title => self.title = map.next_value()?,
            Property::Requestor => self.requestor = map.next_value()?,
            Property::RequestorComment => self.requestor_comment = map.next_value()?,
            Property::Status => self.status = map.next_value()?,
            Property::MachineId => self.machine_id = map.next_value()?,
            Property::ComputerDnsName => self.computer_dns_name = map.next_value()?,
            Property::CreationDateTimeUtc => self.creation_date_time_utc = map.next_value()?,
            Property::LastUpdateDateTimeUtc => self.last_update_date_time_utc = map.next_value()?,
            Property::CancellationRequestor => self.cancellation_requestor = map.next_value()?,
            Property::CancellationComment => self.cancellation_comment = map.next_value()?,
            Property::CancellationDateTimeUtc => {
                self.cancellation_date_time_utc = map.next_value()?
            }
            Property::ErrorHResult => self.error_h_result = map.next_value()?,
            Property::Scope => self.scope = map.next_value()?,
            Property::ExternalId => self.external_id = map.next_value()?,
            Property::RequestSource => self.request_source = map.next_value()?,
            Property::RelatedFileInfo => self.related_file_info = map.next_value()?,
            Property::Commands => self.commands = map.next_value()?,
            Property::TroubleshootInfo => self.troubleshoot_info = map.next_value()?,
        }
        Ok(())
    }

    fn field(&self, property: Property) -> FieldRef<'_> {
        fn time(value: &Option<Timestamp>) -> FieldRef<'_> {
            value.as_ref().map_or(FieldRef::Null, FieldRef::Time)
        }
        match property {
            Property::Id => FieldRef::of_str(&self.id),
            Property::Type => FieldRef::of_str(&self.action_type),
            Property::Title => FieldRef::of_str(&self.title),
            Property::Requestor => FieldRef::of_str(&self.requestor),
            Property::RequestorComment => FieldRef::of_str(&self.requestor_comment),
            Property::Status => FieldRef::of_str(&self.status),
            Property::MachineId => FieldRef::of_str(&self.machine_id),
            Property::ComputerDnsName => FieldRef::of_str(&self.computer_dns_name),
            Property::CreationDateTimeUtc => time(&self.creation_date_time_utc),
            Property::LastUpdateDateTimeUtc => time(&self.last_update_date_time_utc),
            Property::CancellationRequestor => FieldRef::of_str(&self.cancellation_requestor),
            Property::CancellationComment => FieldRef::of_str(&self.cancellation_comment),
            Property::CancellationDateTimeUtc => time(&self.cancellation_date_time_utc),
            Property::ErrorHResult => self.error_h_result.map_or(FieldRef::Null, FieldRef::Int),
            Property::Scope => FieldRef::of_str(&self.scope),
            Property::ExternalId => FieldRef::of_str(&self.external_id),
            Property::RequestSource => FieldRef::of_str(&self.request_source),
            Property::RelatedFileInfo => self
                .related_file_info
                .as_ref()
                .map_or(FieldRef::Null, FieldRef::FileInfo),
            Property::Commands => self
                .commands
                .as_deref()
                .map_or(FieldRef::Null, FieldRef::Collection),
            Property::TroubleshootInfo => self
                .troubleshoot_info
                .as_ref()
                .map_or(FieldRef::Null, FieldRef::Json),
        }
    }

    fn extra_members(&self) -> &Map<String, Value> {
        &self.extra
    }

    fn extra_members_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.extra
    }

    fn absent_set(&self) -> PropertySet<Property> {
        self.absent
    }

    fn set_absent_set(&mut self, absent: PropertySet<Property>) {
        self.absent = absent;
    }
}

impl Serialize for MachineAction {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_object(self, serializer)
    }
}

impl<'de> Deserialize<'de> for MachineAction {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<MachineAction, D::Error> {
        deserialize_object(deserializer)
    }
}

// ---------------------------------------------------------------------------
// Entity access

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

    fn utc(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).expect("test timestamp")
    }

    #[test]
    fn timestamp_defender_shape_matches_chrono() {
        let text = "2018-12-04T12:43:57.2011911Z";
        assert_eq!(parse_timestamp(text), Some(utc(text)));
        assert_eq!(
            parse_timestamp(text).map(|t| t.timestamp_subsec_nanos()),
            Some(201_191_100)
        );
    }

    #[test]
    fn timestamp_shapes_accepted() {
        for (text, rfc3339) in [
            ("2018-12-04T12:43:57Z", "2018-12-04T12:43:57Z"),
            ("2018-12-04T12:43:57.2Z", "2018-12-04T12:43:57.2Z"),
            ("2018-12-04T12:43Z", "2018-12-04T12:43:00Z"),
            ("2018-12-04t12:43:57z", "2018-12-04T12:43:57Z"),
            ("2018-12-04T12:43:57+01:30", "2018-12-04T12:43:57+01:30"),
            ("2018-12-04T12:43:57-00:00", "2018-12-04T12:43:57+00:00"),
            (
                "2018-12-04T12:43:57.123456789999Z",
                "2018-12-04T12:43:57.123456789Z",
            ),
            (
                "2016-02-29T23:59:59.9999999-23:59",
                "2016-02-29T23:59:59.9999999-23:59",
            ),
        ] {
            let parsed = parse_timestamp(text);
            assert_eq!(parsed, Some(utc(rfc3339)), "{text}");
            assert_eq!(
                parsed.map(|p| p.offset().local_minus_utc()),
                Some(utc(rfc3339).offset().local_minus_utc()),
                "{text}"
            );
        }
    }

    #[test]
    fn timestamp_shapes_rejected() {
        for text in [
            "",
            "2018-12-04",
            "2018-12-04Z",
            "2018-12-04T12:43:57",
            "2018-12-04 12:43:57Z",
            "2018-12-04T12:43:57.Z",
            "2018-12-04T12:43:57.1234567890123Z",
            "2018-12-04T12:43:57ZZ",
            "2018-12-04T12:43:57+0100",
            "2018-12-04T12:43:57+24:00",
            "2018-12-04T12:43:57+01:60",
            "2018-02-30T12:43:57Z",
            "2018-13-04T12:43:57Z",
            "2018-12-04T24:00:00Z",
            "2018-12-04T12:60:00Z",
            "2016-12-31T23:59:61Z",
            "+2018-12-04T12:43:57Z",
            "２018-12-04T12:43:57Z",
            "2018-12-04T12:43:57.1é",
        ] {
            assert_eq!(parse_timestamp(text), None, "{text:?}");
        }
    }

    #[test]
    fn from_datetime_writes_defender_form_and_reads_back() {
        let seven = Timestamp::from_datetime(utc("2018-12-04T12:43:57.2011911Z"));
        assert_eq!(
            seven.as_ref().map(Timestamp::as_str),
            Some("2018-12-04T12:43:57.2011911Z")
        );
        let nine = Timestamp::from_datetime(utc("2018-12-04T12:43:57.201191123+05:30"));
        assert_eq!(
            nine.as_ref().map(Timestamp::as_str),
            Some("2018-12-04T12:43:57.201191123+05:30")
        );
        let whole = Timestamp::from_datetime(utc("2018-12-04T12:43:57-08:00"));
        assert_eq!(
            whole.as_ref().map(Timestamp::as_str),
            Some("2018-12-04T12:43:57.0000000-08:00")
        );
        let far = DateTime::parse_from_rfc3339("+10000-01-01T00:00:00Z");
        if let Ok(far) = far {
            assert_eq!(Timestamp::from_datetime(far), None);
        }
    }

    #[test]
    fn property_set_operations() {
        let mut set = PropertySet::<Property>::new();
        assert!(set.is_empty());
        assert!(set.insert(Property::Scope));
        assert!(!set.insert(Property::Scope));
        assert!(set.contains(Property::Scope));
        assert_eq!(set.complement().iter().count(), Property::ALL.len() - 1);
        assert!(!set.complement().contains(Property::Scope));
        assert!(set.remove(Property::Scope));
        assert!(set.is_empty());
        assert_eq!(PropertySet::<Property>::all().iter().count(), 20);
    }

    #[test]
    fn known_values_round_trip() {
        for t in ActionType::ALL {
            assert_eq!(ActionType::parse(t.as_str()), Some(*t));
        }
        for s in ActionStatus::ALL {
            assert_eq!(ActionStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(ActionStatus::parse("succeeded"), None);
        assert_eq!(ActionType::ALL.len(), 11);
        assert_eq!(ActionStatus::ALL.len(), 6);
    }

    #[test]
    fn wire_names_are_exact_and_resolution_is_not() {
        assert_eq!(
            Property::from_wire_name("lastUpdateTimeUtc"),
            Some(Property::LastUpdateDateTimeUtc)
        );
        assert_eq!(Property::from_wire_name("MachineId"), None);
        assert_eq!(Property::resolve("MACHINEID"), Some(Property::MachineId));
        assert_eq!(
            Property::resolve("LastUpdateTimeUTC"),
            Some(Property::LastUpdateDateTimeUtc)
        );
        for p in Property::ALL {
            assert_eq!(Property::from_wire_name(p.wire_name()), Some(*p));
            assert_eq!(
                p.index() as usize,
                Property::ALL.iter().position(|q| q == p).unwrap_or(99)
            );
        }
    }

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
