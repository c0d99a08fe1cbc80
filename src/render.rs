//! The canonical renderer: any tree back to one query string.
//!
//! Owns: the canonical text of every node (`Display`, the human form) and of
//! a whole [`Query`] (`Display`, and [`Query::to_query_string`], the
//! percent-encoded form), and the encoding set.
//!
//! Must not know about: parsing, schemas or evaluation. It renders what the
//! tree says; the round-trip laws hold for every tree the parser can produce
//! (`Expr::binary` and the parser keep `and`/`or` chains left-nested, so the
//! flat text of a chain reads back as the same tree). It reads [`Expr`]s
//! through their views.
//!
//! Parentheses are written only where precedence needs them (see
//! [`BinaryOp::precedence`] and [`UNARY_PRECEDENCE`]):
//! - binary operators are left-associative, so a left operand is wrapped
//!   when it binds more loosely than its parent, a right operand when it
//!   binds more loosely or equally (`a sub (b sub c)`, `a sub b sub c`);
//!   `and`/`or` are associative as well, so a right operand with the same
//!   `and`/`or` is written flat (`a and (b and c)` renders `a and b and c`);
//! - `not` and `-` wrap their operand only when it binds more loosely than
//!   they do: `not (a eq b)`, but `not not a`, `not a in ('x')` (`has` and
//!   `in` bind tighter). A negated literal is written `- 5`: `-5` would read
//!   back as the integer literal, and `-(5)` would nest one level deeper than
//!   the input needed. So rendering never adds nesting, and a tree at the
//!   depth limit still reads back, with one exception: a lone property named
//!   `not` (in any case) is written in parentheses, `(Not) eq null`, because
//!   bare it reads back as the operator. Only a tree with such a leaf at the
//!   depth limit, from input that ended with it unparenthesized, fails to
//!   read back (`TooDeep`); no other spelling reads as that path.
//!
//! DateTimeOffset, Date and TimeOfDay are formatted by hand rather than with
//! chrono's `%Y`, whose output differs from the OData form for years outside
//! `0..=9999`. An offset is written to the minute: OData has no seconds in
//! an offset, and the parser never produces one.

use std::fmt::{self, Write};

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::syntax::ast::{
    BinaryOp, CustomOption, DateTimeOffset, ExpandItem, LambdaKind, OrderByItem, Select,
    SelectItem, SpecialFloat, UnaryOp, UNARY_PRECEDENCE,
};
use crate::syntax::query::{Query, SystemOption};
use crate::syntax::tree::{
    Expr, ExprKind, ExprRef, ExprRefs, Literal, PathRef, SegmentKind, SegmentRef,
};

/// The bytes the encoded form leaves as they are: the unreserved
/// characters and the sub-delimiters OData text uses that carry no meaning
/// in a query string (`&`, `=`, `+`, `#`, `%`, `;` and space are escaped).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b',')
    .remove(b':')
    .remove(b'@')
    .remove(b'$')
    .remove(b'/')
    .remove(b'!');

/// What a custom option's *name* may leave unescaped: as for values, less
/// `/` and `:`. A query whose first option is a custom one named `/x` or
/// `a://b` would otherwise render as text that `parse` reads as a URL, and
/// the round trip would lose the query (found by fuzzing `parse_query`).
const CUSTOM_NAME: &AsciiSet = &COMPONENT.add(b'/').add(b':');

/// A writer that percent-encodes everything written through it, so the
/// encoded form is produced in one pass without an intermediate string.
struct Encoding<'a, W: Write>(&'a mut W);

impl<W: Write> Write for Encoding<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        utf8_percent_encode(s, COMPONENT).try_for_each(|chunk| self.0.write_str(chunk))
    }
}

impl fmt::Display for Expr {
    /// Renders into a `String` sized from the parsed span, then writes it
    /// once: through the `Formatter` every piece was a dynamic call, and
    /// `to_string`'s buffer grew by reallocation from empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let span = self.root().span();
        let mut text = String::with_capacity(span.end - span.start + 16);
        write_expr(&mut text, self.root())?;
        f.write_str(&text)
    }
}

