//! The `$filter` grammar, and the expression-based `$orderby` and
//! path-based `$select` values that share its tokens.
//!
//! Owns: operator precedence, member paths, lambdas, function calls and their
//! arity, the structural limits (length, depth, node count), and turning a
//! failed token into a coded [`Diagnostic`] with a span.
//!
//! Must not know about: schemas (names keep the spelling given), the query
//! string (values arrive decoded), or rendering.
//!
//! How it works: a precedence-climbing parser over a byte cursor, with the
//! literal and name shapes recognized by the nom parsers of `lexer`. Binary
//! operators are handled by one loop per precedence level reached, so a chain
//! of 100 `or`s costs no recursion; only nesting (parentheses, `not`, `-`,
//! calls, lambdas) recurses, and that is capped by `Limits::max_depth` before
//! the stack could run out. Every token is looked at a bounded number of
//! times, so parsing is linear in the input.
//!
//! Grouping follows the URL Conventions' precedence table in both dialects
//! (`not a eq b` is `(not a) eq b`, as in ODataLib): `has` and `in` bind
//! tighter than `not`/`-`, which bind tighter than every other binary operator.

use super::ast::{
    BinaryOp, Function, LambdaKind, OrderByItem, Select, SelectItem, Span, SpecialFloat,
    TypeFunction, UnaryOp,
};
use super::lexer::{self, is_ident_byte, LiteralError, Number, TimeOffsetError};
use super::options::{Dialect, Limits, ParseOptions};
use super::tree::{Expr, Node, NodeId, NodeKind, Run, Text, Tree, NO_NODE};
use crate::error::{Code, Diagnostic};
use crate::suggest::nearest;

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

/// Parses one decoded `$orderby` value: expressions, each optionally
/// followed by `asc` or `desc`, separated by commas.
pub(crate) fn parse_orderby(
    text: &str,
    options: &ParseOptions,
) -> Result<Vec<OrderByItem>, Diagnostic> {
    orderby(text, options).map_err(|boxed| *boxed)
}

fn orderby(text: &str, options: &ParseOptions) -> Parsed<Vec<OrderByItem>> {
    check_length(text, options)?;
    let mut parser = Parser::new(text, options);
    parser.skip_defender_whitespace();
    let mut items = Vec::new();
    loop {
        if parser.at_end() {
            let what = if items.is_empty() {
                "the $orderby value is empty"
            } else {
                "expected a sort key after ','"
            };
            return Err(parser.error(Code::Syntax, parser.here(), what).into());
        }
        let root = parser.expr(0)?;
        let after_expr = parser.pos;
        let gap = parser.skip_ws();
        let mut descending = false;
        if gap > 0 {
            if let Some(dir) = parser.word_if(&["asc", "desc"]) {
                descending = dir == "desc";
            } else {
                parser.pos = after_expr;
            }
        }
        items.push((root, descending));
        parser.skip_defender_whitespace();
        if parser.eat(b',') {
            parser.skip_defender_whitespace();
            continue;
        }
        parser.skip_defender_whitespace();
        parser.expect_end("',' or 'asc'/'desc'")?;
        return Ok(items
            .into_iter()
            // Each key gets a tree of its own, of its own size: a clone of
            // the shared tree per key would make `$orderby` quadratic in its
            // number of keys.
            .map(|(root, descending)| OrderByItem {
                expr: Expr::cut(&parser.tree, root),
                descending,
            })
            .collect());
    }
}

/// Parses one decoded `$select` value: `*` or comma-separated property paths.
pub(crate) fn parse_select(text: &str, options: &ParseOptions) -> Result<Select, Diagnostic> {
    select(text, options).map_err(|boxed| *boxed)
}

fn select(text: &str, options: &ParseOptions) -> Parsed<Select> {
    check_length(text, options)?;
    let mut parser = Parser::new(text, options);
    parser.skip_defender_whitespace();
    if parser.eat(b'*') {
        parser.skip_defender_whitespace();
        parser.expect_end("the end of $select after '*'")?;
        return Ok(Select::All);
    }
    let mut items = Vec::new();
    loop {
        let start = parser.pos;
        let base = parser.pending.len();
        loop {
            let seg_start = parser.pos;
            let Some(name) = parser.qualified_name() else {
                return Err(parser.unexpected("a property name").into());
            };
            let name = Parser::name_text(seg_start, name);
            let kind = if is_qualified(parser.tree.str(name)) {
                NodeKind::TypeCast(name)
            } else {
                NodeKind::Property(name)
            };
            parser.push_segment(kind, seg_start);
            parser.count_node(seg_start)?;
            if !parser.eat(b'/') {
                break;
            }
        }
        let segments = parser.run_from(base);
        let path = parser
            .tree
            .push(NodeKind::Path(segments), start, parser.pos);
        items.push(path);
        parser.skip_defender_whitespace();
        if parser.eat(b',') {
            parser.skip_defender_whitespace();
            continue;
        }
        parser.skip_defender_whitespace();
        parser.expect_end("',' between $select items")?;
        return Ok(Select::Paths(
            items
                .into_iter()
                .map(|path| SelectItem::new(Expr::cut(&parser.tree, path)))
                .collect(),
        ));
    }
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
    /// chains being read (see [`Operand`]), and the elements of lists,
    /// argument lists and paths, which must end up as runs of consecutive
    /// nodes though their subtrees come between them. One stack serves all,
    /// innermost on top: every construct takes its own off the top before
    /// the one around it goes on, and a parse allocates it once.
    pending: Vec<Node>,
}

/// Errors travel boxed inside the parser: a `Diagnostic` is 120 bytes, and
/// every parsing function returns through several levels of recursion.
type Parsed<T> = Result<T, Box<Diagnostic>>;

/// A binary operator found ahead of the cursor: which, where it starts, and
/// where its right operand starts.
#[derive(Clone, Copy)]
struct OperatorAhead {
    op: BinaryOp,
    start: u32,
    operand_start: u32,
}

/// An operand as the expression loop holds it: a finished node, or an
/// `and`/`or` chain kept flat until something else needs it as a node.
///
/// Chains are stored left-nested (as [`Expr::binary`] builds them), so a
/// parenthesized chain on the right of the same operator
/// (`a and (b and (c and …))`) must be re-hung under the outer one. On
/// finished trees that walks the inner chain at every level, quadratic in
/// the depth. Flat, a chain's operands sit at the top of the parser's
/// operand stack, and a chain parsed on the right of the same operator sits
/// right after the left one's: joining them costs nothing.
#[derive(Debug)]
enum Operand {
    Done(NodeId),
    Chain {
        op: BinaryOp,
        /// Where its operands (two or more, in order) start on the stack;
        /// they run to the top.
        start: u32,
        /// The span of the parentheses, when the chain was a group: a group
        /// folded into a node spans its parentheses, as any group does.
        group: Option<(u32, u32)>,
    },
}

impl Operand {
    /// The node: chains folded left-nested, as [`Expr::binary`] would,
    /// their operands taken off the stack. Inlined for the usual case, a
    /// finished node.
    #[inline]
    fn fold(self, stack: &mut Vec<Node>, tree: &mut Tree) -> NodeId {
        match self {
            Operand::Done(id) => id,
            Operand::Chain { op, start, group } => fold_chain(op, start, group, stack, tree),
        }
    }
}

