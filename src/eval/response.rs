//! The OData response of an evaluated query, and `$select` projection.
//!
//! Owns: [`Response`] and its JSON envelope: `@odata.context`, then
//! `@odata.count` (with `$count=true`), `value`, then `@odata.nextLink`
//! (when more matches remain than fit on the page), in the order
//! ODataLib writes them. Must not know about: filtering or ordering.
//!
//! Decisions:
//! - `$select` writes the selected properties in the order `$select` lists
//!   them; a selected property the entity lacks is written as `null` (it is
//!   part of the type, so a projection has it); `a/b` writes `{"a":{"b":…}}`.
//! - `$select=*` is every property, and the context URL says
//!   `#MachineActions(*)`.
//! - Pretty output indents by four spaces, as the Defender docs show their
//!   responses.

use serde::Serialize;
use serde_json::{Map, Value};

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
