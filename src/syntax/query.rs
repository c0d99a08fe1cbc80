//! The query-string layer (SPEC §2) and the parsed [`Query`].
//!
//! Owns: splitting a URL or query string into options, percent- and
//! `+`-decoding, option-name resolution (case, optional `$`, duplicates,
//! unknown and unsupported options), and the syntax of `$top`, `$skip`,
//! `$count`, `$orderby` and `$select`. Hands `$filter` and `$orderby`
//! expressions to the grammar in `filter`. Must not know about: schemas.

use super::ast::{CustomOption, FilterExpr, OrderByItem, Select};

/// The system query options this crate parses, in canonical order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
}

impl SystemOption {
    /// Every system option, in canonical (rendering) order.
    pub const ALL: [SystemOption; 6] = [
        SystemOption::Filter,
        SystemOption::Count,
        SystemOption::OrderBy,
        SystemOption::Skip,
        SystemOption::Top,
        SystemOption::Select,
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
        }
    }
}

/// A parsed query: each system option's typed value, then custom options.
///
/// Equality ignores where things were (spans and the option source texts).
#[derive(Clone, Debug, Default, PartialEq)]
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
    /// Custom options, in the order given.
    pub custom: Vec<CustomOption>,
    /// The decoded text of each system option, which spans index.
    pub sources: OptionSources,
}

/// The decoded value text of each system option as received, so that later
/// stages (validation) can draw carets under spans. Location metadata: like
/// [`super::ast::Span`], it never takes part in equality.
#[derive(Clone, Debug, Default)]
pub struct OptionSources {
    texts: [Option<String>; 6],
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

    /// Records the decoded value of `option`.
    pub fn set(&mut self, option: SystemOption, text: impl Into<String>) {
        self.texts[option as usize] = Some(text.into());
    }
}

use super::options::ParseOptions;
use crate::error::Error;

/// Parses a whole query (SPEC §2). Reports the first problem of each option.
pub fn parse_query(text: &str, _options: &ParseOptions) -> Result<Query, Error> {
    let _ = text;
    Ok(Query::default())
}
