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
//! ([`ExprRef`] and its [`ExprRefKind`]) that have the shapes of
//! [`ExprKind`]; [`FilterExpr::to_expr`] converts to the owned, editable
//! [`Expr`].
//!
//! Layout invariant: a node's children are pushed before the node, so every
//! child index is smaller than its parent's. Lists, call arguments and path
//! segments are runs of consecutive nodes (list and argument runs hold
//! items that point at their subtrees), pushed after those subtrees. The
//! parser's scratch stack is what lets a run be consecutive although its
//! elements' subtrees are read between them.

use chrono::{NaiveDate, NaiveTime};
use uuid::Uuid;

use super::ast::{
    BinaryOp, DateTimeOffset, EnumLiteral, Expr, ExprKind, Function, Lambda, LambdaKind,
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

impl Node {
    /// The node an [`NodeKind::Item`] stands for.
    pub(crate) fn item(&self) -> NodeId {
        match self.kind {
            NodeKind::Item(id) => id,
            other => unreachable!("{other:?} is not an item"),
        }
    }
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
    /// An empty tree whose text starts as `source`, with room for the
    /// nodes of most expressions that long: the corpus averages a node per
    /// 5 to 15 bytes, and growing by doubling from a few nodes would cost a
    /// reallocation per doubling.
    #[inline]
    pub(crate) fn for_source(source: &str) -> Tree {
        Tree {
            nodes: Vec::with_capacity((source.len() / 4 + 4).min(4096)),
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

    /// `left op right`, spanning both operands.
    pub(crate) fn binary(&mut self, op: BinaryOp, left: NodeId, right: NodeId) -> NodeId {
        let span = self.span(left).to(self.span(right));
        self.push(NodeKind::BinaryOp(op, left, right), span.start, span.end)
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

    fn items(&self, run: Run) -> impl ExactSizeIterator<Item = NodeId> + DoubleEndedIterator + '_ {
        let nodes = &self.nodes[run.first as usize..(run.first + run.len) as usize];
        nodes.iter().map(Node::item)
    }

    /// The owned tree rooted at `root`, built from the nodes `first..=root`,
    /// which must hold all of its nodes (from the start of the tree, they
    /// always do). Nodes are visited in index order, which puts every child
    /// before its parent, so no recursion is needed however deep the tree:
    /// each node takes its children's finished trees out of their slots.
    pub(crate) fn to_expr(&self, first: NodeId, root: NodeId) -> Expr {
        let mut slots = Slots {
            first,
            built: Vec::with_capacity((root - first) as usize + 1),
        };
        for id in first..=root {
            let built = self.build(id, &mut slots);
            slots.built.push(built);
        }
        match slots.built.pop() {
            Some(Built::Expr(expr)) => expr,
            _ => unreachable!("node {root} is not an expression"),
        }
    }

    fn build(&self, id: NodeId, slots: &mut Slots) -> Built {
        let node = self.nodes[id as usize];
        let span = self.span(id);
        let expr = |kind: ExprKind| Built::Expr(Expr::new(kind, span));
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
                    match slots.take(index) {
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

/// The nodes [`Tree::to_expr`] has built so far, from node `first` on.
struct Slots {
    first: NodeId,
    built: Vec<Built>,
}

impl Slots {
    fn take(&mut self, id: NodeId) -> Built {
        std::mem::replace(&mut self.built[(id - self.first) as usize], Built::Taken)
    }
}

/// The finished tree of expression node `id`, moved out of its slot.
fn take(slots: &mut Slots, id: NodeId) -> Expr {
    match slots.take(id) {
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
    Expr(Expr),
    Segment(Segment),
    /// Moved into its parent (or an item, which stands for another node).
    Taken,
}

/// A parsed `$filter` (or `$orderby` key) expression in its flat form: what
/// the parser returns and validation, rendering and evaluation read.
///
/// Read it through [`FilterExpr::root`], a borrowed view whose
/// [`ExprRef::kind`] has the shapes of [`ExprKind`]. [`FilterExpr::to_expr`]
/// gives the owned, editable [`Expr`], and [`FilterExpr::from_expr`]
/// goes back. Equality compares what the trees say, not their spans.
///
/// ```
/// use defender_odata::parse_filter;
/// use defender_odata::syntax::tree::{ExprRefKind, LiteralRef};
///
/// let filter = parse_filter("status eq 'O''Neil'").unwrap();
/// let ExprRefKind::Binary { operands: [_, value], .. } = filter.root().kind() else {
///     panic!("a comparison");
/// };
/// assert_eq!(value.literal(), Some(LiteralRef::String("O'Neil")));
/// assert_eq!(value.span().as_pair(), [10, 19]);
/// assert_eq!(filter.to_string(), "status eq 'O''Neil'");
/// ```
#[derive(Clone, Debug)]
pub struct FilterExpr {
    tree: Tree,
    root: NodeId,
}

impl FilterExpr {
    pub(crate) fn new(tree: Tree, root: NodeId) -> FilterExpr {
        FilterExpr { tree, root }
    }

    /// The root expression.
    pub fn root(&self) -> ExprRef<'_> {
        ExprRef {
            tree: &self.tree,
            id: self.root,
        }
    }

    /// The owned tree. Built in node order, children before parents, so it
    /// needs no recursion however deep the tree.
    pub fn to_expr(&self) -> Expr {
        self.tree.to_expr(0, self.root)
    }

    /// The flat form of `expr`.
    pub fn from_expr(expr: &Expr) -> FilterExpr {
        let mut tree = Tree::default();
        let root = tree.push_expr(expr);
        FilterExpr { tree, root }
    }

    /// Respells the name of the property or type-cast segment `segment`
    /// (validation gives names the schema's spelling). Take the id with
    /// [`SegmentRef::id`] while reading, and rename after. Returns whether
    /// `segment` named such a segment of this tree; an id from another tree
    /// may name anything here, so it is checked rather than trusted.
    pub fn rename(&mut self, segment: SegmentId, name: &str) -> bool {
        let Some(node) = self.tree.nodes.get(segment.0 as usize) else {
            return false;
        };
        if !matches!(node.kind, NodeKind::Property(_) | NodeKind::TypeCast(_)) {
            return false;
        }
        let text = self.tree.append_text(name);
        if let NodeKind::Property(old) | NodeKind::TypeCast(old) =
            &mut self.tree.nodes[segment.0 as usize].kind
        {
            *old = text;
        }
        true
    }
}

impl PartialEq for FilterExpr {
    fn eq(&self, other: &FilterExpr) -> bool {
        self.to_expr() == other.to_expr()
    }
}

impl From<&Expr> for FilterExpr {
    fn from(expr: &Expr) -> FilterExpr {
        FilterExpr::from_expr(expr)
    }
}

impl Tree {
    /// Pushes `expr`'s nodes, children first, without recursing along the
    /// left spine of operator chains (the parser's trees nest only there
    /// beyond `Limits::max_depth`). Returns the root's index.
    fn push_expr(&mut self, expr: &Expr) -> NodeId {
        let mut spine = Vec::new();
        let mut node = expr;
        while let ExprKind::Binary { op, operands } = &node.kind {
            spine.push((*op, node.span, &operands[1]));
            node = &operands[0];
        }
        let mut acc = self.push_leaf(node);
        while let Some((op, span, right)) = spine.pop() {
            let right = self.push_expr(right);
            acc = self.push(NodeKind::BinaryOp(op, acc, right), span.start, span.end);
        }
        acc
    }

    /// Pushes a node that is not a binary operator, and its children.
    fn push_leaf(&mut self, expr: &Expr) -> NodeId {
        let span = expr.span;
        let kind = match &expr.kind {
            ExprKind::Literal(literal) => self.literal_kind(literal),
            ExprKind::Path(path) => {
                let segments: Vec<Node> = path
                    .segments
                    .iter()
                    .map(|segment| {
                        let kind = match &segment.kind {
                            SegmentKind::Property(name) => {
                                NodeKind::Property(self.append_text(name))
                            }
                            SegmentKind::TypeCast(name) => {
                                NodeKind::TypeCast(self.append_text(name))
                            }
                            SegmentKind::It => NodeKind::It,
                            SegmentKind::This => NodeKind::This,
                            SegmentKind::FunctionCall { name, args } => {
                                let name = self.append_text(name);
                                NodeKind::FunctionCall(name, self.push_items(args))
                            }
                            SegmentKind::Lambda(lambda) => match &lambda.predicate {
                                None => {
                                    NodeKind::Lambda(lambda.kind, Tree::source_text(0, 0), NO_NODE)
                                }
                                Some(predicate) => {
                                    let variable = self.append_text(&predicate.variable);
                                    let body = self.push_expr(&predicate.body);
                                    NodeKind::Lambda(lambda.kind, variable, body)
                                }
                            },
                        };
                        Node {
                            kind,
                            start: segment.span.start as u32,
                            end: segment.span.end as u32,
                        }
                    })
                    .collect();
                let first = self.nodes.len() as NodeId;
                let len = segments.len() as u32;
                self.nodes.extend(segments);
                NodeKind::Path(Run { first, len })
            }
            ExprKind::Unary { op, operand } => NodeKind::Unary(*op, self.push_expr(operand)),
            ExprKind::Binary { op, operands } => {
                let left = self.push_expr(&operands[0]);
                let right = self.push_expr(&operands[1]);
                NodeKind::BinaryOp(*op, left, right)
            }
            ExprKind::List(items) => NodeKind::List(self.push_items(items)),
            ExprKind::Call { function, args } => NodeKind::Call(*function, self.push_items(args)),
            ExprKind::TypeFunction {
                function,
                operand,
                type_name,
            } => {
                let operand = operand.as_deref().map_or(NO_NODE, |o| self.push_expr(o));
                NodeKind::TypeFunction(*function, operand, self.append_text(type_name))
            }
        };
        self.push(kind, span.start, span.end)
    }

    fn push_items(&mut self, items: &[Expr]) -> Run {
        let ids: Vec<NodeId> = items.iter().map(|item| self.push_expr(item)).collect();
        let first = self.nodes.len() as NodeId;
        for id in &ids {
            let span = self.span(*id);
            self.push(NodeKind::Item(*id), span.start, span.end);
        }
        Run {
            first,
            len: ids.len() as u32,
        }
    }

    /// The node of `literal`, its texts appended.
    pub(crate) fn literal_kind(&mut self, literal: &Literal) -> NodeKind {
        match literal {
            Literal::Null => NodeKind::Null,
            Literal::Boolean(b) => NodeKind::Boolean(*b),
            Literal::Int(i) => NodeKind::Int(*i),
            Literal::Decimal(t) => NodeKind::Decimal(self.append_text(t)),
            Literal::Double(t) => NodeKind::Double(self.append_text(t)),
            Literal::Special(s) => NodeKind::Special(*s),
            Literal::String(t) => NodeKind::String(self.append_text(t)),
            Literal::Guid(g) => NodeKind::Guid(*g),
            Literal::DateTimeOffset(d) => NodeKind::DateTimeOffset(*d),
            Literal::Date(d) => NodeKind::Date(*d),
            Literal::TimeOfDay(t) => NodeKind::TimeOfDay(*t),
            Literal::Duration(t) => NodeKind::Duration(self.append_text(t)),
            Literal::Binary(t) => NodeKind::Binary(self.append_text(t)),
            Literal::Enum(e) => NodeKind::Enum {
                type_name: self.append_text(&e.type_name),
                value: self.append_text(&e.value),
            },
        }
    }
}

/// A borrowed view of one expression node of a [`FilterExpr`]: cheap to copy,
/// read with [`ExprRef::kind`].
#[derive(Clone, Copy)]
pub struct ExprRef<'a> {
    tree: &'a Tree,
    id: NodeId,
}

impl std::fmt::Debug for ExprRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExprRef")
            .field("kind", &self.kind())
            .field("span", &self.span())
            .finish()
    }
}

impl<'a> ExprRef<'a> {
    /// Where the node is in the decoded option value.
    pub fn span(self) -> Span {
        self.tree.span(self.id)
    }

    /// What the node is, with views of its children.
    pub fn kind(self) -> ExprRefKind<'a> {
        let tree = self.tree;
        let expr = |id| ExprRef { tree, id };
        let literal = ExprRefKind::Literal;
        match self.tree.nodes[self.id as usize].kind {
            NodeKind::Null => literal(LiteralRef::Null),
            NodeKind::Boolean(b) => literal(LiteralRef::Boolean(b)),
            NodeKind::Int(i) => literal(LiteralRef::Int(i)),
            NodeKind::Decimal(t) => literal(LiteralRef::Decimal(tree.str(t))),
            NodeKind::Double(t) => literal(LiteralRef::Double(tree.str(t))),
            NodeKind::Special(s) => literal(LiteralRef::Special(s)),
            NodeKind::String(t) => literal(LiteralRef::String(tree.str(t))),
            NodeKind::Guid(g) => literal(LiteralRef::Guid(g)),
            NodeKind::DateTimeOffset(d) => literal(LiteralRef::DateTimeOffset(d)),
            NodeKind::Date(d) => literal(LiteralRef::Date(d)),
            NodeKind::TimeOfDay(t) => literal(LiteralRef::TimeOfDay(t)),
            NodeKind::Duration(t) => literal(LiteralRef::Duration(tree.str(t))),
            NodeKind::Binary(t) => literal(LiteralRef::Binary(tree.str(t))),
            NodeKind::Enum { type_name, value } => literal(LiteralRef::Enum {
                type_name: tree.str(type_name),
                value: tree.str(value),
            }),
            NodeKind::Path(run) => ExprRefKind::Path(PathRef { tree, run }),
            NodeKind::Unary(op, operand) => ExprRefKind::Unary {
                op,
                operand: expr(operand),
            },
            NodeKind::BinaryOp(op, left, right) => ExprRefKind::Binary {
                op,
                operands: [expr(left), expr(right)],
            },
            NodeKind::List(run) => ExprRefKind::List(ExprRefs { tree, run }),
            NodeKind::Call(function, run) => ExprRefKind::Call {
                function,
                args: ExprRefs { tree, run },
            },
            NodeKind::TypeFunction(function, operand, type_name) => ExprRefKind::TypeFunction {
                function,
                operand: (operand != NO_NODE).then(|| expr(operand)),
                type_name: tree.str(type_name),
            },
            other => unreachable!("node {} is {other:?}, not an expression", self.id),
        }
    }

    /// The literal, when the node is one.
    pub fn literal(self) -> Option<LiteralRef<'a>> {
        match self.kind() {
            ExprRefKind::Literal(literal) => Some(literal),
            _ => None,
        }
    }

    /// The owned copy of this subtree. It is built as [`FilterExpr::to_expr`]
    /// builds the whole tree, from the first node up to this one, so on a
    /// subtree it costs as much as the nodes parsed before it.
    pub fn to_expr(self) -> Expr {
        self.tree.to_expr(0, self.id)
    }
}

/// The kinds of expression nodes, as views: the shapes of [`ExprKind`].
#[derive(Clone, Copy, Debug)]
pub enum ExprRefKind<'a> {
    /// A literal value.
    Literal(LiteralRef<'a>),
    /// A member path.
    Path(PathRef<'a>),
    /// `not x` or `-x`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// Its operand.
        operand: ExprRef<'a>,
    },
    /// `left op right`; `and`/`or` chains are left-nested.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// `[left, right]`.
        operands: [ExprRef<'a>; 2],
    },
    /// A parenthesized list, the right operand of `in`.
    List(ExprRefs<'a>),
    /// A call of a built-in function.
    Call {
        /// Which built-in.
        function: Function,
        /// Its arguments.
        args: ExprRefs<'a>,
    },
    /// `cast(x,T)`, `isof(T)`.
    TypeFunction {
        /// `cast` or `isof`.
        function: TypeFunction,
        /// The optional expression operand.
        operand: Option<ExprRef<'a>>,
        /// The target type.
        type_name: &'a str,
    },
}

/// A literal as a view: [`Literal`] with borrowed text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LiteralRef<'a> {
    /// `null`.
    Null,
    /// `true` / `false`.
    Boolean(bool),
    /// An integer that fits an `i64`.
    Int(i64),
    /// A decimal number, as written but for a leading `+`.
    Decimal(&'a str),
    /// A number with an exponent.
    Double(&'a str),
    /// `INF`, `-INF` or `NaN`.
    Special(SpecialFloat),
    /// A string, unescaped.
    String(&'a str),
    /// A GUID.
    Guid(Uuid),
    /// A date-time with its offset.
    DateTimeOffset(DateTimeOffset),
    /// A date.
    Date(NaiveDate),
    /// A time of day.
    TimeOfDay(NaiveTime),
    /// The ISO 8601 text of `duration'…'`.
    Duration(&'a str),
    /// The base64url text of `binary'…'`.
    Binary(&'a str),
    /// `Ns.Type'Value'`.
    Enum {
        /// The qualified type name.
        type_name: &'a str,
        /// The value inside the quotes.
        value: &'a str,
    },
}

impl LiteralRef<'_> {
    /// The owned literal.
    pub fn to_owned(self) -> Literal {
        match self {
            LiteralRef::Null => Literal::Null,
            LiteralRef::Boolean(b) => Literal::Boolean(b),
            LiteralRef::Int(i) => Literal::Int(i),
            LiteralRef::Decimal(t) => Literal::Decimal(t.into()),
            LiteralRef::Double(t) => Literal::Double(t.into()),
            LiteralRef::Special(s) => Literal::Special(s),
            LiteralRef::String(t) => Literal::String(t.into()),
            LiteralRef::Guid(g) => Literal::Guid(g),
            LiteralRef::DateTimeOffset(d) => Literal::DateTimeOffset(d),
            LiteralRef::Date(d) => Literal::Date(d),
            LiteralRef::TimeOfDay(t) => Literal::TimeOfDay(t),
            LiteralRef::Duration(t) => Literal::Duration(t.into()),
            LiteralRef::Binary(t) => Literal::Binary(t.into()),
            LiteralRef::Enum { type_name, value } => Literal::Enum(Box::new(EnumLiteral {
                type_name: type_name.into(),
                value: value.into(),
            })),
        }
    }
}

impl Literal {
    /// The literal as a view.
    pub fn as_ref(&self) -> LiteralRef<'_> {
        match self {
            Literal::Null => LiteralRef::Null,
            Literal::Boolean(b) => LiteralRef::Boolean(*b),
            Literal::Int(i) => LiteralRef::Int(*i),
            Literal::Decimal(t) => LiteralRef::Decimal(t),
            Literal::Double(t) => LiteralRef::Double(t),
            Literal::Special(s) => LiteralRef::Special(*s),
            Literal::String(t) => LiteralRef::String(t),
            Literal::Guid(g) => LiteralRef::Guid(*g),
            Literal::DateTimeOffset(d) => LiteralRef::DateTimeOffset(*d),
            Literal::Date(d) => LiteralRef::Date(*d),
            Literal::TimeOfDay(t) => LiteralRef::TimeOfDay(*t),
            Literal::Duration(t) => LiteralRef::Duration(t),
            Literal::Binary(t) => LiteralRef::Binary(t),
            Literal::Enum(e) => LiteralRef::Enum {
                type_name: &e.type_name,
                value: &e.value,
            },
        }
    }
}

/// The elements of a list or the arguments of a call, as views.
#[derive(Clone, Copy)]
pub struct ExprRefs<'a> {
    tree: &'a Tree,
    run: Run,
}

impl std::fmt::Debug for ExprRefs<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> ExprRefs<'a> {
    /// How many.
    pub fn len(self) -> usize {
        self.run.len as usize
    }

    /// Whether there are none.
    pub fn is_empty(self) -> bool {
        self.run.len == 0
    }

    /// The `index`th, if there is one.
    pub fn get(self, index: usize) -> Option<ExprRef<'a>> {
        (index < self.len()).then(|| ExprRef {
            tree: self.tree,
            id: self.tree.nodes[self.run.first as usize + index].item(),
        })
    }

    /// In order.
    pub fn iter(self) -> impl ExactSizeIterator<Item = ExprRef<'a>> + DoubleEndedIterator + 'a {
        let tree = self.tree;
        tree.items(self.run).map(move |id| ExprRef { tree, id })
    }
}

/// A member path, as a view.
#[derive(Clone, Copy)]
pub struct PathRef<'a> {
    tree: &'a Tree,
    run: Run,
}

