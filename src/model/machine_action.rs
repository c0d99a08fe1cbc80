//! The MachineAction wire types: [`MachineAction`] and its
//! [`RelatedFileInfo`], with what the shared reader and writer of wire
//! objects (`wire.rs`) needs to know of each: its fields, by property.
//!
//! Must not know about: query syntax, the validation schema, evaluation, or
//! how entities are read for it (`entity.rs`).

use serde::de::MapAccess;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::property::{ActionStatus, ActionType, FileInfoProperty, Property, PropertySet};
use super::timestamp::Timestamp;
use super::wire::{deserialize_object, object_to_json, serialize_object, FieldRef, WireObject};

/// The `relatedFileInfo` of a [`MachineAction`]: the file an action is
/// about. Read and written as losslessly as the action itself (see the
/// [module docs](super)).
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

/// One Defender machine action, as `GET /api/machineactions` returns it.
///
/// Every property is nullable; see the [module docs](super) for how
/// `null`, absent and unknown properties and timestamps survive a round
/// trip.
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

    /// The key: every MachineAction has a string `id`. A member whose name
    /// differs from it only in case is named in the message, since names
    /// are case-sensitive on the wire.
    fn check(&self) -> Result<(), String> {
        if self.id.is_some() {
            return Ok(());
        }
        let mut message = "a MachineAction needs a string \"id\", its key".to_owned();
        if let Some(near) = self.extra.keys().find(|k| k.eq_ignore_ascii_case("id")) {
            message.push_str(&format!(
                "; found \"{near}\": member names are case-sensitive, write \"id\""
            ));
        }
        Err(message)
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
