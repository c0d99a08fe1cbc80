//! Where a served entity set's answers come from: entities held in memory
//! ([`MemorySource`]) or a database ([`StoreSource`]).
//!
//! Owns: holding the entities or the database connections, finding one
//! entity by key, and which sources answer a scoped list (a navigation's,
//! `machines/{id}/alerts`) and a count (`$count`). Must not know about:
//! HTTP, or how a query is evaluated or translated (the evaluator and the
//! store answer).
//!
//! Both built-in sources answer a scoped list: [`MemorySource`] through
//! the evaluator's scope, [`StoreSource`] through the store's
//! ([`Store::answer_scoped`]); a source of another crate that does not
//! override [`EntitySource::list_scoped`] answers `NotImplemented`. Counts
//! follow from the default [`EntitySource::count`].

use std::collections::HashMap;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
use std::sync::Mutex;

use serde_json::Value;

use crate::error::Error;
use crate::eval::{CompiledQuery, ResponseOptions, Scope};
use crate::model::{Entity, PropertyValue};
use crate::schema::EntitySchema;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
use crate::store::{Store, StoreError};
use crate::validate::ValidatedQuery;

/// Why a source gave no answer.
#[derive(Debug)]
pub enum SourceError {
    /// The query cannot be answered here (a `400`).
    Rejected(Error),
    /// The source failed (a `503`): the message is for the log.
    Unavailable(String),
    /// The source cannot answer this kind of request yet (a `501`): the
    /// message says what.
    NotImplemented(String),
}

/// The answers of one entity set.
pub trait EntitySource: Send + Sync + 'static {
    /// The entity set's schema.
    fn schema(&self) -> &'static EntitySchema;

    /// The response to a validated query, as the JSON bytes of a
    /// [`Response`](crate::eval::Response).
    fn list(
        &self,
        query: &ValidatedQuery<'_>,
        options: &ResponseOptions,
    ) -> Result<Vec<u8>, SourceError>;

    /// The response to `query` over the entities `scope` admits (a
    /// navigation's list, `machines/{id}/alerts`), as [`EntitySource::list`]
    /// writes it, its next link naming the scope's path.
    ///
    /// The default answers [`SourceError::NotImplemented`]: a source that
    /// can restrict its answers overrides it ([`MemorySource`] does).
    fn list_scoped(
        &self,
        query: &ValidatedQuery<'_>,
        scope: &Scope,
        options: &ResponseOptions,
    ) -> Result<Vec<u8>, SourceError> {
        let _ = (query, options);
        Err(SourceError::NotImplemented(format!(
            "{} from this source cannot yet be restricted to {} = '{}'",
            self.schema().entity_set,
            scope.property,
            scope.value
        )))
    }

    /// How many entities match `query`, within `scope` when given, whatever
    /// its `$top`, `$skip` and `$orderby` say: OData's `$count` segment.
    ///
    /// The default is the `@odata.count` that [`EntitySource::list`] (or
    /// [`EntitySource::list_scoped`]) answers to
    /// [`ValidatedQuery::counting`], which asks for no entity.
    fn count(&self, query: &ValidatedQuery<'_>, scope: Option<&Scope>) -> Result<u64, SourceError> {
        let counting = query.counting();
        let options = ResponseOptions::default();
        let body = match scope {
            None => self.list(&counting, &options)?,
            Some(scope) => self.list_scoped(&counting, scope, &options)?,
        };
        serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|response| response.get("@odata.count").and_then(Value::as_u64))
            .ok_or_else(|| SourceError::Unavailable("the answer held no @odata.count".into()))
    }

    /// The wire JSON of the entity whose key is `key`, or `None`.
    fn get(&self, key: &str) -> Result<Option<Value>, SourceError>;

    /// Whether answering may take long (I/O, a large scan), so that the
    /// server runs it off its event loop.
    fn blocks(&self) -> bool;
}

/// The most entities a memory source scans on the event loop.
const INLINE_SCAN: usize = 10_000;

/// Entities held in memory, answered by the evaluator.
#[derive(Debug)]
pub struct MemorySource<E> {
    schema: &'static EntitySchema,
    entities: Vec<E>,
    /// Key → position; with a key held twice, the last one is found, as a
    /// load keeps the last content of a key.
    by_key: HashMap<String, usize>,
}

impl<E: Entity> MemorySource<E> {
    /// Serves `entities` as the entity set of `schema`.
    pub fn new(schema: &'static EntitySchema, entities: Vec<E>) -> MemorySource<E> {
        let by_key = match E::accessor(schema.key) {
            Some(accessor) => entities
                .iter()
                .enumerate()
                .filter_map(|(i, e)| match e.property(&accessor) {
                    PropertyValue::String(key) => Some((key.to_owned(), i)),
                    PropertyValue::Int(key) => Some((key.to_string(), i)),
                    _ => None,
                })
                .collect(),
            None => HashMap::new(),
        };
        MemorySource {
            schema,
            entities,
            by_key,
        }
    }
}

