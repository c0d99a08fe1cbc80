//! The built-in Indicator schema
//! (`GET https://api.securitycenter.microsoft.com/api/indicators`).
//!
//! Owns: the Indicators data table and the documented value lists of its
//! enumerations. Must not know about: validation or evaluation; this is data
//! only. Sources: the keys of `docs/entities.md`.
//!
//! Decisions:
//! - Properties are the resource table's, in its order \[LM:ti-indicator;
//!   DD:ti-indicator@006b\], spelled in camelCase as the examples and the
//!   `$filter` list spell them; `externalID` is declared `externalId` (names
//!   resolve case-insensitively, so both spellings work).
//! - The table's `createdBySource` is written `source` in every example
//!   \[LM:get-ti-indicators-collection; DD:ti-indicator@006b\], so the wire
//!   spelling `source` is the name and `createdBySource` its alias.
//! - `createdByDisplayName` is absent from the table but filterable per the
//!   List page \[LM:get-ti-indicators-collection\]: declared (String) after the
//!   table's properties.
//! - Filterable: exactly the List page's 13 properties
//!   \[LM:get-ti-indicators-collection; DD:get-ti-indicators-collection@03dc\].
//!   Sortable: the same set, as for MachineActions (the docs never mention
//!   `$orderby`), except the collections `rbacGroupNames` and `rbacGroupIds`:
//!   a collection is not a sort key, so declaring them sortable would only
//!   advertise a sort that validation must reject. Every property selectable.
//! - `generateAlert` is documented as an Enum "**True** … **False**"
//!   \[DD:ti-indicator@006b\]: its values are the two Booleans, so it is
//!   declared `Edm.Boolean` and filtered as `generateAlert eq true`.
//! - Enumerations (`indicatorType`, `action`, `sourceType`, `severity`) are
//!   `Edm.String` with their documented values; `action` keeps the legacy
//!   `Alert` and `AlertAndBlock` ("supported only until January 2022"
//!   \[LM:ti-indicator\]) since the List examples still return and filter on
//!   them.
//! - `$top` cap 10,000 as LM writes it; DD's `$stop` is a typo
//!   \[DD:get-ti-indicators-collection@03dc\].
//! - Default order (the docs state none): newest `creationTimeDateTimeUtc`
//!   first, as MachineActions.
//! - Permissions \[DD:get-ti-indicators-collection@03dc\], confirmed against
//!   learn.microsoft.com/en-US/defender-endpoint/api/get-ti-indicators-collection:
//!   application `Ti.ReadWrite`, `Ti.ReadWrite.All`; delegated `Ti.ReadWrite`
//!   (listed once). There is no `Ti.Read.All`. Without `Ti.ReadWrite.All` an
//!   app sees only the indicators it created.

use super::{EdmType, EntitySchema, OrderKey, PropertyDef};
use crate::client::RateLimit;
use crate::syntax::query::SystemOption;

/// The documented values of `indicatorType`.
pub const INDICATOR_TYPES: &[&str] = &[
    "FileSha1",
    "FileSha256",
    "FileMd5",
    "CertificateThumbprint",
    "IpAddress",
    "DomainName",
    "Url",
];

/// The documented values of `action`, the legacy `Alert` and
/// `AlertAndBlock` included.
pub const INDICATOR_ACTIONS: &[&str] = &[
    "Warn",
    "Block",
    "Audit",
    "Alert",
    "AlertAndBlock",
    "BlockAndRemediate",
    "Allowed",
];

/// The documented values of `sourceType`.
pub const INDICATOR_SOURCE_TYPES: &[&str] = &["User", "AadApp"];

/// The documented values of `severity`.
pub const INDICATOR_SEVERITIES: &[&str] = &["Informational", "Low", "Medium", "High"];

