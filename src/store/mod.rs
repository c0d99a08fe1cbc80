//! Answers from a database: a validated query translated to SQL with bound
//! parameters, run over entities stored in SQLite (embedded) or
//! PostgreSQL, with the in-memory evaluator's answers, row for row.
//!
//! Owns, one file a stage: `layout` (the table, typed columns and indexes
//! an [`EntitySchema`](crate::EntitySchema) gets, and the row an entity
//! becomes), `translate` (a [`ValidatedQuery`](crate::ValidatedQuery) to
//! [`Statement`]s: [`translate`]), `load` ([`Store`]: opening, loading,
//! answering), and the drivers, each behind its cargo feature: `sqlite` (rusqlite, SQLite
//! compiled in) and `postgres` (the `postgres` crate). [`Store`] opens
//! either from a URL, loads entities ([`Store::load`]) and answers queries
//! ([`Store::answer`]). Must not know about: query text or its grammar, or
//! HTTP; the response envelope is the evaluator's own.
//!
//! ```
//! use defender_odata::store::{translate, SqlDialect};
//! use defender_odata::{check, machine_actions, ParseOptions};
//!
//! let query = check(
//!     "$filter=machineId eq 'f46b9bb2' and contains(requestor,'50%25')&$top=5",
//!     machine_actions(),
//!     &ParseOptions::default(),
//! )?;
//! let sql = translate(&query, SqlDialect::Sqlite)?;
//! // Values are parameters, never SQL text.
//! assert!(!sql.rows.sql.contains("50%"));
//! assert_eq!(sql.rows.params.len(), 4);
//! # Ok::<(), defender_odata::Error>(())
//! ```

mod layout;
mod translate;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod load;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use translate::{translate, SqlDialect, SqlValue, Statement, Translation};

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use load::{Store, StoreError, StoredEntity};
