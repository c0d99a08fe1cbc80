//! Specialized leaf tests: the common filter leaves (one property compared
//! with a string or DateTimeOffset literal, a property `in` a list of
//! strings, `startswith`/`endswith`/`contains` of a property and a string
//! literal) answered straight from the entity's [`PropertyValue`].
//!
//! Owns: recognizing those shapes among compiled nodes ([`specialize`]) and
//! answering them per entity ([`Fast::truth`]). Must not know about: the
//! AST (it rewrites compiled nodes, so it keeps working whatever shape the
//! parser's tree takes), or how an entity stores its properties.
//!
//! Why: the generic path turns the property and the literal into [`Val`]s
//! and runs OData's general comparison on them, which per entity costs far
//! more than the comparison itself; over a million entities that dominated
//! a filter's time (callgrind: the conversion and the generic comparison,
//! not the string bytes).
//!
//! How it stays exact: a specialized test answers only for the property
//! kinds it was made for — null, a string the schema does not convert (see
//! [`keeps_strings`]), a typed DateTimeOffset — and hands anything else (a
//! JSON number where the schema says string, a DateTimeOffset stored as
//! text) to the generic node it was made from, which it keeps. The tests
//! below check every specialized answer against that generic node.
//!
//! [`Val`]: super::value::Val

use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset};

use super::compile::{keeps_strings, truth, CmpOp, Lit, Node};
use crate::model::{Entity, InstantReader, PropertyValue, TextReader};
use crate::syntax::ast::Function;

/// A leaf test of one property, and the generic node it replaces.
#[derive(Clone, Debug)]
pub(crate) struct Fast<E: Entity> {
    accessor: E::Accessor,
    test: Test<E>,
    /// Answers for property values of kinds the test is not made for.
    generic: Node<E>,
}

/// A test, with the entity type's direct reader of the property when it
/// has one ([`Entity::text_reader`]); without one, the property is read
/// through [`Entity::property`].
#[derive(Clone, Debug)]
enum Test<E: Entity> {
    Text {
        read: Option<TextReader<E>>,
        test: TextTest,
    },
    Instant {
        read: Option<InstantReader<E>>,
        op: CmpOp,
        at: DateTime<FixedOffset>,
    },
}

/// A test of a string property.
#[derive(Clone, Debug)]
enum TextTest {
    Eq(Box<str>),
    Ne(Box<str>),
    /// `gt`, `ge`, `lt` or `le`, read from the property's side.
    Order(CmpOp, Box<str>),
    /// `in`, sorted by length, then bytes (see [`any_of`]).
    In {
        texts: Box<[Box<str>]>,
        has_null: bool,
    },
    StartsWith(Box<str>),
    EndsWith(Box<str>),
    Contains(Box<str>),
}

impl CmpOp {
    /// The operator with its operands swapped: `a < b` is `b > a`.
    fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            same => same,
        }
    }

    fn holds(self, ordering: Ordering) -> bool {
        match self {
            CmpOp::Eq => ordering.is_eq(),
            CmpOp::Ne => ordering.is_ne(),
            CmpOp::Gt => ordering.is_gt(),
            CmpOp::Ge => ordering.is_ge(),
            CmpOp::Lt => ordering.is_lt(),
            CmpOp::Le => ordering.is_le(),
        }
    }

    /// The answer when the property is null: `eq`/`ne` compare null-ness,
    /// every other comparison with null is null.
    fn with_null(self) -> Option<bool> {
        match self {
            CmpOp::Eq => Some(false),
            CmpOp::Ne => Some(true),
            _ => None,
        }
    }
}