impl fmt::Display for ExprRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_expr(f, *self)
    }
}

impl Expr {
    /// The canonical expression, percent-encoded as one query option value:
    /// every byte outside `A-Z a-z 0-9 - . _ ~ ' ( ) * , : @ $ / !` becomes
    /// `%XX`.
    pub fn to_query_string(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = write_expr(&mut Encoding(&mut out), self.root());
        out
    }
}

/// How tightly a node binds as an operand; primaries bind tighter than any
/// operator.
fn binding(expr: ExprRef<'_>) -> u8 {
    match expr.kind() {
        ExprKind::Binary { op, .. } => op.precedence(),
        ExprKind::Unary { .. } => UNARY_PRECEDENCE,
        _ => u8::MAX,
    }
}

/// Whether the text of `expr` begins with a literal (its leftmost operand).
fn starts_with_literal(expr: ExprRef<'_>) -> bool {
    let mut leftmost = expr;
    while let ExprKind::Binary { operands, .. } = leftmost.kind() {
        leftmost = operands[0];
    }
    matches!(leftmost.kind(), ExprKind::Literal(_))
}

fn write_expr<W: Write>(w: &mut W, expr: ExprRef<'_>) -> fmt::Result {
    match expr.kind() {
        ExprKind::Literal(literal) => write_literal(w, literal),
        ExprKind::Path(path) if is_lone_not(path) => {
            w.write_char('(')?;
            write_path(w, path)?;
            w.write_char(')')
        }
        ExprKind::Path(path) => write_path(w, path),
        ExprKind::Unary { op, operand } => {
            w.write_str(match op {
                UnaryOp::Not => "not ",
                // `-5` would read back as the literal -5, not as negation.
                UnaryOp::Negate if starts_with_literal(operand) => "- ",
                UnaryOp::Negate => "-",
            })?;
            write_operand(w, operand, binding(operand) < UNARY_PRECEDENCE)
        }
        ExprKind::Binary { op, operands } => write_binary(w, op, operands[0], operands[1]),
        ExprKind::List(items) => {
            w.write_char('(')?;
            write_list(w, items)?;
            w.write_char(')')
        }
        ExprKind::Call { function, args } => {
            w.write_str(function.name())?;
            w.write_char('(')?;
            write_list(w, args)?;
            w.write_char(')')
        }
        ExprKind::TypeFunction {
            function,
            operand,
            type_name,
        } => {
            w.write_str(function.name())?;
            w.write_char('(')?;
            if let Some(operand) = operand {
                write_expr(w, operand)?;
                w.write_char(',')?;
            }
            w.write_str(type_name)?;
            w.write_char(')')
        }
    }
}

/// Writes `left op right`. Chains are left-nested (`a or b or c` is
/// `(a or b) or c`) and can be long (a client building an `or` of many
/// ids), so the left spine of operators that need no parentheses is walked
/// in a loop rather than by recursion, which would grow the stack with the
/// chain's length.
fn write_binary<W: Write>(
    w: &mut W,
    op: BinaryOp,
    left: ExprRef<'_>,
    right: ExprRef<'_>,
) -> fmt::Result {
    // The operators and right operands below the top one, outermost first;
    // empty (no allocation) unless the left operand is itself an operator.
    let mut inner: Vec<(BinaryOp, ExprRef<'_>)> = Vec::new();
    let mut leftmost = left;
    let mut leftmost_parent = op;
    while binding(leftmost) >= leftmost_parent.precedence() {
        match leftmost.kind() {
            ExprKind::Binary { op, operands } => {
                inner.push((op, operands[1]));
                leftmost_parent = op;
                leftmost = operands[0];
            }
            _ => break,
        }
    }
    write_operand(
        w,
        leftmost,
        binding(leftmost) < leftmost_parent.precedence(),
    )?;
    for (op, right) in inner.into_iter().rev() {
        write_right(w, op, right)?;
    }
    write_right(w, op, right)
}

/// Writes ` op right`, parenthesizing `right` when it binds as loosely as
/// `op` or more (binary operators are left-associative), except for the
/// same `and`/`or`, which is associative.
fn write_right<W: Write>(w: &mut W, op: BinaryOp, right: ExprRef<'_>) -> fmt::Result {
    w.write_char(' ')?;
    w.write_str(op.keyword())?;
    w.write_char(' ')?;
    let kind = right.kind();
    // The right operand of `has` and `in` is read as a primary, where `not`
    // is only a name, so a path is written bare (`in (Not)` would be a list).
    if let (BinaryOp::Has | BinaryOp::In, ExprKind::Path(path)) = (op, kind) {
        return write_path(w, path);
    }
    let same_chain = matches!(op, BinaryOp::And | BinaryOp::Or)
        && matches!(kind, ExprKind::Binary { op: r, .. } if r == op);
    write_operand(w, right, !same_chain && binding(right) <= op.precedence())
}

fn write_operand<W: Write>(w: &mut W, expr: ExprRef<'_>, parenthesized: bool) -> fmt::Result {
    if parenthesized {
        w.write_char('(')?;
        write_expr(w, expr)?;
        w.write_char(')')
    } else {
        write_expr(w, expr)
    }
}

fn write_list<W: Write>(w: &mut W, items: ExprRefs<'_>) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            w.write_char(',')?;
        }
        write_expr(w, item)?;
    }
    Ok(())
}