impl std::fmt::Debug for PathRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.segments()).finish()
    }
}

impl<'a> PathRef<'a> {
    /// How many segments (never zero).
    pub fn len(self) -> usize {
        self.run.len as usize
    }

    /// Always `false`: a path has at least one segment.
    pub fn is_empty(self) -> bool {
        self.run.len == 0
    }

    /// The `index`th segment, if there is one.
    pub fn get(self, index: usize) -> Option<SegmentRef<'a>> {
        (index < self.len()).then(|| SegmentRef {
            tree: self.tree,
            id: self.run.first + index as u32,
        })
    }

    /// The segments, in order.
    pub fn segments(
        self,
    ) -> impl ExactSizeIterator<Item = SegmentRef<'a>> + DoubleEndedIterator + 'a {
        let tree = self.tree;
        (self.run.first..self.run.first + self.run.len).map(move |id| SegmentRef { tree, id })
    }

    /// The owned path.
    pub fn to_path(self) -> MemberPath {
        MemberPath {
            segments: self.segments().map(SegmentRef::to_segment).collect(),
        }
    }
}

/// One segment of a path, as a view.
#[derive(Clone, Copy)]
pub struct SegmentRef<'a> {
    tree: &'a Tree,
    id: NodeId,
}

impl std::fmt::Debug for SegmentRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentRef")
            .field("kind", &self.kind())
            .field("span", &self.span())
            .finish()
    }
}

