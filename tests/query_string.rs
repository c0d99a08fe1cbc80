//! The query-string layer through the public API: input forms,
//! decoding, option names, and the values of `$top`, `$skip` and `$count`.

use defender_odata::ast::{CustomOption, Select};
use defender_odata::ast::{ExprKind, SegmentKind};
use defender_odata::{parse, parse_with, Code, Dialect, Error, ParseOptions, Query, SystemOption};
use proptest::prelude::*;

fn strict(text: &str) -> Result<Query, Error> {
    parse_with(text, &ParseOptions::strict())
}

fn err(text: &str) -> Error {
    parse(text).expect_err(text)
}

fn span(e: &Error, i: usize) -> (usize, usize) {
    let s = e.diagnostics()[i].span().expect("a span");
    (s.start, s.end)
}

/// The text the `i`-th diagnostic's span covers.
fn covered(e: &Error, i: usize) -> String {
    let loc = e.diagnostics()[i].location.as_ref().expect("a location");
    loc.text[loc.span.start..loc.span.end].to_string()
}

fn custom(name: &str, value: Option<&str>) -> CustomOption {
    CustomOption {
        name: name.into(),
        value: value.map(Into::into),
    }
}

// ---- input forms ----

#[test]
fn every_input_form_reads_the_same_options() {
    for text in [
        "$top=2&$skip=3",
        "?$top=2&$skip=3",
        "https://api.securitycenter.microsoft.com/api/machineactions?$top=2&$skip=3",
        "http://localhost:8080/any/path?$top=2&$skip=3#fragment",
        "/api/machineactions?$top=2&$skip=3",
        "api.securitycenter.microsoft.com/api/machineactions?$top=2&$skip=3",
        "$top=2&$skip=3#$top=9",
        "$top=%32&%24skip=3",
    ] {
        let q = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!((q.top, q.skip), (Some(2), Some(3)), "{text}");
        assert!(q.custom.is_empty(), "{text}");
    }
}

#[test]
fn a_url_without_a_query_is_an_empty_query() {
    for text in [
        "https://api.securitycenter.microsoft.com/api/machineactions",
        "https://host/api#$top=abc",
        "",
        "?",
        "#x",
        "&&&",
    ] {
        assert_eq!(parse(text).unwrap(), Query::default(), "{text}");
    }
}

#[test]
fn a_question_mark_inside_a_query_string_value_is_kept() {
    let q = parse("$top=1&note=what?").unwrap();
    assert_eq!(q.top, Some(1));
    assert_eq!(q.custom, vec![custom("note", Some("what?"))]);
}

#[test]
fn empty_pieces_are_skipped_and_spans_still_index_the_raw_text() {
    let text = "&&$top=1&&$bogus=1&";
    let e = err(text);
    assert_eq!(e.codes(), vec![Code::UnknownOption]);
    assert_eq!(span(&e, 0), (10, 16));
    assert_eq!(&*e.first().location.as_ref().unwrap().text, text);
}

// ---- decoding ----

#[test]
fn plus_is_a_space_in_defender_and_a_plus_in_strict() {
    assert_eq!(
        decode_component("a+b%20c", Dialect::Defender).unwrap(),
        "a b c"
    );
    assert_eq!(
        decode_component("a+b%20c", Dialect::Strict).unwrap(),
        "a+b c"
    );
    assert_eq!(decode_component("%2B", Dialect::Defender).unwrap(), "+");
    let q = parse("x+y=1+2").unwrap();
    assert_eq!(q.custom, vec![custom("x y", Some("1 2"))]);
    let q = strict("x+y=1+2").unwrap();
    assert_eq!(q.custom, vec![custom("x+y", Some("1+2"))]);
}

#[test]
fn percent_escapes_decode_including_multibyte_utf8() {
    assert_eq!(
        decode_component("status%20eq%20%27Pending%27", Dialect::Defender).unwrap(),
        "status eq 'Pending'"
    );
    assert_eq!(
        decode_component("Zo%C3%AB%e2%82%ac", Dialect::Strict).unwrap(),
        "Zoë€"
    );
    assert_eq!(decode_component("plain", Dialect::Strict).unwrap(), "plain");
    assert_eq!(decode_component("", Dialect::Defender).unwrap(), "");
}

