//! A compact entity type for the eval scaling series: what a caller holding
//! a million actions in memory could give the evaluator instead of
//! [`MachineAction`]s, to show how much of the hot series' growth is the
//! entity layout rather than the evaluator.
//!
//! A `MachineAction` is the wire type: 720 bytes, and every string a heap
//! allocation of its own, so a million of them (about 1 GB with their
//! strings) outgrow every cache. A [`CompactAction`] holds only the six
//! filterable properties, 112 bytes with nothing on the heap: the ids
//! inline, `type` and `status` as indexes into the known values, the
//! requestor interned (a `&'static str` shared by every action with that
//! requestor). The evaluator reads it through the same public
//! [`Entity`] trait, with direct readers, as it reads a `MachineAction`.
//!
//! It holds exactly what the bench's generated data holds (ids of 36 and
//! machine ids of 40 ASCII characters, and the types and statuses of the
//! bench's `TYPES` and `STATUSES`, which the indexes stand for);
//! [`CompactAction::from_action`] panics on anything else.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use defender_odata::model::{
    Entity, MachineAction, Property, PropertyValue, UseInstantReader, UseTextReader,
};
use serde_json::json;

/// The filterable properties of a MachineAction, held compactly.
pub struct CompactAction {
    id: [u8; 36],
    machine_id: [u8; 40],
    created: Option<DateTime<FixedOffset>>,
    /// Interned: see [`Interner`].
    requestor: Option<&'static str>,
    /// An index into the known types; [`ABSENT`] for null.
    action_type: u8,
    /// An index into the known statuses; [`ABSENT`] for null.
    status: u8,
}

/// The index standing for null.
const ABSENT: u8 = u8::MAX;

/// The property a [`CompactAction`] accessor reads.
#[derive(Clone, Copy, Debug)]
pub enum Field {
    Id,
    Type,
    Status,
    MachineId,
    Requestor,
    Created,
}

/// Hands out one leaked copy of each distinct string, so that a row holds
/// a `&'static str` to it: there are about a thousand requestors in the
/// bench's million actions.
#[derive(Default)]
pub struct Interner(HashMap<String, &'static str>);

impl Interner {
    fn intern(&mut self, text: &str) -> &'static str {
        if let Some(&interned) = self.0.get(text) {
            return interned;
        }
        let interned: &'static str = Box::leak(text.into());
        self.0.insert(text.to_owned(), interned);
        interned
    }
}

impl CompactAction {
    /// `action`, held compactly.
    pub fn from_action(action: &MachineAction, interner: &mut Interner) -> CompactAction {
        fn index(value: Option<&str>, known: &[&str]) -> u8 {
            value.map_or(ABSENT, |value| {
                let found = known.iter().position(|&k| k == value);
                found.expect("a known value") as u8
            })
        }
        fn inline<const N: usize>(value: Option<&str>) -> [u8; N] {
            let bytes = value.expect("present").as_bytes();
            bytes.try_into().expect("of the bench's length")
        }
        CompactAction {
            id: inline(action.id.as_deref()),
            machine_id: inline(action.machine_id.as_deref()),
            created: action.creation_date_time_utc.as_ref().map(|t| t.value()),
            requestor: action.requestor.as_deref().map(|r| interner.intern(r)),
            action_type: index(action.action_type.as_deref(), &super::TYPES),
            status: index(action.status.as_deref(), &super::STATUSES),
        }
    }

    pub fn machine_id(&self) -> &[u8; 40] {
        &self.machine_id
    }

    /// The status's index into the known statuses, `None` for null.
    pub fn status_index(&self) -> Option<u8> {
        (self.status != ABSENT).then_some(self.status)
    }

    #[inline(always)]
    fn text(&self, field: Field) -> Option<&str> {
        match field {
            Field::Id => ascii(&self.id),
            Field::MachineId => ascii(&self.machine_id),
            Field::Type => known(self.action_type, &super::TYPES),
            Field::Status => known(self.status, &super::STATUSES),
            Field::Requestor => self.requestor,
            Field::Created => None,
        }
    }
}

/// Inline text, which was copied from a `&str` and so is always UTF-8.
#[inline(always)]
fn ascii(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok()
}

#[inline(always)]
fn known(index: u8, values: &[&'static str]) -> Option<&'static str> {
    values.get(usize::from(index)).copied()
}

impl Entity for CompactAction {
    type Accessor = Field;

    /// As `MachineAction` resolves names (case-insensitively), for the
    /// properties this type holds.
    fn accessor(name: &str) -> Option<Field> {
        Some(match Property::resolve(name)? {
            Property::Id => Field::Id,
            Property::Type => Field::Type,
            Property::Status => Field::Status,
            Property::MachineId => Field::MachineId,
            Property::Requestor => Field::Requestor,
            Property::CreationDateTimeUtc => Field::Created,
            _ => return None,
        })
    }

    fn property<'a>(&'a self, field: &Field) -> PropertyValue<'a> {
        match field {
            Field::Created => self
                .created
                .map_or(PropertyValue::Null, PropertyValue::DateTimeOffset),
            &text => self
                .text(text)
                .map_or(PropertyValue::Null, PropertyValue::String),
        }
    }

    /// The readers are [`CompactAction::text`] of a constant field, which
    /// the compiler folds to the one arm.
    fn text_reader<U: UseTextReader<Self>>(field: &Field, user: U) -> Option<U::Built> {
        Some(match field {
            Field::Id => user.build(|a: &CompactAction| a.text(Field::Id)),
            Field::MachineId => user.build(|a: &CompactAction| a.text(Field::MachineId)),
            Field::Type => user.build(|a: &CompactAction| a.text(Field::Type)),
            Field::Status => user.build(|a: &CompactAction| a.text(Field::Status)),
            Field::Requestor => user.build(|a: &CompactAction| a.text(Field::Requestor)),
            Field::Created => return None,
        })
    }

    fn instant_reader<U: UseInstantReader<Self>>(field: &Field, user: U) -> Option<U::Built> {
        match field {
            Field::Created => Some(user.build(|a: &CompactAction| a.created)),
            _ => None,
        }
    }
}

/// The wire form, the six properties this type holds.
impl serde::Serialize for CompactAction {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        json!({
            "id": self.text(Field::Id),
            "type": self.text(Field::Type),
            "status": self.text(Field::Status),
            "machineId": self.text(Field::MachineId),
            "requestor": self.text(Field::Requestor),
            "creationDateTimeUtc": self.created.map(|t| t.to_rfc3339()),
        })
        .serialize(serializer)
    }
}
