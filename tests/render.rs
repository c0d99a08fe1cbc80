//! The canonical renderer on hand-built trees, through the public API:
//! every node and literal kind, parenthesization, literal formats, the
//! encoded form and option order.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use defender_odata::ast::*;
use uuid::Uuid;

fn lit(literal: Literal<'_>) -> Expr {
    Expr::literal(literal)
}

fn int(n: i64) -> Expr {
    lit(Literal::Int(n))
}

fn string(s: &str) -> Expr {
    lit(Literal::String(s))
}

fn prop(name: &str) -> PathSegment {
    PathSegment::Property(name.into())
}

fn path(segments: Vec<PathSegment>) -> Expr {
    let mut segments = segments.into_iter();
    let first = segments.next().expect("a path has a segment");
    Expr::path(first, segments)
}

fn p(name: &str) -> Expr {
    Expr::property(name)
}

fn bin(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    Expr::binary(op, left, right)
}

fn unary(op: UnaryOp, operand: Expr) -> Expr {
    Expr::unary(op, operand)
}

fn call(function: Function, args: Vec<Expr>) -> Expr {
    Expr::call(function, args)
}

fn list(items: Vec<Expr>) -> Expr {
    Expr::list(items)
}

fn dto(text: &str) -> Literal<'static> {
    Literal::DateTimeOffset(DateTimeOffset(
        DateTime::parse_from_rfc3339(text).expect("test datetime"),
    ))
}

fn render(e: &Expr) -> String {
    e.to_string()
}

use BinaryOp::*;

#[test]
fn comparison_and_logical_operators() {
    let e = bin(
        And,
        bin(Eq, p("status"), string("Succeeded")),
        bin(Ne, p("type"), string("Isolate")),
    );
    assert_eq!(render(&e), "status eq 'Succeeded' and type ne 'Isolate'");
    for op in BinaryOp::ALL {
        let e = bin(op, p("a"), p("b"));
        assert_eq!(render(&e), format!("a {} b", op.keyword()));
    }
}

#[test]
fn or_under_and_keeps_parentheses_on_either_side() {
    let e = bin(And, bin(Or, p("a"), p("b")), p("c"));
    assert_eq!(render(&e), "(a or b) and c");
    let e = bin(And, p("a"), bin(Or, p("b"), p("c")));
    assert_eq!(render(&e), "a and (b or c)");
    let e = bin(Or, bin(And, p("a"), p("b")), bin(And, p("c"), p("d")));
    assert_eq!(render(&e), "a and b or c and d");
}

#[test]
fn and_chains_are_flat() {
    let e = bin(And, p("a"), bin(And, p("b"), p("c")));
    assert_eq!(render(&e), "a and b and c");
    let e = bin(Or, bin(Or, p("a"), p("b")), p("c"));
    assert_eq!(render(&e), "a or b or c");
    // Only the same operator chains: `or` under `and` still needs them.
    let e = bin(And, p("a"), bin(Or, p("b"), p("c")));
    assert_eq!(render(&e), "a and (b or c)");
}

#[test]
fn left_associativity_of_non_associative_operators() {
    let e = bin(Sub, p("a"), bin(Sub, p("b"), p("c")));
    assert_eq!(render(&e), "a sub (b sub c)");
    let e = bin(Sub, bin(Sub, p("a"), p("b")), p("c"));
    assert_eq!(render(&e), "a sub b sub c");
    let e = bin(Eq, bin(Eq, p("a"), p("b")), p("c"));
    assert_eq!(render(&e), "a eq b eq c");
    let e = bin(Eq, p("a"), bin(Eq, p("b"), p("c")));
    assert_eq!(render(&e), "a eq (b eq c)");
    // Same precedence, different operators.
    let e = bin(Add, p("a"), bin(Sub, p("b"), p("c")));
    assert_eq!(render(&e), "a add (b sub c)");
    let e = bin(Sub, bin(Add, p("a"), p("b")), p("c"));
    assert_eq!(render(&e), "a add b sub c");
}

