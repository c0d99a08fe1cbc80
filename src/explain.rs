//! `explain`: the AST as an indented tree, for people.
//!
//! Owns: the tree layout (one node a line: its kind, its key detail, its
//! span; children indented two spaces under it). Shows the tree exactly as
//! parsed, names as spelled and spans included. Must not know about: schemas
//! or the canonical form (that is `render`).

use std::fmt::Write;

use chrono::SecondsFormat;

use crate::syntax::ast::{Expr, ExprKind, LambdaKind, Select, Span, SpecialFloat, UnaryOp};
use crate::syntax::query::Query;
use crate::syntax::tree::{
    ExprRef, ExprRefKind, FilterExpr, LiteralRef, PathRef, SegmentRef, SegmentRefKind,
};

/// The tree of one `$filter` expression, one node a line, ending in a newline.
pub fn explain_filter(expr: &FilterExpr) -> String {
    let mut out = String::new();
    write_expr(&mut out, expr.root(), 0);
    out
}

/// The tree of a whole query: each option given, in canonical order, its
/// value's nodes indented under its name; custom options last.
pub fn explain_query(query: &Query) -> String {
    let mut out = String::new();
    if let Some(filter) = &query.filter {
        out.push_str("$filter\n");
        write_expr(&mut out, filter.root(), 1);
    }
    if let Some(count) = query.count {
        let _ = writeln!(out, "$count {count}");
    }
    if let Some(items) = &query.orderby {
        out.push_str("$orderby\n");
        for item in items {
            let direction = if item.descending { "desc" } else { "asc" };
            let expr = item.expr.root();
            line(&mut out, 1, direction, expr.span());
            write_expr(&mut out, expr, 2);
        }
    }
    if let Some(skip) = query.skip {
        let _ = writeln!(out, "$skip {skip}");
    }
    if let Some(top) = query.top {
        let _ = writeln!(out, "$top {top}");
    }
    match &query.select {
        Some(Select::All) => out.push_str("$select *\n"),
        Some(Select::Paths(items)) => {
            out.push_str("$select\n");
            for item in items {
                // A `$select` path is owned, not a view; as a one-node
                // filter tree it is laid out exactly as a filter's paths are.
                let path = Expr::new(ExprKind::Path(item.path.clone()), item.span);
                write_expr(&mut out, FilterExpr::from_expr(&path).root(), 1);
            }
        }
        None => {}
    }
    for option in &query.custom {
        match &option.value {
            Some(value) => {
                let _ = writeln!(out, "custom {}={}", quoted(&option.name), quoted(value));
            }
            None => {
                let _ = writeln!(out, "custom {} (no value)", quoted(&option.name));
            }
        }
    }
    out
}

/// Writes `label [start..end]` at `depth`.
fn line(out: &mut String, depth: usize, label: &str, span: Span) {
    indent(out, depth);
    let _ = writeln!(out, "{label} [{}..{}]", span.start, span.end);
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// A node still to be written, at its depth.
enum Pending<'a> {
    Expr(ExprRef<'a>, usize),
    Segment(SegmentRef<'a>, usize),
}

/// Writes `expr` and everything under it, depth first. A stack of pending
/// nodes stands in for recursion: an `and`/`or` chain is left-nested, as
/// deep as it is long, and must not overflow the call stack.
fn write_expr(out: &mut String, expr: ExprRef<'_>, depth: usize) {
    let mut pending = vec![Pending::Expr(expr, depth)];
    while let Some(next) = pending.pop() {
        match next {
            Pending::Expr(expr, depth) => write_node(out, expr, depth, &mut pending),
            Pending::Segment(segment, depth) => write_segment(out, segment, depth, &mut pending),
        }
    }
}

/// Writes one node's line and pushes its children.
fn write_node<'a>(
    out: &mut String,
    expr: ExprRef<'a>,
    depth: usize,
    pending: &mut Vec<Pending<'a>>,
) {
    match expr.kind() {
        ExprRefKind::Literal(literal) => line(out, depth, &describe_literal(literal), expr.span()),
        ExprRefKind::Path(path) => write_path(out, path, expr.span(), depth, pending),
        ExprRefKind::Unary { op, operand } => {
            let label = match op {
                UnaryOp::Not => "not",
                UnaryOp::Negate => "negate",
            };
            line(out, depth, label, expr.span());
            pending.push(Pending::Expr(operand, depth + 1));
        }
        ExprRefKind::Binary { op, operands } => {
            line(out, depth, op.keyword(), expr.span());
            push_children(pending, operands.into_iter(), depth + 1);
        }
        ExprRefKind::List(items) => {
            line(out, depth, &format!("list ({})", items.len()), expr.span());
            push_children(pending, items.iter(), depth + 1);
        }
        ExprRefKind::Call { function, args } => {
            line(
                out,
                depth,
                &format!("call {}", function.name()),
                expr.span(),
            );
            push_children(pending, args.iter(), depth + 1);
        }
        ExprRefKind::TypeFunction {
            function,
            operand,
            type_name,
        } => {
            line(
                out,
                depth,
                &format!("{} {type_name}", function.name()),
                expr.span(),
            );
            if let Some(operand) = operand {
                pending.push(Pending::Expr(operand, depth + 1));
            }
        }
    }
}

/// Pushes `children`, last first, so that they are written in order.
fn push_children<'a>(
    pending: &mut Vec<Pending<'a>>,
    children: impl DoubleEndedIterator<Item = ExprRef<'a>>,
    depth: usize,
) {
    pending.extend(children.rev().map(|child| Pending::Expr(child, depth)));
}

