//! The shapes of a parsed query, other than the expression tree itself.
//!
//! Owns: [`Span`], the operators, the built-in functions and their arity,
//! the literal types that need one (`DateTimeOffset`, `SpecialFloat`), and
//! the parts of a query that hold expressions (`$orderby` items, `$select`
//! items, custom options). The expression tree and its views are in
//! `tree.rs`.
//!
//! Must not know about: any entity schema (names keep the spelling they were
//! given), rendering (see `render.rs`) or evaluation.

use chrono::{DateTime, FixedOffset};

use super::tree::Expr;

/// A byte range `start..end` into the decoded value of one query option
/// (for errors in option names or encodings: into the raw query text).
///
/// Spans are location metadata: equality of trees and queries ignores them,
/// so a rendered and re-parsed tree equals the original.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(into = "[usize; 2]")]
pub struct Span {
    /// First byte of the node.
    pub start: usize,
    /// One past the last byte of the node.
    pub end: usize,
}

impl From<Span> for [usize; 2] {
    fn from(span: Span) -> [usize; 2] {
        span.as_pair()
    }
}

impl Span {
    /// A span from `start` to `end` (byte offsets).
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// The span as a `[start, end]` pair, as the JSON error body shows it.
    pub fn as_pair(self) -> [usize; 2] {
        [self.start, self.end]
    }
}

/// The non-finite floating-point literals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecialFloat {
    /// `INF`
    Infinity,
    /// `-INF`
    NegativeInfinity,
    /// `NaN`
    NaN,
}

/// A DateTimeOffset literal: the instant and the offset it was written with.
///
/// Unlike `chrono::DateTime`, equality also compares the offset, so
/// `…T01:00:00+01:00` and `…T00:00:00Z` are different literals (they denote
/// the same instant, which is what evaluation compares).
#[derive(Clone, Copy, Debug, Eq)]
pub struct DateTimeOffset(pub DateTime<FixedOffset>);

impl PartialEq for DateTimeOffset {
    fn eq(&self, other: &DateTimeOffset) -> bool {
        self.0 == other.0 && self.0.offset() == other.0.offset()
    }
}

/// `any` or `all`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LambdaKind {
    /// True when some member satisfies the predicate (or, without one, when
    /// the collection is not empty).
    Any,
    /// True when every member satisfies the predicate.
    All,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnaryOp {
    /// Logical `not`.
    Not,
    /// Arithmetic negation `-`.
    Negate,
}

/// Binary operators, with their precedence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BinaryOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
    /// `add`
    Add,
    /// `sub`
    Sub,
    /// `mul`
    Mul,
    /// `div`
    Div,
    /// `divby`
    DivBy,
    /// `mod`
    Mod,
    /// `has`
    Has,
    /// `in`
    In,
}

impl BinaryOp {
    /// Every binary operator.
    pub const ALL: [BinaryOp; 16] = [
        BinaryOp::Or,
        BinaryOp::And,
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::DivBy,
        BinaryOp::Mod,
        BinaryOp::Has,
        BinaryOp::In,
    ];

    /// The keyword, lower-case.
    pub fn keyword(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "eq",
            BinaryOp::Ne => "ne",
            BinaryOp::Gt => "gt",
            BinaryOp::Ge => "ge",
            BinaryOp::Lt => "lt",
            BinaryOp::Le => "le",
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::DivBy => "divby",
            BinaryOp::Mod => "mod",
            BinaryOp::Has => "has",
            BinaryOp::In => "in",
        }
    }

    /// Binding strength from the URL Conventions' precedence table; higher
    /// binds tighter. Unary operators sit at 7, between
    /// `has`/`in` (primary) and the multiplicative operators.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq | BinaryOp::Ne => 3,
            BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Lt | BinaryOp::Le => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::DivBy | BinaryOp::Mod => 6,
            BinaryOp::Has | BinaryOp::In => 8,
        }
    }
}

/// The precedence of `not` and unary `-` (see [`BinaryOp::precedence`]).
pub const UNARY_PRECEDENCE: u8 = 7;

/// `cast` and `isof`, whose last argument is a type name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TypeFunction {
    /// `cast(x,T)` / `cast(T)`
    Cast,
    /// `isof(x,T)` / `isof(T)`
    IsOf,
}

impl TypeFunction {
    /// The function's name, lower-case.
    pub fn name(self) -> &'static str {
        match self {
            TypeFunction::Cast => "cast",
            TypeFunction::IsOf => "isof",
        }
    }
}

macro_rules! functions {
    ($($variant:ident => $name:literal, $min:literal..=$max:literal;)*) => {
        /// The built-in functions of OData 4.01 (other than `cast`/`isof`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Function {
            $(#[doc = concat!("`", $name, "`")] $variant,)*
        }

        impl Function {
            /// Every built-in function.
            pub const ALL: &'static [Function] = &[$(Function::$variant),*];

            /// The canonical spelling.
            pub fn name(self) -> &'static str {
                match self { $(Function::$variant => $name,)* }
            }

            /// The smallest and largest number of arguments.
            pub fn arity(self) -> (usize, usize) {
                match self { $(Function::$variant => ($min, $max),)* }
            }
        }
    };
}

