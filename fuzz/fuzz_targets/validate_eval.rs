//! Arbitrary bytes through the client/server pipeline: parse, validate
//! against the built-in MachineAction schema (SPEC §5).
//!
//! Checks: nothing panics; a query that validates has a canonical form that
//! parses, validates again and renders the same (what `check` prints can be
//! sent back as it is).
#![no_main]

use defender_odata::{machine_actions, parse, validate};
use libfuzzer_sys::fuzz_target;

/// Known issue, reported and not ours to fix (src/render.rs): a query whose
/// first rendered option is a custom option named `/…` or `scheme://…`
/// renders to text that `parse` reads as a URL (SPEC §2 decision in
/// `query_range`), so its options vanish: `\0?/'` → canonical `/'` →
/// empty query. Skipped so the fuzzer explores past it; the regression
/// test waits for the fix (see tests/regressions.rs).
fn renders_as_url(query: &defender_odata::Query) -> bool {
    let system = query.filter.is_some()
        || query.count.is_some()
        || query.orderby.is_some()
        || query.skip.is_some()
        || query.top.is_some()
        || query.select.is_some();
    !system
        && query
            .custom
            .first()
            .is_some_and(|c| c.name.starts_with('/') || c.name.contains("://"))
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
    if renders_as_url(validated.query()) {
        return;
    }
    let canonical = validated.to_query_string();
    let again = parse(&canonical)
        .map_err(|e| format!("{e:?}"))
        .and_then(|q| validate(&q, machine_actions()).map_err(|e| format!("{e:?}")));
    match again {
        Ok(v) => assert_eq!(v.to_query_string(), canonical, "input: {text:?}"),
        Err(e) => {
            panic!("canonical form rejected\ninput: {text:?}\ncanonical: {canonical:?}\nerror: {e}")
        }
    }
});
