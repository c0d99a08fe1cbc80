//! The flat filter tree: what the parser builds.
//!
//! Owns: the compact form of a parsed expression: every node a small `Copy`
//! value in one `Vec`, children named by index, names and string values kept
//! as byte ranges into one owned text. A parse then costs two allocations
//! (the nodes and the text) whatever the expression's size, where a boxed
//! tree costs several per term; dropping or cloning it walks no tree, so no
//! depth of nesting can overflow the stack there.
//!
//! Must not know about: grammar (the parser in `filter` decides what to
//! push), schemas, rendering or evaluation. Readers go through borrowed views
//! ([`Expr`] and [`ExprView`]) that have the shapes of [`ExprKind`];
//! [`Filter::to_expr`] converts to the owned, editable [`FilterExpr`].
//!
//! Layout invariant: a node's children are pushed before the node, so every
//! child index is smaller than its parent's. Lists, call arguments and path
//! segments are runs of consecutive nodes (see [`NodeKind::Item`]), pushed
//! after the subtrees they point at.

use chrono::{NaiveDate, NaiveTime};
use uuid::Uuid;

use super::ast::{
    BinaryOp, DateTimeOffset, EnumLiteral, ExprKind, FilterExpr, Function, Lambda, LambdaKind,
    LambdaPredicate, Literal, MemberPath, Segment, SegmentKind, Span, SpecialFloat, TypeFunction,
    UnaryOp,
};

/// A node's index in its tree.
pub(crate) type NodeId = u32;

/// "No node", for the optional children (`cast(T)`'s operand, `any()`'s body).
pub(crate) const NO_NODE: NodeId = NodeId::MAX;

/// A byte range of the tree's text.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Text {
    pub(crate) start: u32,
    pub(crate) len: u32,
}

/// A run of `len` consecutive nodes starting at `first`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Run {
    pub(crate) first: NodeId,
    pub(crate) len: u32,
}

/// One node. Spans are `u32`: the parser refuses text whose offsets would not
/// fit (`Limits::max_value_len` defaults to 16 KiB).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node {
    pub(crate) kind: NodeKind,
    pub(crate) start: u32,
    pub(crate) end: u32,
}

/// What a node is. The first group are literals, the second expressions,
/// the third the parts of lists and paths, which are never expressions.
#[derive(Clone, Copy, Debug)]
pub(crate) enum NodeKind {
    Null,
    Boolean(bool),
    Int(i64),
    Decimal(Text),
    Double(Text),
    Special(SpecialFloat),
    String(Text),
    Guid(Uuid),
    DateTimeOffset(DateTimeOffset),
    Date(NaiveDate),
    TimeOfDay(NaiveTime),
    Duration(Text),
    Binary(Text),
    Enum {
        type_name: Text,
        value: Text,
    },

    /// A member path: a run of segment nodes.
    Path(Run),
    Unary(UnaryOp, NodeId),
    BinaryOp(BinaryOp, NodeId, NodeId),
    /// `( … )` after `in`: a run of [`NodeKind::Item`]s.
    List(Run),
    /// A built-in call: its arguments are a run of [`NodeKind::Item`]s.
    Call(Function, Run),
    /// `cast`/`isof`: the operand (or [`NO_NODE`]) and the type name.
    TypeFunction(TypeFunction, NodeId, Text),

    /// One element of a list or argument run: the expression it stands for.
    Item(NodeId),
    Property(Text),
    TypeCast(Text),
    It,
    This,
    /// A bound or custom function segment: name and a run of items.
    FunctionCall(Text, Run),
    /// `any`/`all`: the variable and body, or [`NO_NODE`] for `any()`.
    Lambda(LambdaKind, Text, NodeId),
}