/// Names a segment of one [`FilterExpr`] without borrowing it, for
/// [`FilterExpr::rename`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SegmentId(NodeId);

impl<'a> SegmentRef<'a> {
    /// This segment's id, to rename it once the tree is no longer borrowed.
    pub fn id(self) -> SegmentId {
        SegmentId(self.id)
    }

    /// Where the segment is.
    pub fn span(self) -> Span {
        self.tree.span(self.id)
    }

    /// What the segment is.
    pub fn kind(self) -> SegmentRefKind<'a> {
        let tree = self.tree;
        match tree.nodes[self.id as usize].kind {
            NodeKind::Property(t) => SegmentRefKind::Property(tree.str(t)),
            NodeKind::TypeCast(t) => SegmentRefKind::TypeCast(tree.str(t)),
            NodeKind::It => SegmentRefKind::It,
            NodeKind::This => SegmentRefKind::This,
            NodeKind::FunctionCall(name, run) => SegmentRefKind::FunctionCall {
                name: tree.str(name),
                args: ExprRefs { tree, run },
            },
            NodeKind::Lambda(kind, variable, body) => SegmentRefKind::Lambda {
                kind,
                predicate: (body != NO_NODE).then(|| LambdaRef {
                    variable: tree.str(variable),
                    body: ExprRef { tree, id: body },
                }),
            },
            other => unreachable!("node {} is {other:?}, not a segment", self.id),
        }
    }

    /// The owned segment.
    pub fn to_segment(self) -> Segment {
        let kind = match self.kind() {
            SegmentRefKind::Property(name) => SegmentKind::Property(name.into()),
            SegmentRefKind::TypeCast(name) => SegmentKind::TypeCast(name.into()),
            SegmentRefKind::It => SegmentKind::It,
            SegmentRefKind::This => SegmentKind::This,
            SegmentRefKind::FunctionCall { name, args } => SegmentKind::FunctionCall {
                name: name.into(),
                args: args.iter().map(ExprRef::to_expr).collect(),
            },
            SegmentRefKind::Lambda { kind, predicate } => SegmentKind::Lambda(Lambda {
                kind,
                predicate: predicate.map(|p| LambdaPredicate {
                    variable: p.variable.into(),
                    body: Box::new(p.body.to_expr()),
                }),
            }),
        };
        Segment {
            kind,
            span: self.span(),
        }
    }
}

