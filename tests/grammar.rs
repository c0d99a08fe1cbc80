//! The `$filter` grammar, one feature a line, in sqlparser-rs's
//! `verified_stmt` style: each case parses the input, renders it, compares
//! the rendering with the expected canonical form, and parses that again to
//! prove the round trip (equal trees, identical second rendering).

use defender_odata::{parse_filter, parse_filter_with, Code, Expr, ParseOptions};

/// Parses `input`, checks it renders as `canonical`, and that `canonical`
/// parses back to the same tree and renders identically.
#[track_caller]
fn verified(input: &str, canonical: &str) -> Expr {
    let expr = parse_filter(input).unwrap_or_else(|e| panic!("{input:?} was rejected:\n{e}"));
    let rendered = expr.to_string();
    assert_eq!(rendered, canonical, "canonical form of {input:?}");
    let again = parse_filter(&rendered)
        .unwrap_or_else(|e| panic!("canonical {rendered:?} was rejected:\n{e}"));
    assert_eq!(again, expr, "round trip of {input:?}");
    assert_eq!(again.to_string(), rendered, "idempotence of {input:?}");
    expr
}

/// A case whose canonical form is its input.
#[track_caller]
fn verified_same(input: &str) -> Expr {
    verified(input, input)
}

#[track_caller]
fn rejected(input: &str, code: Code) {
    match parse_filter(input) {
        Ok(e) => panic!("{input:?} was accepted as {e}"),
        Err(e) => assert_eq!(e.code(), code, "{input:?}: {e}"),
    }
}

#[test]
fn comparison_operators() {
    for op in ["eq", "ne", "gt", "ge", "lt", "le"] {
        verified_same(&format!("status {op} 'Pending'"));
    }
    verified("status EQ 'Pending'", "status eq 'Pending'");
    verified("status  eq\t'Pending'", "status eq 'Pending'");
}

#[test]
fn logical_operators_and_flat_chains() {
    verified_same("a eq 1 and b eq 2");
    verified_same("a eq 1 or b eq 2");
    verified(
        "a eq 1 AND (b eq 2 AND c eq 3)",
        "a eq 1 and b eq 2 and c eq 3",
    );
    verified("(a or b) or (c or d)", "a or b or c or d");
    verified_same("(a or b) and c");
    verified_same("a and (b or c)");
    verified("a or (b and c)", "a or b and c");
}

#[test]
fn not_precedence() {
    verified_same("not (status eq 'Failed')");
    verified("not(status eq 'Failed')", "not (status eq 'Failed')");
    verified_same("not contains(requestorComment,'x')");
    // `not` binds tighter than `eq`, as in ODataLib.
    verified_same("not a eq b");
    verified("(not a) eq b", "not a eq b");
    // Parentheses only where precedence needs them, so rendering never nests
    // deeper than the input did.
    verified(
        "not (not (status eq 'Failed'))",
        "not not (status eq 'Failed')",
    );
}

#[test]
fn chained_eq_is_left_associative() {
    verified_same("a eq b eq c");
    verified("(a eq b) eq c", "a eq b eq c");
    verified_same("a eq (b eq c)");
}

#[test]
fn arithmetic_operators() {
    verified_same("Price add 2.45 eq 5.00");
    verified_same("Price sub 0.55 eq 2.00");
    verified_same("Price mul 2.0 eq 5.10");
    verified_same("Price div 2.55 eq 1");
    verified_same("Rating divby 2 eq 2.5");
    verified_same("Rating mod 5 eq 0");
    verified_same("(Price add 2.45) mod 2");
    verified("(4 add 5) mod (4 sub 1)", "(4 add 5) mod (4 sub 1)");
    verified_same("a sub (b sub c)");
    verified("(a sub b) sub c", "a sub b sub c");
    verified_same("a add b mul c");
}

#[test]
fn unary_minus_and_negative_literals() {
    verified_same("-Price");
    verified_same("Price sub -5");
    verified("Price sub - 5", "Price sub - 5");
    verified("Price sub -(5)", "Price sub - 5");
    verified("-(-5)", "- -5");
    verified("-(-(a))", "--a");
    verified("-(5 has a)", "- 5 has a");
    verified_same("-(a add b)");
    verified_same("-INF");
}

#[test]
fn has_and_in() {
    verified_same("style has Sales.Pattern'Yellow'");
    verified(
        "type in ('Isolate', 'Unisolate')",
        "type in ('Isolate','Unisolate')",
    );
    verified_same("type in ('Isolate')");
    verified_same("type in ()");
    verified_same("FirstName in (FirstName)");
    // `in` binds tighter than `not`.
    verified("not (type in ('Isolate'))", "not type in ('Isolate')");
}

