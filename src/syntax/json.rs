//! The JSON form of a parsed query, for tools: what `Serialize` writes for
//! a [`Query`] and an [`Expr`], and what `defender-odata explain --json`
//! prints.
//!
//! Owns: the JSON shape. Every node is an object with a `kind` and the
//! `span` it was read from (`[start, end]`, byte offsets into the option's
//! decoded value); literals carry their canonical text where they have no
//! JSON counterpart. A binary node lists its operands: a left-nested chain
//! of one operator (`a and b and c`, `1 add 2 add 3`) is one node with all
//! of them, so the JSON nests no deeper than the query does, whatever the
//! length of its chains. Must not know about: schemas.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::ast::{
    ExpandItem, LambdaKind, OrderByItem, Select, SelectItem, SpecialFloat, TypeFunction, UnaryOp,
};
use super::query::Query;
use super::tree::{Expr, ExprKind, ExprRef, ExprRefs, Literal, SegmentKind, SegmentRef};

impl Serialize for Query {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(8))?;
        map.serialize_entry("filter", &self.filter)?;
        map.serialize_entry("count", &self.count)?;
        map.serialize_entry("orderby", &self.orderby)?;
        map.serialize_entry("skip", &self.skip)?;
        map.serialize_entry("top", &self.top)?;
        map.serialize_entry("select", &self.select)?;
        map.serialize_entry("expand", &self.expand)?;
        map.serialize_entry("custom", &self.custom)?;
        map.end()
    }
}

impl Serialize for OrderByItem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("expr", &self.expr)?;
        map.serialize_entry("descending", &self.descending)?;
        map.end()
    }
}

/// `"*"`, or the list of paths.
impl Serialize for Select {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Select::All => serializer.serialize_str("*"),
            Select::Paths(items) => items.serialize(serializer),
        }
    }
}

impl Serialize for ExpandItem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.path.serialize(serializer)
    }
}

impl Serialize for SelectItem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.path.serialize(serializer)
    }
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.root().serialize(serializer)
    }
}

impl Serialize for ExprRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self.kind() {
            ExprKind::Literal(literal) => {
                map.serialize_entry("kind", "literal")?;
                serialize_literal(&mut map, literal)?;
            }
            ExprKind::Path(path) => {
                map.serialize_entry("kind", "path")?;
                map.serialize_entry("segments", &Segments(path.segments().collect()))?;
            }
            ExprKind::Unary { op, operand } => {
                let kind = match op {
                    UnaryOp::Not => "not",
                    UnaryOp::Negate => "negate",
                };
                map.serialize_entry("kind", kind)?;
                map.serialize_entry("operand", &operand)?;
            }
            ExprKind::Binary { op, .. } => {
                map.serialize_entry("kind", "binary")?;
                map.serialize_entry("op", op.keyword())?;
                map.serialize_entry("operands", &ChainOperands(*self))?;
            }
            ExprKind::List(items) => {
                map.serialize_entry("kind", "list")?;
                map.serialize_entry("items", &Items(items))?;
            }
            ExprKind::Call { function, args } => {
                map.serialize_entry("kind", "call")?;
                map.serialize_entry("function", function.name())?;
                map.serialize_entry("args", &Items(args))?;
            }
            ExprKind::TypeFunction {
                function,
                operand,
                type_name,
            } => {
                let kind = match function {
                    TypeFunction::Cast => "cast",
                    TypeFunction::IsOf => "isof",
                };
                map.serialize_entry("kind", kind)?;
                map.serialize_entry("operand", &operand)?;
                map.serialize_entry("typeName", type_name)?;
            }
        }
        map.serialize_entry("span", &self.span())?;
        map.end()
    }
}

