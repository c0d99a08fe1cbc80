//! Test support: proptest strategies for `$filter` trees and whole queries.
//!
//! Owns: generators of ASTs the parser can produce (SPEC §4), for the
//! round-trip laws of SPEC §7. Must not know about: how the parser or the
//! renderer work; the generators follow the grammar, not the code.
//!
//! "Can produce" shapes the generators:
//! - binary nodes come only from `Expr::binary` (and/or chains are
//!   left-nested, as the parser builds them);
//! - a list appears only as the right operand of `in`: with 0 or ≥2
//!   elements it is a literal list; with one element it is `in (expr)`,
//!   which reads back as a one-element list whatever `expr` is;
//! - identifiers are never keywords, literal words, built-in function names
//!   or GUID-like (8 hex digits), which the lexer reads as something else;
//! - a path starts with a property, `$it`, `$this`, a qualified function
//!   call, or a type cast followed by more segments; an unqualified function
//!   call is never first; a lambda is only last and never first.

#![allow(dead_code)] // Each test crate that includes this module uses a part of it.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Timelike};
use defender_odata::syntax::ast::*;
use defender_odata::{FilterExpr, Query};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use uuid::Uuid;

/// How deep generated expressions nest (operators, calls, lambdas).
pub const MAX_DEPTH: u32 = 4;

/// Generated trees stay well under the parser's default node limit (1,000).
const MAX_NODES: usize = 400;

/// Words the lexer reads as something other than an identifier. Keywords and
/// function names are case-insensitive, so they are compared that way.
const RESERVED: &[&str] = &[
    "eq", "ne", "gt", "ge", "lt", "le", "and", "or", "not", "add", "sub", "mul", "div", "divby",
    "mod", "has", "in", "true", "false", "null", "any", "all", "cast", "isof", "inf", "nan", "asc",
    "desc", "duration", "binary",
];

fn is_reserved(word: &str) -> bool {
    let guid_like = word.len() >= 8 && word.bytes().take(8).all(|b| b.is_ascii_hexdigit());
    guid_like
        || RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
        || Function::lookup(word).is_some()
}

fn node(kind: ExprKind) -> Expr {
    Expr::new(kind, Span::default())
}

fn segment(kind: SegmentKind) -> Segment {
    Segment {
        kind,
        span: Span::default(),
    }
}

/// A plain identifier: `[a-z][a-zA-Z0-9_]{0,8}`, not reserved.
pub fn identifier() -> BoxedStrategy<String> {
    "[a-z][a-zA-Z0-9_]{0,8}"
        .prop_filter("reserved word", |s| !is_reserved(s))
        .boxed()
}

/// A qualified name `Ns.Name` (sometimes `Ns.Sub.Name`).
pub fn qualified_name() -> BoxedStrategy<String> {
    vec("[A-Z][a-zA-Z0-9]{0,5}", 2..=3)
        .prop_filter("reserved word", |parts| {
            parts.iter().all(|part| !is_reserved(part))
        })
        .prop_map(|parts| parts.join("."))
        .boxed()
}

fn string_value() -> BoxedStrategy<String> {
    prop_oneof![
        vec(any::<char>(), 0..12).prop_map(String::from_iter),
        "[a-z'&+%() =#?]{0,10}",
        "\\PC{0,8}",
    ]
    .boxed()
}

fn decimal_text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "-?(0|[1-9][0-9]{0,4})\\.[0-9]{1,5}",
        // Integers too large for an i64 are decimals.
        1 => "-?[1-9][0-9]{19,24}",
    ]
    .boxed()
}

fn double_text() -> BoxedStrategy<String> {
    "-?(0|[1-9][0-9]{0,3})(\\.[0-9]{1,4})?e-?[0-9]{1,2}".boxed()
}

