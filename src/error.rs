//! Errors and warnings: stable codes, spans, help texts, and their two
//! renderings (a caret diagram for people, the Defender JSON body for HTTP).
//!
//! Owns: [`Code`], [`Diagnostic`], [`Error`]. Must not know about: how any
//! stage finds its problems; every stage builds `Diagnostic`s and this module
//! only shows them.

use std::fmt;

use serde_json::{json, Value};

use std::sync::Arc;

use crate::syntax::ast::Span;

/// The stable error codes. Their names are part of the public contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    /// A bad `%` escape, or bytes that are not UTF-8.
    InvalidEncoding,
    /// A `$`-option that OData does not define.
    UnknownOption,
    /// An OData option the entity does not support (`$search`, `$apply`, …,
    /// or `$expand` on a set with nothing to expand).
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
    /// A URL whose path names no entity set the crate knows.
    UnknownEntitySet,
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
    /// A query the evaluator answers but a database cannot answer exactly
    /// (a function with no exact SQL translation): refused rather than
    /// answered differently.
    NotTranslatable,
    /// Warning: a `status`/`type` value the schema does not list.
    UnknownEnumValue,
    /// Warning: a custom option the service will ignore that looks like a
    /// mistake (a near miss of a system option, or a piece of an
    /// expression split off by a bare `&`).
    IgnoredOption,
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
            Code::UnknownEntitySet => "UnknownEntitySet",
            Code::UnknownProperty => "UnknownProperty",
            Code::PropertyNotFilterable => "PropertyNotFilterable",
            Code::PropertyNotSortable => "PropertyNotSortable",
            Code::TypeMismatch => "TypeMismatch",
            Code::UnknownFunction => "UnknownFunction",
            Code::InvalidArguments => "InvalidArguments",
            Code::NotTranslatable => "NotTranslatable",
            Code::UnknownEnumValue => "UnknownEnumValue",
            Code::IgnoredOption => "IgnoredOption",
        }
    }

    /// Whether the code is a warning rather than an error.
    pub fn is_warning(self) -> bool {
        matches!(self, Code::UnknownEnumValue | Code::IgnoredOption)
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
    /// query text for encoding errors and errors in option names. Shared:
    /// every diagnostic of one text points at the same allocation, so a
    /// long query with many problems is held once.
    pub text: Arc<str>,
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

    /// Sets the span and the text it points into (pass an `Arc<str>` that
    /// other diagnostics share, to hold a long text once).
    pub fn at(mut self, span: Span, text: impl Into<Arc<str>>) -> Diagnostic {
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

/// The most characters of source shown on a diagnostic's line; a longer
/// line is cut to a window around the span, marked `…` where cut.
pub(crate) const SOURCE_WINDOW: usize = 120;

/// How many characters of a window come before the span's start, when the
/// line has to be cut: enough to see what the span follows.
const CONTEXT_BEFORE: usize = 40;

/// Writes the line of `location.text` that holds the span and a line of `^`
/// under it. Columns count characters, not bytes, so carets line up under
/// non-ASCII text; control characters are shown as spaces so that a tab in
/// the input cannot shift the caret. A line longer than [`SOURCE_WINDOW`]
/// characters is shown as a window around the span's start, so a huge query
/// prints a bounded line per diagnostic; the work is bounded by the window
/// too, whatever the text's length.
fn draw_caret(f: &mut fmt::Formatter<'_>, location: &Location) -> fmt::Result {
    let text: &str = &location.text;
    let start = floor_char_boundary(text, location.span.start.min(text.len()));
    let end = floor_char_boundary(text, location.span.end.min(text.len())).max(start);
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    // The window: up to CONTEXT_BEFORE characters before the span, then as
    // many after as fit.
    let before: Vec<(usize, char)> = text[line_start..start]
        .char_indices()
        .rev()
        .take(CONTEXT_BEFORE + 1)
        .collect();
    let cut_left = before.len() > CONTEXT_BEFORE;
    let shown_from = if cut_left {
        line_start + before[CONTEXT_BEFORE - 1].0
    } else {
        line_start
    };
    let room = SOURCE_WINDOW - (start - shown_from).min(CONTEXT_BEFORE);
    let after: Vec<char> = text[start..line_end].chars().take(room + 1).collect();
    let cut_right = after.len() > room;
    let visible = |c: char| if c.is_control() { ' ' } else { c };
    let mut line = String::new();
    if cut_left {
        line.push('…');
    }
    line.extend(text[shown_from..start].chars().map(visible));
    line.extend(after.iter().take(room).copied().map(visible));
    if cut_right {
        line.push('…');
    }
    let pad = usize::from(cut_left) + text[shown_from..start].chars().count();
    let span_chars = text[start..end.min(line_end)].chars().take(room).count();
    let width = span_chars.min(room).max(1);
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

    /// A long line is shown as a window of at most `SOURCE_WINDOW`
    /// characters (plus the cut markers) around the span, and the caret
    /// still sits under the span.
    #[test]
    fn a_long_line_is_cut_to_a_window_around_the_span() {
        let text = format!("{}stats eq 1{}", "a".repeat(100_000), "b".repeat(100_000));
        let d = Diagnostic::new(Code::UnknownProperty, "m").at(Span::new(100_000, 100_005), text);
        let shown = d.to_string();
        let lines: Vec<&str> = shown.lines().collect();
        let source = lines[2].strip_prefix("   | ").unwrap();
        let caret = lines[3].strip_prefix("   | ").unwrap();
        assert!(source.starts_with('…') && source.ends_with('…'), "{source}");
        assert!(source.chars().count() <= SOURCE_WINDOW + 2);
        let column = caret.find('^').unwrap();
        let under: String = source.chars().skip(column).take(5).collect();
        assert_eq!(under, "stats");
        assert_eq!(caret.trim(), "^^^^^");
        assert!(shown.len() < 400, "{} bytes", shown.len());
        // Near either end only that end is cut.
        let d = Diagnostic::new(Code::Syntax, "m").at(Span::new(0, 1), "x".repeat(500));
        let shown = d.to_string();
        let source = shown.lines().nth(2).unwrap();
        assert!(!source.contains("| …") && source.ends_with('…'), "{source}");
        let d = Diagnostic::new(Code::Syntax, "m").at(Span::new(499, 500), "x".repeat(500));
        let shown = d.to_string();
        let lines: Vec<&str> = shown.lines().collect();
        assert!(lines[2].starts_with("   | …") && !lines[2].ends_with('…'));
        assert_eq!(lines[3].len(), lines[2].chars().count());
    }

    /// Diagnostics of one text share it rather than copying it.
    #[test]
    fn diagnostics_share_their_text() {
        let text: Arc<str> = "a".repeat(1 << 20).into();
        let errors: Vec<Diagnostic> = (0..32)
            .map(|i| {
                Diagnostic::new(Code::UnknownOption, "m").at(Span::new(i, i + 1), text.clone())
            })
            .collect();
        assert_eq!(Arc::strong_count(&text), 33);
        drop(errors);
    }

    #[test]
    fn json_detail_has_the_envelope_shape() {
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
