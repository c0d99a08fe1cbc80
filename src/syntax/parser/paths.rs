//! Member paths: property segments, type casts, bound and custom function
//! segments, `$it` and `$this`, and the `any`/`all` lambdas.
//!
//! Must not know about: which properties exist (names keep the spelling
//! given), built-in functions (`calls`), operator precedence, or rendering.

use super::{is_qualified, Parsed, Parser};
use crate::error::Code;
use crate::syntax::ast::{LambdaKind, Span};
use crate::syntax::lexer;
use crate::syntax::tree::{Node, NodeId, NodeKind, Text, Tree, NO_NODE};

impl<'a> Parser<'a> {
    /// `$it` or `$this`, optionally followed by a path.
    pub(super) fn dollar_path(&mut self) -> Parsed<NodeId> {
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

    /// A member path. The segments from `base` up on the pending stack are
    /// already read (`$it`); `pending` is a segment name already read (its
    /// start and text), which the caller read to decide this is a path; the
    /// cursor is after it.
    pub(super) fn path_from(
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

    pub(super) fn push_segment(&mut self, kind: NodeKind, start: usize) {
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
