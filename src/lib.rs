//! Parse, validate, render and evaluate the OData queries of the Microsoft
//! Defender for Endpoint API, starting with `GET /api/machineactions`.
//!
//! It serves both sides: clients check and build queries before sending
//! them; servers (and test doubles of the Defender API) parse, validate and
//! answer them. The stages below are one module each, and each hands the
//! next a value that proves its work was done.
//!
//! # 1. Parse: text → [`Query`]
//!
//! [`parse`] takes whatever a client has: a full URL, a query string with or
//! without `?`, raw or percent-encoded. Option names ignore case and the
//! `$` is optional. `$filter` is the whole OData 4.01 expression language,
//! and every node of the tree carries the byte [`Span`] it came from.
//! Parsing knows no schema: names keep the spelling they were given.
//!
//! An expression is a [`FilterExpr`]: a flat tree, its nodes in one vector
//! and its names and strings ranges of one text, read through borrowed
//! views ([`FilterExpr::root`], then [`ExprRef::kind`](syntax::tree::ExprRef::kind)).
//! That makes a parse two allocations whatever its size, and lets the tree be
//! cloned and dropped without walking it. [`FilterExpr::to_expr`] gives the
//! owned, editable [`Expr`] (the shape the builder and tests construct), and
//! [`FilterExpr::from_expr`] turns one back.
//!
//! ```
//! use defender_odata::{parse, Code};
//!
//! let query = parse(
//!     "https://api.securitycenter.microsoft.com/api/machineactions\
//!      ?$filter=MachineId+eq+'f46b9bb2'and(Status%20eq%20'Succeeded')&$TOP=2",
//! )?;
//! assert_eq!(query.top, Some(2));
//! assert_eq!(
//!     query.filter.map(|f| f.to_string()).as_deref(),
//!     Some("MachineId eq 'f46b9bb2' and Status eq 'Succeeded'")
//! );
//!
//! // A syntax error says what, where (a span into the decoded value), and
//! // how to fix it.
//! let error = parse("$filter=status eq").unwrap_err();
//! assert_eq!(error.code(), Code::Syntax);
//! assert_eq!(error.first().target.as_deref(), Some("$filter"));
//! # Ok::<(), defender_odata::Error>(())
//! ```
//!
//! [`parse_filter`] reads one already-decoded `$filter` expression, and
//! [`parse_with`] takes [`ParseOptions`]: the Strict (OASIS ABNF) dialect and
//! the structural limits that keep any input linear in time and stack.
//!
//! # 2. Validate: [`Query`] → [`ValidatedQuery`]
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
//! [`validate::check`] does both steps on text, as the command line's
//! `check` does. An [`Error`] prints each problem with a caret under it
//! (`{error}`), and [`Error::to_odata_json`] is the HTTP 400 body in the
//! Defender error envelope.
//!
//! # 3. Render: one canonical string
//!
//! `Display` on a [`Query`], [`ValidatedQuery`], [`FilterExpr`] or [`Expr`] gives the
//! canonical human form; `to_query_string()` the percent-encoded form, ready
//! to send. Options come in a fixed order, keywords lower-case, parentheses
//! only where precedence needs them. Reading the canonical form back gives
//! an equal tree (property-tested), so two queries that mean the same thing
//! render the same, and a rendered query can be cached or compared.
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
//! # 4. Evaluate: [`ValidatedQuery`] → the response
//!
//! [`eval::evaluate`] runs a validated query over in-memory entities
//! ([`model::MachineAction`]s, or `serde_json::Value` objects) and builds
//! the OData response: OData's three-valued logic, `$orderby` (else the
//! service's order, newest first), `$skip`, `$top`, `$count`, `$select`,
//! and `@odata.nextLink` when a page is full. [`eval::CompiledQuery`]
//! compiles the filter once to run it over many entity sets.
//!
//! ```
//! use defender_odata::validate::check;
//! use defender_odata::{eval, machine_actions, sample, ParseOptions};
//!
//! // The docs' Example 1 data: three actions on one machine.
//! let query = check(
//!     "$filter=status eq 'Succeeded' and type ne 'RunAntiVirusScan'\
//!      &$orderby=creationDateTimeUtc&$select=id,type&$count=true",
//!     machine_actions(),
//!     &ParseOptions::default(),
//! )?;
//! let response = eval::evaluate(&query, sample::example1())?;
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
//! filtered and a date can only be compared with a date. [`client`] has the
//! documented API hosts, a pager for more than 10,000 results, and a
//! rate-limit budget (100 calls a minute, 1,500 an hour).
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
//! # Examples and the command line
//!
//! - `cargo run --example client`: a built query's URL on every host, and
//!   the pages of a 25,000-result fetch.
//! - `cargo run --example validate -- "<query>"`: the canonical form and
//!   warnings, or every problem with a caret; exit status 0 or 1.
//! - `cargo run --example server -- "<query>" [FILE]`: the core of a test
//!   double of the API; the HTTP status and body for a query over the
//!   MachineActions in FILE (default: the docs' Example 1), 400 with the
//!   Defender error envelope for a bad query.
//! - The `defender-odata` binary: `check`, `parse`, `explain`, `eval` (SPEC §9).
//!
//! The product contract is SPEC.md; decisions it leaves open are written down
//! where they are made, in the module that makes them.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod builder;
pub mod client;
pub mod error;
pub mod eval;
pub mod explain;
pub mod model;
pub mod render;
pub mod sample;
pub mod schema;
pub mod syntax;
pub mod validate;

pub use error::{Code, Diagnostic, Error};
pub use schema::{machine_actions, EdmType, EntitySchema, PropertyDef, MACHINE_ACTIONS};
pub use syntax::ast::{Expr, ExprKind, Literal, Span};
pub use syntax::tree::FilterExpr;
pub use syntax::{Dialect, Limits, ParseOptions, Query, SystemOption};
pub use validate::{validate, ValidatedQuery};

/// Parses a query (a full URL, a query string with or without `?`, raw or
/// percent-encoded) in the Defender dialect with the default limits.
///
/// One of the stable entry points of SPEC §10.
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
/// One of the stable entry points of SPEC §10.
pub fn parse_filter(expr: &str) -> Result<FilterExpr, Error> {
    parse_filter_with(expr, &ParseOptions::default())
}

/// Parses one already-decoded `$filter` expression with explicit options.
pub fn parse_filter_with(expr: &str, options: &ParseOptions) -> Result<FilterExpr, Error> {
    syntax::filter::parse_filter(expr, options)
        .map_err(|d| Error::new(d.in_option(SystemOption::Filter.name())))
}
