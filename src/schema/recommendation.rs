//! The built-in Recommendation schema
//! (`GET https://api.securitycenter.microsoft.com/api/recommendations`).
//!
//! Owns: the Recommendations data table and the documented value lists of
//! its enumerations. Must not know about: validation or evaluation; this is
//! data only. Sources: the keys of `docs/entities.md`.
//!
//! Decisions:
//! - Properties are the resource table's, in its order \[LM:recommendation;
//!   DD:recommendation@0596\], spelled in camelCase as the example and the
//!   `$filter` list spell them (`weaknesses`, `vendor`, `status`, not the
//!   table's `Weaknesses`, `Vendor`, `Status`; names resolve
//!   case-insensitively). Then the keys of the current List example that the
//!   table lacks: `hasUnpatchableCve` (Boolean) and `tags`
//!   (Collection(String)) \[LM:get-all-recommendations\].
//! - Filterable: exactly the List page's 11 properties
//!   \[LM:get-all-recommendations; DD:get-all-recommendations@28f4\]. Sortable:
//!   the same set, as for MachineActions (the docs never mention
//!   `$orderby`). Every property selectable.
//! - Enumerations are `Edm.String` with their documented values:
//!   `recommendationCategory`, `remediationType`, `status` (an Enum in the
//!   table).
//! - Types: `severityScore` ("1-10"), `configScoreImpact`, `exposureImpact`,
//!   `exposedCriticalDevices` ("Numeric") Double; `weaknesses`,
//!   `totalMachineCount`, `exposedMachinesCount`,
//!   `nonProductivityImpactedAssets` (Long) Int64; `associatedThreats`
//!   Collection(String).
//! - `$top` cap 10,000 \[LM:get-all-recommendations\].
//! - Default order (the docs state none): `id` ascending.
//! - Permissions: application `SecurityRecommendation.Read.All`, delegated
//!   `SecurityRecommendation.Read`, confirmed in the List page's source
//!   (MicrosoftDocs/defender-docs `defender-endpoint/api/get-all-recommendations.md`
//!   @0408); learn.microsoft.com's copy was found but its excerpt stopped
//!   before the table.

use super::{EdmType, EntitySchema, OrderKey, PropertyDef};
use crate::syntax::query::SystemOption;

/// The documented values of `recommendationCategory`.
pub const RECOMMENDATION_CATEGORIES: &[&str] = &[
    "Accounts",
    "Application",
    "Network",
    "OS",
    "SecurityControls",
];

/// The documented values of `remediationType`.
pub const REMEDIATION_TYPES: &[&str] = &["ConfigurationChange", "Update", "Upgrade", "Uninstall"];

/// The documented values of `status`.
pub const RECOMMENDATION_STATUSES: &[&str] = &["Active", "Exception"];

