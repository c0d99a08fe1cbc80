//! The round-trip laws, property-tested over generated trees (`support`),
//! and checked on the benchmark corpus:
//! 1. a filter's canonical text parses back to the same tree:
//!    `parse_filter(&f.to_string()) == Ok(f)`;
//! 2. a query's encoded form parses back to the same query:
//!    `parse(&q.to_query_string()) == Ok(q)`;
//! 3. rendering is idempotent: `render(parse(render(f))) == render(f)`;
//! 4. every corpus line: parse → render → parse gives an equal tree, and the
//!    second render equals the first.
//!
//! Equality ignores spans, so generated trees carry default spans.

mod support;

use std::collections::BTreeSet;

use defender_odata::ast::{
    BinaryOp, DateTimeOffset, Expr, ExprKind, ExprRef, LambdaKind, Literal, Query, SegmentKind,
    SpecialFloat, UnaryOp,
};
use defender_odata::{parse, parse_filter};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

/// Cases per property: 512 unless `PROPTEST_CASES` says otherwise (for
/// longer hunts).
fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(cases)
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn law_1_filter_human_form_parses_back(f in support::filter_expr()) {
        let text = f.to_string();
        prop_assert_eq!(parse_filter(&text), Ok(f), "rendered: {}", text);
    }

    /// Every shape a tree can hold survives being copied out of it: each
    /// subtree, copied into a tree of its own, reads (spans included) and
    /// renders as it did in place, and the whole tree copies out equal.
    #[test]
    fn every_subtree_copies_out_as_the_same_tree(f in support::filter_expr()) {
        prop_assert_eq!(&f.root().to_expr(), &f);
        let mut differ = Vec::new();
        support::visit(f.root(), &mut |e| {
            let copy = e.to_expr();
            let same = copy.to_string() == e.to_string()
                && format!("{:?}", copy.root()) == format!("{e:?}");
            if !same {
                differ.push(e.to_string());
            }
        });
        prop_assert!(differ.is_empty(), "copied out differently: {:?}", differ);
    }

    #[test]
    fn law_3_rendering_is_idempotent(f in support::filter_expr()) {
        let once = f.to_string();
        let reparsed = parse_filter(&once);
        prop_assert!(reparsed.is_ok(), "rendered: {} error: {:?}", once, reparsed);
        let twice = reparsed.map(|e| e.to_string()).unwrap_or_default();
        prop_assert_eq!(twice, once);
    }
}

proptest! {
    // Chains of four or more operands are a small share of generated trees,
    // and the grouping that matters is one of several: more cases (cheap).
    #![proptest_config(cases(4096))]

    /// Parentheses that precedence does not need change nothing: with
    /// every operand parenthesized and every `and`/`or` chain grouped in a
    /// random association (`a and ((b and c) and d)`), the text reads back
    /// as the same tree. The canonical form has only the parentheses
    /// precedence needs, so law 1 alone never shows the parser a chain
    /// grouped inside another.
    #[test]
    fn regrouped_and_parenthesized_text_parses_to_the_same_tree(
        f in support::filter_expr(),
        seed in any::<u64>(),
    ) {
        let text = regrouped(f.root(), &mut XorShift(seed | 1));
        prop_assert_eq!(parse_filter(&text), Ok(f), "written: {}", text);
    }
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn law_2_encoded_query_parses_back(q in support::query()) {
        let text = q.to_query_string();
        prop_assert_eq!(parse(&text), Ok(q), "rendered: {}", text);
    }

    #[test]
    fn encoded_query_is_the_human_form_encoded_piecewise(q in support::query()) {
        // Each option's value is exactly its human form, encoded: decoding
        // the encoded form gives the human form back.
        let human = q.to_string();
        let encoded = q.to_query_string();
        let decoded: Vec<String> = encoded
            .split('&')
            .map(percent_decode)
            .collect();
        prop_assert_eq!(decoded.join("&"), human);
        prop_assert!(
            encoded.bytes().all(|b| b.is_ascii_graphic() && !b"+#?\"<>[]{}|\\^`;".contains(&b)),
            "unsafe byte left in {}", encoded
        );
    }
}

struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// `f` with every operand of a binary or unary operator in parentheses
/// (except the right operand of `in`: parenthesized, it is a list), and
/// each `and`/`or` chain split into parenthesized halves at random points.
fn regrouped(f: ExprRef<'_>, rng: &mut XorShift) -> String {
    match f.kind() {
        ExprKind::Binary { op, .. } if matches!(op, BinaryOp::And | BinaryOp::Or) => {
            // The chain's operands, in order, down its left spine.
            let mut operands = Vec::new();
            let mut node = f;
            while let ExprKind::Binary {
                op: o,
                operands: [left, right],
            } = node.kind()
            {
                if o != op {
                    break;
                }
                operands.push(right);
                node = left;
            }
            operands.push(node);
            operands.reverse();
            group(&operands, op.keyword(), rng)
        }
        ExprKind::Binary {
            op,
            operands: [left, right],
        } => {
            let right = match op {
                BinaryOp::In => right.to_string(),
                _ => format!("({})", regrouped(right, rng)),
            };
            format!("({}) {} {right}", regrouped(left, rng), op.keyword())
        }
        ExprKind::Unary { op, operand } => {
            let op = match op {
                UnaryOp::Not => "not ",
                UnaryOp::Negate => "-",
                other => panic!("an operator this test does not know: {other:?}"),
            };
            format!("{op}({})", regrouped(operand, rng))
        }
        _ => f.to_string(),
    }
}

