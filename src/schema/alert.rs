//! The built-in Alert schema
//! (`GET https://api.securitycenter.microsoft.com/api/alerts`).
//!
//! Owns: the Alerts data table, its complex types (`RelatedUser`,
//! `AlertComment`, `AlertEvidence`) and the documented value lists of its
//! enumerations. Must not know about: validation or evaluation; this is
//! data only.
//!
//! Sources: the keys of `docs/entities.md`.
//!
//! Decisions:
//! - Entity set `Alerts`, type `microsoft.windowsDefenderATP.api.Alert`,
//!   key `id`, under the same service root as MachineActions
//!   \[LM:get-alerts; DD:get-alerts@03dc\].
//! - `$top` at most 10,000, `$skip` within an int32 \[LM:get-alerts\].
//! - `$expand` of `evidence`, the one navigation property (`expandable`)
//!   \[LM:get-alerts\]: the List page's Example 1 writes `"evidence": []`
//!   unexpanded, its Example 2 (`$top=10&$expand=evidence`) the items. So
//!   stored evidence is written only with `$expand=evidence`; without it
//!   `evidence` is `[]` (the response shaping in `eval::response` does it).
//! - Properties: every row of the resource table, in its order, spelled as
//!   the JSON examples spell them: the table's `ID` is `id`, `Evidence` is
//!   `evidence` \[LM:alerts\].
//! - Filterable: exactly the List page's 11 properties, not the samples
//!   page's 7 \[LM:get-alerts vs LM:exposed-apis-odata-samples\]. The page's
//!   typos are read as the properties they mean: `asssignedTo` is
//!   `assignedTo` (no alias: the typo stays an unknown property, whose
//!   did-you-mean names the docs' spelling) and
//!   `InvestigationId` is `investigationId` (names resolve
//!   case-insensitively). Sortable: the same set (no page mentions
//!   `$orderby`; this mirrors MachineActions). Every property is selectable.
//! - Enumerations are `Edm.String` with their documented values, so an
//!   unknown value is a warning, not an error; nullable enums are strings
//!   that may be null \[LM:alerts\]. `classification` includes the value with
//!   a comma, `Informational, expected activity`; `determination` lists each
//!   value once, the deprecated `Apt` and `SecurityPersonnel` included, as
//!   old alerts may still carry them \[LM:alerts\].
//! - Instants are `Edm.DateTimeOffset`; `incidentId` and `investigationId`
//!   (Nullable Long) are `Edm.Int64` \[LM:alerts\].
//! - `mitreTechniques` is documented as String but sent as an array
//!   (`["T1064","T1085","T1220"]`): `Collection(Edm.String)` \[LM:alerts\].
//! - `relatedUser` is documented as String but sent as an object: the
//!   complex type `RelatedUser` (`userName`, `domainName`) \[LM:alerts\].
//! - `comments` is a collection of the complex type `AlertComment`
//!   (`comment`, `createdBy`, `createdTime`); the examples' `createdTime` is
//!   canonical and the table's `createTime` an alias of it \[LM:alerts\].
//! - `evidence` is a collection of the complex type `AlertEvidence` with the
//!   example's keys (no types are documented): times are
//!   `Edm.DateTimeOffset`, `processId`/`parentProcessId` `Edm.Int64`, the
//!   rest `Edm.String` \[LM:alerts; LM:api-release-notes\].
//! - Default order: `alertCreationTime` descending: the docs call
//!   `$top=10&$expand=evidence` "Get 10 latest Alerts"
//!   \[LM:exposed-apis-odata-samples Ex. 1\].
//! - Permissions (any one grants the list): `Alert.Read.All`,
//!   `Alert.ReadWrite.All` (application), `Alert.Read`, `Alert.ReadWrite`
//!   (delegated), confirmed in the Permissions table of the List alerts page
//!   (stored copy of learn.microsoft.com/zh-CN/defender-endpoint/api/get-alerts)
//!   and of the other alert pages (get-alert-info-by-id,
//!   get-user-related-alerts).

