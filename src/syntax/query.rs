//! The query-string layer and the parsed [`Query`].
//!
//! Owns: splitting a URL or query string into options, percent- and
//! `+`-decoding, option-name resolution (case, optional `$`, duplicates,
//! unknown and unsupported options), and the syntax of `$top`, `$skip`,
//! `$count`, `$orderby`, `$select` and `$expand`. Hands `$filter` and `$orderby`
//! expressions to the grammar in `parser`. Must not know about: schemas.

use super::ast::{CustomOption, ExpandItem, OrderByItem, Select};
use super::tree::FilterExpr;

/// The system query options this crate parses, in canonical order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SystemOption {
    /// `$filter`
    Filter,
    /// `$count`
    Count,
    /// `$orderby`
    OrderBy,
    /// `$skip`
    Skip,
    /// `$top`
    Top,
    /// `$select`
    Select,
    /// `$expand`: which navigation properties to write in full.
    Expand,
}

impl SystemOption {
    /// Every system option, in canonical (rendering) order.
    pub const ALL: [SystemOption; 7] = [
        SystemOption::Filter,
        SystemOption::Count,
        SystemOption::OrderBy,
        SystemOption::Skip,
        SystemOption::Top,
        SystemOption::Select,
        SystemOption::Expand,
    ];

    /// The canonical name, with `$`: `$filter`.
    pub fn name(self) -> &'static str {
        match self {
            SystemOption::Filter => "$filter",
            SystemOption::Count => "$count",
            SystemOption::OrderBy => "$orderby",
            SystemOption::Skip => "$skip",
            SystemOption::Top => "$top",
            SystemOption::Select => "$select",
            SystemOption::Expand => "$expand",
        }
    }
}

/// A parsed query: each system option's typed value, then custom options.
///
/// Equality ignores where things were (spans and the option source texts).
/// Build one with [`Query::default`] and set the options wanted; the
/// builder (`defender_odata::builder`) builds typed MachineActions queries.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Query {
    /// `$filter`
    pub filter: Option<FilterExpr>,
    /// `$count`
    pub count: Option<bool>,
    /// `$orderby`, items in order.
    pub orderby: Option<Vec<OrderByItem>>,
    /// `$skip` (non-negative, fits an `i64`).
    pub skip: Option<i64>,
    /// `$top` (non-negative, fits an `i64`).
    pub top: Option<i64>,
    /// `$select`
    pub select: Option<Select>,
    /// `$expand`: the navigation properties to expand, in the order given.
    pub expand: Option<Vec<ExpandItem>>,
    /// Custom options, in the order given.
    pub custom: Vec<CustomOption>,
    /// The decoded text of each system option, which spans index.
    pub(crate) sources: OptionSources,
}

impl Query {
    /// The decoded text of `option` as it was received, which the spans of
    /// its nodes index; `None` for an option not given, or built in code.
    pub fn source(&self, option: SystemOption) -> Option<&str> {
        self.sources.get(option)
    }

    /// What parsing noticed but did not refuse: custom options that the
    /// service ignores and that look like mistakes (code `IgnoredOption`),
    /// such as `fliter=…` or a piece of a `$filter` cut off by a bare `&`.
    /// Validation passes them on in [`ValidatedQuery::warnings`](crate::ValidatedQuery::warnings).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.sources.warnings
    }
}

/// What was received besides the options' meaning: the decoded value text
/// of each system option, so that later stages (validation) can draw carets
/// under spans, and parsing's warnings. Like a [`Span`], it never takes part
/// in equality.
#[derive(Clone, Debug, Default)]
pub(crate) struct OptionSources {
    texts: [Option<Arc<str>>; SystemOption::ALL.len()],
    warnings: Vec<Diagnostic>,
}

impl PartialEq for OptionSources {
    fn eq(&self, _: &OptionSources) -> bool {
        true
    }
}

impl OptionSources {
    /// The decoded value of `option`, if it was given.
    pub fn get(&self, option: SystemOption) -> Option<&str> {
        self.texts[option as usize].as_deref()
    }

    /// The decoded value of `option`, shared, for diagnostics to point into.
    pub fn shared(&self, option: SystemOption) -> Option<Arc<str>> {
        self.texts[option as usize].clone()
    }