/// A path of plain segments is one line (`path Address/City`); one with a
/// call or lambda also lists its segments, since those hold expressions.
fn write_path<'a>(
    out: &mut String,
    path: PathRef<'a>,
    span: Span,
    depth: usize,
    pending: &mut Vec<Pending<'a>>,
) {
    let text: Vec<String> = path.segments().map(segment_text).collect();
    line(out, depth, &format!("path {}", text.join("/")), span);
    let plain = path.segments().all(|s| {
        !matches!(
            s.kind(),
            SegmentRefKind::FunctionCall { .. } | SegmentRefKind::Lambda { .. }
        )
    });
    if !plain {
        pending.extend(
            path.segments()
                .rev()
                .map(|segment| Pending::Segment(segment, depth + 1)),
        );
    }
}

fn segment_text(segment: SegmentRef<'_>) -> String {
    match segment.kind() {
        SegmentRefKind::Property(name) | SegmentRefKind::TypeCast(name) => name.to_string(),
        SegmentRefKind::It => "$it".into(),
        SegmentRefKind::This => "$this".into(),
        SegmentRefKind::FunctionCall { name, .. } => format!("{name}(…)"),
        SegmentRefKind::Lambda { kind, predicate } => match predicate {
            Some(p) => format!("{}({}:…)", lambda_name(kind), p.variable),
            None => format!("{}()", lambda_name(kind)),
        },
    }
}

fn lambda_name(kind: LambdaKind) -> &'static str {
    match kind {
        LambdaKind::Any => "any",
        LambdaKind::All => "all",
    }
}

/// Writes one segment's line and pushes the expressions it holds.
fn write_segment<'a>(
    out: &mut String,
    segment: SegmentRef<'a>,
    depth: usize,
    pending: &mut Vec<Pending<'a>>,
) {
    let span = segment.span();
    match segment.kind() {
        SegmentRefKind::Property(name) => line(out, depth, &format!("property {name}"), span),
        SegmentRefKind::TypeCast(name) => line(out, depth, &format!("typecast {name}"), span),
        SegmentRefKind::It => line(out, depth, "$it", span),
        SegmentRefKind::This => line(out, depth, "$this", span),
        SegmentRefKind::FunctionCall { name, args } => {
            line(out, depth, &format!("function {name}"), span);
            push_children(pending, args.iter(), depth + 1);
        }
        SegmentRefKind::Lambda { kind, predicate } => match predicate {
            Some(predicate) => {
                let label = format!("{} {}", lambda_name(kind), predicate.variable);
                line(out, depth, &label, span);
                pending.push(Pending::Expr(predicate.body, depth + 1));
            }
            None => line(out, depth, lambda_name(kind), span),
        },
    }
}

