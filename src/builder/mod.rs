//! A typed builder of MachineActions queries, for clients.
//!
//! Owns: [`MachineActionField`] (the filterable, sortable properties, each
//! typed by the values it takes), [`Filter`] (a Boolean `$filter` built
//! from them), [`OrderBy`], [`MachineActionsQuery`] (the whole query) and
//! [`BuildError`].
//!
//! Must not know about: query text. The builder makes the very tree the
//! parser makes (through [`Expr`]'s constructors), so `Display` and
//! `to_query_string()` of what it builds are the canonical forms by
//! construction, and `parse` reads them back as an equal [`Query`].
//!
//! Invalid queries are hard to build:
//! - only filterable properties have comparison methods, and each takes one
//!   kind of value: text for `id`, `machineId` and `requestor`; an
//!   [`ActionStatus`] / [`ActionType`] (or any text, since the service adds
//!   values) for `status` / `type`; a `chrono::DateTime` for
//!   `creationDateTimeUtc`, which is never quoted (quoting it is the classic
//!   `TypeMismatch` trap);
//! - `$select` takes [`Property`] values, so only real property names;
//! - `$top` and `$skip` are unsigned, and [`MachineActionsQuery::build`]
//!   rejects a `$top` above 10,000 or a `$skip` above 2,147,483,647 with a
//!   typed [`BuildError`] rather than clamping: a silently smaller page
//!   would look like "no more results" to a caller that pages.
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

use std::fmt;
use std::marker::PhantomData;
use std::ops::Not;

use chrono::{DateTime, FixedOffset, Offset, TimeZone, Utc};

use crate::error::Error;
use crate::model::{ActionStatus, ActionType, Property};
use crate::schema::MACHINE_ACTIONS;
use crate::syntax::ast::{
    BinaryOp, DateTimeOffset, Function, OrderByItem, Select, SelectItem, UnaryOp,
};
use crate::syntax::query::Query;
use crate::syntax::tree::{Expr, Literal};

/// The largest `$top` MachineActions accepts: the schema's.
pub const MAX_TOP: u32 = MACHINE_ACTIONS.max_top as u32;

/// The largest `$skip` MachineActions accepts (the service declares it an
/// int32): the schema's.
pub const MAX_SKIP: u32 = MACHINE_ACTIONS.max_skip as u32;

/// The kinds of value a [`Field`] takes; each is a type-level marker only.
pub mod kind {
    /// Free text: `id`, `machineId`, `requestor`.
    #[derive(Clone, Copy, Debug)]
    pub enum Text {}
    /// `status`: an [`ActionStatus`](crate::model::ActionStatus) or text.
    #[derive(Clone, Copy, Debug)]
    pub enum Status {}
    /// `type`: an [`ActionType`](crate::model::ActionType) or text.
    #[derive(Clone, Copy, Debug)]
    pub enum Type {}
    /// `creationDateTimeUtc`: a `chrono::DateTime`.
    #[derive(Clone, Copy, Debug)]
    pub enum DateTimeOffset {}
}

/// A value a field of kind `K` can be compared with.
///
/// Implemented for text (`&str`, `String`) on the text, status and type
/// kinds, for [`ActionStatus`] and [`ActionType`] on their fields, and for
/// `chrono::DateTime<Tz>` on the instant kind. Any other pairing does not
/// compile, which is the point.
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

text_values!(kind::Text, kind::Status, kind::Type);

impl FieldValue<kind::Status> for ActionStatus {
    fn into_literal(self) -> Expr {
        Expr::literal(Literal::String(self.as_str()))
    }
}

impl FieldValue<kind::Type> for ActionType {
    fn into_literal(self) -> Expr {
        Expr::literal(Literal::String(self.as_str()))
    }
}

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

/// A filterable, sortable MachineActions property whose values are of kind
/// `K`. Get one from [`MachineActionField`].
#[derive(Debug)]
pub struct Field<K> {
    property: Property,
    kind: PhantomData<K>,
}

// Derives would demand `K: Clone`; the markers are never values.
impl<K> Clone for Field<K> {
    fn clone(&self) -> Field<K> {
        *self
    }
}

impl<K> Copy for Field<K> {}

impl<K> From<Field<K>> for Property {
    fn from(field: Field<K>) -> Property {
        field.property
    }
}

/// The filterable (and sortable) MachineActions properties, each
/// typed by the values it takes: `MachineActionField::Status.eq(ActionStatus::Succeeded)`.
///
/// The other properties can be selected (see [`Property`]) but not filtered
/// or sorted on, so they have no field here.
#[derive(Clone, Copy, Debug)]
pub struct MachineActionField;