    /// Records the decoded value of `option`.
    pub fn set(&mut self, option: SystemOption, text: impl Into<Arc<str>>) {
        self.texts[option as usize] = Some(text.into());
    }
}

use std::borrow::Cow;
use std::sync::Arc;

use super::ast::Span;
use super::options::{Dialect, ParseOptions};
use super::parser;
use crate::error::{Code, Diagnostic, Error};
use crate::suggest::nearest;

/// OData system query options (URL Conventions §5) that this crate does not
/// parse, so that `$search` says "not supported" rather than "unknown".
const UNSUPPORTED: [&str; 10] = [
    "$search",
    "$apply",
    "$compute",
    "$format",
    "$skiptoken",
    "$deltatoken",
    "$levels",
    "$id",
    "$schemaversion",
    "$index",
];

/// The most problems one query reports. Diagnostics in option names carry
/// the whole query text, so without a cap `$x&$x&…` would take memory
/// quadratic in its length; a query this wrong is rejected either way.
pub const MAX_DIAGNOSTICS: usize = 32;

/// Parses a whole query. Reports the first problem of each option,
/// at most [`MAX_DIAGNOSTICS`] in all.
///
/// Decisions made here:
/// - The text is a URL (only what follows its first `?` is read) when it
///   starts with a scheme (`https://`) or a `/`, or when the part before its
///   first `?` holds no `=` or `&` (`host/api/machineactions?$top=2`).
///   Otherwise it is a query string, so `$filter=title eq 'what?'` keeps its `?`.
/// - The first `#` starts the fragment, which is ignored, as a URL parser
///   would; a `#` inside a value must be sent as `%23`.
/// - Options without `$` named like an unsupported option (`expand`) are
///   unsupported options, not custom options, as for the supported ones.
/// - The whole text is held to `max_query_len`, and system option values to
///   `max_value_len`; custom options' values are never looked at.
/// - Of an option given twice, the first is kept and the second reported.
pub fn parse_query(text: &str, options: &ParseOptions) -> Result<Query, Error> {
    let (query, problems) = parse_query_partial(text, options);
    match Error::from_diagnostics(problems) {
        Some(error) => Err(error),
        None => Ok(query),
    }
}

