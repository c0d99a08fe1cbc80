//! The `$filter` grammar, and the expression-based `$orderby` and
//! path-based `$select` values that share its tokens.
//!
//! Owns: the entry points, the parser's cursor and counters, the
//! structural limits (length, depth, node count), the pending stack, and
//! turning a failed token into a coded [`Diagnostic`] with a span. The
//! grammar is in rooms of its own: `operators` (precedence climbing and the
//! operator lookahead), `primary` (literals, groups, `in` lists), `calls`
//! (built-in functions and `cast`/`isof`), `paths` (member paths, `$it` and
//! `$this`, lambdas) and `options` (the `$orderby` and `$select` readers).
//!
//! Must not know about: schemas (names keep the spelling given), the query
//! string (values arrive decoded), or rendering.
//!
//! How it works: a precedence-climbing parser over a byte cursor, with the
//! literal and name shapes recognized by the token readers of `lexer`. Binary
//! operators are handled by one loop per precedence level reached, so a chain
//! of 100 `or`s costs no recursion; only nesting (parentheses, `not`, `-`,
//! calls, lambdas) recurses, and that is capped by `Limits::max_depth` before
//! the stack could run out. Every token is looked at a bounded number of
//! times, so parsing is linear in the input.

mod calls;
mod operators;
mod options;
mod paths;
mod primary;
#[cfg(test)]
mod tests;

use super::ast::{BinaryOp, Span};
use super::lexer::{self, is_ident_byte};
use super::options::{Dialect, Limits, ParseOptions};
use super::tree::{Expr, Node, NodeId, NodeKind, Run, Text, Tree};
use crate::error::{Code, Diagnostic};
use operators::OperatorAhead;

pub(crate) use self::options::{parse_expand, parse_orderby, parse_select};

/// Parses one decoded `$filter` value.
pub(crate) fn parse_filter(text: &str, options: &ParseOptions) -> Result<Expr, Diagnostic> {
    match filter(text, options) {
        Ok((tree, root)) => Ok(Expr::new(tree, root)),
        Err(boxed) => Err(*boxed),
    }
}

fn filter(text: &str, options: &ParseOptions) -> Parsed<(Tree, NodeId)> {
    check_length(text, options)?;
    let mut parser = Parser::new(text, options);
    parser.skip_defender_whitespace();
    if parser.at_end() {
        return Err(parser
            .error(
                Code::Syntax,
                Span::new(0, text.len()),
                "the $filter expression is empty",
            )
            .into());
    }
    let root = parser.expr(0)?;
    parser.skip_defender_whitespace();
    parser.expect_end("an operator such as 'eq', 'and' or 'or'")?;
    Ok((parser.tree, root))
}

/// The longest value the flat tree can hold: its offsets are `u32`, and its
/// text is the value plus the unescaped strings appended after it (each
/// shorter than its source), so twice this still fits.
const MAX_TREE_TEXT: usize = 1 << 30;

/// Refuses a value longer than `Limits::max_value_len` (and than the tree's
/// offsets can hold) before any of it is read.
#[inline]
fn check_length(text: &str, options: &ParseOptions) -> Parsed<()> {
    let limit = options.limits.max_value_len.min(MAX_TREE_TEXT);
    if text.len() > limit {
        return Err(too_long(text, limit));
    }
    Ok(())
}

#[cold]
fn too_long(text: &str, limit: usize) -> Box<Diagnostic> {
    Diagnostic::new(
        Code::TooLong,
        format!(
            "the value is {} bytes long; the limit is {limit}",
            text.len(),
        ),
    )
    .at(Span::new(limit, text.len()), text)
    .into()
}

/// The cursor and counters of one parse.
struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    dialect: Dialect,
    limits: Limits,
    depth: usize,
    nodes: usize,
    /// The last operator lookahead and the cursor position it was made at
    /// (`usize::MAX`: none yet): as precedence levels unwind, the same
    /// operator is asked for several times in a row. Two fields rather than
    /// an `Option` of a pair, which copied and compared the whole pair on
    /// every hit.
    ahead_at: usize,
    ahead: Option<OperatorAhead>,
    /// The nodes built so far.
    tree: Tree,
    /// What is read but not yet placed: the operands of the `and`/`or`
    /// chains being read (see [`Operand`](operators::Operand)), and the
    /// elements of lists, argument lists and paths, which must end up as
    /// runs of consecutive nodes though their subtrees come between them.
    /// One stack serves all, innermost on top: every construct takes its own
    /// off the top before the one around it goes on, and a parse allocates
    /// it once.
    pending: Vec<Node>,
}

/// Errors travel boxed inside the parser: a `Diagnostic` is 120 bytes, and
/// every parsing function returns through several levels of recursion.
type Parsed<T> = Result<T, Box<Diagnostic>>;

