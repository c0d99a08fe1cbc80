//! The `defender-odata` binary: outputs, streams and exit codes.

use serde_json::Value;

mod binary;
use binary::run;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

// ---- parse ----

#[test]
fn parse_prints_the_canonical_form_of_the_docs_example() {
    let r = run(&[
        "parse",
        "$TOP=2&$filter=MachineId+eq+'F46B'and(Status eq 'Succeeded')",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "$filter=MachineId eq 'F46B' and Status eq 'Succeeded'&$top=2\n"
    );
    assert_eq!(r.stderr, "");
}

#[test]
fn parse_reads_urls_and_encoded_text() {
    let r = run(&[
        "parse",
        "https://api.securitycenter.microsoft.com/api/machineactions?$filter=status%20eq%20%27Pending%27&$top=10#frag",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "$filter=status eq 'Pending'&$top=10\n");
}

#[test]
fn parse_json_success_has_canonical_and_warnings() {
    let r = run(&["parse", "--json", "top=2&$Count=TRUE"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let body = json(&r.stdout);
    assert_eq!(body["canonical"], "$count=true&$top=2");
    assert_eq!(body["warnings"], Value::Array(vec![]));
    assert_eq!(r.stderr, "");
}

#[test]
fn a_rejected_query_exits_1_with_a_caret_on_stderr() {
    let r = run(&["parse", "$top=abc"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("error[InvalidTop]"), "{}", r.stderr);
    assert!(r.stderr.contains("(in $top)"), "{}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert!(lines.contains(&"   | abc"), "{}", r.stderr);
    assert!(lines.contains(&"   | ^^^"), "{}", r.stderr);
}

#[test]
fn every_problem_is_shown_not_only_the_first() {
    let r = run(&["parse", "$stop=2&$skip=-1&$search=x"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error[UnknownOption]"), "{}", r.stderr);
    assert!(r.stderr.contains("did you mean '$top'?"), "{}", r.stderr);
    assert!(r.stderr.contains("error[InvalidSkip]"), "{}", r.stderr);
    assert!(
        r.stderr.contains("error[UnsupportedOption]"),
        "{}",
        r.stderr
    );
}

#[test]
fn filter_errors_draw_the_caret_under_the_decoded_value() {
    let r = run(&["parse", "$filter=status+eq+'Pending'+and"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("(in $filter)"), "{}", r.stderr);
    assert!(
        r.stderr.contains("   | status eq 'Pending' and"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains('^'), "{}", r.stderr);
}

#[test]
fn parse_json_failure_prints_the_odata_error_body_on_stdout() {
    let r = run(&["parse", "--json", "$top=1&top=2&$count=maybe"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "");
    let body = json(&r.stdout);
    assert_eq!(body["error"]["code"], "ODataError");
    let details = body["error"]["details"].as_array().expect("details");
    assert_eq!(details.len(), 2);
    assert_eq!(details[0]["code"], "DuplicateOption");
    assert_eq!(details[0]["target"], "$top");
    assert_eq!(details[0]["span"], serde_json::json!([7, 10]));
    assert_eq!(details[1]["code"], "InvalidLiteral");
    assert_eq!(details[1]["target"], "$count");
}

#[test]
fn strict_keeps_plus_and_rejects_surrounding_whitespace() {
    let defender = run(&["parse", "$top=+5"]);
    assert_eq!(defender.code, 0, "{}", defender.stderr);
    assert_eq!(defender.stdout, "$top=5\n");
    let strict = run(&["parse", "--strict", "$top=+5"]);
    assert_eq!(strict.code, 1);
    assert!(
        strict.stderr.contains("error[InvalidTop]"),
        "{}",
        strict.stderr
    );
    let strict = run(&["parse", "--strict", "$filter=a eq 'x'and b eq 'y'"]);
    assert_eq!(strict.code, 1, "{}", strict.stdout);
    assert!(strict.stderr.contains("error[Syntax]"), "{}", strict.stderr);
}

// ---- --expr ----

#[test]
fn expr_is_one_filter_value_printed_without_the_option_name() {
    let r = run(&["parse", "--expr", "status eq 'Pending'"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "status eq 'Pending'\n");
    // Decoded (and `+` is a space), but not split on `&`.
    let r = run(&["parse", "--expr", "title+eq+'a%26b&c'"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "title eq 'a&b&c'\n");
    let r = run(&["parse", "--json", "--expr", "(status eq 'Pending')"]);
    assert_eq!(json(&r.stdout)["canonical"], "status eq 'Pending'");
}

#[test]
fn expr_errors_are_in_filter() {
    let r = run(&["parse", "--expr", "status eq %FF"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error[InvalidEncoding]"), "{}", r.stderr);
    assert!(r.stderr.contains("(in $filter)"), "{}", r.stderr);
    let r = run(&["parse", "--json", "--expr", "status eq"]);
    assert_eq!(r.code, 1);
    assert_eq!(json(&r.stdout)["error"]["details"][0]["target"], "$filter");
}

#[test]
fn strict_expr_keeps_plus() {
    // In Defender `+` is a space; in Strict it stays `+`, which is no operator.
    let r = run(&["parse", "--expr", "x+eq+1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "x eq 1\n");
    let r = run(&["parse", "--strict", "--expr", "x+eq+1"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("   | x+eq+1"), "{}", r.stderr);
}

#[test]
fn a_query_starting_with_a_dash_follows_double_dash() {
    let r = run(&["parse", "--expr", "--", "-x lt 0"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "-x lt 0\n");
    let r = run(&["parse", "--", "-custom=1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "-custom=1\n");
    let r = run(&["parse", "-custom=1"]);
    assert_eq!(r.code, 2);
}

// ---- explain ----

#[test]
fn explain_prints_the_tree() {
    let r = run(&["explain", "$filter=status eq 'Pending'&$top=2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "$filter\n  eq [0..19]\n    path status [0..6]\n    string 'Pending' [10..19]\n$top 2\n"
    );
}

#[test]
fn explain_expr_prints_the_filter_tree_alone() {
    let r = run(&["explain", "--expr", "not+startswith(name,'d')"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "not [0..24]\n  call startswith [4..24]\n    path name [15..19]\n    string 'd' [20..23]\n"
    );
}

#[test]
fn explain_rejects_as_parse_does() {
    let r = run(&["explain", "--strict", "$top= 1"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("error[InvalidTop]"), "{}", r.stderr);
    assert!(r.stderr.contains('^'), "{}", r.stderr);
}

// ---- usage ----

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["parse"][..],
        &["frobnicate", "x"][..],
        &["parse", "--bogus", "x"][..],
        &["eval", "--bogus", "x"][..],
        &["parse", "a", "b"][..],
    ] {
        let r = run(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(!r.stderr.is_empty(), "{args:?}");
        assert_eq!(r.stdout, "", "{args:?}");
    }
}

#[test]
fn help_exits_0() {
    let r = run(&["--help"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("parse"));
    assert!(r.stdout.contains("explain"));
    let r = run(&["parse", "--help"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("--expr"));
}

// ---- input a script gives ----

fn args(list: &[&str]) -> Vec<std::ffi::OsString> {
    list.iter().map(std::ffi::OsString::from).collect()
}

/// `-` reads the query from standard input, a trailing newline dropped, so
/// a query over the OS's argument limit can still be given.
#[test]
fn a_dash_reads_the_query_from_stdin() {
    let r = binary::run_os(
        &args(&["check", "-"]),
        b"$top=2&$filter=Status eq 'Pending'\n",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "$filter=status eq 'Pending'&$top=2\n");
    let r = binary::run_os(&args(&["parse", "--expr", "-"]), b"a eq 'x'\r\n");
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "a eq 'x'\n"),
        "{}",
        r.stderr
    );
    // A long query: stdin has no argument-length limit of its own.
    let long = format!("$filter={}", vec!["status eq 'Pending'"; 200].join(" or "));
    let r = binary::run_os(&args(&["parse", "-"]), long.as_bytes());
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// Standard input is read only up to the length limit: more is refused
/// with `TooLong`, without reading the rest.
#[test]
fn stdin_over_the_length_limit_is_too_long() {
    let huge = vec![b'a'; 1 << 24];
    let r = binary::run_os(&args(&["check", "--json", "-"]), &huge);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(json(&r.stdout)["error"]["details"][0]["code"], "TooLong");
}

/// Bytes that are not UTF-8, in the argument or on stdin, are refused with
/// `InvalidEncoding` and a span, not with a usage error.
#[cfg(unix)]
#[test]
fn non_utf8_query_bytes_are_invalid_encoding() {
    use std::os::unix::ffi::OsStringExt;
    let bad = std::ffi::OsString::from_vec(b"$top=5\xff".to_vec());
    let r = binary::run_os(
        &[std::ffi::OsString::from("check"), "--json".into(), bad],
        b"",
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let detail = &json(&r.stdout)["error"]["details"][0];
    assert_eq!(detail["code"], "InvalidEncoding");
    assert_eq!(detail["span"], serde_json::json!([6, 9]));
    let r = binary::run_os(&args(&["parse", "-"]), b"$top=\xc3");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("InvalidEncoding"), "{}", r.stderr);
}

#[test]
fn eval_json_prints_the_error_body_of_a_rejected_query() {
    let r = run(&["eval", "--json", "$filter=stauts eq 'Pending'"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "");
    let body = json(&r.stdout);
    assert_eq!(body["error"]["code"], "ODataError");
    assert_eq!(body["error"]["details"][0]["code"], "UnknownProperty");
}

#[test]
fn explain_json_prints_the_tree() {
    let r = run(&["explain", "--json", "$filter=status eq 'Pending'&$top=2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let tree = json(&r.stdout);
    assert_eq!(tree["top"], 2);
    assert_eq!(tree["filter"]["op"], "eq");
    assert_eq!(tree["filter"]["operands"][1]["value"], "Pending");
    let r = run(&["explain", "--json", "--expr", "a eq 1"]);
    assert_eq!(json(&r.stdout)["kind"], "binary");
    let r = run(&["explain", "--json", "$top=x"]);
    assert_eq!(r.code, 1);
    assert_eq!(json(&r.stdout)["error"]["details"][0]["code"], "InvalidTop");
}

/// Warnings about ignored options reach every command: `parse` too.
#[test]
fn parse_reports_ignored_options() {
    let r = run(&[
        "parse",
        "$filter=status eq 'Succeeded' && type eq 'Isolate'",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("warning[IgnoredOption]"), "{}", r.stderr);
    let r = run(&["parse", "--json", "fliter=status eq 'Pending'"]);
    assert_eq!(json(&r.stdout)["warnings"][0]["code"], "IgnoredOption");
}