/// The Recommendations entity set: 25 properties, 11 filterable; `id` order
/// by default; `$top` at most 10,000.
pub static RECOMMENDATIONS: EntitySchema = EntitySchema {
    entity_set: "Recommendations",
    type_name: "microsoft.windowsDefenderATP.api.Recommendation",
    service_root: "https://api.securitycenter.microsoft.com/api/",
    properties: &[
        PropertyDef::new("id", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("productName", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("recommendationName", EdmType::String),
        PropertyDef::new("weaknesses", EdmType::Int64),
        PropertyDef::new("vendor", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("recommendedVersion", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("recommendedProgram", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("recommendedVendor", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("recommendationCategory", EdmType::String)
            .filterable()
            .sortable()
            .values(RECOMMENDATION_CATEGORIES),
        PropertyDef::new("subCategory", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("severityScore", EdmType::Double)
            .filterable()
            .sortable(),
        PropertyDef::new("publicExploit", EdmType::Boolean),
        PropertyDef::new("activeAlert", EdmType::Boolean),
        PropertyDef::new("associatedThreats", EdmType::Collection(&EdmType::String)),
        PropertyDef::new("remediationType", EdmType::String)
            .filterable()
            .sortable()
            .values(REMEDIATION_TYPES),
        PropertyDef::new("status", EdmType::String)
            .filterable()
            .sortable()
            .values(RECOMMENDATION_STATUSES),
        PropertyDef::new("configScoreImpact", EdmType::Double),
        PropertyDef::new("exposureImpact", EdmType::Double),
        PropertyDef::new("totalMachineCount", EdmType::Int64),
        PropertyDef::new("exposedMachinesCount", EdmType::Int64),
        PropertyDef::new("nonProductivityImpactedAssets", EdmType::Int64),
        PropertyDef::new("relatedComponent", EdmType::String),
        PropertyDef::new("exposedCriticalDevices", EdmType::Double),
        PropertyDef::new("hasUnpatchableCve", EdmType::Boolean),
        PropertyDef::new("tags", EdmType::Collection(&EdmType::String)),
    ],
    key: "id",
    default_order: &[OrderKey {
        property: "id",
        descending: false,
    }],
    max_top: 10_000,
    max_skip: i32::MAX as i64,
    supported_options: &SystemOption::ALL,
    // Application, then delegated, as the List page lists them.
    permissions: &[
        "SecurityRecommendation.Read.All",
        "SecurityRecommendation.Read",
    ],
    // The List page states no rate limit.
    rate_limits: &[],
    expandable: &[],
};

/// The built-in Recommendations schema.
pub fn recommendations() -> &'static EntitySchema {
    &RECOMMENDATIONS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Code, ValidatedQuery};

    fn valid(query: &str) -> ValidatedQuery<'static> {
        super::super::testing::valid(recommendations(), query)
    }

    fn rejected(query: &str) -> Vec<Code> {
        super::super::testing::rejected(recommendations(), query)
    }

    #[test]
    fn filterable_set_is_the_list_page_list() {
        let mut filterable: Vec<_> = RECOMMENDATIONS.filterable().map(|p| p.name).collect();
        filterable.sort_unstable();
        let mut documented = [
            "id",
            "productName",
            "vendor",
            "recommendedVersion",
            "recommendationCategory",
            "subCategory",
            "severityScore",
            "remediationType",
            "recommendedProgram",
            "recommendedVendor",
            "status",
        ];
        documented.sort_unstable();
        assert_eq!(filterable, documented);
        let sortable: Vec<_> = RECOMMENDATIONS.sortable().map(|p| p.name).collect();
        let filterable: Vec<_> = RECOMMENDATIONS.filterable().map(|p| p.name).collect();
        assert_eq!(sortable, filterable);
        assert_eq!(RECOMMENDATIONS.properties.len(), 25);
        assert!(RECOMMENDATIONS.properties.iter().all(|p| p.selectable));
    }

    #[test]
    fn the_list_and_one_filter_per_filterable_property_validate() {
        for query in [
            "",
            "$filter=id eq 'va-_-microsoft-_-edge_chromium-based'",
            "$filter=startswith(productName,'windows')",
            "$filter=vendor+eq+'microsoft'",
            "$filter=recommendedVersion ne ''",
            "$filter=recommendationCategory eq 'Application'",
            "$filter=subCategory eq ''",
            "$filter=severityScore ge 7.5",
            "$filter=remediationType eq 'Update'",
            "$filter=recommendedProgram eq 'Edge'",
            "$filter=recommendedVendor eq 'microsoft'",
            "$filter=status eq 'Exception'",
            "$orderby=severityScore desc&$top=10000",
        ] {
            assert!(valid(query).warnings().is_empty(), "{query}");
        }
    }

    #[test]
    fn non_filterable_properties_and_caps_are_enforced() {
        assert_eq!(
            rejected("$filter=exposureImpact gt 5"),
            [Code::PropertyNotFilterable]
        );
        assert_eq!(
            rejected("$filter=hasUnpatchableCve eq true"),
            [Code::PropertyNotFilterable]
        );
        assert_eq!(
            rejected("$filter=severityScore ge '7'"),
            [Code::TypeMismatch]
        );
        assert_eq!(rejected("$top=10001"), [Code::TopExceedsMax]);
        let warned = valid("$filter=status eq 'active'");
        assert_eq!(warned.warnings()[0].code, Code::UnknownEnumValue);
    }

    #[test]
    fn types_order_and_permissions() {
        let ty = |name| RECOMMENDATIONS.property(name).map(|p| p.edm_type);
        assert_eq!(ty("Weaknesses"), Some(EdmType::Int64));
        assert_eq!(ty("exposedCriticalDevices"), Some(EdmType::Double));
        assert_eq!(
            ty("associatedThreats"),
            Some(EdmType::Collection(&EdmType::String))
        );
        assert_eq!(RECOMMENDATIONS.max_skip, 2_147_483_647);
        assert_eq!(
            RECOMMENDATIONS.default_order,
            [OrderKey {
                property: "id",
                descending: false
            }]
        );
        assert_eq!(
            RECOMMENDATIONS.permissions,
            [
                "SecurityRecommendation.Read.All",
                "SecurityRecommendation.Read"
            ]
        );
    }
}
