//! Applying a whole validated query to a stream of entities: filter, order,
//! `$skip`/`$top` with bounded memory, the page size, `$count`.
//!
//! Owns: [`CompiledQuery`] and [`Evaluation`] (the push interface a
//! streaming reader feeds). Must not know about: how entities are read
//! (`data.rs`) or how the response is written (`response.rs`).
//!
//! Memory: an evaluation keeps the best `skip + k` matches so far, where
//! `k` is `$top` or, without `$top`, the page size (10,000 for
//! MachineActions): a max-heap of their sort keys (computed once, when the
//! entity arrives) and arrival numbers, whose top is the one that would be
//! dropped first, each with what was pushed for it. Pushed as itself (or a
//! reference), that is the entity; with [`Evaluation::push_as`] it is a
//! handle of the caller's (an arrival number, say), so a stream read from
//! a file keeps only keys and handles, and the caller fetches the page's
//! few entities again ([`Page::into_response`]): a large `$skip` never
//! makes it hold `$skip` whole entities. A key is one small value per sort
//! expression (an instant, a number) or, for text, the text. Whether more
//! matches remain than fit on the page is known from the match count, so
//! no extra entity has to be kept for `@odata.nextLink`. Tie-breaking by
//! arrival makes the order stable: entities with equal keys keep their
//! input order.
//!
//! A [`Scope`] (what a navigation such as `machines/{id}/alerts` adds to
//! the Alerts query) is tested before the filter: an entity outside it is
//! not a match, is not counted, and never reaches the page. It is the
//! evaluator's, never text added to the query, so a property clients may
//! not filter on (Alerts' `machineId`) can still scope a list.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use serde_json::Value;

use super::compile::{CompiledExpr, CompiledFilter};
use super::response::{Response, ResponseOptions, ResponsePlan};
use super::value::{sort_order, Text, Val};
use crate::error::{Code, Diagnostic, Error};
use crate::model::{AsEntity, Entity, PropertyValue};
use crate::validate::ValidatedQuery;

/// One sort key: an expression and its direction.
#[derive(Clone, Debug)]
struct SortKey<E: Entity> {
    expr: CompiledExpr<E>,
    descending: bool,
}

/// A restriction of a query to the entities whose `property` equals
/// `value` exactly (a string, compared ordinally): what a navigation such
/// as `machines/{id}/alerts` adds to its target set's query, the Alerts
/// whose `machineId` is the machine's id. Applied by the evaluator
/// ([`CompiledQuery::restricted_to`]), not written into the query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// The target set's property, in the schema's spelling (`machineId`).
    pub property: &'static str,
    /// The value it must equal.
    pub value: String,
    /// The path under the service root that the response's next link
    /// names (`machines/{id}/alerts`, the id percent-encoded); `None`: the
    /// entity set's own path.
    pub path: Option<String>,
}

impl Scope {
    /// The entities whose `property` equals `value`, under the set's own
    /// path.
    pub fn new(property: &'static str, value: impl Into<String>) -> Scope {
        Scope {
            property,
            value: value.into(),
            path: None,
        }
    }

    /// This scope, its next links naming `path` (under the service root).
    pub fn at_path(mut self, path: impl Into<String>) -> Scope {
        self.path = Some(path.into());
        self
    }
}

/// A [`Scope`] made ready for entities of type `E`.
#[derive(Clone, Debug)]
struct CompiledScope<E: Entity> {
    accessor: E::Accessor,
    value: String,
}

impl<E: Entity> CompiledScope<E> {
    fn admits(&self, entity: &E) -> bool {
        matches!(entity.property(&self.accessor), PropertyValue::String(s) if s == self.value)
    }
}

/// A validated query compiled for entities of type `E`: ready to run over
/// any number of entity streams.
#[derive(Debug)]
#[must_use]
pub struct CompiledQuery<E: Entity> {
    filter: CompiledFilter<E>,
    scope: Option<CompiledScope<E>>,
    keys: Vec<SortKey<E>>,
    plan: ResponsePlan,
}

impl<E: Entity> CompiledQuery<E> {
    /// Compiles `query`: its filter, its `$orderby` (or the schema's
    /// default order), paging and projection.
    pub fn compile(query: &ValidatedQuery<'_>) -> Result<CompiledQuery<E>, Error> {
        let schema = query.schema();
        let q = query.query();
        let keys = match &q.orderby {
            Some(items) => items
                .iter()
                .map(|item| {
                    Ok(SortKey {
                        expr: CompiledExpr::orderby_key(query, item.expr.root())?,
                        descending: item.descending,
                    })
                })
                .collect::<Result<Vec<_>, Error>>()?,
            None => schema
                .default_order
                .iter()
                .map(|key| {
                    Ok(SortKey {
                        expr: CompiledExpr::property(schema, key.property)?,
                        descending: key.descending,
                    })
                })
                .collect::<Result<Vec<_>, Error>>()?,
        };
        Ok(CompiledQuery {
            filter: CompiledFilter::compile(query)?,
            scope: None,
            keys,
            plan: ResponsePlan::new(query),
        })
    }

