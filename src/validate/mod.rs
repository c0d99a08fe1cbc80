//! Validation: a parsed [`Query`] against an [`EntitySchema`].
//!
//! Owns: name resolution (case-insensitive, to the schema's spelling),
//! filterability/sortability/selectability, EDM type inference and checking
//! of every `$filter`/`$orderby` node, function argument types, enum-value
//! warnings, the `$top`/`$skip` caps, the help texts for the known traps, and
//! [`ValidatedQuery`], which only this module can construct.
//!
//! Must not know about: query text syntax (the parser's job; validation only
//! reads spans and the decoded option texts to point at problems), how a
//! query is rendered (`render`), or evaluated.
//!
//! This file holds the entry points and [`ValidatedQuery`]; `types` holds
//! the type rules, `checker` the walk that applies them, and `hints` the
//! help texts for the known traps.
//!
//! Decisions, following ODataLib where it has an answer:
//! - Every problem is reported, never only the first: after a bad node its
//!   type becomes "unknown", which every later check accepts, so one mistake
//!   is reported once rather than cascading.
//! - A function argument of the wrong type is `InvalidArguments` ("the
//!   wrong number or kind of arguments"); operands of operators that do not
//!   fit are `TypeMismatch`.
//! - `$it` and `$this` alone denote the whole entity: comparing one with a
//!   value, or using one as the filter, is a `TypeMismatch` whose help says to
//!   compare one of its properties. `$it/status` works as `status` does.
//! - `null` is comparable with anything, and `$filter=null` is accepted (it
//!   is a typeless Boolean that selects nothing, as in three-valued logic).
//! - A path into a complex property or a lambda over a collection is checked
//!   against the flags of the entity property it starts from; on
//!   MachineActions none of `relatedFileInfo`, `commands`, `troubleshootInfo`
//!   is filterable, so such paths are `PropertyNotFilterable`.
//! - A property whose `selectable` flag is off is reported in `$select` as
//!   `UnknownProperty` (there is no narrower code); no built-in property
//!   has the flag off.
//! - An option the schema does not list in `supported_options` is
//!   `UnsupportedOption`, as the parser reports options no entity supports.

mod checker;
mod hints;
mod types;

use std::fmt;

use crate::ast::Span;
use crate::error::{Code, Diagnostic, Error};
use crate::schema::{entity_set_named, entity_sets, machine_actions, EntitySchema};
use crate::syntax::options::ParseOptions;
use crate::syntax::query::{resource_path, Query, SystemOption};

use checker::Checker;
use hints::with_offset_hints;

/// A query that passed validation against a schema: property names in the
/// schema's spelling, plus the warnings found on the way.
///
/// Only [`validate`] (and [`check`], [`check_filter`]) construct one, so
/// holding a `ValidatedQuery` proves the query was checked against
/// [`ValidatedQuery::schema`].
#[derive(Clone, Debug)]
pub struct ValidatedQuery<'s> {
    query: Query,
    warnings: Vec<Diagnostic>,
    schema: &'s EntitySchema,
}

impl<'s> ValidatedQuery<'s> {
    /// The canonicalized query: property names spelled as the schema spells
    /// them (`CreationDateTimeUtc` → `creationDateTimeUtc`); literal values,
    /// string contents included, exactly as parsed.
    pub fn query(&self) -> &Query {
        &self.query
    }

    /// The warnings: parsing's (`IgnoredOption`, see [`Query::warnings`]),
    /// then validation's (`UnknownEnumValue`), in the order found.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The schema the query was validated against.
    pub fn schema(&self) -> &'s EntitySchema {
        self.schema
    }

    /// The canonical percent-encoded form, ready to send.
    pub fn to_query_string(&self) -> String {
        self.query.to_query_string()
    }

    /// The query as OData's `$count` segment counts it
    /// (`/api/alerts/$count?$filter=…`): its `$filter` (and custom
    /// options) with `$count=true` and `$top=0`; `$skip`, `$orderby`,
    /// `$select` and `$expand` dropped, since they do not change a count.
    /// Still valid: it only drops options and asks for no entity.
    pub fn counting(&self) -> ValidatedQuery<'s> {
        let mut query = self.query.clone();
        query.count = Some(true);
        query.top = Some(0);
        query.skip = None;
        query.orderby = None;
        query.select = None;
        query.expand = None;
        ValidatedQuery {
            query,
            warnings: self.warnings.clone(),
            schema: self.schema,
        }
    }

    /// The canonicalized query, giving up the proof of validation.
    pub fn into_query(self) -> Query {
        self.query
    }
}

impl fmt::Display for ValidatedQuery<'_> {
    /// The canonical human form with the schema's spellings.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.query, f)
    }
}