/// Years are mostly `0..=9999`; sometimes outside (negative, five
/// digits), which the grammar reads too and the renderer writes specially.
fn date() -> BoxedStrategy<NaiveDate> {
    let year = prop_oneof![9 => 0..=9999i32, 1 => -99_999..=99_999i32];
    (year, 1..=12u32, 1..=31u32)
        .prop_filter_map("no such day", |(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))
        .boxed()
}

fn time_of_day() -> BoxedStrategy<NaiveTime> {
    let nanos = prop_oneof![
        Just(0u32),
        (0..1000u32).prop_map(|ms| ms * 1_000_000),
        (0..10_000_000u32).prop_map(|ticks| ticks * 100),
        0..1_000_000_000u32,
    ];
    (0..24u32, 0..60u32, 0..60u32, nanos)
        .prop_filter_map("no such time", |(h, m, s, n)| {
            NaiveTime::from_hms_nano_opt(h, m, s, n)
        })
        .boxed()
}

fn date_time_offset() -> BoxedStrategy<DateTimeOffset> {
    let offset_minutes = prop_oneof![Just(0i32), -840..=840i32];
    // chrono keeps a leap second as second 59 with nanos >= 1e9.
    let leap_second = prop_oneof![9 => Just(false), 1 => Just(true)];
    (date(), time_of_day(), offset_minutes, leap_second)
        .prop_filter_map("no such instant", |(d, t, minutes, leap)| {
            let t = if leap {
                NaiveTime::from_hms_nano_opt(
                    t.hour(),
                    t.minute(),
                    59,
                    1_000_000_000 + t.nanosecond(),
                )?
            } else {
                t
            };
            let offset = FixedOffset::east_opt(minutes * 60)?;
            let value: DateTime<FixedOffset> =
                offset.from_local_datetime(&d.and_time(t)).single()?;
            Some(DateTimeOffset(value))
        })
        .boxed()
}

fn duration_text() -> BoxedStrategy<String> {
    let part = || option::of(0..1000u32);
    let seconds = option::of((0..100u32, option::of("[0-9]{1,3}")));
    (any::<bool>(), part(), part(), part(), seconds)
        .prop_map(|(negative, days, hours, minutes, seconds)| {
            let mut text = String::from(if negative { "-P" } else { "P" });
            if let Some(d) = days {
                text += &format!("{d}D");
            }
            if hours.is_some() || minutes.is_some() || seconds.is_some() {
                text.push('T');
                if let Some(h) = hours {
                    text += &format!("{h}H");
                }
                if let Some(m) = minutes {
                    text += &format!("{m}M");
                }
                if let Some((s, fraction)) = seconds {
                    text += &format!("{s}");
                    if let Some(f) = fraction {
                        text += &format!(".{f}");
                    }
                    text.push('S');
                }
            } else if days.is_none() {
                text += "0D";
            }
            text
        })
        .boxed()
}

/// Any literal kind, with the values the parser can read.
pub fn literal() -> BoxedStrategy<Literal> {
    let special = select(vec![
        SpecialFloat::Infinity,
        SpecialFloat::NegativeInfinity,
        SpecialFloat::NaN,
    ]);
    prop_oneof![
        1 => Just(Literal::Null),
        1 => any::<bool>().prop_map(Literal::Boolean),
        1 => prop_oneof![any::<i64>(), -1000..1000i64].prop_map(Literal::Int),
        1 => decimal_text().prop_map(|s| Literal::Decimal(s.into())),
        1 => double_text().prop_map(|s| Literal::Double(s.into())),
        1 => special.prop_map(Literal::Special),
        2 => string_value().prop_map(|s| Literal::String(s.into())),
        1 => any::<u128>().prop_map(|n| Literal::Guid(Uuid::from_u128(n))),
        2 => date_time_offset().prop_map(Literal::DateTimeOffset),
        1 => date().prop_map(Literal::Date),
        1 => time_of_day().prop_map(Literal::TimeOfDay),
        1 => duration_text().prop_map(|s| Literal::Duration(s.into())),
        1 => "([A-Za-z0-9_-]{4}){0,4}".prop_map(|s| Literal::Binary(s.into())),
        1 => (qualified_name(), "[A-Za-z]{1,8}(,[A-Za-z]{1,8}){0,2}|[0-9]{1,3}")
            .prop_map(|(type_name, value)| Literal::Enum(Box::new(EnumLiteral {
                type_name: type_name.into(),
                value: value.into(),
            }))),
    ]
    .boxed()
}