use super::{ComplexType, EdmType, EntitySchema, Navigation, OrderKey, PropertyDef};
use crate::client::RateLimit;
use crate::model::{AlertSeverity, AlertStatus};
use crate::syntax::query::SystemOption;

/// `relatedUser`: the user an alert is about.
pub(crate) static RELATED_USER: ComplexType = ComplexType {
    name: "microsoft.windowsDefenderATP.api.RelatedUser",
    properties: &[
        PropertyDef::new("userName", EdmType::String),
        PropertyDef::new("domainName", EdmType::String),
    ],
};

/// One entry of `comments`.
pub(crate) static ALERT_COMMENT: ComplexType = ComplexType {
    name: "microsoft.windowsDefenderATP.api.AlertComment",
    properties: &[
        PropertyDef::new("comment", EdmType::String),
        PropertyDef::new("createdBy", EdmType::String),
        PropertyDef::new("createdTime", EdmType::DateTimeOffset).aliases(&["createTime"]),
    ],
};

/// One entry of `evidence` (returned with `$expand=evidence`).
pub(crate) static ALERT_EVIDENCE: ComplexType = ComplexType {
    name: "microsoft.windowsDefenderATP.api.AlertEvidence",
    properties: &[
        PropertyDef::new("entityType", EdmType::String),
        PropertyDef::new("evidenceCreationTime", EdmType::DateTimeOffset),
        PropertyDef::new("sha1", EdmType::String),
        PropertyDef::new("sha256", EdmType::String),
        PropertyDef::new("fileName", EdmType::String),
        PropertyDef::new("filePath", EdmType::String),
        PropertyDef::new("processId", EdmType::Int64),
        PropertyDef::new("processCommandLine", EdmType::String),
        PropertyDef::new("processCreationTime", EdmType::DateTimeOffset),
        PropertyDef::new("parentProcessId", EdmType::Int64),
        PropertyDef::new("parentProcessCreationTime", EdmType::DateTimeOffset),
        PropertyDef::new("parentProcessFileName", EdmType::String),
        PropertyDef::new("parentProcessFilePath", EdmType::String),
        PropertyDef::new("ipAddress", EdmType::String),
        PropertyDef::new("url", EdmType::String),
        PropertyDef::new("registryKey", EdmType::String),
        PropertyDef::new("registryHive", EdmType::String),
        PropertyDef::new("registryValueType", EdmType::String),
        PropertyDef::new("registryValue", EdmType::String),
        PropertyDef::new("accountName", EdmType::String),
        PropertyDef::new("domainName", EdmType::String),
        PropertyDef::new("userSid", EdmType::String),
        PropertyDef::new("aadUserId", EdmType::String),
        PropertyDef::new("userPrincipalName", EdmType::String),
        PropertyDef::new("detectionStatus", EdmType::String),
    ],
};

/// The documented values of `investigationState`.
pub const INVESTIGATION_STATES: &[&str] = &[
    "Unknown",
    "Terminated",
    "SuccessfullyRemediated",
    "Benign",
    "Failed",
    "PartiallyRemediated",
    "Running",
    "PendingApproval",
    "PendingResource",
    "PartiallyInvestigated",
    "TerminatedByUser",
    "TerminatedBySystem",
    "Queued",
    "InnerFailure",
    "PreexistingAlert",
    "UnsupportedOs",
    "UnsupportedAlertType",
    "SuppressedAlert",
];

/// The documented values of `severity`: one list, kept by the model's
/// [`AlertSeverity`].
pub const SEVERITIES: &[&str] = AlertSeverity::NAMES;

/// The documented values of `status`: one list, kept by the model's
/// [`AlertStatus`].
pub const ALERT_STATUSES: &[&str] = AlertStatus::NAMES;

/// The documented values of `classification` (one contains a comma).
pub const CLASSIFICATIONS: &[&str] = &[
    "TruePositive",
    "Informational, expected activity",
    "FalsePositive",
];

