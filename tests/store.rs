//! The SQLite store: answers equal to the in-memory evaluator's over
//! generated actions and queries, values that would be SQL injection or
//! wildcards matched exactly, the load's guarantees (one transaction,
//! idempotent on `id`, `file:line:col` for a bad record), and the `load`,
//! `eval --db` and `sql` commands.

use std::path::PathBuf;

use defender_odata::eval::CompiledQuery;
use defender_odata::model::MachineAction;
use defender_odata::store::{translate, SqlDialect, Store, StoreError};
use defender_odata::{check, machine_actions, sample, Code, ParseOptions};
use proptest::prelude::*;

mod binary;
#[path = "support/differential.rs"]
mod differential;

use binary::run;
use differential::{
    actions, agree, agree_json, json_lines, lambda_query, machines, query, score_query,
    tricky_actions, tricky_query, vulnerabilities, TRICKY_FILTERS,
};

fn memory() -> Store {
    Store::open_or_create("sqlite::memory:").expect("an in-memory SQLite database")
}

/// A path under the target directory, unique to the test, not yet there.
fn fresh_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("store");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

fn ids_of(store: &mut Store, query: &str) -> Vec<String> {
    let validated = check(query, machine_actions(), &ParseOptions::default())
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    let response = store
        .answer(&validated)
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    response
        .value
        .iter()
        .map(|v| v["id"].as_str().unwrap_or("<none>").to_owned())
        .collect()
}

fn evaluator_ids(actions: &[MachineAction], query: &str) -> Vec<String> {
    let validated = check(query, machine_actions(), &ParseOptions::default())
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    CompiledQuery::<MachineAction>::compile(&validated)
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .run(actions.iter())
        .value
        .iter()
        .map(|v| v["id"].as_str().unwrap_or("<none>").to_owned())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn sqlite_answers_as_the_evaluator_does(
        actions in actions(),
        query in query(),
        page_size in prop_oneof![Just(10_000u64), 1u64..4],
    ) {
        agree(&mut memory(), &actions, &query, page_size)?;
    }

    /// `any`/`all` over a string collection (empty, null, absent, not an
    /// array, with null members), nested in `and`/`or`/`not`.
    #[test]
    fn sqlite_answers_lambdas_as_the_evaluator_does(
        machines in machines(),
        query in lambda_query(),
    ) {
        agree_json(&mut memory(), "Machines", &machines, &query)?;
    }

    /// `Edm.Double` columns: integers and doubles compared and ordered as
    /// the evaluator compares them.
    #[test]
    fn sqlite_answers_doubles_as_the_evaluator_does(
        vulnerabilities in vulnerabilities(),
        query in score_query(),
    ) {
        agree_json(&mut memory(), "Vulnerabilities", &vulnerabilities, &query)?;
    }

    /// No text of the query reaches the SQL: the SQL is made of keywords,
    /// the layout's quoted names, placeholders and numbers the translation
    /// writes itself.
    #[test]
    fn no_literal_text_reaches_the_sql(query in query()) {
        let validated = check(&query, machine_actions(), &ParseOptions::default())
            .map_err(|e| TestCaseError::fail(format!("{query}: {e}")))?;
        for dialect in [SqlDialect::Sqlite, SqlDialect::Postgres] {
            let translation = translate(&validated, dialect)
                .map_err(|e| TestCaseError::fail(format!("{query}: {e}")))?;
            let mut statements = vec![translation.rows];
            statements.extend(translation.count);
            for statement in statements {
                prop_assert!(!statement.sql.contains('\''), "{}", statement.sql);
                // Quoted identifiers must be the layout's; the rest is
                // keywords, functions, placeholders and numbers.
                let mut unquoted = String::new();
                let mut rest = statement.sql.as_str();
                while let Some(start) = rest.find('"') {
                    unquoted.push_str(&rest[..start]);
                    unquoted.push(' ');
                    let end = rest[start + 1..].find('"').expect("closed quote") + start + 1;
                    let name = &rest[start + 1..end];
                    prop_assert!(is_layout_name(name), "{} in {}", name, statement.sql);
                    rest = &rest[end + 1..];
                }
                unquoted.push_str(rest);
                for word in unquoted
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .filter(|w| !w.is_empty())
                {
                    prop_assert!(
                        SQL_WORDS.contains(&word) || word.bytes().all(|b| b.is_ascii_digit()),
                        "{} in {}",
                        word,
                        statement.sql
                    );
                }
            }
        }
    }
}