fn literal_expr() -> BoxedStrategy<Expr> {
    literal().prop_map(|l| node(ExprKind::Literal(l))).boxed()
}

/// Arguments of a path function call: none without a sub-strategy.
fn call_args(sub: &Option<BoxedStrategy<Expr>>) -> BoxedStrategy<Vec<Expr>> {
    match sub {
        Some(sub) => vec(sub.clone(), 0..=2).boxed(),
        None => Just(Vec::new()).boxed(),
    }
}

fn lambda(sub: &Option<BoxedStrategy<Expr>>) -> BoxedStrategy<SegmentKind> {
    let any_empty = Just(SegmentKind::Lambda(Lambda {
        kind: LambdaKind::Any,
        predicate: None,
    }));
    match sub {
        None => any_empty.boxed(),
        Some(sub) => prop_oneof![
            1 => any_empty,
            3 => (
                select(vec![LambdaKind::Any, LambdaKind::All]),
                identifier(),
                sub.clone()
            )
                .prop_map(|(kind, variable, body)| {
                    SegmentKind::Lambda(Lambda {
                        kind,
                        predicate: Some(LambdaPredicate {
                            variable: variable.into(),
                            body: Box::new(body),
                        }),
                    })
                }),
        ]
        .boxed(),
    }
}

/// A member path; `sub` (when given) generates function-call arguments and
/// lambda bodies.
fn path(sub: Option<BoxedStrategy<Expr>>) -> BoxedStrategy<Expr> {
    // (segment, whether more segments must follow)
    let first = prop_oneof![
        5 => identifier().prop_map(|n| (SegmentKind::Property(n.into()), false)),
        1 => Just((SegmentKind::It, false)),
        1 => Just((SegmentKind::This, false)),
        1 => (qualified_name(), call_args(&sub))
            .prop_map(|(name, args)| (SegmentKind::FunctionCall { name: name.into(), args }, false)),
        1 => qualified_name().prop_map(|n| (SegmentKind::TypeCast(n.into()), true)),
    ];
    let middle = prop_oneof![
        4 => identifier().prop_map(|n| SegmentKind::Property(n.into())),
        1 => qualified_name().prop_map(|n| SegmentKind::TypeCast(n.into())),
        1 => (prop_oneof![identifier(), qualified_name()], call_args(&sub))
            .prop_map(|(name, args)| SegmentKind::FunctionCall { name: name.into(), args }),
    ];
    let last = prop_oneof![3 => Just(None), 1 => lambda(&sub).prop_map(Some)];
    (first, identifier(), vec(middle, 0..=2), last)
        .prop_map(|((first, needs_more), filler, middle, last)| {
            let mut segments = vec![first];
            segments.extend(middle);
            segments.extend(last);
            if needs_more && segments.len() == 1 {
                segments.push(SegmentKind::Property(filler.into()));
            }
            node(ExprKind::Path(MemberPath {
                segments: segments.into_iter().map(segment).collect(),
            }))
        })
        .boxed()
}

/// The right operand of `in`: a literal list of 0 or ≥2 elements, a
/// one-element list of any expression, or a primary that is no list (a
/// collection-valued path, a call, a literal): `in` binds tighter than any
/// unary or binary operator, so `in (expr)` is always a list.
fn in_list(sub: BoxedStrategy<Expr>) -> BoxedStrategy<Expr> {
    let primary = sub
        .clone()
        .prop_filter("a list or a parenthesized operand", |e| {
            !matches!(
                e.kind,
                ExprKind::Unary { .. } | ExprKind::Binary { .. } | ExprKind::List(_)
            )
        });
    prop_oneof![
        1 => Just(node(ExprKind::List(Vec::new()))),
        3 => vec(literal_expr(), 2..=4).prop_map(|items| node(ExprKind::List(items))),
        2 => sub.prop_map(|item| node(ExprKind::List(vec![item]))),
        1 => primary,
    ]
    .boxed()
}

