//! Syntax: from query text to a typed, spanned tree.
//!
//! Owns: the query-string layer (`query`), the `$filter` grammar (`parser`,
//! over the token readers of `lexer`), the other system options' syntax,
//! the shapes of a query (`ast`) and the expression tree the parser builds
//! (`tree`). Must not know about: any entity schema; names keep the
//! spelling they were given, and `$top` caps belong to validation.

pub(crate) mod ast;
mod ident;
mod json;
pub(crate) mod lexer;
pub(crate) mod options;
pub(crate) mod parser;
pub(crate) mod query;
pub(crate) mod tree;

pub use options::{Dialect, Limits, ParseOptions};
pub use query::{Query, SystemOption};
