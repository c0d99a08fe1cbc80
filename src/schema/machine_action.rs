//! The built-in MachineAction schema
//! (`GET https://api.securitycenter.microsoft.com/api/machineactions`).
//!
//! Owns: the MachineActions data table. Must not know about: validation or
//! evaluation; this is data only.
//!
//! Decision: `lastUpdateTimeUtc`, the spelling of the Defender docs'
//! examples, is an alias of `lastUpdateDateTimeUtc`. Neither is filterable,
//! so `$filter=lastUpdateTimeUtc ge …` is answered with the truthful
//! `PropertyNotFilterable` rather than a misleading `UnknownProperty`.

use super::{ComplexType, EdmType, EntitySchema, OrderKey, PropertyDef};
use crate::client::RateLimit;
use crate::model::{ActionStatus, ActionType};
use crate::syntax::query::SystemOption;

const NAMESPACE_TYPE: &str = "microsoft.windowsDefenderATP.api.MachineAction";

/// `relatedFileInfo`: the file an action such as StopAndQuarantineFile acts on.
pub(crate) static FILE_INFO: ComplexType = ComplexType {
    name: "microsoft.windowsDefenderATP.api.FileInfo",
    properties: &[
        PropertyDef::new("fileIdentifier", EdmType::String),
        PropertyDef::new("fileIdentifierType", EdmType::String).values(&["Sha1", "Sha256", "Md5"]),
    ],
};

/// One `{key, value}` parameter of a live-response command.
static COMMAND_PARAM: ComplexType = ComplexType {
    name: "microsoft.windowsDefenderATP.api.KeyValuePair",
    properties: &[
        PropertyDef::new("key", EdmType::String),
        PropertyDef::new("value", EdmType::String),
    ],
};

/// What a live-response command ran: its type and parameters.
static COMMAND_DEFINITION: ComplexType = ComplexType {
    name: "microsoft.windowsDefenderATP.api.CommandDefinition",
    properties: &[
        PropertyDef::new("type", EdmType::String),
        PropertyDef::new(
            "params",
            EdmType::Collection(&EdmType::Complex(&COMMAND_PARAM)),
        ),
    ],
};

/// One entry of `commands`, as live-response results show it.
static COMMAND: ComplexType = ComplexType {
    name: "microsoft.windowsDefenderATP.api.LiveResponseCommand",
    properties: &[
        PropertyDef::new("index", EdmType::Int32),
        PropertyDef::new("startTime", EdmType::DateTimeOffset),
        PropertyDef::new("endTime", EdmType::DateTimeOffset),
        PropertyDef::new("commandStatus", EdmType::String),
        PropertyDef::new("errors", EdmType::Collection(&EdmType::String)),
        PropertyDef::new("command", EdmType::Complex(&COMMAND_DEFINITION)),
    ],
};

/// `troubleshootInfo`: its members are not documented, so none are declared;
/// the property as a whole can still be selected.
static TROUBLESHOOT_INFO: ComplexType = ComplexType {
    name: "microsoft.windowsDefenderATP.api.TroubleshootInfo",
    properties: &[],
};

/// The action types the documentation lists for `type`: one list, kept by
/// the model's [`ActionType`].
pub const ACTION_TYPES: &[&str] = ActionType::NAMES;

/// The statuses the documentation lists for `status`: one list, kept by
/// the model's [`ActionStatus`].
pub const ACTION_STATUSES: &[&str] = ActionStatus::NAMES;

/// The MachineActions entity set: filterable and sortable on `id`,
/// `type`, `status`, `machineId`, `requestor` and `creationDateTimeUtc`;
/// newest first by default; `$top` at most 10,000.
pub static MACHINE_ACTIONS: EntitySchema = EntitySchema {
    entity_set: "MachineActions",
    type_name: NAMESPACE_TYPE,
    service_root: "https://api.securitycenter.microsoft.com/api/",
    properties: &[
        PropertyDef::new("id", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("type", EdmType::String)
            .filterable()
            .sortable()
            .values(ACTION_TYPES),
        PropertyDef::new("scope", EdmType::String),
        PropertyDef::new("title", EdmType::String),
        PropertyDef::new("requestor", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("requestorComment", EdmType::String),
        PropertyDef::new("status", EdmType::String)
            .filterable()
            .sortable()
            .values(ACTION_STATUSES),
        PropertyDef::new("machineId", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("computerDnsName", EdmType::String),
        PropertyDef::new("creationDateTimeUtc", EdmType::DateTimeOffset)
            .filterable()
            .sortable(),
        PropertyDef::new("lastUpdateDateTimeUtc", EdmType::DateTimeOffset)
            .aliases(&["lastUpdateTimeUtc"]),
        PropertyDef::new("cancellationRequestor", EdmType::String),
        PropertyDef::new("cancellationComment", EdmType::String),
        PropertyDef::new("cancellationDateTimeUtc", EdmType::DateTimeOffset),
        PropertyDef::new("errorHResult", EdmType::Int32),
        PropertyDef::new("externalId", EdmType::String),
        PropertyDef::new("requestSource", EdmType::String),
        PropertyDef::new("relatedFileInfo", EdmType::Complex(&FILE_INFO)),
        PropertyDef::new("commands", EdmType::Collection(&EdmType::Complex(&COMMAND))),
        PropertyDef::new("troubleshootInfo", EdmType::Complex(&TROUBLESHOOT_INFO)),
    ],
    key: "id",
    default_order: &[OrderKey {
        property: "creationDateTimeUtc",
        descending: true,
    }],
    max_top: 10_000,
    max_skip: i32::MAX as i64,
    supported_options: &SystemOption::ALL,
    // The Machine permissions, as the List page lists them.
    permissions: super::machine::MACHINE_PERMISSIONS,
    // "100 calls per minute and 1,500 calls per hour" (the List page).
    rate_limits: RateLimit::DOCUMENTED,
    expandable: &[],
};

/// The built-in MachineActions schema.
pub fn machine_actions() -> &'static EntitySchema {
    &MACHINE_ACTIONS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filterable_and_sortable_sets_are_the_spec_table() {
        let filterable: Vec<_> = MACHINE_ACTIONS.filterable().map(|p| p.name).collect();
        assert_eq!(
            filterable,
            [
                "id",
                "type",
                "requestor",
                "status",
                "machineId",
                "creationDateTimeUtc"
            ]
        );
        let sortable: Vec<_> = MACHINE_ACTIONS.sortable().map(|p| p.name).collect();
        assert_eq!(sortable, filterable);
        assert_eq!(MACHINE_ACTIONS.properties.len(), 20);
        assert!(MACHINE_ACTIONS.properties.iter().all(|p| p.selectable));
    }

    #[test]
    fn names_resolve_case_insensitively_and_through_the_alias() {
        let p = MACHINE_ACTIONS.property("CreationDateTimeUtc");
        assert_eq!(p.map(|p| p.name), Some("creationDateTimeUtc"));
        let alias = MACHINE_ACTIONS.property("LASTUPDATETIMEUTC");
        assert_eq!(alias.map(|p| p.name), Some("lastUpdateDateTimeUtc"));
        assert!(MACHINE_ACTIONS.property("stats").is_none());
    }

    #[test]
    fn caps_and_default_order() {
        assert_eq!(MACHINE_ACTIONS.max_top, 10_000);
        assert_eq!(MACHINE_ACTIONS.max_skip, 2_147_483_647);
        assert_eq!(
            MACHINE_ACTIONS.default_order,
            [OrderKey {
                property: "creationDateTimeUtc",
                descending: true
            }]
        );
    }
}