/// The kinds of path segments, as views: the shapes of [`SegmentKind`].
#[derive(Clone, Copy, Debug)]
pub enum SegmentRefKind<'a> {
    /// A property or lambda-variable name, spelled as given.
    Property(&'a str),
    /// A type cast to a qualified type.
    TypeCast(&'a str),
    /// `$it`.
    It,
    /// `$this`.
    This,
    /// A bound or qualified function call.
    FunctionCall {
        /// The function's name as given.
        name: &'a str,
        /// Its arguments.
        args: ExprRefs<'a>,
    },
    /// `any(…)` / `all(…)`.
    Lambda {
        /// `any` or `all`.
        kind: LambdaKind,
        /// The variable and body; `None` only for `any()`.
        predicate: Option<LambdaRef<'a>>,
    },
}

/// `x: body` of a lambda, as a view.
#[derive(Clone, Copy, Debug)]
pub struct LambdaRef<'a> {
    /// The range variable's name.
    pub variable: &'a str,
    /// The Boolean body.
    pub body: ExprRef<'a>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::filter::{parse_filter, parse_orderby};
    use crate::syntax::options::{Limits, ParseOptions};

    fn parsed(text: &str) -> FilterExpr {
        parse_filter(text, &ParseOptions::default()).unwrap_or_else(|d| panic!("{text}: {d}"))
    }

    /// Every view agrees with the owned tree at its node: the views of a
    /// filter holding every node kind, walked down to the leaves, convert
    /// to the same subtrees that `to_expr` builds from the root.
    #[test]
    fn views_have_the_shapes_of_the_owned_tree() {
        let filter = parsed(
            "not (-x/Ns.T/f(1, 'a''b') add 2.5e0 gt 3) and cast(y, Edm.String) in ('c', 'd') \
             or Items/any(i: i/Price ge duration'P1D') and $it/z eq null and isof(Ns.T) \
             and contains(tolower(w), 'e') and v eq Ns.Color'Red' and u eq 2018-12-04T12:43:57Z",
        );
        let mut pending = vec![(filter.root(), filter.to_expr())];
        let mut seen = 0;
        while let Some((view, owned)) = pending.pop() {
            seen += 1;
            assert_eq!(view.to_expr(), owned);
            assert_eq!(view.span(), owned.span);
            match (view.kind(), owned.kind) {
                (ExprRefKind::Literal(l), ExprKind::Literal(o)) => {
                    assert_eq!(l.to_owned(), o);
                    assert_eq!(o.as_ref(), l);
                }
                (ExprRefKind::Path(p), ExprKind::Path(o)) => {
                    assert_eq!(p.to_path(), o);
                    assert_eq!(p.len(), o.segments.len());
                    assert!(p.get(p.len()).is_none());
                    for (segment, owned) in p.segments().zip(o.segments) {
                        assert_eq!(segment.to_segment(), owned);
                        match (segment.kind(), owned.kind) {
                            (
                                SegmentRefKind::FunctionCall { args, .. },
                                SegmentKind::FunctionCall { args: o, .. },
                            ) => {
                                pending.extend(args.iter().zip(o));
                            }
                            (
                                SegmentRefKind::Lambda {
                                    predicate: Some(p), ..
                                },
                                SegmentKind::Lambda(o),
                            ) => {
                                pending.push((p.body, *o.predicate.unwrap().body));
                            }
                            _ => {}
                        }
                    }
                }
                (ExprRefKind::Unary { operand, .. }, ExprKind::Unary { operand: o, .. }) => {
                    pending.push((operand, *o));
                }
                (ExprRefKind::Binary { operands, .. }, ExprKind::Binary { operands: o, .. }) => {
                    pending.extend(operands.into_iter().zip(*o));
                }
                (ExprRefKind::List(items), ExprKind::List(o))
                | (ExprRefKind::Call { args: items, .. }, ExprKind::Call { args: o, .. }) => {
                    assert_eq!(items.len(), o.len());
                    assert!(items.get(items.len()).is_none());
                    pending.extend(items.iter().zip(o));
                }
                (
                    ExprRefKind::TypeFunction {
                        operand, type_name, ..
                    },
                    ExprKind::TypeFunction {
                        operand: o,
                        type_name: t,
                        ..
                    },
                ) => {
                    assert_eq!(type_name, t.as_str());
                    pending.extend(operand.zip(o.map(|o| *o)));
                }
                (view, owned) => panic!("{view:?} is not {owned:?}"),
            }
        }
        assert_eq!(seen, 40, "the walk reaches every expression node");
    }

    #[test]
    fn strings_with_doubled_quotes_read_unescaped_and_keep_their_spans() {
        let filter = parsed("a eq 'O''Neil' and b eq 'plain'");
        let ExprRefKind::Binary {
            operands: [left, right],
            ..
        } = filter.root().kind()
        else {
            panic!("not a chain");
        };
        for (comparison, value, span) in [(left, "O'Neil", (5, 14)), (right, "plain", (24, 31))] {
            let ExprRefKind::Binary {
                operands: [_, literal],
                ..
            } = comparison.kind()
            else {
                panic!("not a comparison");
            };
            assert_eq!(literal.literal(), Some(LiteralRef::String(value)));
            assert_eq!(literal.span().as_pair(), [span.0, span.1]);
        }
    }

    #[test]
    fn rename_respells_names_of_this_tree_only() {
        let mut filter = parsed("Status eq 'x' and Ns.f(1) eq 2");
        let ExprRefKind::Binary {
            operands: [left, right],
            ..
        } = filter.root().kind()
        else {
            panic!("not a chain");
        };
        let segment_of = |e: ExprRef<'_>| {
            let ExprRefKind::Binary {
                operands: [path, _],
                ..
            } = e.kind()
            else {
                panic!("not a comparison");
            };
            let ExprRefKind::Path(p) = path.kind() else {
                panic!("not a path");
            };
            p.get(0).unwrap().id()
        };
        let (status, call) = (segment_of(left), segment_of(right));
        assert!(filter.rename(status, "status"));
        assert!(
            !filter.rename(call, "g"),
            "a function call has no name to respell"
        );
        assert!(!filter.rename(SegmentId(NodeId::MAX - 1), "x"));
        assert_eq!(filter.to_string(), "status eq 'x' and Ns.f(1) eq 2");
    }

    /// Each `$orderby` key is a tree of its own size, with its spans in the
    /// whole value. (Each key once held a clone of the whole `$orderby`
    /// tree, quadratic in the number of keys.)
    #[test]
    fn each_orderby_key_holds_only_its_own_nodes() {
        let value = vec!["name"; 300].join(",");
        let keys = parse_orderby(&value, &ParseOptions::default()).unwrap();
        assert_eq!(keys.len(), 300);
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(key.expr.tree.nodes.len(), 2, "a path and its segment");
            assert_eq!(key.expr.tree.text, "name");
            assert_eq!(key.expr.root().span().as_pair(), [i * 5, i * 5 + 4]);
        }
    }

    /// Cloning, comparing spans and dropping a parsed chain walk no tree: a
    /// 100,000-term chain does all three on a 64 KiB stack.
    #[test]
    fn a_long_chain_clones_and_drops_on_a_small_stack() {
        let text = vec!["a eq 1"; 100_000].join(" or ");
        let options = ParseOptions {
            limits: Limits {
                max_value_len: usize::MAX,
                max_nodes: usize::MAX,
                ..Limits::default()
            },
            ..ParseOptions::default()
        };
        let filter = parse_filter(&text, &options).unwrap();
        let copy = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                let copy = filter.clone();
                assert_eq!(copy.root().span(), filter.root().span());
                drop(filter);
                copy.root().span()
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(copy.as_pair(), [0, text.len()]);
    }
}