/// Parses what can be parsed of a query: the options that parsed, and the
/// problems of the ones that did not (those are left out of the query).
///
/// [`parse_query`] rejects a query with any problem; this is for callers
/// that go on to check the rest, so that a user sees every problem at once
/// (`check` validates what parsed and reports both).
pub fn parse_query_partial(text: &str, options: &ParseOptions) -> (Query, Vec<Diagnostic>) {
    let mut query = Query::default();
    let mut diagnostics = Vec::new();
    let limit = options.limits.max_query_len;
    if text.len() > limit {
        diagnostics.push(Diagnostic::new(
            Code::TooLong,
            format!(
                "the query is {} bytes long; the limit is {limit}",
                text.len()
            ),
        ));
        return (query, diagnostics);
    }
    let (start, end) = query_range(text);
    // Diagnostics in names and encodings point into the whole text: shared,
    // so that a long query with many problems is held once.
    let mut whole = Shared::new(text);
    let mut seen = [false; SystemOption::ALL.len()];
    let mut piece_start = start;
    for piece in split_on_byte(text.get(start..end).unwrap_or(""), b'&') {
        if diagnostics.len() >= MAX_DIAGNOSTICS {
            break;
        }
        let offset = piece_start;
        piece_start += piece.len() + 1;
        if piece.is_empty() {
            continue;
        }
        let (raw_name, raw_value) = match memchr::memchr(b'=', piece.as_bytes()) {
            Some(eq) => (&piece[..eq], Some(&piece[eq + 1..])),
            None => (piece, None),
        };
        let value_offset = offset + raw_name.len() + 1;
        let name_span = Span::new(offset, offset + raw_name.len());
        let name = match decode(raw_name, options.dialect) {
            Ok(name) => name,
            Err(bad) => {
                diagnostics.push(bad.diagnostic(whole.get(), offset).in_option(raw_name));
                continue;
            }
        };
        match classify(&name) {
            OptionName::System(option) => {
                let seen_before = &mut seen[option as usize];
                if *seen_before {
                    diagnostics.push(duplicate(option, &name, name_span, whole.get()));
                    continue;
                }
                *seen_before = true;
                let value = match decode(raw_value.unwrap_or(""), options.dialect) {
                    Ok(value) => value,
                    Err(bad) => {
                        diagnostics.push(
                            bad.diagnostic(whole.get(), value_offset)
                                .in_option(option.name()),
                        );
                        continue;
                    }
                };
                if let Err(d) = parse_value(option, &value, options, &mut query) {
                    // A value cut short right where a '&' followed it was
                    // probably cut by that '&' (an unclosed string, a
                    // missing operand): say so.
                    let cut_by_ampersand = offset + piece.len() < end
                        && d.span().is_some_and(|span| span.end >= value.len());
                    let d = if cut_by_ampersand {
                        let help = d.help.clone().map_or(String::new(), |h| format!("{h}; "));
                        d.with_help(format!(
                            "{help}a bare '&' ended this value here: inside a string, write '&' as %26"
                        ))
                    } else {
                        d
                    };
                    diagnostics.push(d.in_option(option.name()));
                }
                query.sources.set(option, value.as_ref());
            }
            OptionName::Unsupported(canonical) => diagnostics.push(
                Diagnostic::new(
                    Code::UnsupportedOption,
                    format!("the query option '{canonical}' is not supported"),
                )
                .in_option(name.as_ref())
                .at(name_span, whole.get())
                .with_help(format!("supported options: {}", supported_list())),
            ),
            OptionName::Unknown => diagnostics.push(unknown(&name, name_span, whole.get())),
            OptionName::Padded(canonical) => {
                diagnostics.push(padded(&name, canonical, name_span, whole.get()))
            }
            OptionName::Custom => {
                let value = match raw_value.map(|v| decode(v, options.dialect)).transpose() {
                    Ok(value) => value.map(Cow::into_owned),
                    Err(bad) => {
                        diagnostics.push(bad.diagnostic(whole.get(), value_offset).in_option(name));
                        continue;
                    }
                };
                let warnings = &mut query.sources.warnings;
                if warnings.len() < MAX_DIAGNOSTICS {
                    let piece_span = Span::new(offset, offset + piece.len());
                    warnings.extend(ignored(&name, piece_span, &mut whole));
                }
                query.custom.push(CustomOption {
                    name: name.into_owned(),
                    value,
                });
            }
        }
    }
    (query, diagnostics)
}

/// Percent-decodes one query-string component (an option name or value):
/// in [`Dialect::Defender`] `+` first becomes a space, as ODataLib does; in
/// [`Dialect::Strict`] it stays `+`.
///
/// A `%` not followed by two hex digits, or escapes that do not decode to
/// UTF-8, give an `InvalidEncoding` diagnostic whose span indexes `raw`.
pub fn decode_component(raw: &str, dialect: Dialect) -> Result<String, Diagnostic> {
    decode(raw, dialect)
        .map(Cow::into_owned)
        .map_err(|bad| bad.diagnostic(raw, 0))
}

/// The byte range of the query part of `text` (see [`parse_query`]).
fn query_range(text: &str) -> (usize, usize) {
    let end = memchr::memchr(b'#', text.as_bytes()).unwrap_or(text.len());
    let head = &text[..end];
    if let Some(rest) = head.strip_prefix('?') {
        return (end - rest.len(), end);
    }
    let question = memchr::memchr(b'?', head.as_bytes());
    if has_scheme(head) || head.starts_with('/') {
        return question.map_or((end, end), |q| (q + 1, end));
    }
    match question {
        Some(q) if !head[..q].contains(['=', '&']) => (q + 1, end),
        _ => (0, end),
    }
}

