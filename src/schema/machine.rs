//! The built-in Machine schema
//! (`GET https://api.securitycenter.microsoft.com/api/machines`).
//!
//! Owns: the Machines data table, its complex type `IpAddress` and the
//! documented value lists of its enumerations. Must not know about:
//! validation or evaluation; this is data only.
//!
//! Sources: the keys of `docs/entities.md`.
//!
//! Decisions:
//! - Entity set `Machines`, type `microsoft.windowsDefenderATP.api.Machine`,
//!   key `id`, under the same service root as MachineActions
//!   \[LM:get-machines; DD:get-machines@0596\].
//! - `$top` at most 10,000 ("`$top` with max value of 10,000", "Maximum page
//!   size is 10,000"), `$skip` within an int32 \[LM:get-machines\].
//! - Properties: every row of the resource table, in its order, spelled as
//!   the JSON examples spell them \[LM:machine\]; the table's
//!   `onboardingstatus` is `onboardingStatus`, as the List page writes it
//!   \[LM:get-machines\]. `isAadJoined` (Boolean) is added last: responses send
//!   it though the table omits it \[LM:get-machines, LM:get-machine-by-id\].
//! - Filterable: exactly the List page's 14 properties, not the samples
//!   page's 8 \[LM:get-machines vs LM:exposed-apis-odata-samples\]. Sortable:
//!   the same set but `machineTags`, a collection, which has no single value
//!   to sort by (no page mentions `$orderby`; this mirrors MachineActions).
//!   Every property is selectable.
//! - Enumerations are `Edm.String` with their documented values, so an
//!   unknown value is a warning, not an error; nullable enums are strings
//!   that may be null \[LM:machine\]. `onboardingStatus` lists the table's
//!   `onboarded` and also `Onboarded`, the PascalCase of its other values
//!   (values compare case-sensitively; neither spelling should warn).
//! - `rbacGroupId` is documented as String but every example sends a number
//!   (`"rbacGroupId": 140`) \[LM:get-machines\], and the older table said Int
//!   \[WIN:machine@00fb\]: it is declared `Edm.Int64`, so
//!   `rbacGroupId eq 140` type-checks.
//! - `osBuild` (Nullable long) is `Edm.Int64`; `aadDeviceId` (a GUID sent as
//!   a quoted string) is `Edm.String` \[LM:machine; LM:get-machines\].
//! - `machineTags` is `Collection(Edm.String)` and filterable, as the
//!   oldest samples page's `machineTags/any(tag: tag eq 'ExampleTag')`
//!   requires \[WIN:exposed-apis-odata-samples@5658\].
//! - `ipAddresses` is a collection of the complex type `IpAddress`
//!   (`ipAddress`, `macAddress`, `operationalStatus`, all strings), the keys
//!   of the samples' example objects \[LM:exposed-apis-odata-samples Ex. 3\].
//! - Default order: `lastSeen` descending (the service states none).
//! - Permissions (any one grants the list): `Machine.Read.All`,
//!   `Machine.ReadWrite.All` (application), `Machine.Read`,
//!   `Machine.ReadWrite` (delegated), confirmed in the List page's
//!   Permissions table \[LM:get-machines; stored copies of
//!   learn.microsoft.com/…/defender-endpoint/api/get-machines\].

use super::{ComplexType, EdmType, EntitySchema, OrderKey, PropertyDef};
use crate::client::RateLimit;
use crate::model::{DeviceValue, ExposureLevel, HealthStatus, RiskScore};
use crate::syntax::query::SystemOption;

/// One network interface of `ipAddresses`.
pub(crate) static IP_ADDRESS: ComplexType = ComplexType {
    name: "microsoft.windowsDefenderATP.api.IpAddress",
    properties: &[
        PropertyDef::new("ipAddress", EdmType::String),
        PropertyDef::new("macAddress", EdmType::String),
        PropertyDef::new("operationalStatus", EdmType::String),
    ],
};

/// The documented values of `onboardingStatus` (the table's `onboarded`,
/// and its PascalCase `Onboarded`): the model's
/// [`OnboardingStatus`](crate::model::OnboardingStatus), then
/// the lower-case spelling, which no Rust variant stands for.
pub const ONBOARDING_STATUSES: &[&str] = &[
    "Onboarded",
    "CanBeOnboarded",
    "Unsupported",
    "InsufficientInfo",
    "onboarded",
];

