//! Syntax: from query text to a typed, spanned AST.
//!
//! Owns: the query-string layer (`query`), the `$filter` grammar (`filter`,
//! built from lexer-level nom parsers in `lexer`), the other system options'
//! syntax, the AST (`ast`) and the flat expression tree the parser builds
//! (`tree`). Must not know about: any entity schema; names
//! keep the spelling they were given, and `$top` caps belong to validation.

pub mod ast;
pub mod filter;
pub mod lexer;
pub mod options;
pub mod query;
pub mod tree;

pub use ast::*;
pub use options::{Dialect, Limits, ParseOptions};
pub use query::{Query, SystemOption};