/// [`Operand::fold`] of a chain, out of line.
#[inline(never)]
fn fold_chain(
    op: BinaryOp,
    start: u32,
    group: Option<(u32, u32)>,
    stack: &mut Vec<Node>,
    tree: &mut Tree,
) -> NodeId {
    let mut operands = stack.drain(start as usize..).map(|node| node.item());
    let Some(first) = operands.next() else {
        unreachable!("a chain holds two or more operands");
    };
    let acc = operands.fold(first, |acc, operand| tree.binary(op, acc, operand));
    if let Some((start, end)) = group {
        tree.set_span(acc, Span::new(start as usize, end as usize));
    }
    acc
}

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

    fn unexpected(&self, expected: &str) -> Diagnostic {
        let (found, span) = self.describe_here();
        self.error(
            Code::Syntax,
            span,
            format!("expected {expected}, found {found}"),
        )
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

    /// A number node, read from `start` to the cursor.
    fn number(&mut self, number: Number, start: usize) -> Parsed<NodeId> {
        // A number's text is usually spelled so in the source: a range of
        // it rather than a copy.
        let kind = match &number {
            Number::Int(value) => NodeKind::Int(*value),
            Number::Decimal(text) => NodeKind::Decimal(self.text_at(start, text)),
            Number::Double(text) => NodeKind::Double(self.text_at(start, text)),
        };
        self.node(kind, start)
    }

    /// `value` as a range of the tree's text: of the source at `at` when it
    /// is spelled so there (the usual case), else appended.
    fn text_at(&mut self, at: usize, value: &str) -> Text {
        if self.text.get(at..at + value.len()) == Some(value) {
            Tree::source_text(at, at + value.len())
        } else {
            self.tree.append_text(value)
        }
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

    // ----- expressions --------------------------------------------------

    /// Binary operators of precedence `min_prec` and up.
    fn expr(&mut self, min_prec: u8) -> Parsed<NodeId> {
        let operand = self.operand(min_prec)?;
        Ok(self.fold(operand))
    }

    #[inline]
    fn fold(&mut self, operand: Operand) -> NodeId {
        operand.fold(&mut self.pending, &mut self.tree)
    }

    /// Binary operators of precedence `min_prec` and up (precedence
    /// climbing), leaving an `and`/`or` chain flat for the caller to extend.
    fn operand(&mut self, min_prec: u8) -> Parsed<Operand> {
        // `unary` answers only these bytes itself (keep them in step with
        // its operators): going straight to the (inlined) `postfix` for the
        // rest saves two call frames per operand (callgrind, with the forced
        // inline: ten corpus passes 17.03 M -> 15.99 M instructions).
        let mut left = match self.peek() {
            Some(b'n' | b'N' | b'-') => self.unary()?,
            _ => self.postfix()?,
        };
        while let Some(ahead) = self.operator_ahead() {
            let op = ahead.op;
            let prec = op.precedence();
            if prec < min_prec {
                break;
            }
            self.pos = ahead.operand_start as usize;
            if !matches!(op, BinaryOp::And | BinaryOp::Or) {
                let left_node = self.fold(left);
                let right = self.operand(prec + 1)?;
                let right_node = self.fold(right);
                self.count_node(ahead.start as usize)?;
                left = Operand::Done(self.tree.binary(op, left_node, right_node));
                continue;
            }
            // The left operand goes on the stack before the right one is
            // parsed, so that whatever the right one leaves there follows it.
            // A chain of this operator continues, parenthesized or not: as
            // in `Expr::binary`, a chain is one left-nested spine down
            // to its first operand that is not the same chain.
            let start = match left {
                Operand::Chain {
                    op: left_op, start, ..
                } if left_op == op => start,
                other => {
                    let node = self.fold(other);
                    self.push_item(node);
                    self.pending.len() as u32 - 1
                }
            };
            let right = self.operand(prec + 1)?;
            self.count_node(ahead.start as usize)?;
            match right {
                // Only a group can be a chain of the same operator here, and
                // its operands are already on the stack after ours.
                Operand::Chain { op: right_op, .. } if right_op == op => {}
                other => {
                    let node = self.fold(other);
                    self.push_item(node);
                }
            }
            left = Operand::Chain {
                op,
                start,
                group: None,
            };
        }
        Ok(left)
    }

    /// Looks for a binary operator keyword after the cursor without moving it.
    ///
    /// Strict: `RWS op RWS`. Defender: whitespace may be left out wherever the
    /// tokens cannot merge (`'x'and(y)`), so before the keyword either
    /// whitespace or a non-identifier character must stand, and after it
    /// anything but an identifier character.
    #[inline]
    fn operator_ahead(&mut self) -> Option<OperatorAhead> {
        if self.ahead_at != self.pos {
            self.ahead = self.scan_operator();
            self.ahead_at = self.pos;
        }
        self.ahead
    }

    #[inline(never)]
    fn scan_operator(&self) -> Option<OperatorAhead> {
        spaced_operator(self.bytes, self.pos).or_else(|| self.scan_operator_spelled_otherwise())
    }

    /// [`Parser::scan_operator`] for any spelling: runs of spaces and tabs,
    /// or in the Defender dialect none where the tokens cannot merge.
    fn scan_operator_spelled_otherwise(&self) -> Option<OperatorAhead> {
        let bytes = self.bytes;
        // A keyword starts with a letter, after whitespace or not: anything
        // else at the cursor (`)`, `,`, the end) is no operator, and those
        // are asked after every operand that ends a group or an argument.
        if !matches!(
            bytes.get(self.pos),
            Some(b' ' | b'\t' | b'a'..=b'z' | b'A'..=b'Z')
        ) {
            return None;
        }
        let mut i = self.pos;
        while let Some(b' ' | b'\t') = bytes.get(i) {
            i += 1;
        }
        let gap_before = i > self.pos;
        let start = i;
        let (op, len) = operator_keyword_at(&bytes[start..])?;
        let after = start + len;
        let mut operand_start = after;
        while let Some(b' ' | b'\t') = bytes.get(operand_start) {
            operand_start += 1;
        }
        let gap_after = operand_start > after;
        let before_ok =
            gap_before || (!self.strict() && self.pos > 0 && !is_ident_byte(bytes[self.pos - 1]));
        let after_ok = gap_after || (!self.strict() && after < bytes.len());
        (before_ok && after_ok).then_some(OperatorAhead {
            op,
            start: start as u32,
            operand_start: operand_start as u32,
        })
    }

    /// `not x`, `-x`, or a postfix expression.
    ///
    /// `operand` calls this only at the bytes its operators start with, and
    /// `postfix` itself for the rest: a new unary operator's first byte goes
    /// there too. (Forcing this function inline instead, with the operator
    /// out of line, cost 2.5% more: callgrind, ten corpus passes 15.69 M ->
    /// 16.09 M instructions.)
    fn unary(&mut self) -> Parsed<Operand> {
        let start = self.pos;
        let (op, len) = match self.peek() {
            Some(b'n' | b'N') if self.not_ahead() => (UnaryOp::Not, 3),
            Some(b'-') if !self.signed_literal_ahead() => (UnaryOp::Negate, 1),
            _ => return self.postfix(),
        };
        self.enter(start)?;
        self.pos += len;
        self.skip_ws();
        let operand = self.unary()?;
        let operand = self.fold(operand);
        self.leave();
        self.node(NodeKind::Unary(op, operand), start)
            .map(Operand::Done)
    }

    /// Whether `not` at the cursor is the operator: the keyword followed by
    /// whitespace (Strict: `RWS`), or in the Defender dialect by `(`.
    fn not_ahead(&self) -> bool {
        let b = &self.bytes[self.pos..];
        b.len() > 3
            && b[..3].eq_ignore_ascii_case(b"not")
            && (matches!(b[3], b' ' | b'\t') || (!self.strict() && b[3] == b'('))
    }

    /// Whether `-` at the cursor starts a literal (`-5`, `-INF`,
    /// `-10000-04-01`) rather than negation.
    fn signed_literal_ahead(&self) -> bool {
        match self.peek_at(1) {
            Some(b) if b.is_ascii_digit() => true,
            Some(b'I') => self.rest()[1..].starts_with("INF") && !self.ident_continues(4),
            _ => false,
        }
    }

    fn ident_continues(&self, offset: usize) -> bool {
        self.peek_at(offset).is_some_and(is_ident_byte)
    }

    /// A primary expression followed by any `has` / `in` (which bind tighter
    /// than the unary operators).
    #[inline(always)] // see `operand`
    fn postfix(&mut self) -> Parsed<Operand> {
        let first = if self.peek() == Some(b'(') {
            self.group()?
        } else {
            Operand::Done(self.primary()?)
        };
        if self.postfix_operator_ahead().is_none() {
            return Ok(first);
        }
        let mut left = self.fold(first);
        while let Some(ahead) = self.postfix_operator_ahead() {
            self.pos = ahead.operand_start as usize;
            let right = if ahead.op == BinaryOp::In && self.peek() == Some(b'(') {
                self.in_list()?
            } else {
                self.primary()?
            };
            self.count_node(ahead.start as usize)?;
            left = self.tree.binary(ahead.op, left, right);
        }
        Ok(Operand::Done(left))
    }

    fn postfix_operator_ahead(&mut self) -> Option<OperatorAhead> {
        self.operator_ahead()
            .filter(|ahead| matches!(ahead.op, BinaryOp::Has | BinaryOp::In))
    }

    /// The right operand of `in`: `(...)`. One element may be any expression
    /// (`x in (y)` is a complicated way of writing `x eq y`'s set form); two
    /// or more must be literals, as in the ABNF's `listExpr`.
    fn in_list(&mut self) -> Parsed<NodeId> {
        let start = self.pos;
        self.enter(start)?;
        self.pos += 1;
        self.skip_ws();
        let base = self.pending.len();
        if !self.eat(b')') {
            loop {
                let item = self.expr(0)?;
                self.push_item(item);
                self.skip_ws();
                if self.eat(b',') {
                    self.skip_ws();
                    continue;
                }
                self.expect(b')', "',' or ')' in the 'in' list")?;
                break;
            }
        }
        let items = &self.pending[base..];
        if items.len() > 1 {
            let tree = &self.tree;
            if let Some(bad) = items
                .iter()
                .map(Node::item)
                .find(|&item| !tree.nodes[item as usize].kind.is_literal())
            {
                return Err(self
                    .error(
                        Code::Syntax,
                        self.tree.span(bad),
                        "an 'in' list holds literal values only",
                    )
                    .with_help("compare with each property separately: a eq b or a eq c")
                    .into());
            }
        }
        self.leave();
        let items = self.run_from(base);
        self.node(NodeKind::List(items), start)
    }

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

    // Forced inline: every operand passes through here once, and the call
    // frame was a measurable share (callgrind, with `quoted`, `node` and
    // `name_led`: prof2 10 corpus passes 18.00 M -> 17.48 M). `#[inline]`
    // alone was not taken.
    #[inline(always)]
    fn primary(&mut self) -> Parsed<NodeId> {
        let start = self.pos;
        let Some(b) = self.peek() else {
            return Err(self.unexpected("an expression").into());
        };
        match b {
            b'(' => {
                let group = self.group()?;
                Ok(self.fold(group))
            }
            b'\'' => {
                let value = self.quoted()?;
                self.node(NodeKind::String(value), start)
            }
            b'0'..=b'9' | b'-' | b'+' => self.numeric_literal(),
            b'$' => self.dollar_path(),
            b'[' | b'{' => Err(self
                .error(
                    Code::Syntax,
                    Span::new(start, start + 1),
                    "JSON array and object literals are not supported",
                )
                .into()),
            b'@' => Err(self
                .error(
                    Code::Syntax,
                    Span::new(start, start + 1),
                    "parameter aliases (@name) are not supported",
                )
                .into()),
            _ => self.name_led(),
        }
    }

    fn group(&mut self) -> Parsed<Operand> {
        let start = self.pos;
        self.enter(start)?;
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b')') {
            return Err(self
                .error(
                    Code::Syntax,
                    Span::new(start, self.pos + 1),
                    "empty parentheses: expected an expression inside",
                )
                .into());
        }
        let mut inner = self.operand(0)?;
        self.skip_ws();
        if !self.eat(b')') {
            let mut diagnostic = self.unexpected("')' or an operator");
            if self.peek() == Some(b',') {
                diagnostic = diagnostic.with_help(
                    "a parenthesized list of values is allowed only after 'in': type in ('Isolate','Unisolate')",
                );
            } else if self.at_end() {
                diagnostic = diagnostic
                    .with_help(format!("the '(' at byte {start} is never closed: add ')'"));
            }
            return Err(diagnostic.into());
        }
        self.leave();
        let span = Span::new(start, self.pos);
        match &mut inner {
            Operand::Done(id) => self.tree.set_span(*id, span),
            Operand::Chain { group, .. } => *group = Some((span.start as u32, span.end as u32)),
        }
        Ok(inner)
    }

    /// `'…'` with `''` for a quote; returns the unescaped content: the
    /// source's range when it holds no `''` (the usual case), else the
    /// unescaped text appended to the tree's.
    #[inline(always)] // see `primary`
    fn quoted(&mut self) -> Parsed<Text> {
        let start = self.pos;
        let bytes = self.bytes;
        let mut i = self.pos + 1;
        let mut unescaped: Option<u32> = None;
        let mut chunk = i;
        loop {
            match memchr::memchr(b'\'', &bytes[i..]) {
                None => {
                    return Err(self
                        .error(
                            Code::Syntax,
                            Span::new(start, self.text.len()),
                            "this string is never closed",
                        )
                        .with_help("end it with ' and write a quote inside it as ''")
                        .into());
                }
                Some(offset) => {
                    let quote = i + offset;
                    if bytes.get(quote + 1) == Some(&b'\'') {
                        let text = &mut self.tree.text;
                        unescaped.get_or_insert(text.len() as u32);
                        text.push_str(&self.text[chunk..=quote]);
                        i = quote + 2;
                        chunk = i;
                    } else {
                        self.pos = quote + 1;
                        let Some(appended) = unescaped else {
                            return Ok(Tree::source_text(chunk, quote));
                        };
                        let text = &mut self.tree.text;
                        text.push_str(&self.text[chunk..quote]);
                        return Ok(Text {
                            start: appended,
                            len: text.len() as u32 - appended,
                        });
                    }
                }
            }
        }
    }

    /// Literals that start with a digit or sign: GUID, DateTimeOffset, Date,
    /// TimeOfDay, or a number (tried in that order; each is a bounded look).
    fn numeric_literal(&mut self) -> Parsed<NodeId> {
        let start = self.pos;
        let rest = self.rest();
        if rest.starts_with("-INF") {
            self.pos += 4;
            return self.node(NodeKind::Special(SpecialFloat::NegativeInfinity), start);
        }
        if let Ok((after, uuid)) = lexer::guid(rest) {
            self.pos = self.text.len() - after.len();
            return self.node(NodeKind::Guid(uuid), start);
        }
        if let Some((after, date)) = lexer::date_shape(rest) {
            self.pos = self.text.len() - after.len();
            let kind = self.date_or_date_time(start, date)?;
            return self.node(kind, start);
        }
        if let Some((after, time)) = lexer::time_shape(rest) {
            self.pos = self.text.len() - after.len();
            let time = lexer::make_time(time, false)
                .map_err(|e| self.literal_error(e, start, "time of day"))?;
            return self.node(NodeKind::TimeOfDay(time), start);
        }
        match lexer::number(rest) {
            Ok((after, number)) => {
                self.pos = self.text.len() - after.len();
                self.number(number, start)
            }
            Err(_) => Err(self.unexpected("an expression").into()),
        }
    }

    /// After a date shape: `T…` makes a DateTimeOffset, the Defender dialect's
    /// `Z` a DateTimeOffset at midnight UTC, anything else a Date.
    fn date_or_date_time(&mut self, start: usize, date: (i64, u32, u32)) -> Parsed<NodeKind> {
        let date = lexer::make_date(date).map_err(|e| self.literal_error(e, start, "date"))?;
        match self.peek() {
            Some(b'T' | b't') => match lexer::time_and_offset(date, self.rest()) {
                Ok((after, value)) => {
                    self.pos = self.text.len() - after.len();
                    Ok(NodeKind::DateTimeOffset(value))
                }
                Err(TimeOffsetError::NoTime { read }) => {
                    self.pos += read;
                    Err(self
                        .error(
                            Code::InvalidLiteral,
                            Span::new(start, self.pos),
                            "expected a time hh:mm[:ss[.fffffff]] after 'T'",
                        )
                        .into())
                }
                Err(TimeOffsetError::Value { error, read }) => {
                    self.pos += read;
                    Err(self.literal_error(error, start, "DateTimeOffset").into())
                }
                Err(TimeOffsetError::NoOffset { read }) => {
                    self.pos += read;
                    Err(self.missing_offset(start).into())
                }
            },
            Some(b'Z' | b'z') if !self.strict() && !self.ident_continues(1) => {
                self.pos += 1;
                lexer::make_date_time_offset(date, chrono::NaiveTime::MIN, (1, 0, 0))
                    .map(NodeKind::DateTimeOffset)
                    .map_err(|e| self.literal_error(e, start, "DateTimeOffset").into())
            }
            _ => Ok(NodeKind::Date(date)),
        }
    }

    fn missing_offset(&self, start: usize) -> Diagnostic {
        let diagnostic = self.error(
            Code::InvalidLiteral,
            Span::new(start, self.pos),
            "a DateTimeOffset needs a time zone: 'Z' or '+hh:mm'/'-hh:mm'",
        );
        let rest = self.rest();
        // `get`, not indexing: the five bytes after the space may end
        // inside a character.
        let lost_plus = rest.starts_with(' ')
            && rest
                .get(1..6)
                .is_some_and(|hh_mm| lexer::offset_shape(&format!("+{hh_mm}")).is_some());
        if lost_plus {
            diagnostic.with_help(
                "a '+hh:mm' offset arrived as a space: in a URL '+' means a space, so encode it as %2B (…T00:00:00%2B01:00)",
            )
        } else {
            diagnostic.with_help("add 'Z' for UTC, as in 2024-01-01T00:00:00Z")
        }
    }

    fn literal_error(&self, error: LiteralError, start: usize, what: &str) -> Diagnostic {
        let reason = match error {
            LiteralError::Date => "is not a date in the calendar (or its year is out of range)",
            LiteralError::Time => "has an hour, minute or second out of range (hours go to 23)",
            LiteralError::Offset => "has a time-zone offset out of range",
        };
        self.error(
            Code::InvalidLiteral,
            Span::new(start, self.pos),
            format!("this {what} {reason}"),
        )
    }

    /// `$it` or `$this`, optionally followed by a path.
    fn dollar_path(&mut self) -> Parsed<NodeId> {
        let start = self.pos;
        self.pos += 1;
        let kind = match self.word_if(&["it", "this"]) {
            Some("it") => NodeKind::It,
            Some(_) => NodeKind::This,
            None => {
                let name = self.qualified_name().unwrap_or("");
                return Err(self
                    .error(
                        Code::Syntax,
                        Span::new(start, self.pos.max(start + 1)),
                        format!("expected $it or $this, found '${name}'"),
                    )
                    .into());
            }
        };
        self.count_node(start)?;
        let base = self.pending.len();
        self.push_pending(Node {
            kind,
            start: start as u32,
            end: self.pos as u32,
        });
        self.path_from(start, base, None)
    }

    /// Everything that starts with a name: keyword literals, GUIDs that start
    /// with a letter, prefixed literals (`duration'…'`, enums), function
    /// calls and member paths.
    #[inline(always)] // see `primary`
    fn name_led(&mut self) -> Parsed<NodeId> {
        let start = self.pos;
        // `guid` asks the same, but only after `rest()` has paid a
        // char-boundary check, for a name, which nearly every operand here is.
        if lexer::may_start_guid(self.bytes, self.pos) {
            if let Ok((after, uuid)) = lexer::guid(self.rest()) {
                self.pos = self.text.len() - after.len();
                return self.node(NodeKind::Guid(uuid), start);
            }
        }
        let Some(name) = self.qualified_name() else {
            return Err(self.unexpected("an expression").into());
        };
        let qualified = is_qualified(name);
        match self.peek() {
            Some(b'\'') => return self.prefixed_literal(start, name),
            Some(b'(') => {
                if qualified {
                    let base = self.pending.len();
                    return self.path_from(start, base, Some((start, name)));
                }
                return self.call(start, name);
            }
            _ => {}
        }
        if !qualified {
            let keyword_literal = match name {
                "null" => Some(NodeKind::Null),
                "INF" => Some(NodeKind::Special(SpecialFloat::Infinity)),
                "NaN" => Some(NodeKind::Special(SpecialFloat::NaN)),
                _ if name.eq_ignore_ascii_case("true") => Some(NodeKind::Boolean(true)),
                _ if name.eq_ignore_ascii_case("false") => Some(NodeKind::Boolean(false)),
                _ => None,
            };
            if let Some(literal) = keyword_literal {
                return self.node(literal, start);
            }
            if self.peek() != Some(b'/') {
                // A lone property, the most common path: nothing can come
                // between its segment and the path, so the segment goes
                // straight into the tree, a run of one.
                self.count_node(start)?;
                let segment = NodeKind::Property(Parser::name_text(start, name));
                let first = self.tree.push(segment, start, self.pos);
                return self.node(NodeKind::Path(Run { first, len: 1 }), start);
            }
        }
        let base = self.pending.len();
        self.path_from(start, base, Some((start, name)))
    }

    /// `duration'…'`, `binary'…'`, `Namespace.EnumType'Member'`.
    fn prefixed_literal(&mut self, start: usize, prefix: &str) -> Parsed<NodeId> {
        let quote_start = self.pos;
        let body_text = self.quoted()?;
        let body = self.tree.str(body_text);
        let span = Span::new(start, self.pos);
        let literal = if is_qualified(prefix) {
            if !valid_enum_value(body) {
                return Err(self
                    .error(
                        Code::InvalidLiteral,
                        span,
                        format!("'{body}' is not an enum value: use member names or integers, separated by commas"),
                    ).into());
            }
            NodeKind::Enum {
                type_name: Parser::name_text(start, prefix),
                value: body_text,
            }
        } else if prefix.eq_ignore_ascii_case("duration") {
            match lexer::duration_body(body) {
                Ok(("", _)) => NodeKind::Duration(body_text),
                _ => {
                    return Err(self
                        .error(
                            Code::InvalidLiteral,
                            span,
                            format!("'{body}' is not an ISO 8601 duration"),
                        )
                        .with_help("write durations like duration'P1DT2H30M' or duration'PT0.5S'")
                        .into())
                }
            }
        } else if prefix.eq_ignore_ascii_case("binary") {
            if !valid_base64url(body) {
                return Err(self
                    .error(
                        Code::InvalidLiteral,
                        span,
                        "binary'…' holds base64url text (A–Z a–z 0–9 - _, padded with =)",
                    )
                    .into());
            }
            NodeKind::Binary(body_text)
        } else if ["datetime", "datetimeoffset", "guid"]
            .iter()
            .any(|p| prefix.eq_ignore_ascii_case(p))
        {
            return Err(self
                .error(
                    Code::InvalidLiteral,
                    span,
                    format!("{prefix}'…' is OData 3 syntax"),
                )
                .with_help(format!(
                    "OData 4 writes the value bare, without prefix or quotes: {body}"
                ))
                .into());
        } else if ["geography", "geometry"]
            .iter()
            .any(|p| prefix.eq_ignore_ascii_case(p))
        {
            return Err(self
                .error(
                    Code::Syntax,
                    span,
                    "geography and geometry literals are not supported",
                )
                .into());
        } else {
            return Err(self
                .error(
                    Code::Syntax,
                    Span::new(start, quote_start + 1),
                    format!("unexpected quote after '{prefix}'"),
                )
                .with_help("put an operator between a name and a string: name eq 'value'")
                .into());
        };
        self.node(literal, start)
    }

    /// A call of an unqualified name at the start of an expression: a
    /// built-in, `cast`/`isof`, or an error.
    fn call(&mut self, start: usize, name: &'a str) -> Parsed<NodeId> {
        if let Some(function) = Function::lookup(name) {
            let (min, max) = function.arity();
            let args = self.arguments()?;
            let count = args.len as usize;
            if count < min || count > max {
                let wanted = if min == max {
                    format!("{min}")
                } else {
                    format!("{min} to {max}")
                };
                return Err(self
                    .error(
                        Code::InvalidArguments,
                        Span::new(start, self.pos),
                        format!(
                            "{}() takes {wanted} argument{}, not {}",
                            function.name(),
                            if max == 1 { "" } else { "s" },
                            count
                        ),
                    )
                    .into());
            }
            return self.node(NodeKind::Call(function, args), start);
        }
        for function in [TypeFunction::Cast, TypeFunction::IsOf] {
            if name.eq_ignore_ascii_case(function.name()) {
                return self.type_function(start, function);
            }
        }
        if name.eq_ignore_ascii_case("any") || name.eq_ignore_ascii_case("all") {
            return Err(self
                .error(
                    Code::Syntax,
                    Span::new(start, self.pos),
                    format!("{name}() needs a collection before it"),
                )
                .with_help(format!(
                    "write it after a path: Items/{name}(x:x/Price gt 5)"
                ))
                .into());
        }
        let mut diagnostic = self.error(
            Code::UnknownFunction,
            Span::new(start, self.pos),
            format!("'{name}' is not a built-in function"),
        );
        if let Some(best) = closest_function(name) {
            diagnostic = diagnostic.with_help(format!("did you mean '{best}'?"));
        } else {
            diagnostic = diagnostic.with_help(
                "custom functions are called with their namespace: Namespace.Function(...)",
            );
        }
        Err(diagnostic.into())
    }

    /// `cast(T)`, `cast(x,T)`, `isof(T)`, `isof(x,T)`.
    fn type_function(&mut self, start: usize, function: TypeFunction) -> Parsed<NodeId> {
        self.enter(start)?;
        self.pos += 1;
        self.skip_ws();
        let checkpoint = self.pos;
        if let Some(type_name) = self.qualified_name() {
            self.skip_ws();
            if self.eat(b')') {
                self.leave();
                let type_name = Parser::name_text(checkpoint, type_name);
                return self.node(NodeKind::TypeFunction(function, NO_NODE, type_name), start);
            }
            self.pos = checkpoint;
        }
        let operand = self.expr(0)?;
        self.skip_ws();
        self.expect(b',', "',' and a type name")?;
        self.skip_ws();
        let name_start = self.pos;
        let Some(type_name) = self.qualified_name() else {
            return Err(self.unexpected("a type name such as Edm.String").into());
        };
        let type_name = Parser::name_text(name_start, type_name);
        self.skip_ws();
        self.expect(b')', "')'")?;
        self.leave();
        self.node(NodeKind::TypeFunction(function, operand, type_name), start)
    }

    /// `(` [expr *(`,` expr)] `)`, at the cursor: the arguments as a run
    /// of items.
    fn arguments(&mut self) -> Parsed<Run> {
        let open = self.pos;
        self.enter(open)?;
        self.pos += 1;
        self.skip_ws();
        let base = self.pending.len();
        if !self.eat(b')') {
            loop {
                let arg = self.expr(0)?;
                self.push_item(arg);
                self.skip_ws();
                if self.eat(b',') {
                    self.skip_ws();
                    continue;
                }
                self.expect(b')', "',' or ')' after a function argument")?;
                break;
            }
        }
        self.leave();
        Ok(self.run_from(base))
    }

    /// A member path. The segments from `base` up on the pending stack are
    /// already read (`$it`); `pending` is a segment name already read (its
    /// start and text), which the caller read to decide this is a path; the
    /// cursor is after it.
    fn path_from(
        &mut self,
        start: usize,
        base: usize,
        mut pending: Option<(usize, &'a str)>,
    ) -> Parsed<NodeId> {
        loop {
            let (seg_start, name) = match pending.take() {
                Some(read) => read,
                None => {
                    if self.pending.len() > base {
                        if self.peek() != Some(b'/') {
                            break;
                        }
                        self.pos += 1;
                    }
                    let seg_start = self.pos;
                    if self.peek() == Some(b'$') {
                        return Err(self
                            .error(
                                Code::Syntax,
                                Span::new(seg_start, seg_start + 1),
                                "path segments such as $count and $filter are not supported",
                            )
                            .into());
                    }
                    let Some(name) = self.qualified_name() else {
                        return Err(self.unexpected("a property name after '/'").into());
                    };
                    (seg_start, name)
                }
            };
            let first = self.pending.len() == base;
            let qualified = is_qualified(name);
            let name_text = Parser::name_text(seg_start, name);
            let kind = if self.peek() == Some(b'(') {
                if !first && !qualified {
                    let kind = if name.eq_ignore_ascii_case("any") {
                        Some(LambdaKind::Any)
                    } else if name.eq_ignore_ascii_case("all") {
                        Some(LambdaKind::All)
                    } else {
                        None
                    };
                    if let Some(kind) = kind {
                        let (variable, body) = self.lambda(seg_start, kind)?;
                        self.push_segment(NodeKind::Lambda(kind, variable, body), seg_start);
                        self.count_node(seg_start)?;
                        break;
                    }
                }
                // Bound and custom functions: their arity is unknown here.
                let args = self.arguments()?;
                NodeKind::FunctionCall(name_text, args)
            } else if qualified {
                NodeKind::TypeCast(name_text)
            } else {
                NodeKind::Property(name_text)
            };
            self.push_segment(kind, seg_start);
            self.count_node(seg_start)?;
        }
        if let [Node {
            kind: NodeKind::TypeCast(name),
            start,
            end,
        }] = self.pending[base..]
        {
            let name = self.tree.str(name);
            return Err(self
                .error(
                    Code::Syntax,
                    Span::new(start as usize, end as usize),
                    format!("'{name}' is a qualified name, not a value"),
                )
                .with_help(format!(
                    "a type cast is followed by a property ({name}/Name); a function call needs parentheses ({name}())"
                )).into());
        }
        let segments = self.run_from(base);
        self.node(NodeKind::Path(segments), start)
    }

    fn push_segment(&mut self, kind: NodeKind, start: usize) {
        self.push_pending(Node {
            kind,
            start: start as u32,
            end: self.pos as u32,
        });
    }

    /// `any(x:body)`, `any()`, `all(x:body)`; the cursor is on `(`. Returns
    /// the variable and the body ([`NO_NODE`] for `any()`).
    fn lambda(&mut self, start: usize, kind: LambdaKind) -> Parsed<(Text, NodeId)> {
        self.enter(start)?;
        self.pos += 1;
        self.skip_ws();
        if self.eat(b')') {
            self.leave();
            if kind == LambdaKind::All {
                return Err(self
                    .error(
                        Code::Syntax,
                        Span::new(start, self.pos),
                        "all() needs a condition",
                    )
                    .with_help("write all(x:x/Price gt 5)")
                    .into());
            }
            return Ok((Tree::source_text(start, start), NO_NODE));
        }
        let variable_start = self.pos;
        let Ok((after, variable)) = lexer::identifier(self.rest()) else {
            return Err(self
                .unexpected("a lambda variable name (any(x:...))")
                .into());
        };
        let variable = Parser::name_text(variable_start, variable);
        self.pos = self.text.len() - after.len();
        self.skip_ws();
        self.expect(b':', "':' after the lambda variable")?;
        self.skip_ws();
        let body = self.expr(0)?;
        self.skip_ws();
        self.expect(b')', "')' closing the lambda")?;
        self.leave();
        Ok((variable, body))
    }
}

/// Whether a name read by `qualified_name` has a namespace. A plain byte
/// loop: names are short, and `str::contains` sets up a memchr per call.
fn is_qualified(name: &str) -> bool {
    name.bytes().any(|b| b == b'.')
}

/// The usual spelling of a binary operator after an operand: one space, a
/// keyword of two or three letters, one space, then the operand. Both
/// dialects read that alike, and nearly every operator is spelled so; the
/// general scan spent about 80 instructions on it (its loops over
/// whitespace, the slices, the checks for the dialects' other spellings).
/// Anything else, `None`, is left to the general scan.
///
/// The keywords are spelled here again, as a match on the window's bytes:
/// finding them through [`operator_keyword_at`] instead took the gain away
/// (ten corpus passes 14.82 M → 15.30 M instructions, line 198 ×10,000
/// 896 M → 968 M). The proptest `spaced_operators_scan_as_the_general_scan_does`
/// holds the two spellings to the same answers, every keyword included.
#[inline]
fn spaced_operator(bytes: &[u8], at: usize) -> Option<OperatorAhead> {
    let &[b' ', a, b, c, d, e] = bytes.get(at..at + 6)? else {
        return None;
    };
    let (op, len) = match (a | 0x20, b | 0x20, c) {
        (b'e', b'q', b' ') => (BinaryOp::Eq, 2),
        (b'n', b'e', b' ') => (BinaryOp::Ne, 2),
        (b'g', b't', b' ') => (BinaryOp::Gt, 2),
        (b'g', b'e', b' ') => (BinaryOp::Ge, 2),
        (b'l', b't', b' ') => (BinaryOp::Lt, 2),
        (b'l', b'e', b' ') => (BinaryOp::Le, 2),
        (b'o', b'r', b' ') => (BinaryOp::Or, 2),
        (b'i', b'n', b' ') => (BinaryOp::In, 2),
        _ if d == b' ' => match (a | 0x20, b | 0x20, c | 0x20) {
            (b'a', b'n', b'd') => (BinaryOp::And, 3),
            (b'a', b'd', b'd') => (BinaryOp::Add, 3),
            (b's', b'u', b'b') => (BinaryOp::Sub, 3),
            (b'm', b'u', b'l') => (BinaryOp::Mul, 3),
            (b'd', b'i', b'v') => (BinaryOp::Div, 3),
            (b'm', b'o', b'd') => (BinaryOp::Mod, 3),
            (b'h', b'a', b's') => (BinaryOp::Has, 3),
            _ => return None,
        },
        _ => return None,
    };
    // More whitespace after the keyword is the general scan's to skip.
    let operand_first = if len == 2 { d } else { e };
    if matches!(operand_first, b' ' | b'\t') {
        return None;
    }
    Some(OperatorAhead {
        op,
        start: (at + 1) as u32,
        operand_start: (at + len + 2) as u32,
    })
}

/// The binary operator keyword that starts `rest` as a whole word (not
/// followed by a name's byte), in any case, and its length.
///
/// Keywords are 2, 3 or 5 ASCII letters, so the first two bytes pick the
/// candidate; `| 0x20` lowers a letter, and only a letter's upper or lower
/// case lowers to a letter, so no other byte can match.
fn operator_keyword_at(rest: &[u8]) -> Option<(BinaryOp, usize)> {
    let lower = |i: usize| rest.get(i).map_or(0, |&b| b | 0x20);
    let third = |c: u8, op: BinaryOp| (lower(2) == c).then_some((op, 3));
    let (op, len) = match (lower(0), lower(1)) {
        (b'e', b'q') => (BinaryOp::Eq, 2),
        (b'n', b'e') => (BinaryOp::Ne, 2),
        (b'g', b't') => (BinaryOp::Gt, 2),
        (b'g', b'e') => (BinaryOp::Ge, 2),
        (b'l', b't') => (BinaryOp::Lt, 2),
        (b'l', b'e') => (BinaryOp::Le, 2),
        (b'o', b'r') => (BinaryOp::Or, 2),
        (b'i', b'n') => (BinaryOp::In, 2),
        (b'a', b'n') => third(b'd', BinaryOp::And)?,
        (b'a', b'd') => third(b'd', BinaryOp::Add)?,
        (b's', b'u') => third(b'b', BinaryOp::Sub)?,
        (b'm', b'u') => third(b'l', BinaryOp::Mul)?,
        (b'm', b'o') => third(b'd', BinaryOp::Mod)?,
        (b'h', b'a') => third(b's', BinaryOp::Has)?,
        (b'd', b'i') if lower(2) == b'v' => {
            if lower(3) == b'b' && lower(4) == b'y' {
                (BinaryOp::DivBy, 5)
            } else {
                (BinaryOp::Div, 3)
            }
        }
        _ => return None,
    };
    if rest.get(len).is_some_and(|&b| is_ident_byte(b)) {
        return None;
    }
    Some((op, len))
}

/// `enumValue = singleEnumValue *( COMMA singleEnumValue )`, each a member
/// name or an integer.
fn valid_enum_value(value: &str) -> bool {
    value.split(',').all(|part| {
        let digits = part.strip_prefix(['+', '-']).unwrap_or(part);
        (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            || matches!(lexer::identifier(part), Ok(("", _)))
    })
}

fn valid_base64url(value: &str) -> bool {
    let body = value.trim_end_matches('=');
    value.len() - body.len() <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The built-in function name nearest to a misspelled one, if any is close.
fn closest_function(name: &str) -> Option<&'static str> {
    nearest(
        name,
        Function::ALL
            .iter()
            .map(|f| f.name())
            .chain(["cast", "isof"]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::tree::{ExprKind, ExprRef, Literal as L, SegmentKind};

    /// A compact S-expression of the tree, so shape tests read at a glance
    /// (independent of the canonical renderer, which has its own tests).
    fn sexp(e: ExprRef<'_>) -> String {
        match e.kind() {
            ExprKind::Literal(L::String(s)) => format!("'{s}'"),
            ExprKind::Literal(l) => format!("{l:?}"),
            ExprKind::Path(p) => p
                .segments()
                .map(|s| match s.kind() {
                    SegmentKind::Property(n) | SegmentKind::TypeCast(n) => n.to_string(),
                    SegmentKind::It => "$it".into(),
                    SegmentKind::This => "$this".into(),
                    SegmentKind::FunctionCall { name, args } => format!(
                        "{name}({})",
                        args.iter().map(sexp).collect::<Vec<_>>().join(",")
                    ),
                    SegmentKind::Lambda { kind, predicate } => match predicate {
                        None => format!("{kind:?}()"),
                        Some(p) => format!("{kind:?}({}:{})", p.variable, sexp(p.body)),
                    },
                })
                .collect::<Vec<_>>()
                .join("/"),
            ExprKind::Unary { op, operand } => format!("({op:?} {})", sexp(operand)),
            ExprKind::Binary { op, operands } => {
                let [left, right] = operands;
                format!("({} {} {})", op.keyword(), sexp(left), sexp(right))
            }
            ExprKind::List(items) => {
                format!("[{}]", items.iter().map(sexp).collect::<Vec<_>>().join(","))
            }
            ExprKind::Call { function, args } => format!(
                "{}({})",
                function.name(),
                args.iter().map(sexp).collect::<Vec<_>>().join(",")
            ),
            ExprKind::TypeFunction {
                function,
                operand,
                type_name,
            } => match operand {
                Some(o) => format!("{}({},{type_name})", function.name(), sexp(o)),
                None => format!("{}({type_name})", function.name()),
            },
        }
    }

    fn shape(input: &str) -> String {
        let e = parse_filter(input, &ParseOptions::default())
            .unwrap_or_else(|d| panic!("{input:?} failed: {d}"));
        sexp(e.root())
    }

    fn strict_shape(input: &str) -> Result<String, Code> {
        parse_filter(input, &ParseOptions::strict())
            .map(|e| sexp(e.root()))
            .map_err(|d| d.code)
    }

    fn code(input: &str) -> Code {
        match parse_filter(input, &ParseOptions::default()) {
            Ok(e) => panic!("{input:?} parsed as {}", sexp(e.root())),
            Err(d) => d.code,
        }
    }

    #[test]
    fn operator_keywords_are_the_binary_operators_in_any_case() {
        for op in BinaryOp::ALL {
            let lower = op.keyword();
            let upper = lower.to_ascii_uppercase();
            let mixed: String = lower
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if i % 2 == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect();
            for spelling in [lower, &upper, &mixed] {
                for text in [
                    spelling.to_owned(),
                    format!("{spelling} x"),
                    format!("{spelling}("),
                ] {
                    assert_eq!(
                        operator_keyword_at(text.as_bytes()),
                        Some((op, lower.len())),
                        "{text}"
                    );
                }
            }
        }
        for word in [
            "eqq", "an", "andd", "ad", "divb", "divbyy", "xor", "hass", "ni", "Eqs", "eq1", "and_",
            "oré", "e", "",
        ] {
            assert_eq!(operator_keyword_at(word.as_bytes()), None, "{word}");
        }
    }

    #[test]
    fn precedence_follows_the_url_conventions_table() {
        assert_eq!(shape("a or b and c"), "(or a (and b c))");
        assert_eq!(shape("a and b or c"), "(or (and a b) c)");
        assert_eq!(
            shape("a eq 1 and b ne 2"),
            "(and (eq a Int(1)) (ne b Int(2)))"
        );
        assert_eq!(shape("a add b mul c"), "(add a (mul b c))");
        assert_eq!(shape("a sub b sub c"), "(sub (sub a b) c)");
        assert_eq!(shape("a lt b eq c gt d"), "(eq (lt a b) (gt c d))");
        // `not` binds tighter than comparison, as in ODataLib.
        assert_eq!(shape("not a eq b"), "(eq (Not a) b)");
        assert_eq!(shape("not (a eq b)"), "(Not (eq a b))");
        // `has` and `in` bind tighter than `not`.
        assert_eq!(shape("not a in (1,2)"), "(Not (in a [Int(1),Int(2)]))");
        assert_eq!(shape("-a mul b"), "(mul (Negate a) b)");
        // Chained `eq` is left-associative.
        assert_eq!(shape("a eq b eq c"), "(eq (eq a b) c)");
        assert_eq!(shape("a eq (b eq c)"), "(eq a (eq b c))");
    }

    #[test]
    fn and_or_chains_are_left_nested_whatever_the_parentheses() {
        assert_eq!(shape("a and (b and c)"), shape("a and b and c"));
        assert_eq!(shape("(a or b) or (c or d)"), "(or (or (or a b) c) d)");
        assert_eq!(shape("a and (b or c)"), "(and a (or b c))");
    }

    /// Parenthesized chains of the same operator join the outer chain flat
    /// (`Operand::join`, moving the shorter side): the operands stay in
    /// order, and every spine node spans from the first operand to the end
    /// of its right operand, as in the unparenthesized chain.
    #[test]
    fn nested_same_operator_chains_join_in_order() {
        for input in [
            "a and (b and (c and (d and e)))",
            "a and b and c and (d and e)",
            "a and (b and c and d and e)",
            "a and b and (c and (d and e))",
            "((a and b and c) and d) and e",
            "a and b and c and (d and e and f and g)",
            "a and b and c and d and (e and f)",
            // Found by fuzzing: a parenthesized chain on the left of a chain
            // that is itself a right operand must flatten too.
            "a and (((b) and c) and d)",
            "a and ((((b and c)) and d) and e)",
        ] {
            let tree = parse_filter(input, &ParseOptions::default()).unwrap();
            let mut node = tree.root();
            let mut rights = Vec::new();
            while let ExprKind::Binary { op, operands } = node.kind() {
                assert_eq!(op, BinaryOp::And, "{input}");
                let [left, right] = operands;
                if !input.starts_with('(') {
                    assert_eq!(node.span(), Span::new(0, right.span().end), "{input}");
                }
                rights.push(sexp(right));
                node = left;
            }
            rights.push(sexp(node));
            rights.reverse();
            let names: Vec<&str> = input
                .split(|c: char| !c.is_ascii_lowercase())
                .filter(|w| !w.is_empty() && *w != "and")
                .collect();
            assert_eq!(rights.join(" "), names.join(" "), "{input}");
        }
    }

    #[test]
    fn whitespace_corners_of_the_defender_dialect() {
        assert_eq!(
            shape("machineId eq 'x'and type eq 'y'"),
            shape("machineId eq 'x' and type eq 'y'")
        );
        assert_eq!(
            shape("MachineId eq 'F46B'and(Status eq 'Succeeded')"),
            "(and (eq MachineId 'F46B') (eq Status 'Succeeded'))"
        );
        assert_eq!(shape("  status eq 'Pending'  "), "(eq status 'Pending')");
        assert_eq!(shape("status\teq\t'Pending'"), "(eq status 'Pending')");
        assert_eq!(strict_shape(" a eq 1"), Err(Code::Syntax));
        assert_eq!(strict_shape("a eq 1 "), Err(Code::Syntax));
        assert_eq!(strict_shape("a eq 'x'and b eq 'y'"), Err(Code::Syntax));
        assert!(strict_shape("a eq 'x' and b eq 'y'").is_ok());
    }

    #[test]
    fn identifiers_that_start_with_keywords_are_identifiers() {
        for name in [
            "notes",
            "android",
            "orders",
            "nullable",
            "trueValue",
            "inProgress",
            "order",
            "andy",
            "Notify",
            "eqx",
        ] {
            assert_eq!(
                shape(&format!("{name} eq 1")),
                format!("(eq {name} Int(1))")
            );
        }
        assert_eq!(shape("not notes"), "(Not notes)");
        assert_eq!(shape("NULL eq null"), "(eq NULL Null)");
    }

    #[test]
    fn keywords_are_case_insensitive_but_null_inf_nan_are_not() {
        assert_eq!(
            shape("a EQ 1 AND b Ne 2 Or NOT c"),
            "(or (and (eq a Int(1)) (ne b Int(2))) (Not c))"
        );
        assert_eq!(shape("StartsWith(a,'x')"), "startswith(a,'x')");
        assert_eq!(shape("tRUe"), "Boolean(true)");
        assert_eq!(shape("INF"), "Special(Infinity)");
        assert_eq!(shape("inf"), "inf");
        assert_eq!(shape("NaN"), "Special(NaN)");
    }

    #[test]
    fn literals() {
        assert_eq!(shape("'O''Neil'"), "'O'Neil'");
        assert_eq!(shape("''''"), "'''");
        assert_eq!(shape("''"), "''");
        assert_eq!(shape("-INF"), "Special(NegativeInfinity)");
        assert_eq!(shape("Price sub -5"), "(sub Price Int(-5))");
        assert_eq!(shape("Price sub - 5"), "(sub Price (Negate Int(5)))");
        assert_eq!(shape("--5"), "(Negate Int(-5))");
        assert_eq!(shape("+42"), "Int(42)");
        assert_eq!(shape("3.14"), "Decimal(\"3.14\")");
        assert!(shape("2018-08-01Z").starts_with("DateTimeOffset"));
        assert!(shape("2018-08-01").starts_with("Date("));
        assert!(shape("12:43:57.2011911").starts_with("TimeOfDay"));
        assert_eq!(
            shape("7d4e5c3e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"),
            "Guid(7d4e5c3e-1a2b-4c3d-8e9f-0a1b2c3d4e5f)"
        );
        assert_eq!(
            shape("bc3f62c5-a2e5-5bc9-cb4d-17112f77f5bb"),
            "Guid(bc3f62c5-a2e5-5bc9-cb4d-17112f77f5bb)"
        );
        assert_eq!(shape("duration'P1DT2H'"), "Duration(\"P1DT2H\")");
        assert_eq!(
            shape("Sales.Pattern'Solid,Yellow'"),
            "Enum { type_name: \"Sales.Pattern\", value: \"Solid,Yellow\" }"
        );
        assert_eq!(shape("binary'T0RhdGE='"), "Binary(\"T0RhdGE=\")");
        assert_eq!(strict_shape("2018-08-01Z"), Err(Code::Syntax));
    }

    #[test]
    fn date_time_offsets_keep_offset_and_nanoseconds() {
        let e = parse_filter(
            "2018-12-04T12:43:57.201191123456+01:30",
            &ParseOptions::default(),
        )
        .unwrap();
        let Some(L::DateTimeOffset(dto)) = e.root().literal() else {
            panic!()
        };
        assert_eq!(dto.0.offset().local_minus_utc(), 5400);
        assert_eq!(chrono::Timelike::nanosecond(&dto.0), 201_191_123);
        assert_eq!(dto.0.to_rfc3339(), "2018-12-04T12:43:57.201191123+01:30");
    }

    #[test]
    fn paths_lambdas_and_calls() {
        assert_eq!(
            shape("DirectReports/Sales.Manager/any()"),
            "DirectReports/Sales.Manager/Any()"
        );
        assert_eq!(
            shape("Items/any(x:x/Price gt 5)"),
            "Items/Any(x:(gt x/Price Int(5)))"
        );
        assert_eq!(
            shape("Items/ALL(x: x/Price gt 5)"),
            "Items/All(x:(gt x/Price Int(5)))"
        );
        assert_eq!(shape("$it/Name eq $this"), "(eq $it/Name $this)");
        assert_eq!(
            shape("Products/Model.BestProduct()/Name"),
            "Products/Model.BestProduct()/Name"
        );
        assert_eq!(
            shape("Model.Available(1,'x')"),
            "Model.Available(Int(1),'x')"
        );
        assert_eq!(
            shape("cast(Category,Edm.Boolean)"),
            "cast(Category,Edm.Boolean)"
        );
        assert_eq!(shape("isof(Model.Customer)"), "isof(Model.Customer)");
        assert_eq!(shape("substring(a,1,2)"), "substring(a,Int(1),Int(2))");
        assert_eq!(
            shape("contains( requestorComment , 'alert' )"),
            "contains(requestorComment,'alert')"
        );
        assert_eq!(shape("a in ()"), "(in a [])");
        assert_eq!(shape("a in ('x')"), "(in a ['x'])");
        assert_eq!(shape("a in (b)"), "(in a [b])");
        assert_eq!(
            shape("style has Sales.Pattern'Yellow'"),
            "(has style Enum { type_name: \"Sales.Pattern\", value: \"Yellow\" })"
        );
        assert_eq!(shape("now()"), "now()");
    }

    #[test]
    fn error_codes() {
        assert_eq!(code(""), Code::Syntax);
        assert_eq!(code("   "), Code::Syntax);
        assert_eq!(code("(a eq 1"), Code::Syntax);
        assert_eq!(code("a eq 1)"), Code::Syntax);
        assert_eq!(code("'abc"), Code::Syntax);
        assert_eq!(code("a in (b,c)"), Code::Syntax);
        assert_eq!(code("a eq ('x','y')"), Code::Syntax);
        assert_eq!(code("any()"), Code::Syntax);
        assert_eq!(code("Products/all()"), Code::Syntax);
        assert_eq!(code("Model.Available"), Code::Syntax);
        assert_eq!(code("startswith(a)"), Code::InvalidArguments);
        assert_eq!(code("now(1)"), Code::InvalidArguments);
        assert_eq!(code("startwith(a,'x')"), Code::UnknownFunction);
        assert_eq!(code("2018-13-01"), Code::InvalidLiteral);
        assert_eq!(code("2011-12-31T24:00Z"), Code::InvalidLiteral);
        assert_eq!(code("2024-01-01T00:00:00"), Code::InvalidLiteral);
        assert_eq!(code("duration'P'"), Code::InvalidLiteral);
        assert_eq!(code("datetime'2024-01-01T00:00:00'"), Code::InvalidLiteral);
        assert_eq!(code("42."), Code::Syntax);
        assert_eq!(code("-0.314e1e2"), Code::Syntax);
    }

    #[test]
    fn errors_point_at_the_problem_and_help() {
        let d =
            parse_filter("startwith(computerDnsName,'x')", &ParseOptions::default()).unwrap_err();
        assert_eq!((d.span().unwrap().start, d.span().unwrap().end), (0, 9));
        assert_eq!(d.help.as_deref(), Some("did you mean 'startswith'?"));
        let d = parse_filter(
            "creationDateTimeUtc gt 2024-01-01T00:00:00 01:00",
            &ParseOptions::default(),
        )
        .unwrap_err();
        assert_eq!(d.code, Code::InvalidLiteral);
        assert!(d.help.unwrap().contains("%2B"));
        let d = parse_filter("status eq 'Pending' foo", &ParseOptions::default()).unwrap_err();
        assert_eq!((d.span().unwrap().start, d.span().unwrap().end), (20, 23));
    }

    #[test]
    fn limits_are_enforced_while_parsing() {
        let deep = format!("{}a{}", "(".repeat(101), ")".repeat(101));
        assert_eq!(code(&deep), Code::TooDeep);
        let ok = format!("{}a{}", "(".repeat(100), ")".repeat(100));
        assert_eq!(shape(&ok), "a");
        assert_eq!(code(&"not ".repeat(101).to_string()), Code::TooDeep);
        let many = vec!["a eq 1"; 300].join(" or ");
        assert_eq!(code(&many), Code::TooManyNodes);
        let long = format!("a eq '{}'", "x".repeat(16 * 1024));
        assert_eq!(code(&long), Code::TooLong);
    }

    #[test]
    fn a_hundred_thousand_parentheses_do_not_overflow_a_small_stack() {
        let handle = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(|| {
                let input = "(".repeat(100_000);
                let limits = Limits {
                    max_value_len: usize::MAX,
                    ..Limits::default()
                };
                let options = ParseOptions {
                    limits,
                    ..ParseOptions::default()
                };
                parse_filter(&input, &options).map_err(|d| d.code)
            })
            .unwrap();
        assert_eq!(handle.join().unwrap().unwrap_err(), Code::TooDeep);
    }

    #[test]
    fn orderby_and_select() {
        let o = parse_orderby(
            "creationDateTimeUtc desc, status,Cost ge Revenue asc",
            &ParseOptions::default(),
        )
        .unwrap();
        assert_eq!(o.len(), 3);
        assert!(o[0].descending && !o[1].descending && !o[2].descending);
        assert_eq!(sexp(o[2].expr.root()), "(ge Cost Revenue)");
        assert!(parse_orderby("Name\tasc", &ParseOptions::strict()).is_ok());
        assert!(parse_orderby("", &ParseOptions::default()).is_err());
        assert!(parse_orderby("a,", &ParseOptions::default()).is_err());
        assert_eq!(
            parse_select("*", &ParseOptions::default()).unwrap(),
            Select::All
        );
        let Select::Paths(items) = parse_select(
            "id, status,Address/Model.Loc/Street",
            &ParseOptions::default(),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(items.len(), 3);
        let ExprKind::Path(path) = items[2].path.root().kind() else {
            panic!("a path")
        };
        assert_eq!(path.len(), 3);
        assert_eq!(items[1].span().as_pair(), [4, 10]);
        assert!(parse_select("id,,x", &ParseOptions::default()).is_err());
    }

    #[test]
    fn the_usual_operator_spelling_is_read_without_the_general_scan() {
        let found = |text: &str| {
            spaced_operator(text.as_bytes(), 1).map(|o| (o.op, o.start, o.operand_start))
        };
        assert_eq!(found("a eq 'x'"), Some((BinaryOp::Eq, 2, 5)));
        assert_eq!(found("a AND (b)"), Some((BinaryOp::And, 2, 6)));
        assert_eq!(found("a in ('x')"), Some((BinaryOp::In, 2, 5)));
        // Left to the general scan: more whitespace, a tab, no operand
        // byte yet, a longer keyword, a keyword that runs on.
        for text in [
            "a eq  'x'",
            "a eq\t'x'",
            "a\teq 'x'",
            "a eq ",
            "a divby 2",
            "a eqx 'x'",
        ] {
            assert_eq!(found(text), None, "{text:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5_000))]

        /// Wherever the fast path answers, it answers as the general scan
        /// does, in both dialects.
        #[test]
        fn spaced_operators_scan_as_the_general_scan_does(
            text in "[ \t]{0,2}(eq|Ne|gT|ge|lt|le|or|OR|in|and|AnD|add|sub|mul|div|divby|mod|has|an|e|eqx|x)[ \t(']{0,2}[a-z'(]{0,2}",
            strict: bool,
        ) {
            let options = if strict { ParseOptions::strict() } else { ParseOptions::default() };
            let text = format!("a{text}");
            let mut parser = Parser::new(&text, &options);
            parser.pos = 1;
            if let Some(fast) = spaced_operator(parser.bytes, 1) {
                let general = parser.scan_operator_spelled_otherwise();
                proptest::prop_assert_eq!(
                    Some((fast.op, fast.start, fast.operand_start)),
                    general.map(|o| (o.op, o.start, o.operand_start))
                );
            }
        }
    }
}
