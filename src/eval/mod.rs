//! Evaluation: a validated query over in-memory entities, and the OData
//! response it gets.
//!
//! Owns, one file a stage: `compile` (a `$filter` compiled once into a
//! [`CompiledFilter`]), `node` (the compiled nodes and running them per
//! entity, three-valued, with every built-in), `specialize` (the common
//! leaves, one property against literals, rewritten at compile time into
//! tests that read the property directly), `value` (the runtime values and
//! OData's comparison rules), `run` (ordering, top-k
//! `$skip`/`$top`, paging, `$count`: [`CompiledQuery`]), `response` (the
//! envelope and `$select`: [`Response`]), and `data` (streaming entities
//! out of a JSON array, an OData response or a stream of objects:
//! [`read_entities`]).
//!
//! Must not know about: query text or its syntax (it reads the validated
//! AST), validation rules, or the command line. Entities are read only
//! through the [`crate::model::Entity`] trait, so the same
//! evaluator runs over [`MachineAction`](crate::model::MachineAction)s and
//! `serde_json::Value` objects.
//!
//! ```
//! use defender_odata::eval::CompiledQuery;
//! use defender_odata::model::MachineAction;
//! use defender_odata::{check, machine_actions, sample, ParseOptions};
//!
//! let query = check(
//!     "$filter=machineId eq 'f46b9bb259ed4a7fb9981b73510e3cc7aa81ec1f'&$top=2",
//!     machine_actions(),
//!     &ParseOptions::default(),
//! )?;
//! let compiled = CompiledQuery::<MachineAction>::compile(&query)?;
//! let response = compiled.run(sample::example1());
//! assert_eq!(response.value.len(), 2);
//! assert_eq!(response.value[0]["id"], "69dc3630-1ccc-4342-acf3-35286eec741d");
//! # Ok::<(), defender_odata::Error>(())
//! ```

mod compile;
mod data;
mod element;
mod node;
mod response;
mod run;
mod specialize;
mod value;

pub use compile::CompiledFilter;
pub(crate) use compile::{constant, Constant};
pub(crate) use data::read_with;
pub use data::{read_entities, DataError, DataFormat};
pub(crate) use response::{PageBounds, ResponsePlan};
pub use response::{Response, ResponseOptions};
pub use run::{CompiledQuery, Evaluation, Page, Scope};

use crate::error::Error;
use crate::model::{AsEntity, Entity};
use crate::validate::ValidatedQuery;

/// Compiles `query` and runs it over `entities`: the one-call form of
/// [`CompiledQuery::compile`] and [`CompiledQuery::run`]. The entities may
/// be owned or borrowed (see [`AsEntity`]): `actions.iter()` over a
/// `&[MachineAction]` reads them in place.
pub fn evaluate<E, I>(query: &ValidatedQuery<'_>, entities: I) -> Result<Response, Error>
where
    E: Entity,
    I: IntoIterator,
    I::Item: AsEntity<E>,
{
    Ok(CompiledQuery::compile(query)?.run(entities))
}

/// `tolower` (or, with `upper`, `toupper`) of `text` as the evaluator
/// computes it: character by character, without context rules.
pub(crate) fn case_mapped(text: &str, upper: bool) -> String {
    if upper {
        value::Text::Upper(text).to_string_value()
    } else {
        value::Text::Lower(text).to_string_value()
    }
}
