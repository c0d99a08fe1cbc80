//! Tests of the whole parser (entry points, errors, limits), and the tree
//! printers the rooms' own tests share.
//!
//! Must not know about: any room's internals; these read through the entry
//! points only.

use super::*;
use crate::syntax::tree::{ExprKind, ExprRef, Literal as L, SegmentKind};

/// A compact S-expression of the tree, so shape tests read at a glance
/// (independent of the canonical renderer, which has its own tests).
pub(super) fn sexp(e: ExprRef<'_>) -> String {
    match e.kind() {
        ExprKind::Literal(L::String(s)) => format!("'{s}'"),
        ExprKind::Literal(l) => format!("{l:?}"),
        ExprKind::Path(p) => p
            .segments()
            .map(|s| match s.kind() {
                SegmentKind::Property(n) | SegmentKind::TypeCast(n) => n.to_string(),
                SegmentKind::It => "$it".into(),
                SegmentKind::This => "$this".into(),
                SegmentKind::FunctionCall { name, args } => format!(
                    "{name}({})",
                    args.iter().map(sexp).collect::<Vec<_>>().join(",")
                ),
                SegmentKind::Lambda { kind, predicate } => match predicate {
                    None => format!("{kind:?}()"),
                    Some(p) => format!("{kind:?}({}:{})", p.variable, sexp(p.body)),
                },
            })
            .collect::<Vec<_>>()
            .join("/"),
        ExprKind::Unary { op, operand } => format!("({op:?} {})", sexp(operand)),
        ExprKind::Binary { op, operands } => {
            let [left, right] = operands;
            format!("({} {} {})", op.keyword(), sexp(left), sexp(right))
        }
        ExprKind::List(items) => {
            format!("[{}]", items.iter().map(sexp).collect::<Vec<_>>().join(","))
        }
        ExprKind::Call { function, args } => format!(
            "{}({})",
            function.name(),
            args.iter().map(sexp).collect::<Vec<_>>().join(",")
        ),
        ExprKind::TypeFunction {
            function,
            operand,
            type_name,
        } => match operand {
            Some(o) => format!("{}({},{type_name})", function.name(), sexp(o)),
            None => format!("{}({type_name})", function.name()),
        },
    }
}

pub(super) fn shape(input: &str) -> String {
    let e = parse_filter(input, &ParseOptions::default())
        .unwrap_or_else(|d| panic!("{input:?} failed: {d}"));
    sexp(e.root())
}

pub(super) fn strict_shape(input: &str) -> Result<String, Code> {
    parse_filter(input, &ParseOptions::strict())
        .map(|e| sexp(e.root()))
        .map_err(|d| d.code)
}

pub(super) fn code(input: &str) -> Code {
    match parse_filter(input, &ParseOptions::default()) {
        Ok(e) => panic!("{input:?} parsed as {}", sexp(e.root())),
        Err(d) => d.code,
    }
}

#[test]
fn identifiers_that_start_with_keywords_are_identifiers() {
    for name in [
        "notes",
        "android",
        "orders",
        "nullable",
        "trueValue",
        "inProgress",
        "order",
        "andy",
        "Notify",
        "eqx",
    ] {
        assert_eq!(
            shape(&format!("{name} eq 1")),
            format!("(eq {name} Int(1))")
        );
    }
    assert_eq!(shape("not notes"), "(Not notes)");
    assert_eq!(shape("NULL eq null"), "(eq NULL Null)");
}

#[test]
fn keywords_are_case_insensitive_but_null_inf_nan_are_not() {
    assert_eq!(
        shape("a EQ 1 AND b Ne 2 Or NOT c"),
        "(or (and (eq a Int(1)) (ne b Int(2))) (Not c))"
    );
    assert_eq!(shape("StartsWith(a,'x')"), "startswith(a,'x')");
    assert_eq!(shape("tRUe"), "Boolean(true)");
    assert_eq!(shape("INF"), "Special(Infinity)");
    assert_eq!(shape("inf"), "inf");
    assert_eq!(shape("NaN"), "Special(NaN)");
}

