//! Parse, validate, render and answer the OData queries of the Microsoft
//! Defender for Endpoint API, starting with `GET /api/machineactions`.
//!
//! It serves both sides of the wire: clients build and check queries before
//! sending them; servers (and test doubles of the API) parse, validate and
//! answer them. Each stage hands the next a value that proves its work:
//!
//! ```text
//! text ──parse──▶ Query ──validate──▶ ValidatedQuery ──evaluate──▶ Response
//!                   └────────── Display: one canonical query string
//! ```
//!
//! # Parse: text → [`Query`]
//!
//! [`parse`] takes whatever a client has: a full URL, a query string with or
//! without `?`, raw or percent-encoded. Option names ignore case and the
//! `$` is optional. `$filter` is the whole OData 4.01 expression language;
//! its tree is an [`Expr`] (see [`ast`]) whose every node carries the byte
//! [`Span`] it came from. Parsing knows no schema: names keep the spelling
//! they were given.
//!
//! ```
//! use defender_odata::{parse, Code, Query};
//!
//! let query: Query = "https://api.securitycenter.microsoft.com/api/machineactions\
//!      ?$filter=MachineId+eq+'f46b9bb2'and(Status%20eq%20'Succeeded')&$TOP=2"
//!     .parse()?;
//! assert_eq!(query.top, Some(2));
//! assert_eq!(
//!     query.to_string(),
//!     "$filter=MachineId eq 'f46b9bb2' and Status eq 'Succeeded'&$top=2"
//! );
//!
//! // An error says what, where (a span into the decoded value), and how to
//! // fix it; `Display` draws a caret under the span.
//! let error = parse("$filter=status eq").unwrap_err();
//! assert_eq!(error.code(), Code::Syntax);
//! assert_eq!(error.first().target.as_deref(), Some("$filter"));
//! # Ok::<(), defender_odata::Error>(())
//! ```
//!
//! [`parse_filter`] reads one already-decoded `$filter` expression, and
//! [`parse_with`] takes [`ParseOptions`]: the Strict (OASIS ABNF) dialect and
//! the structural [`Limits`] that keep any input linear in time and bounded
//! in stack.
//!
//! # Validate: [`Query`] → [`ValidatedQuery`]
//!
//! [`validate()`] checks a query against an [`EntitySchema`], here the
//! built-in [`machine_actions()`]: property names (case-insensitive, with a
//! did-you-mean), which properties may be filtered and sorted, the type of
//! every expression, `$top` ≤ 10,000 and `$skip` within an int32. It reports
//! every problem, not only the first. A `status` or `type` value the docs do
//! not list is a warning, since the service adds values.
//!
//! ```
//! use defender_odata::{machine_actions, parse, validate, Code};
//!
//! let query = parse("$filter=Status eq 'Succeded'&$top=2")?;
//! let validated = validate(&query, machine_actions())?;
//! // Names come back in the schema's spelling; the typo is only a warning.
//! assert_eq!(validated.to_string(), "$filter=status eq 'Succeded'&$top=2");
//! assert_eq!(validated.warnings()[0].code, Code::UnknownEnumValue);
//! assert_eq!(validated.warnings()[0].help.as_deref(), Some("did you mean 'Succeeded'?"));
//!
//! // The classic trap: a quoted date. Both problems are reported.
//! let query = parse("$filter=creationDateTimeUtc gt '2024-01-01T00:00:00Z'&$top=20000")?;
//! let error = validate(&query, machine_actions()).unwrap_err();
//! assert_eq!(error.codes(), [Code::TypeMismatch, Code::TopExceedsMax]);
//! assert!(error.first().help.as_deref().unwrap_or("").contains("drop the quotes"));
//! # Ok::<(), defender_odata::Error>(())
//! ```
//!
//! [`check`] does both steps on text, as the command line's `check` does.
//! [`Error::to_odata_json`] is the HTTP 400 body in the Defender error
//! envelope.
//!
//! # Render: one canonical string
//!
//! `Display` on a [`Query`], [`ValidatedQuery`] or [`Expr`] gives the
//! canonical human form; `to_query_string()` the percent-encoded form, ready
//! to send. Options come in a fixed order, keywords lower-case, parentheses
//! only where precedence needs them. Reading the canonical form back gives
//! an equal tree (property-tested), so two queries that mean the same thing
//! render the same.
//!
//! ```
//! use defender_odata::parse;
//!
//! let query = parse("?$top=2&$filter=(status eq 'Pending') AND ((machineId eq 'a+b'))")?;
//! assert_eq!(query.to_string(), "$filter=status eq 'Pending' and machineId eq 'a b'&$top=2");
//! assert_eq!(
//!     query.to_query_string(),
//!     "$filter=status%20eq%20'Pending'%20and%20machineId%20eq%20'a%20b'&$top=2"
//! );
//! assert_eq!(parse(&query.to_query_string())?, query);
//! # Ok::<(), defender_odata::Error>(())
//! ```
//!
//! A [`Query`] also serializes (serde) to a JSON tree of its options and
//! nodes, what `defender-odata explain --json` prints.
//!
//! # Evaluate: [`ValidatedQuery`] → the response
//!
//! [`evaluate`] runs a validated query over in-memory entities — owned or
//! borrowed [`MachineAction`](model::MachineAction)s, `serde_json::Value`
//! objects, or any type that implements [`model::Entity`] — and builds the
//! OData response: three-valued logic, `$orderby` (else the service's
//! order, newest first), `$skip`, `$top`, `$count`, `$select`, and
//! `@odata.nextLink` when a page is full. [`eval::CompiledQuery`] compiles
//! once to run over many entity sets.
//!
//! ```
//! use defender_odata::{check, evaluate, machine_actions, sample, ParseOptions};
//!
//! // The docs' Example 1 data: three actions on one machine.
//! let actions = sample::example1();
//! let query = check(
//!     "$filter=status eq 'Succeeded' and type ne 'RunAntiVirusScan'\
//!      &$orderby=creationDateTimeUtc&$select=id,type&$count=true",
//!     machine_actions(),
//!     &ParseOptions::default(),
//! )?;
//! let response = evaluate(&query, actions.iter())?;
//! assert_eq!(response.count, Some(2));
//! assert_eq!(
//!     response.to_json(),
//!     serde_json::json!({
//!         "@odata.context": "https://api.securitycenter.microsoft.com/api/$metadata#MachineActions(id,type)",
//!         "@odata.count": 2,
//!         "value": [
//!             {"id": "44cffc15-0e3d-4cbf-96aa-bf76f9b27f5e", "type": "StopAndQuarantineFile"},
//!             {"id": "69dc3630-1ccc-4342-acf3-35286eec741d", "type": "CollectInvestigationPackage"},
//!         ]
//!     })
//! );
//! # Ok::<(), defender_odata::Error>(())
//! ```
//!
//! # Building queries
//!
//! Clients need not write query text at all: [`builder`] builds the same
//! tree from typed fields and values, so only filterable properties can be
//! filtered and a date can only be compared with a date (MachineActions,
//! Machines and Alerts; see [`builder::MachinesQuery`] and
//! [`builder::AlertsQuery`]). [`client`] has the documented API hosts, a
//! pager for more than 10,000 results, and a rate-limit budget.
//!
//! ```
//! use defender_odata::builder::{MachineActionField as F, MachineActionsQuery};
//! use defender_odata::client::Endpoint;
//! use defender_odata::model::ActionStatus;
//! use defender_odata::{machine_actions, validate};
//!
//! let query = MachineActionsQuery::new()
//!     .filter(F::Status.eq(ActionStatus::Pending).and(F::MachineId.starts_with("f46b")))
//!     .orderby(F::CreationDateTimeUtc.desc())
//!     .top(10)
//!     .build()?;
//! assert!(validate(&query, machine_actions()).is_ok());
//! assert_eq!(
//!     Endpoint::Security.machine_actions_url(&query),
//!     "https://api.security.microsoft.com/api/machineactions\
//!      ?$filter=status%20eq%20'Pending'%20and%20startswith(machineId,'f46b')\
//!      &$orderby=creationDateTimeUtc%20desc&$top=10"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! - `cli` (default): the `defender-odata` binary. Without default
//!   features the crate is the library alone, without `clap`.
//!
//! The decisions behind the grammar, the canonical form, the error codes and
//! the evaluator are written down in `docs/design.md` in the repository.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod ast;
pub mod builder;
pub mod client;
mod error;
pub mod eval;
mod explain;
pub mod model;
mod pattern;
mod render;
pub mod sample;
pub mod schema;
#[cfg(feature = "axum")]
pub mod server;
pub mod store;
mod suggest;
mod syntax;
mod validate;

