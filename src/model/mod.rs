//! The MachineAction wire model and the entity-access trait the evaluator
//! reads entities through.
//!
//! Owns: [`MachineAction`] and its parts ([`RelatedFileInfo`], [`Timestamp`]),
//! reading and writing the Defender wire JSON without loss; the
//! [`Entity`] trait with its implementations for `MachineAction` and for
//! `serde_json::Value` objects; the known values of `type` and `status`
//! ([`ActionType`], [`ActionStatus`]); the property enums and known values
//! of Machines and Alerts, which have no wire types here but are named by
//! `$select` and the typed builder ([`MachineProperty`], [`AlertProperty`],
//! [`HealthStatus`], [`AlertSeverity`], …); and [`parse_timestamp`], the
//! one DateTimeOffset text parser for entity data.
//!
//! Must not know about: query syntax, the validation schema (which properties
//! are filterable, which types a comparison accepts) or evaluation semantics.
//! The evaluator converts what [`Entity::property`] hands it.
//!
//! One file a part: `timestamp` ([`Timestamp`], [`parse_timestamp`]),
//! `property` (the property enums, [`PropertySet`] and the known values),
//! `wire` (the shared, hand-written reader and writer of wire objects),
//! `machine_action` (the wire types) and `entity` ([`Entity`] and its
//! implementations).
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
//! `Deserialize` and `Serialize` are written by hand rather than derived
//! (`wire.rs` says why).
//!
//! # Entity access
//!
//! [`Entity`] lets the evaluator resolve a property name once, when a filter
//! is compiled, into an [`Entity::Accessor`], and then read each entity with
//! it: for `MachineAction` a read is a `match`, with no name look-up and no
//! allocation; for a JSON object, one hash look-up.

mod entity;
mod machine_action;
mod property;
mod timestamp;
mod wire;

pub use entity::{
    AsEntity, Complex, Entity, JsonProperty, PropertyValue, UseInstantReader, UseTextReader,
};
pub use machine_action::{MachineAction, RelatedFileInfo};
pub use property::{
    ActionStatus, ActionType, AlertProperty, AlertSeverity, AlertStatus, DeviceValue,
    ExposureLevel, FileInfoProperty, HealthStatus, MachineProperty, OnboardingStatus, Property,
    PropertyKey, PropertySet, RiskScore,
};
pub use timestamp::{parse_timestamp, InvalidTimestamp, Timestamp};
