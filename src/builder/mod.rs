//! Typed builders of queries, for clients: one a set (MachineActions,
//! Machines, Alerts), all made by one mechanism.
//!
//! Owns: the mechanism — [`EntitySet`] (a set as a type: its schema and
//! its property enum), the value [`kind`]s and [`FieldValue`], [`Field`]
//! (a filterable property typed by the values it takes),
//! [`CollectionField`] and [`Element`] (a collection property and its
//! `any`/`all` lambda), [`FilterOf`] (a Boolean `$filter` on one set),
//! [`OrderBy`], [`QueryBuilder`] (the whole query) and [`BuildError`] —
//! and, one module a set, which properties are fields and of which kind:
//! [`MachineActionField`] ([`MachineActionsQuery`]), [`MachineField`]
//! ([`MachinesQuery`]) and [`AlertField`] ([`AlertsQuery`]).
//!
//! Must not know about: query text. The builder makes the very tree the
//! parser makes (through [`Expr`]'s constructors), so `Display` and
//! `to_query_string()` of what it builds are the canonical forms by
//! construction, and `parse` reads them back as an equal [`Query`].
//!
//! Invalid queries are hard to build:
//! - only filterable properties have fields, only sortable ones have
//!   `asc`/`desc`, and each field takes one kind of value: text (`id`,
//!   `machineId`, `computerDnsName`, `assignedTo`, …); an enumeration of the
//!   documented values ([`ActionStatus`], [`ActionType`], [`HealthStatus`],
//!   [`RiskScore`], [`AlertSeverity`], …) or any text, since the service
//!   adds values; a `chrono::DateTime` for instants (`creationDateTimeUtc`,
//!   `lastSeen`, `alertCreationTime`, …), which are never quoted (quoting
//!   one is the classic `TypeMismatch` trap); an integer for the `Int64`
//!   properties (`rbacGroupId`, `incidentId`, `investigationId`); and the
//!   string collection `machineTags` only through a lambda
//!   ([`CollectionField::any`], [`CollectionField::all`]) whose element is
//!   compared as text;
//! - a filter belongs to its set ([`FilterOf`]), so a Machines filter does
//!   not compile into an Alerts query;
//! - `$select` takes the set's property enum ([`Property`],
//!   [`MachineProperty`], [`AlertProperty`]), so only real property names;
//! - `$top` and `$skip` are unsigned, and [`QueryBuilder::build`] rejects a
//!   `$top` above the schema's `max_top` (10,000) or a `$skip` above its
//!   `max_skip` (2,147,483,647) with a typed [`BuildError`] rather than
//!   clamping: a silently smaller page would look like "no more results"
//!   to a caller that pages.
//! - `build` also renders the query and reads it back with the default
//!   parse limits, so a query that a server would refuse as too long, too
//!   deep or too big (an `in` list of thousands of ids) fails here, with
//!   the parser's own diagnostics, instead of on the wire.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use defender_odata::builder::{MachineActionField as F, MachineActionsQuery};
//! use defender_odata::model::{ActionStatus, ActionType, Property};
//!
//! let since = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
//! let query = MachineActionsQuery::new()
//!     .filter(
//!         F::Status
//!             .eq(ActionStatus::Succeeded)
//!             .and(F::Type.is_in([ActionType::Isolate, ActionType::Unisolate]))
//!             .and(F::CreationDateTimeUtc.gt(since)),
//!     )
//!     .orderby(F::CreationDateTimeUtc.desc())
//!     .select([Property::Id, Property::Status, Property::MachineId])
//!     .top(100)
//!     .build()?;
//! assert_eq!(
//!     query.to_string(),
//!     "$filter=status eq 'Succeeded' and type in ('Isolate','Unisolate') \
//!      and creationDateTimeUtc gt 2024-01-01T00:00:00Z\
//!      &$orderby=creationDateTimeUtc desc&$top=100&$select=id,status,machineId"
//! );
//! // What the builder makes is what the parser reads back.
//! assert_eq!(defender_odata::parse(&query.to_query_string())?, query);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Machines and Alerts are built the same way; [`MachineField`] and
//! [`AlertField`] have examples, the lambda over `machineTags` among them.
//!
//! What the service would refuse does not compile. A filter on one set
//! is not a filter on another:
//!
//! ```compile_fail
//! use defender_odata::builder::{AlertsQuery, MachineField as M};
//! let _ = AlertsQuery::new().filter(M::Id.eq("x"));
//! ```
//!
//! An instant is not text (the quoted date of a `TypeMismatch`):
//!
//! ```compile_fail
//! use defender_odata::builder::AlertField as A;
//! let _ = A::AlertCreationTime.gt("2018-11-22T00:00:00Z");
//! ```
//!
//! A collection has no single value to compare or sort by:
//!
//! ```compile_fail
//! use defender_odata::builder::MachineField as M;
//! let _ = M::MachineTags.asc();
//! ```
//!
//! A lambda's body reads its element only ([`Member`]), never the entity:
//!
//! ```compile_fail
//! use defender_odata::builder::MachineField as M;
//! let _ = M::MachineTags.any(|_tag| M::Id.eq("x"));
//! ```
//!
//! while the element's own tests compose:
//!
//! ```
//! use defender_odata::builder::MachineField as M;
//! let tags = M::MachineTags.all(|tag| tag.starts_with("prod-").or(!tag.eq("x")));
//! assert_eq!(
//!     tags.to_string(),
//!     "machineTags/all(tag:startswith(tag,'prod-') or not (tag eq 'x'))"
//! );
//! ```
//!
//! [`ActionStatus`]: crate::model::ActionStatus
//! [`ActionType`]: crate::model::ActionType
//! [`HealthStatus`]: crate::model::HealthStatus
//! [`RiskScore`]: crate::model::RiskScore
//! [`AlertSeverity`]: crate::model::AlertSeverity
//! [`Property`]: crate::model::Property
//! [`MachineProperty`]: crate::model::MachineProperty
//! [`AlertProperty`]: crate::model::AlertProperty

