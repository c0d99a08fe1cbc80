//! `explain`: the AST as an indented tree, for people.
