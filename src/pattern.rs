//! `matchesPattern`'s regular expressions: one builder, so that validation
//! refuses exactly the patterns evaluation could not run.
//!
//! Owns: the dialect (the `regex` crate's: RE2-like, no backreferences or
//! look-around, which is what keeps matching linear in the subject), the
//! pattern's length cap and the compiled program's size cap. Must not know
//! about: queries or entities.
//!
//! Decision: .NET, which serves the Defender API, accepts backreferences and
//! look-around; such a pattern is refused here with `InvalidArguments`
//! rather than evaluated differently.

use regex::{Regex, RegexBuilder};

/// The longest pattern accepted, in bytes: with the linear-time engine a
/// match costs in proportion to the subject times the pattern's states, so
/// the cap keeps a pattern's cost per entity bounded.
pub(crate) const MAX_PATTERN_LEN: usize = 1024;

/// The most memory a compiled pattern may take (`a{1000}{1000}` is short
/// but enormous once compiled).
const MAX_PROGRAM_SIZE: usize = 1 << 20;

/// Compiles a `matchesPattern` pattern, or says why it cannot be run.
pub(crate) fn compile(pattern: &str) -> Result<Regex, String> {
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(format!(
            "the pattern is {} bytes long; the limit is {MAX_PATTERN_LEN}",
            pattern.len()
        ));
    }
    RegexBuilder::new(pattern)
        .size_limit(MAX_PROGRAM_SIZE)
        .build()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile_or_say_why_not() {
        assert!(compile("^[0-9a-f]{40}$").is_ok());
        assert!(compile("(").is_err());
        assert!(compile("(a)\\1").is_err(), "no backreferences");
        assert!(compile("a(?=b)").is_err(), "no look-around");
        assert!(compile("a{1000}{1000}").is_err(), "over the program size");
        assert!(compile(&"a".repeat(MAX_PATTERN_LEN)).is_ok());
        assert!(compile(&"a".repeat(MAX_PATTERN_LEN + 1)).is_err());
    }
}