/// The documented values of `determination`, each once, across the three
/// classifications, with the deprecated `Apt` and `SecurityPersonnel` last.
pub const DETERMINATIONS: &[&str] = &[
    "MultiStagedAttack",
    "MaliciousUserActivity",
    "CompromisedUser",
    "Malware",
    "Phishing",
    "UnwantedSoftware",
    "Other",
    "SecurityTesting",
    "LineOfBusinessApplication",
    "ConfirmedUserActivity",
    "Clean",
    "InsufficientData",
    "Apt",
    "SecurityPersonnel",
];

/// The permissions that grant listing alerts (and investigations):
/// application, then delegated.
pub const ALERT_PERMISSIONS: &[&str] = &[
    "Alert.Read.All",
    "Alert.ReadWrite.All",
    "Alert.Read",
    "Alert.ReadWrite",
];

/// The Alerts entity set: filterable and sortable on the 11 properties the
/// List page names; newest first by default; `$top` at most 10,000.
pub static ALERTS: EntitySchema = EntitySchema {
    entity_set: "Alerts",
    type_name: "microsoft.windowsDefenderATP.api.Alert",
    service_root: "https://api.securitycenter.microsoft.com/api/",
    properties: &[
        PropertyDef::new("id", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("title", EdmType::String),
        PropertyDef::new("description", EdmType::String),
        PropertyDef::new("alertCreationTime", EdmType::DateTimeOffset)
            .filterable()
            .sortable(),
        PropertyDef::new("lastEventTime", EdmType::DateTimeOffset)
            .filterable()
            .sortable(),
        PropertyDef::new("firstEventTime", EdmType::DateTimeOffset),
        PropertyDef::new("lastUpdateTime", EdmType::DateTimeOffset)
            .filterable()
            .sortable(),
        PropertyDef::new("resolvedTime", EdmType::DateTimeOffset),
        PropertyDef::new("incidentId", EdmType::Int64)
            .filterable()
            .sortable(),
        PropertyDef::new("investigationId", EdmType::Int64)
            .filterable()
            .sortable(),
        PropertyDef::new("investigationState", EdmType::String).values(INVESTIGATION_STATES),
        PropertyDef::new("assignedTo", EdmType::String)
            .filterable()
            .sortable()
            .misspelled_in_docs(&["asssignedTo"]),
        PropertyDef::new("rbacGroupName", EdmType::String),
        PropertyDef::new("mitreTechniques", EdmType::Collection(&EdmType::String)),
        PropertyDef::new("relatedUser", EdmType::Complex(&RELATED_USER)),
        PropertyDef::new("severity", EdmType::String)
            .filterable()
            .sortable()
            .values(SEVERITIES),
        PropertyDef::new("status", EdmType::String)
            .filterable()
            .sortable()
            .values(ALERT_STATUSES),
        PropertyDef::new("classification", EdmType::String).values(CLASSIFICATIONS),
        PropertyDef::new("determination", EdmType::String).values(DETERMINATIONS),
        PropertyDef::new("category", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("detectionSource", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("threatFamilyName", EdmType::String),
        PropertyDef::new("threatName", EdmType::String),
        PropertyDef::new("machineId", EdmType::String),
        PropertyDef::new("computerDnsName", EdmType::String),
        PropertyDef::new("aadTenantId", EdmType::String),
        PropertyDef::new("detectorId", EdmType::String),
        PropertyDef::new(
            "comments",
            EdmType::Collection(&EdmType::Complex(&ALERT_COMMENT)),
        ),
        PropertyDef::new(
            "evidence",
            EdmType::Collection(&EdmType::Complex(&ALERT_EVIDENCE)),
        ),
    ],
    key: "id",
    default_order: &[OrderKey {
        property: "alertCreationTime",
        descending: true,
    }],
    max_top: 10_000,
    max_skip: i32::MAX as i64,
    supported_options: &SystemOption::ALL,
    permissions: ALERT_PERMISSIONS,
    // "100 calls per minute and 1,500 calls per hour" (the List page).
    rate_limits: RateLimit::DOCUMENTED,
    expandable: &["evidence"],
};

/// `GET /api/machines/{id}/alerts`: the alerts whose `machineId` is the
/// machine's id \[LM:get-machine-related-alerts; LM:exposed-apis-odata-samples
/// Ex. 7\].
pub static MACHINE_ALERTS: Navigation = Navigation {
    from: &super::machine::MACHINES,
    segment: "alerts",
    to: &ALERTS,
    foreign_key: "machineId",
};

/// The built-in Alerts schema.
pub fn alerts() -> &'static EntitySchema {
    &ALERTS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{check, Code, ParseOptions};

    /// The List page's `$filter` list, typos read as the properties they
    /// mean (`asssignedTo`, `InvestigationId`) \[LM:get-alerts\].
    const LIST_PAGE_FILTERABLE: [&str; 11] = [
        "alertCreationTime",
        "lastUpdateTime",
        "incidentId",
        "investigationId",
        "id",
        "assignedTo",
        "detectionSource",
        "lastEventTime",
        "status",
        "severity",
        "category",
    ];

    #[test]
    fn filterable_set_is_the_list_pages_and_sortable_mirrors_it() {
        let mut filterable: Vec<_> = ALERTS.filterable().map(|p| p.name).collect();
        filterable.sort_unstable();
        let mut documented = LIST_PAGE_FILTERABLE.to_vec();
        documented.sort_unstable();
        assert_eq!(filterable, documented);
        let sortable: Vec<_> = ALERTS.sortable().map(|p| p.name).collect();
        let filterable: Vec<_> = ALERTS.filterable().map(|p| p.name).collect();
        assert_eq!(sortable, filterable);
        assert_eq!(ALERTS.properties.len(), 29);
        assert!(ALERTS.properties.iter().all(|p| p.selectable));
    }

    #[test]
    fn documented_example_queries_validate_without_warnings() {
        for query in [
            "$filter=lastUpdateTime+ge+2019-11-22T00:00:00Z",
            "$filter=alertCreationTime gt 2018-11-22T00:00:00Z",
            "$filter=status ne 'Resolved'",
        ] {
            let validated = check(query, alerts(), &ParseOptions::default())
                .unwrap_or_else(|e| panic!("{query}: {e}"));
            assert!(validated.warnings().is_empty(), "{query}");
        }
    }

    #[test]
    fn list_page_investigation_id_spelling_resolves() {
        let validated = check(
            "$filter=InvestigationId eq 5",
            alerts(),
            &ParseOptions::default(),
        )
        .unwrap();
        assert_eq!(validated.to_string(), "$filter=investigationId eq 5");
    }

    #[test]
    fn list_page_assigned_to_typo_is_an_unknown_property() {
        let error = check(
            "$filter=asssignedTo eq 'x'",
            alerts(),
            &ParseOptions::default(),
        )
        .unwrap_err();
        assert_eq!(error.codes(), [Code::UnknownProperty]);
        assert!(check(
            "$filter=assignedTo eq 'x'",
            alerts(),
            &ParseOptions::default()
        )
        .is_ok());
    }

    #[test]
    fn enum_values_and_comment_alias() {
        assert!(CLASSIFICATIONS.contains(&"Informational, expected activity"));
        let validated = check(
            "$filter=severity eq 'Critical'",
            alerts(),
            &ParseOptions::default(),
        )
        .unwrap();
        assert_eq!(validated.warnings()[0].code, Code::UnknownEnumValue);
        assert_eq!(
            ALERT_COMMENT.property("createTime").map(|p| p.name),
            Some("createdTime")
        );
        assert_eq!(
            ALERTS.property("Evidence").map(|p| p.edm_type.to_string()),
            Some("Collection(microsoft.windowsDefenderATP.api.AlertEvidence)".to_string())
        );
    }

    #[test]
    fn top_above_ten_thousand_is_rejected() {
        let error = check("$top=10001", alerts(), &ParseOptions::default()).unwrap_err();
        assert_eq!(error.codes(), [Code::TopExceedsMax]);
    }

    #[test]
    fn caps_and_default_order() {
        assert_eq!(ALERTS.max_top, 10_000);
        assert_eq!(ALERTS.max_skip, 2_147_483_647);
        assert_eq!(
            ALERTS.default_order,
            [OrderKey {
                property: "alertCreationTime",
                descending: true
            }]
        );
        assert_eq!(ALERTS.path_segment(), "alerts");
    }
}
