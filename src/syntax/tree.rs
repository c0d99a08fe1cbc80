//! The expression tree: what the parser builds and every later stage reads.
//!
//! Owns: [`Expr`], the one form of a parsed (or built) expression, and its
//! borrowed views ([`ExprRef`] and the kinds it answers with). Every node
//! is a small `Copy` value in one `Vec`, children named by index, names and
//! string values kept as byte ranges into one owned text. A parse then costs
//! two allocations (the nodes and the text) whatever the expression's size;
//! dropping, cloning, comparing or copying a tree walks it with an explicit
//! stack, so no depth of nesting can overflow the call stack there.
//!
//! Must not know about: grammar (the parser in `filter` decides what to
//! push), schemas, rendering or evaluation.
//!
//! Layout invariant: a node's children are pushed before the node, so every
//! child index is smaller than its parent's. Lists, call arguments and path
//! segments are runs of consecutive nodes (list and argument runs hold
//! items that point at their subtrees), pushed after those subtrees. The
//! parser's scratch stack is what lets a run be consecutive although its
//! elements' subtrees are read between them; [`Tree::copy`] keeps the same
//! order when it copies a subtree.

use chrono::{NaiveDate, NaiveTime, Timelike};
use uuid::Uuid;

use super::ast::{
    BinaryOp, DateTimeOffset, Function, LambdaKind, Span, SpecialFloat, TypeFunction, UnaryOp,
};

/// A node's index in its tree.
pub(crate) type NodeId = u32;

/// The last nanosecond of a second: where a leap second is folded to.
const LAST_NANOSECOND: u32 = 999_999_999;

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