const SQL_WORDS: &[&str] = &[
    "SELECT", "COUNT", "FROM", "JOIN", "USING", "WHERE", "ORDER", "BY", "ASC", "DESC", "NULLS",
    "FIRST", "LAST", "LIMIT", "OFFSET", "AND", "OR", "NOT", "IS", "NULL", "TRUE", "FALSE", "IN",
    "CAST", "AS", "TEXT", "BOOLEAN", "INTEGER", "COALESCE", "CASE", "WHEN", "THEN", "ELSE", "END",
    "DISTINCT", "length", "instr", "strpos", "substr", "right", "lower", "upper", "text", "bigint",
    "boolean", "C",
];

fn is_layout_name(name: &str) -> bool {
    let base = name.split(':').next().unwrap_or_default();
    matches!(
        name,
        "machineactions" | "machineactions:doc" | "@doc" | "@seq" | "C"
    ) || ([
        "id",
        "type",
        "status",
        "machineId",
        "requestor",
        "creationDateTimeUtc",
    ]
    .contains(&base)
        && matches!(
            name.split_once(':').map(|(_, s)| s),
            None | Some("lower" | "upper" | "seconds" | "nanos")
        ))
}

// ---- values that SQL reads as more than values ----

#[test]
fn injection_wildcards_and_escapes_match_exactly_what_the_evaluator_matches() {
    let actions = tricky_actions();
    let mut store = memory();
    store
        .load::<MachineAction, _>([("tricky".to_owned(), json_lines(&actions).as_slice())])
        .expect("load");
    for (filter, expected) in TRICKY_FILTERS {
        let query = tricky_query(filter);
        let expected: Vec<String> = expected.iter().map(|s| String::from(*s)).collect();
        assert_eq!(
            evaluator_ids(&actions, &query),
            expected,
            "evaluator: {query}"
        );
        assert_eq!(ids_of(&mut store, &query), expected, "SQLite: {query}");
    }
    // The table is still there, with every row.
    assert_eq!(ids_of(&mut store, "$orderby=id").len(), actions.len());
}

#[test]
fn constructs_without_an_exact_translation_are_refused_with_their_span() {
    for (filter, construct) in [
        ("length(id) add 1 gt 2", "arithmetic"),
        ("substring(id,1) eq 'a'", "substring"),
        ("year(creationDateTimeUtc) eq 2018", "year"),
        (
            "tolower(trim(id)) eq 'a'",
            "tolower of anything but a property",
        ),
        ("matchesPattern(id,'^a')", "matchesPattern"),
    ] {
        let query = format!("$filter={filter}");
        let validated = check(&query, machine_actions(), &ParseOptions::default())
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        let error = translate(&validated, SqlDialect::Sqlite).expect_err(filter);
        assert_eq!(error.code(), Code::NotTranslatable, "{filter}");
        assert!(error.to_string().contains(construct), "{filter}: {error}");
        assert!(error.first().span().is_some(), "{filter}: no span");
        // The store refuses the same way, rather than answering otherwise.
        assert!(matches!(
            memory().answer(&validated),
            Err(StoreError::Rejected(_))
        ));
    }
}

// ---- loading ----