/// The `type` and `value` of a literal: JSON's own types where they fit,
/// the canonical text otherwise.
fn serialize_literal<M: SerializeMap>(map: &mut M, literal: Literal<'_>) -> Result<(), M::Error> {
    let (kind, text) = match literal {
        Literal::Null => return map.serialize_entry("type", "null"),
        Literal::Boolean(b) => {
            map.serialize_entry("type", "boolean")?;
            return map.serialize_entry("value", &b);
        }
        Literal::Int(i) => {
            map.serialize_entry("type", "int")?;
            return map.serialize_entry("value", &i);
        }
        Literal::String(s) => {
            map.serialize_entry("type", "string")?;
            return map.serialize_entry("value", s);
        }
        Literal::Enum { type_name, value } => {
            map.serialize_entry("type", "enum")?;
            map.serialize_entry("typeName", type_name)?;
            return map.serialize_entry("value", value);
        }
        Literal::Decimal(t) => ("decimal", t.to_owned()),
        Literal::Double(t) => ("double", t.to_owned()),
        Literal::Special(s) => (
            "special",
            match s {
                SpecialFloat::Infinity => "INF",
                SpecialFloat::NegativeInfinity => "-INF",
                SpecialFloat::NaN => "NaN",
            }
            .to_owned(),
        ),
        Literal::Duration(t) => ("duration", t.to_owned()),
        Literal::Binary(t) => ("binary", t.to_owned()),
        Literal::Guid(_) => ("guid", literal.to_string()),
        Literal::DateTimeOffset(_) => ("dateTimeOffset", literal.to_string()),
        Literal::Date(_) => ("date", literal.to_string()),
        Literal::TimeOfDay(_) => ("timeOfDay", literal.to_string()),
    };
    map.serialize_entry("type", kind)?;
    map.serialize_entry("value", &text)
}

/// The operands of a left-nested chain of one binary operator, in order.
struct ChainOperands<'a>(ExprRef<'a>);

impl Serialize for ChainOperands<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let ExprKind::Binary { op, .. } = self.0.kind() else {
            return serializer.serialize_seq(Some(0))?.end();
        };
        let mut rights = Vec::new();
        let mut first = self.0;
        while let ExprKind::Binary {
            op: inner,
            operands: [left, right],
        } = first.kind()
        {
            if inner != op {
                break;
            }
            rights.push(right);
            first = left;
        }
        let mut seq = serializer.serialize_seq(Some(rights.len() + 1))?;
        seq.serialize_element(&first)?;
        for operand in rights.iter().rev() {
            seq.serialize_element(operand)?;
        }
        seq.end()
    }
}

struct Items<'a>(ExprRefs<'a>);

impl Serialize for Items<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

struct Segments<'a>(Vec<SegmentRef<'a>>);

impl Serialize for Segments<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

impl Serialize for SegmentRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self.kind() {
            SegmentKind::Property(name) => {
                map.serialize_entry("kind", "property")?;
                map.serialize_entry("name", name)?;
            }
            SegmentKind::TypeCast(name) => {
                map.serialize_entry("kind", "typeCast")?;
                map.serialize_entry("name", name)?;
            }
            SegmentKind::It => map.serialize_entry("kind", "$it")?,
            SegmentKind::This => map.serialize_entry("kind", "$this")?,
            SegmentKind::FunctionCall { name, args } => {
                map.serialize_entry("kind", "function")?;
                map.serialize_entry("name", name)?;
                map.serialize_entry("args", &Items(args))?;
            }
            SegmentKind::Lambda { kind, predicate } => {
                let kind = match kind {
                    LambdaKind::Any => "any",
                    LambdaKind::All => "all",
                };
                map.serialize_entry("kind", kind)?;
                if let Some(predicate) = predicate {
                    map.serialize_entry("variable", predicate.variable)?;
                    map.serialize_entry("body", &predicate.body)?;
                }
            }
        }
        map.serialize_entry("span", &self.span())?;
        map.end()
    }
}