// The constants are named like the enum variants they stand in for, so a
// call reads `MachineActionField::Status.eq(…)`.
#[allow(non_upper_case_globals)]
impl MachineActionField {
    /// `id`: the action's GUID, compared as text.
    pub const Id: Field<kind::Text> = Field::new(Property::Id);
    /// `type`: an [`ActionType`] or text.
    pub const Type: Field<kind::Type> = Field::new(Property::Type);
    /// `status`: an [`ActionStatus`] or text.
    pub const Status: Field<kind::Status> = Field::new(Property::Status);
    /// `machineId`: the device's id, as text.
    pub const MachineId: Field<kind::Text> = Field::new(Property::MachineId);
    /// `requestor`: who asked for the action, as text.
    pub const Requestor: Field<kind::Text> = Field::new(Property::Requestor);
    /// `creationDateTimeUtc`: a `chrono::DateTime`.
    pub const CreationDateTimeUtc: Field<kind::DateTimeOffset> =
        Field::new(Property::CreationDateTimeUtc);
}

impl<K> Field<K> {
    const fn new(property: Property) -> Field<K> {
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
    pub fn property(self) -> Property {
        self.property
    }

    fn expr(self) -> Expr {
        Expr::property(self.name())
    }

    fn compare(self, op: BinaryOp, value: Expr) -> Filter {
        Filter(Expr::binary(op, self.expr(), value))
    }

    /// `name eq value`.
    pub fn eq(self, value: impl FieldValue<K>) -> Filter {
        self.compare(BinaryOp::Eq, value.into_literal())
    }

    /// `name ne value`.
    pub fn ne(self, value: impl FieldValue<K>) -> Filter {
        self.compare(BinaryOp::Ne, value.into_literal())
    }

    /// `name in (v1,v2,…)`. An empty list selects nothing.
    pub fn is_in<V: FieldValue<K>>(self, values: impl IntoIterator<Item = V>) -> Filter {
        let items = values.into_iter().map(FieldValue::into_literal);
        Filter(Expr::binary(BinaryOp::In, self.expr(), Expr::list(items)))
    }

    /// `name eq null`.
    pub fn is_null(self) -> Filter {
        self.compare(BinaryOp::Eq, Expr::literal(Literal::Null))
    }

    /// `name ne null`.
    pub fn is_not_null(self) -> Filter {
        self.compare(BinaryOp::Ne, Expr::literal(Literal::Null))
    }

    /// Sort by this property, smallest first.
    pub fn asc(self) -> OrderBy {
        OrderBy {
            name: self.name(),
            descending: false,
        }
    }

    /// Sort by this property, largest (newest) first.
    pub fn desc(self) -> OrderBy {
        OrderBy {
            name: self.name(),
            descending: true,
        }
    }
}

/// The ordering comparisons, for the kinds where order means something:
/// text compares ordinally (case-sensitive), instants by time.
macro_rules! ordering {
    ($($kind:ty),*) => {$(
        impl Field<$kind> {
            /// `name gt value`.
            pub fn gt(self, value: impl FieldValue<$kind>) -> Filter {
                self.compare(BinaryOp::Gt, value.into_literal())
            }
            /// `name ge value`.
            pub fn ge(self, value: impl FieldValue<$kind>) -> Filter {
                self.compare(BinaryOp::Ge, value.into_literal())
            }
            /// `name lt value`.
            pub fn lt(self, value: impl FieldValue<$kind>) -> Filter {
                self.compare(BinaryOp::Lt, value.into_literal())
            }
            /// `name le value`.
            pub fn le(self, value: impl FieldValue<$kind>) -> Filter {
                self.compare(BinaryOp::Le, value.into_literal())
            }
        }
    )*};
}

ordering!(kind::Text, kind::DateTimeOffset);

impl Field<kind::Text> {
    fn call(self, function: Function, value: Expr) -> Filter {
        Filter(Expr::call(function, [self.expr(), value]))
    }

    /// `startswith(name,'prefix')`.
    pub fn starts_with(self, prefix: impl FieldValue<kind::Text>) -> Filter {
        self.call(Function::StartsWith, prefix.into_literal())
    }

    /// `endswith(name,'suffix')`.
    pub fn ends_with(self, suffix: impl FieldValue<kind::Text>) -> Filter {
        self.call(Function::EndsWith, suffix.into_literal())
    }

    /// `contains(name,'part')`.
    pub fn contains(self, part: impl FieldValue<kind::Text>) -> Filter {
        self.call(Function::Contains, part.into_literal())
    }
}

impl Field<kind::DateTimeOffset> {
    /// `name ge from and name lt until`: the half-open range `[from, until)`,
    /// so consecutive ranges neither overlap nor leave gaps.
    pub fn between<A: TimeZone, B: TimeZone>(
        self,
        from: DateTime<A>,
        until: DateTime<B>,
    ) -> Filter {
        self.ge(from).and(self.lt(until))
    }
}

/// A Boolean `$filter` expression built from [`MachineActionField`]s.
#[must_use]
#[derive(Clone, Debug, PartialEq)]
pub struct Filter(Expr);

impl Filter {
    /// `self and other`.
    pub fn and(self, other: Filter) -> Filter {
        Filter(Expr::binary(BinaryOp::And, self.0, other.0))
    }

