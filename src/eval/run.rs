//! Applying a whole validated query to a stream of entities: filter, order,
//! `$skip`/`$top` with bounded memory, the page size, `$count`.
//!
//! Owns: [`CompiledQuery`] and [`Evaluation`] (the push interface a
//! streaming reader feeds). Must not know about: how entities are read
//! (`data.rs`) or how the response is written (`response.rs`).
//!
//! Memory: an evaluation keeps at most `skip + k` entities, where `k` is
//! `$top` or, without `$top`, the page size (10,000 for MachineActions):
//! a max-heap ordered by the sort keys and then by arrival, whose top is
//! the entity that would be dropped first. Whether more matches remain
//! than fit on the page is known from the match count, so no extra entity
//! has to be kept for `@odata.nextLink`. Tie-breaking by arrival makes the
//! order stable: entities with equal keys keep their input order.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use serde_json::Value;

use super::compile::{CompiledExpr, CompiledFilter};
use super::response::{project, Response};
use super::value::sort_order;
use crate::error::Error;
use crate::model::{AsEntity, Entity};
use crate::syntax::ast::{Select, SelectItem};
use crate::syntax::query::Query;
use crate::syntax::tree::{ExprKind, SegmentKind};
use crate::validate::ValidatedQuery;

/// One sort key: an expression and its direction.
#[derive(Clone, Debug)]
struct SortKey<E: Entity> {
    expr: CompiledExpr<E>,
    descending: bool,
}

/// A validated query compiled for entities of type `E`: ready to run over
/// any number of entity streams.
#[derive(Debug)]
#[must_use]
pub struct CompiledQuery<E: Entity> {
    filter: CompiledFilter<E>,
    keys: Vec<SortKey<E>>,
    skip: u64,
    top: Option<u64>,
    page_size: u64,
    count: bool,
    select: Option<Vec<Vec<String>>>,
    context: String,
    /// The query as the next page's link renders it (its `$skip` is set
    /// when a link is needed).
    next_query: Query,
    entity_set_url: String,
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
        let (select, context) = match &q.select {
            Some(Select::Paths(items)) => (
                Some(items.iter().map(select_path).collect::<Vec<_>>()),
                format!(
                    "{}({})",
                    schema.context_url,
                    items
                        .iter()
                        .map(|i| select_path(i).join("/"))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            ),
            Some(Select::All) => (None, format!("{}(*)", schema.context_url)),
            None => (None, schema.context_url.to_owned()),
        };
        let service_root = schema
            .context_url
            .split("$metadata")
            .next()
            .unwrap_or_default();
        Ok(CompiledQuery {
            filter: CompiledFilter::compile(query)?,
            keys,
            skip: q.skip.map_or(0, |s| u64::try_from(s).unwrap_or(0)),
            top: q.top.map(|t| u64::try_from(t).unwrap_or(0)),
            page_size: u64::try_from(schema.max_top).unwrap_or(0),
            count: q.count == Some(true),
            select,
            context,
            next_query: q.clone(),
            entity_set_url: format!("{service_root}{}", schema.entity_set.to_lowercase()),
        })
    }

    /// Sets the page size used without `$top` (default: the schema's
    /// `max_top`), e.g. to test paging with few entities.
    pub fn with_page_size(mut self, page_size: u64) -> CompiledQuery<E> {
        self.page_size = page_size;
        self
    }

    /// Sets the entity-set URL that `@odata.nextLink` starts with (default:
    /// the service root of the schema's context URL and the entity set's
    /// name in lower case, `https://api.securitycenter.microsoft.com/api/machineactions`).
    pub fn with_entity_set_url(mut self, url: impl Into<String>) -> CompiledQuery<E> {
        self.entity_set_url = url.into();
        self
    }

    /// The compiled filter alone.
    pub fn filter(&self) -> &CompiledFilter<E> {
        &self.filter
    }