/// The path of `text` when it is a URL (what [`parse_query`] reads as one),
/// and where the path starts in `text`: `/api/machines` of
/// `https://host/api/machines?$top=1`. `None` for a bare query string.
pub fn resource_path(text: &str) -> Option<(&str, usize)> {
    let (start, _) = query_range(text);
    let end = memchr::memchr(b'#', text.as_bytes()).unwrap_or(text.len());
    let head = if start > 0 && text.as_bytes().get(start - 1) == Some(&b'?') {
        &text[..start - 1]
    } else {
        // No `?`: a URL without a query, or a bare query string.
        let head = &text[..end];
        if !(has_scheme(head) || head.starts_with('/')) {
            return None;
        }
        head
    };
    if head.is_empty() {
        return None;
    }
    let after_scheme = match head.find("://") {
        Some(i) if has_scheme(head) => i + 3,
        _ => 0,
    };
    let path_start = if after_scheme > 0 || !head.starts_with('/') {
        // Past the host: the first `/` after the scheme (or from the start,
        // for `host/api/…`).
        head[after_scheme..]
            .find('/')
            .map_or(head.len(), |i| after_scheme + i)
    } else {
        0
    };
    Some((&head[path_start..], path_start))
}

/// `text` split at each `byte` (ASCII), as `str::split` would: the query
/// layer's separators are found with memchr's SIMD search, where `split`
/// and `find` on a `char` scan a word at a time.
fn split_on_byte(text: &str, byte: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match memchr::memchr(byte, current.as_bytes()) {
            Some(i) => {
                rest = Some(&current[i + 1..]);
                Some(&current[..i])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// Whether `text` starts with `scheme://` (RFC 3986 scheme characters).
/// Reads only the scheme characters at the start, not the whole text.
fn has_scheme(text: &str) -> bool {
    let is_scheme_byte = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.');
    let scheme = text.bytes().take_while(is_scheme_byte).count();
    text.starts_with(|c: char| c.is_ascii_alphabetic()) && text[scheme..].starts_with("://")
}

/// A decoding failure: the byte range of the bad escape(s) in the component.
struct BadEscape {
    span: Span,
    message: String,
    help: &'static str,
}

impl BadEscape {
    /// The diagnostic, with the span moved by `offset` into `text`.
    fn diagnostic(&self, text: impl Into<Arc<str>>, offset: usize) -> Diagnostic {
        Diagnostic::new(Code::InvalidEncoding, self.message.clone())
            .at(
                Span::new(self.span.start + offset, self.span.end + offset),
                text,
            )
            .with_help(self.help)
    }
}

/// `+`- and percent-decodes `raw`, borrowing when there is nothing to decode.
fn decode(raw: &str, dialect: Dialect) -> Result<Cow<'_, str>, BadEscape> {
    let plus_is_space = dialect == Dialect::Defender;
    // Most components hold neither: look with memchr's SIMD search.
    let needs_work = if plus_is_space {
        memchr::memchr2(b'%', b'+', raw.as_bytes())
    } else {
        memchr::memchr(b'%', raw.as_bytes())
    };
    if needs_work.is_none() {
        return Ok(Cow::Borrowed(raw));
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => match (hex_value(bytes.get(i + 1)), hex_value(bytes.get(i + 2))) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 3;
                }
                _ => {
                    // The `%` and the (at most two) characters that should
                    // have been hex digits.
                    let end = i
                        + 1
                        + raw[i + 1..]
                            .chars()
                            .take(2)
                            .map(char::len_utf8)
                            .sum::<usize>();
                    return Err(BadEscape {
                        span: Span::new(i, end),
                        message: format!(
                            "'{}' is not a percent escape: '%' must be followed by two hex digits",
                            &raw[i..end]
                        ),
                        help: "write a literal '%' as %25",
                    });
                }
            },
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    match String::from_utf8(out) {
        Ok(text) => Ok(Cow::Owned(text)),
        Err(e) => {
            let error = e.utf8_error();
            let bad_start = error.valid_up_to();
            let bad_end = error
                .error_len()
                .map_or(e.as_bytes().len(), |len| bad_start + len);
            let start = raw_offset(bytes, bad_start);
            let end = raw_offset(bytes, bad_end);
            Err(BadEscape {
                span: Span::new(start, end),
                message: format!(
                    "the percent escapes '{}' do not decode to UTF-8 text",
                    raw.get(start..end).unwrap_or("")
                ),
                help: "percent-encode the UTF-8 bytes of the text",
            })
        }
    }
}

/// The offset in `raw` (whose escapes are all well formed) of the byte at
/// `decoded` in its decoding.
fn raw_offset(raw: &[u8], decoded: usize) -> usize {
    let mut i = 0;
    for _ in 0..decoded {
        i += if raw.get(i) == Some(&b'%') { 3 } else { 1 };
    }
    i.min(raw.len())
}

fn hex_value(byte: Option<&u8>) -> Option<u8> {
    let b = *byte?;
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The whole query text, turned into a shared allocation the first time a
/// diagnostic needs it.
struct Shared<'a> {
    text: &'a str,
    shared: Option<Arc<str>>,
}

impl<'a> Shared<'a> {
    fn new(text: &'a str) -> Shared<'a> {
        Shared { text, shared: None }
    }

    fn get(&mut self) -> Arc<str> {
        self.shared.get_or_insert_with(|| self.text.into()).clone()
    }
}

/// What an option name refers to.
enum OptionName {
    System(SystemOption),
    /// The canonical spelling, with `$`.
    Unsupported(&'static str),
    Unknown,
    /// A system or unsupported option's name with a space, tab or byte-order
    /// mark before or after it: its canonical spelling.
    Padded(&'static str),
    Custom,
}

/// What may stand around an option name by mistake: a space (a `%20` or a
/// `+` in the URL), a tab, or a UTF-8 byte-order mark that an editor put at
/// the start of a file the query was pasted from.
fn is_padding(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{feff}')
}

fn classify(name: &str) -> OptionName {
    match classify_exact(name) {
        OptionName::Unknown | OptionName::Custom => {}
        exact => return exact,
    }
    let trimmed = name.trim_matches(is_padding);
    if trimmed.len() < name.len() {
        match classify_exact(trimmed) {
            OptionName::System(option) => return OptionName::Padded(option.name()),
            OptionName::Unsupported(canonical) => return OptionName::Padded(canonical),
            _ => {}
        }
    }
    classify_exact(name)
}

fn classify_exact(name: &str) -> OptionName {
    let (dollar, bare) = match name.strip_prefix('$') {
        Some(bare) => (true, bare),
        None => (false, name),
    };
    if let Some(option) = SystemOption::ALL
        .into_iter()
        .find(|o| o.name()[1..].eq_ignore_ascii_case(bare))
    {
        return OptionName::System(option);
    }
    if let Some(canonical) = UNSUPPORTED
        .into_iter()
        .find(|u| u[1..].eq_ignore_ascii_case(bare))
    {
        return OptionName::Unsupported(canonical);
    }
    if dollar {
        OptionName::Unknown
    } else {
        OptionName::Custom
    }
}

fn supported_list() -> String {
    SystemOption::ALL.map(SystemOption::name).join(", ")
}

fn duplicate(option: SystemOption, name: &str, span: Span, text: Arc<str>) -> Diagnostic {
    let canonical = option.name();
    let message = if name == canonical {
        format!("'{canonical}' is given more than once")
    } else {
        format!("'{canonical}' is given more than once (here as '{name}')")
    };
    Diagnostic::new(Code::DuplicateOption, message)
        .in_option(canonical)
        .at(span, text)
        .with_help("give each system query option once; option names ignore case and the '$'")
}

fn unknown(name: &str, span: Span, text: Arc<str>) -> Diagnostic {
    let lower = name.to_ascii_lowercase();
    let suggestion = nearest(
        name,
        SystemOption::ALL
            .map(SystemOption::name)
            .into_iter()
            .chain(UNSUPPORTED),
    );
    let help = match suggestion {
        Some("$top") if lower == "$stop" => {
            "did you mean '$top'? (the Defender documentation itself misspells $top as $stop)"
                .to_string()
        }
        Some(candidate) => format!("did you mean '{candidate}'?"),
        None => format!(
            "supported options: {}; names without '$' that are not system options are custom options",
            supported_list()
        ),
    };
    Diagnostic::new(
        Code::UnknownOption,
        format!("'{name}' is not an OData system query option"),
    )
    .in_option(name)
    .at(span, text)
    .with_help(help)
}

/// A system option's name with padding around it: refused, since the
/// service would take it for a custom option and ignore it, with a help
/// that says what to remove.
fn padded(name: &str, canonical: &str, span: Span, text: Arc<str>) -> Diagnostic {
    let describe = |padding: &str| {
        let mut kinds: Vec<&str> = padding
            .chars()
            .map(|c| match c {
                ' ' => "a space",
                '\t' => "a tab",
                _ => "a byte-order mark (U+FEFF)",
            })
            .collect();
        kinds.dedup();
        kinds.join(" and ")
    };
    let trimmed_start = name.trim_start_matches(is_padding);
    let before = &name[..name.len() - trimmed_start.len()];
    let after = &trimmed_start[trimmed_start.trim_end_matches(is_padding).len()..];
    let mut what = Vec::new();
    if !before.is_empty() {
        what.push(format!("{} before", describe(before)));
    }
    if !after.is_empty() {
        what.push(format!("{} after", describe(after)));
    }
    Diagnostic::new(
        Code::UnknownOption,
        format!(
            "'{}' is not an option name: it is '{canonical}' with {} it",
            name.escape_debug(),
            what.join(" and ")
        ),
    )
    .in_option(name)
    .at(span, text)
    .with_help(format!(
        "remove the {} around the name (a space arrives as %20 or '+'), so that it reads '{canonical}'",
        if before.len() + after.len() > 1 { "characters" } else { "character" }
    ))
}

/// The `IgnoredOption` warning for a custom option that looks like a
/// mistake: a near miss of a system option's name, or a piece of an
/// expression (whitespace, quotes, parentheses or an operator keyword in
/// its name) that a bare `&` split off the option before it. Ordinary
/// custom options (`api-version=2`) get none.
fn ignored(name: &str, span: Span, whole: &mut Shared<'_>) -> Option<Diagnostic> {
    let warning = |message: String, help: String, whole: &mut Shared<'_>| {
        Diagnostic::new(Code::IgnoredOption, message)
            .in_option(name)
            .at(span, whole.get())
            .with_help(help)
    };
    if looks_like_an_expression(name) {
        return Some(warning(
            format!(
                "'{}' is not a query option; the service ignores it",
                name.escape_debug()
            ),
            "a bare '&' ends an option's value: join conditions with 'and', and write a '&' inside a string as %26"
                .to_owned(),
            whole,
        ));
    }
    let near = nearest(
        name.strip_prefix('$').unwrap_or(name),
        SystemOption::ALL.map(|o| &o.name()[1..]),
    )?;
    Some(warning(
        format!("'{name}' is a custom option, which the service ignores"),
        format!("did you mean '${near}'?"),
        whole,
    ))
}

/// Whether a custom option's name holds what only an expression holds:
/// whitespace, quotes, parentheses, or an operator keyword as a word.
fn looks_like_an_expression(name: &str) -> bool {
    const KEYWORDS: [&str; 18] = [
        "eq", "ne", "gt", "ge", "lt", "le", "and", "or", "not", "has", "in", "add", "sub", "mul",
        "div", "divby", "mod", "null",
    ];
    name.contains(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '(' | ')'))
        || name
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word)) && word != name)
}