functions! {
    Contains => "contains", 2..=2;
    StartsWith => "startswith", 2..=2;
    EndsWith => "endswith", 2..=2;
    Length => "length", 1..=1;
    IndexOf => "indexof", 2..=2;
    Substring => "substring", 2..=3;
    ToLower => "tolower", 1..=1;
    ToUpper => "toupper", 1..=1;
    Trim => "trim", 1..=1;
    Concat => "concat", 2..=2;
    MatchesPattern => "matchesPattern", 2..=2;
    Year => "year", 1..=1;
    Month => "month", 1..=1;
    Day => "day", 1..=1;
    Hour => "hour", 1..=1;
    Minute => "minute", 1..=1;
    Second => "second", 1..=1;
    FractionalSeconds => "fractionalseconds", 1..=1;
    TotalSeconds => "totalseconds", 1..=1;
    Date => "date", 1..=1;
    Time => "time", 1..=1;
    TotalOffsetMinutes => "totaloffsetminutes", 1..=1;
    Now => "now", 0..=0;
    MinDateTime => "mindatetime", 0..=0;
    MaxDateTime => "maxdatetime", 0..=0;
    Round => "round", 1..=1;
    Floor => "floor", 1..=1;
    Ceiling => "ceiling", 1..=1;
}

impl Function {
    /// The built-in whose name matches `name` case-insensitively.
    ///
    /// One `match` on a lower-case copy, which compiles to a dispatch on the
    /// length, where a scan of [`Function::ALL`] compared with every name: a
    /// call is parsed in most filters. (A test checks that each of `ALL`
    /// is found under its name.)
    pub fn lookup(name: &str) -> Option<Function> {
        // The longest name, `totaloffsetminutes`, is 18 bytes.
        let mut buffer = [0u8; 18];
        let lower = buffer.get_mut(..name.len())?;
        lower.copy_from_slice(name.as_bytes());
        lower.make_ascii_lowercase();
        Some(match &*lower {
            b"contains" => Function::Contains,
            b"startswith" => Function::StartsWith,
            b"endswith" => Function::EndsWith,
            b"length" => Function::Length,
            b"indexof" => Function::IndexOf,
            b"substring" => Function::Substring,
            b"tolower" => Function::ToLower,
            b"toupper" => Function::ToUpper,
            b"trim" => Function::Trim,
            b"concat" => Function::Concat,
            b"matchespattern" => Function::MatchesPattern,
            b"year" => Function::Year,
            b"month" => Function::Month,
            b"day" => Function::Day,
            b"hour" => Function::Hour,
            b"minute" => Function::Minute,
            b"second" => Function::Second,
            b"fractionalseconds" => Function::FractionalSeconds,
            b"totalseconds" => Function::TotalSeconds,
            b"date" => Function::Date,
            b"time" => Function::Time,
            b"totaloffsetminutes" => Function::TotalOffsetMinutes,
            b"now" => Function::Now,
            b"mindatetime" => Function::MinDateTime,
            b"maxdatetime" => Function::MaxDateTime,
            b"round" => Function::Round,
            b"floor" => Function::Floor,
            b"ceiling" => Function::Ceiling,
            _ => return None,
        })
    }
}

/// One `$orderby` item.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderByItem {
    /// The sort key (usually a property path).
    pub expr: Expr,
    /// `desc` (the default, `asc`, is `false`).
    pub descending: bool,
}

/// The value of `$select`.
#[derive(Clone, Debug, PartialEq)]
pub enum Select {
    /// `*`: every property.
    All,
    /// A list of property paths, in the order given.
    Paths(Vec<SelectItem>),
}

/// One `$select` item: a property path such as `status` or `Address/Street`.
#[derive(Clone, Debug, PartialEq)]
pub struct SelectItem {
    /// The path: an expression whose root is a path of properties and type
    /// casts only.
    pub path: Expr,
}

impl SelectItem {
    /// The item for `path`, a path expression such as
    /// [`Expr::property`]`("status")`.
    pub fn new(path: Expr) -> SelectItem {
        SelectItem { path }
    }

    /// Where the item is in the decoded `$select` value.
    pub fn span(&self) -> Span {
        self.path.root().span()
    }
}

/// One `$expand` item: the navigation property to expand, such as
/// `evidence`. The grammar reads a path of names (`a/b`), as for
/// `$select`; which names may be expanded is the schema's to say.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpandItem {
    /// The path: an expression whose root is a path of properties and type
    /// casts only.
    pub path: Expr,
}

impl ExpandItem {
    /// The item for `path`, a path expression such as
    /// [`Expr::property`]`("evidence")`.
    pub fn new(path: Expr) -> ExpandItem {
        ExpandItem { path }
    }

    /// Where the item is in the decoded `$expand` value.
    pub fn span(&self) -> Span {
        self.path.root().span()
    }
}

/// A custom (non-system) query option, kept and rendered in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomOption {
    /// The decoded name.
    pub name: String,
    /// The decoded value; `None` when the option had no `=`.
    pub value: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_is_found_under_its_name_in_any_case() {
        for &function in Function::ALL {
            let name = function.name();
            for spelling in [
                name.to_owned(),
                name.to_ascii_uppercase(),
                name.to_ascii_lowercase(),
            ] {
                assert_eq!(Function::lookup(&spelling), Some(function), "{spelling}");
            }
        }
        for other in [
            "",
            "contain",
            "containss",
            "cast",
            "isof",
            "any",
            "geo.distance",
            "totaloffsetminutesx",
            "cöntains",
        ] {
            assert_eq!(Function::lookup(other), None, "{other}");
        }
    }
}