#[test]
fn loading_twice_changes_nothing_and_a_reloaded_id_keeps_its_place() {
    let actions = sample::example1();
    let lines = json_lines(&actions);
    let mut store = memory();
    for _ in 0..2 {
        store
            .load::<MachineAction, _>([("example1".to_owned(), lines.as_slice())])
            .expect("load");
    }
    let all = "$orderby=status&$count=true";
    let expected = CompiledQuery::<MachineAction>::compile(
        &check(all, machine_actions(), &ParseOptions::default()).expect("valid"),
    )
    .expect("compiles")
    .run(actions.iter());
    let validated = check(all, machine_actions(), &ParseOptions::default()).expect("valid");
    assert_eq!(
        store.answer(&validated).expect("answer").to_json(),
        expected.to_json()
    );
    // A changed record replaces its content, not its place among ties.
    let mut changed = actions[0].clone();
    changed.requestor = Some("someone-else@contoso.com".into());
    store
        .load::<MachineAction, _>([("change".to_owned(), json_lines(&[changed]).as_slice())])
        .expect("load");
    let response = store.answer(&validated).expect("answer");
    assert_eq!(response.count, Some(actions.len() as u64));
    let first_id = actions[0].id.clone().expect("an id");
    let row = response
        .value
        .iter()
        .find(|v| v["id"] == first_id.as_str())
        .expect("still there");
    assert_eq!(row["requestor"], "someone-else@contoso.com");
}

#[test]
fn a_bad_record_aborts_the_whole_load_with_its_place() {
    let path = fresh_path("bad-record.db");
    let url = format!("sqlite:{}", path.display());
    let good = json_lines(&sample::example1());
    let mut store = Store::open_or_create(&url).expect("create");
    store
        .load::<MachineAction, _>([("good".to_owned(), good.as_slice())])
        .expect("load");
    let bad = b"{\"id\":\"x1\",\"status\":\"Pending\"}\n{\"id\":\"x2\",\"status\":\"a\\u0000b\"}\n";
    let error = store
        .load::<MachineAction, _>([
            ("more".to_owned(), good.as_slice()),
            ("bad.jsonl".to_owned(), &bad[..]),
        ])
        .expect_err("refused");
    let message = error.to_string();
    assert!(message.starts_with("bad.jsonl:2:"), "{message}");
    assert!(message.contains("U+0000"), "{message}");
    let malformed = b"{\"id\":\"x3\"}\n{\"id\": oops}\n";
    let error = store
        .load::<MachineAction, _>([("malformed.jsonl".to_owned(), &malformed[..])])
        .expect_err("refused");
    assert!(
        error.to_string().starts_with("malformed.jsonl:2:"),
        "{error}"
    );
    // Nothing of either failed load is stored.
    let mut reopened = Store::open(&url).expect("open");
    assert_eq!(ids_of(&mut reopened, "$count=true").len(), 3);
    assert!(ids_of(&mut reopened, "$filter=id eq 'x1'").is_empty());
}