/// The nodes and text of one or more expressions (a parsed `$filter` has
/// one root, a parsed `$orderby` one per item until each is cut out).
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

    /// Copies the subtree of `source` rooted at `root` into this tree, and
    /// returns the copy's root. Only the nodes the root reaches are copied,
    /// children before parents and runs kept consecutive; texts are
    /// appended; spans are kept. One mechanism for joining trees (the
    /// constructors), cutting a key out of a parsed `$orderby`, and
    /// [`ExprRef::to_expr`]. A work stack stands in for recursion.
    pub(crate) fn copy(&mut self, source: &Tree, root: NodeId) -> NodeId {
        /// A node to enter (queue its children) or to leave (push its copy).
        enum Step {
            Enter(NodeId),
            Leave(NodeId),
        }
        let mut copied: Vec<NodeId> = vec![NO_NODE; root as usize + 1];
        let mut steps = vec![Step::Enter(root)];
        while let Some(step) = steps.pop() {
            match step {
                Step::Enter(id) => {
                    steps.push(Step::Leave(id));
                    // Children are entered first to last, as the parser reads them.
                    let queued = steps.len();
                    source.for_each_child(id, |child| steps.push(Step::Enter(child)));
                    steps[queued..].reverse();
                }
                Step::Leave(id) => {
                    let copy = self.copy_node(source, id, &copied);
                    copied[id as usize] = copy;
                }
            }
        }
        copied[root as usize]
    }

    /// Calls `f` with every expression that node `id` holds: operands,
    /// list items and arguments, and the arguments and lambda bodies of a
    /// path's segments. Run nodes themselves (items, segments) are not
    /// expressions; their parent copies them.
    fn for_each_child(&self, id: NodeId, mut f: impl FnMut(NodeId)) {
        match self.nodes[id as usize].kind {
            NodeKind::Unary(_, operand) => f(operand),
            NodeKind::BinaryOp(_, left, right) => {
                f(left);
                f(right);
            }
            NodeKind::List(run) | NodeKind::Call(_, run) => self.items(run).for_each(f),
            NodeKind::TypeFunction(_, operand, _) if operand != NO_NODE => f(operand),
            NodeKind::Path(run) => {
                for segment in run.first..run.first + run.len {
                    match self.nodes[segment as usize].kind {
                        NodeKind::FunctionCall(_, args) => self.items(args).for_each(&mut f),
                        NodeKind::Lambda(_, _, body) if body != NO_NODE => f(body),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    /// Pushes the copy of `source`'s node `id`, whose expression children
    /// are already copied (`copied` maps their ids), with its runs.
    fn copy_node(&mut self, source: &Tree, id: NodeId, copied: &[NodeId]) -> NodeId {
        let node = source.nodes[id as usize];
        let map = |child: NodeId| {
            if child == NO_NODE {
                NO_NODE
            } else {
                copied[child as usize]
            }
        };
        let kind = match node.kind {
            NodeKind::Path(run) => {
                // The segments' argument runs go first, so that the segment
                // run itself is consecutive.
                let mut segments = Vec::with_capacity(run.len as usize);
                for segment in run.first..run.first + run.len {
                    let segment = source.nodes[segment as usize];
                    let kind = match segment.kind {
                        NodeKind::FunctionCall(name, args) => {
                            let args = self.copy_items(source, args, copied);
                            NodeKind::FunctionCall(self.copy_text(source, name), args)
                        }
                        other => self.copy_kind(source, other, &map),
                    };
                    segments.push(Node { kind, ..segment });
                }
                let first = self.nodes.len() as NodeId;
                self.nodes.extend(segments);
                NodeKind::Path(Run {
                    first,
                    len: run.len,
                })
            }
            NodeKind::List(run) => NodeKind::List(self.copy_items(source, run, copied)),
            NodeKind::Call(function, run) => {
                NodeKind::Call(function, self.copy_items(source, run, copied))
            }
            other => self.copy_kind(source, other, &map),
        };
        self.nodes.push(Node { kind, ..node });
        self.nodes.len() as NodeId - 1
    }

    /// A run of items standing for the copies of `source`'s items `run`.
    fn copy_items(&mut self, source: &Tree, run: Run, copied: &[NodeId]) -> Run {
        let first = self.nodes.len() as NodeId;
        for item in run.first..run.first + run.len {
            let node = source.nodes[item as usize];
            let copy = copied[node.item() as usize];
            self.nodes.push(Node {
                kind: NodeKind::Item(copy),
                ..node
            });
        }
        Run {
            first,
            len: run.len,
        }
    }

    /// A node kind without runs, its texts copied and children mapped.
    fn copy_kind(
        &mut self,
        source: &Tree,
        kind: NodeKind,
        map: &impl Fn(NodeId) -> NodeId,
    ) -> NodeKind {
        let mut text = |t: Text| self.copy_text(source, t);
        match kind {
            NodeKind::Decimal(t) => NodeKind::Decimal(text(t)),
            NodeKind::Double(t) => NodeKind::Double(text(t)),
            NodeKind::String(t) => NodeKind::String(text(t)),
            NodeKind::Duration(t) => NodeKind::Duration(text(t)),
            NodeKind::Binary(t) => NodeKind::Binary(text(t)),
            NodeKind::Enum { type_name, value } => NodeKind::Enum {
                type_name: text(type_name),
                value: text(value),
            },
            NodeKind::Unary(op, operand) => NodeKind::Unary(op, map(operand)),
            NodeKind::BinaryOp(op, left, right) => NodeKind::BinaryOp(op, map(left), map(right)),
            NodeKind::TypeFunction(function, operand, name) => {
                NodeKind::TypeFunction(function, map(operand), text(name))
            }
            NodeKind::Property(t) => NodeKind::Property(text(t)),
            NodeKind::TypeCast(t) => NodeKind::TypeCast(text(t)),
            NodeKind::Lambda(kind, variable, body) => {
                NodeKind::Lambda(kind, text(variable), map(body))
            }
            NodeKind::Path(_)
            | NodeKind::List(_)
            | NodeKind::Call(..)
            | NodeKind::Item(_)
            | NodeKind::FunctionCall(..) => {
                unreachable!("runs are copied by copy_node")
            }
            leaf => leaf,
        }
    }

    fn copy_text(&mut self, source: &Tree, text: Text) -> Text {
        self.append_text(source.str(text))
    }
}

/// A parsed or built expression: a `$filter`, an `$orderby` key, a
/// `$select` path.
///
/// Read it through [`Expr::root`], a borrowed view whose [`ExprRef::kind`]
/// says what each node is. Build one with the constructors
/// ([`Expr::property`], [`Expr::literal`], [`Expr::binary`], …), which make
/// the tree the parser makes for the same text: `Display` gives the
/// canonical form, and parsing that back gives an equal tree. Equality
/// compares what two trees say, not where their nodes came from (spans).
///
/// ```
/// use defender_odata::ast::{BinaryOp, ExprKind, Literal};
/// use defender_odata::Expr;
///
/// let filter: Expr = "status eq 'O''Neil'".parse()?;
/// let ExprKind::Binary { operands: [_, value], .. } = filter.root().kind() else {
///     panic!("a comparison");
/// };
/// assert_eq!(value.literal(), Some(Literal::String("O'Neil")));
/// assert_eq!(value.span().as_pair(), [10, 19]);
///
/// let built = Expr::binary(
///     BinaryOp::Eq,
///     Expr::property("status"),
///     Expr::literal(Literal::String("O'Neil")),
/// );
/// assert_eq!(built, filter);
/// assert_eq!(built.to_string(), "status eq 'O''Neil'");
/// # Ok::<(), defender_odata::Error>(())
/// ```
#[derive(Clone)]
pub struct Expr {
    tree: Tree,
    root: NodeId,
}

/// The canonical text and the root's span: the nodes themselves are
/// indices into one vector, which say little when printed.
impl std::fmt::Debug for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Expr")
            .field("text", &self.to_string())
            .field("span", &self.root().span())
            .finish()
    }
}

/// What [`parse_filter`](crate::parse_filter) returns: an [`Expr`] read as
/// one `$filter` value.
pub type FilterExpr = Expr;

impl Expr {
    pub(crate) fn new(tree: Tree, root: NodeId) -> Expr {
        Expr { tree, root }
    }

    /// The root expression.
    pub fn root(&self) -> ExprRef<'_> {
        ExprRef {
            tree: &self.tree,
            id: self.root,
        }
    }

    /// Respells the name of the property or type-cast segment `segment`
    /// (validation gives names the schema's spelling). Take the id with
    /// [`SegmentRef::id`] while reading, and rename after. Returns whether
    /// `segment` named such a segment of this tree; an id from another tree
    /// may name anything here, so it is checked rather than trusted.
    pub(crate) fn rename(&mut self, segment: SegmentId, name: &str) -> bool {
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

    /// The subtree of `tree` rooted at `root`, as a tree of its own.
    pub(crate) fn cut(tree: &Tree, root: NodeId) -> Expr {
        let mut own = Tree::default();
        let root = own.copy(tree, root);
        Expr::new(own, root)
    }
}

// ----- constructors ---------------------------------------------------------

/// One segment of a path, for [`Expr::path`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum PathSegment {
    /// A property or lambda-variable name: `machineId`.
    Property(String),
    /// A cast to a qualified type: `Sales.Manager`.
    TypeCast(String),
    /// `$it`: the instance the filter is applied to.
    It,
    /// `$this`: the current instance inside a lambda.
    This,
    /// A bound or qualified function call: `Model.Available()`.
    FunctionCall {
        /// The function's name, qualified or not.
        name: String,
        /// Its arguments.
        args: Vec<Expr>,
    },
    /// `any(x:body)`, `all(x:body)`, or `any()` without a predicate: the
    /// last segment of a path.
    Lambda {
        /// `any` or `all`.
        kind: LambdaKind,
        /// The range variable and the Boolean body; `None` only for `any()`.
        predicate: Option<(String, Expr)>,
    },
}

impl Expr {
    /// A literal value.
    #[must_use]
    pub fn literal(value: Literal<'_>) -> Expr {
        let mut tree = Tree::default();
        let kind = tree.literal_kind(value);
        let root = tree.push(kind, 0, 0);
        Expr::new(tree, root)
    }

    /// A path of one property: `status`.
    #[must_use]
    pub fn property(name: &str) -> Expr {
        Expr::path(PathSegment::Property(name.to_owned()), [])
    }

    /// A member path: `first`, then `rest` (`Address/City`,
    /// `Items/any(x:x/Price gt 5)`).
    #[must_use]
    pub fn path(first: PathSegment, rest: impl IntoIterator<Item = PathSegment>) -> Expr {
        let mut tree = Tree::default();
        let mut segments = Vec::new();
        for segment in std::iter::once(first).chain(rest) {
            let kind = match segment {
                PathSegment::Property(name) => NodeKind::Property(tree.append_text(&name)),
                PathSegment::TypeCast(name) => NodeKind::TypeCast(tree.append_text(&name)),
                PathSegment::It => NodeKind::It,
                PathSegment::This => NodeKind::This,
                PathSegment::FunctionCall { name, args } => {
                    let name = tree.append_text(&name);
                    NodeKind::FunctionCall(name, tree.push_items(&args))
                }
                PathSegment::Lambda { kind, predicate } => match predicate {
                    None => NodeKind::Lambda(kind, Tree::source_text(0, 0), NO_NODE),
                    Some((variable, body)) => {
                        let variable = tree.append_text(&variable);
                        let body = tree.copy(&body.tree, body.root);
                        NodeKind::Lambda(kind, variable, body)
                    }
                },
            };
            segments.push(Node {
                kind,
                start: 0,
                end: 0,
            });
        }
        let first = tree.nodes.len() as NodeId;
        let len = segments.len() as u32;
        tree.nodes.extend(segments);
        let root = tree.push(NodeKind::Path(Run { first, len }), 0, 0);
        Expr::new(tree, root)
    }

    /// `not operand` or `-operand`.
    #[must_use]
    pub fn unary(op: UnaryOp, operand: Expr) -> Expr {
        let Expr { mut tree, root } = operand;
        let root = tree.push(NodeKind::Unary(op, root), 0, 0);
        Expr::new(tree, root)
    }

    /// `left op right`, for every binary operator including `has` and `in`
    /// (whose right operand is usually an [`Expr::list`]).
    ///
    /// `and` and `or` are associative, and the canonical form writes their
    /// chains flat (`a and (b and c)` renders `a and b and c`). So that the
    /// flat text parses back to the same tree, a chain is always stored
    /// left-nested, as the parser stores it: when `right` is the same
    /// chain, `left` joins it at its first operand.
    #[must_use]
    pub fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
        let Expr {
            mut tree,
            root: left,
        } = left;
        let right = tree.copy(&right.tree, right.root);
        let chain = matches!(op, BinaryOp::And | BinaryOp::Or);
        let mut rest = Vec::new();
        let mut first = right;
        while let NodeKind::BinaryOp(inner, l, r) = tree.nodes[first as usize].kind {
            if !chain || inner != op {
                break;
            }
            rest.push(r);
            first = l;
        }
        let rehung = !rest.is_empty();
        let mut root = tree.binary(op, left, first);
        while let Some(operand) = rest.pop() {
            root = tree.binary(op, root, operand);
        }
        if rehung {
            // The right chain's own spine nodes are no longer reachable.
            return Expr::cut(&tree, root);
        }
        Expr::new(tree, root)
    }

    /// A parenthesized list `('a','b')`, the right operand of `in`.
    #[must_use]
    pub fn list(items: impl IntoIterator<Item = Expr>) -> Expr {
        let items: Vec<Expr> = items.into_iter().collect();
        let mut tree = Tree::default();
        let run = tree.push_items(&items);
        let root = tree.push(NodeKind::List(run), 0, 0);
        Expr::new(tree, root)
    }

    /// A call of a built-in function: `startswith(computerDnsName,'desktop-')`.
    /// The number of arguments is not checked here; validation checks it.
    #[must_use]
    pub fn call(function: Function, args: impl IntoIterator<Item = Expr>) -> Expr {
        let args: Vec<Expr> = args.into_iter().collect();
        let mut tree = Tree::default();
        let run = tree.push_items(&args);
        let root = tree.push(NodeKind::Call(function, run), 0, 0);
        Expr::new(tree, root)
    }

    /// `cast(operand,type_name)` or `isof(operand,type_name)`; without an
    /// operand, `cast(type_name)` of the current instance.
    #[must_use]
    pub fn type_function(function: TypeFunction, operand: Option<Expr>, type_name: &str) -> Expr {
        let mut tree = Tree::default();
        let operand = operand.map_or(NO_NODE, |o| tree.copy(&o.tree, o.root));
        let name = tree.append_text(type_name);
        let root = tree.push(NodeKind::TypeFunction(function, operand, name), 0, 0);
        Expr::new(tree, root)
    }
}

