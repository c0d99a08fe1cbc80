//! The help texts for the known traps: an unencoded `+hh:mm` offset that
//! arrived as a space, a date-time or number in quotes, a string without
//! them, a value to compare with, and the did-you-mean for an unknown
//! property.
//!
//! Must not know about: which checks run or how the query is walked
//! (`checker` reports a problem and asks here how to word its fix), or the
//! did-you-mean metric (`suggest`).

use chrono::{DateTime, NaiveDate, NaiveTime};
use uuid::Uuid;

use crate::error::{Code, Diagnostic, Error};
use crate::schema::{EdmType, PropertyDef};
use crate::suggest::nearest;
use crate::syntax::ast::Span;
use crate::syntax::tree::{ExprRef, Literal};

use super::checker::{Checker, Usage};
use super::types::Ty;

/// Adds the lost-offset help to the syntax errors it explains.
pub(super) fn with_offset_hints(error: Error) -> Error {
    let diagnostics: Vec<Diagnostic> = error
        .diagnostics()
        .iter()
        .cloned()
        .map(|mut d| {
            if !matches!(d.code, Code::Syntax | Code::InvalidLiteral) {
                return d;
            }
            let hint = d
                .location
                .as_ref()
                .and_then(|l| offset_space_hint(&l.text, l.span));
            if let Some(hint) = hint {
                d.help = Some(match d.help.take() {
                    Some(help) if help.contains("%2B") => help,
                    Some(help) => format!("{help}; {hint}"),
                    None => hint,
                });
            }
            d
        })
        .collect();
    Error::from_diagnostics(diagnostics).unwrap_or(error)
}

/// The help for the trap of an unencoded `+hh:mm` offset: in a query string
/// `+` means a space, so the client's `2024-01-01T00:00:00+01:00` reaches the
/// parser as `2024-01-01T00:00:00 01:00`.
///
/// Returns the help when `text` holds such a date-time followed by
/// `space hh:mm` and `span` (the error's position) touches it;
/// [`with_offset_hints`] attaches it to syntax errors.
fn offset_space_hint(text: &str, span: Span) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len()).find_map(|start| {
        let end = lost_offset_at(bytes, start)?;
        if span.start > end || span.end.max(span.start) < start {
            return None;
        }
        let written = text.get(start..end)?;
        let (datetime, offset) = written.rsplit_once(' ')?;
        Some(format!(
            "a '+' in a URL means a space, so the offset '+{offset}' arrived as ' {offset}'; \
             encode the plus as %2B: {datetime}%2B{offset}"
        ))
    })
}

/// If `bytes[start..]` begins with `YYYY-MM-DDThh:mm[:ss[.f…]] hh:mm`, the
/// end of that match.
fn lost_offset_at(bytes: &[u8], start: usize) -> Option<usize> {
    if start > 0 && bytes.get(start - 1).is_some_and(u8::is_ascii_alphanumeric) {
        return None;
    }
    let mut i = start;
    let expect = |pattern: &[u8], i: &mut usize| -> Option<()> {
        for &p in pattern {
            let b = *bytes.get(*i)?;
            let ok = if p == b'd' {
                b.is_ascii_digit()
            } else {
                b.eq_ignore_ascii_case(&p)
            };
            if !ok {
                return None;
            }
            *i += 1;
        }
        Some(())
    };
    expect(b"dddd-dd-ddtdd:dd", &mut i)?;
    let mut probe = i;
    if expect(b":dd", &mut probe).is_some() {
        i = probe;
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
    }
    expect(b" dd:dd", &mut i)?;
    if bytes.get(i).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    Some(i)
}

/// A literal of type `t` to show in help texts.
pub(super) fn example_value(t: EdmType) -> Option<&'static str> {
    Some(match t {
        EdmType::String => "'text'",
        EdmType::Boolean => "true",
        t if t.is_numeric() => "42",
        EdmType::DateTimeOffset => "2024-01-01T00:00:00Z",
        EdmType::Date => "2024-01-01",
        EdmType::TimeOfDay => "12:00:00",
        EdmType::Duration => "duration'P1D'",
        EdmType::Guid => "01234567-89ab-cdef-0123-456789abcdef",
        _ => return None,
    })
}