use std::fmt;
use std::marker::PhantomData;
use std::ops::Not;

use chrono::{DateTime, FixedOffset, Offset, TimeZone, Utc};

use crate::error::Error;
use crate::model::{self, PropertyKey};
use crate::schema::EntitySchema;
use crate::syntax::ast::{
    BinaryOp, DateTimeOffset, Function, LambdaKind, OrderByItem, Select, SelectItem, UnaryOp,
};
use crate::syntax::query::Query;
use crate::syntax::tree::{Expr, Literal, PathSegment};

/// Declares a set's field holder: a unit struct whose associated constants
/// are the set's filterable properties, each a [`Field`] (or, for a
/// collection, a [`CollectionField`] with its lambda variable) of its
/// kind, named like the property enum's variant it stands for; the
/// conversions of its fields into that enum, for `$select`; and, for the
/// tests, the list of every field with whether it sorts.
macro_rules! fields {
    (
        $(#[$meta:meta])*
        $holder:ident of $set:ident, named by $property:ident {
            $(
                $(#[$field_meta:meta])*
                $name:ident: $field:ident<$kind:ident> $(, variable $variable:literal)?;
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug)]
        pub struct $holder;

        // The constants are named like the enum variants they stand in for,
        // so a call reads `MachineActionField::Status.eq(…)`.
        #[allow(non_upper_case_globals)]
        impl $holder {
            $(
                $(#[$field_meta])*
                pub const $name: $crate::builder::$field<$crate::builder::kind::$kind, $set> =
                    $crate::builder::$field::new($property::$name $(, $variable)?);
            )*
        }

        impl<K> From<$crate::builder::Field<K, $set>> for $property {
            fn from(field: $crate::builder::Field<K, $set>) -> $property {
                field.property()
            }
        }

        impl<K> From<$crate::builder::CollectionField<K, $set>> for $property {
            fn from(field: $crate::builder::CollectionField<K, $set>) -> $property {
                field.property()
            }
        }

        #[cfg(test)]
        impl $holder {
            /// Every field: its property's name, and whether it sorts.
            pub(crate) fn described() -> Vec<(&'static str, bool)> {
                vec![$($holder::$name.described()),*]
            }
        }
    };
}

mod alerts;
mod machine_actions;
mod machines;

pub use alerts::{AlertField, AlertFilter, Alerts, AlertsQuery};
pub use machine_actions::{
    Filter, MachineActionField, MachineActions, MachineActionsQuery, MAX_SKIP, MAX_TOP,
};
pub use machines::{MachineField, MachineFilter, Machines, MachinesQuery};

/// An entity set a query is built for, as a type: its schema (whose caps
/// `build` enforces) and the enum of its property names, which `$select`
/// takes. [`MachineActions`], [`Machines`] and [`Alerts`] are the ones with
/// fields.
pub trait EntitySet: Clone + Copy + fmt::Debug + Default + PartialEq + Eq + 'static {
    /// The set's schema.
    const SCHEMA: &'static EntitySchema;
    /// The set's properties, named by the schema.
    type Property: PropertyKey;
}

/// The kinds of value a [`Field`] takes; each is a type-level marker only.
pub mod kind {
    /// Free text: `id`, `machineId`, `computerDnsName`, `assignedTo`, an
    /// element of `machineTags`, ….
    #[derive(Clone, Copy, Debug)]
    pub enum Text {}
    /// MachineActions' `status`: an [`ActionStatus`](crate::model::ActionStatus) or text.
    #[derive(Clone, Copy, Debug)]
    pub enum Status {}
    /// MachineActions' `type`: an [`ActionType`](crate::model::ActionType) or text.
    #[derive(Clone, Copy, Debug)]
    pub enum Type {}
    /// An instant (`Edm.DateTimeOffset`): `creationDateTimeUtc`,
    /// `lastSeen`, `alertCreationTime`, …: a `chrono::DateTime`.
    #[derive(Clone, Copy, Debug)]
    pub enum DateTimeOffset {}
    /// An integer (`Edm.Int64`): `rbacGroupId`, `incidentId`,
    /// `investigationId`.
    #[derive(Clone, Copy, Debug)]
    pub enum Int64 {}
    /// Machines' `onboardingStatus`: an
    /// [`OnboardingStatus`](crate::model::OnboardingStatus) or text.
    #[derive(Clone, Copy, Debug)]
    pub enum OnboardingStatus {}
    /// Machines' `healthStatus`: a [`HealthStatus`](crate::model::HealthStatus) or text.
    #[derive(Clone, Copy, Debug)]
    pub enum HealthStatus {}
    /// Machines' `riskScore`: a [`RiskScore`](crate::model::RiskScore) or text.
    #[derive(Clone, Copy, Debug)]
    pub enum RiskScore {}
    /// Machines' `exposureLevel`: an [`ExposureLevel`](crate::model::ExposureLevel) or text.
    #[derive(Clone, Copy, Debug)]
    pub enum ExposureLevel {}
    /// Machines' `deviceValue`: a [`DeviceValue`](crate::model::DeviceValue) or text.
    #[derive(Clone, Copy, Debug)]
    pub enum DeviceValue {}
    /// Alerts' `severity`: an [`AlertSeverity`](crate::model::AlertSeverity) or text.
    #[derive(Clone, Copy, Debug)]
    pub enum AlertSeverity {}
    /// Alerts' `status`: an [`AlertStatus`](crate::model::AlertStatus) or text.
    #[derive(Clone, Copy, Debug)]
    pub enum AlertStatus {}
}

/// A value a field of kind `K` can be compared with.
///
/// Implemented for text (`&str`, `String`) on the text kind and on every
/// enumeration's kind, for each enumeration ([`ActionStatus`],
/// [`HealthStatus`], …) on its own kind, for `chrono::DateTime<Tz>` on the
/// instant kind and for the integer types on the `Int64` kind. Any other
/// pairing does not compile, which is the point.
///
/// [`ActionStatus`]: crate::model::ActionStatus
/// [`HealthStatus`]: crate::model::HealthStatus
pub trait FieldValue<K> {
    /// The literal the value is written as, as an expression.
    fn into_literal(self) -> Expr;
}

macro_rules! text_values {
    ($($kind:ty),*) => {$(
        impl FieldValue<$kind> for &str {
            fn into_literal(self) -> Expr {
                Expr::literal(Literal::String(self))
            }
        }
        impl FieldValue<$kind> for String {
            fn into_literal(self) -> Expr {
                Expr::literal(Literal::String(&self))
            }
        }
        impl FieldValue<$kind> for &String {
            fn into_literal(self) -> Expr {
                Expr::literal(Literal::String(self))
            }
        }
    )*};
}

/// An enumeration's kind takes its model enum, spelled as the service
/// spells it, or any text.
macro_rules! enumerations {
    ($($kind:ty => $values:ty),*) => {$(
        text_values!($kind);
        impl FieldValue<$kind> for $values {
            fn into_literal(self) -> Expr {
                Expr::literal(Literal::String(self.as_str()))
            }
        }
    )*};
}

text_values!(kind::Text);

enumerations!(
    kind::Status => model::ActionStatus,
    kind::Type => model::ActionType,
    kind::OnboardingStatus => model::OnboardingStatus,
    kind::HealthStatus => model::HealthStatus,
    kind::RiskScore => model::RiskScore,
    kind::ExposureLevel => model::ExposureLevel,
    kind::DeviceValue => model::DeviceValue,
    kind::AlertSeverity => model::AlertSeverity,
    kind::AlertStatus => model::AlertStatus
);

macro_rules! integer_values {
    ($($integer:ty),*) => {$(
        impl FieldValue<kind::Int64> for $integer {
            fn into_literal(self) -> Expr {
                Expr::literal(Literal::Int(i64::from(self)))
            }
        }
    )*};
}

integer_values!(i64, i32, u32, i16, u16, i8, u8);

impl<Tz: TimeZone> FieldValue<kind::DateTimeOffset> for DateTime<Tz> {
    /// Keeps the value's offset when it is whole minutes (OData offsets
    /// have no seconds); otherwise writes the same instant in UTC.
    fn into_literal(self) -> Expr {
        let offset = self.offset().fix();
        let value: DateTime<FixedOffset> = if offset.local_minus_utc() % 60 == 0 {
            self.with_timezone(&offset)
        } else {
            self.with_timezone(&Utc).fixed_offset()
        };
        Expr::literal(Literal::DateTimeOffset(DateTimeOffset(value)))
    }
}

/// A filterable property of the set `S` whose values are of kind `K`. Get
/// one from the set's field holder: [`MachineActionField`] (the default
/// set, so `Field<kind::Text>` is a MachineActions field),
/// [`MachineField`], [`AlertField`].
#[derive(Debug)]
pub struct Field<K, S: EntitySet = MachineActions> {
    property: S::Property,
    kind: PhantomData<K>,
}

// Derives would demand `K: Clone`; the markers are never values.
impl<K, S: EntitySet> Clone for Field<K, S> {
    fn clone(&self) -> Field<K, S> {
        *self
    }
}

impl<K, S: EntitySet> Copy for Field<K, S> {}

impl<K, S: EntitySet> Field<K, S> {
    const fn new(property: S::Property) -> Field<K, S> {
        Field {
            property,
            kind: PhantomData,
        }
    }

    /// The property's name as the schema spells it.
    pub fn name(self) -> &'static str {
        self.property.wire_name()
    }

    /// The property, for `$select`.
    pub fn property(self) -> S::Property {
        self.property
    }

    fn expr(self) -> Expr {
        Expr::property(self.name())
    }

    /// Sort by this property, smallest first.
    pub fn asc(self) -> OrderBy<S> {
        OrderBy::new(self.name(), false)
    }

    /// Sort by this property, largest (newest) first.
    pub fn desc(self) -> OrderBy<S> {
        OrderBy::new(self.name(), true)
    }

    #[cfg(test)]
    fn described(self) -> (&'static str, bool) {
        (self.name(), true)
    }
}

/// A filterable collection property of the set `S` whose elements are of
/// kind `K` (`machineTags`). It has no single value to compare or sort by,
/// so it is filtered through a lambda over its elements:
/// `machineTags/any(tag:tag eq 'ExampleTag')`.
#[derive(Debug)]
pub struct CollectionField<K, S: EntitySet> {
    property: S::Property,
    variable: &'static str,
    kind: PhantomData<K>,
}

impl<K, S: EntitySet> Clone for CollectionField<K, S> {
    fn clone(&self) -> CollectionField<K, S> {
        *self
    }
}

impl<K, S: EntitySet> Copy for CollectionField<K, S> {}

impl<K, S: EntitySet> CollectionField<K, S> {
    /// `variable` names the element in the lambda's body: an identifier.
    const fn new(property: S::Property, variable: &'static str) -> CollectionField<K, S> {
        CollectionField {
            property,
            variable,
            kind: PhantomData,
        }
    }

    /// The property's name as the schema spells it.
    pub fn name(self) -> &'static str {
        self.property.wire_name()
    }

    /// The property, for `$select`.
    pub fn property(self) -> S::Property {
        self.property
    }

    /// `name/any(x:predicate)`: some element matches. `predicate` is
    /// given the element `x` and returns the body.
    pub fn any(self, predicate: impl FnOnce(Element<K, S>) -> FilterOf<Member<S>>) -> FilterOf<S> {
        self.lambda(LambdaKind::Any, predicate)
    }

    /// `name/all(x:predicate)`: every element matches (as does an empty
    /// collection).
    pub fn all(self, predicate: impl FnOnce(Element<K, S>) -> FilterOf<Member<S>>) -> FilterOf<S> {
        self.lambda(LambdaKind::All, predicate)
    }

    fn lambda(
        self,
        kind: LambdaKind,
        predicate: impl FnOnce(Element<K, S>) -> FilterOf<Member<S>>,
    ) -> FilterOf<S> {
        let element = Element {
            variable: self.variable,
            kind: PhantomData,
        };
        let body = predicate(element).into_expr();
        FilterOf::new(Expr::path(
            PathSegment::Property(self.name().to_owned()),
            [PathSegment::Lambda {
                kind,
                predicate: Some((self.variable.to_owned(), body)),
            }],
        ))
    }

    #[cfg(test)]
    fn described(self) -> (&'static str, bool) {
        (self.name(), false)
    }
}