fn describe_literal(literal: LiteralRef<'_>) -> String {
    match literal {
        LiteralRef::Null => "null".into(),
        LiteralRef::Boolean(b) => format!("boolean {b}"),
        LiteralRef::Int(n) => format!("int {n}"),
        LiteralRef::Decimal(text) => format!("decimal {text}"),
        LiteralRef::Double(text) => format!("double {text}"),
        LiteralRef::Special(special) => match special {
            SpecialFloat::Infinity => "special INF".into(),
            SpecialFloat::NegativeInfinity => "special -INF".into(),
            SpecialFloat::NaN => "special NaN".into(),
        },
        LiteralRef::String(text) => format!("string {}", quoted(text)),
        LiteralRef::Guid(guid) => format!("guid {guid}"),
        LiteralRef::DateTimeOffset(dto) => format!(
            "datetimeoffset {}",
            dto.0.to_rfc3339_opts(SecondsFormat::AutoSi, true)
        ),
        LiteralRef::Date(date) => format!("date {date}"),
        LiteralRef::TimeOfDay(time) => format!("timeofday {time}"),
        LiteralRef::Duration(text) => format!("duration {}", quoted(text)),
        LiteralRef::Binary(text) => format!("binary {}", quoted(text)),
        LiteralRef::Enum { type_name, value } => format!("enum {type_name}{}", quoted(value)),
    }
}