    /// Sets the page size used without `$top` (default: the schema's
    /// `max_top`), e.g. to test paging with few entities.
    pub fn with_page_size(self, page_size: u64) -> CompiledQuery<E> {
        self.with_options(&ResponseOptions {
            page_size: Some(page_size),
            service_root: None,
        })
    }

    /// Sets how the response is paged and addressed (default: as the
    /// Defender service pages and addresses it).
    pub fn with_options(mut self, options: &ResponseOptions) -> CompiledQuery<E> {
        self.plan = self.plan.with_options(options);
        self
    }

    /// Restricts the query to the entities `scope` admits: the others are
    /// neither matched, counted nor written, and the next link names the
    /// scope's path.
    ///
    /// # Errors
    ///
    /// `UnknownProperty` when the entity type has no property
    /// `scope.property`.
    pub fn restricted_to(mut self, scope: &Scope) -> Result<CompiledQuery<E>, Error> {
        let accessor = E::accessor(scope.property).ok_or_else(|| {
            Error::new(Diagnostic::new(
                Code::UnknownProperty,
                format!(
                    "the entities have no property '{}' to scope by",
                    scope.property
                ),
            ))
        })?;
        self.scope = Some(CompiledScope {
            accessor,
            value: scope.value.clone(),
        });
        if let Some(path) = &scope.path {
            self.plan = self.plan.at_path(path);
        }
        Ok(self)
    }

    /// How many of `entities` match (the scope and the filter), whatever
    /// `$top`, `$skip` and `$orderby` say: OData's `$count` segment
    /// (`/api/alerts/$count?$filter=…`).
    pub fn count<I>(&self, entities: I) -> u64
    where
        I: IntoIterator,
        I::Item: AsEntity<E>,
    {
        let mut matched = 0;
        for entity in entities {
            if self.matches(entity.as_entity()) {
                matched += 1;
            }
        }
        matched
    }

    /// Whether `entity` is in the scope and passes the filter.
    fn matches(&self, entity: &E) -> bool {
        self.scope.as_ref().is_none_or(|scope| scope.admits(entity)) && self.filter.matches(entity)
    }

    /// How many matches the page skips: `$skip`.
    pub fn skip(&self) -> u64 {
        self.plan.skip()
    }

    /// How many matches the page holds at most: `$top`, or without one the
    /// page size.
    pub fn page_len(&self) -> u64 {
        self.plan.page_len()
    }

    /// The compiled filter alone.
    pub fn filter(&self) -> &CompiledFilter<E> {
        &self.filter
    }

