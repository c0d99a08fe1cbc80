//! Parse options shared by every parser: the dialect and the structural limits.
//!
//! Owns: [`Dialect`], [`Limits`] (SPEC §4 "Structural limits") and
//! [`ParseOptions`]. Must not know about: entity schemas; their caps (such as
//! `$top` ≤ 10,000) belong to validation.

/// Which flavour of the grammar to accept. One grammar, two presets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// What Defender clients send (the default): everything of OData 4.01,
    /// plus whitespace around option values, keyword operators without
    /// surrounding whitespace where tokens cannot merge (`'x'and(y)`), and the
    /// Defender documentation's date form `2018-08-01Z`.
    #[default]
    Defender,
    /// Exactly the OASIS ABNF: `RWS` around keyword operators, no
    /// `2018-08-01Z`, no surrounding whitespace, and `+` is not a space.
    Strict,
}

/// Structural limits, checked while parsing so that no input can exhaust the
/// stack or take more than linear time.
///
/// The defaults keep every stage (parse, clone, compare, render, validate,
/// evaluate, drop) inside a 2 MiB stack even in a debug build;
/// `tests/limits.rs` runs the largest trees they allow on such a thread. The
/// parsed [`FilterExpr`](super::tree::FilterExpr) is flat, so cloning and
/// dropping it walk nothing; but comparing two (through the owned form) and
/// the owned [`Expr`](super::ast::Expr)'s derived `Clone`, `PartialEq` and
/// `Drop` recurse once per level of nesting and once per link of an operator
/// chain, so limits raised far above the defaults need a proportionally
/// larger stack for those (measured before the tree was flat: a release
/// build fits about 1,000 levels of parentheses, or a 10,000-node chain, in
/// 2 MiB; a debug build about 150 levels, or a 1,000-node chain).
///
/// Whatever `max_value_len` says, a value over 1 GiB is refused: the flat
/// tree keeps its offsets in 32 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Longest decoded option value, in bytes (→ `TooLong`).
    pub max_value_len: usize,
    /// Deepest nesting of parentheses, `not`, `-`, calls and lambdas (→ `TooDeep`).
    pub max_depth: usize,
    /// Most AST nodes in one option value (→ `TooManyNodes`).
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_value_len: 16 * 1024,
            max_depth: 100,
            max_nodes: 1_000,
        }
    }
}

/// Everything a parser needs to know besides the input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ParseOptions {
    /// The grammar preset.
    pub dialect: Dialect,
    /// The structural limits.
    pub limits: Limits,
}

impl ParseOptions {
    /// The Strict (OASIS ABNF) dialect with default limits.
    pub fn strict() -> ParseOptions {
        ParseOptions {
            dialect: Dialect::Strict,
            limits: Limits::default(),
        }
    }
}