/// Parses the decoded `value` of `option` into `query`.
fn parse_value(
    option: SystemOption,
    value: &str,
    options: &ParseOptions,
    query: &mut Query,
) -> Result<(), Diagnostic> {
    let limit = options.limits.max_value_len;
    if value.len() > limit {
        return Err(Diagnostic::new(
            Code::TooLong,
            format!(
                "the value is {} bytes long, more than the limit of {limit}",
                value.len()
            ),
        )
        .at(Span::new(limit, value.len()), value));
    }
    match option {
        SystemOption::Filter => query.filter = Some(parser::parse_filter(value, options)?),
        SystemOption::OrderBy => query.orderby = Some(parser::parse_orderby(value, options)?),
        SystemOption::Select => query.select = Some(parser::parse_select(value, options)?),
        SystemOption::Expand => query.expand = Some(parser::parse_expand(value, options)?),
        SystemOption::Top => query.top = Some(parse_digits(value, option, options.dialect)?),
        SystemOption::Skip => query.skip = Some(parse_digits(value, option, options.dialect)?),
        SystemOption::Count => query.count = Some(parse_bool(value, options.dialect)?),
    }
    Ok(())
}

/// The range of `value` without the spaces and tabs the dialect allows
/// around a value.
fn trimmed(value: &str, dialect: Dialect) -> (usize, usize) {
    if dialect == Dialect::Strict {
        return (0, value.len());
    }
    let blank = |c: char| c == ' ' || c == '\t';
    let start = value.len() - value.trim_start_matches(blank).len();
    let end = value.trim_end_matches(blank).len().max(start);
    (start, end)
}

