//! Parse options shared by every parser: the dialect and the structural limits.
//!
//! Owns: [`Dialect`], [`Limits`] and
//! [`ParseOptions`]. Must not know about: entity schemas; their caps (such as
//! `$top` ≤ 10,000) belong to validation.

/// Which flavour of the grammar to accept. One grammar, two presets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
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
/// tree is flat, so cloning, comparing and dropping it walk nothing
/// recursively; the stages that recurse do so once per level of nesting, so
/// limits raised far above the defaults need a proportionally larger stack.
///
/// Whatever `max_value_len` says, a value over 1 GiB is refused: the flat
/// tree keeps its offsets in 32 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// Longest whole query (URL or query string), in bytes (→ `TooLong`).
    pub max_query_len: usize,
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
            max_query_len: 128 * 1024,
            max_value_len: 16 * 1024,
            max_depth: 100,
            max_nodes: 1_000,
        }
    }
}

impl Limits {
    /// These limits with `max_query_len` set.
    #[must_use]
    pub fn with_max_query_len(mut self, max_query_len: usize) -> Limits {
        self.max_query_len = max_query_len;
        self
    }

    /// These limits with `max_value_len` set.
    #[must_use]
    pub fn with_max_value_len(mut self, max_value_len: usize) -> Limits {
        self.max_value_len = max_value_len;
        self
    }

    /// These limits with `max_depth` set.
    #[must_use]
    pub fn with_max_depth(mut self, max_depth: usize) -> Limits {
        self.max_depth = max_depth;
        self
    }

    /// These limits with `max_nodes` set.
    #[must_use]
    pub fn with_max_nodes(mut self, max_nodes: usize) -> Limits {
        self.max_nodes = max_nodes;
        self
    }
}

/// Everything a parser needs to know besides the input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ParseOptions {
    /// The grammar preset.
    pub dialect: Dialect,
    /// The structural limits.
    pub limits: Limits,
}

impl ParseOptions {
    /// The Strict (OASIS ABNF) dialect with default limits.
    pub fn strict() -> ParseOptions {
        ParseOptions::default().with_dialect(Dialect::Strict)
    }

    /// These options with `dialect` set.
    #[must_use]
    pub fn with_dialect(mut self, dialect: Dialect) -> ParseOptions {
        self.dialect = dialect;
        self
    }

    /// These options with `limits` set.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> ParseOptions {
        self.limits = limits;
        self
    }
}