#[test]
fn bad_escapes_are_invalid_encoding_with_the_span_of_the_escape() {
    for (raw, start, end) in [
        ("ab%", 2, 3),
        ("ab%4", 2, 4),
        ("%4G", 0, 3),
        ("x%zz%41", 1, 4),
        ("%%41", 0, 3),
        ("a%ëë", 1, 6),
    ] {
        let d = decode_component(raw, Dialect::Defender).expect_err(raw);
        assert_eq!(d.code, Code::InvalidEncoding, "{raw}");
        let s = d.span().unwrap();
        assert_eq!((s.start, s.end), (start, end), "{raw}");
        assert_eq!(&*d.location.as_ref().unwrap().text, raw);
        assert!(d.help.is_some());
    }
}

#[test]
fn escapes_that_are_not_utf8_are_invalid_encoding() {
    let d = decode_component("ok%FFrest", Dialect::Defender).unwrap_err();
    assert_eq!(d.code, Code::InvalidEncoding);
    assert_eq!((d.span().unwrap().start, d.span().unwrap().end), (2, 5));
    // A truncated sequence at the end covers all of its escapes.
    let d = decode_component("a+%E2%82", Dialect::Defender).unwrap_err();
    assert_eq!((d.span().unwrap().start, d.span().unwrap().end), (2, 8));
    // A lone continuation byte after a valid character.
    let d = decode_component("%C3%A9%A9", Dialect::Strict).unwrap_err();
    assert_eq!((d.span().unwrap().start, d.span().unwrap().end), (6, 9));
}

#[test]
fn encoding_errors_in_a_query_point_into_the_raw_text() {
    let text = "https://h/p?$top=1&$filter=status eq %FF";
    let e = err(text);
    assert_eq!(e.codes(), vec![Code::InvalidEncoding]);
    assert_eq!(covered(&e, 0), "%FF");
    assert_eq!(&*e.first().location.as_ref().unwrap().text, text);
    assert_eq!(e.first().target.as_deref(), Some("$filter"));

    let e = err("$top=1&%zzname=1");
    assert_eq!(e.codes(), vec![Code::InvalidEncoding]);
    assert_eq!(span(&e, 0), (7, 10));
    assert_eq!(e.first().target.as_deref(), Some("%zzname"));

    let e = err("custom=%4");
    assert_eq!(covered(&e, 0), "%4");
    assert_eq!(e.first().target.as_deref(), Some("custom"));
}

// ---- option names ----

#[test]
fn system_option_names_ignore_case_and_the_dollar() {
    for text in [
        "$top=5", "$TOP=5", "$Top=5", "top=5", "TOP=5", "%24top=5", "%24ToP=5",
    ] {
        assert_eq!(parse(text).unwrap().top, Some(5), "{text}");
    }
    let q = parse("COUNT=true&Skip=1&$SKIP").err().unwrap();
    assert_eq!(q.codes(), vec![Code::DuplicateOption]);
}

#[test]
fn the_same_option_twice_in_any_spelling_is_a_duplicate() {
    let text = "$top=1&top=2";
    let e = err(text);
    assert_eq!(e.codes(), vec![Code::DuplicateOption]);
    assert_eq!(span(&e, 0), (7, 10));
    assert_eq!(e.first().target.as_deref(), Some("$top"));
    assert!(e.first().message.contains("'top'"), "{}", e.first().message);

    let e = err("$count=true&$COUNT=nonsense");
    assert_eq!(e.codes(), vec![Code::DuplicateOption]);
    assert_eq!(covered(&e, 0), "$COUNT");

    // Custom options may repeat.
    let q = parse("a=1&a=2").unwrap();
    assert_eq!(
        q.custom,
        vec![custom("a", Some("1")), custom("a", Some("2"))]
    );
}

#[test]
fn stop_suggests_top_and_mentions_the_docs_typo() {
    let e = err("$skip=1&$stop=2");
    let d = e.first();
    assert_eq!(d.code, Code::UnknownOption);
    assert_eq!(covered(&e, 0), "$stop");
    let help = d.help.as_deref().unwrap();
    assert!(help.starts_with("did you mean '$top'?"), "{help}");
    assert!(help.contains("$stop"), "{help}");
}