/// Validates `query` against `schema`, reporting every problem found, up to
/// [`MAX_DIAGNOSTICS`](crate::MAX_DIAGNOSTICS) errors and as many warnings.
///
/// On success the query comes back canonicalized, with any warnings; on
/// failure the [`Error`] holds every error, then the warnings.
pub fn validate<'s>(query: &Query, schema: &'s EntitySchema) -> Result<ValidatedQuery<'s>, Error> {
    let mut query = query.clone();
    let mut checker = Checker::new(schema);
    checker.check_query(&mut query);
    let Checker {
        mut errors,
        warnings: found,
        ..
    } = checker;
    // Parsing's warnings (ignored options) come first, in query order.
    let mut warnings = query.warnings().to_vec();
    warnings.extend(found);
    if errors.is_empty() {
        return Ok(ValidatedQuery {
            query,
            warnings,
            schema,
        });
    }
    errors.extend(warnings);
    Err(Error::from_diagnostics(errors).unwrap_or_else(|| {
        // Unreachable: `errors` is not empty. Kept total so no input panics.
        Error::new(Diagnostic::new(Code::Syntax, "validation failed"))
    }))
}

/// The entity set a URL is aimed at: the set its path addresses
/// ([`addressed`]), so `…/api/machines/{id}/alerts/$count?…` is aimed at
/// Alerts, the navigation the docs use. `None` for a bare query string, or
/// a path that names nothing (`/`, `/api`).
///
/// # Errors
///
/// As [`addressed`].
pub fn aimed_at(text: &str) -> Result<Option<&'static EntitySchema>, Error> {
    Ok(addressed(text)?.map(|address| address.schema))
}

/// What the path of a URL addresses, beyond the query: the entity set, and
/// whether it is one entity of it, a navigation from one entity, or a
/// count. A reader of the query alone would answer a different question
/// (every alert, not one machine's; a list, not its count), so the CLI and
/// the server read this too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    /// The entity set the query is validated against and answered over:
    /// the navigation's target for `machines/{id}/alerts`.
    pub schema: &'static EntitySchema,
    /// `/api/{set}/{key}`: the one entity with that key.
    pub key: Option<String>,
    /// `/api/machines/{key}/alerts`: the navigation and the key of the
    /// entity it starts from.
    pub navigation: Option<(&'static crate::schema::Navigation, String)>,
    /// A final `/$count`: the number of matches, not the list.
    pub count: bool,
}

/// What a URL's path addresses: the first segment that names a built-in
/// set ([`entity_sets`](crate::schema::entity_sets), ignoring case; any
/// segments before it, such as `api`, are the service's root), then
/// nothing (the list), `$count`, `{key}`, `{key}/{navigation}` (Machines'
/// `alerts`) or `{key}/{navigation}/$count`. A key is read as it is
/// written in the path, percent-decoded. `None` for a bare query string,
/// or a path that names nothing (`/`, `/api`).
///
/// # Errors
///
/// `UnknownEntitySet`, with the span of the segment and a did-you-mean:
/// when the path names no known set, or goes on past the set with anything
/// but the shapes above.
pub fn addressed(text: &str) -> Result<Option<Address>, Error> {
    let Some((path, offset)) = resource_path(text) else {
        return Ok(None);
    };
    let mut segments = Vec::new();
    let mut at = offset;
    for segment in path.split('/') {
        if !segment.is_empty() {
            segments.push((segment, at));
        }
        at += segment.len() + 1;
    }
    let Some(first) = segments
        .iter()
        .position(|(segment, _)| !segment.starts_with('$') && entity_set_named(segment).is_some())
    else {
        let unknown = segments
            .iter()
            .rev()
            .find(|(s, _)| !s.starts_with('$') && !s.eq_ignore_ascii_case("api"));
        return match unknown {
            None => Ok(None),
            Some(&(segment, start)) => Err(unknown_set(text, segment, start)),
        };
    };
    let (set_name, _) = segments[first];
    let set = entity_set_named(set_name).unwrap_or_else(machine_actions);
    let rest = &segments[first + 1..];
    let is_count = |segment: &str| segment.eq_ignore_ascii_case("$count");
    let mut address = Address {
        schema: set,
        key: None,
        navigation: None,
        count: false,
    };
    let unexpected = match rest {
        [] => None,
        [(count, _)] if is_count(count) => {
            address.count = true;
            None
        }
        [(key, start)] => match decoded_key(text, key, *start) {
            Ok(key) => {
                address.key = Some(key);
                None
            }
            Err(error) => return Err(error),
        },
        [(key, start), (segment, segment_start), tail @ ..] => {
            let navigation = crate::schema::navigations()
                .iter()
                .copied()
                .find(|n| std::ptr::eq(n.from, set) && n.segment.eq_ignore_ascii_case(segment));
            let counted = matches!(tail, [(count, _)] if is_count(count));
            match navigation {
                None => Some((*segment, *segment_start, Some(set))),
                Some(_) if !tail.is_empty() && !counted => {
                    let (other, other_start) = tail[0];
                    Some((other, other_start, None))
                }
                Some(navigation) => {
                    address.schema = navigation.to;
                    address.navigation = Some((navigation, decoded_key(text, key, *start)?));
                    address.count = counted;
                    None
                }
            }
        }
    };
    match unexpected {
        None => Ok(Some(address)),
        Some((segment, start, from)) => {
            let routes: Vec<String> = crate::schema::navigations()
                .iter()
                .filter(|n| from.is_none_or(|set| std::ptr::eq(n.from, set)))
                .map(|n| format!("{}/{{id}}/{}", n.from.path_segment(), n.segment))
                .collect();
            let mut help = String::from("a path goes on past its set with $count, {id}");
            if !routes.is_empty() {
                help.push_str(&format!(", or a navigation: {}", routes.join(", ")));
            }
            Err(Error::new(
                Diagnostic::new(
                    Code::UnknownEntitySet,
                    format!("the path goes on with '{segment}', which addresses nothing here"),
                )
                .at(Span::new(start, start + segment.len()), text)
                .with_help(help),
            ))
        }
    }
}

