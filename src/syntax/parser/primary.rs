//! Primary expressions: literals (strings, numbers, dates, times of day,
//! DateTimeOffsets, GUIDs, keyword literals, prefixed literals such as
//! `duration'…'` and enums), parenthesized groups, `in` lists, and the
//! dispatch of a name to a literal, a call or a path.
//!
//! Must not know about: operator precedence (a group's inside is
//! `operators`'), what a call's or a path's parts mean (`calls`, `paths`),
//! schemas, or rendering.

use super::operators::Operand;
use super::{is_qualified, Parsed, Parser};
use crate::error::{Code, Diagnostic};
use crate::syntax::ast::{Span, SpecialFloat};
use crate::syntax::lexer::{self, LiteralError, Number, TimeOffsetError};
use crate::syntax::tree::{Node, NodeId, NodeKind, Run, Text, Tree};

impl<'a> Parser<'a> {
    /// A number node, read from `start` to the cursor.
    fn number(&mut self, number: Number, start: usize) -> Parsed<NodeId> {
        // A number's text is usually spelled so in the source: a range of
        // it rather than a copy.
        let kind = match &number {
            Number::Int(value) => NodeKind::Int(*value),
            Number::Decimal(text) => NodeKind::Decimal(self.text_at(start, text)),
            Number::Double(text) => NodeKind::Double(self.text_at(start, text)),
        };
        self.node(kind, start)
    }

    /// `value` as a range of the tree's text: of the source at `at` when it
    /// is spelled so there (the usual case), else appended.
    fn text_at(&mut self, at: usize, value: &str) -> Text {
        if self.text.get(at..at + value.len()) == Some(value) {
            Tree::source_text(at, at + value.len())
        } else {
            self.tree.append_text(value)
        }
    }

    /// The right operand of `in`: `(...)`. One element may be any expression
    /// (`x in (y)` is a complicated way of writing `x eq y`'s set form); two
    /// or more must be literals, as in the ABNF's `listExpr`.
    pub(super) fn in_list(&mut self) -> Parsed<NodeId> {
        let start = self.pos;
        self.enter(start)?;
        self.pos += 1;
        self.skip_ws();
        let base = self.pending.len();
        if !self.eat(b')') {
            loop {
                let item = self.expr(0)?;
                self.push_item(item);
                self.skip_ws();
                if self.eat(b',') {
                    self.skip_ws();
                    continue;
                }
                self.expect(b')', "',' or ')' in the 'in' list")?;
                break;
            }
        }
        let items = &self.pending[base..];
        if items.len() > 1 {
            let tree = &self.tree;
            if let Some(bad) = items
                .iter()
                .map(Node::item)
                .find(|&item| !tree.nodes[item as usize].kind.is_literal())
            {
                return Err(self
                    .error(
                        Code::Syntax,
                        self.tree.span(bad),
                        "an 'in' list holds literal values only",
                    )
                    .with_help("compare with each property separately: a eq b or a eq c")
                    .into());
            }
        }
        self.leave();
        let items = self.run_from(base);
        self.node(NodeKind::List(items), start)
    }

    // Forced inline, as `quoted`, `node` and `name_led` are: every operand
    // passes through here once, so its call frame counts, and the compiler
    // does not take `#[inline]` alone. Hot path; see benches/parse.rs.
    #[inline(always)]
    pub(super) fn primary(&mut self) -> Parsed<NodeId> {
        let start = self.pos;
        let Some(b) = self.peek() else {
            return Err(self.unexpected("an expression").into());
        };
        match b {
            b'(' => {
                let group = self.group()?;
                Ok(self.fold(group))
            }
            b'\'' => {
                let value = self.quoted()?;
                self.node(NodeKind::String(value), start)
            }
            b'0'..=b'9' | b'-' | b'+' => self.numeric_literal(),
            b'$' => self.dollar_path(),
            b'[' | b'{' => Err(self
                .error(
                    Code::Syntax,
                    Span::new(start, start + 1),
                    "JSON array and object literals are not supported",
                )
                .into()),
            b'@' => Err(self
                .error(
                    Code::Syntax,
                    Span::new(start, start + 1),
                    "parameter aliases (@name) are not supported",
                )
                .into()),
            _ => self.name_led(),
        }
    }