impl Serialize for super::ast::CustomOption {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("name", &self.name)?;
        map.serialize_entry("value", &self.value)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    fn json(query: &str) -> serde_json::Value {
        serde_json::to_value(crate::parse(query).expect("a valid query")).expect("serializes")
    }

    #[test]
    fn a_query_is_its_options_and_nodes() {
        assert_eq!(
            json("$filter=status eq 'Pending'&$top=2&$select=id&$orderby=id desc&x=1"),
            json!({
                "filter": {
                    "kind": "binary", "op": "eq", "span": [0, 19],
                    "operands": [
                        {"kind": "path", "span": [0, 6],
                         "segments": [{"kind": "property", "name": "status", "span": [0, 6]}]},
                        {"kind": "literal", "type": "string", "value": "Pending", "span": [10, 19]},
                    ],
                },
                "count": null,
                "orderby": [{"expr": {"kind": "path", "span": [0, 2],
                    "segments": [{"kind": "property", "name": "id", "span": [0, 2]}]},
                    "descending": true}],
                "skip": null,
                "top": 2,
                "select": [{"kind": "path", "span": [0, 2],
                    "segments": [{"kind": "property", "name": "id", "span": [0, 2]}]}],
                "expand": null,
                "custom": [{"name": "x", "value": "1"}],
            })
        );
        assert_eq!(json("$select=*")["select"], "*");
        assert_eq!(
            json("$expand=evidence")["expand"],
            json!([{"kind": "path", "span": [0, 8],
                "segments": [{"kind": "property", "name": "evidence", "span": [0, 8]}]}])
        );
    }

    #[test]
    fn a_chain_of_one_operator_is_one_node() {
        let filter = &json("$filter=a and b and (c or d) and e")["filter"];
        assert_eq!(filter["op"], "and");
        assert_eq!(filter["operands"].as_array().map(Vec::len), Some(4));
        assert_eq!(filter["operands"][2]["op"], "or");
        // A right operand of the same operator is a group, and stays one.
        let filter = &json("$filter=1 sub (2 sub 3) sub 4 eq 0")["filter"]["operands"][0];
        assert_eq!(filter["op"], "sub");
        assert_eq!(filter["operands"].as_array().map(Vec::len), Some(3));
        assert_eq!(filter["operands"][1]["op"], "sub");
    }

    #[test]
    fn every_node_kind_has_a_shape() {
        let filter = &json(
            "$filter=not contains(tolower(a),'x') and -b/Ns.T/f(1) eq 2.5 \
             and c in (2018-12-04T12:43:57.5%2B01:00, 2018-12-04, 12:00:01, duration'P1D') \
             and cast(d,Edm.String) eq null and isof(Ns.T) and e/any(x:x eq INF) \
             and $it/f/all(y:$this eq Ns.Color'Red')",
        )["filter"];
        let kinds: Vec<&str> = filter["operands"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            ["not", "binary", "binary", "binary", "isof", "path", "path"]
        );
        let list = &filter["operands"][2]["operands"][1];
        assert_eq!(list["kind"], "list");
        assert_eq!(list["items"][0]["value"], "2018-12-04T12:43:57.5+01:00");
        assert_eq!(list["items"][0]["type"], "dateTimeOffset");
        assert_eq!(list["items"][3]["type"], "duration");
        let lambda = &filter["operands"][5]["segments"][1];
        assert_eq!(lambda["kind"], "any");
        assert_eq!(lambda["variable"], "x");
        assert_eq!(lambda["body"]["operands"][1]["value"], "INF");
        let negate = &filter["operands"][1]["operands"][0];
        assert_eq!(negate["kind"], "negate");
        assert_eq!(negate["operand"]["segments"][2]["kind"], "function");
        assert_eq!(
            filter["operands"][3]["operands"][0]["typeName"],
            "Edm.String"
        );
        assert_eq!(
            filter["operands"][6]["segments"][2]["body"]["operands"][1]["typeName"],
            "Ns.Color"
        );
    }
}