#[test]
fn unknown_options_get_a_did_you_mean_when_one_is_close() {
    let help = |text: &str| err(text).first().help.clone().unwrap();
    assert_eq!(help("$fliter=x"), "did you mean '$filter'?");
    assert_eq!(help("$ORDERBYY=x"), "did you mean '$orderby'?");
    assert_eq!(help("$expnd=x"), "did you mean '$expand'?");
    assert_eq!(help("$slect=x"), "did you mean '$select'?");
    let far = help("$whatever=x");
    assert!(!far.contains("did you mean"), "{far}");
    assert!(far.contains("$filter"), "{far}");
    assert_eq!(err("$=1").codes(), vec![Code::UnknownOption]);
    assert_eq!(err("$$top=1").codes(), vec![Code::UnknownOption]);
}

#[test]
fn known_odata_options_the_entity_lacks_are_unsupported() {
    for name in [
        "$search",
        "$apply",
        "$compute",
        "$format",
        "$skiptoken",
        "$deltatoken",
        "$levels",
        "$id",
        "$schemaversion",
        "$index",
        "$SEARCH",
        "search",
        "SkipToken",
    ] {
        let text = format!("{name}=x");
        let e = err(&text);
        assert_eq!(e.codes(), vec![Code::UnsupportedOption], "{name}");
        assert_eq!(covered(&e, 0), name);
        assert_eq!(e.first().target.as_deref(), Some(name));
    }
}

#[test]
fn custom_options_are_kept_in_order_with_decoded_names_and_values() {
    let q = parse("b=2&@alias='x'&$top=1&!special&a=%41+b&empty=&x=y=z").unwrap();
    assert_eq!(q.top, Some(1));
    assert_eq!(
        q.custom,
        vec![
            custom("b", Some("2")),
            custom("@alias", Some("'x'")),
            custom("!special", None),
            custom("a", Some("A b")),
            custom("empty", Some("")),
            custom("x", Some("y=z")),
        ]
    );
}

// ---- $top, $skip, $count ----

#[test]
fn top_and_skip_take_digits_that_fit_an_i64() {
    let q = parse("$top=0&$skip=9223372036854775807").unwrap();
    assert_eq!((q.top, q.skip), (Some(0), Some(i64::MAX)));
    assert_eq!(parse("$top=007").unwrap().top, Some(7));
    assert_eq!(
        parse("$top=10001").unwrap().top,
        Some(10001),
        "caps are validation's"
    );
    assert_eq!(q.source(SystemOption::Skip), Some("9223372036854775807"));
    assert_eq!(q.source(SystemOption::Filter), None);
}

#[test]
fn invalid_top_and_skip_values_have_their_codes() {
    for value in [
        "abc",
        "-1",
        "%2B5",
        "",
        "99999999999999999999",
        "1.5",
        "1e3",
        "٣",
        "%EF%BC%91",
    ] {
        let e = err(&format!("$top={value}"));
        assert_eq!(e.codes(), vec![Code::InvalidTop], "$top={value}");
        assert_eq!(e.first().target.as_deref(), Some("$top"));
        assert!(e.first().help.is_some());
        let e = err(&format!("$skip={value}"));
        assert_eq!(e.codes(), vec![Code::InvalidSkip], "$skip={value}");
        assert_eq!(e.first().target.as_deref(), Some("$skip"));
    }
    // Without `=` the value is empty.
    assert_eq!(err("$top").codes(), vec![Code::InvalidTop]);
}

#[test]
fn top_spans_index_the_decoded_value() {
    let e = err("$top=%20%2012x%20");
    let loc = e.first().location.as_ref().unwrap();
    assert_eq!(&*loc.text, "  12x ");
    assert_eq!((loc.span.start, loc.span.end), (2, 5));
    assert!(e.to_string().contains('^'));
}

#[test]
fn whitespace_around_values_is_defender_only() {
    let q = parse("$top=%202%09&$skip=+3+&$count=+TRUE+").unwrap();
    assert_eq!((q.top, q.skip, q.count), (Some(2), Some(3), Some(true)));
    // In Defender `+` is a space, so `+5` is ` 5`; written as `%2B` it is a sign.
    assert_eq!(parse("$top=+5").unwrap().top, Some(5));
    let e = strict("$top=+5").unwrap_err();
    assert_eq!(e.codes(), vec![Code::InvalidTop]);
    let e = strict("$top=%202").unwrap_err();
    assert_eq!(e.codes(), vec![Code::InvalidTop]);
    assert!(e.first().help.as_deref().unwrap().contains("Strict"));
    assert_eq!(
        strict("$count=%20true").unwrap_err().codes(),
        vec![Code::InvalidLiteral]
    );
    assert_eq!(strict("$top=2&$count=false").unwrap().count, Some(false));
}

