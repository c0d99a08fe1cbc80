//! Arbitrary bytes into `defender_odata::parse_filter`.
//!
//! Checks: parsing never panics; an accepted expression survives its
//! canonical human form: `parse_filter(f.to_string()) == f` and the second
//! rendering equals the first (the round-trip law, and idempotence).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(expr) = defender_odata::parse_filter(text) else {
        return;
    };
    let once = expr.to_string();
    let reparsed = match defender_odata::parse_filter(&once) {
        Ok(e) => e,
        Err(e) => {
            panic!("canonical form rejected\ninput: {text:?}\ncanonical: {once:?}\nerror: {e:?}")
        }
    };
    assert_eq!(reparsed, expr, "input: {text:?}\ncanonical: {once:?}");
    assert_eq!(reparsed.to_string(), once, "input: {text:?}");
});