    /// Starts an evaluation that entities are pushed into one by one: `T`
    /// is what is kept for each, an `E` or anything that lends one
    /// ([`AsEntity`]) with [`Evaluation::push`], or a handle of the
    /// caller's with [`Evaluation::push_as`].
    pub fn start<T>(&self) -> Evaluation<'_, E, T> {
        let keep = self.skip().saturating_add(self.page_len());
        Evaluation {
            query: self,
            heap: BinaryHeap::new(),
            keep,
            matched: 0,
            arrived: 0,
        }
    }

    /// Runs the query over `entities`, owned or borrowed, and builds the
    /// response.
    pub fn run<I>(&self, entities: I) -> Response
    where
        I: IntoIterator,
        I::Item: AsEntity<E>,
    {
        self.page_of(entities).into_response(wire_json)
    }

    /// Runs the query over `entities` and writes the response as JSON
    /// bytes: what [`CompiledQuery::run`] gives, serialized, but written
    /// straight from the entities (what a server sends).
    pub fn run_json<I>(&self, entities: I) -> Vec<u8>
    where
        I: IntoIterator,
        I::Item: AsEntity<E>,
    {
        self.page_of(entities).to_json_bytes()
    }

    /// The page of `entities`, before the response is written.
    fn page_of<I>(&self, entities: I) -> Page<'_, E, I::Item>
    where
        I: IntoIterator,
        I::Item: AsEntity<E>,
    {
        let mut evaluation = self.start();
        for entity in entities {
            evaluation.push(entity);
        }
        evaluation.finish_page()
    }

    /// The sort keys of `entity`, owned, to rank it without it.
    fn key_of(&self, entity: &E) -> Key {
        match self.keys.as_slice() {
            [one] => Key::One(KeyValue::of(&one.expr.value(entity))),
            keys => Key::Many(
                keys.iter()
                    .map(|k| KeyValue::of(&k.expr.value(entity)))
                    .collect(),
            ),
        }
    }

    /// Orders `entity`, read in place, against a kept key.
    fn compare_with(&self, entity: &E, key: &Key) -> Ordering {
        self.order(|i| self.keys[i].expr.value(entity), key)
    }

    /// Orders two kept keys.
    fn compare(&self, a: &Key, b: &Key) -> Ordering {
        self.order(|i| a.get(i).to_val(), b)
    }

    /// Orders the values `left` gives for each sort key against `right`, as
    /// `$orderby` (or the default order) says.
    fn order<'a>(&self, left: impl Fn(usize) -> Val<'a>, right: &Key) -> Ordering {
        for (i, key) in self.keys.iter().enumerate() {
            let ordering = sort_order(&left(i), &right.get(i).to_val());
            let ordering = if key.descending {
                ordering.reverse()
            } else {
                ordering
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    }
}

/// The sort keys of one entity: one value per sort expression, owned.
#[derive(Debug)]
enum Key {
    One(KeyValue),
    Many(Box<[KeyValue]>),
}

impl Key {
    fn get(&self, i: usize) -> &KeyValue {
        match self {
            Key::One(value) => value,
            Key::Many(values) => &values[i],
        }
    }
}

/// An owned sort value: what [`sort_order`] compares, without the entity
/// it came from. Objects and collections do not sort (they compare equal),
/// so they keep nothing.
#[derive(Debug)]
enum KeyValue {
    Null,
    Bool(bool),
    Int(i64),
    Num(f64),
    Text(Box<str>),
    DateTimeOffset(chrono::DateTime<chrono::FixedOffset>),
    Date(chrono::NaiveDate),
    TimeOfDay(chrono::NaiveTime),
    Duration(chrono::TimeDelta),
    Guid(uuid::Uuid),
    Enum(Box<str>),
    Unordered,
}

impl KeyValue {
    fn of(value: &Val<'_>) -> KeyValue {
        match value {
            Val::Null => KeyValue::Null,
            Val::Bool(b) => KeyValue::Bool(*b),
            Val::Int(i) => KeyValue::Int(*i),
            Val::Num(n) => KeyValue::Num(*n),
            Val::Str(text) => KeyValue::Text(text.to_string_value().into()),
            Val::DateTimeOffset(t) => KeyValue::DateTimeOffset(*t),
            Val::Date(d) => KeyValue::Date(*d),
            Val::TimeOfDay(t) => KeyValue::TimeOfDay(*t),
            Val::Duration(d) => KeyValue::Duration(*d),
            Val::Guid(g) => KeyValue::Guid(*g),
            Val::Enum(e) => KeyValue::Enum((*e).into()),
            Val::Complex(_) => KeyValue::Unordered,
        }
    }

    /// The value as [`sort_order`] reads it. An unordered value stands as
    /// null's peer in rank: it only ever meets its own kind, since a sort
    /// key's values are of one property.
    fn to_val(&self) -> Val<'_> {
        match self {
            KeyValue::Null | KeyValue::Unordered => Val::Null,
            KeyValue::Bool(b) => Val::Bool(*b),
            KeyValue::Int(i) => Val::Int(*i),
            KeyValue::Num(n) => Val::Num(*n),
            KeyValue::Text(s) => Val::Str(Text::Plain(s)),
            KeyValue::DateTimeOffset(t) => Val::DateTimeOffset(*t),
            KeyValue::Date(d) => Val::Date(*d),
            KeyValue::TimeOfDay(t) => Val::TimeOfDay(*t),
            KeyValue::Duration(d) => Val::Duration(*d),
            KeyValue::Guid(g) => Val::Guid(*g),
            KeyValue::Enum(e) => Val::Enum(e),
        }
    }
}

/// A match kept for the page, ordered by its sort keys and then by arrival,
/// with what was pushed for it.
struct Ranked<'q, E: Entity, T> {
    query: &'q CompiledQuery<E>,
    key: Key,
    arrival: u64,
    kept: T,
}

impl<E: Entity, T> Ord for Ranked<'_, E, T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.query
            .compare(&self.key, &other.key)
            .then(self.arrival.cmp(&other.arrival))
    }
}

impl<E: Entity, T> PartialOrd for Ranked<'_, E, T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E: Entity, T> PartialEq for Ranked<'_, E, T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<E: Entity, T> Eq for Ranked<'_, E, T> {}

