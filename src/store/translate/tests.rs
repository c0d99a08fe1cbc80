//! The SQL of each construct, one line a case: the statement the
//! translation writes for a filter, in both dialects.

use super::*;
use crate::{check, machine_actions, ParseOptions};

/// The `WHERE` clause and parameters `filter` translates to.
fn sql(dialect: SqlDialect, filter: &str) -> (String, Vec<SqlValue>) {
    let query = check(
        &format!("$filter={filter}&$top=1"),
        machine_actions(),
        &ParseOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{filter}: {e}"));
    let now = DateTime::parse_from_rfc3339("2026-12-03T00:00:00Z").expect("an instant");
    let t = translate_at(&query, dialect, now).unwrap_or_else(|e| panic!("{filter}: {e}"));
    let sql = t.rows.sql;
    let start = sql.find(" WHERE ").expect("a WHERE") + 7;
    let end = sql.find(" ORDER BY ").expect("an ORDER BY");
    let mut params = t.rows.params;
    params.truncate(params.len() - 2);
    (sql[start..end].to_owned(), params)
}

fn text(s: &str) -> SqlValue {
    SqlValue::Text(s.to_owned())
}

fn int(i: i64) -> SqlValue {
    SqlValue::Integer(i)
}

#[track_caller]
fn verified(filter: &str, sqlite: &str, postgres: &str, params: &[SqlValue]) {
    let (s, p) = sql(SqlDialect::Sqlite, filter);
    assert_eq!(s, sqlite, "{filter}");
    assert_eq!(p, params, "{filter}");
    let (s, p) = sql(SqlDialect::Postgres, filter);
    assert_eq!(s, postgres, "{filter}");
    assert_eq!(p, params, "{filter}");
}

#[test]
fn equality_is_two_valued_where_it_matters() {
    verified(
        "status eq 'Pending'",
        "\"status\" = ?1",
        "\"status\" = $1::text",
        &[text("Pending")],
    );
    verified(
        "not (status eq 'Pending')",
        "NOT ((\"status\" = ?1 AND \"status\" IS NOT NULL))",
        "NOT ((\"status\" = $1::text AND \"status\" IS NOT NULL))",
        &[text("Pending")],
    );
    verified(
        "status ne 'Pending'",
        "(\"status\" <> ?1 OR \"status\" IS NULL)",
        "(\"status\" <> $1::text OR \"status\" IS NULL)",
        &[text("Pending")],
    );
    verified(
        "status eq null",
        "\"status\" IS NULL",
        "\"status\" IS NULL",
        &[],
    );
    verified(
        "null ne status",
        "\"status\" IS NOT NULL",
        "\"status\" IS NOT NULL",
        &[],
    );
    verified(
        "status eq requestor",
        "(\"status\" IS \"requestor\")",
        "(\"status\" IS NOT DISTINCT FROM \"requestor\")",
        &[],
    );
    verified("status lt null", "NULL", "CAST(NULL AS BOOLEAN)", &[]);
}

#[test]
fn ordering_flips_when_the_constant_is_on_the_left() {
    verified(
        "'b' lt status",
        "\"status\" > ?1",
        "\"status\" > $1::text",
        &[text("b")],
    );
}

#[test]
fn instants_compare_as_seconds_and_nanoseconds() {
    verified(
        "creationDateTimeUtc gt 2018-12-03T23:59:59.9999999-01:00",
        "(\"creationDateTimeUtc:seconds\", \"creationDateTimeUtc:nanos\") > (?1, ?2)",
        "(\"creationDateTimeUtc:seconds\", \"creationDateTimeUtc:nanos\") > ($1::bigint, $2::bigint)",
        &[int(1_543_885_199), int(999_999_900)],
    );
    verified(
        "creationDateTimeUtc eq 2018-12-04",
        "(\"creationDateTimeUtc:seconds\" = ?1 AND \"creationDateTimeUtc:nanos\" = ?2)",
        "(\"creationDateTimeUtc:seconds\" = $1::bigint AND \"creationDateTimeUtc:nanos\" = $2::bigint)",
        &[int(1_543_881_600), int(0)],
    );
    // Computed once by the evaluator, with the query's `now`.
    verified(
        "creationDateTimeUtc ge now() sub duration'P1D'",
        "(\"creationDateTimeUtc:seconds\", \"creationDateTimeUtc:nanos\") >= (?1, ?2)",
        "(\"creationDateTimeUtc:seconds\", \"creationDateTimeUtc:nanos\") >= ($1::bigint, $2::bigint)",
        &[int(1_796_169_600), int(0)],
    );
}

#[test]
fn in_lists_bind_each_value_and_hold_null_two_valued() {
    verified(
        "type in ('Isolate','Unisolate')",
        "\"type\" IN (?1, ?2)",
        "\"type\" IN ($1::text, $2::text)",
        &[text("Isolate"), text("Unisolate")],
    );
    verified(
        "not (type in ('Isolate',null))",
        "NOT (((\"type\" IN (?1) AND \"type\" IS NOT NULL) OR \"type\" IS NULL))",
        "NOT (((\"type\" IN ($1::text) AND \"type\" IS NOT NULL) OR \"type\" IS NULL))",
        &[text("Isolate")],
    );
}

#[test]
fn string_functions_use_positions_and_ranges_never_like() {
    verified(
        "contains(requestor,'50%25')",
        "instr(\"requestor\", ?1) > 0",
        "strpos(\"requestor\", $1::text) > 0",
        &[text("50%")],
    );
    verified(
        "startswith(machineId,'f46b')",
        "(\"machineId\" >= ?1 AND \"machineId\" < ?2)",
        "(\"machineId\" >= $1::text AND \"machineId\" < $2::text)",
        &[text("f46b"), text("f46c")],
    );
    verified(
        "endswith(requestor,'_b')",
        "substr(\"requestor\", -?1) = ?2",
        "right(\"requestor\", CAST($1::bigint AS INTEGER)) = $2::text",
        &[int(2), text("_b")],
    );
    verified(
        "tolower(requestor) eq 'admin'",
        "COALESCE(\"requestor:lower\", lower(\"requestor\")) = ?1",
        "COALESCE(\"requestor:lower\", lower(\"requestor\")) = $1::text",
        &[text("admin")],
    );
    verified(
        "length(id) gt 3",
        "length(\"id\") > ?1",
        "length(\"id\") > $1::bigint",
        &[int(3)],
    );
    verified(
        "indexof(id,'-') eq 8",
        "(instr(\"id\", ?1) - 1) = ?2",
        "(strpos(\"id\", $1::text) - 1) = $2::bigint",
        &[text("-"), int(8)],
    );
}

#[test]
fn text_with_u0000_matches_no_stored_value() {
    verified("status eq 'a%00'", "FALSE", "FALSE", &[]);
    verified(
        "status lt 'a%00b'",
        "\"status\" <= ?1",
        "\"status\" <= $1::text",
        &[text("a")],
    );
    verified(
        "contains(status,'%00')",
        "(\"status\" IS NULL AND NULL)",
        "(\"status\" IS NULL AND CAST(NULL AS BOOLEAN))",
        &[],
    );
}

#[test]
fn a_u0000_literal_under_not_binds_no_unused_parameter() {
    verified(
        "not (not ('a%00' eq id))",
        "NOT (NOT (FALSE))",
        "NOT (NOT (FALSE))",
        &[],
    );
}

#[test]
fn successor_skips_what_cannot_be_incremented() {
    assert_eq!(successor("ab").as_deref(), Some("ac"));
    assert_eq!(successor("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
    assert_eq!(successor("a\u{10FFFF}").as_deref(), Some("b"));
    assert_eq!(successor("\u{10FFFF}"), None);
    assert_eq!(successor(""), None);
}

#[test]
fn order_by_puts_nulls_where_the_evaluator_does_and_ties_in_load_order() {
    let query = check(
        "$orderby=status,creationDateTimeUtc desc",
        machine_actions(),
        &ParseOptions::default(),
    )
    .expect("valid");
    let sqlite = translate(&query, SqlDialect::Sqlite)
        .expect("translates")
        .rows
        .sql;
    assert!(sqlite.contains("ORDER BY \"status\" ASC, \"creationDateTimeUtc:seconds\" DESC, \"creationDateTimeUtc:nanos\" DESC, \"@seq\" ASC LIMIT ?1 OFFSET ?2"), "{sqlite}");
    let postgres = translate(&query, SqlDialect::Postgres)
        .expect("translates")
        .rows
        .sql;
    assert!(postgres.contains("ORDER BY \"status\" ASC NULLS FIRST, \"creationDateTimeUtc:seconds\" DESC NULLS LAST, \"creationDateTimeUtc:nanos\" DESC NULLS LAST, \"@seq\" ASC"), "{postgres}");
}
