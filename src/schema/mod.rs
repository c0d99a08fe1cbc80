//! Entity schemas: what properties an entity set has, their EDM types, what
//! may be filtered, sorted and selected, and the entity set's limits.
//!
//! Owns: [`EntitySchema`], [`PropertyDef`], [`EdmType`], [`ComplexType`] and
//! the built-in schemas, one module a set ([`machine_action`], [`machine`],
//! [`alert`], [`indicator`], [`vulnerability`], [`software`],
//! [`recommendation`], [`investigation`]) and [`entity_sets`], the list of
//! them. A schema is plain `static` data, so declaring another entity set
//! is a table of properties, not new code.
//!
//! Must not know about: query text, the AST, or how validation and evaluation
//! use the schema; this module only describes entities.

use std::fmt;

use crate::syntax::query::SystemOption;

pub mod alert;
pub mod indicator;
pub mod investigation;
pub mod machine;
pub mod machine_action;
pub mod recommendation;
pub mod software;
pub mod vulnerability;

pub use machine_action::{machine_actions, MACHINE_ACTIONS};

/// Every built-in entity set, MachineActions first.
pub fn entity_sets() -> &'static [&'static EntitySchema] {
    static SETS: [&EntitySchema; 8] = [
        &MACHINE_ACTIONS,
        &machine::MACHINES,
        &alert::ALERTS,
        &indicator::INDICATORS,
        &vulnerability::VULNERABILITIES,
        &software::SOFTWARE,
        &recommendation::RECOMMENDATIONS,
        &investigation::INVESTIGATIONS,
    ];
    &SETS
}

/// Every built-in navigation from one entity to the entities of another
/// set that refer to it: `machines/{id}/alerts`.
pub fn navigations() -> &'static [&'static Navigation] {
    static NAVIGATIONS: [&Navigation; 1] = [&alert::MACHINE_ALERTS];
    &NAVIGATIONS
}

/// A navigation from one entity of a set to the entities of another set
/// whose property refers to it: `GET /api/machines/{id}/alerts` lists the
/// Alerts whose `machineId` is `{id}`. The list is the target set's,
/// queried as the target set is (its options, permissions and rate
/// limits), restricted to the entity's.
#[derive(Debug, PartialEq, Eq)]
pub struct Navigation {
    /// The set of the entity navigated from (Machines).
    pub from: &'static EntitySchema,
    /// The path segment after the entity's key (`alerts`).
    pub segment: &'static str,
    /// The set navigated to (Alerts).
    pub to: &'static EntitySchema,
    /// The property of `to` that holds the key of `from`'s entity
    /// (`machineId`), compared exactly.
    pub foreign_key: &'static str,
}

/// The built-in entity set called `name` (`Machines`, or as URLs spell
/// it, `machines`), ignoring case.
pub fn entity_set_named(name: &str) -> Option<&'static EntitySchema> {
    entity_sets()
        .iter()
        .copied()
        .find(|s| s.entity_set.eq_ignore_ascii_case(name))
}

