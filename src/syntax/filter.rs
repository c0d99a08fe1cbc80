//! The `$filter` grammar (SPEC §4): a precedence-climbing parser over the
//! lexer-level nom parsers of `lexer`.

use super::ast::{FilterExpr, OrderByItem, Select};
use super::options::ParseOptions;
use crate::error::{Code, Diagnostic};

/// Parses one decoded `$filter` value.
pub fn parse_filter(text: &str, _options: &ParseOptions) -> Result<FilterExpr, Diagnostic> {
    Err(Diagnostic::new(
        Code::Syntax,
        format!("not implemented yet: {text}"),
    ))
}

/// Parses one decoded `$orderby` value.
pub fn parse_orderby(text: &str, _options: &ParseOptions) -> Result<Vec<OrderByItem>, Diagnostic> {
    Err(Diagnostic::new(
        Code::Syntax,
        format!("not implemented yet: {text}"),
    ))
}

/// Parses one decoded `$select` value.
pub fn parse_select(text: &str, _options: &ParseOptions) -> Result<Select, Diagnostic> {
    Err(Diagnostic::new(
        Code::Syntax,
        format!("not implemented yet: {text}"),
    ))
}