/// `$top` / `$skip`: `1*DIGIT` that fits an `i64`.
fn parse_digits(value: &str, option: SystemOption, dialect: Dialect) -> Result<i64, Diagnostic> {
    let code = match option {
        SystemOption::Skip => Code::InvalidSkip,
        _ => Code::InvalidTop,
    };
    let name = option.name();
    let (start, end) = trimmed(value, dialect);
    let digits = &value[start..end];
    let fail = |message: String, help: String| {
        Err(Diagnostic::new(code, message)
            .at(Span::new(start, end), value)
            .with_help(help))
    };
    if digits.is_empty() {
        return fail(
            format!("{name} has no value"),
            format!("give a whole number, such as {name}=10"),
        );
    }
    let unsigned = digits.strip_prefix('-').unwrap_or(digits);
    if digits.starts_with('-')
        && !unsigned.is_empty()
        && unsigned.bytes().all(|b| b.is_ascii_digit())
    {
        return fail(
            format!("{name} must not be negative, got {digits}"),
            format!("give 0 or more, such as {name}=10"),
        );
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        let inner = digits.trim_matches([' ', '\t']);
        let help = if dialect == Dialect::Strict
            && !inner.is_empty()
            && inner.bytes().all(|b| b.is_ascii_digit())
        {
            "remove the whitespace around the number (the Strict dialect does not allow it)"
                .to_string()
        } else {
            format!("{name} takes digits only (0-9), without a sign, such as {name}=10")
        };
        return fail(format!("'{digits}' is not a whole number"), help);
    }
    match digits.parse::<i64>() {
        Ok(n) => Ok(n),
        Err(_) => fail(
            format!("'{digits}' is too large"),
            format!("{name} must fit a 64-bit integer (at most {})", i64::MAX),
        ),
    }
}

