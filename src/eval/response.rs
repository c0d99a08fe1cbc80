//! The OData response of an evaluated query, and `$select` projection.
//!
//! Owns: [`Response`] and its JSON envelope: `@odata.context`, then
//! `@odata.count` (with `$count=true`), `value`, then `@odata.nextLink`
//! (when more matches remain than fit on the page), in the order
//! ODataLib writes them; and [`ResponsePlan`], what a validated query asks
//! of its response, which every way of answering (in memory, from a
//! database) writes its page through. Must not know about: filtering or
//! ordering.
//!
//! Decisions:
//! - `$select` writes the selected properties in the order `$select` lists
//!   them; a selected property the entity lacks is written as `null` (it is
//!   part of the type, so a projection has it); `a/b` writes `{"a":{"b":…}}`.
//! - `$select=*` is every property, and the context URL says
//!   `#MachineActions(*)`.
//! - Pretty output indents by four spaces, as the Defender docs show their
//!   responses.
//! - Navigation properties (the schema's `expandable`, Alerts' `evidence`)
//!   are written in full only when `$expand` names them. Otherwise the
//!   entity's stored value is replaced by an empty collection, `[]`, which
//!   is written even when the entity has none (the List alerts page's
//!   Example 1 shows `"evidence": []` without `$expand`, Example 2 the
//!   items with it). An expanded one that is absent or not a list is `[]`.
//! - With `$select`, an expanded navigation property is written after the
//!   selected ones even when not selected (OData writes what `$expand`
//!   names); a selected one that is not expanded is `[]`; one neither
//!   selected nor expanded is left out.
//! - `$expand` does not change the context URL: the docs' expanded answer
//!   says `#Alerts`, as the plain one does.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::syntax::ast::{Select, SelectItem};
use crate::syntax::query::Query;
use crate::syntax::tree::{Expr, ExprKind, SegmentKind};
use crate::validate::ValidatedQuery;

/// What a validated query asks of its response, whatever finds the
/// entities: the page (`$skip`, `$top`, or the page size), `$count`,
/// `$select` and its context URL, and the next page's link.
#[derive(Clone, Debug)]
pub(crate) struct ResponsePlan {
    skip: u64,
    top: Option<u64>,
    page_size: u64,
    count: bool,
    select: Option<Vec<Vec<String>>>,
    /// The schema's navigation properties, each with whether `$expand`
    /// names it, in the schema's order.
    navigation: Vec<(&'static str, bool)>,
    /// The context URL's part after the entity set: `(id,status)`, `(*)`
    /// or nothing.
    context_select: String,
    entity_set: &'static str,
    /// The URL both links start with: `https://…/api/`.
    service_root: String,
    /// The next link's path under the service root, when not the entity
    /// set's own (a navigation's `machines/{id}/alerts`).
    path: Option<String>,
    /// The query as the next page's link renders it (its `$skip` is set
    /// when a link is needed).
    next_query: Query,
}

/// How a response is addressed and paged, where it differs from the
/// Defender service's: what a server of its own (or a test of paging)
/// sets. The default is the service's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResponseOptions {
    /// The page size without `$top`; by default the schema's `max_top`.
    pub page_size: Option<u64>,
    /// The service root that `@odata.context` and `@odata.nextLink` start
    /// with, ending in `/` (`http://127.0.0.1:8080/api/`); by default the
    /// root of the schema's context URL.
    pub service_root: Option<String>,
}

