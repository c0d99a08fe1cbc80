//! [`Store`]: a database holding entity sets in the layout of `layout`,
//! loaded from data files and answering validated queries.
//!
//! Owns: opening a store from its URL, the load sequence (one transaction;
//! upserts on the key; load order for ties) and running a translation.
//! Must not know about: SQL beyond what the layout and the translation
//! write; each engine's driver is a [`Connection`].

use std::collections::HashMap;
use std::fmt;
use std::io::BufRead;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, DeserializeSeed, Error as _, MapAccess, Visitor};
use serde::{Deserializer, Serialize};
use serde_json::{Map, Value};

use super::layout::{ColumnKind, Layout, LAYOUT_VERSION};
use super::translate::{translate_with, SqlDialect, SqlValue, Statement};
use crate::error::Error;
use crate::eval::{read_with, Response, ResponseOptions, ResponsePlan, Scope};
use crate::model::{Entity, MachineAction};
use crate::schema::{machine_actions, EntitySchema};
use crate::validate::ValidatedQuery;

/// An entity type a [`Store`] can hold: read with the evaluator's
/// [`Entity`] trait, loaded with serde, stored as its wire JSON.
pub trait StoredEntity: Entity + DeserializeOwned + Serialize {
    /// The schema of its entity set, which decides the layout.
    fn schema() -> &'static EntitySchema;
}

impl StoredEntity for MachineAction {
    fn schema() -> &'static EntitySchema {
        machine_actions()
    }
}

