//! Arbitrary bytes through the whole server pipeline: parse, validate
//! against the built-in MachineAction schema, compile and evaluate
//! over a fixed small dataset, the docs' Example 1, and translate to SQL.
//!
//! Checks: nothing panics; whatever validates, the evaluator compiles and
//! runs (validation refuses everything evaluation would); a query that
//! validates has a canonical form that parses, validates again and renders
//! the same (what `check` prints can be sent back as it is); the response
//! never holds more entities than the data, `$top`, or the matches counted
//! by `$count`; the SQL translation succeeds or refuses with
//! `NotTranslatable`, and no text of the query reaches the SQL unquoted.
#![no_main]

use std::sync::OnceLock;

use defender_odata::eval::CompiledQuery;
use defender_odata::model::MachineAction;
use defender_odata::store::{translate, SqlDialect};
use defender_odata::{machine_actions, parse, sample, validate, Code};
use libfuzzer_sys::fuzz_target;

/// Example 1 is parsed from JSON once, not on every input.
fn dataset() -> &'static [MachineAction] {
    static DATA: OnceLock<Vec<MachineAction>> = OnceLock::new();
    DATA.get_or_init(sample::example1)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(query) = parse(text) else {
        return;
    };
    let Ok(validated) = validate(&query, machine_actions()) else {
        return;
    };
    let response = match CompiledQuery::<MachineAction>::compile(&validated) {
        Ok(compiled) => Some(compiled.run(dataset())),
        Err(error) => panic!("validated, yet not evaluated\ninput: {text:?}\nerror: {error}"),
    };
    if let Some(response) = &response {
        let shown = response.value.len() as u64;
        assert!(shown <= dataset().len() as u64, "input: {text:?}");
        if let Some(top) = validated.query().top {
            assert!(shown <= top.unsigned_abs(), "input: {text:?}");
        }
        if let Some(count) = response.count {
            assert!(
                count <= dataset().len() as u64 && shown <= count,
                "input: {text:?}"
            );
        }
    }

    for dialect in [SqlDialect::Sqlite, SqlDialect::Postgres] {
        match translate(&validated, dialect) {
            Ok(sql) => assert!(!sql.rows.sql.contains('\''), "input: {text:?}\nsql: {}", sql.rows.sql),
            Err(e) => assert_eq!(e.code(), Code::NotTranslatable, "input: {text:?}\nerror: {e}"),
        }
    }

    let canonical = validated.to_query_string();
    let again = match parse(&canonical)
        .map_err(|e| format!("{e:?}"))
        .and_then(|q| validate(&q, machine_actions()).map_err(|e| format!("{e:?}")))
    {
        Ok(v) => v,
        Err(e) => {
            panic!("canonical form rejected\ninput: {text:?}\ncanonical: {canonical:?}\nerror: {e}")
        }
    };
    assert_eq!(again.to_query_string(), canonical, "input: {text:?}");
    // The canonical form answers the same. (`now()` could tick between the
    // two runs; filters that call it are left out of this comparison.)
    if !canonical.contains("now()") {
        let again_response = CompiledQuery::<MachineAction>::compile(&again)
            .ok()
            .map(|compiled| compiled.run(dataset()));
        assert_eq!(
            again_response.map(|r| r.to_json()),
            response.map(|r| r.to_json()),
            "input: {text:?}\ncanonical: {canonical:?}"
        );
    }
});