impl ResponsePlan {
    /// The plan of `query`; the page size without `$top` is the schema's
    /// `max_top`.
    pub(crate) fn new(query: &ValidatedQuery<'_>) -> ResponsePlan {
        let schema = query.schema();
        let q = query.query();
        let (select, context_select) = match &q.select {
            Some(Select::Paths(items)) => (
                Some(items.iter().map(select_path).collect::<Vec<_>>()),
                format!(
                    "({})",
                    items
                        .iter()
                        .map(|i| select_path(i).join("/"))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            ),
            Some(Select::All) => (None, "(*)".to_owned()),
            None => (None, String::new()),
        };
        let (skip, top) = skip_and_top(q);
        let expanded: Vec<String> = q
            .expand
            .iter()
            .flatten()
            .flat_map(|item| path_names(&item.path))
            .collect();
        let navigation = schema
            .navigation_properties()
            .map(|p| (p.name, expanded.iter().any(|name| name == p.name)))
            .collect();
        ResponsePlan {
            skip,
            top,
            page_size: u64::try_from(schema.max_top).unwrap_or(0),
            count: q.count == Some(true),
            select,
            navigation,
            context_select,
            entity_set: schema.entity_set,
            service_root: schema.service_root.to_owned(),
            path: None,
            next_query: q.clone(),
        }
    }

    /// This plan with `options` applied.
    pub(crate) fn with_options(mut self, options: &ResponseOptions) -> ResponsePlan {
        if let Some(page_size) = options.page_size {
            self.page_size = page_size;
        }
        if let Some(root) = &options.service_root {
            self.service_root.clone_from(root);
        }
        self
    }

    /// This plan, its next link naming `path` under the service root.
    pub(crate) fn at_path(mut self, path: &str) -> ResponsePlan {
        self.path = Some(path.to_owned());
        self
    }

    /// The page of `query` alone, without what a response needs besides:
    /// for a back end that only fetches (the SQL translation).
    pub(crate) fn bounds_of(query: &ValidatedQuery<'_>) -> PageBounds {
        let q = query.query();
        let (skip, top) = skip_and_top(q);
        PageBounds {
            skip,
            len: top.unwrap_or(u64::try_from(query.schema().max_top).unwrap_or(0)),
            pages: top.is_none(),
            count: q.count == Some(true),
        }
    }

    /// The page this plan writes.
    pub(crate) fn bounds(&self) -> PageBounds {
        PageBounds {
            skip: self.skip,
            len: self.page_len(),
            pages: self.pages(),
            count: self.count,
        }
    }

    /// How many matches the page skips: `$skip`.
    pub(crate) fn skip(&self) -> u64 {
        self.skip
    }

    /// How many matches the page holds at most: `$top`, or the page size.
    pub(crate) fn page_len(&self) -> u64 {
        self.top.unwrap_or(self.page_size)
    }

    /// Whether a page can need a next link: without `$top`, when more
    /// matches remain than the page holds.
    pub(crate) fn pages(&self) -> bool {
        self.top.is_none()
    }

    /// The response: `page`, the wire JSON of the page's entities in
    /// order, projected by `$select`; `count`, the number of matches (used
    /// with `$count=true`); `more`, whether matches remain past the page.
    pub(crate) fn response(
        &self,
        page: impl Iterator<Item = Value>,
        count: Option<u64>,
        more: bool,
    ) -> Response {
        let value: Vec<Value> = page.map(|json| self.shape(json)).collect();
        Response {
            context: self.context(),
            count: if self.count { count } else { None },
            value,
            next_link: self.next_link(more),
        }
    }

    /// The JSON bytes of [`ResponsePlan::response`] over the same
    /// entities, written straight from them: an entity is serialized as
    /// it is, and goes through its wire JSON only to be projected by
    /// `$select`.
    pub(crate) fn response_json<T: Serialize>(
        &self,
        page: &[T],
        count: Option<u64>,
        more: bool,
    ) -> Vec<u8> {
        let next_link = self.next_link(more);
        let body = Envelope {
            context: &self.context(),
            count: if self.count { count } else { None },
            value: Projected {
                entities: page,
                plan: self,
            },
            next_link: next_link.as_deref(),
        };
        // Writing to memory fails only if an entity's own `Serialize`
        // does; such an entity is written as null, as `Page::into_response`
        // writes it.
        serde_json::to_vec(&body).unwrap_or_else(|_| {
            let value = page
                .iter()
                .map(|e| serde_json::to_value(e).unwrap_or(Value::Null));
            serde_json::to_vec(&self.response(value, count, more)).unwrap_or_default()
        })
    }

    /// Whether entities are written as they are: no `$select` and no
    /// navigation property to empty or expand.
    fn writes_as_is(&self) -> bool {
        self.select.is_none() && self.navigation.is_empty()
    }

    /// One entity's wire JSON as the response writes it: projected by
    /// `$select`, navigation properties expanded or emptied.
    fn shape(&self, json: Value) -> Value {
        if self.writes_as_is() {
            return json;
        }
        let (mut out, source) = match &self.select {
            Some(paths) => (project(&json, paths), Some(json)),
            None => (json, None),
        };
        let Value::Object(map) = &mut out else {
            return out;
        };
        for &(name, expanded) in &self.navigation {
            let stored = match &source {
                Some(source) => source.get(name),
                None => map.get(name),
            };
            let written = match stored {
                Some(Value::Array(items)) if expanded => {
                    if source.is_none() {
                        // Already in place, as stored.
                        continue;
                    }
                    Value::Array(items.clone())
                }
                _ if expanded || source.is_none() || map.contains_key(name) => {
                    Value::Array(Vec::new())
                }
                // Neither selected nor expanded: left out.
                _ => continue,
            };
            map.insert(name.to_owned(), written);
        }
        out
    }

    fn context(&self) -> String {
        let mut context = crate::schema::context_url(&self.service_root, self.entity_set);
        context.push_str(&self.context_select);
        context
    }

    /// The next page's URL, when one is needed.
    fn next_link(&self, more: bool) -> Option<String> {
        (self.pages() && more).then(|| {
            let mut next = self.next_query.clone();
            let next_skip = self.skip.saturating_add(self.page_size);
            next.skip = Some(i64::try_from(next_skip).unwrap_or(i64::MAX));
            let path = match &self.path {
                Some(path) => path.clone(),
                None => crate::schema::path_segment(self.entity_set),
            };
            format!("{}{path}?{}", self.service_root, next.to_query_string())
        })
    }
}

/// The members of a response, in the order ODataLib writes them.
struct Envelope<'a, V> {
    context: &'a str,
    count: Option<u64>,
    value: V,
    next_link: Option<&'a str>,
}