impl<'a> Parser<'a> {
    /// A parser at the start of `text`, which must be within
    /// [`check_length`]'s limit. Construction cannot fail, so the parser is
    /// built in place: returned inside a `Result`, its 200-odd bytes were
    /// copied out of it on every parse.
    fn new(text: &'a str, options: &ParseOptions) -> Parser<'a> {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            dialect: options.dialect,
            limits: options.limits,
            depth: 0,
            nodes: 0,
            ahead_at: usize::MAX,
            ahead: None,
            tree: Tree::for_source(text),
            pending: Vec::new(),
        }
    }

    // ----- cursor -------------------------------------------------------

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.pos + offset).copied()
    }

    fn ident_continues(&self, offset: usize) -> bool {
        self.peek_at(offset).is_some_and(is_ident_byte)
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn here(&self) -> Span {
        Span::new(self.pos, self.pos)
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn strict(&self) -> bool {
        self.dialect == Dialect::Strict
    }

    /// Skips spaces and tabs (`BWS`); returns how many.
    fn skip_ws(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Whitespace that only the Defender dialect allows: around a whole
    /// option value, and around `,` in `$orderby` and `$select` (the ABNF
    /// has no `BWS` there).
    fn skip_defender_whitespace(&mut self) {
        if !self.strict() {
            self.skip_ws();
        }
    }

    /// Consumes one of `words` (case-insensitive) if it stands at the cursor
    /// as a whole word.
    fn word_if(&mut self, words: &[&'static str]) -> Option<&'static str> {
        let rest = self.rest();
        for &word in words {
            if let Ok((after, _)) = lexer::keyword(word)(rest) {
                self.pos = self.text.len() - after.len();
                return Some(word);
            }
        }
        None
    }

    fn qualified_name(&mut self) -> Option<&'a str> {
        let (after, name) = lexer::qualified_name(self.rest()).ok()?;
        self.pos = self.text.len() - after.len();
        Some(name)
    }

    // ----- errors -------------------------------------------------------

    fn error(&self, code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, message).at(span, self.text)
    }

    /// The token at the cursor, for messages: `'word'`, `')'` or "the end".
    fn describe_here(&self) -> (String, Span) {
        let rest = self.rest();
        if rest.is_empty() {
            return ("the end of the value".to_owned(), self.here());
        }
        let len = match lexer::identifier(rest) {
            Ok((after, _)) => rest.len() - after.len(),
            Err(_) => rest.chars().next().map_or(1, char::len_utf8),
        };
        (
            format!("'{}'", &rest[..len]),
            Span::new(self.pos, self.pos + len),
        )
    }

    #[cold]
    fn unexpected(&self, expected: &str) -> Diagnostic {
        if let Some(diagnostic) = self.known_mistake() {
            return diagnostic;
        }
        let (found, span) = self.describe_here();
        self.error(
            Code::Syntax,
            span,
            format!("expected {expected}, found {found}"),
        )
    }

    /// The mistakes a user makes where an operand should stand, said as
    /// such: an operator with nothing after it (`status eq`), and a string
    /// in double quotes (`"Pending"`).
    fn known_mistake(&self) -> Option<Diagnostic> {
        let rest = self.rest();
        if rest.trim_start_matches([' ', '\t']).is_empty() {
            let (keyword, span) = self.last_word()?;
            let is_operator = keyword.eq_ignore_ascii_case("not")
                || BinaryOp::ALL
                    .iter()
                    .any(|op| op.keyword().eq_ignore_ascii_case(keyword));
            return is_operator.then(|| {
                self.error(
                    Code::Syntax,
                    span,
                    format!("'{keyword}' needs an operand after it, and the value ends here"),
                )
                .with_help(format!(
                    "complete the expression, as in status {} 'Pending', or remove '{keyword}'",
                    if keyword.eq_ignore_ascii_case("not") {
                        "ne"
                    } else {
                        "eq"
                    }
                ))
            });
        }
        if let Some(quoted) = rest.strip_prefix('"') {
            let content = quoted.split('"').next().unwrap_or("");
            let closed = quoted.contains('"');
            let end = self.pos + if closed { content.len() + 2 } else { 1 };
            return Some(
                self.error(
                    Code::Syntax,
                    Span::new(self.pos, end),
                    "a string is written in single quotes in OData, not double quotes",
                )
                .with_help(format!(
                    "write '{}'",
                    if closed {
                        content.replace('\'', "''")
                    } else {
                        "…".to_owned()
                    }
                )),
            );
        }
        None
    }

    /// The last word before the cursor, whitespace skipped, and its span.
    fn last_word(&self) -> Option<(&'a str, Span)> {
        let before = self.text[..self.pos].trim_end_matches([' ', '\t']);
        let start = before
            .char_indices()
            .rev()
            .find(|&(_, c)| !c.is_ascii_alphanumeric())
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word = &before[start..];
        (!word.is_empty()).then(|| (word, Span::new(start, before.len())))
    }

    /// Inlined for the usual answer, the end; what is left over is
    /// `left_over`'s to describe.
    #[inline]
    fn expect_end(&self, expected: &str) -> Parsed<()> {
        if self.at_end() {
            return Ok(());
        }
        Err(self.left_over(expected))
    }

    #[cold]
    fn left_over(&self, expected: &str) -> Box<Diagnostic> {
        // An operator keyword left over at the end has no right operand
        // (the operator scan wants something after a keyword).
        let rest = self.rest();
        let word_end = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        let (word, after) = rest.split_at(word_end);
        if !word.is_empty()
            && after.trim_matches([' ', '\t']).is_empty()
            && BinaryOp::ALL
                .iter()
                .any(|op| op.keyword().eq_ignore_ascii_case(word))
        {
            return self
                .error(
                    Code::Syntax,
                    Span::new(self.pos, self.pos + word.len()),
                    format!("'{word}' needs an operand after it, and the value ends here"),
                )
                .with_help("complete the expression, as in status eq 'Pending', or remove it")
                .into();
        }
        if self.peek() == Some(b')') {
            return self
                .error(
                    Code::Syntax,
                    Span::new(self.pos, self.pos + 1),
                    "this ')' closes no open parenthesis",
                )
                .into();
        }
        let mut diagnostic = self.unexpected(expected);
        if self.strict() && matches!(self.peek(), Some(b' ' | b'\t')) {
            diagnostic = diagnostic.with_help(
                "the Strict dialect allows no whitespace around a value, and needs it around keyword operators",
            );
        }
        diagnostic.into()
    }

    fn expect(&mut self, b: u8, expected: &str) -> Parsed<()> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(self.unexpected(expected).into())
        }
    }

    // ----- limits -------------------------------------------------------

    /// Called for every node: inlined, with the error built out of line.
    #[inline]
    fn count_node(&mut self, start: usize) -> Parsed<()> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return Err(self.too_many_nodes(start));
        }
        Ok(())
    }

    #[cold]
    fn too_many_nodes(&self, start: usize) -> Box<Diagnostic> {
        self.error(
            Code::TooManyNodes,
            Span::new(start, self.pos.max(start + 1).min(self.text.len())),
            format!(
                "the expression has more than {} nodes",
                self.limits.max_nodes
            ),
        )
        .into()
    }

    #[inline(always)] // see `primary`
    fn node(&mut self, kind: NodeKind, start: usize) -> Parsed<NodeId> {
        self.count_node(start)?;
        Ok(self.tree.push(kind, start, self.pos))
    }

    /// The source text of `name`, a slice of it read at `at`.
    fn name_text(at: usize, name: &str) -> Text {
        Tree::source_text(at, at + name.len())
    }

    fn enter(&mut self, start: usize) -> Parsed<()> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return Err(self
                .error(
                    Code::TooDeep,
                    Span::new(start, (start + 1).min(self.text.len())),
                    format!(
                        "the expression nests deeper than {} levels",
                        self.limits.max_depth
                    ),
                )
                .into());
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // ----- pending stack ----------------------------------------------

    /// Puts `id` on the pending stack, as an item standing for it.
    fn push_item(&mut self, id: NodeId) {
        let node = self.tree.nodes[id as usize];
        self.push_pending(Node {
            kind: NodeKind::Item(id),
            ..node
        });
    }

    /// Puts `node` on the pending stack. The first push sizes the stack for
    /// the whole value (a pending node stands for at least a few bytes of
    /// it), where growing from empty reallocated at every doubling: a
    /// 100-term `or` chain took seven allocations.
    #[inline]
    fn push_pending(&mut self, node: Node) {
        if self.pending.capacity() == 0 {
            self.pending.reserve(self.bytes.len() / 16 + 8);
        }
        self.pending.push(node);
    }

    /// The pending nodes from `base` up, moved to the tree as one run.
    fn run_from(&mut self, base: usize) -> Run {
        let first = self.tree.nodes.len() as NodeId;
        // Nodes are `Copy`: a slice copy, where `drain` moved one at a time.
        self.tree.nodes.extend_from_slice(&self.pending[base..]);
        self.pending.truncate(base);
        Run {
            first,
            len: self.tree.nodes.len() as u32 - first,
        }
    }
}

/// Whether a name read by `qualified_name` has a namespace. A plain byte
/// loop: names are short, and `str::contains` sets up a memchr per call.
fn is_qualified(name: &str) -> bool {
    name.bytes().any(|b| b == b'.')
}