impl Tree {
    /// Copies `items` in, then a run of items standing for them.
    fn push_items(&mut self, items: &[Expr]) -> Run {
        let ids: Vec<NodeId> = items.iter().map(|e| self.copy(&e.tree, e.root)).collect();
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

    /// The node of `literal`, its texts appended. A time of day in a leap
    /// second (chrono keeps one as a nanosecond count of a billion or more)
    /// becomes the last nanosecond of second 59: a time of day has no
    /// second 60 (only a DateTimeOffset does), and a tree must render as
    /// text that reads back as the same tree.
    pub(crate) fn literal_kind(&mut self, literal: Literal<'_>) -> NodeKind {
        match literal {
            Literal::Null => NodeKind::Null,
            Literal::Boolean(b) => NodeKind::Boolean(b),
            Literal::Int(i) => NodeKind::Int(i),
            Literal::Decimal(t) => NodeKind::Decimal(self.append_text(t)),
            Literal::Double(t) => NodeKind::Double(self.append_text(t)),
            Literal::Special(s) => NodeKind::Special(s),
            Literal::String(t) => NodeKind::String(self.append_text(t)),
            Literal::Guid(g) => NodeKind::Guid(g),
            Literal::DateTimeOffset(d) => NodeKind::DateTimeOffset(d),
            Literal::Date(d) => NodeKind::Date(d),
            Literal::TimeOfDay(t) => NodeKind::TimeOfDay(
                t.with_nanosecond(t.nanosecond().min(LAST_NANOSECOND))
                    .unwrap_or(t),
            ),
            Literal::Duration(t) => NodeKind::Duration(self.append_text(t)),
            Literal::Binary(t) => NodeKind::Binary(self.append_text(t)),
            Literal::Enum { type_name, value } => NodeKind::Enum {
                type_name: self.append_text(type_name),
                value: self.append_text(value),
            },
        }
    }
}

// ----- equality -------------------------------------------------------------

impl PartialEq for Expr {
    fn eq(&self, other: &Expr) -> bool {
        self.root().same_as(other.root())
    }
}

/// A pair of nodes [`ExprRef::same_as`] still has to compare.
enum Pair<'a> {
    Exprs(ExprRef<'a>, ExprRef<'a>),
    Segments(SegmentRef<'a>, SegmentRef<'a>),
}

