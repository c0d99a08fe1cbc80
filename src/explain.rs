//! `explain`: the AST as an indented tree, for people.
//!
//! Owns: the tree layout (one node a line: its kind, its key detail, its
//! span; children indented two spaces under it). Shows the tree exactly as
//! parsed, names as spelled and spans included. Must not know about: schemas
//! or the canonical form (that is `render`).

use std::fmt::Write;

use chrono::SecondsFormat;

use crate::syntax::ast::{LambdaKind, Select, Span, SpecialFloat, UnaryOp};
use crate::syntax::query::Query;
use crate::syntax::tree::{Expr, ExprKind, ExprRef, Literal, PathRef, SegmentKind, SegmentRef};

impl Expr {
    /// The tree for people: one node a line (its kind, its key detail, its
    /// span), children indented under it, ending in a newline.
    ///
    /// ```
    /// let filter: defender_odata::Expr = "status eq 'Pending'".parse()?;
    /// assert_eq!(
    ///     filter.explain(),
    ///     "eq [0..19]\n  path status [0..6]\n  string 'Pending' [10..19]\n"
    /// );
    /// # Ok::<(), defender_odata::Error>(())
    /// ```
    pub fn explain(&self) -> String {
        explain_filter(self)
    }
}

impl Query {
    /// The tree of the whole query for people: each option given, in
    /// canonical order, its value's nodes indented under its name (as
    /// [`Expr::explain`] lays them out); custom options last.
    pub fn explain(&self) -> String {
        explain_query(self)
    }
}

fn explain_filter(expr: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, expr.root(), 0);
    out
}