/// What a lambda's body is a filter of: one member of a collection of the
/// set `S`, not an entity of it. A body is a `FilterOf<Member<S>>`, made
/// from its [`Element`] alone, so a body that reads one of the set's
/// fields (which the evaluator and the SQL translation refuse) does not
/// compile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Member<S>(PhantomData<S>);

/// The element of a [`CollectionField`] inside its lambda (`tag` in
/// `machineTags/any(tag:tag eq 'x')`), compared like a field of kind `K`.
#[derive(Debug)]
pub struct Element<K, S: EntitySet> {
    variable: &'static str,
    kind: PhantomData<(K, S)>,
}

impl<K, S: EntitySet> Clone for Element<K, S> {
    fn clone(&self) -> Element<K, S> {
        *self
    }
}

impl<K, S: EntitySet> Copy for Element<K, S> {}

impl<K, S: EntitySet> Element<K, S> {
    /// The lambda variable's name.
    pub fn variable(self) -> &'static str {
        self.variable
    }

    fn expr(self) -> Expr {
        Expr::property(self.variable)
    }
}

/// The comparisons of an operand (a [`Field`] or an [`Element`], whose
/// private `expr` is the left operand), written once for both: equality,
/// `in` and `null` for every kind; ordering where order means something
/// (text compares ordinally, case-sensitively; instants by time; integers
/// by value); the text functions on text; ranges on instants.
macro_rules! comparisons {
    ($operand:ident => $out:ty) => {
        impl<K, S: EntitySet> $operand<K, S> {
            fn compare(self, op: BinaryOp, value: Expr) -> FilterOf<$out> {
                FilterOf::new(Expr::binary(op, self.expr(), value))
            }

            /// `name eq value`.
            pub fn eq(self, value: impl FieldValue<K>) -> FilterOf<$out> {
                self.compare(BinaryOp::Eq, value.into_literal())
            }

            /// `name ne value`.
            pub fn ne(self, value: impl FieldValue<K>) -> FilterOf<$out> {
                self.compare(BinaryOp::Ne, value.into_literal())
            }

            /// `name in (v1,v2,…)`. An empty list selects nothing.
            pub fn is_in<V: FieldValue<K>>(
                self,
                values: impl IntoIterator<Item = V>,
            ) -> FilterOf<$out> {
                let items = values.into_iter().map(FieldValue::into_literal);
                self.compare(BinaryOp::In, Expr::list(items))
            }

            /// `name eq null`.
            pub fn is_null(self) -> FilterOf<$out> {
                self.compare(BinaryOp::Eq, Expr::literal(Literal::Null))
            }

            /// `name ne null`.
            pub fn is_not_null(self) -> FilterOf<$out> {
                self.compare(BinaryOp::Ne, Expr::literal(Literal::Null))
            }
        }

        comparisons!(@ordering $operand => $out: kind::Text, kind::DateTimeOffset, kind::Int64);

        impl<S: EntitySet> $operand<kind::Text, S> {
            fn call(self, function: Function, value: Expr) -> FilterOf<$out> {
                FilterOf::new(Expr::call(function, [self.expr(), value]))
            }

            /// `startswith(name,'prefix')`.
            pub fn starts_with(self, prefix: impl FieldValue<kind::Text>) -> FilterOf<$out> {
                self.call(Function::StartsWith, prefix.into_literal())
            }

            /// `endswith(name,'suffix')`.
            pub fn ends_with(self, suffix: impl FieldValue<kind::Text>) -> FilterOf<$out> {
                self.call(Function::EndsWith, suffix.into_literal())
            }

            /// `contains(name,'part')`.
            pub fn contains(self, part: impl FieldValue<kind::Text>) -> FilterOf<$out> {
                self.call(Function::Contains, part.into_literal())
            }
        }

        impl<S: EntitySet> $operand<kind::DateTimeOffset, S> {
            /// `name ge from and name lt until`: the half-open range
            /// `[from, until)`, so consecutive ranges neither overlap nor
            /// leave gaps.
            pub fn between<A: TimeZone, B: TimeZone>(
                self,
                from: DateTime<A>,
                until: DateTime<B>,
            ) -> FilterOf<$out> {
                self.ge(from).and(self.lt(until))
            }
        }
    };
    (@ordering $operand:ident => $out:ty: $($kind:ty),*) => {$(
        impl<S: EntitySet> $operand<$kind, S> {
            /// `name gt value`.
            pub fn gt(self, value: impl FieldValue<$kind>) -> FilterOf<$out> {
                self.compare(BinaryOp::Gt, value.into_literal())
            }
            /// `name ge value`.
            pub fn ge(self, value: impl FieldValue<$kind>) -> FilterOf<$out> {
                self.compare(BinaryOp::Ge, value.into_literal())
            }
            /// `name lt value`.
            pub fn lt(self, value: impl FieldValue<$kind>) -> FilterOf<$out> {
                self.compare(BinaryOp::Lt, value.into_literal())
            }
            /// `name le value`.
            pub fn le(self, value: impl FieldValue<$kind>) -> FilterOf<$out> {
                self.compare(BinaryOp::Le, value.into_literal())
            }
        }
    )*};
}