impl<'a> ExprRef<'a> {
    /// Whether the two subtrees say the same thing, spans aside. A stack of
    /// pairs stands in for recursion, so no depth overflows it.
    pub(crate) fn same_as(self, other: ExprRef<'a>) -> bool {
        let mut pending = vec![Pair::Exprs(self, other)];
        while let Some(pair) = pending.pop() {
            let same = match pair {
                Pair::Exprs(a, b) => same_expr(a, b, &mut pending),
                Pair::Segments(a, b) => same_segment(a, b, &mut pending),
            };
            if !same {
                return false;
            }
        }
        true
    }
}

/// Compares two nodes' own parts and queues their children.
fn same_expr<'a>(a: ExprRef<'a>, b: ExprRef<'a>, pending: &mut Vec<Pair<'a>>) -> bool {
    let mut lists = |x: ExprRefs<'a>, y: ExprRefs<'a>| {
        x.len() == y.len() && {
            pending.extend(x.iter().zip(y.iter()).map(|(x, y)| Pair::Exprs(x, y)));
            true
        }
    };
    match (a.kind(), b.kind()) {
        (ExprKind::Literal(x), ExprKind::Literal(y)) => x == y,
        (ExprKind::Path(x), ExprKind::Path(y)) => {
            x.len() == y.len() && {
                pending.extend(
                    x.segments()
                        .zip(y.segments())
                        .map(|(x, y)| Pair::Segments(x, y)),
                );
                true
            }
        }
        (
            ExprKind::Unary { op, operand },
            ExprKind::Unary {
                op: op2,
                operand: operand2,
            },
        ) => {
            pending.push(Pair::Exprs(operand, operand2));
            op == op2
        }
        (
            ExprKind::Binary { op, operands },
            ExprKind::Binary {
                op: op2,
                operands: operands2,
            },
        ) => {
            pending.push(Pair::Exprs(operands[0], operands2[0]));
            pending.push(Pair::Exprs(operands[1], operands2[1]));
            op == op2
        }
        (ExprKind::List(x), ExprKind::List(y)) => lists(x, y),
        (
            ExprKind::Call { function, args },
            ExprKind::Call {
                function: function2,
                args: args2,
            },
        ) => function == function2 && lists(args, args2),
        (
            ExprKind::TypeFunction {
                function,
                operand,
                type_name,
            },
            ExprKind::TypeFunction {
                function: function2,
                operand: operand2,
                type_name: type_name2,
            },
        ) => {
            function == function2
                && type_name == type_name2
                && match (operand, operand2) {
                    (Some(x), Some(y)) => {
                        pending.push(Pair::Exprs(x, y));
                        true
                    }
                    (None, None) => true,
                    _ => false,
                }
        }
        _ => false,
    }
}

