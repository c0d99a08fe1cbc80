//! Test support: proptest strategies for `$filter` trees and whole queries.
//!
//! The trees come from the one generator in `generate.rs`, which the
//! `structured` fuzz target shares: each strategy draws random bytes and
//! reads the generator's choices from them. Proptest shrinks the bytes, so a
//! failing case shrinks towards fewer and smaller choices. Also here: walks
//! over a tree's views that the tests count and check nodes with.

#![allow(dead_code)] // Each test crate that includes this module uses a part of it.

mod generate;

use arbitrary::Unstructured;
use defender_odata::ast::{Expr, ExprKind, ExprRef, Query, SegmentKind};
use proptest::collection::vec;
use proptest::prelude::*;

#[allow(unused_imports)] // Not every test crate asks for both.
pub use generate::{MAX_DEPTH, MAX_NODES};

/// Values `generate` reads from up to 4 KiB of random bytes (when they run
/// out, the remaining choices are the first ones, which is fine).
fn from_bytes<T: std::fmt::Debug + 'static>(
    generate: impl Fn(&mut Unstructured) -> arbitrary::Result<T> + 'static,
) -> BoxedStrategy<T> {
    vec(any::<u8>(), 0..4096)
        .prop_map(move |bytes| {
            generate(&mut Unstructured::new(&bytes)).expect("the generator reads any bytes")
        })
        .boxed()
}

/// Expressions nested at most `depth` operators/calls/lambdas deep.
pub fn expr(depth: u32) -> BoxedStrategy<Expr> {
    from_bytes(move |u| generate::expr(u, depth))
}

/// `$filter` trees the parser can produce, covering every node and literal
/// kind.
pub fn filter_expr() -> BoxedStrategy<Expr> {
    expr(MAX_DEPTH)
}

/// A literal of any kind, as an expression (`Display` is its text).
pub fn literal() -> BoxedStrategy<Expr> {
    from_bytes(generate::literal)
}

/// Whole queries: every system option (each present or not) and custom
/// options.
pub fn query() -> BoxedStrategy<Query> {
    from_bytes(|u| generate::query(u, MAX_DEPTH))
}

/// Nodes as the parser counts them against `Limits::max_nodes`: expression
/// nodes (path arguments and lambda bodies included) and path segments.
pub fn node_count(expr: &Expr) -> usize {
    let mut count = 0;
    visit(expr.root(), &mut |e| {
        count += 1;
        if let ExprKind::Path(path) = e.kind() {
            count += path.len();
        }
    });
    count
}

/// Calls `f` on every expression node under `expr`, parents first.
pub fn visit<'a>(expr: ExprRef<'a>, f: &mut dyn FnMut(ExprRef<'a>)) {
    f(expr);
    match expr.kind() {
        ExprKind::Literal(_) => {}
        ExprKind::Path(path) => {
            for segment in path.segments() {
                match segment.kind() {
                    SegmentKind::FunctionCall { args, .. } => {
                        args.iter().for_each(|a| visit(a, f));
                    }
                    SegmentKind::Lambda {
                        predicate: Some(p), ..
                    } => visit(p.body, f),
                    _ => {}
                }
            }
        }
        ExprKind::Unary { operand, .. } => visit(operand, f),
        ExprKind::Binary { operands, .. } => operands.into_iter().for_each(|o| visit(o, f)),
        ExprKind::List(items) | ExprKind::Call { args: items, .. } => {
            items.iter().for_each(|a| visit(a, f));
        }
        ExprKind::TypeFunction { operand, .. } => {
            if let Some(operand) = operand {
                visit(operand, f);
            }
        }
        other => panic!("a node kind this walk does not know: {other:?}"),
    }
}