/// The date and time types the builder and the model take and give.
pub use chrono;

pub use ast::{Expr, FilterExpr, Span};
pub use error::{Code, Diagnostic, Error};
pub use eval::evaluate;
pub use schema::{machine_actions, EntitySchema};
pub use syntax::query::MAX_DIAGNOSTICS;
pub use syntax::{Dialect, Limits, ParseOptions, Query, SystemOption};
pub use validate::{addressed, aimed_at, check, check_filter, validate, Address, ValidatedQuery};

/// Parses a query (a full URL, a query string with or without `?`, raw or
/// percent-encoded) in the Defender dialect with the default limits.
///
/// A stable entry point: benchmarks and tools outside the crate call it.
pub fn parse(query: &str) -> Result<Query, Error> {
    parse_with(query, &ParseOptions::default())
}

/// Parses a query with explicit options (dialect, limits).
pub fn parse_with(query: &str, options: &ParseOptions) -> Result<Query, Error> {
    syntax::query::parse_query(query, options)
}

/// Parses one already-decoded `$filter` expression in the Defender dialect,
/// with no schema.
///
/// A stable entry point: benchmarks and tools outside the crate call it.
pub fn parse_filter(expr: &str) -> Result<FilterExpr, Error> {
    parse_filter_with(expr, &ParseOptions::default())
}

/// Parses one already-decoded `$filter` expression with explicit options.
pub fn parse_filter_with(expr: &str, options: &ParseOptions) -> Result<FilterExpr, Error> {
    syntax::parser::parse_filter(expr, options)
        .map_err(|d| Error::new(d.in_option(SystemOption::Filter.name())))
}

/// Decodes one query option value as the query-string layer does: `%XX`
/// escapes, and in the Defender dialect `+` as a space. A bad escape is an
/// `InvalidEncoding` error whose span indexes `raw`.
///
/// For a `$filter` value that arrives on its own, in URL form: decode it,
/// then [`parse_filter_with`] or [`check_filter`] it.
pub fn decode_value(raw: &str, options: &ParseOptions) -> Result<String, Error> {
    syntax::query::decode_component(raw, options.dialect)
        .map_err(|d| Error::new(d.in_option(SystemOption::Filter.name())))
}

impl std::str::FromStr for Query {
    type Err = Error;

    /// As [`parse`].
    fn from_str(query: &str) -> Result<Query, Error> {
        parse(query)
    }
}

impl std::str::FromStr for Expr {
    type Err = Error;

    /// As [`parse_filter`].
    fn from_str(expr: &str) -> Result<Expr, Error> {
        parse_filter(expr)
    }
}

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