    pub(super) fn group(&mut self) -> Parsed<Operand> {
        let start = self.pos;
        self.enter(start)?;
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b')') {
            return Err(self
                .error(
                    Code::Syntax,
                    Span::new(start, self.pos + 1),
                    "empty parentheses: expected an expression inside",
                )
                .into());
        }
        let mut inner = self.operand(0)?;
        self.skip_ws();
        if !self.eat(b')') {
            let mut diagnostic = self.unexpected("')' or an operator");
            if self.peek() == Some(b',') {
                diagnostic = diagnostic.with_help(
                    "a parenthesized list of values is allowed only after 'in': type in ('Isolate','Unisolate')",
                );
            } else if self.at_end() {
                diagnostic = diagnostic
                    .with_help(format!("the '(' at byte {start} is never closed: add ')'"));
            }
            return Err(diagnostic.into());
        }
        self.leave();
        let span = Span::new(start, self.pos);
        match &mut inner {
            Operand::Done(id) => self.tree.set_span(*id, span),
            Operand::Chain { group, .. } => *group = Some((span.start as u32, span.end as u32)),
        }
        Ok(inner)
    }

    /// `'…'` with `''` for a quote; returns the unescaped content: the
    /// source's range when it holds no `''` (the usual case), else the
    /// unescaped text appended to the tree's.
    #[inline(always)] // see `primary`
    fn quoted(&mut self) -> Parsed<Text> {
        let start = self.pos;
        let bytes = self.bytes;
        let mut i = self.pos + 1;
        let mut unescaped: Option<u32> = None;
        let mut chunk = i;
        loop {
            match memchr::memchr(b'\'', &bytes[i..]) {
                None => {
                    return Err(self
                        .error(
                            Code::Syntax,
                            Span::new(start, self.text.len()),
                            "this string is never closed",
                        )
                        .with_help("end it with ' and write a quote inside it as ''")
                        .into());
                }
                Some(offset) => {
                    let quote = i + offset;
                    if bytes.get(quote + 1) == Some(&b'\'') {
                        let text = &mut self.tree.text;
                        unescaped.get_or_insert(text.len() as u32);
                        text.push_str(&self.text[chunk..=quote]);
                        i = quote + 2;
                        chunk = i;
                    } else {
                        self.pos = quote + 1;
                        let Some(appended) = unescaped else {
                            return Ok(Tree::source_text(chunk, quote));
                        };
                        let text = &mut self.tree.text;
                        text.push_str(&self.text[chunk..quote]);
                        return Ok(Text {
                            start: appended,
                            len: text.len() as u32 - appended,
                        });
                    }
                }
            }
        }
    }

    /// Literals that start with a digit or sign: GUID, DateTimeOffset, Date,
    /// TimeOfDay, or a number (tried in that order; each is a bounded look).
    fn numeric_literal(&mut self) -> Parsed<NodeId> {
        let start = self.pos;
        let rest = self.rest();
        if rest.starts_with("-INF") {
            self.pos += 4;
            return self.node(NodeKind::Special(SpecialFloat::NegativeInfinity), start);
        }
        if let Ok((after, uuid)) = lexer::guid(rest) {
            self.pos = self.text.len() - after.len();
            return self.node(NodeKind::Guid(uuid), start);
        }
        if let Some((after, date)) = lexer::date_shape(rest) {
            self.pos = self.text.len() - after.len();
            let kind = self.date_or_date_time(start, date)?;
            return self.node(kind, start);
        }
        if let Some((after, time)) = lexer::time_shape(rest) {
            self.pos = self.text.len() - after.len();
            let time = lexer::make_time(time, false)
                .map_err(|e| self.literal_error(e, start, "time of day"))?;
            return self.node(NodeKind::TimeOfDay(time), start);
        }
        match lexer::number(rest) {
            Ok((after, number)) => {
                self.pos = self.text.len() - after.len();
                self.number(number, start)
            }
            Err(_) => Err(self.unexpected("an expression").into()),
        }
    }

    /// After a date shape: `T…` makes a DateTimeOffset, the Defender dialect's
    /// `Z` a DateTimeOffset at midnight UTC, anything else a Date.
    fn date_or_date_time(&mut self, start: usize, date: (i64, u32, u32)) -> Parsed<NodeKind> {
        let date = lexer::make_date(date).map_err(|e| self.literal_error(e, start, "date"))?;
        match self.peek() {
            Some(b'T' | b't') => match lexer::time_and_offset(date, self.rest()) {
                Ok((after, value)) => {
                    self.pos = self.text.len() - after.len();
                    Ok(NodeKind::DateTimeOffset(value))
                }
                Err(TimeOffsetError::NoTime { read }) => {
                    self.pos += read;
                    Err(self
                        .error(
                            Code::InvalidLiteral,
                            Span::new(start, self.pos),
                            "expected a time hh:mm[:ss[.fffffff]] after 'T'",
                        )
                        .into())
                }
                Err(TimeOffsetError::Value { error, read }) => {
                    self.pos += read;
                    Err(self.literal_error(error, start, "DateTimeOffset").into())
                }
                Err(TimeOffsetError::NoOffset { read }) => {
                    self.pos += read;
                    Err(self.missing_offset(start).into())
                }
            },
            Some(b'Z' | b'z') if !self.strict() && !self.ident_continues(1) => {
                self.pos += 1;
                lexer::make_date_time_offset(date, chrono::NaiveTime::MIN, (1, 0, 0))
                    .map(NodeKind::DateTimeOffset)
                    .map_err(|e| self.literal_error(e, start, "DateTimeOffset").into())
            }
            _ => Ok(NodeKind::Date(date)),
        }
    }

    fn missing_offset(&self, start: usize) -> Diagnostic {
        let diagnostic = self.error(
            Code::InvalidLiteral,
            Span::new(start, self.pos),
            "a DateTimeOffset needs a time zone: 'Z' or '+hh:mm'/'-hh:mm'",
        );
        let rest = self.rest();
        // `get`, not indexing: the five bytes after the space may end
        // inside a character.
        let lost_plus = rest.starts_with(' ')
            && rest
                .get(1..6)
                .is_some_and(|hh_mm| lexer::offset_shape(&format!("+{hh_mm}")).is_some());
        if lost_plus {
            diagnostic.with_help(
                "a '+hh:mm' offset arrived as a space: in a URL '+' means a space, so encode it as %2B (…T00:00:00%2B01:00)",
            )
        } else {
            diagnostic.with_help("add 'Z' for UTC, as in 2024-01-01T00:00:00Z")
        }
    }

    fn literal_error(&self, error: LiteralError, start: usize, what: &str) -> Diagnostic {
        let reason = match error {
            LiteralError::Date => "is not a date in the calendar (or its year is out of range)",
            LiteralError::Time => "has an hour, minute or second out of range (hours go to 23)",
            LiteralError::Offset => "has a time-zone offset out of range",
        };
        self.error(
            Code::InvalidLiteral,
            Span::new(start, self.pos),
            format!("this {what} {reason}"),
        )
    }

    /// Everything that starts with a name: keyword literals, GUIDs that start
    /// with a letter, prefixed literals (`duration'…'`, enums), function
    /// calls and member paths.
    #[inline(always)] // see `primary`
    fn name_led(&mut self) -> Parsed<NodeId> {
        let start = self.pos;
        // `guid` asks the same, but only after `rest()` has paid a
        // char-boundary check, for a name, which nearly every operand here is.
        if lexer::may_start_guid(self.bytes, self.pos) {
            if let Ok((after, uuid)) = lexer::guid(self.rest()) {
                self.pos = self.text.len() - after.len();
                return self.node(NodeKind::Guid(uuid), start);
            }
        }
        let Some(name) = self.qualified_name() else {
            return Err(self.unexpected("an expression").into());
        };
        let qualified = is_qualified(name);
        match self.peek() {
            Some(b'\'') => return self.prefixed_literal(start, name),
            Some(b'(') => {
                if qualified {
                    let base = self.pending.len();
                    return self.path_from(start, base, Some((start, name)));
                }
                return self.call(start, name);
            }
            _ => {}
        }
        if !qualified {
            let keyword_literal = match name {
                "null" => Some(NodeKind::Null),
                "INF" => Some(NodeKind::Special(SpecialFloat::Infinity)),
                "NaN" => Some(NodeKind::Special(SpecialFloat::NaN)),
                _ if name.eq_ignore_ascii_case("true") => Some(NodeKind::Boolean(true)),
                _ if name.eq_ignore_ascii_case("false") => Some(NodeKind::Boolean(false)),
                _ => None,
            };
            if let Some(literal) = keyword_literal {
                return self.node(literal, start);
            }
            if self.peek() != Some(b'/') {
                // A lone property, the most common path: nothing can come
                // between its segment and the path, so the segment goes
                // straight into the tree, a run of one.
                self.count_node(start)?;
                let segment = NodeKind::Property(Parser::name_text(start, name));
                let first = self.tree.push(segment, start, self.pos);
                return self.node(NodeKind::Path(Run { first, len: 1 }), start);
            }
        }
        let base = self.pending.len();
        self.path_from(start, base, Some((start, name)))
    }

    /// `duration'…'`, `binary'…'`, `Namespace.EnumType'Member'`.
    fn prefixed_literal(&mut self, start: usize, prefix: &str) -> Parsed<NodeId> {
        let quote_start = self.pos;
        let body_text = self.quoted()?;
        let body = self.tree.str(body_text);
        let span = Span::new(start, self.pos);
        let literal = if is_qualified(prefix) {
            if !valid_enum_value(body) {
                return Err(self
                    .error(
                        Code::InvalidLiteral,
                        span,
                        format!("'{body}' is not an enum value: use member names or integers, separated by commas"),
                    ).into());
            }
            NodeKind::Enum {
                type_name: Parser::name_text(start, prefix),
                value: body_text,
            }
        } else if prefix.eq_ignore_ascii_case("duration") {
            match lexer::duration_body(body) {
                Ok(("", _)) if lexer::parse_duration(body).is_none() => {
                    return Err(self
                        .error(
                            Code::InvalidLiteral,
                            span,
                            format!("the duration '{body}' is out of range"),
                        )
                        .with_help("a duration runs to about ±292,000 years")
                        .into())
                }
                Ok(("", _)) => NodeKind::Duration(body_text),
                _ => {
                    return Err(self
                        .error(
                            Code::InvalidLiteral,
                            span,
                            format!("'{body}' is not an ISO 8601 duration"),
                        )
                        .with_help("write durations like duration'P1DT2H30M' or duration'PT0.5S'")
                        .into())
                }
            }
        } else if prefix.eq_ignore_ascii_case("binary") {
            if !valid_base64url(body) {
                return Err(self
                    .error(
                        Code::InvalidLiteral,
                        span,
                        "binary'…' holds base64url text (A–Z a–z 0–9 - _, padded with =)",
                    )
                    .into());
            }
            NodeKind::Binary(body_text)
        } else if ["datetime", "datetimeoffset", "guid"]
            .iter()
            .any(|p| prefix.eq_ignore_ascii_case(p))
        {
            return Err(self
                .error(
                    Code::InvalidLiteral,
                    span,
                    format!("{prefix}'…' is OData 3 syntax"),
                )
                .with_help(format!(
                    "OData 4 writes the value bare, without prefix or quotes: {body}"
                ))
                .into());
        } else if ["geography", "geometry"]
            .iter()
            .any(|p| prefix.eq_ignore_ascii_case(p))
        {
            return Err(self
                .error(
                    Code::Syntax,
                    span,
                    "geography and geometry literals are not supported",
                )
                .into());
        } else {
            return Err(self
                .error(
                    Code::Syntax,
                    Span::new(start, quote_start + 1),
                    format!("unexpected quote after '{prefix}'"),
                )
                .with_help("put an operator between a name and a string: name eq 'value'")
                .into());
        };
        self.node(literal, start)
    }
}