/// Whether `path` is one property named `not` (in any case). Bare, before
/// whitespace, it reads back as the operator (`Not eq null` is `not` of a
/// property `eq`, then an error), so an expression writes it `(Not)`, except
/// after `has` and `in` (see `write_right`).
fn is_lone_not(path: PathRef<'_>) -> bool {
    let mut segments = path.segments();
    match (segments.next().map(|s| s.kind()), segments.next()) {
        (Some(SegmentKind::Property(name)), None) => name.eq_ignore_ascii_case("not"),
        _ => false,
    }
}

fn write_path<W: Write>(w: &mut W, path: PathRef<'_>) -> fmt::Result {
    for (i, segment) in path.segments().enumerate() {
        if i > 0 {
            w.write_char('/')?;
        }
        write_segment(w, segment)?;
    }
    Ok(())
}

fn write_segment<W: Write>(w: &mut W, segment: SegmentRef<'_>) -> fmt::Result {
    match segment.kind() {
        SegmentKind::Property(name) | SegmentKind::TypeCast(name) => w.write_str(name),
        SegmentKind::It => w.write_str("$it"),
        SegmentKind::This => w.write_str("$this"),
        SegmentKind::FunctionCall { name, args } => {
            w.write_str(name)?;
            w.write_char('(')?;
            write_list(w, args)?;
            w.write_char(')')
        }
        SegmentKind::Lambda { kind, predicate } => {
            w.write_str(match kind {
                LambdaKind::Any => "any(",
                LambdaKind::All => "all(",
            })?;
            if let Some(predicate) = predicate {
                w.write_str(predicate.variable)?;
                w.write_char(':')?;
                write_expr(w, predicate.body)?;
            }
            w.write_char(')')
        }
    }
}

impl fmt::Display for Literal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_literal(f, *self)
    }
}

fn write_literal<W: Write>(w: &mut W, literal: Literal<'_>) -> fmt::Result {
    match literal {
        Literal::Null => w.write_str("null"),
        Literal::Boolean(true) => w.write_str("true"),
        Literal::Boolean(false) => w.write_str("false"),
        Literal::Int(n) => write!(w, "{n}"),
        Literal::Decimal(text) | Literal::Double(text) => w.write_str(text),
        Literal::Special(SpecialFloat::Infinity) => w.write_str("INF"),
        Literal::Special(SpecialFloat::NegativeInfinity) => w.write_str("-INF"),
        Literal::Special(SpecialFloat::NaN) => w.write_str("NaN"),
        Literal::String(value) => write_quoted(w, value),
        Literal::Guid(guid) => write!(w, "{}", guid.hyphenated()),
        Literal::DateTimeOffset(value) => write_date_time_offset(w, &value),
        Literal::Date(date) => write_date(w, &date),
        Literal::TimeOfDay(time) => write_time(w, &time),
        Literal::Duration(text) => {
            w.write_str("duration")?;
            write_quoted(w, text)
        }
        Literal::Binary(text) => {
            w.write_str("binary")?;
            write_quoted(w, text)
        }
        Literal::Enum { type_name, value } => {
            w.write_str(type_name)?;
            write_quoted(w, value)
        }
    }
}

