//! Arbitrary bytes into `defender_odata::parse` (SPEC §2, §10).
//!
//! Checks: parsing never panics; an accepted query survives its canonical
//! encoded form: `parse(q.to_query_string()) == q` and the second rendering
//! equals the first (SPEC §7, law 2 and idempotence). Bytes that are not
//! UTF-8 are skipped: `parse` takes `&str`, so they cannot reach it.
#![no_main]

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
    let Ok(query) = defender_odata::parse(text) else {
        return;
    };
    if renders_as_url(&query) {
        return;
    }
    let once = query.to_query_string();
    let reparsed = match defender_odata::parse(&once) {
        Ok(q) => q,
        Err(e) => {
            panic!("canonical form rejected\ninput: {text:?}\ncanonical: {once:?}\nerror: {e:?}")
        }
    };
    assert_eq!(reparsed, query, "input: {text:?}\ncanonical: {once:?}");
    assert_eq!(reparsed.to_query_string(), once, "input: {text:?}");
});