comparisons!(Field => S);
comparisons!(Element => Member<S>);

/// A Boolean `$filter` expression on the set `S`, built from its fields.
/// Each set has a name for it: [`Filter`] (MachineActions),
/// [`MachineFilter`], [`AlertFilter`].
#[must_use]
#[derive(Clone, Debug, PartialEq)]
pub struct FilterOf<S>(Expr, PhantomData<S>);

impl<S> FilterOf<S> {
    fn new(expr: Expr) -> FilterOf<S> {
        FilterOf(expr, PhantomData)
    }

    /// `self and other`.
    pub fn and(self, other: FilterOf<S>) -> FilterOf<S> {
        FilterOf::new(Expr::binary(BinaryOp::And, self.0, other.0))
    }

    /// `self or other`.
    pub fn or(self, other: FilterOf<S>) -> FilterOf<S> {
        FilterOf::new(Expr::binary(BinaryOp::Or, self.0, other.0))
    }

    /// Every filter joined with `and`; `None` when there are none.
    pub fn all(filters: impl IntoIterator<Item = FilterOf<S>>) -> Option<FilterOf<S>> {
        filters.into_iter().reduce(FilterOf::and)
    }

    /// Every filter joined with `or`; `None` when there are none.
    pub fn any(filters: impl IntoIterator<Item = FilterOf<S>>) -> Option<FilterOf<S>> {
        filters.into_iter().reduce(FilterOf::or)
    }

