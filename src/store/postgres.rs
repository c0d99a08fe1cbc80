//! The PostgreSQL driver: the `postgres` crate, without TLS.
//!
//! Owns: connecting, checking that the server counts characters as the
//! evaluator does (a UTF-8 database), and moving [`SqlValue`]s in and out.
//! Must not know about: the layout or the translation; it runs their SQL.

use std::error::Error;

use bytes::BytesMut;
use postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};
use postgres::{Client, NoTls};

use super::layout::Layout;
use super::load::{Connection, Row};
use super::translate::{SqlDialect, SqlValue, Statement};

/// A connection to a PostgreSQL server.
pub(crate) struct Postgres {
    client: Client,
}

impl Postgres {
    /// Connects to the server at `url` (`postgres://user@host:port/db`).
    pub(crate) fn connect(url: &str) -> Result<Postgres, String> {
        let mut client = Client::connect(url, NoTls)
            .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
        let encoding: String = client
            .query_one("SHOW server_encoding", &[])
            .and_then(|row| row.try_get(0))
            .map_err(|e| e.to_string())?;
        if encoding != "UTF8" {
            return Err(format!(
                "the database's encoding is {encoding}: length and indexof count characters only in a UTF8 database"
            ));
        }
        Ok(Postgres { client })
    }

    /// The first column of each row `statement` gives.
    fn first_column<T: for<'a> FromSql<'a>>(
        &mut self,
        statement: &Statement,
    ) -> Result<Vec<T>, String> {
        let rows = self
            .client
            .query(&statement.sql, &Self::params(&statement.params))
            .map_err(|e| e.to_string())?;
        rows.iter()
            .map(|row| row.try_get(0).map_err(|e| e.to_string()))
            .collect()
    }

    fn params(values: &[SqlValue]) -> Vec<&(dyn ToSql + Sync)> {
        values.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
    }
}

impl ToSql for SqlValue {
    /// Each placeholder is cast to its value's type, so a value only ever
    /// meets its own type; anything else is refused, not reinterpreted.
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            SqlValue::Null => Ok(IsNull::Yes),
            SqlValue::Integer(i) if *ty == Type::INT8 => i.to_sql(ty, out),
            SqlValue::Text(text) if *ty == Type::TEXT => text.as_str().to_sql(ty, out),
            SqlValue::Boolean(b) if *ty == Type::BOOL => b.to_sql(ty, out),
            SqlValue::Real(r) if *ty == Type::FLOAT8 => r.to_sql(ty, out),
            other => Err(format!("{other} cannot be bound as {ty}").into()),
        }
    }

    fn accepts(ty: &Type) -> bool {
        [Type::INT8, Type::TEXT, Type::BOOL, Type::FLOAT8].contains(ty)
    }

    to_sql_checked!();
}

impl Connection for Postgres {
    fn dialect(&self) -> SqlDialect {
        SqlDialect::Postgres
    }

    fn execute(&mut self, sql: &str) -> Result<(), String> {
        self.client.batch_execute(sql).map_err(|e| e.to_string())
    }

    fn integers(&mut self, statement: &Statement) -> Result<Vec<Option<i64>>, String> {
        self.first_column(statement)
    }

    fn texts(&mut self, statement: &Statement) -> Result<Vec<String>, String> {
        self.first_column(statement)
    }

    fn finish_load(&mut self, layout: &Layout) -> Result<(), String> {
        // Fresh statistics, so that the planner picks the indexes at once
        // rather than after autovacuum's next visit.
        self.execute(&format!("ANALYZE {}", layout.table()))
    }

    fn upsert(&mut self, layout: &Layout, rows: &[Row]) -> Result<(), String> {
        // Many rows a statement: a round trip per row would dominate.
        let sql = layout.upsert(SqlDialect::Postgres, rows.len());
        let values: Vec<SqlValue> = rows.iter().flat_map(|r| r.values.iter().cloned()).collect();
        let returned = self
            .client
            .query(&sql, &Self::params(&values))
            .map_err(|e| e.to_string())?;
        // A row whose key was stored keeps the stored `"@seq"`; the batch
        // holds each key once, so the key finds it.
        let mut stored = std::collections::HashMap::new();
        for r in &returned {
            let seq: i64 = r.try_get(0).map_err(|e| e.to_string())?;
            let key: Option<String> = r.try_get(1).map_err(|e| e.to_string())?;
            if let Some(key) = key {
                stored.insert(key, seq);
            }
        }
        let mut docs = Vec::with_capacity(rows.len() * 2);
        for row in rows {
            let seq = row
                .key_text(layout)
                .and_then(|key| stored.get(&key).copied())
                .or_else(|| row.seq())
                .ok_or("a row without a load position")?;
            docs.push(SqlValue::Integer(seq));
            docs.push(SqlValue::Text(row.doc.clone()));
        }
        self.client
            .execute(
                &layout.docs_upsert(SqlDialect::Postgres, rows.len()),
                &Self::params(&docs),
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