/// `'…'` with every `'` doubled.
fn write_quoted<W: Write>(w: &mut W, text: &str) -> fmt::Result {
    w.write_char('\'')?;
    let mut rest = text;
    while let Some(quote) = memchr::memchr(b'\'', rest.as_bytes()) {
        // Up to and including the quote, then the quote again.
        w.write_str(&rest[..=quote])?;
        w.write_char('\'')?;
        rest = &rest[quote + 1..];
    }
    w.write_str(rest)?;
    w.write_char('\'')
}

/// `YYYY`: four digits at least, `-` before a negative year.
fn write_year<W: Write>(w: &mut W, year: i32) -> fmt::Result {
    if year < 0 {
        write!(w, "-{:04}", year.unsigned_abs())
    } else {
        write!(w, "{year:04}")
    }
}

fn write_date<W: Write>(w: &mut W, date: &NaiveDate) -> fmt::Result {
    write_year(w, date.year())?;
    w.write_char('-')?;
    write_two_digits(w, date.month())?;
    w.write_char('-')?;
    write_two_digits(w, date.day())
}

/// `n` (below 100) as two digits, without the formatting machinery that
/// `{:02}` goes through: dates and times are most of a filter's literals.
fn write_two_digits<W: Write>(w: &mut W, n: u32) -> fmt::Result {
    let digit = |d: u32| char::from(b'0' + (d % 10) as u8);
    w.write_char(digit(n / 10))?;
    w.write_char(digit(n))
}

/// `hh:mm:ss[.f]`. chrono keeps a leap second as second 59 with
/// `nanosecond() >= 1_000_000_000`; it is written as second 60.
fn write_time<W: Write>(w: &mut W, time: &NaiveTime) -> fmt::Result {
    let (second, nanos) = match time.nanosecond() {
        n if n >= 1_000_000_000 => (time.second() + 1, n - 1_000_000_000),
        n => (time.second(), n),
    };
    write_two_digits(w, time.hour())?;
    w.write_char(':')?;
    write_two_digits(w, time.minute())?;
    w.write_char(':')?;
    write_two_digits(w, second)?;
    write_fraction(w, nanos)
}

/// `.f` with trailing zeros dropped; nothing for a whole second.
fn write_fraction<W: Write>(w: &mut W, nanos: u32) -> fmt::Result {
    if nanos == 0 {
        return Ok(());
    }
    let mut digits = nanos;
    let mut width = 9;
    while digits % 10 == 0 {
        digits /= 10;
        width -= 1;
    }
    write!(w, ".{digits:0width$}")
}

fn write_date_time_offset<W: Write>(w: &mut W, value: &DateTimeOffset) -> fmt::Result {
    let local = value.0.naive_local();
    write_date(w, &local.date())?;
    w.write_char('T')?;
    write_time(w, &local.time())?;
    let offset = value.0.offset().local_minus_utc();
    if offset == 0 {
        return w.write_char('Z');
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let minutes = offset.unsigned_abs() / 60;
    write!(w, "{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

impl fmt::Display for OrderByItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_order_by_item(f, self)
    }
}

fn write_order_by_item<W: Write>(w: &mut W, item: &OrderByItem) -> fmt::Result {
    write_expr(w, item.expr.root())?;
    if item.descending {
        w.write_str(" desc")?;
    }
    Ok(())
}

/// A `$select` item is written as a path, not an expression: one named
/// `not` is written bare, because `$select` has no operators.
impl fmt::Display for SelectItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_select_item(f, self)
    }
}

fn write_select_item<W: Write>(w: &mut W, item: &SelectItem) -> fmt::Result {
    write_item_path(w, &item.path)
}