/// The Indicators entity set: 21 properties, 13 filterable; newest first by
/// default; `$top` at most 10,000.
pub static INDICATORS: EntitySchema = EntitySchema {
    entity_set: "Indicators",
    type_name: "microsoft.windowsDefenderATP.api.Indicator",
    service_root: "https://api.securitycenter.microsoft.com/api/",
    properties: &[
        PropertyDef::new("id", EdmType::String),
        PropertyDef::new("indicatorValue", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("indicatorType", EdmType::String)
            .filterable()
            .sortable()
            .values(INDICATOR_TYPES),
        PropertyDef::new("application", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("action", EdmType::String)
            .filterable()
            .sortable()
            .values(INDICATOR_ACTIONS),
        PropertyDef::new("externalId", EdmType::String),
        PropertyDef::new("sourceType", EdmType::String).values(INDICATOR_SOURCE_TYPES),
        PropertyDef::new("source", EdmType::String).aliases(&["createdBySource"]),
        PropertyDef::new("createdBy", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("lastUpdatedBy", EdmType::String),
        PropertyDef::new("creationTimeDateTimeUtc", EdmType::DateTimeOffset)
            .filterable()
            .sortable(),
        PropertyDef::new("expirationTime", EdmType::DateTimeOffset)
            .filterable()
            .sortable(),
        PropertyDef::new("lastUpdateTime", EdmType::DateTimeOffset),
        PropertyDef::new("severity", EdmType::String)
            .filterable()
            .sortable()
            .values(INDICATOR_SEVERITIES),
        PropertyDef::new("title", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("description", EdmType::String),
        PropertyDef::new("recommendedActions", EdmType::String),
        PropertyDef::new("rbacGroupNames", EdmType::Collection(&EdmType::String)).filterable(),
        PropertyDef::new("rbacGroupIds", EdmType::Collection(&EdmType::String)).filterable(),
        PropertyDef::new("generateAlert", EdmType::Boolean)
            .filterable()
            .sortable(),
        PropertyDef::new("createdByDisplayName", EdmType::String)
            .filterable()
            .sortable(),
    ],
    key: "id",
    default_order: &[OrderKey {
        property: "creationTimeDateTimeUtc",
        descending: true,
    }],
    max_top: 10_000,
    max_skip: i32::MAX as i64,
    supported_options: &SystemOption::ALL,
    // Application, then delegated (Ti.ReadWrite is both, listed once).
    permissions: &["Ti.ReadWrite", "Ti.ReadWrite.All"],
    // "100 calls per minute and 1,500 calls per hour" (the List page).
    rate_limits: RateLimit::DOCUMENTED,
    expandable: &[],
};

/// The built-in Indicators schema.
pub fn indicators() -> &'static EntitySchema {
    &INDICATORS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Code, ValidatedQuery};

    fn valid(query: &str) -> ValidatedQuery<'static> {
        super::super::testing::valid(indicators(), query)
    }

    fn rejected(query: &str) -> Vec<Code> {
        super::super::testing::rejected(indicators(), query)
    }

    #[test]
    fn filterable_set_is_the_list_page_list() {
        let mut filterable: Vec<_> = INDICATORS.filterable().map(|p| p.name).collect();
        filterable.sort_unstable();
        let mut documented = [
            "application",
            "createdByDisplayName",
            "expirationTime",
            "generateAlert",
            "title",
            "rbacGroupNames",
            "rbacGroupIds",
            "indicatorValue",
            "indicatorType",
            "creationTimeDateTimeUtc",
            "createdBy",
            "action",
            "severity",
        ];
        documented.sort_unstable();
        assert_eq!(filterable, documented);
        let sortable: Vec<_> = INDICATORS.sortable().map(|p| p.name).collect();
        let filterable_scalars: Vec<_> = INDICATORS
            .filterable()
            .filter(|p| p.edm_type.is_primitive())
            .map(|p| p.name)
            .collect();
        assert_eq!(sortable, filterable_scalars);
        assert_eq!(sortable.len(), 11);
        assert_eq!(INDICATORS.properties.len(), 21);
        assert!(INDICATORS.properties.iter().all(|p| p.selectable));
    }

    #[test]
    fn documented_examples_validate_without_warnings() {
        for query in ["", "$filter=action+eq+'AlertAndBlock'"] {
            assert!(valid(query).warnings().is_empty(), "{query}");
        }
    }

    #[test]
    fn each_filterable_property_takes_its_literal_type() {
        for query in [
            "$filter=application eq 'demo-test'",
            "$filter=createdByDisplayName eq 'Analyst'",
            "$filter=expirationTime gt 2020-12-12T00:00:00Z",
            "$filter=generateAlert eq true",
            "$filter=startswith(title,'test')",
            "$filter=rbacGroupNames/any(g: g eq 'Group1')",
            "$filter=rbacGroupIds/any(g: g eq '7')",
            "$filter=indicatorValue eq '12.13.14.15'",
            "$filter=indicatorType eq 'IpAddress'",
            "$filter=creationTimeDateTimeUtc ge 2018-10-24T00:00:00Z",
            "$filter=createdBy eq '45097602-1234-5678-1234-9f453233e62c'",
            "$filter=severity eq 'Informational'",
            "$orderby=creationTimeDateTimeUtc desc&$top=10000",
        ] {
            assert!(valid(query).warnings().is_empty(), "{query}");
        }
    }

    #[test]
    fn aliases_types_and_rejections() {
        assert_eq!(
            INDICATORS.property("createdBySource").map(|p| p.name),
            Some("source")
        );
        assert_eq!(
            INDICATORS.property("externalID").map(|p| p.name),
            Some("externalId")
        );
        assert_eq!(
            rejected("$filter=createdBySource eq 'TestPrdApp'"),
            [Code::PropertyNotFilterable]
        );
        assert_eq!(
            rejected("$filter=lastUpdateTime gt 2019-01-01T00:00:00Z"),
            [Code::PropertyNotFilterable]
        );
        assert_eq!(
            rejected("$filter=generateAlert eq 'True'"),
            [Code::TypeMismatch]
        );
        assert_eq!(rejected("$top=10001"), [Code::TopExceedsMax]);
        let warned = valid("$filter=action eq 'Blok'");
        assert_eq!(warned.warnings()[0].code, Code::UnknownEnumValue);
    }

    #[test]
    fn caps_order_and_permissions() {
        assert_eq!(INDICATORS.max_top, 10_000);
        assert_eq!(INDICATORS.max_skip, 2_147_483_647);
        assert_eq!(
            INDICATORS.default_order,
            [OrderKey {
                property: "creationTimeDateTimeUtc",
                descending: true
            }]
        );
        assert_eq!(INDICATORS.permissions, ["Ti.ReadWrite", "Ti.ReadWrite.All"]);
        assert_eq!(
            INDICATORS.context_url(),
            "https://api.securitycenter.microsoft.com/api/$metadata#Indicators"
        );
        assert_eq!(INDICATORS.path_segment(), "indicators");
    }
}