/// The documented values of `healthStatus`: one list, kept by the model's
/// [`HealthStatus`].
pub const HEALTH_STATUSES: &[&str] = HealthStatus::NAMES;

/// The documented values of `riskScore`: one list, kept by the model's
/// [`RiskScore`].
pub const RISK_SCORES: &[&str] = RiskScore::NAMES;

/// The documented values of `exposureLevel`: one list, kept by the model's
/// [`ExposureLevel`].
pub const EXPOSURE_LEVELS: &[&str] = ExposureLevel::NAMES;

/// The documented values of `deviceValue`: one list, kept by the model's
/// [`DeviceValue`].
pub const DEVICE_VALUES: &[&str] = DeviceValue::NAMES;

/// The documented values of `osArchitecture`.
pub const OS_ARCHITECTURES: &[&str] = &["32-bit", "64-bit"];

/// The permissions that grant listing machines (and machine actions):
/// application, then delegated, as the List pages list them.
pub const MACHINE_PERMISSIONS: &[&str] = &[
    "Machine.Read.All",
    "Machine.ReadWrite.All",
    "Machine.Read",
    "Machine.ReadWrite",
];

/// The Machines entity set: filterable and sortable on the 14 properties
/// the List page names; most recently seen first by default; `$top` at
/// most 10,000.
pub static MACHINES: EntitySchema = EntitySchema {
    entity_set: "Machines",
    type_name: "microsoft.windowsDefenderATP.api.Machine",
    service_root: "https://api.securitycenter.microsoft.com/api/",
    properties: &[
        PropertyDef::new("id", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("computerDnsName", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("firstSeen", EdmType::DateTimeOffset),
        PropertyDef::new("lastSeen", EdmType::DateTimeOffset)
            .filterable()
            .sortable(),
        PropertyDef::new("osPlatform", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("onboardingStatus", EdmType::String)
            .filterable()
            .sortable()
            .values(ONBOARDING_STATUSES),
        PropertyDef::new("osProcessor", EdmType::String),
        PropertyDef::new("version", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("osBuild", EdmType::Int64),
        PropertyDef::new("lastIpAddress", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("lastExternalIpAddress", EdmType::String),
        PropertyDef::new("healthStatus", EdmType::String)
            .filterable()
            .sortable()
            .values(HEALTH_STATUSES),
        PropertyDef::new("rbacGroupName", EdmType::String),
        PropertyDef::new("rbacGroupId", EdmType::Int64)
            .filterable()
            .sortable(),
        PropertyDef::new("riskScore", EdmType::String)
            .filterable()
            .sortable()
            .values(RISK_SCORES),
        PropertyDef::new("aadDeviceId", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("machineTags", EdmType::Collection(&EdmType::String)).filterable(),
        PropertyDef::new("exposureLevel", EdmType::String)
            .filterable()
            .sortable()
            .values(EXPOSURE_LEVELS),
        PropertyDef::new("deviceValue", EdmType::String)
            .filterable()
            .sortable()
            .values(DEVICE_VALUES),
        PropertyDef::new(
            "ipAddresses",
            EdmType::Collection(&EdmType::Complex(&IP_ADDRESS)),
        ),
        PropertyDef::new("osArchitecture", EdmType::String).values(OS_ARCHITECTURES),
        PropertyDef::new("isAadJoined", EdmType::Boolean),
    ],
    key: "id",
    default_order: &[OrderKey {
        property: "lastSeen",
        descending: true,
    }],
    max_top: 10_000,
    max_skip: i32::MAX as i64,
    supported_options: &SystemOption::ALL,
    permissions: MACHINE_PERMISSIONS,
    // "100 calls per minute and 1,500 calls per hour" (the List page).
    rate_limits: RateLimit::DOCUMENTED,
    expandable: &[],
};

/// The built-in Machines schema.
pub fn machines() -> &'static EntitySchema {
    &MACHINES
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OnboardingStatus;
    use crate::{check, Code, ParseOptions};

    /// The List page's `$filter` list, verbatim \[LM:get-machines\].
    const LIST_PAGE_FILTERABLE: [&str; 14] = [
        "computerDnsName",
        "id",
        "version",
        "deviceValue",
        "aadDeviceId",
        "machineTags",
        "lastSeen",
        "exposureLevel",
        "onboardingStatus",
        "lastIpAddress",
        "healthStatus",
        "osPlatform",
        "riskScore",
        "rbacGroupId",
    ];

    #[test]
    fn filterable_set_is_the_list_pages_and_sortable_all_but_the_collection() {
        let mut filterable: Vec<_> = MACHINES.filterable().map(|p| p.name).collect();
        filterable.sort_unstable();
        let mut documented = LIST_PAGE_FILTERABLE.to_vec();
        documented.sort_unstable();
        assert_eq!(filterable, documented);
        let sortable: Vec<_> = MACHINES.sortable().map(|p| p.name).collect();
        let filterable: Vec<_> = MACHINES
            .filterable()
            .map(|p| p.name)
            .filter(|&name| name != "machineTags")
            .collect();
        assert_eq!(sortable, filterable);
        // 21 table rows plus isAadJoined, all selectable.
        assert_eq!(MACHINES.properties.len(), 22);
        assert!(MACHINES.properties.iter().all(|p| p.selectable));
    }

    #[test]
    fn documented_example_queries_validate_without_warnings() {
        for query in [
            "$filter=riskScore+eq+'High'",
            "$filter=healthStatus+ne+'Active'&$top=100",
            "$filter=startswith(computerDnsName,'mymachine')",
            "$filter=machineTags/any(tag: tag eq 'ExampleTag')",
        ] {
            let validated = check(query, machines(), &ParseOptions::default())
                .unwrap_or_else(|e| panic!("{query}: {e}"));
            assert!(validated.warnings().is_empty(), "{query}");
        }
    }

    #[test]
    fn onboarding_statuses_are_the_models_and_the_lower_case_spelling() {
        assert_eq!(ONBOARDING_STATUSES[..4], *OnboardingStatus::NAMES);
        assert_eq!(ONBOARDING_STATUSES[4..], ["onboarded"]);
    }

    #[test]
    fn samples_page_pascal_case_names_resolve() {
        let validated = check(
            "$filter=RbacGroupId eq 140 and HealthStatus eq 'Active'",
            machines(),
            &ParseOptions::default(),
        )
        .unwrap();
        assert_eq!(
            validated.to_string(),
            "$filter=rbacGroupId eq 140 and healthStatus eq 'Active'"
        );
        assert_eq!(
            MACHINES.property("onboardingstatus").map(|p| p.name),
            Some("onboardingStatus")
        );
    }

    #[test]
    fn rbac_group_id_is_numeric() {
        assert!(check(
            "$filter=rbacGroupId eq 140",
            machines(),
            &ParseOptions::default()
        )
        .is_ok());
        let error = check(
            "$filter=rbacGroupId eq '140'",
            machines(),
            &ParseOptions::default(),
        )
        .unwrap_err();
        assert_eq!(error.codes(), [Code::TypeMismatch]);
    }

    #[test]
    fn top_above_ten_thousand_is_rejected() {
        assert!(check("$top=10000", machines(), &ParseOptions::default()).is_ok());
        let error = check("$top=10001", machines(), &ParseOptions::default()).unwrap_err();
        assert_eq!(error.codes(), [Code::TopExceedsMax]);
    }

    #[test]
    fn unlisted_properties_are_not_filterable() {
        let error = check(
            "$filter=firstSeen ge 2024-01-01T00:00:00Z",
            machines(),
            &ParseOptions::default(),
        )
        .unwrap_err();
        assert_eq!(error.codes(), [Code::PropertyNotFilterable]);
    }

    #[test]
    fn caps_and_default_order() {
        assert_eq!(MACHINES.max_top, 10_000);
        assert_eq!(MACHINES.max_skip, 2_147_483_647);
        assert_eq!(
            MACHINES.default_order,
            [OrderKey {
                property: "lastSeen",
                descending: true
            }]
        );
        assert_eq!(MACHINES.path_segment(), "machines");
    }
}
