//! The built-in Investigation schema
//! (`GET https://api.securitycenter.microsoft.com/api/investigations`).
//!
//! Owns: the Investigations data table and the documented values of
//! `state`. Must not know about: validation or evaluation; this is data
//! only. Sources: the keys of `docs/entities.md`.
//!
//! Decisions:
//! - Properties are the resource table's, in its order \[LM:investigation;
//!   DD:investigation@006b\], spelled in camelCase as the example and the
//!   `$filter` list spell them (`id`, `state`, not the table's `ID`,
//!   `State`; names resolve case-insensitively).
//! - `id` is a numeric string in the example (`"63017"`
//!   \[LM:get-investigation-collection\]): declared `Edm.String`, filtered as
//!   `id eq '63017'`.
//! - Filterable: exactly the List page's 5 properties
//!   \[LM:get-investigation-collection; DD:get-investigation-collection@0596\].
//!   Sortable: the same set, as for MachineActions (the docs never mention
//!   `$orderby`). Every property selectable.
//! - `state` (an Enum in the table) is `Edm.String` with its 18 documented
//!   values; `startTime` and `endTime` ("DateTime Nullable")
//!   DateTimeOffset.
//! - `$top` cap 10,000: both pages write `$stop` (a typo), and the
//!   Limitations say "Maximum page size is 10,000."
//!   \[LM:get-investigation-collection\].
//! - Default order (the docs state none): newest `startTime` first.
//! - Permissions are the Alert ones: application `Alert.Read.All`,
//!   `Alert.ReadWrite.All`, delegated `Alert.Read`, `Alert.ReadWrite`,
//!   confirmed on learn.microsoft.com's List Investigations page
//!   (en-us and en-au copies) \[LM:get-investigation-collection\].

use super::{EdmType, EntitySchema, OrderKey, PropertyDef};
use crate::client::RateLimit;
use crate::syntax::query::SystemOption;

/// The values the documentation lists for `state`: the same 18 as an
/// alert's `investigationState`, kept once, in [`super::alert`].
pub const INVESTIGATION_STATES: &[&str] = super::alert::INVESTIGATION_STATES;

/// The Investigations entity set: 9 properties, 5 filterable; newest first
/// by default; `$top` at most 10,000.
pub static INVESTIGATIONS: EntitySchema = EntitySchema {
    entity_set: "Investigations",
    type_name: "microsoft.windowsDefenderATP.api.Investigation",
    service_root: "https://api.securitycenter.microsoft.com/api/",
    properties: &[
        PropertyDef::new("id", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("startTime", EdmType::DateTimeOffset)
            .filterable()
            .sortable(),
        PropertyDef::new("endTime", EdmType::DateTimeOffset),
        PropertyDef::new("cancelledBy", EdmType::String),
        PropertyDef::new("state", EdmType::String)
            .filterable()
            .sortable()
            .values(INVESTIGATION_STATES),
        PropertyDef::new("statusDetails", EdmType::String),
        PropertyDef::new("machineId", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("computerDnsName", EdmType::String),
        PropertyDef::new("triggeringAlertId", EdmType::String)
            .filterable()
            .sortable(),
    ],
    key: "id",
    default_order: &[OrderKey {
        property: "startTime",
        descending: true,
    }],
    max_top: 10_000,
    max_skip: i32::MAX as i64,
    supported_options: &SystemOption::ALL,
    // The Alert permissions, as the List page lists them.
    permissions: super::alert::ALERT_PERMISSIONS,
    // "100 calls per minute and 1,500 calls per hour" (the List page).
    rate_limits: RateLimit::DOCUMENTED,
    expandable: &[],
};

/// The built-in Investigations schema.
pub fn investigations() -> &'static EntitySchema {
    &INVESTIGATIONS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Code, ValidatedQuery};

    fn valid(query: &str) -> ValidatedQuery<'static> {
        super::super::testing::valid(investigations(), query)
    }

    fn rejected(query: &str) -> Vec<Code> {
        super::super::testing::rejected(investigations(), query)
    }

    #[test]
    fn filterable_set_is_the_list_page_list() {
        let mut filterable: Vec<_> = INVESTIGATIONS.filterable().map(|p| p.name).collect();
        filterable.sort_unstable();
        let mut documented = ["startTime", "id", "state", "machineId", "triggeringAlertId"];
        documented.sort_unstable();
        assert_eq!(filterable, documented);
        let sortable: Vec<_> = INVESTIGATIONS.sortable().map(|p| p.name).collect();
        let filterable: Vec<_> = INVESTIGATIONS.filterable().map(|p| p.name).collect();
        assert_eq!(sortable, filterable);
        assert_eq!(INVESTIGATIONS.properties.len(), 9);
        assert!(INVESTIGATIONS.properties.iter().all(|p| p.selectable));
    }

    #[test]
    fn the_list_and_one_filter_per_filterable_property_validate() {
        for query in [
            "",
            "$filter=startTime gt 2020-01-01T00:00:00Z",
            "$filter=id eq '63017'",
            "$filter=state eq 'Running'",
            "$filter=machineId eq 'a69a22debe5f274d8765ea3c368d00762e057b30'",
            "$filter=triggeringAlertId eq 'da637139127150012465_1011995739'",
            "$orderby=startTime desc&$top=10000",
        ] {
            assert!(valid(query).warnings().is_empty(), "{query}");
        }
    }

    #[test]
    fn non_filterable_properties_and_wrong_literals_are_rejected() {
        assert_eq!(
            rejected("$filter=endTime gt 2020-01-01T00:00:00Z"),
            [Code::PropertyNotFilterable]
        );
        assert_eq!(
            rejected("$filter=computerDnsName eq 'desktop-test'"),
            [Code::PropertyNotFilterable]
        );
        assert_eq!(rejected("$filter=id eq 63017"), [Code::TypeMismatch]);
        assert_eq!(rejected("$top=10001"), [Code::TopExceedsMax]);
        let warned = valid("$filter=state eq 'Runing'");
        assert_eq!(warned.warnings()[0].code, Code::UnknownEnumValue);
    }

    #[test]
    fn caps_order_and_permissions() {
        assert_eq!(INVESTIGATION_STATES.len(), 18);
        assert_eq!(INVESTIGATIONS.max_top, 10_000);
        assert_eq!(INVESTIGATIONS.max_skip, 2_147_483_647);
        assert_eq!(
            INVESTIGATIONS.default_order,
            [OrderKey {
                property: "startTime",
                descending: true
            }]
        );
        assert_eq!(
            INVESTIGATIONS.permissions,
            [
                "Alert.Read.All",
                "Alert.ReadWrite.All",
                "Alert.Read",
                "Alert.ReadWrite"
            ]
        );
    }
}
