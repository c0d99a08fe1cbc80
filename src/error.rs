//! Errors and warnings: stable codes, spans, help texts, and their two
//! renderings (a caret diagram for people, the Defender JSON body for HTTP).
//!
//! Owns: [`Code`], [`Diagnostic`], [`Error`]. Must not know about: how any
//! stage finds its problems; every stage builds `Diagnostic`s and this module
//! only shows them.

use std::fmt;

use serde_json::{json, Value};

use crate::syntax::ast::Span;

/// The stable error codes. Their names are part of the public contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    /// A bad `%` escape, or bytes that are not UTF-8.
    InvalidEncoding,
    /// A `$`-option that OData does not define.
    UnknownOption,
    /// An OData option the entity does not support (`$expand`, `$search`, …).
    UnsupportedOption,
    /// The same option twice, in any spelling.
    DuplicateOption,
    /// The expression does not follow the grammar.
    Syntax,
    /// A literal that is malformed or out of range (`2018-13-01`).
    InvalidLiteral,
    /// `$top` is not `1*DIGIT` or does not fit an `i64`.
    InvalidTop,
    /// `$skip` is not `1*DIGIT` or does not fit an `i64`.
    InvalidSkip,
    /// `$top` above the entity's cap (10,000 for MachineActions).
    TopExceedsMax,
    /// `$skip` above 2,147,483,647.
    SkipExceedsMax,
    /// An option value longer than the limit.
    TooLong,
    /// Nesting deeper than the limit.
    TooDeep,
    /// More AST nodes than the limit.
    TooManyNodes,
    /// A property the entity does not have.
    UnknownProperty,
    /// A property that exists but cannot be filtered on.
    PropertyNotFilterable,
    /// A property that exists but cannot be sorted on.
    PropertyNotSortable,
    /// Operand types that do not fit the operator or function.
    TypeMismatch,
    /// A call of a function that is not built in.
    UnknownFunction,
    /// The wrong number or kind of arguments to a function.
    InvalidArguments,
    /// Warning: a `status`/`type` value the schema does not list.
    UnknownEnumValue,
}

impl Code {
    /// The code's stable name, as it appears in JSON and on the terminal.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidEncoding => "InvalidEncoding",
            Code::UnknownOption => "UnknownOption",
            Code::UnsupportedOption => "UnsupportedOption",
            Code::DuplicateOption => "DuplicateOption",
            Code::Syntax => "Syntax",
            Code::InvalidLiteral => "InvalidLiteral",
            Code::InvalidTop => "InvalidTop",
            Code::InvalidSkip => "InvalidSkip",
            Code::TopExceedsMax => "TopExceedsMax",
            Code::SkipExceedsMax => "SkipExceedsMax",
            Code::TooLong => "TooLong",
            Code::TooDeep => "TooDeep",
            Code::TooManyNodes => "TooManyNodes",
            Code::UnknownProperty => "UnknownProperty",
            Code::PropertyNotFilterable => "PropertyNotFilterable",
            Code::PropertyNotSortable => "PropertyNotSortable",
            Code::TypeMismatch => "TypeMismatch",
            Code::UnknownFunction => "UnknownFunction",
            Code::InvalidArguments => "InvalidArguments",
            Code::UnknownEnumValue => "UnknownEnumValue",
        }
    }

    /// Whether the code is a warning rather than an error.
    pub fn is_warning(self) -> bool {
        matches!(self, Code::UnknownEnumValue)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a diagnostic points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The byte range.
    pub span: Span,
    /// The text the span indexes: the option's decoded value, or the raw
    /// query text for encoding errors and errors in option names.
    pub text: String,
}

/// One problem (or warning) with a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The stable code.
    pub code: Code,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The option it is in (`$filter`, `$top`, …); `None` for the query as a whole.
    pub target: Option<String>,
    /// The span and the text it points into, where one applies.
    pub location: Option<Location>,
    /// What to do instead, when we can tell (`did you mean 'machineId'?`).
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with a code and message and nothing else yet.
    pub fn new(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            target: None,
            location: None,
            help: None,
        }
    }

    /// Sets the option the diagnostic is in.
    pub fn in_option(mut self, target: impl Into<String>) -> Diagnostic {
        self.target = Some(target.into());
        self
    }

    /// Sets the span and the text it points into.
    pub fn at(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.location = Some(Location {
            span,
            text: text.into(),
        });
        self
    }

    /// Sets the help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// The span, if any.
    pub fn span(&self) -> Option<Span> {
        self.location.as_ref().map(|l| l.span)
    }

    /// The detail object of the error body:
    /// `{"code","message","target","span","help"}` (absent parts omitted).
    pub fn to_json(&self) -> Value {
        let mut detail = serde_json::Map::new();
        detail.insert("code".into(), json!(self.code.as_str()));
        detail.insert("message".into(), json!(self.message));
        if let Some(target) = &self.target {
            detail.insert("target".into(), json!(target));
        }
        if let Some(span) = self.span() {
            detail.insert("span".into(), json!(span.as_pair()));
        }
        if let Some(help) = &self.help {
            detail.insert("help".into(), json!(help));
        }
        Value::Object(detail)
    }
}