#[test]
fn count_is_true_or_false_in_any_case() {
    assert_eq!(parse("$count=true").unwrap().count, Some(true));
    assert_eq!(parse("$count=False").unwrap().count, Some(false));
    assert_eq!(parse("count=TRUE").unwrap().count, Some(true));
    for value in ["yes", "1", "", "truee", "t"] {
        let e = err(&format!("$count={value}"));
        assert_eq!(e.codes(), vec![Code::InvalidLiteral], "{value}");
        assert_eq!(e.first().target.as_deref(), Some("$count"));
    }
}

#[test]
fn values_longer_than_the_limit_are_too_long() {
    let mut options = ParseOptions::default();
    options.limits.max_value_len = 4;
    assert_eq!(parse_with("$top=1234", &options).unwrap().top, Some(1234));
    let e = parse_with("$top=12345", &options).unwrap_err();
    assert_eq!(e.codes(), vec![Code::TooLong]);
    assert_eq!(e.first().target.as_deref(), Some("$top"));
    // The decoded length counts: `%31%32` is two bytes.
    assert_eq!(
        parse_with("$top=%31%32%33", &options).unwrap().top,
        Some(123)
    );
    let big = format!("$filter={}", "a".repeat(16 * 1024 + 1));
    assert_eq!(err(&big).codes(), vec![Code::TooLong]);
}

#[test]
fn the_first_problem_of_each_option_is_reported_together() {
    let text = "$top=x&$skip=-1&$stop=1&$search=a&$count=maybe&$top=3&bad=%G";
    let e = err(text);
    assert_eq!(
        e.codes(),
        vec![
            Code::InvalidTop,
            Code::InvalidSkip,
            Code::UnknownOption,
            Code::UnsupportedOption,
            Code::InvalidLiteral,
            Code::DuplicateOption,
            Code::InvalidEncoding,
        ]
    );
    let json = e.to_odata_json();
    assert_eq!(json["error"]["details"].as_array().unwrap().len(), 7);
    assert_eq!(json["error"]["details"][2]["target"], "$stop");
}

// ---- $filter, $orderby, $select (need the real grammar) ----

