//! Parse, validate, render and evaluate the OData queries of the Microsoft
//! Defender for Endpoint API, starting with `GET /api/machineactions`.
//!
//! The pipeline, one module a stage:
//!
//! 1. [`syntax`]: query text → [`Query`], a typed AST whose every node carries
//!    a [`Span`]; `$filter` is the full OData 4.01 expression language.
//! 2. [`validate`]: the AST against an entity [`schema`] (built in:
//!    MachineAction), reporting every problem with a stable [`Code`].
//! 3. [`render`]: any AST back to one canonical query string.
//! 4. [`eval`]: a validated query over in-memory entities, and the response.
//!
//! The product contract is SPEC.md; decisions it leaves open are written down
//! where they are made, in the module that makes them.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

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
pub use syntax::ast::{ExprKind, FilterExpr, Literal, Span};
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
