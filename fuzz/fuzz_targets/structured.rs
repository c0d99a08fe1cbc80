//! Generated trees, not bytes: the input is read as the choices of the
//! generator the property tests use (`tests/support/generate.rs`), which
//! builds `$filter` trees and whole queries the parser can produce. Unlike
//! proptest's random bytes, libFuzzer steers the choices by coverage, and
//! the trees nest one level deeper. For each tree `f` and query `q`
//! around it, the round-trip laws must hold:
//! - `f`'s canonical text parses back to `f`: `parse_filter(&f.to_string()) == f`;
//! - rendering is idempotent: the tree read back renders the same text;
//! - `f`'s encoded form is a `$filter` value holding `f`:
//!   `parse("$filter=" + f.to_query_string())` has `f` as its filter;
//! - `q`'s encoded form parses back to `q`: `parse(&q.to_query_string()) == q`.
#![no_main]

#[path = "../../tests/support/generate.rs"]
mod generate;

use arbitrary::Unstructured;
use defender_odata::{parse, parse_filter};
use libfuzzer_sys::fuzz_target;

/// How deep generated expressions nest (operators, calls, lambdas): one
/// level deeper than the property tests go.
const MAX_DEPTH: u32 = generate::MAX_DEPTH + 1;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(filter) = generate::expr(&mut u, MAX_DEPTH) else {
        return;
    };

    // The canonical text parses back to the same tree, and rendering that
    // tree gives the same text.
    let human = filter.to_string();
    match parse_filter(&human) {
        Ok(back) => {
            assert_eq!(back, filter, "canonical text: {human:?}");
            assert_eq!(back.to_string(), human, "rendered twice");
        }
        Err(e) => panic!("canonical text rejected: {human:?}\ntree: {filter:?}\nerror: {e:?}"),
    }

    // The encoded expression is a `$filter` value.
    let encoded = format!("$filter={}", filter.to_query_string());
    match parse(&encoded) {
        Ok(q) => assert_eq!(q.filter.as_ref(), Some(&filter), "encoded: {encoded:?}"),
        Err(e) => panic!("encoded form rejected: {encoded:?}\nerror: {e:?}"),
    }

    // A whole query around the tree reads back from its encoded form.
    let Ok(q) = generate::query_around(&mut u, Some(filter)) else {
        return;
    };
    let text = q.to_query_string();
    match parse(&text) {
        Ok(back) => assert_eq!(back, q, "query: {text:?}"),
        Err(e) => panic!("query rejected: {text:?}\nerror: {e:?}"),
    }
});