#[test]
fn filter_values_are_decoded_then_parsed() {
    let q = parse("$filter=status%20eq%20%27Pending%27").unwrap();
    let plus = parse("$filter=status+eq+'Pending'").unwrap();
    assert_eq!(q, plus);
    let raw = parse("$filter=status eq 'Pending'").unwrap();
    assert_eq!(q, raw);
    assert_eq!(q.source(SystemOption::Filter), Some("status eq 'Pending'"));
    match q.filter.as_ref().unwrap().root().kind() {
        ExprKind::Binary { operands, .. } => match operands[0].kind() {
            ExprKind::Path(p) => assert!(matches!(
                p.get(0).map(|s| s.kind()),
                Some(SegmentKind::Property("status"))
            )),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_encoded_plus_stays_in_a_filter_value() {
    // `%2B` is a literal `+` (a date-time offset), `+` a space.
    let q = parse("$filter=creationDateTimeUtc+gt+2018-12-04T12:00:00%2B01:00").unwrap();
    assert!(q.filter.is_some());
    assert!(parse("$filter=creationDateTimeUtc gt 2018-12-04T12:00:00+01:00").is_err());
}

#[test]
fn filter_errors_carry_the_target_and_index_the_decoded_value() {
    let e = err("$filter=status+eq+&$top=1");
    assert_eq!(e.first().target.as_deref(), Some("$filter"));
    assert_eq!(&*e.first().location.as_ref().unwrap().text, "status eq ");
    assert_eq!(err("$filter=").first().target.as_deref(), Some("$filter"));
}

#[test]
fn orderby_and_select_parse() {
    let q = parse("$orderby=creationDateTimeUtc desc,status&$select=id,status").unwrap();
    let orderby = q.orderby.unwrap();
    assert_eq!(orderby.len(), 2);
    assert!(orderby[0].descending);
    assert!(!orderby[1].descending);
    match q.select.unwrap() {
        Select::Paths(items) => assert_eq!(items.len(), 2),
        Select::All => panic!("expected paths"),
    }
    assert_eq!(parse("$select=*").unwrap().select, Some(Select::All));
    let e = err("$orderby=status sideways&$select=,");
    assert_eq!(e.diagnostics().len(), 2);
    assert_eq!(e.diagnostics()[0].target.as_deref(), Some("$orderby"));
    assert_eq!(e.diagnostics()[1].target.as_deref(), Some("$select"));
}

// ---- never panics ----

fn check_spans(e: &Error) {
    for d in e.diagnostics() {
        assert!(d.target.is_some(), "{d:?}");
        let loc = d
            .location
            .as_ref()
            .expect("every parse diagnostic has a span");
        assert!(
            loc.span.start <= loc.span.end && loc.span.end <= loc.text.len(),
            "{d:?}"
        );
        assert!(loc.text.is_char_boundary(loc.span.start), "{d:?}");
        assert!(loc.text.is_char_boundary(loc.span.end), "{d:?}");
        let _ = d.to_string();
    }
}

proptest! {
    #[test]
    fn parse_never_panics_on_arbitrary_text(text in any::<String>()) {
        for options in [ParseOptions::default(), ParseOptions::strict()] {
            if let Err(e) = parse_with(&text, &options) {
                check_spans(&e);
            }
        }
    }

    #[test]
    fn parse_never_panics_on_query_like_text(
        text in r"(\??[$%+&=#?A-Fa-f0-9 toplskiucnfer'ë-]{0,40})"
    ) {
        for options in [ParseOptions::default(), ParseOptions::strict()] {
            if let Err(e) = parse_with(&text, &options) {
                check_spans(&e);
            }
        }
    }

    #[test]
    fn every_option_value_is_handled_without_panics(
        name in prop::sample::select(vec![
            "$filter", "filter", "$orderby", "$select", "$top", "$skip", "$count",
            "$expand", "$stop", "custom",
        ]),
        value in r"[ -~%ë]{0,60}",
    ) {
        let text = format!("{name}={value}&{name}={value}");
        for options in [ParseOptions::default(), ParseOptions::strict()] {
            if let Err(e) = parse_with(&text, &options) {
                check_spans(&e);
            }
        }
    }

    #[test]
    fn decoding_an_encoded_component_gives_it_back(text in any::<String>()) {
        let encoded: String = text.bytes().map(|b| format!("%{b:02X}")).collect();
        prop_assert_eq!(decode_component(&encoded, Dialect::Strict).unwrap(), text.clone());
        prop_assert_eq!(decode_component(&encoded, Dialect::Defender).unwrap(), text);
    }
}

#[test]
fn a_query_of_many_bad_options_reports_a_bounded_number() {
    let text = "$x&".repeat(20_000);
    let e = err(&text);
    assert_eq!(e.diagnostics().len(), defender_odata::MAX_DIAGNOSTICS);
    let long_name = format!("${}=1", "y".repeat(100_000));
    let e = err(&long_name);
    assert_eq!(e.codes(), vec![Code::UnknownOption]);
    assert!(!e.first().help.as_deref().unwrap().contains("did you mean"));
}

/// One component decoded as the query-string layer decodes it, its first
/// problem as a diagnostic.
fn decode_component(raw: &str, dialect: Dialect) -> Result<String, defender_odata::Diagnostic> {
    defender_odata::decode_value(raw, &ParseOptions::default().with_dialect(dialect))
        .map_err(|e| e.first().clone())
}

// ---- options the service would ignore ----

fn warnings(text: &str) -> Vec<(Code, String, String)> {
    parse(text)
        .unwrap_or_else(|e| panic!("{text:?} was rejected:\n{e}"))
        .warnings()
        .iter()
        .map(|w| {
            (
                w.code,
                w.target.clone().unwrap_or_default(),
                w.help.clone().unwrap_or_default(),
            )
        })
        .collect()
}

/// A bare `&` inside a `$filter` ends it: the rest becomes a custom option
/// the service ignores, and the filter silently selects more. It is a
/// warning, naming the likely intent.
#[test]
fn an_expression_split_off_by_a_bare_ampersand_is_an_ignored_option() {
    let found = warnings("$filter=status eq 'Succeeded' && type eq 'Isolate'");
    assert_eq!(found.len(), 1, "{found:?}");
    let (code, target, help) = &found[0];
    assert_eq!(*code, Code::IgnoredOption);
    assert_eq!(target, " type eq 'Isolate'");
    assert!(help.contains("'and'") && help.contains("%26"), "{help}");
    assert!(Code::IgnoredOption.is_warning());
}

#[test]
fn a_near_miss_of_a_system_option_is_an_ignored_option() {
    for (text, intent) in [
        ("fliter=status eq 'Pending'", "$filter"),
        ("slect=id", "$select"),
        ("orderbyy=id", "$orderby"),
        ("cout=true", "$count"),
    ] {
        let found = warnings(text);
        assert_eq!(found.len(), 1, "{text}: {found:?}");
        assert_eq!(found[0].0, Code::IgnoredOption, "{text}");
        assert_eq!(found[0].2, format!("did you mean '{intent}'?"), "{text}");
    }
}

#[test]
fn ordinary_custom_options_are_silent() {
    for text in [
        "api-version=2",
        "$top=2&api-version=2&x=1&flag",
        "debug=it's (fine) eq",
        "$filter=status eq 'Pending'&tenant=contoso",
    ] {
        assert_eq!(warnings(text), [], "{text}");
    }
}

/// A system option's name with a space, tab or byte-order mark around it is
/// refused (the service would ignore it), with a help that says what to
/// remove.
#[test]
fn a_system_option_name_with_padding_is_refused_with_what_to_remove() {
    for (text, what) in [
        ("%20$filter=status eq 'Failed'", "a space before"),
        ("+$filter=status eq 'Failed'", "a space before"),
        ("%EF%BB%BF$top=5", "a byte-order mark (U+FEFF) before"),
        ("$filter%20=status eq 'Failed'", "a space after"),
        ("%09top=5", "a tab before"),
        ("%20$expand=x", "a space before"),
    ] {
        let error = parse(text).expect_err(text);
        let d = error.first();
        assert_eq!(d.code, Code::UnknownOption, "{text}");
        assert!(d.message.contains(what), "{text}: {}", d.message);
        assert!(
            d.help.as_deref().unwrap_or("").starts_with("remove the"),
            "{text}"
        );
    }
}

/// A negative `$skip` or `$top` says what is wrong with it: the sign.
#[test]
fn a_negative_skip_or_top_must_not_be_negative() {
    for (text, code) in [
        ("$skip=-1", Code::InvalidSkip),
        ("$top=-20", Code::InvalidTop),
    ] {
        let error = parse(text).expect_err(text);
        let d = error.first();
        assert_eq!(d.code, code);
        assert!(d.message.contains("must not be negative"), "{}", d.message);
    }
    // Other non-digits keep their message.
    let error = parse("$top=-x").expect_err("not a number");
    assert!(error.first().message.contains("not a whole number"));
}

#[test]
fn expand_is_a_list_of_navigation_paths() {
    let q = parse("$expand=evidence").unwrap();
    let items = q.expand.as_ref().expect("an $expand");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].to_string(), "evidence");
    assert_eq!(items[0].span().as_pair(), [0, 8]);
    let q = parse("expand=a, b/c").unwrap();
    assert_eq!(q.to_string(), "$expand=a,b/c");
    // Canonical order: after $select, before custom options.
    let q = parse("x=1&$expand=evidence&$select=id&$top=2").unwrap();
    assert_eq!(q.to_string(), "$top=2&$select=id&$expand=evidence&x=1");
    assert_eq!(parse(&q.to_query_string()).unwrap(), q);
    assert_eq!(
        err("$expand=a&expand=b").codes(),
        vec![Code::DuplicateOption]
    );
    for bad in [
        "$expand=",
        "$expand=*",
        "$expand=a(b)",
        "$expand=a,,b",
        "$expand=a b",
    ] {
        assert_eq!(err(bad).codes(), vec![Code::Syntax], "{bad}");
    }
}