/// The EDM type of a property or of an expression.
///
/// `Copy` and `'static` throughout, so that schemas can be `static` tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EdmType {
    /// `Edm.String`
    String,
    /// `Edm.Boolean`
    Boolean,
    /// `Edm.Byte`
    Byte,
    /// `Edm.SByte`
    SByte,
    /// `Edm.Int16`
    Int16,
    /// `Edm.Int32`
    Int32,
    /// `Edm.Int64`
    Int64,
    /// `Edm.Single`
    Single,
    /// `Edm.Double`
    Double,
    /// `Edm.Decimal`
    Decimal,
    /// `Edm.DateTimeOffset`
    DateTimeOffset,
    /// `Edm.Date`
    Date,
    /// `Edm.TimeOfDay`
    TimeOfDay,
    /// `Edm.Duration`
    Duration,
    /// `Edm.Guid`
    Guid,
    /// `Edm.Binary`
    Binary,
    /// An enum type, by qualified name (`microsoft.windowsDefenderATP.api.Severity`).
    Enum(&'static str),
    /// A structured value with named properties.
    Complex(&'static ComplexType),
    /// A collection of some element type.
    Collection(&'static EdmType),
}

impl EdmType {
    /// The primitive type a qualified `Edm.*` name denotes (case-insensitive,
    /// as `cast(x,edm.string)` is accepted by ODataLib).
    pub fn primitive_from_name(name: &str) -> Option<EdmType> {
        const PRIMITIVES: [EdmType; 16] = [
            EdmType::String,
            EdmType::Boolean,
            EdmType::Byte,
            EdmType::SByte,
            EdmType::Int16,
            EdmType::Int32,
            EdmType::Int64,
            EdmType::Single,
            EdmType::Double,
            EdmType::Decimal,
            EdmType::DateTimeOffset,
            EdmType::Date,
            EdmType::TimeOfDay,
            EdmType::Duration,
            EdmType::Guid,
            EdmType::Binary,
        ];
        PRIMITIVES
            .into_iter()
            .find(|t| t.to_string().eq_ignore_ascii_case(name))
    }

    /// Whether the type is one of the numeric primitives.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            EdmType::Byte
                | EdmType::SByte
                | EdmType::Int16
                | EdmType::Int32
                | EdmType::Int64
                | EdmType::Single
                | EdmType::Double
                | EdmType::Decimal
        )
    }

    /// Whether the type is a primitive (or enum): a single value that can be
    /// compared and sorted, unlike complex values and collections.
    pub fn is_primitive(self) -> bool {
        !matches!(self, EdmType::Complex(_) | EdmType::Collection(_))
    }
}

impl fmt::Display for EdmType {
    /// The qualified name, as in `$metadata` and ODataLib's messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            EdmType::String => "Edm.String",
            EdmType::Boolean => "Edm.Boolean",
            EdmType::Byte => "Edm.Byte",
            EdmType::SByte => "Edm.SByte",
            EdmType::Int16 => "Edm.Int16",
            EdmType::Int32 => "Edm.Int32",
            EdmType::Int64 => "Edm.Int64",
            EdmType::Single => "Edm.Single",
            EdmType::Double => "Edm.Double",
            EdmType::Decimal => "Edm.Decimal",
            EdmType::DateTimeOffset => "Edm.DateTimeOffset",
            EdmType::Date => "Edm.Date",
            EdmType::TimeOfDay => "Edm.TimeOfDay",
            EdmType::Duration => "Edm.Duration",
            EdmType::Guid => "Edm.Guid",
            EdmType::Binary => "Edm.Binary",
            EdmType::Enum(name) => name,
            EdmType::Complex(complex) => complex.name,
            EdmType::Collection(element) => return write!(f, "Collection({element})"),
        };
        f.write_str(name)
    }
}

/// A complex (structured, keyless) type such as MachineAction's
/// `relatedFileInfo`.
#[derive(Debug, PartialEq, Eq)]
pub struct ComplexType {
    /// The qualified type name.
    pub name: &'static str,
    /// Its properties. Their filter/sort/select flags are not consulted:
    /// the flags of the entity property that holds the value decide.
    pub properties: &'static [PropertyDef],
}

impl ComplexType {
    /// The property called `name`, case-insensitively, aliases included.
    pub fn property(&self, name: &str) -> Option<&'static PropertyDef> {
        find_property(self.properties, name)
    }
}

/// One property of an entity or complex type.
///
/// Declared with the `const` builder: `PropertyDef::new("status",
/// EdmType::String).filterable().sortable().values(&["Pending", …])`.
#[derive(Debug, PartialEq, Eq)]
pub struct PropertyDef {
    /// The canonical spelling, used in canonical output.
    pub name: &'static str,
    /// Other spellings that resolve to this property (compared
    /// case-insensitively, like `name`).
    pub aliases: &'static [&'static str],
    /// The EDM type.
    pub edm_type: EdmType,
    /// May appear in `$filter`.
    pub filterable: bool,
    /// May appear in `$orderby`.
    pub sortable: bool,
    /// May appear in `$select`.
    pub selectable: bool,
    /// The values the documentation lists for a string-valued enumeration
    /// (`status`, `type`). A literal outside them is only a warning: the
    /// service adds values over time. Empty: any value.
    pub known_values: &'static [&'static str],
    /// Misspellings of the name in the API's documentation (`asssignedTo`
    /// on the List alerts page): not accepted, but named in the
    /// did-you-mean of a query that copied one.
    pub docs_misspellings: &'static [&'static str],
}