fn explain_query(query: &Query) -> String {
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
                write_expr(&mut out, item.path.root(), 1);
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
        ExprKind::Literal(literal) => line(out, depth, &describe_literal(literal), expr.span()),
        ExprKind::Path(path) => write_path(out, path, expr.span(), depth, pending),
        ExprKind::Unary { op, operand } => {
            let label = match op {
                UnaryOp::Not => "not",
                UnaryOp::Negate => "negate",
            };
            line(out, depth, label, expr.span());
            pending.push(Pending::Expr(operand, depth + 1));
        }
        ExprKind::Binary { op, operands } => {
            line(out, depth, op.keyword(), expr.span());
            push_children(pending, operands.into_iter(), depth + 1);
        }
        ExprKind::List(items) => {
            line(out, depth, &format!("list ({})", items.len()), expr.span());
            push_children(pending, items.iter(), depth + 1);
        }
        ExprKind::Call { function, args } => {
            line(
                out,
                depth,
                &format!("call {}", function.name()),
                expr.span(),
            );
            push_children(pending, args.iter(), depth + 1);
        }
        ExprKind::TypeFunction {
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
            SegmentKind::FunctionCall { .. } | SegmentKind::Lambda { .. }
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
        SegmentKind::Property(name) | SegmentKind::TypeCast(name) => name.to_string(),
        SegmentKind::It => "$it".into(),
        SegmentKind::This => "$this".into(),
        SegmentKind::FunctionCall { name, .. } => format!("{name}(…)"),
        SegmentKind::Lambda { kind, predicate } => match predicate {
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
        SegmentKind::Property(name) => line(out, depth, &format!("property {name}"), span),
        SegmentKind::TypeCast(name) => line(out, depth, &format!("typecast {name}"), span),
        SegmentKind::It => line(out, depth, "$it", span),
        SegmentKind::This => line(out, depth, "$this", span),
        SegmentKind::FunctionCall { name, args } => {
            line(out, depth, &format!("function {name}"), span);
            push_children(pending, args.iter(), depth + 1);
        }
        SegmentKind::Lambda { kind, predicate } => match predicate {
            Some(predicate) => {
                let label = format!("{} {}", lambda_name(kind), predicate.variable);
                line(out, depth, &label, span);
                pending.push(Pending::Expr(predicate.body, depth + 1));
            }
            None => line(out, depth, lambda_name(kind), span),
        },
    }
}

fn describe_literal(literal: Literal<'_>) -> String {
    match literal {
        Literal::Null => "null".into(),
        Literal::Boolean(b) => format!("boolean {b}"),
        Literal::Int(n) => format!("int {n}"),
        Literal::Decimal(text) => format!("decimal {text}"),
        Literal::Double(text) => format!("double {text}"),
        Literal::Special(special) => match special {
            SpecialFloat::Infinity => "special INF".into(),
            SpecialFloat::NegativeInfinity => "special -INF".into(),
            SpecialFloat::NaN => "special NaN".into(),
        },
        Literal::String(text) => format!("string {}", quoted(text)),
        Literal::Guid(guid) => format!("guid {guid}"),
        Literal::DateTimeOffset(dto) => format!(
            "datetimeoffset {}",
            dto.0.to_rfc3339_opts(SecondsFormat::AutoSi, true)
        ),
        Literal::Date(date) => format!("date {date}"),
        Literal::TimeOfDay(time) => format!("timeofday {time}"),
        Literal::Duration(text) => format!("duration {}", quoted(text)),
        Literal::Binary(text) => format!("binary {}", quoted(text)),
        Literal::Enum { type_name, value } => format!("enum {type_name}{}", quoted(value)),
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

    fn explain(text: &str) -> String {
        crate::parse_filter(text).expect("a valid filter").explain()
    }

    #[test]
    fn a_comparison_chain_is_an_indented_tree() {
        assert_eq!(
            explain("status eq 'Pending' and machineId eq 'O''F'"),
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
        let cases = [
            ("null", "null"),
            ("true", "boolean true"),
            ("-42", "int -42"),
            ("3.14", "decimal 3.14"),
            ("-1.5e3", "double -1.5e3"),
            ("INF", "special INF"),
            ("-INF", "special -INF"),
            ("NaN", "special NaN"),
            ("'a\nb'", "string 'a\\nb'"),
            (
                "69DC3630-1ED2-4B8B-9C45-3C6A8D7F6D4A",
                "guid 69dc3630-1ed2-4b8b-9c45-3c6a8d7f6d4a",
            ),
            (
                "2018-12-04T12:43:57.2011911+01:00",
                "datetimeoffset 2018-12-04T12:43:57.201191100+01:00",
            ),
            ("2018-12-04", "date 2018-12-04"),
            ("12:43:57", "timeofday 12:43:57"),
            ("duration'P1DT2H'", "duration 'P1DT2H'"),
            ("binary'AQID'", "binary 'AQID'"),
            (
                "Sales.Pattern'Solid,Yellow'",
                "enum Sales.Pattern'Solid,Yellow'",
            ),
        ];
        for (text, label) in cases {
            assert_eq!(explain(text), format!("{label} [0..{}]\n", text.len()));
        }
    }

    #[test]
    fn unary_list_call_and_type_functions_show_their_children() {
        assert_eq!(explain("-x"), "negate [0..2]\n  path x [1..2]\n");
        assert_eq!(explain("not flag"), "not [0..8]\n  path flag [4..8]\n");
        assert_eq!(
            explain("x in ('a','b')"),
            "in [0..14]\n  path x [0..1]\n  list (2) [5..14]\n    string 'a' [6..9]\n    string 'b' [10..13]\n"
        );
        assert_eq!(
            explain("startswith(name,'d')"),
            "call startswith [0..20]\n  path name [11..15]\n  string 'd' [16..19]\n"
        );
        assert_eq!(
            explain("cast(x,Edm.String)"),
            "cast Edm.String [0..18]\n  path x [5..6]\n"
        );
        assert_eq!(
            explain("isof(Model.Customer)"),
            "isof Model.Customer [0..20]\n"
        );
    }

    #[test]
    fn every_segment_kind_is_shown_and_lambdas_list_their_segments() {
        assert_eq!(
            explain("$it/Sales.Manager/Name"),
            "path $it/Sales.Manager/Name [0..22]\n"
        );
        assert_eq!(
            explain("Items/any(x:x/Price gt 5)"),
            "path Items/any(x:…) [0..25]\n\
             \x20 property Items [0..5]\n\
             \x20 any x [6..25]\n\
             \x20   gt [12..24]\n\
             \x20     path x/Price [12..19]\n\
             \x20     int 5 [23..24]\n"
        );
        assert_eq!(
            explain("$this/Model.F(1)/any()"),
            "path $this/Model.F(…)/any() [0..22]\n\
             \x20 $this [0..5]\n\
             \x20 function Model.F [6..16]\n\
             \x20   int 1 [14..15]\n\
             \x20 any [17..22]\n"
        );
    }

    #[test]
    fn a_long_chain_is_written_without_recursion() {
        // 2,000 operands nest 1,999 deep: a walk recursing once per level
        // would need far more stack than this thread's 256 KiB.
        let operands = 2_000;
        let text = vec!["x"; operands].join(" or ");
        let options = crate::ParseOptions::default()
            .with_limits(crate::Limits::default().with_max_nodes(10 * operands));
        let expr = crate::parse_filter_with(&text, &options).expect("a valid chain");
        let explained = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || expr.explain())
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
        let query = crate::parse(
            "debug=it's&$select=status&$top=2&$skip=3&$orderby=creationDateTimeUtc desc,id\
             &$count=true&flag&$filter=status eq 'Pending'",
        )
        .expect("a valid query");
        assert_eq!(
            query.explain(),
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
        assert_eq!(crate::parse("$select=*").unwrap().explain(), "$select *\n");
        assert_eq!(Query::default().explain(), "");
    }
}