impl NodeKind {
    pub(crate) fn is_literal(&self) -> bool {
        matches!(
            self,
            NodeKind::Null
                | NodeKind::Boolean(_)
                | NodeKind::Int(_)
                | NodeKind::Decimal(_)
                | NodeKind::Double(_)
                | NodeKind::Special(_)
                | NodeKind::String(_)
                | NodeKind::Guid(_)
                | NodeKind::DateTimeOffset(_)
                | NodeKind::Date(_)
                | NodeKind::TimeOfDay(_)
                | NodeKind::Duration(_)
                | NodeKind::Binary(_)
                | NodeKind::Enum { .. }
        )
    }
}

/// The nodes and text of one or more parsed expressions (a `$filter` has one
/// root, an `$orderby` one per item).
#[derive(Clone, Debug, Default)]
pub(crate) struct Tree {
    pub(crate) nodes: Vec<Node>,
    /// Starts as a copy of the parsed value, so names and most strings are
    /// ranges of it; text that differs from the source (a string with `''`,
    /// a number written with `+`) is appended.
    pub(crate) text: String,
}

impl Tree {
    /// An empty tree whose text starts as `source`.
    pub(crate) fn for_source(source: &str) -> Tree {
        Tree {
            nodes: Vec::new(),
            text: source.to_owned(),
        }
    }

    pub(crate) fn push(&mut self, kind: NodeKind, start: usize, end: usize) -> NodeId {
        let id = self.nodes.len() as NodeId;
        self.nodes.push(Node {
            kind,
            start: start as u32,
            end: end as u32,
        });
        id
    }

    /// `source[start..end]` as a range of the text.
    pub(crate) fn source_text(start: usize, end: usize) -> Text {
        Text {
            start: start as u32,
            len: (end - start) as u32,
        }
    }

    /// `value`, which the source spells differently, appended to the text.
    pub(crate) fn append_text(&mut self, value: &str) -> Text {
        let start = self.text.len() as u32;
        self.text.push_str(value);
        Text {
            start,
            len: value.len() as u32,
        }
    }

    pub(crate) fn str(&self, text: Text) -> &str {
        let start = text.start as usize;
        &self.text[start..start + text.len as usize]
    }

    pub(crate) fn span(&self, id: NodeId) -> Span {
        let node = &self.nodes[id as usize];
        Span::new(node.start as usize, node.end as usize)
    }

    pub(crate) fn set_span(&mut self, id: NodeId, span: Span) {
        let node = &mut self.nodes[id as usize];
        node.start = span.start as u32;
        node.end = span.end as u32;
    }