/// One run of a [`CompiledQuery`]: push entities, then [`Evaluation::finish`].
pub struct Evaluation<'q, E: Entity, T = E> {
    query: &'q CompiledQuery<E>,
    heap: BinaryHeap<Ranked<'q, E, T>>,
    keep: u64,
    matched: u64,
    arrived: u64,
}

impl<'q, E: Entity, T> Evaluation<'q, E, T> {
    /// Offers `entity`, keeping `kept` for it if it matches and ranks among
    /// the first `skip + k` so far: `kept` is what the page will hold for
    /// it, such as the entity's position in a file the caller can read
    /// again.
    pub fn push_as(&mut self, entity: &E, kept: T) {
        if let Some(rank) = self.rank(entity) {
            self.keep(rank, kept);
        }
    }

    /// Counts `entity` and, when it matches and would be kept, gives its
    /// key and arrival. Once the heap is full, an entity is first compared
    /// with the worst kept one as it stands, so its key is built (and text
    /// copied) only when it is kept.
    fn rank(&mut self, entity: &E) -> Option<(Key, u64)> {
        let arrival = self.arrived;
        self.arrived += 1;
        if !self.query.matches(entity) {
            return None;
        }
        self.matched += 1;
        if self.keep == 0 {
            return None;
        }
        if (self.heap.len() as u64) >= self.keep {
            let worst = self.heap.peek()?;
            // Later arrivals lose ties.
            if self.query.compare_with(entity, &worst.key) != Ordering::Less {
                return None;
            }
        }
        Some((self.query.key_of(entity), arrival))
    }

    fn keep(&mut self, (key, arrival): (Key, u64), kept: T) {
        let ranked = Ranked {
            query: self.query,
            key,
            arrival,
            kept,
        };
        if (self.heap.len() as u64) < self.keep {
            self.heap.push(ranked);
        } else if let Some(mut worst) = self.heap.peek_mut() {
            *worst = ranked;
        }
    }

    /// How many entities matched so far.
    pub fn matched(&self) -> u64 {
        self.matched
    }

    /// Orders what was kept and applies `$skip`: the page, holding what
    /// was pushed for each of its entities, in order.
    pub fn finish_page(self) -> Page<'q, E, T> {
        let query = self.query;
        let skip = usize::try_from(query.skip()).unwrap_or(usize::MAX);
        let items: Vec<T> = self
            .heap
            .into_sorted_vec()
            .into_iter()
            .skip(skip)
            .map(|r| r.kept)
            .collect();
        Page {
            query,
            items,
            matched: self.matched,
        }
    }
}

impl<E: Entity, T: AsEntity<E>> Evaluation<'_, E, T> {
    /// Offers one entity: kept if it matches and ranks among the first
    /// `skip + k` so far.
    pub fn push(&mut self, entity: T) {
        if let Some(rank) = self.rank(entity.as_entity()) {
            self.keep(rank, entity);
        }
    }

    /// Orders what was kept, applies `$skip`, and builds the response.
    pub fn finish(self) -> Response {
        self.finish_page().into_response(wire_json)
    }
}

/// The wire JSON of an entity; one of the caller's types that cannot
/// serialize is written as null.
fn wire_json<E: Entity, T: AsEntity<E>>(entity: T) -> Value {
    serde_json::to_value(entity.as_entity()).unwrap_or(Value::Null)
}

impl<E: Entity, T: AsEntity<E>> Page<'_, E, T> {
    /// The response as JSON bytes, written straight from the page's
    /// entities: the bytes of [`Page::into_response`], serialized.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let plan = &self.query.plan;
        let more = self.matched > plan.skip().saturating_add(plan.page_len());
        let entities: Vec<&E> = self.items.iter().map(AsEntity::as_entity).collect();
        plan.response_json(&entities, Some(self.matched), more)
    }
}

/// The page of an evaluation: what was pushed for each of its entities, in
/// order, before the response is written. See [`Evaluation::push_as`].
pub struct Page<'q, E: Entity, T> {
    query: &'q CompiledQuery<E>,
    items: Vec<T>,
    matched: u64,
}

impl<E: Entity, T> Page<'_, E, T> {
    /// What was pushed for each entity of the page, in order.
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// How many entities matched in all.
    pub fn matched(&self) -> u64 {
        self.matched
    }

    /// The response, with `wire` giving each item's entity as its wire JSON
    /// (the built-in entities always serialize; one of the caller's that
    /// cannot is written as null), projected by `$select`.
    pub fn into_response(self, wire: impl FnMut(T) -> Value) -> Response {
        let plan = &self.query.plan;
        let more = self.matched > plan.skip().saturating_add(plan.page_len());
        plan.response(self.items.into_iter().map(wire), Some(self.matched), more)
    }
}