/// Compares two path segments and queues their expressions.
fn same_segment<'a>(a: SegmentRef<'a>, b: SegmentRef<'a>, pending: &mut Vec<Pair<'a>>) -> bool {
    match (a.kind(), b.kind()) {
        (SegmentKind::Property(x), SegmentKind::Property(y))
        | (SegmentKind::TypeCast(x), SegmentKind::TypeCast(y)) => x == y,
        (SegmentKind::It, SegmentKind::It) | (SegmentKind::This, SegmentKind::This) => true,
        (
            SegmentKind::FunctionCall { name, args },
            SegmentKind::FunctionCall {
                name: name2,
                args: args2,
            },
        ) => {
            name == name2 && args.len() == args2.len() && {
                pending.extend(
                    args.iter()
                        .zip(args2.iter())
                        .map(|(x, y)| Pair::Exprs(x, y)),
                );
                true
            }
        }
        (
            SegmentKind::Lambda { kind, predicate },
            SegmentKind::Lambda {
                kind: kind2,
                predicate: predicate2,
            },
        ) => {
            kind == kind2
                && match (predicate, predicate2) {
                    (Some(x), Some(y)) => {
                        pending.push(Pair::Exprs(x.body, y.body));
                        x.variable == y.variable
                    }
                    (None, None) => true,
                    _ => false,
                }
        }
        _ => false,
    }
}

// ----- views ----------------------------------------------------------------