impl<E: Entity + Send + Sync> EntitySource for MemorySource<E> {
    fn schema(&self) -> &'static EntitySchema {
        self.schema
    }

    fn list(
        &self,
        query: &ValidatedQuery<'_>,
        options: &ResponseOptions,
    ) -> Result<Vec<u8>, SourceError> {
        let compiled = CompiledQuery::<E>::compile(query).map_err(SourceError::Rejected)?;
        Ok(compiled
            .with_options(options)
            .run_json(self.entities.iter()))
    }

    fn list_scoped(
        &self,
        query: &ValidatedQuery<'_>,
        scope: &Scope,
        options: &ResponseOptions,
    ) -> Result<Vec<u8>, SourceError> {
        let compiled = CompiledQuery::<E>::compile(query)
            .and_then(|compiled| compiled.with_options(options).restricted_to(scope))
            .map_err(SourceError::Rejected)?;
        Ok(compiled.run_json(self.entities.iter()))
    }

    fn count(&self, query: &ValidatedQuery<'_>, scope: Option<&Scope>) -> Result<u64, SourceError> {
        let mut compiled = CompiledQuery::<E>::compile(query).map_err(SourceError::Rejected)?;
        if let Some(scope) = scope {
            compiled = compiled
                .restricted_to(scope)
                .map_err(SourceError::Rejected)?;
        }
        Ok(compiled.count(self.entities.iter()))
    }

    fn get(&self, key: &str) -> Result<Option<Value>, SourceError> {
        self.by_key
            .get(key)
            .map(|&i| serde_json::to_value(&self.entities[i]))
            .transpose()
            .map_err(|e| SourceError::Unavailable(e.to_string()))
    }

    /// A scan of a few thousand entities takes well under a millisecond
    /// and runs on the event loop; a larger one runs on a blocking
    /// thread, so that the loop keeps serving other requests meanwhile.
    fn blocks(&self) -> bool {
        self.entities.len() > INLINE_SCAN
    }
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
/// An entity set in a database (`sqlite:PATH`, `postgres://…`), answered
/// by translating queries to SQL. Connections are opened as needed and
/// kept for reuse; the server bounds how many are in use at once.
#[derive(Debug)]
pub struct StoreSource {
    schema: &'static EntitySchema,
    url: String,
    idle: Mutex<Vec<Store>>,
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl StoreSource {
    /// Opens the database at `url` to serve the entity set of `schema`,
    /// which must have been loaded into it.
    ///
    /// # Errors
    ///
    /// When the database cannot be opened or does not hold the entity set.
    pub fn open(schema: &'static EntitySchema, url: &str) -> Result<StoreSource, StoreError> {
        let mut store = Store::open(url)?;
        // A lookup checks that the set was loaded, in this layout.
        store.get(schema, "")?;
        Ok(StoreSource {
            schema,
            url: url.to_owned(),
            idle: Mutex::new(vec![store]),
        })
    }

    /// The JSON of the response `work` answers with a connection.
    fn answer(
        &self,
        work: impl FnOnce(&mut Store) -> Result<crate::eval::Response, StoreError>,
    ) -> Result<Vec<u8>, SourceError> {
        let response = self.with_store(work)?;
        serde_json::to_vec(&response).map_err(|e| SourceError::Unavailable(e.to_string()))
    }

    /// Runs `work` on an idle connection (or a new one), keeping the
    /// connection for the next call unless the database failed.
    fn with_store<T>(
        &self,
        work: impl FnOnce(&mut Store) -> Result<T, StoreError>,
    ) -> Result<T, SourceError> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let mut store = match idle {
            Some(store) => store,
            None => Store::open(&self.url).map_err(unavailable)?,
        };
        let result = work(&mut store);
        if !matches!(result, Err(StoreError::Database(_))) {
            if let Ok(mut idle) = self.idle.lock() {
                idle.push(store);
            }
        }
        result.map_err(unavailable)
    }
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn unavailable(error: StoreError) -> SourceError {
    match error {
        StoreError::Rejected(error) => SourceError::Rejected(error),
        other => SourceError::Unavailable(other.to_string()),
    }
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl EntitySource for StoreSource {
    fn schema(&self) -> &'static EntitySchema {
        self.schema
    }

    fn list(
        &self,
        query: &ValidatedQuery<'_>,
        options: &ResponseOptions,
    ) -> Result<Vec<u8>, SourceError> {
        self.answer(|store| store.answer_with_options(query, options))
    }

    fn list_scoped(
        &self,
        query: &ValidatedQuery<'_>,
        scope: &Scope,
        options: &ResponseOptions,
    ) -> Result<Vec<u8>, SourceError> {
        self.answer(|store| store.answer_scoped(query, scope, options))
    }

    fn get(&self, key: &str) -> Result<Option<Value>, SourceError> {
        self.with_store(|store| store.get(self.schema, key))
    }

    fn blocks(&self) -> bool {
        true
    }
}