/// Whether the contents of a string literal would be a literal of type `t`
/// if written without quotes.
fn unquoted_parses_as(t: EdmType, s: &str) -> bool {
    match t {
        EdmType::DateTimeOffset => {
            DateTime::parse_from_rfc3339(s).is_ok()
                || NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
                || s.strip_suffix(['Z', 'z'])
                    .is_some_and(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok())
        }
        EdmType::Date => NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
        EdmType::TimeOfDay => {
            NaiveTime::parse_from_str(s, "%H:%M:%S%.f").is_ok()
                || NaiveTime::parse_from_str(s, "%H:%M").is_ok()
        }
        EdmType::Guid => s.len() == 36 && Uuid::parse_str(s).is_ok(),
        EdmType::Boolean => s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false"),
        t if t.is_numeric() => {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
                && s.parse::<f64>().is_ok()
        }
        _ => false,
    }
}

pub(super) fn join_names<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names.into_iter().collect::<Vec<_>>().join(", ")
}

impl Checker<'_> {
    /// The help for a literal written in the wrong form for `expected`:
    /// quotes around a date-time or number, or none around a string.
    pub(super) fn literal_fix(
        &self,
        outer: Span,
        expected: Ty,
        node: ExprRef<'_>,
    ) -> Option<String> {
        let Ty::Edm(expected) = expected else {
            return None;
        };
        let literal = node.literal()?;
        match literal {
            Literal::Null => None,
            Literal::String(s) if expected != EdmType::String => {
                if unquoted_parses_as(expected, s) {
                    let fixed = self
                        .splice(outer, node.span(), s)
                        .unwrap_or_else(|| s.to_string());
                    let encode = if s.contains('+') {
                        " (and send the '+' as %2B, or it arrives as a space)"
                    } else {
                        ""
                    };
                    Some(format!(
                        "{expected} values are written without quotes; drop the quotes: {fixed}{encode}"
                    ))
                } else {
                    let example = example_value(expected)?;
                    Some(format!(
                        "{expected} values are written without quotes, like {example}"
                    ))
                }
            }
            _ if expected == EdmType::String => {
                let text = match self.source(node.span()) {
                    Some(text) => text.to_string(),
                    None => match literal {
                        Literal::Guid(g) => g.to_string(),
                        Literal::Int(i) => i.to_string(),
                        Literal::Boolean(b) => b.to_string(),
                        _ => return Some("strings are quoted: quote the value".to_string()),
                    },
                };
                let quoted = format!("'{}'", text.replace('\'', "''"));
                let fixed = self.splice(outer, node.span(), &quoted).unwrap_or(quoted);
                Some(format!("strings are quoted in OData; quote it: {fixed}"))
            }
            _ => None,
        }
    }

    pub(super) fn compare_with_hint(&self, node: ExprRef<'_>, ty: Ty) -> Option<String> {
        match ty {
            Ty::Edm(t) => {
                let example = example_value(t)?;
                Some(format!(
                    "{} is {t}; compare it with a value like {example}",
                    self.describe(node)
                ))
            }
            Ty::Entity => Some(format!(
                "{} is the whole {}; compare one of its properties instead, such as status eq 'Pending'",
                self.describe(node),
                self.schema.type_name
            )),
            _ => None,
        }
    }

    pub(super) fn unknown_entity_property(&mut self, name: &str, span: Span, usage: Option<Usage>) {
        if self.errors_full() {
            return;
        }
        let message = format!("{} has no property '{name}'", self.schema.entity_set);
        let names = self
            .schema
            .properties
            .iter()
            .flat_map(|p| std::iter::once(p.name).chain(p.aliases.iter().copied()));
        // A bare word that is one of a property's documented values is a
        // string that lost its quotes: `status eq Pending`.
        let value_of = self
            .schema
            .properties
            .iter()
            .find_map(|p| p.known_values.iter().find(|v| v.eq_ignore_ascii_case(name)));
        let misspelled = self.schema.properties.iter().find(|p| {
            p.docs_misspellings
                .iter()
                .any(|m| m.eq_ignore_ascii_case(name))
        });
        let help = match nearest(name, names).and_then(|n| self.schema.property(n)) {
            _ if misspelled.is_some() => format!(
                "did you mean '{}'? ('{name}' is the API documentation's misspelling of it)",
                misspelled.map_or(name, |p| p.name)
            ),
            _ if value_of.is_some() => format!(
                "'{name}' reads as a property name; a string value takes single quotes: '{}'",
                value_of.copied().unwrap_or(name)
            ),
            Some(p) => {
                let allowed = match usage {
                    Some(Usage::Filter) => p.filterable,
                    Some(Usage::OrderBy) => p.sortable,
                    None => true,
                };
                if allowed {
                    format!("did you mean '{}'?", p.name)
                } else {
                    format!(
                        "did you mean '{}'? (it exists, but cannot be used in {})",
                        p.name,
                        self.option.name()
                    )
                }
            }
            None => {
                let list = match usage {
                    Some(Usage::Filter) => join_names(self.schema.filterable().map(|p| p.name)),
                    Some(Usage::OrderBy) => join_names(self.schema.sortable().map(|p| p.name)),
                    None => join_names(self.schema.selectable().map(|p| p.name)),
                };
                format!("{} can use: {list}", self.option.name())
            }
        };
        self.error(Code::UnknownProperty, message, span, Some(help));
    }

    pub(super) fn unknown_member(
        &mut self,
        name: &str,
        owner: &str,
        properties: &'static [PropertyDef],
        span: Span,
    ) {
        if self.errors_full() {
            return;
        }
        let message = format!("{owner} has no property '{name}'");
        let help = nearest(name, properties.iter().map(|p| p.name))
            .map(|n| format!("did you mean '{n}'?"))
            .or_else(|| {
                (!properties.is_empty()).then(|| {
                    format!(
                        "its properties: {}",
                        join_names(properties.iter().map(|p| p.name))
                    )
                })
            });
        self.error(Code::UnknownProperty, message, span, help);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{help, rejected};
    use super::super::validate;
    use super::*;
    use crate::schema::MACHINE_ACTIONS;
    use crate::syntax::ast::BinaryOp;
    use crate::syntax::query::Query;
    use crate::syntax::tree::Expr;

    #[test]
    fn two_unknown_properties_are_both_reported_with_suggestions_and_spans() {
        let e = rejected("machinId eq 'a' and stauts eq 'Pending'");
        assert_eq!(e.codes(), [Code::UnknownProperty, Code::UnknownProperty]);
        let [first, second] = e.diagnostics() else {
            panic!("two diagnostics expected")
        };
        assert_eq!(
            (first.span().unwrap().start, first.span().unwrap().end),
            (0, 8)
        );
        assert_eq!(help(first), "did you mean 'machineId'?");
        assert_eq!(second.span().unwrap().start, 20);
        assert_eq!(help(second), "did you mean 'status'?");
        assert_eq!(first.target.as_deref(), Some("$filter"));
    }

    #[test]
    fn a_quoted_datetime_is_told_to_drop_the_quotes() {
        let e = rejected("creationDateTimeUtc gt '2024-01-01T00:00:00Z'");
        assert_eq!(e.codes(), [Code::TypeMismatch]);
        assert!(
            help(e.first())
                .ends_with("drop the quotes: creationDateTimeUtc gt 2024-01-01T00:00:00Z"),
            "{:?}",
            e.first().help
        );
        assert_eq!(e.first().span().unwrap().start, 23);

        let e = rejected("'2024-01-01T00:00:00+01:00' lt CreationDateTimeUtc");
        assert!(help(e.first())
            .contains("drop the quotes: 2024-01-01T00:00:00+01:00 lt CreationDateTimeUtc (and send the '+' as %2B"));

        let e = rejected("creationDateTimeUtc gt 'yesterday'");
        assert!(help(e.first()).contains("written without quotes, like 2024-01-01T00:00:00Z"));
    }

    #[test]
    fn an_unquoted_guid_compared_with_id_is_told_to_quote_it() {
        let e = rejected("id eq 69dc3630-1ccc-4342-acf3-35286eec741d");
        assert_eq!(e.codes(), [Code::TypeMismatch]);
        assert!(
            help(e.first()).ends_with("quote it: id eq '69dc3630-1ccc-4342-acf3-35286eec741d'"),
            "{:?}",
            e.first().help
        );
        let e = rejected("id in ('a',69dc3630-1ccc-4342-acf3-35286eec741d)");
        assert!(help(e.first())
            .ends_with("quote it: id in ('a','69dc3630-1ccc-4342-acf3-35286eec741d')"));
    }

    #[test]
    fn lost_offset_hint_points_at_the_space() {
        let text = "creationDateTimeUtc gt 2024-01-01T00:00:00 01:00";
        let hint = offset_space_hint(text, Span::new(43, 48)).unwrap();
        assert!(
            hint.ends_with("encode the plus as %2B: 2024-01-01T00:00:00%2B01:00"),
            "{hint}"
        );
        assert!(offset_space_hint(text, Span::new(0, 5)).is_none());
        assert!(offset_space_hint("status eq 'x'", Span::new(0, 14)).is_none());
        let fraction = "x gt 2024-01-01T00:00:00.123 05:30";
        assert!(offset_space_hint(fraction, Span::new(29, 34))
            .unwrap()
            .ends_with("2024-01-01T00:00:00.123%2B05:30"));

        // Through check_filter: the parser explains it itself, and the
        // explanation is not doubled.
        let e = rejected(text);
        assert_eq!(e.codes(), [Code::InvalidLiteral]);
        assert!(help(e.first()).contains("%2B"), "{e}");
        assert!(!help(e.first()).contains("encode the plus"), "{e}");
        // A syntax error without that help gets it.
        let bare =
            Diagnostic::new(Code::Syntax, "expected an operator").at(Span::new(43, 48), text);
        let e = with_offset_hints(Error::new(bare));
        assert!(
            help(e.first()).ends_with("2024-01-01T00:00:00%2B01:00"),
            "{e}"
        );
    }

    #[test]
    fn hint_scanner_survives_any_text() {
        for text in [
            "",
            "2",
            "2024-01-01T00:00 0",
            "é2024-01-01T00:00 01:00",
            "2024-01-01t00:00 01:00",
        ] {
            for start in 0..=text.len() + 2 {
                let _ = offset_space_hint(text, Span::new(start, start + 1));
            }
        }
        assert!(offset_space_hint("2024-01-01t00:00 01:00", Span::new(17, 22)).is_some());
    }

    #[test]
    fn hand_built_trees_without_source_text_still_get_help() {
        let guid = Uuid::parse_str("69dc3630-1ccc-4342-acf3-35286eec741d").unwrap();
        let query = Query {
            filter: Some(Expr::binary(
                BinaryOp::Eq,
                Expr::property("ID"),
                Expr::literal(Literal::Guid(guid)),
            )),
            ..Query::default()
        };
        let e = validate(&query, &MACHINE_ACTIONS).unwrap_err();
        assert_eq!(e.codes(), [Code::TypeMismatch]);
        assert!(help(e.first()).ends_with("quote it: '69dc3630-1ccc-4342-acf3-35286eec741d'"));
        assert!(e.first().message.contains("`id`"), "{}", e.first().message);
    }
}