impl PropertyDef {
    /// A selectable property that can be neither filtered nor sorted on.
    pub const fn new(name: &'static str, edm_type: EdmType) -> PropertyDef {
        PropertyDef {
            name,
            aliases: &[],
            edm_type,
            filterable: false,
            sortable: false,
            selectable: true,
            known_values: &[],
            docs_misspellings: &[],
        }
    }

    /// Allows the property in `$filter`.
    pub const fn filterable(mut self) -> PropertyDef {
        self.filterable = true;
        self
    }

    /// Allows the property in `$orderby`.
    pub const fn sortable(mut self) -> PropertyDef {
        self.sortable = true;
        self
    }

    /// Forbids the property in `$select`.
    pub const fn not_selectable(mut self) -> PropertyDef {
        self.selectable = false;
        self
    }

    /// Sets the documented values of a string enumeration.
    pub const fn values(mut self, known_values: &'static [&'static str]) -> PropertyDef {
        self.known_values = known_values;
        self
    }

    /// Sets the documentation's misspellings of the name.
    pub const fn misspelled_in_docs(mut self, spellings: &'static [&'static str]) -> PropertyDef {
        self.docs_misspellings = spellings;
        self
    }

    /// Sets other spellings that resolve to this property.
    pub const fn aliases(mut self, aliases: &'static [&'static str]) -> PropertyDef {
        self.aliases = aliases;
        self
    }

    /// Whether `name` is this property's name or one of its aliases, ignoring
    /// ASCII case.
    pub fn answers_to(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    }
}

/// One key of an entity set's default order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderKey {
    /// The property's canonical name.
    pub property: &'static str,
    /// Newest/largest first.
    pub descending: bool,
}

/// Everything validation and evaluation need to know about one entity set.
///
/// All fields are public and `'static`, so a schema is declared as a
/// `static` item; see [`machine_action::MACHINE_ACTIONS`].
#[derive(Debug, PartialEq, Eq)]
pub struct EntitySchema {
    /// The entity set's name in URLs and the context URL: `MachineActions`.
    pub entity_set: &'static str,
    /// The entity type's qualified name (what `cast`/`isof` may name).
    pub type_name: &'static str,
    /// The URL the service's entity sets and `$metadata` are under, ending
    /// in `/`: what `@odata.context` and `@odata.nextLink` start with.
    pub service_root: &'static str,
    /// The properties, in the order responses write them.
    pub properties: &'static [PropertyDef],
    /// The key property's name: unique per entity, what a store upserts on.
    pub key: &'static str,
    /// The order of results when the query has no `$orderby`.
    pub default_order: &'static [OrderKey],
    /// The largest `$top` the service accepts (and its page size).
    pub max_top: i64,
    /// The largest `$skip` the service accepts.
    pub max_skip: i64,
    /// The system query options the entity set supports.
    pub supported_options: &'static [SystemOption],
    /// The permissions that each grant listing the entity set (any one
    /// suffices), as the API's documentation names them.
    pub permissions: &'static [&'static str],
    /// The rate limits the documentation states for listing the set, per
    /// caller; empty where it states none.
    pub rate_limits: &'static [crate::client::RateLimit],
    /// The navigation properties `$expand` may name, each the canonical
    /// name of one of `properties` (Alerts: `evidence`). Their stored value
    /// is written only when expanded; otherwise a response writes an empty
    /// collection. Empty: the set has nothing to expand, and `$expand` is
    /// not supported on it.
    pub expandable: &'static [&'static str],
}

impl EntitySchema {
    /// The `@odata.context` of a response without `$select`:
    /// `https://api.securitycenter.microsoft.com/api/$metadata#MachineActions`.
    pub fn context_url(&self) -> String {
        context_url(self.service_root, self.entity_set)
    }

    /// The entity set's path segment under the service root, as the API's
    /// URLs spell it: `machineactions`.
    pub fn path_segment(&self) -> String {
        path_segment(self.entity_set)
    }