fn group(operands: &[ExprRef<'_>], keyword: &str, rng: &mut XorShift) -> String {
    if let [one] = operands {
        return format!("({})", regrouped(*one, rng));
    }
    let split = 1 + rng.below(operands.len() - 1);
    format!(
        "({} {keyword} {})",
        group(&operands[..split], keyword, rng),
        group(&operands[split..], keyword, rng)
    )
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

fn corpus() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/data/filters.txt");
    let text = std::fs::read_to_string(path).expect("benchmark corpus is readable");
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn law_4_benchmark_corpus_round_trips() {
    let lines = corpus();
    assert_eq!(lines.len(), 300, "the corpus has 300 filters");
    let mut failures = Vec::new();
    for (number, line) in lines.iter().enumerate() {
        let first = match parse_filter(line) {
            Ok(tree) => tree,
            Err(e) => {
                failures.push(format!("line {}: does not parse: {e:?}", number + 1));
                continue;
            }
        };
        let rendered = first.to_string();
        match parse_filter(&rendered) {
            Ok(second) if second == first => {
                let again = second.to_string();
                if again != rendered {
                    failures.push(format!(
                        "line {}: second render differs:\n  {rendered}\n  {again}",
                        number + 1
                    ));
                }
            }
            Ok(_) => failures.push(format!("line {}: re-parse differs: {rendered}", number + 1)),
            Err(e) => failures.push(format!(
                "line {}: render does not parse: {rendered}: {e:?}",
                number + 1
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} lines fail:\n{}",
        failures.len(),
        lines.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_examples_render_canonically() {
    // Whitespace and redundant parentheses go; quotes and spellings stay.
    let cases = [
        (
            "status in ('Pending', 'InProgress')",
            "status in ('Pending','InProgress')",
        ),
        ("((status eq 'Failed'))", "status eq 'Failed'"),
        (
            "not startswith(tolower(type), 'isolate')",
            "not startswith(tolower(type),'isolate')",
        ),
        (
            "lastUpdateTimeUtc lt 2019-07-15Z",
            "lastUpdateTimeUtc lt 2019-07-15T00:00:00Z",
        ),
        (
            "creationDateTimeUtc eq 2019-12-18T19:35:47-00:00",
            "creationDateTimeUtc eq 2019-12-18T19:35:47Z",
        ),
        (
            "id eq 7D4E5C3E-1A2B-4C3D-8E9F-0A1B2C3D4E5F",
            "id eq 7d4e5c3e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
        ),
        (
            "not (not ((requestor ne 'x') or a eq false))",
            "not not (requestor ne 'x' or a eq false)",
        ),
        ("a and (b and c)", "a and b and c"),
        ("(a or b) and c", "(a or b) and c"),
        (
            "machineId eq 'x'and type eq 'y'",
            "machineId eq 'x' and type eq 'y'",
        ),
        ("StartsWith(a,'x') AND NOT b", "startswith(a,'x') and not b"),
        ("-(5) add -5", "- 5 add -5"),
    ];
    for (input, expected) in cases {
        let parsed = parse_filter(input);
        assert!(parsed.is_ok(), "{input}: {parsed:?}");
        if let Ok(tree) = parsed {
            assert_eq!(tree.to_string(), expected, "{input}");
        }
    }
}

/// The kinds of node a generated tree contains, by name.
fn kinds(expr: &Expr, seen: &mut BTreeSet<String>) {
    support::visit(expr.root(), &mut |e| {
        let name = match e.kind() {
            ExprKind::Literal(l) => {
                seen.extend(literal_corners(l).into_iter().map(String::from));
                format!("literal {}", literal_kind(l))
            }
            ExprKind::Path(p) => {
                for s in p.segments() {
                    seen.insert(format!("segment {}", segment_kind(s.kind())));
                }
                if let Some(first) = p.get(0) {
                    seen.insert(format!("first {}", segment_kind(first.kind())));
                }
                "path".into()
            }
            ExprKind::Unary { op, .. } => format!("unary {op:?}"),
            ExprKind::Binary { op, operands } => {
                if op == BinaryOp::In && !matches!(operands[1].kind(), ExprKind::List(_)) {
                    seen.insert("in without a list".into());
                }
                format!("binary {op:?}")
            }
            ExprKind::List(items) => format!("list of {}", items.len().min(2)),
            ExprKind::Call { .. } => "call".into(),
            ExprKind::TypeFunction {
                function, operand, ..
            } => format!("{function:?} with operand {}", operand.is_some()),
            other => format!("unknown {other:?}"),
        };
        seen.insert(name);
    });
}

fn literal_kind(l: Literal<'_>) -> &'static str {
    match l {
        Literal::Null => "null",
        Literal::Boolean(_) => "boolean",
        Literal::Int(_) => "int",
        Literal::Decimal(_) => "decimal",
        Literal::Double(_) => "double",
        Literal::Special(_) => "special",
        Literal::String(_) => "string",
        Literal::Guid(_) => "guid",
        Literal::DateTimeOffset(_) => "datetimeoffset",
        Literal::Date(_) => "date",
        Literal::TimeOfDay(_) => "timeofday",
        Literal::Duration(_) => "duration",
        Literal::Binary(_) => "binary",
        Literal::Enum { .. } => "enum",
        _ => "unknown",
    }
}

/// The digits a fraction of a second needs: none, milliseconds, ticks
/// (7) or nanoseconds (9).
fn fraction_digits(nanos: u32) -> usize {
    match nanos % 1_000_000_000 {
        0 => 0,
        n if n % 1_000_000 == 0 => 3,
        n if n % 100 == 0 => 7,
        _ => 9,
    }
}

/// Literal values the renderer writes in a special way, or the grammar
/// reads in a special way.
fn literal_corners(l: Literal<'_>) -> Vec<&'static str> {
    use chrono::{Datelike, Offset, Timelike};
    let fraction = |nanos: u32| match fraction_digits(nanos) {
        7 => Some("seven-digit fraction"),
        9 => Some("nine-digit fraction"),
        _ => None,
    };
    let mut corners = Vec::new();
    match l {
        Literal::DateTimeOffset(DateTimeOffset(v)) => {
            if v.nanosecond() >= 1_000_000_000 {
                corners.push("leap second");
            }
            if v.year() < 0 {
                corners.push("negative year");
            }
            if v.offset().fix().local_minus_utc() != 0 {
                corners.push("offset");
            }
            corners.extend(fraction(v.nanosecond()));
        }
        Literal::Date(d) if d.year() > 9999 => corners.push("five-digit year"),
        Literal::TimeOfDay(t) => corners.extend(fraction(t.nanosecond())),
        Literal::Decimal(d) if !d.contains('.') => corners.push("decimal beyond i64"),
        Literal::Special(SpecialFloat::Infinity) => corners.push("INF"),
        Literal::Special(SpecialFloat::NegativeInfinity) => corners.push("-INF"),
        Literal::Special(SpecialFloat::NaN) => corners.push("NaN"),
        Literal::Enum { value, .. } if value.contains(',') => corners.push("enum flags"),
        Literal::String(s) => {
            if s.contains('\'') {
                corners.push("string with a quote");
            }
            if s.contains(['&', '+', '%']) {
                corners.push("string with & + or %");
            }
            if !s.is_ascii() {
                corners.push("non-ASCII string");
            }
        }
        _ => {}
    }
    corners
}

fn segment_kind(s: SegmentKind<'_>) -> &'static str {
    match s {
        SegmentKind::Property(_) => "property",
        SegmentKind::TypeCast(_) => "typecast",
        SegmentKind::It => "$it",
        SegmentKind::This => "$this",
        SegmentKind::FunctionCall { name, .. } if name.contains('.') => "qualified call",
        SegmentKind::FunctionCall { .. } => "unqualified call",
        SegmentKind::Lambda {
            kind: LambdaKind::Any,
            predicate: None,
        } => "any()",
        SegmentKind::Lambda { kind, .. } => match kind {
            LambdaKind::Any => "any(x:…)",
            LambdaKind::All => "all(x:…)",
            _ => "unknown lambda",
        },
        _ => "unknown",
    }
}

#[test]
fn generator_covers_every_node_and_literal_kind() {
    let mut runner = TestRunner::deterministic();
    let strategy = support::filter_expr();
    let mut seen = BTreeSet::new();
    for _ in 0..3000 {
        let tree = strategy
            .new_tree(&mut runner)
            .expect("generator produces trees")
            .current();
        kinds(&tree, &mut seen);
        assert!(support::node_count(&tree) <= support::MAX_NODES, "{tree}");
    }
    let mut expected: Vec<String> = [
        "null",
        "boolean",
        "int",
        "decimal",
        "double",
        "special",
        "string",
        "guid",
        "datetimeoffset",
        "date",
        "timeofday",
        "duration",
        "binary",
        "enum",
    ]
    .iter()
    .map(|k| format!("literal {k}"))
    .collect();
    expected.extend(BinaryOp::ALL.iter().map(|op| format!("binary {op:?}")));
    expected.extend(["unary Not", "unary Negate", "path", "call"].map(String::from));
    expected.extend(
        [
            "in without a list",
            "leap second",
            "negative year",
            "five-digit year",
            "enum flags",
            "string with a quote",
            "string with & + or %",
            "non-ASCII string",
            "seven-digit fraction",
            "nine-digit fraction",
            "offset",
            "decimal beyond i64",
            "INF",
            "-INF",
            "NaN",
        ]
        .map(String::from),
    );
    expected.extend(["list of 0", "list of 1", "list of 2"].map(String::from));
    for f in ["Cast", "IsOf"] {
        for operand in [true, false] {
            expected.push(format!("{f} with operand {operand}"));
        }
    }
    for s in [
        "property",
        "typecast",
        "$it",
        "$this",
        "qualified call",
        "unqualified call",
        "any()",
        "any(x:…)",
        "all(x:…)",
    ] {
        expected.push(format!("segment {s}"));
    }
    for s in ["property", "typecast", "$it", "$this", "qualified call"] {
        expected.push(format!("first {s}"));
    }
    let missing: Vec<&String> = expected.iter().filter(|k| !seen.contains(*k)).collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
    // And nothing the parser cannot produce.
    for never in [
        "first unqualified call",
        "first any()",
        "first any(x:…)",
        "first all(x:…)",
    ] {
        assert!(!seen.contains(never), "generated {never}");
    }
}

#[test]
fn generated_paths_keep_lambdas_last() {
    let mut runner = TestRunner::deterministic();
    let strategy = support::filter_expr();
    for _ in 0..1000 {
        let tree = strategy
            .new_tree(&mut runner)
            .expect("generator produces trees")
            .current();
        support::visit(tree.root(), &mut |e| {
            if let ExprKind::Path(p) = e.kind() {
                let lambdas = p
                    .segments()
                    .position(|s| matches!(s.kind(), SegmentKind::Lambda { .. }));
                if let Some(i) = lambdas {
                    assert_eq!(i + 1, p.len(), "lambda not last: {e}");
                    assert!(i > 0, "lambda first: {e}");
                }
                if matches!(p.get(0).map(|s| s.kind()), Some(SegmentKind::TypeCast(_))) {
                    assert!(p.len() > 1, "lone type cast: {e}");
                }
            }
            if let ExprKind::Binary {
                op: op @ (BinaryOp::And | BinaryOp::Or),
                operands,
            } = e.kind()
            {
                assert!(
                    !matches!(operands[1].kind(), ExprKind::Binary { op: r, .. } if r == op),
                    "right-nested chain: {e}"
                );
            }
        });
    }
}

#[test]
fn generator_covers_every_query_option() {
    let mut runner = TestRunner::deterministic();
    let strategy = support::query();
    let mut present = [0usize; 8];
    let mut absent = [0usize; 6];
    for _ in 0..500 {
        let q: Query = strategy
            .new_tree(&mut runner)
            .expect("generator produces queries")
            .current();
        let options = [
            q.filter.is_some(),
            q.count.is_some(),
            q.orderby.is_some(),
            q.skip.is_some(),
            q.top.is_some(),
            q.select.is_some(),
        ];
        for (i, given) in options.into_iter().enumerate() {
            if given {
                present[i] += 1;
            } else {
                absent[i] += 1;
            }
        }
        if q.custom.iter().any(|c| c.value.is_none()) {
            present[6] += 1;
        }
        if q.custom.iter().any(|c| c.value.is_some()) {
            present[7] += 1;
        }
    }
    assert!(present.iter().all(|&n| n > 0), "present: {present:?}");
    assert!(absent.iter().all(|&n| n > 0), "absent: {absent:?}");
}

#[test]
fn spec_example_renders_as_documented() {
    // The documented example: `parse`, which knows no schema, keeps the
    // given spellings.
    let q = parse("$TOP=2&$filter=MachineId+eq+'F46B...'and(Status eq 'Succeeded')");
    assert!(q.is_ok(), "{q:?}");
    if let Ok(q) = q {
        assert_eq!(
            q.to_string(),
            "$filter=MachineId eq 'F46B...' and Status eq 'Succeeded'&$top=2"
        );
        assert_eq!(
            q.to_query_string(),
            "$filter=MachineId%20eq%20'F46B...'%20and%20Status%20eq%20'Succeeded'&$top=2"
        );
    }
}

#[test]
fn full_url_input_renders_canonically() {
    let url = "https://api.securitycenter.microsoft.com/api/machineactions\
               ?$select=id,status&filter=status%20eq%20%27Pending%27\
               &$orderby=creationDateTimeUtc%20asc,id%20desc&$count=true&x=1#frag";
    let q = parse(url);
    assert!(q.is_ok(), "{q:?}");
    if let Ok(q) = q {
        assert_eq!(
            q.to_string(),
            "$filter=status eq 'Pending'&$count=true&$orderby=creationDateTimeUtc,id desc\
             &$select=id,status&x=1"
        );
        assert_eq!(
            q.to_query_string(),
            "$filter=status%20eq%20'Pending'&$count=true&$orderby=creationDateTimeUtc,id%20desc\
             &$select=id,status&x=1"
        );
        assert_eq!(parse(&q.to_query_string()), Ok(q));
    }
}