impl fmt::Display for Diagnostic {
    /// Draws the diagnostic the way regex-syntax draws a parse error: the
    /// header, the text the span points into, a caret line under the span,
    /// and the help.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.code.is_warning() {
            "warning"
        } else {
            "error"
        };
        write!(f, "{kind}[{}]: {}", self.code, self.message)?;
        if let Some(target) = &self.target {
            write!(f, " (in {target})")?;
        }
        if let Some(location) = &self.location {
            writeln!(f)?;
            draw_caret(f, location)?;
        }
        if let Some(help) = &self.help {
            writeln!(f)?;
            write!(f, "  = help: {help}")?;
        }
        Ok(())
    }
}

/// Writes the line of `location.text` that holds the span and a line of `^`
/// under it. Columns count characters, not bytes, so carets line up under
/// non-ASCII text; control characters are shown as spaces so that a tab in
/// the input cannot shift the caret.
fn draw_caret(f: &mut fmt::Formatter<'_>, location: &Location) -> fmt::Result {
    let text = location.text.as_str();
    let start = floor_char_boundary(text, location.span.start.min(text.len()));
    let end = floor_char_boundary(text, location.span.end.min(text.len())).max(start);
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line: String = text[line_start..line_end]
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let pad = text[line_start..start].chars().count();
    let width = text[start..end.min(line_end)].chars().count().max(1);
    writeln!(f, "   |")?;
    writeln!(f, "   | {line}")?;
    write!(f, "   | {}{}", " ".repeat(pad), "^".repeat(width))
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// A rejected query: one or more diagnostics, errors first.
///
/// Parsing reports the first problem of each option; validation reports every
/// problem it finds.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Error {
    diagnostics: Vec<Diagnostic>,
}

impl Error {
    /// An error of one diagnostic.
    pub fn new(diagnostic: Diagnostic) -> Error {
        Error {
            diagnostics: vec![diagnostic],
        }
    }

    /// An error from several diagnostics; `None` when there are none.
    pub fn from_diagnostics(diagnostics: Vec<Diagnostic>) -> Option<Error> {
        if diagnostics.is_empty() {
            None
        } else {
            Some(Error { diagnostics })
        }
    }

    /// The code of the first diagnostic.
    pub fn code(&self) -> Code {
        self.diagnostics[0].code
    }

    /// The first diagnostic.
    pub fn first(&self) -> &Diagnostic {
        &self.diagnostics[0]
    }

    /// Every diagnostic, in the order found.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The codes of every diagnostic, in order (handy in tests).
    pub fn codes(&self) -> Vec<Code> {
        self.diagnostics.iter().map(|d| d.code).collect()
    }

    /// The HTTP error body, in the Defender envelope:
    /// `{"error":{"code":"ODataError","message":…,"details":[…]}}`.
    pub fn to_odata_json(&self) -> Value {
        let message = if self.diagnostics.len() == 1 {
            self.diagnostics[0].message.clone()
        } else {
            format!(
                "The query has {} problems; the first: {}",
                self.diagnostics.len(),
                self.diagnostics[0].message
            )
        };
        json!({
            "error": {
                "code": "ODataError",
                "message": message,
                "details": self.diagnostics.iter().map(Diagnostic::to_json).collect::<Vec<_>>(),
            }
        })
    }
}

impl From<Diagnostic> for Error {
    fn from(diagnostic: Diagnostic) -> Error {
        Error::new(diagnostic)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
                writeln!(f)?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_sits_under_the_span_counting_characters() {
        let d = Diagnostic::new(Code::UnknownProperty, "unknown property 'stats'")
            .in_option("$filter")
            .at(Span::new(7, 12), "'Zoë' stats eq 1")
            .with_help("did you mean 'status'?");
        let shown = d.to_string();
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(
            lines[0],
            "error[UnknownProperty]: unknown property 'stats' (in $filter)"
        );
        assert_eq!(lines[2], "   | 'Zoë' stats eq 1");
        assert_eq!(lines[3], "   |       ^^^^^");
        assert_eq!(lines[4], "  = help: did you mean 'status'?");
    }

    #[test]
    fn json_detail_has_the_spec_shape() {
        let d = Diagnostic::new(Code::UnknownProperty, "m")
            .in_option("$filter")
            .at(Span::new(4, 13), "x")
            .with_help("h");
        let body = Error::new(d).to_odata_json();
        assert_eq!(body["error"]["code"], "ODataError");
        assert_eq!(body["error"]["details"][0]["code"], "UnknownProperty");
        assert_eq!(body["error"]["details"][0]["span"], json!([4, 13]));
        assert_eq!(body["error"]["details"][0]["target"], "$filter");
        assert_eq!(body["error"]["details"][0]["help"], "h");
    }

    #[test]
    fn span_past_the_text_or_inside_a_character_does_not_panic() {
        let d = Diagnostic::new(Code::Syntax, "m").at(Span::new(2, 99), "ë");
        assert!(d.to_string().contains('^'));
    }
}