#[test]
fn every_literal_type() {
    verified_same("a eq null");
    verified("a eq TRUE", "a eq true");
    verified_same("a eq false");
    verified_same("a eq 9223372036854775807");
    verified_same("a eq -9223372036854775808");
    verified_same("a eq 99999999999999999999");
    verified("a eq 007", "a eq 7");
    verified("a eq +42", "a eq 42");
    verified_same("a eq 3.14");
    verified("a eq -1.234567E3", "a eq -1.234567e3");
    verified_same("a eq 1e-101");
    verified_same("a eq INF");
    verified_same("a eq NaN");
    verified_same("a eq 'x'");
    verified(
        "id eq 7D4E5C3E-1A2B-4C3D-8E9F-0A1B2C3D4E5F",
        "id eq 7d4e5c3e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
    );
    verified_same("id ne bc3f62c5-a2e5-5bc9-cb4d-17112f77f5bb");
    verified_same("a eq 2018-12-04");
    verified_same("a eq -10000-04-01");
    verified_same("a eq 0000-01-01");
    verified_same("a eq 12:43:57.2011911");
    verified("a eq 11:22", "a eq 11:22:00");
    verified_same("a eq duration'P1DT2H'");
    verified_same("a eq binary'T0RhdGE='");
    verified_same("a eq Sales.Pattern'Solid,Yellow'");
}

#[test]
fn date_time_offsets_keep_offset_and_fraction() {
    verified_same("a gt 2018-12-04T12:43:57.2011911Z");
    verified(
        "a gt 2018-12-04T12:43:57.2011910Z",
        "a gt 2018-12-04T12:43:57.201191Z",
    );
    verified("a gt 2018-12-04T12:43:57.000Z", "a gt 2018-12-04T12:43:57Z");
    verified("a gt 2012-09-03T13:52Z", "a gt 2012-09-03T13:52:00Z");
    verified_same("a gt 2012-09-03T14:53:00+02:00");
    verified(
        "a gt 2020-08-27T23:23:58-00:00",
        "a gt 2020-08-27T23:23:58Z",
    );
    verified(
        "a gt 2018-12-04T12:43:57.123456789012Z",
        "a gt 2018-12-04T12:43:57.123456789Z",
    );
    verified_same("a gt 1972-06-30T23:59:60Z");
}

#[test]
fn defender_date_form() {
    // The Defender docs write `2018-08-01Z`: a DateTimeOffset at midnight UTC.
    verified(
        "creationDateTimeUtc gt 2018-08-01Z",
        "creationDateTimeUtc gt 2018-08-01T00:00:00Z",
    );
    let strict = ParseOptions::strict();
    assert_eq!(
        parse_filter_with("creationDateTimeUtc gt 2018-08-01Z", &strict)
            .unwrap_err()
            .code(),
        Code::Syntax
    );
}

#[test]
fn string_escapes() {
    verified_same("requestor eq 'O''Neil'");
    verified_same("requestorComment eq ''''");
    verified_same("requestorComment eq ''");
    verified_same("requestorComment eq 'a''''b'");
    verified_same("requestorComment eq 'Zoë Müller'");
    verified_same("requestorComment eq 'semi;colon & amp+plus %25'");
}

#[test]
fn whitespace_is_needed_only_where_tokens_would_merge() {
    verified(
        "machineId eq 'x'and type eq 'y'",
        "machineId eq 'x' and type eq 'y'",
    );
    verified(
        "MachineId eq 'F46B'and(Status eq 'Succeeded')",
        "MachineId eq 'F46B' and Status eq 'Succeeded'",
    );
    verified("  status eq 'Pending'  ", "status eq 'Pending'");
    verified("( status eq 'Pending' )", "status eq 'Pending'");
    verified(
        "contains( requestorComment , 'alert' )",
        "contains(requestorComment,'alert')",
    );
}

#[test]
fn identifiers_that_start_with_keywords() {
    for name in [
        "notes",
        "android",
        "orders",
        "nullable",
        "trueValue",
        "inProgress",
    ] {
        verified_same(&format!("{name} eq 'x'"));
    }
    verified_same("not notes");
}

#[test]
fn every_built_in_function() {
    for (call, canonical) in [
        ("contains(a,'x')", "contains(a,'x')"),
        ("StartsWith(a,'x')", "startswith(a,'x')"),
        ("endswith(a,'x')", "endswith(a,'x')"),
        ("length(a) eq 3", "length(a) eq 3"),
        ("indexof(a,'x') eq 1", "indexof(a,'x') eq 1"),
        ("substring(a, 5)", "substring(a,5)"),
        ("substring(a,5,2)", "substring(a,5,2)"),
        ("tolower(a)", "tolower(a)"),
        ("TOUPPER(a)", "toupper(a)"),
        ("trim(a)", "trim(a)"),
        ("concat(concat(a,'-'),b)", "concat(concat(a,'-'),b)"),
        ("matchespattern(a,'^A.*e$')", "matchesPattern(a,'^A.*e$')"),
        ("year(d)", "year(d)"),
        ("month(d)", "month(d)"),
        ("day(d)", "day(d)"),
        ("hour(d)", "hour(d)"),
        ("minute(d)", "minute(d)"),
        ("second(d)", "second(d)"),
        ("fractionalseconds(d)", "fractionalseconds(d)"),
        ("totalseconds(d)", "totalseconds(d)"),
        ("date(d)", "date(d)"),
        ("time(d)", "time(d)"),
        ("totaloffsetminutes(d)", "totaloffsetminutes(d)"),
        ("now()", "now()"),
        ("mindatetime( )", "mindatetime()"),
        ("maxdatetime()", "maxdatetime()"),
        ("round(p)", "round(p)"),
        ("floor(p)", "floor(p)"),
        ("ceiling(p)", "ceiling(p)"),
        ("cast(Model.Customer)", "cast(Model.Customer)"),
        ("cast(Category,Edm.Boolean)", "cast(Category,Edm.Boolean)"),
        ("isof(Customer)", "isof(Customer)"),
        (
            "isof(Location,Edm.GeographyPoint)",
            "isof(Location,Edm.GeographyPoint)",
        ),
    ] {
        verified(call, canonical);
    }
}