    /// The expression tree.
    pub fn as_expr(&self) -> &Expr {
        &self.0
    }

    /// The expression tree, owned.
    pub fn into_expr(self) -> Expr {
        self.0
    }
}

/// `not self`; the free function [`not`] reads better at the front of a
/// long expression.
impl<S> Not for FilterOf<S> {
    type Output = FilterOf<S>;

    fn not(self) -> FilterOf<S> {
        FilterOf::new(Expr::unary(UnaryOp::Not, self.0))
    }
}

/// `not filter`.
pub fn not<S>(filter: FilterOf<S>) -> FilterOf<S> {
    !filter
}

impl<S> fmt::Display for FilterOf<S> {
    /// The canonical `$filter` value (the human form).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl<S> From<FilterOf<S>> for Expr {
    fn from(filter: FilterOf<S>) -> Expr {
        filter.0
    }
}

/// One `$orderby` key of the set `S`: a sortable field and a direction.
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderBy<S = MachineActions> {
    name: &'static str,
    descending: bool,
    set: PhantomData<S>,
}

impl<S> OrderBy<S> {
    fn new(name: &'static str, descending: bool) -> OrderBy<S> {
        OrderBy {
            name,
            descending,
            set: PhantomData,
        }
    }

    /// The property's name as the schema spells it.
    pub fn name(self) -> &'static str {
        self.name
    }

    /// Whether the order is largest first.
    pub fn is_descending(self) -> bool {
        self.descending
    }

    fn item(self) -> OrderByItem {
        OrderByItem {
            expr: Expr::property(self.name),
            descending: self.descending,
        }
    }
}