fn binary(sub: BoxedStrategy<Expr>) -> BoxedStrategy<Expr> {
    let ops: Vec<BinaryOp> = BinaryOp::ALL
        .into_iter()
        .filter(|op| *op != BinaryOp::In)
        .collect();
    prop_oneof![
        8 => (select(ops), sub.clone(), sub.clone())
            .prop_map(|(op, left, right)| Expr::binary(op, left, right)),
        // and/or chains are the common case; give them extra weight.
        4 => (select(vec![BinaryOp::And, BinaryOp::Or]), sub.clone(), sub.clone())
            .prop_map(|(op, left, right)| Expr::binary(op, left, right)),
        1 => (sub.clone(), in_list(sub))
            .prop_map(|(left, list)| Expr::binary(BinaryOp::In, left, list)),
    ]
    .boxed()
}

fn unary(sub: BoxedStrategy<Expr>) -> BoxedStrategy<Expr> {
    (select(vec![UnaryOp::Not, UnaryOp::Negate]), sub)
        .prop_map(|(op, operand)| {
            node(ExprKind::Unary {
                op,
                operand: Box::new(operand),
            })
        })
        .boxed()
}

fn call(sub: BoxedStrategy<Expr>) -> BoxedStrategy<Expr> {
    select(Function::ALL.to_vec())
        .prop_flat_map(move |function| {
            let (min, max) = function.arity();
            vec(sub.clone(), min..=max)
                .prop_map(move |args| node(ExprKind::Call { function, args }))
        })
        .boxed()
}

fn type_function(sub: BoxedStrategy<Expr>) -> BoxedStrategy<Expr> {
    let type_name = prop_oneof![
        3 => qualified_name(),
        1 => select(vec!["Edm.String", "Edm.Int32", "Edm.DateTimeOffset"]).prop_map(String::from),
        1 => identifier(),
    ];
    (
        select(vec![TypeFunction::Cast, TypeFunction::IsOf]),
        option::of(sub),
        type_name,
    )
        .prop_map(|(function, operand, type_name)| {
            node(ExprKind::TypeFunction {
                function,
                operand: operand.map(Box::new),
                type_name: type_name.into(),
            })
        })
        .boxed()
}

/// Expressions nested at most `depth` operators/calls deep.
pub fn expr(depth: u32) -> BoxedStrategy<Expr> {
    let leaf = prop_oneof![3 => literal_expr(), 2 => path(None)];
    if depth == 0 {
        return leaf.boxed();
    }
    let sub = expr(depth - 1);
    prop_oneof![
        3 => leaf,
        5 => binary(sub.clone()),
        1 => unary(sub.clone()),
        1 => call(sub.clone()),
        1 => type_function(sub.clone()),
        1 => path(Some(sub)),
    ]
    .prop_filter("too many nodes", |e| node_count(e) <= MAX_NODES)
    .boxed()
}

/// `$filter` trees the parser can produce, covering every node and literal
/// kind.
pub fn filter_expr() -> BoxedStrategy<Expr> {
    expr(MAX_DEPTH)
}

/// Nodes as the parser counts them against `Limits::max_nodes`: expression
/// nodes (path arguments and lambda bodies included) and path segments.
pub fn node_count(expr: &Expr) -> usize {
    let mut count = 0;
    visit(expr, &mut |e| {
        count += 1;
        if let ExprKind::Path(path) = &e.kind {
            count += path.segments.len();
        }
    });
    count
}

