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