/// Why [`QueryBuilder::build`] refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// `$top` above the set's cap ([`QueryBuilder::MAX_TOP`]). To get more,
    /// page with [`crate::client::Pager`].
    #[error("$top={top} is more than the entity set allows (its schema's max_top); page with client::Pager to get more")]
    TopExceedsMax {
        /// The `$top` asked for.
        top: u32,
    },
    /// `$skip` above the set's cap ([`QueryBuilder::MAX_SKIP`]).
    #[error("$skip={skip} is more than the entity set allows (its schema's max_skip, an int32)")]
    SkipExceedsMax {
        /// The `$skip` asked for.
        skip: u32,
    },
    /// The rendered query breaks the parser's structural limits (value
    /// length, nesting depth, node count), so a server would refuse it.
    #[error("the query is too large for a server to accept: {0}")]
    TooLarge(Error),
}

/// A schema's cap as a `u32`: the builder's `$top` and `$skip` are
/// unsigned 32-bit, and a cap beyond them caps nothing.
const fn cap(limit: i64) -> u32 {
    if limit < 0 {
        0
    } else if limit > u32::MAX as i64 {
        u32::MAX
    } else {
        limit as u32
    }
}

/// A query of the set `S` under construction. Every setter consumes and
/// returns the builder; [`build`](QueryBuilder::build) checks it. Each set
/// has a name for it: [`MachineActionsQuery`], [`MachinesQuery`],
/// [`AlertsQuery`].
#[must_use]
#[derive(Clone, Debug, PartialEq)]
pub struct QueryBuilder<S: EntitySet> {
    filter: Option<FilterOf<S>>,
    count: Option<bool>,
    orderby: Vec<OrderBy<S>>,
    skip: Option<u32>,
    top: Option<u32>,
    select: Option<Vec<S::Property>>,
}