#[test]
fn function_arity_is_checked_while_parsing() {
    rejected("startswith(a)", Code::InvalidArguments);
    rejected("substring(a)", Code::InvalidArguments);
    rejected("substring(a,1,2,3)", Code::InvalidArguments);
    rejected("now(1)", Code::InvalidArguments);
    rejected("startwith(a,'x')", Code::UnknownFunction);
}

#[test]
fn member_paths_casts_lambdas_and_qualified_calls() {
    verified_same("Address/City eq 'Redmond'");
    verified_same("Address/Model.AddressWithLocation/Street");
    verified_same("DirectReports/Sales.Manager/any()");
    verified("Items/any(x: x/Price gt 5)", "Items/any(x:x/Price gt 5)");
    verified("Items/ALL(x:x/Price gt 5)", "Items/all(x:x/Price gt 5)");
    verified_same("Products/any(lambda:$it/Completed)");
    verified_same("$it/Name eq 'x'");
    verified_same("$this eq 'Hugo'");
    verified_same("endswith($it,'.com')");
    verified_same("Model.Available()");
    verified_same("Products/Model.BestProduct()/Name");
    verified_same("Products/BestProduct()/MostPopularName()");
    verified_same("Thumbnail/Model.Available()");
    rejected("any()", Code::Syntax);
    rejected("all(x:true)", Code::Syntax);
    rejected("Products/all()", Code::Syntax);
    rejected("Model.Available", Code::Syntax);
}

#[test]
fn lists_only_after_in_and_literal_only_when_long() {
    rejected("EmailAddresses eq ('Miller','Smith')", Code::Syntax);
    rejected("FirstName in (FirstName,LastName)", Code::Syntax);
}

#[test]
fn malformed_literals() {
    rejected("a eq 42.", Code::Syntax);
    rejected("a eq .1", Code::Syntax);
    rejected("a eq -0.314e1e2", Code::Syntax);
    rejected("a eq 'O'Neil'", Code::Syntax);
    rejected("a eq 01234g67-89ab-cdef-0123-456789abcdef", Code::Syntax);
    rejected("a eq 01234567-89ab-cdef-456789abcdef", Code::Syntax);
    rejected("a eq 24:00:00", Code::InvalidLiteral);
    rejected("a eq 2011-12-31T24:00Z", Code::InvalidLiteral);
    rejected("a eq 2023-02-29", Code::InvalidLiteral);
    rejected("a eq 2024-01-01T00:00:00", Code::InvalidLiteral);
    rejected("a eq duration'1D'", Code::InvalidLiteral);
    rejected("a eq datetime'2024-01-01T00:00:00'", Code::InvalidLiteral);
}

#[test]
fn structural_limits() {
    rejected(
        &format!("{}a{}", "(".repeat(101), ")".repeat(101)),
        Code::TooDeep,
    );
    rejected(&vec!["a eq 1"; 400].join(" or "), Code::TooManyNodes);
    rejected(&format!("a eq '{}'", "x".repeat(17 * 1024)), Code::TooLong);
}

/// Every line of our benchmark corpus parses; every line of the malformed
/// corpus is rejected with a coded error and a span inside the input.
#[test]
fn benchmark_corpora() {
    let filters = include_str!("../benches/data/filters.txt");
    assert_eq!(filters.lines().count(), 300);
    for line in filters.lines() {
        verified(line, &parse_filter(line).unwrap().to_string());
    }
    let invalid = include_str!("../benches/data/invalid.txt");
    assert_eq!(invalid.lines().count(), 101);
    for line in invalid.lines() {
        let error = parse_filter(line).expect_err(line);
        let span = error.first().span().expect("a span");
        assert!(
            span.start <= span.end && span.end <= line.len(),
            "{line:?}: {span:?}"
        );
    }
}

#[test]
fn spans_index_the_decoded_value() {
    let e = parse_filter("status eq 'Pending' and type eq 'Isolate'").unwrap();
    assert_eq!(e.root().span().as_pair(), [0, 41]);
    let defender_odata::ast::ExprKind::Binary { operands, .. } = e.root().kind() else {
        panic!("not a binary node")
    };
    let [left, right] = operands;
    assert_eq!(left.span().as_pair(), [0, 19]);
    assert_eq!(right.span().as_pair(), [24, 41]);
}