/// The order [`TextTest::In`] keeps its candidates in.
fn length_first(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// `node` as a specialized test when it has one of the shapes this module
/// knows, else `node` unchanged.
pub(crate) fn specialize<E: Entity>(node: Node<E>) -> Node<E> {
    match recognize(&node) {
        Some((accessor, test)) => Node::Fast(Box::new(Fast {
            accessor,
            test,
            generic: node,
        })),
        None => node,
    }
}

fn recognize<E: Entity>(node: &Node<E>) -> Option<(E::Accessor, Test<E>)> {
    let text = |accessor: &E::Accessor, test| {
        let read = E::text_reader(accessor);
        Some((accessor.clone(), Test::Text { read, test }))
    };
    match node {
        Node::Compare { op, left, right } => {
            let (op, accessor, edm, lit) = match (&**left, &**right) {
                (Node::Property { accessor, edm }, Node::Lit(lit)) => (*op, accessor, *edm, lit),
                (Node::Lit(lit), Node::Property { accessor, edm }) => {
                    (op.flipped(), accessor, *edm, lit)
                }
                _ => return None,
            };
            match lit {
                Lit::Str(s) if keeps_strings(edm) => text(
                    accessor,
                    match op {
                        CmpOp::Eq => TextTest::Eq(s.clone()),
                        CmpOp::Ne => TextTest::Ne(s.clone()),
                        _ => TextTest::Order(op, s.clone()),
                    },
                ),
                Lit::DateTimeOffset(at) => Some((
                    accessor.clone(),
                    Test::Instant {
                        read: E::instant_reader(accessor),
                        op,
                        at: *at,
                    },
                )),
                _ => None,
            }
        }
        Node::InStrings {
            item,
            sorted,
            has_null,
        } => match &**item {
            Node::Property { accessor, edm } if keeps_strings(*edm) => {
                let mut texts = sorted.clone();
                texts.sort_by(|a, b| length_first(a, b));
                text(
                    accessor,
                    TextTest::In {
                        texts: texts.into_boxed_slice(),
                        has_null: *has_null,
                    },
                )
            }
            _ => None,
        },
        Node::Call { function, args } => match args.as_slice() {
            [Node::Property { accessor, edm }, Node::Lit(Lit::Str(s))] if keeps_strings(*edm) => {
                let s = s.clone();
                let test = match function {
                    Function::StartsWith => TextTest::StartsWith(s),
                    Function::EndsWith => TextTest::EndsWith(s),
                    Function::Contains => TextTest::Contains(s),
                    _ => return None,
                };
                text(accessor, test)
            }
            _ => None,
        },
        _ => None,
    }
}

impl<E: Entity> Fast<E> {
    /// The three-valued answer for `entity`, as the generic node gives it.
    #[inline]
    pub(crate) fn truth(&self, entity: &E) -> Option<bool> {
        match &self.test {
            Test::Text {
                read: Some(read),
                test,
            } => test.answer(read(entity)),
            Test::Instant {
                read: Some(read),
                op,
                at,
            } => instant(*op, read(entity), at),
            Test::Text { read: None, test } => match entity.property(&self.accessor) {
                PropertyValue::String(s) => test.answer(Some(s)),
                PropertyValue::Null => test.answer(None),
                _ => self.generic_truth(entity),
            },
            Test::Instant { read: None, op, at } => match entity.property(&self.accessor) {
                PropertyValue::DateTimeOffset(t) => instant(*op, Some(t), at),
                PropertyValue::Null => instant(*op, None, at),
                _ => self.generic_truth(entity),
            },
        }
    }

    /// Out of line, so the specialized cases need no stack for it.
    #[cold]
    #[inline(never)]
    fn generic_truth(&self, entity: &E) -> Option<bool> {
        truth(&self.generic, entity)
    }
}

impl TextTest {
    /// The answer for a string property's value (`None`: null).
    ///
    /// What loops or compares in several steps is out of line: this runs
    /// per entity, and the registers its largest case needs would be saved
    /// and restored on every call.
    #[inline]
    fn answer(&self, value: Option<&str>) -> Option<bool> {
        let Some(s) = value else {
            return match self {
                TextTest::Eq(_) => Some(false),
                TextTest::Ne(_) => Some(true),
                TextTest::In { has_null, .. } => Some(*has_null),
                TextTest::Order(..)
                | TextTest::StartsWith(_)
                | TextTest::EndsWith(_)
                | TextTest::Contains(_) => None,
            };
        };
        Some(match self {
            // `==` looks at the lengths before the bytes.
            TextTest::Eq(text) => s == &**text,
            TextTest::Ne(text) => s != &**text,
            TextTest::Order(op, text) => ordered(*op, s, text),
            TextTest::In { texts, .. } => any_of(texts, s),
            TextTest::StartsWith(text) => s.starts_with(&**text),
            TextTest::EndsWith(text) => s.ends_with(&**text),
            TextTest::Contains(text) => contains(s, text),
        })
    }
}

fn instant(
    op: CmpOp,
    value: Option<DateTime<FixedOffset>>,
    at: &DateTime<FixedOffset>,
) -> Option<bool> {
    match value {
        Some(t) => Some(op.holds(t.cmp(at))),
        None => op.with_null(),
    }
}

#[inline(never)]
fn ordered(op: CmpOp, s: &str, text: &str) -> bool {
    op.holds(s.cmp(text))
}

/// Whether `s` is one of `texts` (sorted by [`length_first`]).
#[inline(never)]
fn any_of(texts: &[Box<str>], s: &str) -> bool {
    if texts.len() <= 8 {
        // `==` passes over candidates of another length without reading
        // bytes, which bisection's ordering comparisons cannot.
        texts.iter().any(|candidate| **candidate == *s)
    } else {
        texts
            .binary_search_by(|candidate| length_first(candidate, s))
            .is_ok()
    }
}

/// Out of line: the substring searcher's state would otherwise make every
/// specialized test reserve stack for it.
#[inline(never)]
fn contains(haystack: &str, needle: &str) -> bool {
    haystack.contains(needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::compile::typed_value;
    use crate::eval::value::{Text, Val};
    use crate::eval::CompiledFilter;
    use crate::model::{MachineAction, Timestamp};
    use crate::schema::EdmType;
    use crate::validate::check_filter;
    use crate::{machine_actions, sample, ParseOptions};
    use proptest::prelude::*;
    use serde_json::{json, Value};

    const OPS: [&str; 6] = ["eq", "ne", "gt", "ge", "lt", "le"];

    /// Compiles `filter` for `E`; its root must be a specialized test.
    fn fast<E: Entity>(filter: &str) -> CompiledFilter<E> {
        let query = check_filter(filter, machine_actions(), &ParseOptions::default())
            .unwrap_or_else(|e| panic!("{filter}: {e}"));
        let compiled =
            CompiledFilter::<E>::compile(&query).unwrap_or_else(|e| panic!("{filter}: {e}"));
        assert!(
            matches!(compiled.root(), Some(Node::Fast(_))),
            "{filter} is not specialized"
        );
        compiled
    }

    /// The specialized answer and the generic node's, for one entity.
    fn both<E: Entity>(compiled: &CompiledFilter<E>, entity: &E) -> (Option<bool>, Option<bool>) {
        let Some(Node::Fast(fast)) = compiled.root() else {
            unreachable!("checked by `fast`")
        };
        (fast.truth(entity), truth(&fast.generic, entity))
    }

    fn action(status: Option<&str>, created: Option<&str>) -> MachineAction {
        MachineAction {
            status: status.map(Into::into),
            requestor: status.map(|s| format!("{s}@contoso.com")),
            creation_date_time_utc: created.map(|t| Timestamp::parse(t).expect("test timestamp")),
            ..MachineAction::default()
        }
    }

    const STATUSES: [Option<&str>; 8] = [
        None,
        Some("Pending"),
        Some("Pend"),
        Some("Pendinf"),
        Some("pending"),
        Some(""),
        Some("Succeeded"),
        Some("é\u{130}"),
    ];

    const INSTANTS: [Option<&str>; 5] = [
        None,
        Some("2019-06-01T00:00:00Z"),
        Some("2019-06-01T02:00:00.0000001+02:00"),
        Some("2019-05-31T23:59:59.9999999Z"),
        Some("2018-12-04T12:43:57.2011911Z"),
    ];

    /// Model entities: the docs' sample and every status with every
    /// instant, nulls included.
    fn actions() -> Vec<MachineAction> {
        let mut all = sample::example1();
        for status in STATUSES {
            for created in INSTANTS {
                all.push(action(status, created));
            }
        }
        all
    }

    /// JSON entities: the model's, and ones whose properties hold kinds the
    /// schema does not expect (numbers, Booleans, objects, arrays, instants
    /// as text, text that is no instant) or are absent.
    fn json_entities() -> Vec<Value> {
        let mut all: Vec<Value> = actions().iter().map(MachineAction::to_json).collect();
        let odd = [
            json!(5),
            json!(-1.5),
            json!(true),
            json!({"a": 1}),
            json!(["Pending"]),
            json!("2019-06-01T00:00:00Z"),
            json!("2019-06-01T00:00:00.0000001Z"),
            json!("not an instant"),
            json!("Pending"),
        ];
        for property in ["status", "requestor", "creationDateTimeUtc"] {
            for value in &odd {
                all.push(json!({ property: value }));
            }
            all.push(json!({}));
        }
        all.push(json!("not an object"));
        all
    }

    fn filters() -> Vec<String> {
        let mut all = Vec::new();
        for op in OPS {
            for lit in ["'Pending'", "'Pend'", "''", "'pending'", "'é\u{130}'"] {
                all.push(format!("status {op} {lit}"));
                all.push(format!("{lit} {op} status"));
            }
            for lit in [
                "2019-06-01T00:00:00Z",
                "2019-06-01T02:00:00.0000001+02:00",
                "2019-06-01",
            ] {
                all.push(format!("creationDateTimeUtc {op} {lit}"));
                all.push(format!("{lit} {op} creationDateTimeUtc"));
            }
        }
        for f in ["startswith", "endswith", "contains"] {
            for lit in ["'Pend'", "'ing'", "''", "'@contoso.com'", "'\u{130}'"] {
                all.push(format!("{f}(status,{lit})"));
                all.push(format!("{f}(requestor,{lit})"));
            }
        }
        for list in [
            "'Pending','Pend','Succeeded'",
            "'Pending',null",
            "null",
            "'pending','','é\u{130}','Pendinf','Pendina'",
        ] {
            all.push(format!("status in ({list})"));
        }
        all
    }

    #[test]
    fn specialized_tests_agree_with_the_generic_nodes() {
        let (actions, json) = (actions(), json_entities());
        for filter in filters() {
            let over_model = fast::<MachineAction>(&filter);
            for entity in &actions {
                let (fast, generic) = both(&over_model, entity);
                assert_eq!(fast, generic, "{filter} over {entity:?}");
            }
            let over_json = fast::<Value>(&filter);
            for entity in &json {
                let (fast, generic) = both(&over_json, entity);
                assert_eq!(fast, generic, "{filter} over JSON {entity}");
            }
        }
    }

    #[test]
    fn only_the_known_shapes_are_specialized() {
        for filter in [
            "status eq null",
            "tolower(status) eq 'pending'",
            "status eq requestor",
            "startswith(status,requestor)",
            "creationDateTimeUtc eq null",
            "length(status) eq 7",
        ] {
            let query = check_filter(filter, machine_actions(), &ParseOptions::default())
                .unwrap_or_else(|e| panic!("{filter}: {e}"));
            let compiled = CompiledFilter::<MachineAction>::compile(&query)
                .unwrap_or_else(|e| panic!("{filter}: {e}"));
            assert!(
                !matches!(compiled.root(), Some(Node::Fast(_))),
                "{filter} is specialized"
            );
        }
    }

    #[test]
    fn keeps_strings_agrees_with_typed_value() {
        let texts = [
            "x",
            "2019-06-01T00:00:00Z",
            "2019-06-01",
            "12:00:00",
            "P1D",
            "69dc3630-1ccc-4342-acf3-35286eec741d",
        ];
        let types = [
            None,
            Some(EdmType::String),
            Some(EdmType::Boolean),
            Some(EdmType::Int32),
            Some(EdmType::Double),
            Some(EdmType::Enum("Status")),
            Some(EdmType::DateTimeOffset),
            Some(EdmType::Date),
            Some(EdmType::TimeOfDay),
            Some(EdmType::Duration),
            Some(EdmType::Guid),
        ];
        for edm in types {
            let converts_some = texts.iter().any(|text| {
                let value = typed_value(PropertyValue::String(text), edm);
                !matches!(value, Val::Str(Text::Plain(s)) | Val::Enum(s) if s == *text)
            });
            assert_eq!(keeps_strings(edm), !converts_some, "{edm:?}");
        }
    }

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(&['a', 'b', 'B', 'é', '\u{130}', 'ß'][..]),
            0..4,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #[test]
        fn specialized_string_tests_agree_on_any_text(
            value in prop::option::of(text()),
            literal in text(),
            op in prop::sample::select(&OPS[..]),
            list in prop::collection::vec(text(), 1..6),
        ) {
            let entity = MachineAction {
                status: value.clone(),
                ..MachineAction::default()
            };
            let quoted = |s: &str| format!("'{s}'");
            let list = list.iter().map(|s| quoted(s)).collect::<Vec<_>>().join(",");
            let lit = quoted(&literal);
            for filter in [
                format!("status {op} {lit}"),
                format!("{lit} {op} status"),
                format!("startswith(status,{lit})"),
                format!("endswith(status,{lit})"),
                format!("contains(status,{lit})"),
                format!("status in ({list})"),
            ] {
                let (fast, generic) = both(&fast::<MachineAction>(&filter), &entity);
                prop_assert_eq!(fast, generic, "{} over {:?}", filter, value);
            }
        }
    }
}