/// A key as a path segment writes it, percent-decoded.
fn decoded_key(text: &str, key: &str, start: usize) -> Result<String, Error> {
    percent_encoding::percent_decode_str(key)
        .decode_utf8()
        .map(|k| k.into_owned())
        .map_err(|_| {
            Error::new(
                Diagnostic::new(
                    Code::UnknownEntitySet,
                    format!("the key '{key}' is not UTF-8 once percent-decoded"),
                )
                .at(Span::new(start, start + key.len()), text),
            )
        })
}

/// `UnknownEntitySet` for the path segment `segment` at `start`.
fn unknown_set(text: &str, segment: &str, start: usize) -> Error {
    let names = entity_sets().iter().map(|s| s.entity_set);
    let diagnostic = Diagnostic::new(
        Code::UnknownEntitySet,
        format!("the path names no entity set: '{segment}'"),
    )
    .at(Span::new(start, start + segment.len()), text);
    let help = match crate::suggest::nearest(segment, names) {
        Some(near) => format!("did you mean '{}'?", near.to_lowercase()),
        None => format!(
            "the entity sets are {}",
            entity_sets()
                .iter()
                .map(|s| s.path_segment())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Error::new(diagnostic.with_help(help))
}

/// Parses `query_text` (a URL or a query string, as [`parse`](crate::parse)
/// reads) and validates it: what the CLI's
/// `check` command does. Options that parsed are validated even when others
/// did not, and the error holds the problems of both.
///
/// A syntax error caused by a `+hh:mm` offset that arrived as a space gets a
/// help text saying to encode the `+` as `%2B`.
pub fn check<'s>(
    query_text: &str,
    schema: &'s EntitySchema,
    options: &ParseOptions,
) -> Result<ValidatedQuery<'s>, Error> {
    let (query, problems) = crate::syntax::query::parse_query_partial(query_text, options);
    if problems.is_empty() {
        return validate(&query, schema);
    }
    // Validate the options that did parse too, so one run shows every
    // problem: the syntax errors first, then the rest.
    let mut diagnostics = problems;
    match validate(&query, schema) {
        Ok(validated) => diagnostics.extend(validated.warnings().iter().cloned()),
        Err(error) => diagnostics.extend(error.diagnostics().iter().cloned()),
    }
    let error = Error::from_diagnostics(diagnostics).unwrap_or_else(|| {
        // Unreachable: `problems` was not empty. Kept total so no input panics.
        Error::new(Diagnostic::new(Code::Syntax, "the query was rejected"))
    });
    Err(with_offset_hints(error))
}

/// Parses one already-decoded `$filter` expression and validates it as the
/// query's only option: what the CLI's `check --expr` does. The expression
/// alone is `validated.query().filter`.
pub fn check_filter<'s>(
    expr: &str,
    schema: &'s EntitySchema,
    options: &ParseOptions,
) -> Result<ValidatedQuery<'s>, Error> {
    let filter = crate::parse_filter_with(expr, options).map_err(with_offset_hints)?;
    let mut query = Query {
        filter: Some(filter),
        ..Query::default()
    };
    query.sources.set(SystemOption::Filter, expr);
    validate(&query, schema)
}

/// What the tests of this module's files share: checking one `$filter`
/// against MachineActions.
#[cfg(test)]
mod test_support {
    use super::*;
    use crate::schema::MACHINE_ACTIONS;

    pub(super) fn filter(expr: &str) -> Result<ValidatedQuery<'static>, Error> {
        check_filter(expr, &MACHINE_ACTIONS, &ParseOptions::default())
    }

    pub(super) fn rejected(expr: &str) -> Error {
        match filter(expr) {
            Ok(v) => panic!("{expr:?} was accepted: {:?}", v.query().filter),
            Err(e) => e,
        }
    }

    pub(super) fn help(d: &Diagnostic) -> &str {
        d.help.as_deref().unwrap_or("")
    }
}