/// Calls `f` on every expression node of `expr`, parents first.
pub fn visit(expr: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(expr);
    match &expr.kind {
        ExprKind::Literal(_) => {}
        ExprKind::Path(path) => {
            for s in &path.segments {
                match &s.kind {
                    SegmentKind::FunctionCall { args, .. } => {
                        args.iter().for_each(|a| visit(a, f));
                    }
                    SegmentKind::Lambda(Lambda {
                        predicate: Some(p), ..
                    }) => visit(&p.body, f),
                    _ => {}
                }
            }
        }
        ExprKind::Unary { operand, .. } => visit(operand, f),
        ExprKind::Binary { operands, .. } => operands.iter().for_each(|o| visit(o, f)),
        ExprKind::List(items) | ExprKind::Call { args: items, .. } => {
            items.iter().for_each(|a| visit(a, f));
        }
        ExprKind::TypeFunction { operand, .. } => {
            if let Some(operand) = operand {
                visit(operand, f);
            }
        }
    }
}

fn order_by_item() -> BoxedStrategy<OrderByItem> {
    (expr(2), any::<bool>())
        .prop_map(|(expr, descending)| OrderByItem {
            expr: FilterExpr::from_expr(&expr),
            descending,
        })
        .boxed()
}

fn select_item() -> BoxedStrategy<SelectItem> {
    let rest = prop_oneof![
        3 => identifier().prop_map(|n| SegmentKind::Property(n.into())),
        1 => qualified_name().prop_map(|n| SegmentKind::TypeCast(n.into())),
    ];
    (identifier(), vec(rest, 0..=2))
        .prop_map(|(first, rest)| {
            let segments = std::iter::once(SegmentKind::Property(first.into()))
                .chain(rest)
                .map(segment)
                .collect();
            SelectItem {
                path: MemberPath { segments },
                span: Span::default(),
            }
        })
        .boxed()
}

fn select_option() -> BoxedStrategy<Select> {
    prop_oneof![
        1 => Just(Select::All),
        3 => vec(select_item(), 1..=3).prop_map(Select::Paths),
    ]
    .boxed()
}

/// Custom options: names that are no OData option (they start with `x`,
/// or with a character no option name starts with, such as `/` or `@`,
/// which could make a rendered query look like a URL), unique
/// case-insensitively; any value, or none.
fn custom_options() -> BoxedStrategy<Vec<CustomOption>> {
    let name = prop_oneof![
        "x[a-zA-Z0-9_]{0,6}",
        "x[a-z&=+%#?'(), -]{0,5}[a-z]",
        "[/:!@][a-z/:.?]{0,6}"
    ];
    let value = option::of(prop_oneof![
        "[a-zA-Z0-9]{0,6}",
        string_value(),
        "[ &=+%#?$]{0,4}"
    ]);
    vec((name, value), 0..=3)
        .prop_map(|options| {
            let mut seen: Vec<String> = Vec::new();
            options
                .into_iter()
                .filter(|(name, _)| {
                    let key = name.to_lowercase();
                    let fresh = !seen.contains(&key);
                    seen.push(key);
                    fresh
                })
                .map(|(name, value)| CustomOption { name, value })
                .collect()
        })
        .boxed()
}

fn count_like() -> BoxedStrategy<i64> {
    prop_oneof![0..100i64, 0..=i64::MAX].boxed()
}

/// Whole queries: every system option (each present or not) and custom
/// options.
pub fn query() -> BoxedStrategy<Query> {
    (
        option::of(filter_expr()),
        option::of(any::<bool>()),
        option::of(vec(order_by_item(), 1..=3)),
        option::of(count_like()),
        option::of(count_like()),
        option::of(select_option()),
        custom_options(),
    )
        .prop_map(
            |(filter, count, orderby, skip, top, select, custom)| Query {
                filter: filter.as_ref().map(FilterExpr::from_expr),
                count,
                orderby,
                skip,
                top,
                select,
                custom,
                ..Query::default()
            },
        )
        .boxed()
}