    /// Starts an evaluation that entities are pushed into one by one: `T`
    /// is what is pushed, an `E` or anything that lends one ([`AsEntity`]).
    pub fn start<T: AsEntity<E>>(&self) -> Evaluation<'_, E, T> {
        let keep = self.skip.saturating_add(self.top.unwrap_or(self.page_size));
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
        let mut evaluation = self.start();
        for entity in entities {
            evaluation.push(entity);
        }
        evaluation.finish()
    }

    fn compare(&self, a: &E, b: &E) -> Ordering {
        for key in &self.keys {
            let ordering = sort_order(&key.expr.value(a), &key.expr.value(b));
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

/// The property names of a `$select` path, which projection follows.
fn select_path(item: &SelectItem) -> Vec<String> {
    let ExprKind::Path(path) = item.path.root().kind() else {
        return Vec::new();
    };
    path.segments()
        .filter_map(|s| match s.kind() {
            SegmentKind::Property(name) => Some(name.to_owned()),
            _ => None,
        })
        .collect()
}

/// An entity kept for the page, ordered by the query's sort keys and then
/// by arrival.
struct Ranked<'q, E: Entity, T> {
    query: &'q CompiledQuery<E>,
    arrival: u64,
    entity: T,
}

impl<E: Entity, T: AsEntity<E>> Ord for Ranked<'_, E, T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.query
            .compare(self.entity.as_entity(), other.entity.as_entity())
            .then(self.arrival.cmp(&other.arrival))
    }
}

impl<E: Entity, T: AsEntity<E>> PartialOrd for Ranked<'_, E, T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E: Entity, T: AsEntity<E>> PartialEq for Ranked<'_, E, T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<E: Entity, T: AsEntity<E>> Eq for Ranked<'_, E, T> {}

/// One run of a [`CompiledQuery`]: push entities, then [`Evaluation::finish`].
pub struct Evaluation<'q, E: Entity, T = E> {
    query: &'q CompiledQuery<E>,
    heap: BinaryHeap<Ranked<'q, E, T>>,
    keep: u64,
    matched: u64,
    arrived: u64,
}

impl<E: Entity, T: AsEntity<E>> Evaluation<'_, E, T> {
    /// Offers one entity: kept if it matches and ranks among the first
    /// `skip + k` so far.
    pub fn push(&mut self, entity: T) {
        let arrival = self.arrived;
        self.arrived += 1;
        if !self.query.filter.matches(entity.as_entity()) {
            return;
        }
        self.matched += 1;
        if self.keep == 0 {
            return;
        }
        let ranked = Ranked {
            query: self.query,
            arrival,
            entity,
        };
        if (self.heap.len() as u64) < self.keep {
            self.heap.push(ranked);
        } else if let Some(mut worst) = self.heap.peek_mut() {
            if ranked < *worst {
                *worst = ranked;
            }
        }
    }

    /// How many entities matched so far.
    pub fn matched(&self) -> u64 {
        self.matched
    }

    /// Orders what was kept, applies `$skip`, and builds the response.
    pub fn finish(self) -> Response {
        let query = self.query;
        let skip = usize::try_from(query.skip).unwrap_or(usize::MAX);
        let value: Vec<Value> = self
            .heap
            .into_sorted_vec()
            .into_iter()
            .skip(skip)
            .map(|r| {
                // The built-in entities always serialize; a type of the
                // caller's that cannot is written as null.
                let json = serde_json::to_value(r.entity.as_entity()).unwrap_or(Value::Null);
                match &query.select {
                    Some(paths) => project(&json, paths),
                    None => json,
                }
            })
            .collect();
        let next_link = match query.top {
            None if self.matched > query.skip.saturating_add(query.page_size) => {
                let mut next = query.next_query.clone();
                let next_skip = query.skip.saturating_add(query.page_size);
                next.skip = Some(i64::try_from(next_skip).unwrap_or(i64::MAX));
                Some(format!(
                    "{}?{}",
                    query.entity_set_url,
                    next.to_query_string()
                ))
            }
            _ => None,
        };
        Response {
            context: query.context.clone(),
            count: query.count.then_some(self.matched),
            value,
            next_link,
        }
    }
}