impl<V: Serialize> Serialize for Envelope<'_, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let members = 2 + usize::from(self.count.is_some()) + usize::from(self.next_link.is_some());
        let mut map = serializer.serialize_map(Some(members))?;
        map.serialize_entry("@odata.context", self.context)?;
        if let Some(count) = self.count {
            map.serialize_entry("@odata.count", &count)?;
        }
        map.serialize_entry("value", &self.value)?;
        if let Some(link) = self.next_link {
            map.serialize_entry("@odata.nextLink", link)?;
        }
        map.end()
    }
}

/// A page's entities, each shaped by the plan (`$select`, `$expand`)
/// when it asks for more than the entity as it is.
struct Projected<'a, T> {
    entities: &'a [T],
    plan: &'a ResponsePlan,
}

impl<T: Serialize> Serialize for Projected<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq};
        let mut seq = serializer.serialize_seq(Some(self.entities.len()))?;
        for entity in self.entities {
            if self.plan.writes_as_is() {
                seq.serialize_element(entity)?;
            } else {
                let json = serde_json::to_value(entity).map_err(S::Error::custom)?;
                seq.serialize_element(&self.plan.shape(json))?;
            }
        }
        seq.end()
    }
}

/// `$skip` (0 when absent) and `$top`, as the page counts them.
fn skip_and_top(q: &Query) -> (u64, Option<u64>) {
    (
        q.skip.map_or(0, |s| u64::try_from(s).unwrap_or(0)),
        q.top.map(|t| u64::try_from(t).unwrap_or(0)),
    )
}

/// The matches a page holds: past `skip`, at most `len`; whether a next
/// page can follow (`pages`: no `$top`), and whether `$count` is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PageBounds {
    pub(crate) skip: u64,
    pub(crate) len: u64,
    pub(crate) pages: bool,
    pub(crate) count: bool,
}

/// The property names of a `$select` item's path.
fn select_path(item: &SelectItem) -> Vec<String> {
    path_names(&item.path)
}

/// The property names of a path (a `$select` or `$expand` item's).
fn path_names(path: &Expr) -> Vec<String> {
    let ExprKind::Path(path) = path.root().kind() else {
        return Vec::new();
    };
    path.segments()
        .filter_map(|s| match s.kind() {
            SegmentKind::Property(name) => Some(name.to_owned()),
            _ => None,
        })
        .collect()
}

/// The response to an evaluated query.
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub struct Response {
    /// `@odata.context`: the context URL, with the `$select` list if any.
    pub context: String,
    /// `@odata.count`: the number of matches before `$skip`/`$top`, when
    /// `$count=true`.
    pub count: Option<u64>,
    /// The entities of the page, each as its wire JSON (projected).
    pub value: Vec<Value>,
    /// `@odata.nextLink`: the URL of the next page, when more matches remain.
    pub next_link: Option<String>,
}

impl Response {
    /// The response body as JSON, members in the order ODataLib writes them.
    pub fn to_json(&self) -> Value {
        let mut body = Map::new();
        body.insert("@odata.context".into(), Value::String(self.context.clone()));
        if let Some(count) = self.count {
            body.insert("@odata.count".into(), Value::from(count));
        }
        body.insert("value".into(), Value::Array(self.value.clone()));
        if let Some(link) = &self.next_link {
            body.insert("@odata.nextLink".into(), Value::String(link.clone()));
        }
        Value::Object(body)
    }

    /// The body pretty-printed with four-space indentation, as the docs
    /// show responses (no trailing newline).
    pub fn to_pretty_string(&self) -> String {
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
        // Serializing a `Value` into a `Vec` cannot fail: its keys are
        // strings and writing to memory does not fail.
        if self.to_json().serialize(&mut serializer).is_err() {
            return self.to_json().to_string();
        }
        String::from_utf8(out).unwrap_or_else(|_| self.to_json().to_string())
    }
}

impl Serialize for Response {
    /// As [`Response::to_json`], written straight from the response.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Envelope {
            context: &self.context,
            count: self.count,
            value: &self.value,
            next_link: self.next_link.as_deref(),
        }
        .serialize(serializer)
    }
}

/// The members of `entity` that `paths` select (each path a list of
/// property names).
pub fn project(entity: &Value, paths: &[Vec<String>]) -> Value {
    let mut out = Map::new();
    for path in paths {
        insert_path(&mut out, entity.as_object(), path);
    }
    Value::Object(out)
}

fn insert_path(out: &mut Map<String, Value>, source: Option<&Map<String, Value>>, path: &[String]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let value = source.and_then(|m| m.get(first));
    if rest.is_empty() {
        out.insert(first.clone(), value.cloned().unwrap_or(Value::Null));
        return;
    }
    match value {
        Some(Value::Object(inner)) => {
            let slot = out
                .entry(first.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(slot) = slot {
                insert_path(slot, Some(inner), rest);
            }
        }
        other => {
            out.entry(first.clone())
                .or_insert_with(|| other.cloned().unwrap_or(Value::Null));
        }
    }
}