#[test]
fn paths_lambdas_and_calls() {
    assert_eq!(
        shape("DirectReports/Sales.Manager/any()"),
        "DirectReports/Sales.Manager/Any()"
    );
    assert_eq!(
        shape("Items/any(x:x/Price gt 5)"),
        "Items/Any(x:(gt x/Price Int(5)))"
    );
    assert_eq!(
        shape("Items/ALL(x: x/Price gt 5)"),
        "Items/All(x:(gt x/Price Int(5)))"
    );
    assert_eq!(shape("$it/Name eq $this"), "(eq $it/Name $this)");
    assert_eq!(
        shape("Products/Model.BestProduct()/Name"),
        "Products/Model.BestProduct()/Name"
    );
    assert_eq!(
        shape("Model.Available(1,'x')"),
        "Model.Available(Int(1),'x')"
    );
    assert_eq!(
        shape("cast(Category,Edm.Boolean)"),
        "cast(Category,Edm.Boolean)"
    );
    assert_eq!(shape("isof(Model.Customer)"), "isof(Model.Customer)");
    assert_eq!(shape("substring(a,1,2)"), "substring(a,Int(1),Int(2))");
    assert_eq!(
        shape("contains( requestorComment , 'alert' )"),
        "contains(requestorComment,'alert')"
    );
    assert_eq!(shape("a in ()"), "(in a [])");
    assert_eq!(shape("a in ('x')"), "(in a ['x'])");
    assert_eq!(shape("a in (b)"), "(in a [b])");
    assert_eq!(
        shape("style has Sales.Pattern'Yellow'"),
        "(has style Enum { type_name: \"Sales.Pattern\", value: \"Yellow\" })"
    );
    assert_eq!(shape("now()"), "now()");
}

#[test]
fn error_codes() {
    assert_eq!(code(""), Code::Syntax);
    assert_eq!(code("   "), Code::Syntax);
    assert_eq!(code("(a eq 1"), Code::Syntax);
    assert_eq!(code("a eq 1)"), Code::Syntax);
    assert_eq!(code("'abc"), Code::Syntax);
    assert_eq!(code("a in (b,c)"), Code::Syntax);
    assert_eq!(code("a eq ('x','y')"), Code::Syntax);
    assert_eq!(code("any()"), Code::Syntax);
    assert_eq!(code("Products/all()"), Code::Syntax);
    assert_eq!(code("Model.Available"), Code::Syntax);
    assert_eq!(code("startswith(a)"), Code::InvalidArguments);
    assert_eq!(code("now(1)"), Code::InvalidArguments);
    assert_eq!(code("startwith(a,'x')"), Code::UnknownFunction);
    assert_eq!(code("2018-13-01"), Code::InvalidLiteral);
    assert_eq!(code("2011-12-31T24:00Z"), Code::InvalidLiteral);
    assert_eq!(code("2024-01-01T00:00:00"), Code::InvalidLiteral);
    assert_eq!(code("duration'P'"), Code::InvalidLiteral);
    assert_eq!(code("datetime'2024-01-01T00:00:00'"), Code::InvalidLiteral);
    assert_eq!(code("42."), Code::Syntax);
    assert_eq!(code("-0.314e1e2"), Code::Syntax);
}

#[test]
fn errors_point_at_the_problem_and_help() {
    let d = parse_filter("startwith(computerDnsName,'x')", &ParseOptions::default()).unwrap_err();
    assert_eq!((d.span().unwrap().start, d.span().unwrap().end), (0, 9));
    assert_eq!(d.help.as_deref(), Some("did you mean 'startswith'?"));
    let d = parse_filter(
        "creationDateTimeUtc gt 2024-01-01T00:00:00 01:00",
        &ParseOptions::default(),
    )
    .unwrap_err();
    assert_eq!(d.code, Code::InvalidLiteral);
    assert!(d.help.unwrap().contains("%2B"));
    let d = parse_filter("status eq 'Pending' foo", &ParseOptions::default()).unwrap_err();
    assert_eq!((d.span().unwrap().start, d.span().unwrap().end), (20, 23));
}

#[test]
fn limits_are_enforced_while_parsing() {
    let deep = format!("{}a{}", "(".repeat(101), ")".repeat(101));
    assert_eq!(code(&deep), Code::TooDeep);
    let ok = format!("{}a{}", "(".repeat(100), ")".repeat(100));
    assert_eq!(shape(&ok), "a");
    assert_eq!(code(&"not ".repeat(101).to_string()), Code::TooDeep);
    let many = vec!["a eq 1"; 300].join(" or ");
    assert_eq!(code(&many), Code::TooManyNodes);
    let long = format!("a eq '{}'", "x".repeat(16 * 1024));
    assert_eq!(code(&long), Code::TooLong);
}

#[test]
fn a_hundred_thousand_parentheses_do_not_overflow_a_small_stack() {
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            let input = "(".repeat(100_000);
            let limits = Limits {
                max_value_len: usize::MAX,
                ..Limits::default()
            };
            let options = ParseOptions {
                limits,
                ..ParseOptions::default()
            };
            parse_filter(&input, &options).map_err(|d| d.code)
        })
        .unwrap();
    assert_eq!(handle.join().unwrap().unwrap_err(), Code::TooDeep);
}
