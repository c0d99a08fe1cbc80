//! Lexer-level nom parsers: literals, identifiers and whitespace.