#[test]
fn precedence_decides_parentheses() {
    let e = bin(Add, p("a"), bin(Mul, p("b"), p("c")));
    assert_eq!(render(&e), "a add b mul c");
    let e = bin(Mul, bin(Add, p("a"), p("b")), p("c"));
    assert_eq!(render(&e), "(a add b) mul c");
    let e = bin(Gt, bin(Add, p("a"), int(1)), p("c"));
    assert_eq!(render(&e), "a add 1 gt c");
    let e = bin(Eq, bin(Gt, p("a"), p("b")), p("c"));
    assert_eq!(render(&e), "a gt b eq c");
    let e = bin(Gt, bin(Eq, p("a"), p("b")), p("c"));
    assert_eq!(render(&e), "(a eq b) gt c");
    let e = bin(Has, bin(Add, p("a"), p("b")), p("c"));
    assert_eq!(render(&e), "(a add b) has c");
    let e = bin(Has, bin(Has, p("a"), p("b")), p("c"));
    assert_eq!(render(&e), "a has b has c");
    let e = bin(Has, p("a"), bin(Has, p("b"), p("c")));
    assert_eq!(render(&e), "a has (b has c)");
}

#[test]
fn unary_operators() {
    // `not a eq b` reads as `(not a) eq b`.
    let e = bin(Eq, unary(UnaryOp::Not, p("a")), p("b"));
    assert_eq!(render(&e), "not a eq b");
    let e = unary(UnaryOp::Not, bin(Eq, p("a"), p("b")));
    assert_eq!(render(&e), "not (a eq b)");
    let e = unary(UnaryOp::Not, unary(UnaryOp::Not, p("a")));
    assert_eq!(render(&e), "not not a");
    let e = unary(UnaryOp::Negate, int(5));
    assert_eq!(render(&e), "- 5");
    let e = unary(UnaryOp::Negate, int(-5));
    assert_eq!(render(&e), "- -5");
    let e = unary(UnaryOp::Negate, p("a"));
    assert_eq!(render(&e), "-a");
    let e = unary(
        UnaryOp::Not,
        call(Function::Contains, vec![p("a"), string("x")]),
    );
    assert_eq!(render(&e), "not contains(a,'x')");
    let cast = Expr::type_function(TypeFunction::Cast, Some(p("a")), "Edm.Int32");
    assert_eq!(render(&unary(UnaryOp::Negate, cast)), "-cast(a,Edm.Int32)");
    let e = unary(UnaryOp::Not, lit(Literal::Boolean(true)));
    assert_eq!(render(&e), "not true");
}

#[test]
fn unary_as_binary_operand() {
    let e = bin(And, p("a"), unary(UnaryOp::Not, p("b")));
    assert_eq!(render(&e), "a and not b");
    let e = bin(
        Mul,
        unary(UnaryOp::Negate, p("a")),
        unary(UnaryOp::Negate, p("b")),
    );
    assert_eq!(render(&e), "-a mul -b");
    // `has` and `in` bind tighter than unary operators.
    let e = bin(Has, unary(UnaryOp::Negate, p("a")), p("b"));
    assert_eq!(render(&e), "(-a) has b");
    let e = bin(
        In,
        unary(UnaryOp::Negate, p("a")),
        list(vec![int(1), int(2)]),
    );
    assert_eq!(render(&e), "(-a) in (1,2)");
}

#[test]
fn in_lists() {
    let e = bin(
        In,
        p("type"),
        list(vec![string("Isolate"), string("Unisolate")]),
    );
    assert_eq!(render(&e), "type in ('Isolate','Unisolate')");
    assert_eq!(render(&bin(In, p("x"), list(vec![]))), "x in ()");
    assert_eq!(
        render(&bin(In, p("x"), list(vec![string("a")]))),
        "x in ('a')"
    );
    let e = bin(In, p("x"), list(vec![bin(Add, p("a"), int(1))]));
    assert_eq!(render(&e), "x in (a add 1)");
}

#[test]
fn has_with_enum() {
    let e = bin(
        Has,
        p("style"),
        lit(Literal::Enum {
            type_name: "Sales.Pattern",
            value: "Yellow",
        }),
    );
    assert_eq!(render(&e), "style has Sales.Pattern'Yellow'");
}

#[test]
fn calls_and_type_functions() {
    let e = call(
        Function::StartsWith,
        vec![
            call(Function::ToLower, vec![p("computerDnsName")]),
            string("desktop-"),
        ],
    );
    assert_eq!(
        render(&e),
        "startswith(tolower(computerDnsName),'desktop-')"
    );
    let e = call(Function::MatchesPattern, vec![p("a"), string("^x$")]);
    assert_eq!(render(&e), "matchesPattern(a,'^x$')");
    assert_eq!(render(&call(Function::Now, vec![])), "now()");
    let e = call(
        Function::Substring,
        vec![p("a"), int(1), bin(Add, int(2), int(3))],
    );
    assert_eq!(render(&e), "substring(a,1,2 add 3)");
    for function in Function::ALL {
        assert_eq!(
            render(&call(*function, vec![])),
            format!("{}()", function.name())
        );
    }
    let e = Expr::type_function(TypeFunction::Cast, Some(p("x")), "Edm.String");
    assert_eq!(render(&e), "cast(x,Edm.String)");
    let e = Expr::type_function(TypeFunction::Cast, None, "Edm.String");
    assert_eq!(render(&e), "cast(Edm.String)");
    let e = Expr::type_function(TypeFunction::IsOf, None, "Model.Customer");
    assert_eq!(render(&e), "isof(Model.Customer)");
}