    /// The namespace of the entity type: its qualified name without the
    /// last segment.
    pub fn namespace(&self) -> &'static str {
        self.type_name
            .rsplit_once('.')
            .map_or("", |(namespace, _)| namespace)
    }

    /// The property called `name` (or one of its aliases), case-insensitively
    /// as the service resolves names.
    pub fn property(&self, name: &str) -> Option<&'static PropertyDef> {
        find_property(self.properties, name)
    }

    /// The properties allowed in `$filter`, in declaration order.
    pub fn filterable(&self) -> impl Iterator<Item = &'static PropertyDef> {
        self.properties.iter().filter(|p| p.filterable)
    }

    /// The properties allowed in `$orderby`, in declaration order.
    pub fn sortable(&self) -> impl Iterator<Item = &'static PropertyDef> {
        self.properties.iter().filter(|p| p.sortable)
    }

    /// The properties allowed in `$select`, in declaration order.
    pub fn selectable(&self) -> impl Iterator<Item = &'static PropertyDef> {
        self.properties.iter().filter(|p| p.selectable)
    }

    /// Whether the entity set supports `option`: it is listed in
    /// `supported_options`, and for `$expand` the set has a navigation
    /// property to expand.
    pub fn supports(&self, option: SystemOption) -> bool {
        self.supported_options.contains(&option)
            && (option != SystemOption::Expand || !self.expandable.is_empty())
    }

    /// The navigation properties `$expand` may name, in declaration order
    /// (see [`EntitySchema::expandable`]).
    pub fn navigation_properties(&self) -> impl Iterator<Item = &'static PropertyDef> {
        let expandable = self.expandable;
        self.properties
            .iter()
            .filter(move |p| expandable.contains(&p.name))
    }

    /// The navigation property called `name`, case-insensitively as other
    /// names resolve; `None` for a name that is not one (a structural
    /// property included).
    pub fn navigation_property(&self, name: &str) -> Option<&'static PropertyDef> {
        self.property(name)
            .filter(|p| self.expandable.contains(&p.name))
    }
}

/// The context URL of `entity_set` under `service_root` (ending in `/`):
/// `…/api/$metadata#MachineActions`, to which a response adds its
/// `$select` list or `/$entity`.
pub(crate) fn context_url(service_root: &str, entity_set: &str) -> String {
    format!("{service_root}$metadata#{entity_set}")
}

/// The path segment of `entity_set` under the service root:
/// `machineactions`.
pub(crate) fn path_segment(entity_set: &str) -> String {
    entity_set.to_lowercase()
}

/// The last segment of a qualified name: `MachineAction` of
/// `microsoft.windowsDefenderATP.api.MachineAction`.
pub(crate) fn local_name(qualified: &str) -> &str {
    qualified.rsplit('.').next().unwrap_or(qualified)
}

/// The property of `properties` called `name`: an exact canonical match
/// first, then any case-insensitive match of a name or alias.
pub(crate) fn find_property(
    properties: &'static [PropertyDef],
    name: &str,
) -> Option<&'static PropertyDef> {
    properties
        .iter()
        .find(|p| p.name == name)
        .or_else(|| properties.iter().find(|p| p.answers_to(name)))
}

/// What the schemas' tests share.
#[cfg(test)]
mod testing {
    use super::EntitySchema;
    use crate::{check, Code, ParseOptions, ValidatedQuery};

    /// `query` validated against `schema`; panics, naming the query, if
    /// it is rejected.
    pub(super) fn valid(schema: &'static EntitySchema, query: &str) -> ValidatedQuery<'static> {
        check(query, schema, &ParseOptions::default())
            .unwrap_or_else(|e| panic!("{query:?} should validate: {e}"))
    }

    /// The codes `query` is rejected with; panics if it validates.
    pub(super) fn rejected(schema: &'static EntitySchema, query: &str) -> Vec<Code> {
        match check(query, schema, &ParseOptions::default()) {
            Ok(_) => panic!("{query:?} should be rejected"),
            Err(e) => e.codes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edm_names_round_trip_through_primitive_from_name() {
        for t in [EdmType::String, EdmType::DateTimeOffset, EdmType::Int32] {
            assert_eq!(EdmType::primitive_from_name(&t.to_string()), Some(t));
        }
        assert_eq!(
            EdmType::primitive_from_name("edm.guid"),
            Some(EdmType::Guid)
        );
        assert_eq!(EdmType::primitive_from_name("Edm.Nope"), None);
        assert_eq!(
            EdmType::Collection(&EdmType::String).to_string(),
            "Collection(Edm.String)"
        );
    }
}
