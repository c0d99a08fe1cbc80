//! Inputs the fuzzers (`fuzz/`) found, kept as tests so they stay fixed.
//! Each names the target that found it and what was wrong.

use defender_odata::parse;

/// Parses `input`, checks that its canonical text parses back to the same
/// query, and returns that text.
fn canonical_round_trip(input: &str) -> String {
    let query = parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
    let canonical = query.to_query_string();
    assert_eq!(
        parse(&canonical).as_ref(),
        Ok(&query),
        "input {input:?}, canonical {canonical:?}"
    );
    canonical
}

/// `parse_query`, `validate_eval`: a query whose first option is a custom
/// option named like a path (`/x`) or a URL (`a://b`) rendered as text that
/// `parse` read as a URL, so the round trip lost every option. The encoded
/// form now escapes `/` and `:` in custom option names.
#[test]
fn custom_option_named_like_a_path_survives_its_canonical_form() {
    for input in ["\0?/'", "$////?/=7", "?a://b=1", "?/x&y=2", "abc", "?abc"] {
        let canonical = canonical_round_trip(input);
        assert_eq!(
            parse(&canonical).map(|q| q.to_query_string()),
            Ok(canonical)
        );
    }
}

/// `parse_query`, found after `and`/`or` chains moved to an operand stack:
/// a parenthesized chain on the left of a chain that was itself the right
/// operand of the same operator (`a and (((b) and c) and d)`) stayed a
/// nested node, where the flat canonical text reads back one left-nested
/// chain, so the round trip changed the tree.
#[test]
fn parenthesized_chain_inside_a_right_operand_flattens() {
    for input in [
        "$filter=not (requestor eq 'D''Angelo Smith' and (creationDattTmeeUic ne 2023-06-15T20:46:25.8560741Z and ((((r eq 'Zoë Müller') and ype ne 'Unisolate')) and type eq 'Unisolate')))",
        "$filter=a and (((b) and c) and d)",
        "$filter=a or ((b or c) or (d or (e or f)))",
    ] {
        canonical_round_trip(input);
    }
}

/// `parse_filter`, in a CI run's 30 s of fuzzing: a DateTimeOffset without
/// an offset, followed by a space and text whose fifth byte ends inside a
/// character (`… 12:43:57 eq 'Łukasz`), panicked while looking for a `+`
/// lost to URL decoding (a byte-indexed slice of the rest of the value).
#[test]
fn missing_offset_before_non_ascii_text_is_an_error_not_a_panic() {
    for input in [
        "statusteTimeUtc gt 2019-12-04T12:43:57 eq 'Łukasz.2011911Z",
        "creationDateTimeUtc gt 2019-12-04T12:43:57 Łx",
        "creationDateTimeUtc gt 2019-12-04T12:43:57 0Ł",
    ] {
        let error = defender_odata::parse_filter(input).unwrap_err();
        assert_eq!(
            error.code(),
            defender_odata::Code::InvalidLiteral,
            "{input}"
        );
    }
    // The hint for a lost `+` still fires on ASCII.
    let error = defender_odata::parse_filter("creationDateTimeUtc gt 2019-12-04T12:43:57 01:00")
        .unwrap_err();
    assert!(error.to_string().contains("%2B"), "{error}");
}

/// `slowest_input` over the `parse_query` and `validate_eval` corpora: a
/// 1.6 KB `orderby=` of ~200 unknown names took 2.3 ms to validate, and a
/// 5 KB `type in (…)` of unknown values 5.2 ms. Validation made one
/// diagnostic per name or value, each with a copy of the option's text:
/// memory quadratic in the option's length. Like the parser, validation
/// now stops at `MAX_DIAGNOSTICS` errors and as many warnings.
#[test]
fn validation_caps_its_diagnostics_as_the_parser_does() {
    use defender_odata::MAX_DIAGNOSTICS;
    use defender_odata::{machine_actions, validate};

    let names = vec!["NNNNNNNN"; 200].join(",");
    let query = parse(&format!("$orderby={names}")).expect("a list of names parses");
    let error = validate(&query, machine_actions()).unwrap_err();
    assert_eq!(error.diagnostics().len(), MAX_DIAGNOSTICS);
    assert!(error
        .diagnostics()
        .iter()
        .all(|d| d.code == defender_odata::Code::UnknownProperty));

    let values = (0..200)
        .map(|i| format!("'Unknown{i}'"))
        .collect::<Vec<_>>()
        .join(",");
    let query = parse(&format!("$filter=type in ({values})")).expect("an in list parses");
    let validated = validate(&query, machine_actions()).expect("unknown values only warn");
    assert_eq!(validated.warnings().len(), MAX_DIAGNOSTICS);
}