#[test]
fn paths_and_segments() {
    assert_eq!(
        render(&path(vec![prop("Address"), prop("City")])),
        "Address/City"
    );
    assert_eq!(
        render(&path(vec![PathSegment::It, prop("Name")])),
        "$it/Name"
    );
    assert_eq!(render(&path(vec![PathSegment::This])), "$this");
    assert_eq!(
        render(&path(vec![
            PathSegment::TypeCast("Sales.Manager".into()),
            prop("Budget")
        ])),
        "Sales.Manager/Budget"
    );
    let e = path(vec![
        prop("Products"),
        PathSegment::FunctionCall {
            name: "Model.Available".into(),
            args: vec![],
        },
    ]);
    assert_eq!(render(&e), "Products/Model.Available()");
    let e = path(vec![
        PathSegment::FunctionCall {
            name: "Ns.Best".into(),
            args: vec![int(1), string("x")],
        },
        prop("Name"),
    ]);
    assert_eq!(render(&e), "Ns.Best(1,'x')/Name");
    let any = |predicate| PathSegment::Lambda {
        kind: LambdaKind::Any,
        predicate,
    };
    let e = path(vec![
        prop("Items"),
        any(Some((
            "x".into(),
            bin(Gt, path(vec![prop("x"), prop("Price")]), int(5)),
        ))),
    ]);
    assert_eq!(render(&e), "Items/any(x:x/Price gt 5)");
    assert_eq!(render(&path(vec![prop("Items"), any(None)])), "Items/any()");
    let e = path(vec![
        prop("Items"),
        PathSegment::Lambda {
            kind: LambdaKind::All,
            predicate: Some((
                "d".into(),
                bin(
                    Or,
                    bin(Eq, p("d"), string("a")),
                    bin(Eq, p("d"), string("b")),
                ),
            )),
        },
    ]);
    assert_eq!(render(&e), "Items/all(d:d eq 'a' or d eq 'b')");
}

#[test]
fn simple_literals() {
    let cases: Vec<(Literal, &str)> = vec![
        (Literal::Null, "null"),
        (Literal::Boolean(true), "true"),
        (Literal::Boolean(false), "false"),
        (Literal::Int(0), "0"),
        (Literal::Int(42), "42"),
        (Literal::Int(i64::MIN), "-9223372036854775808"),
        (Literal::Int(i64::MAX), "9223372036854775807"),
        (Literal::Decimal("-0.25"), "-0.25"),
        (
            Literal::Decimal("99999999999999999999"),
            "99999999999999999999",
        ),
        (Literal::Double("-1.234567e3"), "-1.234567e3"),
        (Literal::Special(SpecialFloat::Infinity), "INF"),
        (Literal::Special(SpecialFloat::NegativeInfinity), "-INF"),
        (Literal::Special(SpecialFloat::NaN), "NaN"),
        (Literal::Duration("P1DT2H"), "duration'P1DT2H'"),
        (Literal::Binary("T0RhdGE"), "binary'T0RhdGE'"),
        (
            Literal::Enum {
                type_name: "Sales.Pattern",
                value: "Solid,Yellow",
            },
            "Sales.Pattern'Solid,Yellow'",
        ),
        (
            Literal::Enum {
                type_name: "Ns.T",
                value: "it's",
            },
            "Ns.T'it''s'",
        ),
    ];
    for (literal, expected) in cases {
        assert_eq!(literal.to_string(), expected, "{literal:?}");
        assert_eq!(render(&lit(literal)), expected);
    }
}

#[test]
fn strings_are_re_escaped() {
    let cases = [
        ("Pending", "'Pending'"),
        ("", "''"),
        ("O'Neil", "'O''Neil'"),
        ("'", "''''"),
        ("''x'", "'''''x'''"),
        ("a&b+c%d", "'a&b+c%d'"),
        ("株式会社 Zoë", "'株式会社 Zoë'"),
    ];
    for (value, expected) in cases {
        assert_eq!(Literal::String(value).to_string(), expected);
    }
}