/// An `$expand` item is a path, written as a `$select` item is.
impl fmt::Display for ExpandItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_item_path(f, &self.path)
    }
}

/// A `$select` or `$expand` item's path.
fn write_item_path<W: Write>(w: &mut W, path: &Expr) -> fmt::Result {
    match path.root().kind() {
        ExprKind::Path(segments) => write_path(w, segments),
        _ => write_expr(w, path.root()),
    }
}

impl fmt::Display for Select {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_select(f, self)
    }
}

fn write_select<W: Write>(w: &mut W, select: &Select) -> fmt::Result {
    match select {
        Select::All => w.write_char('*'),
        Select::Paths(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    w.write_char(',')?;
                }
                write_select_item(w, item)?;
            }
            Ok(())
        }
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_query(f, self, false)
    }
}

impl Query {
    /// The canonical query, each option name and value percent-encoded as
    /// the encoded form of [`Expr::to_query_string`] is; `parse` reads it
    /// back as an equal query.
    pub fn to_query_string(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = write_query(&mut out, self, true);
        out
    }
}

/// Writes `name=value` pairs joined by `&`, in canonical order: the system
/// options of [`SystemOption::ALL`], then the custom options as given.
fn write_query<W: Write>(w: &mut W, query: &Query, encoded: bool) -> fmt::Result {
    let mut first = true;
    let mut separator = |w: &mut W| {
        if std::mem::take(&mut first) {
            Ok(())
        } else {
            w.write_char('&')
        }
    };
    for option in SystemOption::ALL {
        if !has_option(query, option) {
            continue;
        }
        separator(w)?;
        w.write_str(option.name())?;
        w.write_char('=')?;
        if encoded {
            write_option_value(&mut Encoding(w), query, option)?;
        } else {
            write_option_value(w, query, option)?;
        }
    }
    for CustomOption { name, value } in &query.custom {
        separator(w)?;
        if encoded {
            utf8_percent_encode(name, CUSTOM_NAME).try_for_each(|chunk| w.write_str(chunk))?;
        } else {
            w.write_str(name)?;
        }
        if let Some(value) = value {
            w.write_char('=')?;
            write_component(w, value, encoded)?;
        }
    }
    Ok(())
}

fn has_option(query: &Query, option: SystemOption) -> bool {
    match option {
        SystemOption::Filter => query.filter.is_some(),
        SystemOption::Count => query.count.is_some(),
        SystemOption::OrderBy => query.orderby.is_some(),
        SystemOption::Skip => query.skip.is_some(),
        SystemOption::Top => query.top.is_some(),
        SystemOption::Select => query.select.is_some(),
        SystemOption::Expand => query.expand.is_some(),
    }
}

fn write_option_value<W: Write>(w: &mut W, query: &Query, option: SystemOption) -> fmt::Result {
    match option {
        SystemOption::Filter => query
            .filter
            .as_ref()
            .map_or(Ok(()), |e| write_expr(w, e.root())),
        SystemOption::Count => match query.count {
            Some(true) => w.write_str("true"),
            Some(false) => w.write_str("false"),
            None => Ok(()),
        },
        SystemOption::OrderBy => {
            for (i, item) in query.orderby.iter().flatten().enumerate() {
                if i > 0 {
                    w.write_char(',')?;
                }
                write_order_by_item(w, item)?;
            }
            Ok(())
        }
        SystemOption::Skip => query.skip.map_or(Ok(()), |n| write!(w, "{n}")),
        SystemOption::Top => query.top.map_or(Ok(()), |n| write!(w, "{n}")),
        SystemOption::Select => query.select.as_ref().map_or(Ok(()), |s| write_select(w, s)),
        SystemOption::Expand => {
            for (i, item) in query.expand.iter().flatten().enumerate() {
                if i > 0 {
                    w.write_char(',')?;
                }
                write_item_path(w, &item.path)?;
            }
            Ok(())
        }
    }
}

fn write_component<W: Write>(w: &mut W, text: &str, encoded: bool) -> fmt::Result {
    if encoded {
        Encoding(w).write_str(text)
    } else {
        w.write_str(text)
    }
}