/// Why a store could not load or answer.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// The query has no exact translation (or did not compile).
    Rejected(Error),
    /// A data file could not be read, or a record cannot be stored:
    /// `file:line:col: message`.
    Data(String),
    /// The database refused, or is not one this layout can use.
    Database(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Rejected(error) => write!(f, "{error}"),
            StoreError::Data(message) | StoreError::Database(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<Error> for StoreError {
    fn from(error: Error) -> StoreError {
        StoreError::Rejected(error)
    }
}

/// What each engine's driver does for the store. Every method's SQL comes
/// from the layout or the translation.
pub(crate) trait Connection: Send {
    /// The dialect the engine speaks.
    fn dialect(&self) -> SqlDialect;
    /// Runs statements without parameters or results (DDL, transactions).
    fn execute(&mut self, sql: &str) -> Result<(), String>;
    /// Runs `statement` and returns the first column of each row, an
    /// integer (or null).
    fn integers(&mut self, statement: &Statement) -> Result<Vec<Option<i64>>, String>;
    /// Runs `statement` and returns the first column of its first row, an
    /// integer (`None` for null or no row).
    fn integer(&mut self, statement: &Statement) -> Result<Option<i64>, String> {
        Ok(self.integers(statement)?.first().copied().flatten())
    }
    /// Runs `statement` and returns the first column of each row, a text.
    fn texts(&mut self, statement: &Statement) -> Result<Vec<String>, String>;
    /// Tunes the connection for a bulk load.
    fn prepare_load(&mut self) -> Result<(), String> {
        Ok(())
    }
    /// Runs what a load ends with, before it commits.
    fn finish_load(&mut self, _layout: &Layout) -> Result<(), String> {
        Ok(())
    }
    /// Writes `rows` with the layout's upserts: each row's values to the
    /// typed table, then its document under the `"@seq"` the row has
    /// there (its own, or that of the stored row with its key).
    fn upsert(&mut self, layout: &Layout, rows: &[Row]) -> Result<(), String>;
}

/// One entity as a load writes it.
pub(crate) struct Row {
    /// The typed table's values, in [`Layout::columns`] order.
    pub(crate) values: Vec<SqlValue>,
    /// The wire document.
    pub(crate) doc: String,
}

#[cfg(feature = "postgres")]
impl Row {
    /// The `"@seq"` the row was given.
    pub(crate) fn seq(&self) -> Option<i64> {
        match self.values.first() {
            Some(SqlValue::Integer(seq)) => Some(*seq),
            _ => None,
        }
    }

    /// The key as the upsert's `RETURNING` gives it: as text.
    pub(crate) fn key_text(&self, layout: &Layout) -> Option<String> {
        match layout.key_position().and_then(|k| self.values.get(k)) {
            Some(SqlValue::Text(text)) => Some(text.clone()),
            Some(SqlValue::Integer(i)) => Some(i.to_string()),
            _ => None,
        }
    }
}

/// A database of entity sets: SQLite (`sqlite:PATH`) or PostgreSQL
/// (`postgres://…`, `postgresql://…`).
pub struct Store {
    connection: Box<dyn Connection>,
    /// A SQLite file this store created, removed if the first load fails.
    created: Option<std::path::PathBuf>,
    /// The entity sets whose layout version this connection has checked,
    /// so that an answer does not check it again.
    checked: Vec<&'static str>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("dialect", &self.connection.dialect())
            .finish_non_exhaustive()
    }
}

/// How many rows a load writes per batch.
const BATCH: usize = 512;

impl Store {
    /// Opens the existing database at `url`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the URL names no engine this build
    /// has, or the database cannot be opened.
    pub fn open(url: &str) -> Result<Store, StoreError> {
        Store::connect(url, false)
    }

    /// Opens the database at `url`, creating a SQLite file that does not
    /// exist (it is removed again if the first [`Store::load`] fails).
    ///
    /// # Errors
    ///
    /// As [`Store::open`].
    pub fn open_or_create(url: &str) -> Result<Store, StoreError> {
        Store::connect(url, true)
    }

    fn connect(url: &str, create: bool) -> Result<Store, StoreError> {
        if let Some(path) = url.strip_prefix("sqlite:") {
            #[cfg(feature = "sqlite")]
            {
                let path = std::path::Path::new(path);
                let existed = path.exists() || path.as_os_str() == ":memory:";
                let connection =
                    super::sqlite::Sqlite::open(path, create).map_err(StoreError::Database)?;
                return Ok(Store {
                    connection: Box::new(connection),
                    created: (!existed).then(|| path.to_owned()),
                    checked: Vec::new(),
                });
            }
            #[cfg(not(feature = "sqlite"))]
            {
                let _ = (path, create);
                return Err(StoreError::Database(
                    "this build has no SQLite (cargo feature `sqlite`)".into(),
                ));
            }
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            #[cfg(feature = "postgres")]
            {
                let connection =
                    super::postgres::Postgres::connect(url).map_err(StoreError::Database)?;
                return Ok(Store {
                    connection: Box::new(connection),
                    created: None,
                    checked: Vec::new(),
                });
            }
            #[cfg(not(feature = "postgres"))]
            {
                return Err(StoreError::Database(
                    "this build has no PostgreSQL (cargo feature `postgres`)".into(),
                ));
            }
        }
        Err(StoreError::Database(format!(
            "'{url}' is not a database URL: use sqlite:PATH or postgres://…"
        )))
    }

    /// The SQL dialect of the database.
    pub fn dialect(&self) -> SqlDialect {
        self.connection.dialect()
    }

    /// Loads the entities of every source, `(name, reader)`, in one
    /// transaction: all of them, or (on the first bad record, reported as
    /// `name:line:col`) none. Each reader holds a JSON array, an OData
    /// response or a stream of objects, as [`read_entities`](crate::eval::read_entities) reads them.
    /// An entity whose key is already stored replaces its content and keeps
    /// its place in the load order. Returns how many records were read.
    ///
    /// # Errors
    ///
    /// [`StoreError::Data`] for bad data, [`StoreError::Database`] when the
    /// database refuses.
    pub fn load<E: StoredEntity, R: BufRead>(
        &mut self,
        sources: impl IntoIterator<Item = (String, R)>,
    ) -> Result<u64, StoreError> {
        self.load_as::<E, R>(E::schema(), sources)
    }

    /// [`Store::load`] for an entity set without a Rust type: its entities
    /// are JSON objects, stored as they are (unknown members kept), with
    /// the typed columns `schema`'s filterable and sortable properties get.
    /// A value of the wrong type for one of them (`"riskScore": 3` where
    /// the schema says `Edm.String`) refuses the load at its place.
    ///
    /// # Errors
    ///
    /// As [`Store::load`].
    pub fn load_json<R: BufRead>(
        &mut self,
        schema: &'static EntitySchema,
        sources: impl IntoIterator<Item = (String, R)>,
    ) -> Result<u64, StoreError> {
        self.load_as::<Map<String, Value>, R>(schema, sources)
    }

    fn load_as<E: Entity + DeserializeOwned + Serialize, R: BufRead>(
        &mut self,
        schema: &'static EntitySchema,
        sources: impl IntoIterator<Item = (String, R)>,
    ) -> Result<u64, StoreError> {
        let layout = super::layout::cached(schema);
        self.connection
            .execute(self.dialect().begin())
            .map_err(StoreError::Database)?;
        let result = self.load_in_transaction::<E, R>(&layout, sources);
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        let ended = self.connection.execute(end).map_err(StoreError::Database);
        let result = result.and_then(|n| ended.map(|()| n));
        if let Some(path) = self.created.take() {
            if result.is_err() {
                let _ = std::fs::remove_file(&path);
            }
        }
        result
    }

    fn load_in_transaction<E: Entity + DeserializeOwned + Serialize, R: BufRead>(
        &mut self,
        layout: &Layout,
        sources: impl IntoIterator<Item = (String, R)>,
    ) -> Result<u64, StoreError> {
        let db = StoreError::Database;
        let dialect = self.dialect();
        for statement in layout.create_tables(dialect) {
            self.connection.execute(&statement).map_err(db)?;
        }
        self.check_version(layout, true)?;
        if dialect == SqlDialect::Postgres {
            // One load at a time, so that load order is one sequence.
            self.connection
                .execute(&format!("LOCK TABLE {} IN EXCLUSIVE MODE", layout.table()))
                .map_err(db)?;
        }
        self.connection.prepare_load().map_err(db)?;
        let max = Statement {
            sql: format!("SELECT MAX(\"@seq\") FROM {}", layout.table()),
            params: Vec::new(),
        };
        let last = self.connection.integer(&max).map_err(db)?;
        let indexes = layout.secondary_indexes(dialect);
        if last.is_none() {
            // An empty table: the indexes are built at the end, from sorted
            // data, instead of row by row.
            for (name, _) in &indexes {
                self.connection
                    .execute(&format!("DROP INDEX IF EXISTS {name}"))
                    .map_err(db)?;
            }
        }
        let mut seq = last.unwrap_or(0);
        let key = layout.key_position();
        let mut batch = Batch::default();
        let mut records = 0u64;
        for (name, reader) in sources {
            let mut failure = None;
            let connection = &mut self.connection;
            let seed = RecordSeed::<E> {
                layout,
                entity: PhantomData,
            };
            let read = read_with(reader, seed, |record: Record| {
                if failure.is_some() {
                    return;
                }
                records += 1;
                seq += 1;
                let mut row = Vec::with_capacity(record.columns.len() + 1);
                row.push(SqlValue::Integer(seq));
                row.extend(record.columns);
                batch.push(
                    Row {
                        values: row,
                        doc: record.doc,
                    },
                    key,
                );
                if batch.rows.len() >= BATCH {
                    if let Err(e) = batch.flush(connection.as_mut(), layout) {
                        failure = Some(e);
                    }
                }
            });
            if let Err(error) = read {
                return Err(StoreError::Data(error.located(&name)));
            }
            if let Some(message) = failure {
                return Err(db(message));
            }
        }
        batch.flush(self.connection.as_mut(), layout).map_err(db)?;
        for (_, create) in &indexes {
            self.connection.execute(create).map_err(db)?;
        }
        self.connection.finish_load(layout).map_err(db)?;
        Ok(records)
    }

    /// Checks (or, when `record`, records) the layout version of the
    /// entity set.
    fn check_version(&mut self, layout: &Layout, record: bool) -> Result<(), StoreError> {
        let found = self.stored_version(layout.entity_set()).map_err(|e| {
            StoreError::Database(if record {
                e
            } else {
                format!(
                    "the database holds no {}: load some first ({e})",
                    layout.entity_set()
                )
            })
        })?;
        match found {
            Some(LAYOUT_VERSION) => Ok(()),
            Some(other) => Err(StoreError::Database(format!(
                "the database's {} are stored in layout {other}; this build reads layout {LAYOUT_VERSION}",
                layout.entity_set()
            ))),
            None if record => {
                let dialect = self.dialect();
                let set = SqlValue::Text(layout.entity_set().to_owned());
                let v = SqlValue::Integer(LAYOUT_VERSION);
                let insert = Statement {
                    sql: format!(
                        "INSERT INTO {} (\"entity_set\", \"version\") VALUES ({}, {})",
                        super::layout::quote(super::layout::META_TABLE),
                        dialect.placeholder(1, &set),
                        dialect.placeholder(2, &v)
                    ),
                    params: vec![set, v],
                };
                self.connection
                    .integers(&insert)
                    .map(|_| ())
                    .map_err(StoreError::Database)
            }
            None => Err(StoreError::Database(format!(
                "the database holds no {}: load some first",
                layout.entity_set()
            ))),
        }
    }

    /// Answers `query` from the database: the response the in-memory
    /// evaluator gives over the loaded entities, in load order.
    ///
    /// # Errors
    ///
    /// [`StoreError::Rejected`] for a filter with no exact translation,
    /// [`StoreError::Database`] when the entity set was never loaded or
    /// the database fails.
    pub fn answer(&mut self, query: &ValidatedQuery<'_>) -> Result<Response, StoreError> {
        self.answer_with(query, ResponsePlan::new(query))
    }

    /// [`Store::answer`] with pages of at most `page_size` matches when the
    /// query has no `$top` (the service's page is its `$top` cap), as
    /// [`CompiledQuery::with_page_size`](crate::eval::CompiledQuery::with_page_size).
    ///
    /// # Errors
    ///
    /// As [`Store::answer`].
    pub fn answer_paged(
        &mut self,
        query: &ValidatedQuery<'_>,
        page_size: u64,
    ) -> Result<Response, StoreError> {
        self.answer_with_options(
            query,
            &ResponseOptions {
                page_size: Some(page_size),
                service_root: None,
            },
        )
    }

    /// [`Store::answer`] paged and addressed as `options` say, as
    /// [`CompiledQuery::with_options`](crate::eval::CompiledQuery::with_options).
    ///
    /// # Errors
    ///
    /// As [`Store::answer`].
    pub fn answer_with_options(
        &mut self,
        query: &ValidatedQuery<'_>,
        options: &ResponseOptions,
    ) -> Result<Response, StoreError> {
        self.answer_with(query, ResponsePlan::new(query).with_options(options))
    }

    /// [`Store::answer_with_options`] within `scope`: only the entities
    /// whose scoping property equals its value, as
    /// [`CompiledQuery::restricted_to`](crate::eval::CompiledQuery::restricted_to)
    /// answers over the same entities (a navigation such as
    /// `machines/{id}/alerts`, whose next link names `scope.path`).
    ///
    /// # Errors
    ///
    /// As [`Store::answer`]; [`StoreError::Rejected`] when the set is not
    /// stored with the scoping property (only a navigation's are).
    pub fn answer_scoped(
        &mut self,
        query: &ValidatedQuery<'_>,
        scope: &Scope,
        options: &ResponseOptions,
    ) -> Result<Response, StoreError> {
        let mut plan = ResponsePlan::new(query).with_options(options);
        if let Some(path) = &scope.path {
            plan = plan.at_path(path);
        }
        self.answer_in(query, plan, Some(scope))
    }

    /// The stored wire JSON of the entity of `schema`'s set whose key is
    /// `key` (compared exactly), or `None`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the entity set was never loaded or
    /// the database fails.
    pub fn get(&mut self, schema: &EntitySchema, key: &str) -> Result<Option<Value>, StoreError> {
        let layout = super::layout::cached(schema);
        self.checked_version(&layout)?;
        let Some(column) = layout.key() else {
            return Err(StoreError::Database(format!(
                "{} has no key column",
                layout.entity_set()
            )));
        };
        let value = match column.kind {
            ColumnKind::Integer => match key.parse::<i64>() {
                Ok(number) => SqlValue::Integer(number),
                Err(_) => return Ok(None),
            },
            _ => SqlValue::Text(key.to_owned()),
        };
        let statement = Statement {
            sql: format!(
                "{} WHERE {} = {} LIMIT 1",
                layout.select_docs(),
                column.value(),
                self.dialect().placeholder(1, &value)
            ),
            params: vec![value],
        };
        let docs = self
            .connection
            .texts(&statement)
            .map_err(StoreError::Database)?;
        docs.first()
            .map(|doc| serde_json::from_str::<Value>(doc).map_err(not_json))
            .transpose()
    }

    /// Whether the database holds the entity set of `schema` (in any
    /// layout): whether a load of it ever committed.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the database holds no entity set at
    /// all, or fails.
    pub fn holds(&mut self, schema: &EntitySchema) -> Result<bool, StoreError> {
        let found = self.stored_version(schema.entity_set).map_err(|e| {
            StoreError::Database(format!(
                "the database holds no entity set: load some first ({e})"
            ))
        })?;
        Ok(found.is_some())
    }

    /// The layout version recorded for `entity_set`, if any.
    fn stored_version(&mut self, entity_set: &str) -> Result<Option<i64>, String> {
        let set = SqlValue::Text(entity_set.to_owned());
        let version = Statement {
            sql: format!(
                "SELECT \"version\" FROM {} WHERE \"entity_set\" = {}",
                super::layout::quote(super::layout::META_TABLE),
                self.dialect().placeholder(1, &set)
            ),
            params: vec![set],
        };
        self.connection.integer(&version)
    }

    /// Checks the layout version of `layout`'s entity set once per
    /// connection.
    fn checked_version(&mut self, layout: &Layout) -> Result<(), StoreError> {
        if !self.checked.contains(&layout.entity_set()) {
            self.check_version(layout, false)?;
            self.checked.push(layout.entity_set());
        }
        Ok(())
    }

    pub(crate) fn answer_with(
        &mut self,
        query: &ValidatedQuery<'_>,
        plan: ResponsePlan,
    ) -> Result<Response, StoreError> {
        self.answer_in(query, plan, None)
    }

    fn answer_in(
        &mut self,
        query: &ValidatedQuery<'_>,
        plan: ResponsePlan,
        scope: Option<&Scope>,
    ) -> Result<Response, StoreError> {
        let layout = super::layout::cached(query.schema());
        let now = chrono::Utc::now().fixed_offset();
        let translation =
            translate_with(query, &layout, self.dialect(), now, plan.bounds(), scope)?;
        self.checked_version(&layout)?;
        let db = StoreError::Database;
        let count = match &translation.count {
            Some(statement) => Some(
                self.connection
                    .integer(statement)
                    .map_err(db)?
                    .map_or(0, |n| u64::try_from(n).unwrap_or(0)),
            ),
            None => None,
        };
        let mut docs = self.connection.texts(&translation.rows).map_err(db)?;
        let page_len = usize::try_from(translation.bounds.len).unwrap_or(usize::MAX);
        let more = translation.bounds.pages && docs.len() > page_len;
        docs.truncate(page_len);
        let values = docs
            .iter()
            .map(|doc| serde_json::from_str::<Value>(doc))
            .collect::<Result<Vec<_>, _>>()
            .map_err(not_json)?;
        Ok(plan.response(values.into_iter(), count, more))
    }
}

fn not_json(error: serde_json::Error) -> StoreError {
    StoreError::Database(format!("a stored document is not JSON: {error}"))
}

/// Rows waiting to be written; a key seen twice in one batch keeps its
/// first place and its last content, as two upserts would.
#[derive(Default)]
struct Batch {
    rows: Vec<Row>,
    slots: HashMap<SqlValue, usize>,
}

impl Batch {
    fn push(&mut self, mut row: Row, key: Option<usize>) {
        if let Some(key) = key
            .and_then(|k| row.values.get(k))
            .filter(|k| **k != SqlValue::Null)
        {
            if let Some(&slot) = self.slots.get(key) {
                std::mem::swap(&mut row.values[0], &mut self.rows[slot].values[0]);
                self.rows[slot] = row;
                return;
            }
            self.slots.insert(key.clone(), self.rows.len());
        }
        self.rows.push(row);
    }

    fn flush(&mut self, connection: &mut dyn Connection, layout: &Layout) -> Result<(), String> {
        if self.rows.is_empty() {
            return Ok(());
        }
        connection.upsert(layout, &self.rows)?;
        self.rows.clear();
        self.slots.clear();
        Ok(())
    }
}

/// One record as the store writes it: its wire JSON and its column values,
/// computed while it is read so that a record that cannot be stored is
/// refused with its place in the file.
struct Record {
    doc: String,
    columns: Vec<SqlValue>,
}

/// Reads a [`Record`] of an entity of type `E` stored in `layout`.
struct RecordSeed<'l, E> {
    layout: &'l Layout,
    entity: PhantomData<fn() -> E>,
}

impl<E> Clone for RecordSeed<'_, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for RecordSeed<'_, E> {}

impl<'de, E: Entity + DeserializeOwned + Serialize> DeserializeSeed<'de> for RecordSeed<'_, E> {
    type Value = Record;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Record, D::Error> {
        // Through a map visitor, so that serde_json places an error raised
        // here at the record, as it places its own.
        deserializer.deserialize_map(self)
    }
}

impl<'de, E: Entity + DeserializeOwned + Serialize> Visitor<'de> for RecordSeed<'_, E> {
    type Value = Record;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an entity object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Record, A::Error> {
        let entity = E::deserialize(MapAccessDeserializer::new(map))?;
        let columns = self.layout.row(&entity).map_err(A::Error::custom)?;
        let doc = serde_json::to_string(&entity).map_err(A::Error::custom)?;
        Ok(Record { doc, columns })
    }
}