#[test]
fn guids_are_lower_case() {
    let guid = Uuid::parse_str("7D4E5C3E-1A2B-4C3D-8E9F-0A1B2C3D4E5F").expect("test guid");
    assert_eq!(
        Literal::Guid(guid).to_string(),
        "7d4e5c3e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"
    );
}

#[test]
fn date_time_offsets() {
    let cases = [
        (
            "2018-12-04T12:43:57.2011911Z",
            "2018-12-04T12:43:57.2011911Z",
        ),
        ("2018-12-04T12:43:57Z", "2018-12-04T12:43:57Z"),
        ("2018-12-04T12:43:57.000Z", "2018-12-04T12:43:57Z"),
        ("2018-12-04T12:43:57.500Z", "2018-12-04T12:43:57.5Z"),
        (
            "2018-12-04T12:43:57.000000001Z",
            "2018-12-04T12:43:57.000000001Z",
        ),
        (
            "2018-12-04T12:43:57.123456789Z",
            "2018-12-04T12:43:57.123456789Z",
        ),
        (
            "2018-12-04T12:43:57.01+01:00",
            "2018-12-04T12:43:57.01+01:00",
        ),
        ("2023-07-15T12:56:40-08:00", "2023-07-15T12:56:40-08:00"),
        ("2019-12-18T19:35:47-00:00", "2019-12-18T19:35:47Z"),
        ("2019-12-18T19:35:47+14:00", "2019-12-18T19:35:47+14:00"),
        ("2019-12-18T19:35:47+05:45", "2019-12-18T19:35:47+05:45"),
        ("2019-12-18T19:35:47-09:30", "2019-12-18T19:35:47-09:30"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ("0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"),
        ("0999-03-04T05:06:07Z", "0999-03-04T05:06:07Z"),
        (
            "9999-12-31T23:59:59.9999999Z",
            "9999-12-31T23:59:59.9999999Z",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(dto(input).to_string(), expected, "{input}");
    }
}

#[test]
fn date_time_offset_years_outside_four_digits() {
    let utc = FixedOffset::east_opt(0).expect("zero offset");
    let at = |year| {
        Literal::DateTimeOffset(DateTimeOffset(
            utc.with_ymd_and_hms(year, 4, 1, 0, 0, 0)
                .single()
                .expect("valid date"),
        ))
    };
    assert_eq!(at(-10000).to_string(), "-10000-04-01T00:00:00Z");
    assert_eq!(at(-1).to_string(), "-0001-04-01T00:00:00Z");
    assert_eq!(at(10000).to_string(), "10000-04-01T00:00:00Z");
    assert_eq!(at(12).to_string(), "0012-04-01T00:00:00Z");
}

#[test]
fn leap_second_is_second_sixty() {
    let time = NaiveTime::from_hms_nano_opt(23, 59, 59, 1_500_000_000).expect("leap second");
    let date = NaiveDate::from_ymd_opt(2016, 12, 31).expect("date");
    let utc = FixedOffset::east_opt(0).expect("zero offset");
    let value = utc
        .from_local_datetime(&date.and_time(time))
        .single()
        .expect("leap second instant");
    assert_eq!(
        Literal::DateTimeOffset(DateTimeOffset(value)).to_string(),
        "2016-12-31T23:59:60.5Z"
    );
    assert_eq!(Literal::TimeOfDay(time).to_string(), "23:59:60.5");
    let whole = NaiveTime::from_hms_nano_opt(23, 59, 59, 1_000_000_000).expect("leap second");
    assert_eq!(Literal::TimeOfDay(whole).to_string(), "23:59:60");
    // A DateTimeOffset reads back a leap second; a time of day has no
    // second 60, so a tree folds its leap second into the last nanosecond
    // of second 59. Either way the tree renders as text that reads back.
    for (literal, text) in [
        (
            Literal::DateTimeOffset(DateTimeOffset(value)),
            "2016-12-31T23:59:60.5Z",
        ),
        (Literal::TimeOfDay(time), "23:59:59.999999999"),
    ] {
        let tree = Expr::literal(literal);
        assert_eq!(tree.to_string(), text);
        assert_eq!(defender_odata::parse_filter(text).as_ref(), Ok(&tree));
    }
}

#[test]
fn dates_and_times() {
    let date = |y, m, d| Literal::Date(NaiveDate::from_ymd_opt(y, m, d).expect("date"));
    assert_eq!(date(2018, 12, 4).to_string(), "2018-12-04");
    assert_eq!(date(7, 1, 2).to_string(), "0007-01-02");
    assert_eq!(date(-10000, 4, 1).to_string(), "-10000-04-01");
    assert_eq!(date(-44, 3, 15).to_string(), "-0044-03-15");
    let time =
        |h, m, s, n| Literal::TimeOfDay(NaiveTime::from_hms_nano_opt(h, m, s, n).expect("t"));
    assert_eq!(
        time(12, 43, 57, 201_191_100).to_string(),
        "12:43:57.2011911"
    );
    assert_eq!(time(0, 0, 0, 0).to_string(), "00:00:00");
    assert_eq!(time(1, 2, 3, 100_000_000).to_string(), "01:02:03.1");
    assert_eq!(time(1, 2, 3, 7).to_string(), "01:02:03.000000007");
}

#[test]
fn order_by_items_and_select() {
    let asc = OrderByItem {
        expr: p("status"),
        descending: false,
    };
    let desc = OrderByItem {
        expr: call(Function::ToLower, vec![p("requestor")]),
        descending: true,
    };
    assert_eq!(asc.to_string(), "status");
    assert_eq!(desc.to_string(), "tolower(requestor) desc");
    assert_eq!(Select::All.to_string(), "*");
    let item = |segments: Vec<PathSegment>| SelectItem::new(path(segments));
    let select = Select::Paths(vec![
        item(vec![prop("id")]),
        item(vec![
            prop("Address"),
            PathSegment::TypeCast("Ns.Home".into()),
            prop("Street"),
        ]),
    ]);
    assert_eq!(select.to_string(), "id,Address/Ns.Home/Street");
    assert_eq!(path(vec![prop("a"), prop("b")]).to_string(), "a/b");
}

fn full_query() -> Query {
    let mut q = Query::default();
    q.select = Some(Select::Paths(vec![
        SelectItem::new(p("id")),
        SelectItem::new(p("status")),
    ]));
    q.expand = Some(vec![ExpandItem::new(p("evidence"))]);
    q.top = Some(2);
    q.skip = Some(10);
    q.orderby = Some(vec![
        OrderByItem {
            expr: p("creationDateTimeUtc"),
            descending: true,
        },
        OrderByItem {
            expr: p("id"),
            descending: false,
        },
    ]);
    q.count = Some(true);
    q.filter = Some(bin(
        And,
        bin(Eq, p("machineId"), string("F46B")),
        bin(
            Gt,
            p("creationDateTimeUtc"),
            lit(dto("2018-12-04T12:43:57+01:00")),
        ),
    ));
    q.custom = vec![
        CustomOption {
            name: "zeta".into(),
            value: Some("a b&c".into()),
        },
        CustomOption {
            name: "flag".into(),
            value: None,
        },
        CustomOption {
            name: "alpha".into(),
            value: Some(String::new()),
        },
    ];
    q
}

#[test]
fn query_options_in_canonical_order() {
    assert_eq!(
        full_query().to_string(),
        "$filter=machineId eq 'F46B' and creationDateTimeUtc gt 2018-12-04T12:43:57+01:00\
         &$count=true&$orderby=creationDateTimeUtc desc,id&$skip=10&$top=2&$select=id,status\
         &$expand=evidence&zeta=a b&c&flag&alpha="
    );
}

#[test]
fn query_encoded_form() {
    assert_eq!(
        full_query().to_query_string(),
        "$filter=machineId%20eq%20'F46B'%20and%20creationDateTimeUtc%20gt%202018-12-04T12:43:57%2B01:00\
         &$count=true&$orderby=creationDateTimeUtc%20desc,id&$skip=10&$top=2&$select=id,status\
         &$expand=evidence&zeta=a%20b%26c&flag&alpha="
    );
}

#[test]
fn absent_options_are_omitted() {
    assert_eq!(Query::default().to_string(), "");
    assert_eq!(Query::default().to_query_string(), "");
    let q = {
        let mut q = Query::default();
        q.top = Some(5);
        q
    };
    assert_eq!(q.to_string(), "$top=5");
    let q = {
        let mut q = Query::default();
        q.count = Some(false);
        q.select = Some(Select::All);
        q
    };
    assert_eq!(q.to_string(), "$count=false&$select=*");
    let q = {
        let mut q = Query::default();
        q.custom = vec![CustomOption {
            name: "x".into(),
            value: Some("1".into()),
        }];
        q
    };
    assert_eq!(q.to_string(), "x=1");
}

#[test]
fn custom_option_names_and_values_are_encoded() {
    let q = {
        let mut q = Query::default();
        q.skip = Some(0);
        q.custom = vec![CustomOption {
            name: "a=b &".into(),
            value: Some("100%+#?".into()),
        }];
        q
    };
    assert_eq!(q.to_query_string(), "$skip=0&a%3Db%20%26=100%25%2B%23%3F");
}

#[test]
fn filter_encoded_form() {
    let e = bin(Eq, p("requestor"), string("O'Neil (x) + y & z%"));
    assert_eq!(
        e.to_query_string(),
        "requestor%20eq%20'O''Neil%20(x)%20%2B%20y%20%26%20z%25'"
    );
    assert_eq!(e.to_query_string(), encode_component(&e.to_string()));
}

/// What the encoded form writes for `s` as an option value.
fn encode_component(s: &str) -> String {
    let mut q = Query::default();
    q.custom = vec![CustomOption {
        name: "x".into(),
        value: Some(s.into()),
    }];
    q.to_query_string()["x=".len()..].to_owned()
}

#[test]
fn encode_component_keeps_only_the_safe_set() {
    let safe = "AZaz09-._~'()*,:@$/!";
    assert_eq!(encode_component(safe), safe);
    assert_eq!(encode_component("+01:00"), "%2B01:00");
    assert_eq!(encode_component(" "), "%20");
    assert_eq!(
        encode_component("&=#?%;[]{}\"<>\\^`|"),
        "%26%3D%23%3F%25%3B%5B%5D%7B%7D%22%3C%3E%5C%5E%60%7C"
    );
    assert_eq!(encode_component("é"), "%C3%A9");
    assert_eq!(encode_component("\u{0}\n\t\u{7f}"), "%00%0A%09%7F");
    // Every other ASCII byte is escaped, in upper-case hex.
    for byte in 0u8..128 {
        let s = (byte as char).to_string();
        let encoded = encode_component(&s);
        if byte.is_ascii_alphanumeric() || "-._~'()*,:@$/!".contains(byte as char) {
            assert_eq!(encoded, s);
        } else {
            assert_eq!(encoded, format!("%{byte:02X}"));
        }
    }
}

#[test]
fn long_chains_render_in_constant_stack() {
    // A client may build an `or` of thousands of ids; the renderer walks
    // left-nested chains in a loop, so a small stack suffices.
    let terms = 3000;
    let chain = (1..terms).fold(bin(Eq, p("id"), int(0)), |acc, i| {
        bin(Or, acc, bin(Eq, p("id"), int(i)))
    });
    let sum = (1..terms).fold(p("a"), |acc, i| bin(Add, acc, int(i)));
    let (text, sum_text) = std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn_scoped(s, || (chain.to_string(), sum.to_query_string()))
            .expect("thread starts")
            .join()
            .expect("rendering does not overflow the stack")
    });
    assert!(text.starts_with("id eq 0 or id eq 1 or id eq 2 or "));
    assert!(text.ends_with(&format!(" or id eq {}", terms - 1)));
    assert_eq!(text.matches(" or ").count() as i64, terms - 1);
    assert!(!text.contains('('));
    assert!(sum_text.starts_with("a%20add%201%20add%202%20"));
    assert_eq!(sum_text.matches("%20add%20").count() as i64, terms - 1);
}

#[test]
fn mixed_left_spine_keeps_needed_parentheses() {
    // ((a or b) and c) eq d: each level binds tighter than the one below.
    let e = bin(Eq, bin(And, bin(Or, p("a"), p("b")), p("c")), p("d"));
    assert_eq!(render(&e), "((a or b) and c) eq d");
    // a add b mul c sub d: (a add (b mul c)) sub d.
    let e = bin(Sub, bin(Add, p("a"), bin(Mul, p("b"), p("c"))), p("d"));
    assert_eq!(render(&e), "a add b mul c sub d");
    // (a mul b) add c: no parentheses needed on the left.
    let e = bin(Add, bin(Mul, p("a"), p("b")), p("c"));
    assert_eq!(render(&e), "a mul b add c");
    // (-a) has b inside a chain.
    let e = bin(Eq, bin(Has, unary(UnaryOp::Negate, p("a")), p("b")), p("c"));
    assert_eq!(render(&e), "(-a) has b eq c");
    let e = bin(And, bin(And, unary(UnaryOp::Not, p("a")), p("b")), p("c"));
    assert_eq!(render(&e), "not a and b and c");
}
