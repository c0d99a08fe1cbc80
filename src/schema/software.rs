//! The built-in Software schema
//! (`GET https://api.securitycenter.microsoft.com/api/Software`).
//!
//! Owns: the Software data table. Must not know about: validation or
//! evaluation; this is data only. Sources: the keys of `docs/entities.md`.
//!
//! Decisions:
//! - Properties are the resource table's, in its order \[LM:software;
//!   DD:software@0596\], spelled in camelCase as the example and the `$filter`
//!   list spell them (`name`, `vendor`, `weaknesses`, not the table's `Name`,
//!   `Vendor`, `Weaknesses`; names resolve case-insensitively).
//! - Filterable: exactly the List page's 3 properties `id`, `name`, `vendor`
//!   \[LM:get-software; DD:get-software@0055\]. Sortable: the same set, as for
//!   MachineActions (the docs never mention `$orderby`). Every property
//!   selectable.
//! - Types: `weaknesses` and `exposedMachines` (Long) Int64; `impactScore`
//!   Double; `publicExploit`, `activeAlert` Boolean.
//! - The entity set is `Software` (singular, capitalised in the URL as the
//!   docs write it); `$top` cap 10,000 \[LM:get-software\].
//! - Default order (the docs state none): `id` ascending.
//! - Permissions: application `Software.Read.All`, delegated `Software.Read`,
//!   confirmed on learn.microsoft.com's get-software page (its localised
//!   copies, found with the docs search) \[LM:get-software\].

use super::{EdmType, EntitySchema, OrderKey, PropertyDef};
use crate::syntax::query::SystemOption;

/// The Software entity set: 8 properties, 3 filterable; `id` order by
/// default; `$top` at most 10,000.
pub static SOFTWARE: EntitySchema = EntitySchema {
    entity_set: "Software",
    type_name: "microsoft.windowsDefenderATP.api.Software",
    service_root: "https://api.securitycenter.microsoft.com/api/",
    properties: &[
        PropertyDef::new("id", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("name", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("vendor", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("weaknesses", EdmType::Int64),
        PropertyDef::new("publicExploit", EdmType::Boolean),
        PropertyDef::new("activeAlert", EdmType::Boolean),
        PropertyDef::new("exposedMachines", EdmType::Int64),
        PropertyDef::new("impactScore", EdmType::Double),
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
    permissions: &["Software.Read.All", "Software.Read"],
    // The List page states no rate limit.
    rate_limits: &[],
    expandable: &[],
};

/// The built-in Software schema.
pub fn software() -> &'static EntitySchema {
    &SOFTWARE
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Code, ValidatedQuery};

    fn valid(query: &str) -> ValidatedQuery<'static> {
        super::super::testing::valid(software(), query)
    }

    fn rejected(query: &str) -> Vec<Code> {
        super::super::testing::rejected(software(), query)
    }

    #[test]
    fn filterable_set_is_the_list_page_list() {
        let filterable: Vec<_> = SOFTWARE.filterable().map(|p| p.name).collect();
        assert_eq!(filterable, ["id", "name", "vendor"]);
        let sortable: Vec<_> = SOFTWARE.sortable().map(|p| p.name).collect();
        assert_eq!(sortable, filterable);
        assert_eq!(SOFTWARE.properties.len(), 8);
        assert!(SOFTWARE.properties.iter().all(|p| p.selectable));
    }

    #[test]
    fn the_list_and_one_filter_per_filterable_property_validate() {
        for query in [
            "",
            "$filter=id eq 'microsoft-_-edge'",
            "$filter=startswith(name,'Micro')",
            "$filter=vendor eq 'microsoft'",
            "$filter=Vendor eq 'microsoft' and Name ne 'edge'&$orderby=name&$top=10000",
        ] {
            assert!(valid(query).warnings().is_empty(), "{query}");
        }
    }

    #[test]
    fn non_filterable_properties_and_caps_are_enforced() {
        assert_eq!(
            rejected("$filter=publicExploit eq true"),
            [Code::PropertyNotFilterable]
        );
        assert_eq!(
            rejected("$filter=impactScore gt 2.0"),
            [Code::PropertyNotFilterable]
        );
        assert_eq!(
            rejected("$orderby=weaknesses desc"),
            [Code::PropertyNotSortable]
        );
        assert_eq!(rejected("$top=10001"), [Code::TopExceedsMax]);
    }

    #[test]
    fn types_order_and_permissions() {
        let ty = |name| SOFTWARE.property(name).map(|p| p.edm_type);
        assert_eq!(ty("Weaknesses"), Some(EdmType::Int64));
        assert_eq!(ty("impactScore"), Some(EdmType::Double));
        assert_eq!(SOFTWARE.max_top, 10_000);
        assert_eq!(SOFTWARE.max_skip, 2_147_483_647);
        assert_eq!(
            SOFTWARE.default_order,
            [OrderKey {
                property: "id",
                descending: false
            }]
        );
        assert_eq!(SOFTWARE.permissions, ["Software.Read.All", "Software.Read"]);
        assert_eq!(SOFTWARE.path_segment(), "software");
    }
}
