//! The `$orderby`, `$select` and `$expand` readers: comma-separated sort
//! keys, each an expression with an optional `asc`/`desc`; `*` or property
//! paths; navigation property paths.
//!
//! Must not know about: how an expression is parsed (that is the rest of
//! the parser's), schemas, the query string, or rendering.

use super::{check_length, is_qualified, Parsed, Parser};
use crate::error::{Code, Diagnostic};
use crate::syntax::ast::{ExpandItem, OrderByItem, Select, SelectItem};
use crate::syntax::options::ParseOptions;
use crate::syntax::tree::{Expr, NodeId, NodeKind};

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
        let path = property_path(&mut parser)?;
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

/// Reads one path of names joined by `/` (a qualified name is a type
/// cast): a `$select` or `$expand` item. Returns the path node.
fn property_path(parser: &mut Parser<'_>) -> Parsed<NodeId> {
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
    Ok(parser
        .tree
        .push(NodeKind::Path(segments), start, parser.pos))
}

/// Parses one decoded `$expand` value: navigation property paths separated
/// by commas. Nested options (`evidence($select=…)`), `$levels` and `*` are
/// not supported: a syntax error says so.
pub(crate) fn parse_expand(
    text: &str,
    options: &ParseOptions,
) -> Result<Vec<ExpandItem>, Diagnostic> {
    expand(text, options).map_err(|boxed| *boxed)
}

fn expand(text: &str, options: &ParseOptions) -> Parsed<Vec<ExpandItem>> {
    check_length(text, options)?;
    let mut parser = Parser::new(text, options);
    parser.skip_defender_whitespace();
    if parser.peek() == Some(b'*') {
        let here = parser.here();
        let message = "$expand=* is not supported: name the navigation property to expand";
        return Err(parser.error(Code::Syntax, here, message).into());
    }
    let mut items = Vec::new();
    loop {
        let path = property_path(&mut parser)?;
        items.push(path);
        parser.skip_defender_whitespace();
        if parser.peek() == Some(b'(') {
            let here = parser.here();
            let message = "options inside $expand (such as evidence($select=…)) are not supported";
            return Err(parser.error(Code::Syntax, here, message).into());
        }
        if parser.eat(b',') {
            parser.skip_defender_whitespace();
            continue;
        }
        parser.expect_end("',' between $expand items")?;
        return Ok(items
            .into_iter()
            .map(|path| ExpandItem::new(Expr::cut(&parser.tree, path)))
            .collect());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parser::tests::sexp;
    use crate::syntax::tree::ExprKind;

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
}
