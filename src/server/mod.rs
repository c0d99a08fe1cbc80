//! The HTTP side: a local Defender API (`defender-odata serve`) and the
//! [`ODataQuery`] extractor for servers of one's own.
//!
//! Owns, one file a concern: `extract` (the extractor, feature `axum`),
//! `reply` (every answer's headers and [`ApiError`], the one way an error
//! becomes a response), and with feature `server`: `access` (tokens,
//! permissions, rate budgets), `source` (in memory or a database),
//! `metadata` (CSDL), `openapi`, `app` (routes and handlers) and `listen`
//! (connections: limits, timeouts, graceful shutdown).
//!
//! Must not know about: OData grammar (query text goes to the library's
//! `check` untouched) or SQL (the store translates). Routes, `$metadata`
//! and the OpenAPI document come from the served sets' schemas, so
//! serving another entity set is adding its schema and its source.

mod extract;
mod reply;

pub use extract::{ODataQuery, QuerySchema};
pub use reply::{odata_json, ApiError, ODATA_JSON, ODATA_VERSION};

#[cfg(feature = "server")]
mod access;
#[cfg(feature = "server")]
mod app;
#[cfg(feature = "server")]
mod listen;
#[cfg(feature = "server")]
mod metadata;
#[cfg(feature = "server")]
mod openapi;
#[cfg(feature = "server")]
mod source;

#[cfg(feature = "server")]
pub use access::{Token, DEFAULT_PERMISSION};
#[cfg(feature = "server")]
pub use app::{router, ServerConfig};
#[cfg(feature = "server")]
pub use listen::{serve, ConnectionLimits};
#[cfg(feature = "server")]
pub use metadata::csdl;
#[cfg(feature = "server")]
pub use openapi::document as openapi_document;
#[cfg(all(feature = "server", any(feature = "sqlite", feature = "postgres")))]
pub use source::StoreSource;
#[cfg(feature = "server")]
pub use source::{EntitySource, MemorySource, SourceError};
