//! The PostgreSQL store against a real server: the SQLite suite's
//! differential property test, injection cases and load guarantees, on a
//! database whose default collation is not code point order.
//!
//! Needs a server: `DEFENDER_ODATA_POSTGRES_URL` (a role that may create
//! databases). `scripts/with-postgres` starts a throwaway one:
//!
//! ```text
//! scripts/with-postgres cargo test --features postgres --test postgres
//! ```
//!
//! Without the variable every test fails, saying so: a suite that skips
//! itself would pass without testing anything.

use std::cell::RefCell;

use defender_odata::eval::CompiledQuery;
use defender_odata::model::{MachineAction, Timestamp};
use defender_odata::store::{SqlDialect, Store};
use defender_odata::{check, machine_actions, sample, ParseOptions};
use proptest::prelude::*;

#[path = "support/differential.rs"]
mod differential;

use differential::{
    actions, agree, agree_json, json_lines, lambda_query, machines, query, score_query,
    tricky_actions, tricky_query, vulnerabilities, TRICKY_FILTERS,
};

fn server_url() -> String {
    std::env::var("DEFENDER_ODATA_POSTGRES_URL").expect(
        "DEFENDER_ODATA_POSTGRES_URL must name a PostgreSQL server: \
         run `scripts/with-postgres cargo test --features postgres --test postgres`",
    )
}

/// A new, empty database called `defender_odata_{name}`, and its URL.
fn fresh_database(name: &str) -> String {
    let url = server_url();
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("the server answers");
    let database = format!("defender_odata_{name}");
    // Two statements: neither may run inside a transaction block.
    for statement in [
        format!("DROP DATABASE IF EXISTS {database}"),
        format!("CREATE DATABASE {database}"),
    ] {
        admin.batch_execute(&statement).expect("a fresh database");
    }
    let (base, _) = url.rsplit_once('/').expect("a database in the URL");
    format!("{base}/{database}")
}

fn ids(store: &mut Store, query: &str) -> Vec<String> {
    let validated = check(query, machine_actions(), &ParseOptions::default())
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    store
        .answer(&validated)
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .value
        .iter()
        .map(|v| v["id"].as_str().unwrap_or("<none>").to_owned())
        .collect()
}

#[test]
fn postgres_answers_as_the_evaluator_does() {
    let url = fresh_database("differential");
    let store = Store::open(&url).expect("connects");
    assert_eq!(store.dialect(), SqlDialect::Postgres);
    let admin = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
    // The runner takes a `Fn`: the connections are borrowed per case.
    let (store, admin) = (RefCell::new(store), RefCell::new(admin));
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(2000));
    let strategy = (actions(), query(), prop_oneof![Just(10_000u64), 1u64..4]);
    runner
        .run(&strategy, |(actions, query, page_size)| {
            // Each case starts from an empty table (the first creates it).
            let _ = admin
                .borrow_mut()
                .batch_execute("TRUNCATE \"machineactions\"");
            agree(&mut store.borrow_mut(), &actions, &query, page_size)
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Runs the JSON-object differential test of `set` over `cases` generated
/// `(entities, query)` pairs, in a fresh database called `name`.
fn json_differential(
    name: &str,
    set: &str,
    cases: impl Strategy<Value = (Vec<serde_json::Value>, String)>,
) {
    let url = fresh_database(name);
    let store = Store::open(&url).expect("connects");
    let admin = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
    let (store, admin) = (RefCell::new(store), RefCell::new(admin));
    let truncate = format!("TRUNCATE \"{}\"", set.to_ascii_lowercase());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(1000));
    runner
        .run(&cases, |(entities, query)| {
            let _ = admin.borrow_mut().batch_execute(&truncate);
            agree_json(&mut store.borrow_mut(), set, &entities, &query)
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn postgres_answers_lambdas_as_the_evaluator_does() {
    json_differential("lambdas", "Machines", (machines(), lambda_query()));
}

#[test]
fn postgres_answers_doubles_as_the_evaluator_does() {
    json_differential(
        "doubles",
        "Vulnerabilities",
        (vulnerabilities(), score_query()),
    );
}

#[test]
fn injection_wildcards_and_escapes_match_exactly_what_the_evaluator_matches() {
    let url = fresh_database("injection");
    let actions = tricky_actions();
    let mut store = Store::open(&url).expect("connects");
    store
        .load::<MachineAction, _>([("tricky".to_owned(), json_lines(&actions).as_slice())])
        .expect("load");
    for (filter, expected) in TRICKY_FILTERS {
        let query = tricky_query(filter);
        let evaluator: Vec<String> = CompiledQuery::<MachineAction>::compile(
            &check(&query, machine_actions(), &ParseOptions::default()).expect("valid"),
        )
        .expect("compiles")
        .run(actions.iter())
        .value
        .iter()
        .map(|v| v["id"].as_str().unwrap_or_default().to_owned())
        .collect();
        assert_eq!(evaluator, *expected, "evaluator: {query}");
        assert_eq!(ids(&mut store, &query), *expected, "PostgreSQL: {query}");
    }
    assert_eq!(ids(&mut store, "$orderby=id").len(), actions.len());
}

#[test]
fn seven_fraction_digits_stay_distinct_and_offsets_do_not_matter() {
    let url = fresh_database("instants");
    let at = |id: &str, t: &str| MachineAction {
        id: Some(id.into()),
        creation_date_time_utc: Some(Timestamp::parse(t).expect("an instant")),
        ..MachineAction::default()
    };
    let actions = [
        at("seven", "2018-12-03T23:59:59.9999999Z"),
        at("six", "2018-12-03T23:59:59.999999Z"),
        at("offset", "2018-12-04T01:59:59.9999999+02:00"),
    ];
    let mut store = Store::open(&url).expect("connects");
    store
        .load::<MachineAction, _>([("instants".to_owned(), json_lines(&actions).as_slice())])
        .expect("load");
    assert_eq!(
        ids(
            &mut store,
            "$filter=creationDateTimeUtc eq 2018-12-03T23:59:59.9999999Z"
        ),
        ["seven", "offset"]
    );
    assert_eq!(
        ids(
            &mut store,
            "$filter=creationDateTimeUtc lt 2018-12-03T23:59:59.9999999Z"
        ),
        ["six"]
    );
    // The text comes back as it was written.
    let validated = check(
        "$filter=id eq 'offset'",
        machine_actions(),
        &ParseOptions::default(),
    )
    .expect("valid");
    let response = store.answer(&validated).expect("answer");
    assert_eq!(
        response.value[0]["creationDateTimeUtc"],
        "2018-12-04T01:59:59.9999999+02:00"
    );
}

#[test]
fn loading_is_one_transaction_and_idempotent_on_id() {
    let url = fresh_database("load");
    let good = json_lines(&sample::example1());
    let mut store = Store::open(&url).expect("connects");
    for _ in 0..2 {
        store
            .load::<MachineAction, _>([("example1".to_owned(), good.as_slice())])
            .expect("load");
    }
    assert_eq!(ids(&mut store, "$count=true").len(), 3);
    let bad = b"{\"id\":\"x1\"}\n{\"id\":\"x2\",\"status\":\"a\\u0000b\"}\n";
    let error = store
        .load::<MachineAction, _>([("bad.jsonl".to_owned(), &bad[..])])
        .expect_err("refused");
    assert!(error.to_string().starts_with("bad.jsonl:2:"), "{error}");
    assert!(ids(&mut store, "$filter=id eq 'x1'").is_empty());
    assert_eq!(ids(&mut store, "$count=true").len(), 3);
}