/// A borrowed view of one expression node of an [`Expr`]: cheap to copy,
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
    pub fn kind(self) -> ExprKind<'a> {
        let tree = self.tree;
        let expr = |id| ExprRef { tree, id };
        let literal = ExprKind::Literal;
        match self.tree.nodes[self.id as usize].kind {
            NodeKind::Null => literal(Literal::Null),
            NodeKind::Boolean(b) => literal(Literal::Boolean(b)),
            NodeKind::Int(i) => literal(Literal::Int(i)),
            NodeKind::Decimal(t) => literal(Literal::Decimal(tree.str(t))),
            NodeKind::Double(t) => literal(Literal::Double(tree.str(t))),
            NodeKind::Special(s) => literal(Literal::Special(s)),
            NodeKind::String(t) => literal(Literal::String(tree.str(t))),
            NodeKind::Guid(g) => literal(Literal::Guid(g)),
            NodeKind::DateTimeOffset(d) => literal(Literal::DateTimeOffset(d)),
            NodeKind::Date(d) => literal(Literal::Date(d)),
            NodeKind::TimeOfDay(t) => literal(Literal::TimeOfDay(t)),
            NodeKind::Duration(t) => literal(Literal::Duration(tree.str(t))),
            NodeKind::Binary(t) => literal(Literal::Binary(tree.str(t))),
            NodeKind::Enum { type_name, value } => literal(Literal::Enum {
                type_name: tree.str(type_name),
                value: tree.str(value),
            }),
            NodeKind::Path(run) => ExprKind::Path(PathRef { tree, run }),
            NodeKind::Unary(op, operand) => ExprKind::Unary {
                op,
                operand: expr(operand),
            },
            NodeKind::BinaryOp(op, left, right) => ExprKind::Binary {
                op,
                operands: [expr(left), expr(right)],
            },
            NodeKind::List(run) => ExprKind::List(ExprRefs { tree, run }),
            NodeKind::Call(function, run) => ExprKind::Call {
                function,
                args: ExprRefs { tree, run },
            },
            NodeKind::TypeFunction(function, operand, type_name) => ExprKind::TypeFunction {
                function,
                operand: (operand != NO_NODE).then(|| expr(operand)),
                type_name: tree.str(type_name),
            },
            other => unreachable!("node {} is {other:?}, not an expression", self.id),
        }
    }

    /// The literal, when the node is one.
    pub fn literal(self) -> Option<Literal<'a>> {
        match self.kind() {
            ExprKind::Literal(literal) => Some(literal),
            _ => None,
        }
    }

    /// This subtree as an expression of its own (spans kept).
    pub fn to_expr(self) -> Expr {
        Expr::cut(self.tree, self.id)
    }
}

/// What an expression node is, with views of its children.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum ExprKind<'a> {
    /// A literal value.
    Literal(Literal<'a>),
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

/// A literal value, its text borrowed from the tree.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Literal<'a> {
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

/// Names a segment of one [`Expr`] without borrowing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SegmentId(NodeId);

impl<'a> SegmentRef<'a> {
    /// This segment's id, which names it once the tree is no longer borrowed.
    pub fn id(self) -> SegmentId {
        SegmentId(self.id)
    }

    /// Where the segment is.
    pub fn span(self) -> Span {
        self.tree.span(self.id)
    }

    /// What the segment is.
    pub fn kind(self) -> SegmentKind<'a> {
        let tree = self.tree;
        match tree.nodes[self.id as usize].kind {
            NodeKind::Property(t) => SegmentKind::Property(tree.str(t)),
            NodeKind::TypeCast(t) => SegmentKind::TypeCast(tree.str(t)),
            NodeKind::It => SegmentKind::It,
            NodeKind::This => SegmentKind::This,
            NodeKind::FunctionCall(name, run) => SegmentKind::FunctionCall {
                name: tree.str(name),
                args: ExprRefs { tree, run },
            },
            NodeKind::Lambda(kind, variable, body) => SegmentKind::Lambda {
                kind,
                predicate: (body != NO_NODE).then(|| LambdaRef {
                    variable: tree.str(variable),
                    body: ExprRef { tree, id: body },
                }),
            },
            other => unreachable!("node {} is {other:?}, not a segment", self.id),
        }
    }
}

