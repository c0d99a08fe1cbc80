//! The parsed query's tree, for code that reads or builds one.
//!
//! A query is a [`Query`]: each system option's typed value. Its
//! expressions (`$filter`, each `$orderby` key, each `$select` path) are
//! [`Expr`]s: read one from [`Expr::root`], whose [`ExprRef::kind`] says what
//! each node is and hands out views of its children; build one with
//! [`Expr`]'s constructors. Every node carries the [`Span`] it was read
//! from. `Display` on any of them is the canonical form.
//!
//! ```
//! use defender_odata::ast::{BinaryOp, ExprKind, Literal, SegmentKind};
//! use defender_odata::Query;
//!
//! let query: Query = "$filter=status eq 'Pending'&$top=5".parse()?;
//! let filter = query.filter.as_ref().expect("a filter");
//! let ExprKind::Binary { op: BinaryOp::Eq, operands: [left, right] } = filter.root().kind() else {
//!     panic!("a comparison");
//! };
//! let ExprKind::Path(path) = left.kind() else { panic!("a path") };
//! assert!(matches!(path.get(0).map(|s| s.kind()), Some(SegmentKind::Property("status"))));
//! assert_eq!(right.literal(), Some(Literal::String("Pending")));
//! assert_eq!(right.span().as_pair(), [10, 19]);
//! # Ok::<(), defender_odata::Error>(())
//! ```

pub use crate::syntax::ast::{
    BinaryOp, CustomOption, DateTimeOffset, ExpandItem, Function, LambdaKind, OrderByItem, Select,
    SelectItem, Span, SpecialFloat, TypeFunction, UnaryOp,
};
pub use crate::syntax::tree::{
    Expr, ExprKind, ExprRef, ExprRefs, FilterExpr, LambdaRef, Literal, PathRef, PathSegment,
    SegmentId, SegmentKind, SegmentRef,
};
pub use crate::syntax::{Query, SystemOption};