/// `structured`, this stop: the generator's own node count left out path
/// segments, which the parser counts against `max_nodes`. A tree of
/// `$it/f()/g()/any()` paths that the generator held under its 400-node cap
/// parsed as over 1,000 nodes and was rejected (`TooManyNodes`). The parser
/// was right and the generator now counts as it does; this pins the count:
/// `a/b/c eq 1` is the path, its three segments, the literal and `eq`.
#[test]
fn path_segments_count_toward_the_node_limit() {
    use defender_odata::{parse_filter_with, Code, Limits, ParseOptions};

    let with_max_nodes = |max_nodes| {
        ParseOptions::default().with_limits(Limits::default().with_max_nodes(max_nodes))
    };
    assert!(parse_filter_with("a/b/c eq 1", &with_max_nodes(6)).is_ok());
    let error = parse_filter_with("a/b/c eq 1", &with_max_nodes(5)).unwrap_err();
    assert_eq!(error.code(), Code::TooManyNodes);
}

/// `parse_filter`, this stop: a lone property named `Not` rendered bare,
/// and `Not eq null` reads back as the operator `not` applied to a property
/// `eq`, so `((Not) and((ns eq null)) eq null)` had a canonical form that did
/// not parse. The bug was older than the stop. An expression now writes such
/// a property in parentheses; `$select`, which has no operators, bare, and so
/// do `has` and `in` on their right.
#[test]
fn a_property_named_not_keeps_its_parentheses() {
    for (input, canonical) in [
        (
            "((Not) and((ns eq null)) eq null)  ",
            "(Not) and ns eq null eq null",
        ),
        ("(NOT) eq null", "(NOT) eq null"),
        ("x eq not", "x eq (not)"),
        ("not (not)", "not (not)"),
        ("Not/x eq 1", "Not/x eq 1"),
        // Found by the same fuzzer on the first fix: after `has` and `in` a
        // path is read as a primary, and `in (Not)` is a list.
        ("u in Not", "u in Not"),
        ("u has Not eq (Not)", "u has Not eq (Not)"),
    ] {
        let expr = defender_odata::parse_filter(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(expr.to_string(), canonical, "{input:?}");
        assert_eq!(
            defender_odata::parse_filter(canonical).as_ref(),
            Ok(&expr),
            "{canonical:?}"
        );
    }
    assert_eq!(
        canonical_round_trip("$orderby=(Not) desc,x&$select=Not,x"),
        "$orderby=(Not)%20desc,x&$select=Not,x"
    );
}

// ---- errors that point at the real mistake ----

fn first_problem(query: &str) -> defender_odata::Diagnostic {
    defender_odata::check(
        query,
        defender_odata::machine_actions(),
        &defender_odata::ParseOptions::default(),
    )
    .expect_err(query)
    .first()
    .clone()
}

/// An operator with nothing after it names the operator, not "expected an
/// operator … found 'eq'".
#[test]
fn a_missing_right_operand_names_its_operator() {
    for (query, keyword, at) in [
        ("$filter=status eq", "eq", [7, 9]),
        ("$filter=status eq ", "eq", [7, 9]),
        ("$filter=status eq 'x' and", "and", [14, 17]),
        ("$filter=status eq 'x' and   ", "and", [14, 17]),
        ("$filter=not ", "not", [0, 3]),
    ] {
        let d = first_problem(query);
        assert_eq!(d.code, defender_odata::Code::Syntax, "{query}");
        assert!(
            d.message
                .starts_with(&format!("'{keyword}' needs an operand")),
            "{query}: {}",
            d.message
        );
        assert_eq!(d.span().map(|s| s.as_pair()), Some(at), "{query}");
    }
}

/// An unclosed string that a bare `&` cut short suggests `%26`.
#[test]
fn a_string_cut_by_an_ampersand_suggests_percent_26() {
    let d = first_problem("$filter=requestor eq 'R&D@contoso.com'");
    assert!(d.message.contains("never closed"), "{}", d.message);
    assert!(d.help.as_deref().unwrap_or("").contains("%26"), "{d:?}");
    // Not where no '&' followed.
    let d = first_problem("$filter=requestor eq 'RD");
    assert!(!d.help.as_deref().unwrap_or("").contains("%26"), "{d:?}");
}

/// A string in double quotes, or a known value without quotes, gets the
/// single-quoted form as its help.
#[test]
fn a_string_without_single_quotes_gets_the_single_quoted_form() {
    let d = first_problem("$filter=status eq \"Pending\"");
    assert_eq!(d.code, defender_odata::Code::Syntax);
    assert!(d.message.contains("single quotes"), "{}", d.message);
    assert_eq!(d.help.as_deref(), Some("write 'Pending'"));
    let d = first_problem("$filter=status eq Pending");
    assert_eq!(d.code, defender_odata::Code::UnknownProperty);
    assert!(
        d.help.as_deref().unwrap_or("").contains("'Pending'"),
        "{d:?}"
    );
    assert!(
        d.help.as_deref().unwrap_or("").contains("single quotes"),
        "{d:?}"
    );
    let d = first_problem("$filter=type eq isolate");
    assert!(
        d.help.as_deref().unwrap_or("").ends_with("'Isolate'"),
        "{d:?}"
    );
}

/// Found by fuzzing: a value ending in a word after a non-ASCII character
/// (looked at for a missing operand) must not be cut inside the character.
#[test]
fn a_word_after_a_non_ascii_character_is_read_on_character_boundaries() {
    let d = first_problem("$filter=startswith(computrde%C3%A9questor");
    assert_eq!(d.code, defender_odata::Code::Syntax);
    let d = first_problem("$filter=é eq");
    assert!(
        d.message.starts_with("'eq' needs an operand"),
        "{}",
        d.message
    );
}

/// A duration the evaluator cannot hold is refused where the query is
/// checked, as `eval` would refuse it, with a place.
#[test]
fn a_duration_out_of_range_is_refused_by_check() {
    let d = first_problem("$filter=totalseconds(duration'P99999999999999999999D') gt 0");
    assert_eq!(d.code, defender_odata::Code::InvalidLiteral);
    assert!(d.message.contains("out of range"), "{}", d.message);
}

/// The OData ABNF allows a leap second in a DateTimeOffset; data reads it
/// with the very grammar literals use, so a value the filter can write is
/// a value the data can hold.
#[test]
fn a_leap_second_reads_in_data_as_in_a_literal() {
    let text = "1972-06-30T23:59:60Z";
    assert!(defender_odata::parse_filter(&format!("creationDateTimeUtc eq {text}")).is_ok());
    let stamp = defender_odata::model::Timestamp::parse(text).expect("a leap second in data");
    assert_eq!(stamp.as_str(), text);
    assert!(defender_odata::model::Timestamp::parse("1972-06-30T23:59:61Z").is_err());
}

/// Every diagnostic of a query points into one shared copy of its text,
/// and shows at most a window of it: a long query with many bad option
/// names is held once and printed briefly.
#[test]
fn a_long_query_with_many_problems_is_held_once() {
    let filler = "a".repeat(100_000);
    let query: String = (0..40).map(|i| format!("$bad{i}={filler}&")).collect();
    let options = defender_odata::ParseOptions::default()
        .with_limits(defender_odata::Limits::default().with_max_query_len(usize::MAX));
    let error = defender_odata::parse_with(&query, &options).expect_err("bad names");
    let texts: Vec<&std::sync::Arc<str>> = error
        .diagnostics()
        .iter()
        .filter_map(|d| d.location.as_ref().map(|l| &l.text))
        .collect();
    assert_eq!(texts.len(), defender_odata::MAX_DIAGNOSTICS);
    assert!(texts.iter().all(|t| std::sync::Arc::ptr_eq(t, texts[0])));
    let shown = error.to_string();
    assert!(shown.len() < 40 * 400, "{} bytes shown", shown.len());
}