/// `'text'` with `''` for a quote, as OData writes strings; control
/// characters are escaped so that one node stays one line.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("''"),
            c if c.is_control() => out.extend(c.escape_debug()),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::ast::{
        BinaryOp, CustomOption, DateTimeOffset, EnumLiteral, Function, Lambda, LambdaPredicate,
        Literal, MemberPath, OrderByItem, Segment, SegmentKind, Select, SelectItem, TypeFunction,
    };
    use chrono::{NaiveDate, NaiveTime};

    fn node(kind: ExprKind, start: usize, end: usize) -> Expr {
        Expr::new(kind, Span::new(start, end))
    }

    fn lit(literal: Literal, start: usize, end: usize) -> Expr {
        node(ExprKind::Literal(literal), start, end)
    }

    fn segment(kind: SegmentKind, start: usize, end: usize) -> Segment {
        Segment {
            kind,
            span: Span::new(start, end),
        }
    }

    fn path(names: &[&str], start: usize, end: usize) -> Expr {
        let segments = names
            .iter()
            .map(|n| segment(SegmentKind::Property((*n).into()), start, end))
            .collect();
        node(ExprKind::Path(MemberPath { segments }), start, end)
    }

    fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
        Expr::binary(op, left, right)
    }

    /// [`explain_filter`] of the flat form of `expr`.
    fn explain(expr: &Expr) -> String {
        explain_filter(&FilterExpr::from_expr(expr))
    }

    #[test]
    fn a_comparison_chain_is_an_indented_tree() {
        // status eq 'Pending' and machineId eq 'F46B'
        let expr = binary(
            BinaryOp::And,
            binary(
                BinaryOp::Eq,
                path(&["status"], 0, 6),
                lit(Literal::String("Pending".into()), 10, 19),
            ),
            binary(
                BinaryOp::Eq,
                path(&["machineId"], 24, 33),
                lit(Literal::String("O'F".into()), 37, 43),
            ),
        );
        assert_eq!(
            explain(&expr),
            "and [0..43]\n\
             \x20 eq [0..19]\n\
             \x20   path status [0..6]\n\
             \x20   string 'Pending' [10..19]\n\
             \x20 eq [24..43]\n\
             \x20   path machineId [24..33]\n\
             \x20   string 'O''F' [37..43]\n"
        );
    }

    #[test]
    fn every_literal_kind_has_its_own_label() {
        let dto = chrono::DateTime::parse_from_rfc3339("2018-12-04T12:43:57.2011911+01:00")
            .expect("valid date-time");
        let cases = [
            (Literal::Null, "null"),
            (Literal::Boolean(true), "boolean true"),
            (Literal::Int(-42), "int -42"),
            (Literal::Decimal("3.14".into()), "decimal 3.14"),
            (Literal::Double("-1.5e3".into()), "double -1.5e3"),
            (Literal::Special(SpecialFloat::Infinity), "special INF"),
            (
                Literal::Special(SpecialFloat::NegativeInfinity),
                "special -INF",
            ),
            (Literal::Special(SpecialFloat::NaN), "special NaN"),
            (Literal::String("a\nb".into()), "string 'a\\nb'"),
            (
                Literal::Guid(
                    uuid::Uuid::parse_str("69DC3630-1ED2-4B8B-9C45-3C6A8D7F6D4A")
                        .expect("valid guid"),
                ),
                "guid 69dc3630-1ed2-4b8b-9c45-3c6a8d7f6d4a",
            ),
            (
                Literal::DateTimeOffset(DateTimeOffset(dto)),
                "datetimeoffset 2018-12-04T12:43:57.201191100+01:00",
            ),
            (
                Literal::Date(NaiveDate::from_ymd_opt(2018, 12, 4).expect("valid date")),
                "date 2018-12-04",
            ),
            (
                Literal::TimeOfDay(NaiveTime::from_hms_opt(12, 43, 57).expect("valid time")),
                "timeofday 12:43:57",
            ),
            (Literal::Duration("P1DT2H".into()), "duration 'P1DT2H'"),
            (Literal::Binary("AQID".into()), "binary 'AQID'"),
            (
                Literal::Enum(Box::new(EnumLiteral {
                    type_name: "Sales.Pattern".into(),
                    value: "Solid,Yellow".into(),
                })),
                "enum Sales.Pattern'Solid,Yellow'",
            ),
        ];
        for (literal, label) in cases {
            assert_eq!(explain(&lit(literal, 3, 7)), format!("{label} [3..7]\n"));
        }
    }

    #[test]
    fn unary_list_call_and_type_functions_show_their_children() {
        let negate = node(
            ExprKind::Unary {
                op: UnaryOp::Negate,
                operand: Box::new(lit(Literal::Int(1), 1, 2)),
            },
            0,
            2,
        );
        let not = node(
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand: Box::new(path(&["flag"], 4, 8)),
            },
            0,
            8,
        );
        let list = node(
            ExprKind::List(vec![
                lit(Literal::String("a".into()), 1, 4),
                lit(Literal::String("b".into()), 5, 8),
            ]),
            0,
            9,
        );
        let call = node(
            ExprKind::Call {
                function: Function::StartsWith,
                args: vec![
                    path(&["name"], 11, 15),
                    lit(Literal::String("d".into()), 16, 19),
                ],
            },
            0,
            20,
        );
        let cast = node(
            ExprKind::TypeFunction {
                function: TypeFunction::Cast,
                operand: Some(Box::new(path(&["x"], 5, 6))),
                type_name: "Edm.String".into(),
            },
            0,
            18,
        );
        let isof = node(
            ExprKind::TypeFunction {
                function: TypeFunction::IsOf,
                operand: None,
                type_name: "Model.Customer".into(),
            },
            0,
            20,
        );
        assert_eq!(explain(&negate), "negate [0..2]\n  int 1 [1..2]\n");
        assert_eq!(explain(&not), "not [0..8]\n  path flag [4..8]\n");
        assert_eq!(
            explain(&list),
            "list (2) [0..9]\n  string 'a' [1..4]\n  string 'b' [5..8]\n"
        );
        assert_eq!(
            explain(&call),
            "call startswith [0..20]\n  path name [11..15]\n  string 'd' [16..19]\n"
        );
        assert_eq!(explain(&cast), "cast Edm.String [0..18]\n  path x [5..6]\n");
        assert_eq!(explain(&isof), "isof Model.Customer [0..20]\n");
    }

    #[test]
    fn every_segment_kind_is_shown_and_lambdas_list_their_segments() {
        let plain = node(
            ExprKind::Path(MemberPath {
                segments: vec![
                    segment(SegmentKind::It, 0, 3),
                    segment(SegmentKind::TypeCast("Sales.Manager".into()), 4, 17),
                    segment(SegmentKind::Property("Name".into()), 18, 22),
                ],
            }),
            0,
            22,
        );
        assert_eq!(explain(&plain), "path $it/Sales.Manager/Name [0..22]\n");

        // Items/any(x:x/Price gt 5)/… and $this/F(1)/all()-like shapes.
        let body = binary(
            BinaryOp::Gt,
            path(&["x", "Price"], 12, 19),
            lit(Literal::Int(5), 23, 24),
        );
        let lambda = node(
            ExprKind::Path(MemberPath {
                segments: vec![
                    segment(SegmentKind::Property("Items".into()), 0, 5),
                    segment(
                        SegmentKind::Lambda(Lambda {
                            kind: LambdaKind::Any,
                            predicate: Some(LambdaPredicate {
                                variable: "x".into(),
                                body: Box::new(body),
                            }),
                        }),
                        6,
                        25,
                    ),
                ],
            }),
            0,
            25,
        );
        assert_eq!(
            explain(&lambda),
            "path Items/any(x:…) [0..25]\n\
             \x20 property Items [0..5]\n\
             \x20 any x [6..25]\n\
             \x20   gt [12..24]\n\
             \x20     path x/Price [12..19]\n\
             \x20     int 5 [23..24]\n"
        );

        let calls = node(
            ExprKind::Path(MemberPath {
                segments: vec![
                    segment(SegmentKind::This, 0, 5),
                    segment(
                        SegmentKind::FunctionCall {
                            name: "Model.F".into(),
                            args: vec![lit(Literal::Int(1), 14, 15)],
                        },
                        6,
                        16,
                    ),
                    segment(
                        SegmentKind::Lambda(Lambda {
                            kind: LambdaKind::All,
                            predicate: None,
                        }),
                        17,
                        22,
                    ),
                ],
            }),
            0,
            22,
        );
        assert_eq!(
            explain(&calls),
            "path $this/Model.F(…)/all() [0..22]\n\
             \x20 $this [0..5]\n\
             \x20 function Model.F [6..16]\n\
             \x20   int 1 [14..15]\n\
             \x20 all [17..22]\n"
        );
    }

    #[test]
    fn a_long_chain_is_written_without_recursion() {
        // 2,000 operands nest 1,999 deep: a walk recursing once per level
        // would need far more stack than this thread's 256 KiB.
        let operands = 2_000;
        let text = vec!["x"; operands].join(" or ");
        let mut options = crate::ParseOptions::default();
        options.limits.max_nodes = 10 * operands;
        let expr = crate::parse_filter_with(&text, &options).expect("a valid chain");
        let explained = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || explain_filter(&expr))
            .expect("a thread")
            .join()
            .expect("no overflow");
        let lines: Vec<&str> = explained.lines().collect();
        assert_eq!(lines.len(), 2 * operands - 1);
        assert_eq!(lines[0], format!("or [0..{}]", text.len()));
        let deepest = "  ".repeat(operands - 1);
        assert_eq!(lines[operands - 1], format!("{deepest}path x [0..1]"));
        assert_eq!(
            lines[lines.len() - 1],
            format!("  path x [{}..{}]", text.len() - 1, text.len())
        );
    }

    #[test]
    fn a_query_lists_its_options_in_canonical_order() {
        let query = Query {
            filter: Some(FilterExpr::from_expr(&binary(
                BinaryOp::Eq,
                path(&["status"], 0, 6),
                lit(Literal::String("Pending".into()), 10, 19),
            ))),
            count: Some(true),
            orderby: Some(vec![
                OrderByItem {
                    expr: FilterExpr::from_expr(&path(&["creationDateTimeUtc"], 0, 19)),
                    descending: true,
                },
                OrderByItem {
                    expr: FilterExpr::from_expr(&path(&["id"], 25, 27)),
                    descending: false,
                },
            ]),
            skip: Some(3),
            top: Some(2),
            select: Some(Select::Paths(vec![SelectItem {
                path: MemberPath {
                    segments: vec![segment(SegmentKind::Property("status".into()), 0, 6)],
                },
                span: Span::new(0, 6),
            }])),
            custom: vec![
                CustomOption {
                    name: "debug".into(),
                    value: Some("it's".into()),
                },
                CustomOption {
                    name: "flag".into(),
                    value: None,
                },
            ],
            sources: Default::default(),
        };
        assert_eq!(
            explain_query(&query),
            "$filter\n\
             \x20 eq [0..19]\n\
             \x20   path status [0..6]\n\
             \x20   string 'Pending' [10..19]\n\
             $count true\n\
             $orderby\n\
             \x20 desc [0..19]\n\
             \x20   path creationDateTimeUtc [0..19]\n\
             \x20 asc [25..27]\n\
             \x20   path id [25..27]\n\
             $skip 3\n\
             $top 2\n\
             $select\n\
             \x20 path status [0..6]\n\
             custom 'debug'='it''s'\n\
             custom 'flag' (no value)\n"
        );
        let star = Query {
            select: Some(Select::All),
            ..Query::default()
        };
        assert_eq!(explain_query(&star), "$select *\n");
        assert_eq!(explain_query(&Query::default()), "");
    }
}
