//! The SQLite driver: rusqlite over the SQLite compiled into this crate.
//!
//! Owns: opening a database file and moving [`SqlValue`]s in and out.
//! Must not know about: the layout or the translation; it runs their SQL.

use std::path::Path;

use rusqlite::types::{FromSql, ToSqlOutput, ValueRef};
use rusqlite::{params_from_iter, Connection as Sqlite3, OpenFlags, ToSql};

use super::layout::Layout;
use super::load::{Connection, Row};
use super::translate::{SqlDialect, SqlValue, Statement};

/// An open SQLite database.
pub(crate) struct Sqlite {
    db: Sqlite3,
}

impl Sqlite {
    /// Opens the database file at `path`, creating it when `create`.
    pub(crate) fn open(path: &Path, create: bool) -> Result<Sqlite, String> {
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let db = Sqlite3::open_with_flags(path, flags)
            .map_err(|e| format!("{}: cannot open the SQLite database: {e}", path.display()))?;
        // Another process may be loading: wait for it rather than fail.
        db.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(|e| e.to_string())?;
        Ok(Sqlite { db })
    }
}

impl Sqlite {
    /// The first column of each row `statement` gives.
    fn first_column<T: FromSql>(&mut self, statement: &Statement) -> Result<Vec<T>, String> {
        let mut prepared = self
            .db
            .prepare_cached(&statement.sql)
            .map_err(|e| e.to_string())?;
        let rows = prepared
            .query_map(params_from_iter(&statement.params), |row| row.get(0))
            .map_err(|e| e.to_string())?;
        rows.collect::<Result<_, _>>().map_err(|e| e.to_string())
    }
}

impl ToSql for SqlValue {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            SqlValue::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            SqlValue::Integer(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            SqlValue::Text(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            SqlValue::Boolean(b) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*b))),
            SqlValue::Real(r) => ToSqlOutput::Borrowed(ValueRef::Real(*r)),
        })
    }
}

impl Connection for Sqlite {
    fn dialect(&self) -> SqlDialect {
        SqlDialect::Sqlite
    }

    fn execute(&mut self, sql: &str) -> Result<(), String> {
        self.db.execute_batch(sql).map_err(|e| e.to_string())
    }

    fn integers(&mut self, statement: &Statement) -> Result<Vec<Option<i64>>, String> {
        self.first_column(statement)
    }

    fn texts(&mut self, statement: &Statement) -> Result<Vec<String>, String> {
        self.first_column(statement)
    }

    fn prepare_load(&mut self) -> Result<(), String> {
        // Index pages for a million rows stay in memory while they are
        // written; the default (2 MiB) would reread them from disk.
        self.execute("PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY; PRAGMA threads = 2")
    }

    fn upsert(&mut self, layout: &Layout, rows: &[Row]) -> Result<(), String> {
        // One row a statement: SQLite runs a prepared statement in place,
        // so batching buys nothing and would cap the row width.
        let sql = layout.upsert(SqlDialect::Sqlite, 1);
        let docs_sql = layout.docs_upsert(SqlDialect::Sqlite, 1);
        let mut upsert = self.db.prepare_cached(&sql).map_err(|e| e.to_string())?;
        let mut docs = self
            .db
            .prepare_cached(&docs_sql)
            .map_err(|e| e.to_string())?;
        for row in rows {
            let seq: i64 = upsert
                .query_row(params_from_iter(&row.values), |r| r.get(0))
                .map_err(|e| e.to_string())?;
            docs.execute(rusqlite::params![seq, row.doc])
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}