#[test]
fn a_failed_first_load_leaves_no_database_file() {
    let path = fresh_path("never.db");
    let url = format!("sqlite:{}", path.display());
    let r = run(&["load", "--db", &url, "/nonexistent/actions.json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        !path.exists(),
        "the missing file must be found before the database is made"
    );
    let data = fresh_path("bad.json");
    std::fs::write(&data, "[{\"id\":\"a\"},{\"id\":7}]").expect("write");
    let r = run(&["load", "--db", &url, data.to_str().expect("UTF-8 path")]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("bad.json:1:"), "{}", r.stderr);
    assert!(
        !path.exists(),
        "a failed first load removes the file it created"
    );
}

#[test]
fn eval_db_prints_what_eval_data_prints_byte_for_byte() {
    let path = fresh_path("cli.db");
    let url = format!("sqlite:{}", path.display());
    let data = fresh_path("example1.jsonl");
    std::fs::write(&data, json_lines(&sample::example1())).expect("write");
    let data = data.to_str().expect("UTF-8 path");
    let r = run(&["load", "--db", &url, data]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("loaded 3 records"), "{}", r.stderr);
    for query in [
        "$filter=machineId eq 'f46b9bb259ed4a7fb9981b73510e3cc7aa81ec1f'&$top=2",
        "$orderby=type desc&$select=id,type,creationDateTimeUtc&$count=true",
        "$filter=startswith(tolower(requestor),'ADMIN') or status in ('Pending',null)",
        "$skip=1",
    ] {
        let from_db = run(&["eval", "--db", &url, query]);
        let from_file = run(&["eval", "--data", data, query]);
        assert_eq!(from_db.code, 0, "{query}: {}", from_db.stderr);
        assert_eq!(from_db.stdout, from_file.stdout, "{query}");
    }
    // A query the database cannot answer exactly is rejected (exit 1).
    let r = run(&[
        "eval",
        "--db",
        &url,
        "$filter=year(creationDateTimeUtc) eq 2018",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("NotTranslatable"), "{}", r.stderr);
    // A database that was never loaded is an error, not an empty answer.
    let empty = fresh_path("empty.db");
    std::fs::write(&empty, b"").expect("an empty file is an empty SQLite database");
    let r = run(&[
        "eval",
        "--db",
        &format!("sqlite:{}", empty.display()),
        "$top=1",
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("load some first"), "{}", r.stderr);
}

#[test]
fn sql_prints_the_statement_and_its_parameters() {
    let r = run(&[
        "sql",
        "--dialect",
        "postgres",
        "$filter=machineId eq 'f46b''9' and contains(requestor,'50%25')&$top=10&$count=true",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("SELECT \"machineactions:doc\".\"@doc\" FROM \"machineactions\" JOIN \"machineactions:doc\" USING (\"@seq\") WHERE"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("strpos(\"requestor\", $2::text) > 0"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("-- 1 = \"f46b'9\""), "{}", r.stdout);
    assert!(r.stdout.contains("-- 2 = \"50%\""), "{}", r.stdout);
    assert!(r.stdout.contains("SELECT COUNT(*)"), "{}", r.stdout);
    let r = run(&["sql", "--dialect", "oracle", "$top=1"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn every_entity_set_loads_and_answers_from_the_database_as_from_its_file() {
    let path = fresh_path("machines.db");
    let url = format!("sqlite:{}", path.display());
    let data = fresh_path("machines.jsonl");
    let machines = [
        r#"{"id":"m1","computerDnsName":"mymachine1.contoso.com","riskScore":"High","machineTags":["test tag 1","ExampleTag"],"lastSeen":"2018-08-02T14:55:03.7791856Z","extra":{"kept":[1,2]}}"#,
        r#"{"id":"m2","computerDnsName":"other","riskScore":"Low","machineTags":[],"lastSeen":"2018-07-30T00:00:00Z"}"#,
        r#"{"id":"m3","computerDnsName":"MYMACHINE3","riskScore":null,"machineTags":null}"#,
        r#"{"id":"m4","computerDnsName":"mymachine4","machineTags":["ExampleTag",null]}"#,
    ];
    std::fs::write(&data, machines.join("\n")).expect("write");
    let data = data.to_str().expect("UTF-8 path");
    let r = run(&["load", "--db", &url, "--entity", "machines", data]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("loaded 4 records"), "{}", r.stderr);
    for query in [
        "/api/machines?$filter=machineTags/any(tag: tag eq 'ExampleTag')",
        "/api/machines?$filter=machineTags/all(tag: tag ne null)&$count=true",
        "/api/machines?$filter=not machineTags/any()",
        "/api/machines?$filter=not machineTags/all(t: startswith(t,'test'))",
        "/api/machines?$filter=startswith(computerDnsName,'mymachine')",
        "/api/machines?$filter=riskScore eq 'High' or lastSeen gt 2018-08-01Z",
        "/api/machines?$orderby=computerDnsName desc&$top=3",
    ] {
        let from_db = run(&["eval", "--db", &url, query]);
        let from_file = run(&["eval", "--data", data, query]);
        assert_eq!(from_db.code, 0, "{query}: {}", from_db.stderr);
        assert_eq!(from_file.code, 0, "{query}: {}", from_file.stderr);
        assert_eq!(from_db.stdout, from_file.stdout, "{query}");
    }
    // A navigation and a count, from the docs' alerts.
    let alerts = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/defender/alerts.json"
    );
    let r = run(&["load", "--db", &url, "--entity", "alerts", alerts]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for query in [
        "/api/machines/111e6dd8c833c8a052ea231ec1b19adaf497b625/alerts?$expand=evidence",
        "/api/machines/111e6dd8c833c8a052ea231ec1b19adaf497b625/alerts/$count",
        "/api/machines/nope/alerts",
        "/api/alerts/$count?$filter=status ne 'Resolved'",
    ] {
        let from_db = run(&["eval", "--db", &url, query]);
        let from_file = run(&["eval", "--data", alerts, query]);
        assert_eq!(from_db.code, 0, "{query}: {}", from_db.stderr);
        assert_eq!(from_db.stdout, from_file.stdout, "{query}");
    }
    // Unknown members come back as they were loaded.
    let r = run(&["eval", "--db", &url, "/api/machines?$filter=id eq 'm1'"]);
    assert!(r.stdout.contains(r#""extra": {"#), "{}", r.stdout);
    // A set the database does not hold is an error, not an empty answer.
    let r = run(&["eval", "--db", &url, "/api/indicators?$top=1"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("load some first"), "{}", r.stderr);
}

#[test]
fn a_string_collection_with_a_member_of_another_type_is_refused_at_its_place() {
    let schema = defender_odata::schema::entity_set_named("Machines").expect("Machines");
    let mut store = memory();
    let data =
        b"{\"id\":\"m1\",\"machineTags\":[\"a\"]}\n{\"id\":\"m2\",\"machineTags\":[\"a\",3]}\n";
    let error = store
        .load_json(schema, [("tags.jsonl".to_owned(), &data[..])])
        .expect_err("refused");
    let message = error.to_string();
    assert!(message.starts_with("tags.jsonl:2:"), "{message}");
    assert!(
        message.contains("a member of 'machineTags' is not Edm.String"),
        "{message}"
    );
    let data = b"{\"id\":\"m3\",\"computerDnsName\":7}";
    let error = store
        .load_json(schema, [("name.json".to_owned(), &data[..])])
        .expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("'computerDnsName' is not Edm.String"),
        "{error}"
    );
}

#[test]
fn a_lambda_is_an_exists_over_the_members_in_both_dialects() {
    let schema = defender_odata::schema::entity_set_named("Machines").expect("Machines");
    let query = check(
        "$filter=machineTags/any(tag: tag eq 'ExampleTag')",
        schema,
        &ParseOptions::default(),
    )
    .expect("valid");
    let sqlite = translate(&query, SqlDialect::Sqlite).expect("translates");
    assert!(
        sqlite
            .rows
            .sql
            .contains("EXISTS (SELECT 1 FROM json_each(\"machineTags\") AS \"member\" WHERE \"member\".\"value\" = ?1)"),
        "{}",
        sqlite.rows.sql
    );
    let postgres = translate(&query, SqlDialect::Postgres).expect("translates");
    assert!(
        postgres
            .rows
            .sql
            .contains("jsonb_array_elements_text(CAST(\"machineTags\" AS jsonb))"),
        "{}",
        postgres.rows.sql
    );
    // A body reading the entity is not a lambda the SQL answers.
    let outer = check(
        "$filter=machineTags/any(tag: tag eq computerDnsName)",
        schema,
        &ParseOptions::default(),
    )
    .expect("valid");
    let error = translate(&outer, SqlDialect::Sqlite).expect_err("refused");
    assert_eq!(error.diagnostics()[0].code, Code::NotTranslatable);
}

#[test]
fn a_double_column_refuses_what_a_double_cannot_hold_exactly() {
    let schema =
        defender_odata::schema::entity_set_named("Vulnerabilities").expect("Vulnerabilities");
    let query = |text: &str| check(text, schema, &ParseOptions::default()).expect("valid");
    // 2^53 + 1 is no double: the evaluator compares it exactly, SQL could not.
    let error = translate(
        &query("$filter=cvssV3 eq 9007199254740993"),
        SqlDialect::Sqlite,
    )
    .expect_err("refused");
    assert_eq!(error.diagnostics()[0].code, Code::NotTranslatable);
    assert!(translate(
        &query("$filter=cvssV3 ge 9007199254740992"),
        SqlDialect::Sqlite
    )
    .is_ok());
    let mut store = memory();
    let data =
        b"{\"id\":\"CVE-1\",\"cvssV3\":9.8}\n{\"id\":\"CVE-2\",\"cvssV3\":9007199254740993}\n";
    let error = store
        .load_json(schema, [("scores.jsonl".to_owned(), &data[..])])
        .expect_err("refused");
    let message = error.to_string();
    assert!(message.starts_with("scores.jsonl:2:"), "{message}");
    assert!(message.contains("beyond 2^53"), "{message}");
}
