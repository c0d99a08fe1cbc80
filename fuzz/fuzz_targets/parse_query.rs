//! Arbitrary bytes into `defender_odata::parse`.
//!
//! Checks: parsing, and reading what a URL's path addresses, never panic
//! (an error's span lies on character boundaries of the input); an
//! accepted query survives its canonical
//! encoded form: `parse(q.to_query_string()) == q` and the second rendering
//! equals the first (the round-trip law, and idempotence). Bytes that are not
//! UTF-8 are skipped: `parse` takes `&str`, so they cannot reach it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(error) = defender_odata::addressed(text) {
        for diagnostic in error.diagnostics() {
            if let Some(span) = diagnostic.span() {
                assert!(text.get(span.start..span.end).is_some(), "{text:?}: {span:?}");
            }
        }
    }
    let Ok(query) = defender_odata::parse(text) else {
        return;
    };
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