/// `enumValue = singleEnumValue *( COMMA singleEnumValue )`, each a member
/// name or an integer.
fn valid_enum_value(value: &str) -> bool {
    value.split(',').all(|part| {
        let digits = part.strip_prefix(['+', '-']).unwrap_or(part);
        (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            || matches!(lexer::identifier(part), Ok(("", _)))
    })
}

fn valid_base64url(value: &str) -> bool {
    let body = value.trim_end_matches('=');
    value.len() - body.len() <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use crate::error::Code;
    use crate::syntax::options::ParseOptions;
    use crate::syntax::parser::parse_filter;
    use crate::syntax::parser::tests::{shape, strict_shape};
    use crate::syntax::tree::Literal as L;

    #[test]
    fn literals() {
        assert_eq!(shape("'O''Neil'"), "'O'Neil'");
        assert_eq!(shape("''''"), "'''");
        assert_eq!(shape("''"), "''");
        assert_eq!(shape("-INF"), "Special(NegativeInfinity)");
        assert_eq!(shape("Price sub -5"), "(sub Price Int(-5))");
        assert_eq!(shape("Price sub - 5"), "(sub Price (Negate Int(5)))");
        assert_eq!(shape("--5"), "(Negate Int(-5))");
        assert_eq!(shape("+42"), "Int(42)");
        assert_eq!(shape("3.14"), "Decimal(\"3.14\")");
        assert!(shape("2018-08-01Z").starts_with("DateTimeOffset"));
        assert!(shape("2018-08-01").starts_with("Date("));
        assert!(shape("12:43:57.2011911").starts_with("TimeOfDay"));
        assert_eq!(
            shape("7d4e5c3e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"),
            "Guid(7d4e5c3e-1a2b-4c3d-8e9f-0a1b2c3d4e5f)"
        );
        assert_eq!(
            shape("bc3f62c5-a2e5-5bc9-cb4d-17112f77f5bb"),
            "Guid(bc3f62c5-a2e5-5bc9-cb4d-17112f77f5bb)"
        );
        assert_eq!(shape("duration'P1DT2H'"), "Duration(\"P1DT2H\")");
        assert_eq!(
            shape("Sales.Pattern'Solid,Yellow'"),
            "Enum { type_name: \"Sales.Pattern\", value: \"Solid,Yellow\" }"
        );
        assert_eq!(shape("binary'T0RhdGE='"), "Binary(\"T0RhdGE=\")");
        assert_eq!(strict_shape("2018-08-01Z"), Err(Code::Syntax));
    }

    #[test]
    fn date_time_offsets_keep_offset_and_nanoseconds() {
        let e = parse_filter(
            "2018-12-04T12:43:57.201191123456+01:30",
            &ParseOptions::default(),
        )
        .unwrap();
        let Some(L::DateTimeOffset(dto)) = e.root().literal() else {
            panic!()
        };
        assert_eq!(dto.0.offset().local_minus_utc(), 5400);
        assert_eq!(chrono::Timelike::nanosecond(&dto.0), 201_191_123);
        assert_eq!(dto.0.to_rfc3339(), "2018-12-04T12:43:57.201191123+01:30");
    }
}