/// What a path segment is.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum SegmentKind<'a> {
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
    use crate::syntax::options::{Limits, ParseOptions};
    use crate::syntax::parser::{parse_filter, parse_orderby};

    fn parsed(text: &str) -> Expr {
        parse_filter(text, &ParseOptions::default()).unwrap_or_else(|d| panic!("{text}: {d}"))
    }

    /// A filter holding every node kind.
    const EVERY_KIND: &str =
        "not (-x/Ns.T/f(1, 'a''b') add 2.5e0 gt 3) and cast(y, Edm.String) in ('c', 'd') \
         or Items/any(i: i/Price ge duration'P1D') and $it/z eq null and isof(Ns.T) \
         and contains(tolower(w), 'e') and v eq Ns.Color'Red' and u eq 2018-12-04T12:43:57Z \
         and q/all(r: $this/s) and t/any() and 5 eq 1e10 and g eq binary'AQID' and 12:00:01 eq h \
         and 2024-01-01 ne k and m has 01234567-89ab-cdef-0123-456789abcdef and INF eq -INF";

    /// The constructors make the parser's tree for the same text: every
    /// node kind, built bottom-up, equals what parsing its text gives.
    #[test]
    fn constructors_build_what_the_parser_builds() {
        let lit = Expr::literal;
        let prop = Expr::property;
        let cmp = |op, l, r| Expr::binary(op, l, r);
        let built = Expr::binary(
            BinaryOp::Or,
            Expr::binary(
                BinaryOp::And,
                Expr::unary(
                    UnaryOp::Not,
                    cmp(
                        BinaryOp::Gt,
                        cmp(
                            BinaryOp::Add,
                            Expr::unary(
                                UnaryOp::Negate,
                                Expr::path(
                                    PathSegment::Property("x".into()),
                                    [
                                        PathSegment::TypeCast("Ns.T".into()),
                                        PathSegment::FunctionCall {
                                            name: "f".into(),
                                            args: vec![
                                                lit(Literal::Int(1)),
                                                lit(Literal::String("a'b")),
                                            ],
                                        },
                                    ],
                                ),
                            ),
                            lit(Literal::Double("2.5e0")),
                        ),
                        lit(Literal::Int(3)),
                    ),
                ),
                cmp(
                    BinaryOp::In,
                    Expr::type_function(TypeFunction::Cast, Some(prop("y")), "Edm.String"),
                    Expr::list([lit(Literal::String("c")), lit(Literal::String("d"))]),
                ),
            ),
            Expr::binary(
                BinaryOp::And,
                Expr::path(
                    PathSegment::Property("Items".into()),
                    [PathSegment::Lambda {
                        kind: LambdaKind::Any,
                        predicate: Some((
                            "i".into(),
                            cmp(
                                BinaryOp::Ge,
                                Expr::path(
                                    PathSegment::Property("i".into()),
                                    [PathSegment::Property("Price".into())],
                                ),
                                lit(Literal::Duration("P1D")),
                            ),
                        )),
                    }],
                ),
                Expr::binary(
                    BinaryOp::And,
                    cmp(
                        BinaryOp::Eq,
                        Expr::path(PathSegment::It, [PathSegment::Property("z".into())]),
                        lit(Literal::Null),
                    ),
                    Expr::binary(
                        BinaryOp::And,
                        Expr::type_function(TypeFunction::IsOf, None, "Ns.T"),
                        Expr::call(
                            Function::Contains,
                            [
                                Expr::call(Function::ToLower, [prop("w")]),
                                lit(Literal::String("e")),
                            ],
                        ),
                    ),
                ),
            ),
        );
        let text = "not (-x/Ns.T/f(1,'a''b') add 2.5e0 gt 3) and cast(y,Edm.String) in ('c','d') \
                    or Items/any(i:i/Price ge duration'P1D') and $it/z eq null and isof(Ns.T) \
                    and contains(tolower(w),'e')";
        assert_eq!(built, parsed(text));
        assert_eq!(built.to_string(), text);
    }

    /// Equality compares what trees say: spans aside, and a difference
    /// anywhere (a literal, a name, an operator, a list's length) tells.
    #[test]
    fn equality_ignores_spans_and_nothing_else() {
        assert_eq!(parsed("a  eq  1"), parsed("(a eq 1)"));
        assert_eq!(parsed(EVERY_KIND), parsed(EVERY_KIND));
        for (a, b) in [
            ("a eq 1", "a eq 2"),
            ("a eq 1", "b eq 1"),
            ("a eq 1", "a ne 1"),
            ("a in (1,2)", "a in (1)"),
            ("x/any(y:y eq 1)", "x/any(z:z eq 1)"),
            ("x/any(y:y eq 1)", "x/all(y:y eq 1)"),
            ("x/any()", "x/any(y:y eq 1)"),
            ("Ns.f(1) eq 1", "Ns.g(1) eq 1"),
            ("Ns.f(1) eq 1", "Ns.f(1,2) eq 1"),
            ("cast(a,Edm.String)", "cast(Edm.String)"),
            (
                "a eq 2018-12-04T00:00:00Z",
                "a eq 2018-12-04T01:00:00+01:00",
            ),
            ("not a", "-a"),
            ("$it/a", "$this/a"),
        ] {
            assert_ne!(parsed(a), parsed(b), "{a} vs {b}");
        }
    }

    /// `to_expr` and `cut` copy just the subtree, and the copy reads as the
    /// original did, spans included.
    #[test]
    fn a_subtree_copies_out_with_its_spans() {
        let filter = parsed(EVERY_KIND);
        let mut pending = vec![filter.root()];
        let mut seen = 0;
        while let Some(view) = pending.pop() {
            seen += 1;
            let copy = view.to_expr();
            assert!(copy.root().same_as(view));
            assert_eq!(copy.root().span(), view.span());
            assert_eq!(
                copy.to_string(),
                Expr::cut(&filter.tree, view.id).to_string()
            );
            match view.kind() {
                ExprKind::Unary { operand, .. } => pending.push(operand),
                ExprKind::Binary { operands, .. } => pending.extend(operands),
                ExprKind::List(items) | ExprKind::Call { args: items, .. } => {
                    pending.extend(items.iter())
                }
                ExprKind::TypeFunction { operand, .. } => pending.extend(operand),
                ExprKind::Path(path) => {
                    for segment in path.segments() {
                        match segment.kind() {
                            SegmentKind::FunctionCall { args, .. } => pending.extend(args.iter()),
                            SegmentKind::Lambda {
                                predicate: Some(p), ..
                            } => pending.push(p.body),
                            _ => {}
                        }
                    }
                }
                ExprKind::Literal(_) => {}
            }
        }
        assert_eq!(seen, 69, "the walk reaches every expression node");
        let chain = parsed("a eq 1 and b eq 'x'");
        let ExprKind::Binary {
            operands: [_, last],
            ..
        } = chain.root().kind()
        else {
            panic!("a chain")
        };
        let copy = last.to_expr();
        assert_eq!(copy.tree.nodes.len(), 4, "a comparison copies alone");
        assert_eq!(copy.tree.text, "bx");
    }

    #[test]
    fn an_and_chain_on_the_right_is_hung_left_nested() {
        let right = parsed("b and c and d");
        let joined = Expr::binary(BinaryOp::And, Expr::property("a"), right);
        assert_eq!(joined, parsed("a and b and c and d"));
        assert_eq!(
            joined.tree.nodes.len(),
            parsed("a and b and c and d").tree.nodes.len()
        );
        // Another operator on the right stays a group.
        let or = Expr::binary(BinaryOp::And, Expr::property("a"), parsed("b or c"));
        assert_eq!(or.to_string(), "a and (b or c)");
        let sub = Expr::binary(BinaryOp::Sub, Expr::property("a"), parsed("b sub c"));
        assert_eq!(sub.to_string(), "a sub (b sub c)");
    }

    #[test]
    fn strings_with_doubled_quotes_read_unescaped_and_keep_their_spans() {
        let filter = parsed("a eq 'O''Neil' and b eq 'plain'");
        let ExprKind::Binary {
            operands: [left, right],
            ..
        } = filter.root().kind()
        else {
            panic!("not a chain");
        };
        for (comparison, value, span) in [(left, "O'Neil", (5, 14)), (right, "plain", (24, 31))] {
            let ExprKind::Binary {
                operands: [_, literal],
                ..
            } = comparison.kind()
            else {
                panic!("not a comparison");
            };
            assert_eq!(literal.literal(), Some(Literal::String(value)));
            assert_eq!(literal.span().as_pair(), [span.0, span.1]);
        }
    }

    #[test]
    fn rename_respells_names_of_this_tree_only() {
        let mut filter = parsed("Status eq 'x' and Ns.f(1) eq 2");
        let ExprKind::Binary {
            operands: [left, right],
            ..
        } = filter.root().kind()
        else {
            panic!("not a chain");
        };
        let segment_of = |e: ExprRef<'_>| {
            let ExprKind::Binary {
                operands: [path, _],
                ..
            } = e.kind()
            else {
                panic!("not a comparison");
            };
            let ExprKind::Path(p) = path.kind() else {
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

    /// Cloning, comparing, copying and dropping a parsed chain walk no tree
    /// recursively: a 100,000-term chain does all of them on a 64 KiB stack.
    #[test]
    fn a_long_chain_clones_compares_and_drops_on_a_small_stack() {
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
                assert!(copy == filter);
                let cut = filter.root().to_expr();
                assert!(cut == filter);
                let longer = Expr::binary(BinaryOp::Or, Expr::property("b"), cut);
                assert!(longer != filter);
                drop(filter);
                copy.root().span()
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(copy.as_pair(), [0, text.len()]);
    }
}