    /// `self or other`.
    pub fn or(self, other: Filter) -> Filter {
        Filter(Expr::binary(BinaryOp::Or, self.0, other.0))
    }

    /// Every filter joined with `and`; `None` when there are none.
    pub fn all(filters: impl IntoIterator<Item = Filter>) -> Option<Filter> {
        filters.into_iter().reduce(Filter::and)
    }

    /// Every filter joined with `or`; `None` when there are none.
    pub fn any(filters: impl IntoIterator<Item = Filter>) -> Option<Filter> {
        filters.into_iter().reduce(Filter::or)
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
impl Not for Filter {
    type Output = Filter;

    fn not(self) -> Filter {
        Filter(Expr::unary(UnaryOp::Not, self.0))
    }
}

/// `not filter`.
pub fn not(filter: Filter) -> Filter {
    !filter
}

impl fmt::Display for Filter {
    /// The canonical `$filter` value (the human form).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<Filter> for Expr {
    fn from(filter: Filter) -> Expr {
        filter.0
    }
}

/// One `$orderby` key: a sortable field and a direction.
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderBy {
    name: &'static str,
    descending: bool,
}

impl OrderBy {
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

/// Why [`MachineActionsQuery::build`] refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// `$top` above [`MAX_TOP`]. To get more, page with
    /// [`crate::client::Pager`].
    #[error("$top={top} is more than MachineActions allows ({MAX_TOP}); page with client::Pager to get more")]
    TopExceedsMax {
        /// The `$top` asked for.
        top: u32,
    },
    /// `$skip` above [`MAX_SKIP`].
    #[error("$skip={skip} is more than MachineActions allows ({MAX_SKIP}, an int32)")]
    SkipExceedsMax {
        /// The `$skip` asked for.
        skip: u32,
    },
    /// The rendered query breaks the parser's structural limits (value
    /// length, nesting depth, node count), so a server would refuse it.
    #[error("the query is too large for a server to accept: {0}")]
    TooLarge(Error),
}

/// A MachineActions query under construction. Every setter consumes and
/// returns the builder; [`build`](MachineActionsQuery::build) checks it.
#[must_use]
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MachineActionsQuery {
    filter: Option<Filter>,
    count: Option<bool>,
    orderby: Vec<OrderBy>,
    skip: Option<u32>,
    top: Option<u32>,
    select: Option<Vec<Property>>,
}

impl MachineActionsQuery {
    /// An empty query: every action, in the service's default order.
    pub fn new() -> MachineActionsQuery {
        MachineActionsQuery::default()
    }

    /// Sets `$filter`; called again, the filters are joined with `and`.
    pub fn filter(mut self, filter: Filter) -> MachineActionsQuery {
        self.filter = Some(match self.filter.take() {
            Some(before) => before.and(filter),
            None => filter,
        });
        self
    }

    /// Sets `$count`: whether the response carries `@odata.count`.
    pub fn count(mut self, count: bool) -> MachineActionsQuery {
        self.count = Some(count);
        self
    }

    /// Appends a `$orderby` key; the first key sorts first.
    pub fn orderby(mut self, key: OrderBy) -> MachineActionsQuery {
        self.orderby.push(key);
        self
    }

    /// Sets `$skip`: how many results to leave out.
    pub fn skip(mut self, skip: u32) -> MachineActionsQuery {
        self.skip = Some(skip);
        self
    }

    /// Sets `$top`: at most how many results (at most [`MAX_TOP`]).
    pub fn top(mut self, top: u32) -> MachineActionsQuery {
        self.top = Some(top);
        self
    }

    /// Sets `$select`, in the order given. An empty list means no `$select`
    /// (every property), as the service answers without one; OData has no
    /// way to write an empty selection.
    pub fn select<P: Into<Property>>(
        mut self,
        properties: impl IntoIterator<Item = P>,
    ) -> MachineActionsQuery {
        let properties: Vec<Property> = properties.into_iter().map(Into::into).collect();
        self.select = (!properties.is_empty()).then_some(properties);
        self
    }

    /// The `$filter` so far.
    pub fn filter_expr(&self) -> Option<&Filter> {
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

    /// The query, checked: `$top` ≤ [`MAX_TOP`], `$skip` ≤ [`MAX_SKIP`],
    /// and within the default parse limits.
    pub fn build(&self) -> Result<Query, BuildError> {
        if let Some(top) = self.top.filter(|&top| top > MAX_TOP) {
            return Err(BuildError::TopExceedsMax { top });
        }
        if let Some(skip) = self.skip.filter(|&skip| skip > MAX_SKIP) {
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
    /// [`build`](MachineActionsQuery::build).
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