    fn items(&self, run: Run) -> impl Iterator<Item = NodeId> + '_ {
        let nodes = &self.nodes[run.first as usize..(run.first + run.len) as usize];
        nodes.iter().map(|node| match node.kind {
            NodeKind::Item(id) => id,
            other => unreachable!("a run of items holds {other:?}"),
        })
    }

    /// The owned tree rooted at `root`. Nodes are visited in index order,
    /// which puts every child before its parent, so no recursion is needed
    /// however deep the tree: each node takes its children's finished trees
    /// out of their slots.
    pub(crate) fn to_expr(&self, root: NodeId) -> FilterExpr {
        let end = root as usize + 1;
        let mut slots: Vec<Built> = Vec::with_capacity(end);
        for index in 0..end {
            let built = self.build(index as NodeId, &mut slots);
            slots.push(built);
        }
        match slots.swap_remove(root as usize) {
            Built::Expr(expr) => expr,
            _ => unreachable!("node {root} is not an expression"),
        }
    }

    fn build(&self, id: NodeId, slots: &mut [Built]) -> Built {
        let node = self.nodes[id as usize];
        let span = self.span(id);
        let expr = |kind: ExprKind| Built::Expr(FilterExpr::new(kind, span));
        let literal = |literal: Literal| expr(ExprKind::Literal(literal));
        let text = |t: Text| self.str(t).into();
        match node.kind {
            NodeKind::Null => literal(Literal::Null),
            NodeKind::Boolean(b) => literal(Literal::Boolean(b)),
            NodeKind::Int(i) => literal(Literal::Int(i)),
            NodeKind::Decimal(t) => literal(Literal::Decimal(text(t))),
            NodeKind::Double(t) => literal(Literal::Double(text(t))),
            NodeKind::Special(s) => literal(Literal::Special(s)),
            NodeKind::String(t) => literal(Literal::String(text(t))),
            NodeKind::Guid(g) => literal(Literal::Guid(g)),
            NodeKind::DateTimeOffset(d) => literal(Literal::DateTimeOffset(d)),
            NodeKind::Date(d) => literal(Literal::Date(d)),
            NodeKind::TimeOfDay(t) => literal(Literal::TimeOfDay(t)),
            NodeKind::Duration(t) => literal(Literal::Duration(text(t))),
            NodeKind::Binary(t) => literal(Literal::Binary(text(t))),
            NodeKind::Enum { type_name, value } => literal(Literal::Enum(Box::new(EnumLiteral {
                type_name: text(type_name),
                value: text(value),
            }))),
            NodeKind::Path(run) => {
                let mut segments = Vec::with_capacity(run.len as usize);
                for index in run.first..run.first + run.len {
                    match std::mem::replace(&mut slots[index as usize], Built::Taken) {
                        Built::Segment(segment) => segments.push(segment),
                        other => unreachable!("path segment {index} is {other:?}"),
                    }
                }
                expr(ExprKind::Path(MemberPath { segments }))
            }
            NodeKind::Unary(op, operand) => expr(ExprKind::Unary {
                op,
                operand: Box::new(take(slots, operand)),
            }),
            NodeKind::BinaryOp(op, left, right) => expr(ExprKind::Binary {
                op,
                operands: Box::new([take(slots, left), take(slots, right)]),
            }),
            NodeKind::List(run) => expr(ExprKind::List(
                self.items(run).map(|id| take(slots, id)).collect(),
            )),
            NodeKind::Call(function, run) => expr(ExprKind::Call {
                function,
                args: self.items(run).map(|id| take(slots, id)).collect(),
            }),
            NodeKind::TypeFunction(function, operand, type_name) => expr(ExprKind::TypeFunction {
                function,
                operand: (operand != NO_NODE).then(|| Box::new(take(slots, operand))),
                type_name: text(type_name),
            }),
            NodeKind::Item(_) => Built::Taken,
            NodeKind::Property(t) => segment(SegmentKind::Property(text(t)), span),
            NodeKind::TypeCast(t) => segment(SegmentKind::TypeCast(text(t)), span),
            NodeKind::It => segment(SegmentKind::It, span),
            NodeKind::This => segment(SegmentKind::This, span),
            NodeKind::FunctionCall(name, run) => segment(
                SegmentKind::FunctionCall {
                    name: text(name),
                    args: self.items(run).map(|id| take(slots, id)).collect(),
                },
                span,
            ),
            NodeKind::Lambda(kind, variable, body) => segment(
                SegmentKind::Lambda(Lambda {
                    kind,
                    predicate: (body != NO_NODE).then(|| LambdaPredicate {
                        variable: text(variable),
                        body: Box::new(take(slots, body)),
                    }),
                }),
                span,
            ),
        }
    }
}

/// The finished tree of expression node `id`, moved out of its slot.
fn take(slots: &mut [Built], id: NodeId) -> FilterExpr {
    match std::mem::replace(&mut slots[id as usize], Built::Taken) {
        Built::Expr(expr) => expr,
        other => unreachable!("node {id} is {other:?}, not an expression"),
    }
}

fn segment(kind: SegmentKind, span: Span) -> Built {
    Built::Segment(Segment { kind, span })
}

/// A node's owned form while [`Tree::to_expr`] assembles the tree.
#[derive(Debug)]
enum Built {
    Expr(FilterExpr),
    Segment(Segment),
    /// Moved into its parent (or an item, which stands for another node).
    Taken,
}