/// `$count`: `true` / `false`, case-insensitive.
fn parse_bool(value: &str, dialect: Dialect) -> Result<bool, Diagnostic> {
    let (start, end) = trimmed(value, dialect);
    let word = &value[start..end];
    if word.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if word.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(
            Diagnostic::new(Code::InvalidLiteral, format!("'{word}' is not a Boolean"))
                .at(Span::new(start, end), value)
                .with_help("$count takes true or false"),
        )
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_url_s_path_is_found_and_a_query_string_has_none() {
        let path = |text| resource_path(text).map(|(p, _)| p);
        assert_eq!(
            path("https://host/api/machines?$top=1"),
            Some("/api/machines")
        );
        assert_eq!(path("https://host"), Some(""));
        assert_eq!(path("https://host/api/Software"), Some("/api/Software"));
        assert_eq!(path("/api/alerts?$top=1#frag"), Some("/api/alerts"));
        assert_eq!(path("host/api/machines?$top=2"), Some("/api/machines"));
        assert_eq!(path("$filter=title eq 'what?'"), None);
        assert_eq!(path("?$top=1"), None);
        assert_eq!(path("$top=1"), None);
        let text = "https://h/api/machines/x/alerts?$top=1";
        let (p, at) = resource_path(text).unwrap();
        assert_eq!(&text[at..at + p.len()], "/api/machines/x/alerts");
    }
    use super::*;

    #[test]
    fn a_partial_parse_keeps_what_parsed_and_reports_the_rest() {
        let (query, problems) =
            parse_query_partial("$filter=status eq 'x'&$top=abc", &ParseOptions::default());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, Code::InvalidTop);
        assert!(query.filter.is_some() && query.top.is_none());
    }
}