// A derive would demand `S::Property: Default`; an empty query has none.
impl<S: EntitySet> Default for QueryBuilder<S> {
    fn default() -> QueryBuilder<S> {
        QueryBuilder {
            filter: None,
            count: None,
            orderby: Vec::new(),
            skip: None,
            top: None,
            select: None,
        }
    }
}

impl<S: EntitySet> QueryBuilder<S> {
    /// The largest `$top` the set accepts: its schema's `max_top`.
    pub const MAX_TOP: u32 = cap(S::SCHEMA.max_top);

    /// The largest `$skip` the set accepts: its schema's `max_skip`.
    pub const MAX_SKIP: u32 = cap(S::SCHEMA.max_skip);

    /// An empty query: every entity of the set, in the service's default
    /// order.
    pub fn new() -> QueryBuilder<S> {
        QueryBuilder::default()
    }

    /// Sets `$filter`; called again, the filters are joined with `and`.
    pub fn filter(mut self, filter: FilterOf<S>) -> QueryBuilder<S> {
        self.filter = Some(match self.filter.take() {
            Some(before) => before.and(filter),
            None => filter,
        });
        self
    }

    /// Sets `$count`: whether the response carries `@odata.count`.
    pub fn count(mut self, count: bool) -> QueryBuilder<S> {
        self.count = Some(count);
        self
    }

    /// Appends a `$orderby` key; the first key sorts first.
    pub fn orderby(mut self, key: OrderBy<S>) -> QueryBuilder<S> {
        self.orderby.push(key);
        self
    }

    /// Sets `$skip`: how many results to leave out.
    pub fn skip(mut self, skip: u32) -> QueryBuilder<S> {
        self.skip = Some(skip);
        self
    }

    /// Sets `$top`: at most how many results (at most
    /// [`MAX_TOP`](QueryBuilder::MAX_TOP)).
    pub fn top(mut self, top: u32) -> QueryBuilder<S> {
        self.top = Some(top);
        self
    }

    /// Sets `$select`, in the order given. An empty list means no `$select`
    /// (every property), as the service answers without one; OData has no
    /// way to write an empty selection.
    pub fn select<P: Into<S::Property>>(
        mut self,
        properties: impl IntoIterator<Item = P>,
    ) -> QueryBuilder<S> {
        let properties: Vec<S::Property> = properties.into_iter().map(Into::into).collect();
        self.select = (!properties.is_empty()).then_some(properties);
        self
    }

    /// The `$filter` so far.
    pub fn filter_expr(&self) -> Option<&FilterOf<S>> {
        self.filter.as_ref()
    }

