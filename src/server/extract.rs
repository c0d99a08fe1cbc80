//! [`ODataQuery`]: an axum extractor that parses and validates a
//! request's query string against an entity set's schema, and rejects a
//! bad one with the Defender `400 ODataError` body.
//!
//! Owns: taking the raw query out of the request. Must not know about:
//! the grammar or the checks (the library's [`check`] does both).
//!
//! ```
//! use axum::extract::FromRef;
//! use axum::response::Response;
//! use axum::{routing::get, Router};
//! use defender_odata::server::{odata_json, ApiError, ODataQuery, QuerySchema};
//! use defender_odata::{evaluate, machine_actions, sample};
//!
//! #[derive(Clone)]
//! struct State;
//!
//! impl FromRef<State> for QuerySchema {
//!     fn from_ref(_: &State) -> QuerySchema {
//!         QuerySchema(machine_actions())
//!     }
//! }
//!
//! // A bad query never reaches the handler: the extractor answers it.
//! async fn list(ODataQuery(query): ODataQuery) -> Result<Response, ApiError> {
//!     let actions = sample::example1();
//!     let response = evaluate(&query, actions.iter()).map_err(ApiError::query)?;
//!     Ok(odata_json(serde_json::to_vec(&response).unwrap_or_default()))
//! }
//!
//! let app: Router = Router::new()
//!     .route("/api/machineactions", get(list))
//!     .with_state(State);
//! ```

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;

use super::reply::ApiError;
use crate::schema::EntitySchema;
use crate::syntax::ParseOptions;
use crate::validate::{check, ValidatedQuery};

/// The schema a router's [`ODataQuery`]s are validated against: provide
/// it from the router's state with [`FromRef`].
#[derive(Clone, Copy, Debug)]
pub struct QuerySchema(pub &'static EntitySchema);

/// The request's query string, parsed and validated against the
/// [`QuerySchema`] of the router's state. Rejected with [`ApiError`]:
/// `400 ODataError` and every problem in `details`.
#[derive(Clone, Debug)]
pub struct ODataQuery(pub ValidatedQuery<'static>);

impl<S> FromRequestParts<S> for ODataQuery
where
    S: Send + Sync,
    QuerySchema: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let QuerySchema(schema) = QuerySchema::from_ref(state);
        let raw = parts.uri.query().unwrap_or_default();
        check(raw, schema, &ParseOptions::default())
            .map(ODataQuery)
            .map_err(ApiError::query)
    }
}
