//! Binary and unary operators: precedence climbing over operands, the
//! `and`/`or` chains kept flat until something needs them as nodes, and the
//! lookahead that finds an operator keyword after an operand (with its fast
//! path for the usual spelling).
//!
//! Grouping follows the URL Conventions' precedence table in both dialects
//! (`not a eq b` is `(not a) eq b`, as in ODataLib): `has` and `in` bind
//! tighter than `not`/`-`, which bind tighter than every other binary operator.
//!
//! Must not know about: what an operand is made of (literals, calls and
//! paths are `primary`'s), schemas, or rendering.

use super::{Parsed, Parser};
use crate::syntax::ast::{BinaryOp, Span, UnaryOp};
use crate::syntax::lexer::is_ident_byte;
use crate::syntax::tree::{Node, NodeId, NodeKind, Tree};

/// A binary operator found ahead of the cursor: which, where it starts, and
/// where its right operand starts.
#[derive(Clone, Copy)]
pub(super) struct OperatorAhead {
    op: BinaryOp,
    start: u32,
    operand_start: u32,
}

/// An operand as the expression loop holds it: a finished node, or an
/// `and`/`or` chain kept flat until something else needs it as a node.
///
/// Chains are stored left-nested (as
/// [`Expr::binary`](crate::syntax::tree::Expr::binary) builds them), so a
/// parenthesized chain on the right of the same operator
/// (`a and (b and (c and …))`) must be re-hung under the outer one. On
/// finished trees that walks the inner chain at every level, quadratic in
/// the depth. Flat, a chain's operands sit at the top of the parser's
/// operand stack, and a chain parsed on the right of the same operator sits
/// right after the left one's: joining them costs nothing.
#[derive(Debug)]
pub(super) enum Operand {
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
    /// The node: chains folded left-nested, as
    /// [`Expr::binary`](crate::syntax::tree::Expr::binary) would, their
    /// operands taken off the stack. Inlined for the usual case, a
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
    /// Binary operators of precedence `min_prec` and up.
    pub(super) fn expr(&mut self, min_prec: u8) -> Parsed<NodeId> {
        let operand = self.operand(min_prec)?;
        Ok(self.fold(operand))
    }

    #[inline]
    pub(super) fn fold(&mut self, operand: Operand) -> NodeId {
        operand.fold(&mut self.pending, &mut self.tree)
    }

    /// Binary operators of precedence `min_prec` and up (precedence
    /// climbing), leaving an `and`/`or` chain flat for the caller to extend.
    pub(super) fn operand(&mut self, min_prec: u8) -> Parsed<Operand> {
        // `unary` answers only these bytes itself (keep them in step with
        // its operators): the rest go straight to the (inlined) `postfix`,
        // two call frames fewer. Hot path: every operand passes here; see
        // benches/parse.rs.
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
    /// there too. Keep this function out of line and `postfix` inline: the
    /// other way round, with the operator out of line, is slower; see
    /// benches/parse.rs.
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
}

/// The usual spelling of a binary operator after an operand: one space, a
/// keyword of two or three letters, one space, then the operand. Both
/// dialects read that alike, nearly every operator is spelled so, and it
/// needs none of the general scan's work (its loops over whitespace, the
/// slices, the checks for the dialects' other spellings). Anything else,
/// `None`, is left to the general scan.
///
/// The keywords are spelled here again, as a match on the window's bytes:
/// finding them through [`operator_keyword_at`] instead loses the gain.
/// Hot path: the lookahead after every operand starts here; see
/// benches/parse.rs. The proptest `spaced_operators_scan_as_the_general_scan_does`
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
///
/// Inline: its caller, `Parser::scan_operator`, is compiled with the rest of
/// `Parser` in the parent module, not with this one, and without the hint
/// this function is called across that boundary instead of inlined, which
/// makes the lookahead after every operand slower; see benches/parse.rs.
#[inline]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;
    use crate::syntax::options::ParseOptions;
    use crate::syntax::parser::parse_filter;
    use crate::syntax::parser::tests::{sexp, shape, strict_shape};
    use crate::syntax::tree::ExprKind;

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