    /// The `$skip` so far.
    pub fn skip_value(&self) -> Option<u32> {
        self.skip
    }

    /// The `$top` so far.
    pub fn top_value(&self) -> Option<u32> {
        self.top
    }

    /// The query, checked: `$top` ≤ [`MAX_TOP`](QueryBuilder::MAX_TOP),
    /// `$skip` ≤ [`MAX_SKIP`](QueryBuilder::MAX_SKIP), and within the
    /// default parse limits.
    pub fn build(&self) -> Result<Query, BuildError> {
        if let Some(top) = self.top.filter(|&top| top > Self::MAX_TOP) {
            return Err(BuildError::TopExceedsMax { top });
        }
        if let Some(skip) = self.skip.filter(|&skip| skip > Self::MAX_SKIP) {
            return Err(BuildError::SkipExceedsMax { skip });
        }
        let query = self.to_query_unchecked();
        // Only the expression options can break a structural limit; reading
        // the rendered text back is the one exact test of what a server's
        // parser will say.
        if query.filter.is_some() {
            crate::parse(&query.to_query_string()).map_err(BuildError::TooLarge)?;
        }
        Ok(query)
    }

    /// The query as it stands, without the checks of
    /// [`build`](QueryBuilder::build).
    pub fn to_query_unchecked(&self) -> Query {
        Query {
            filter: self.filter.as_ref().map(|f| f.as_expr().clone()),
            count: self.count,
            orderby: (!self.orderby.is_empty())
                .then(|| self.orderby.iter().map(|key| key.item()).collect()),
            skip: self.skip.map(i64::from),
            top: self.top.map(i64::from),
            select: self.select.as_ref().map(|properties| {
                Select::Paths(
                    properties
                        .iter()
                        .map(|p| SelectItem::new(Expr::property(p.wire_name())))
                        .collect(),
                )
            }),
            ..Query::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One fact in one place: each field is a filterable property of its
    /// schema, sortable exactly when the field can sort, and every
    /// filterable property has a field.
    fn assert_fields_match_schema(fields: Vec<(&'static str, bool)>, schema: &EntitySchema) {
        for &(name, sorts) in &fields {
            let property = schema
                .properties
                .iter()
                .find(|p| p.name == name)
                .unwrap_or_else(|| panic!("{name} is not a {} property", schema.entity_set));
            assert!(property.filterable, "{name} is not filterable");
            assert_eq!(property.sortable, sorts, "{name} sorts");
        }
        let mut names: Vec<&str> = fields.iter().map(|&(name, _)| name).collect();
        names.sort_unstable();
        let mut filterable: Vec<&str> = schema.filterable().map(|p| p.name).collect();
        filterable.sort_unstable();
        assert_eq!(names, filterable, "{}", schema.entity_set);
    }

    #[test]
    fn every_field_is_its_schemas_with_the_same_flags() {
        assert_fields_match_schema(MachineActionField::described(), MachineActions::SCHEMA);
        assert_fields_match_schema(MachineField::described(), Machines::SCHEMA);
        assert_fields_match_schema(AlertField::described(), Alerts::SCHEMA);
    }

    #[test]
    fn each_set_is_its_named_schema_and_takes_its_caps() {
        for schema in [MachineActions::SCHEMA, Machines::SCHEMA, Alerts::SCHEMA] {
            let named = crate::schema::entity_set_named(schema.entity_set);
            assert!(named.is_some_and(|named| std::ptr::eq(named, schema)));
        }
        assert_eq!(i64::from(MachinesQuery::MAX_TOP), Machines::SCHEMA.max_top);
        assert_eq!(i64::from(AlertsQuery::MAX_SKIP), Alerts::SCHEMA.max_skip);
        assert_eq!(MachineActionsQuery::MAX_TOP, MAX_TOP);
        assert_eq!((cap(-1), cap(7), cap(i64::MAX)), (0, 7, u32::MAX));
    }

    #[test]
    fn lambda_variables_are_identifiers() {
        let variable = MachineField::MachineTags.variable;
        let mut chars = variable.chars();
        assert!(chars.next().is_some_and(|c| c.is_ascii_alphabetic()));
        assert!(chars.all(|c| c.is_ascii_alphanumeric() || c == '_'));
        // The body's element is that variable.
        let filter = MachineField::MachineTags.any(|tag| tag.eq("x"));
        assert_eq!(
            filter.to_string(),
            format!("machineTags/any({variable}:{variable} eq 'x')")
        );
    }
}
