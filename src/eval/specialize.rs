//! Specialized leaf tests: the common filter leaves (one property compared
//! with a string or DateTimeOffset literal, a property `in` a list of
//! strings, `startswith`/`endswith`/`contains` of a property and a string
//! literal), recognized among compiled nodes and rewritten into tests that
//! read the property and compare, without building [`Val`]s. Where the
//! entity type has a direct reader of the property
//! ([`Entity::text_reader`], [`Entity::instant_reader`]), the test is built
//! around it as a closure of its own, in which the compiler inlines the
//! reader and the kind of test; elsewhere (JSON objects) the property is
//! read through [`Entity::property`] and the test dispatched on per entity.
//! A `not` around such a test is folded into it, and an `and`/`or` chain
//! made only of them becomes one node over its tests (`FastAll`/`FastAny`),
//! run by the same three-valued short-circuit loop as every chain.
//!
//! Owns: recognizing those shapes among compiled nodes ([`specialize`]) and
//! building their tests, the direct-reader closures included (a clone of a
//! [`Fast`] is built again, so `Clone` for it is here too). Must not know
//! about: the AST (it rewrites compiled nodes, so it keeps working whatever
//! shape the parser's tree takes), how an entity stores its properties, or
//! how a test answers per entity (`node.rs` owns the test types, their
//! answers and the comparisons the closures call).
//!
//! Why: the generic path converts the property and the literal into
//! [`Val`]s and runs OData's general comparison on them per entity; that
//! conversion and comparison, not the string bytes, are what a filter's
//! time goes to, so the common leaves skip them. Per-entity code is kept
//! small on purpose (see [`Fast::truth`]): at a million entities fewer
//! instructions per entity also means more entities' memory loads in
//! flight at once. Hot path: see `benches/eval.rs`, which compares
//! compiled filters with the same predicates written as Rust closures.
//!
//! How it stays exact: a specialized test answers only for the property
//! kinds it was made for — null, a string the schema does not convert (see
//! [`keeps_strings`]), a typed DateTimeOffset — and hands anything else (a
//! JSON number where the schema says string, a DateTimeOffset stored as
//! text) to the generic node it was made from, which it keeps. The tests
//! below check every specialized answer against that generic node.
//!
//! [`Val`]: super::value::Val

use chrono::{DateTime, FixedOffset};

use super::node::{
    contains, ends_with, equals, instant, keeps_strings, one_of, ordered, starts_with, CmpOp,
    Direct, Fast, Lit, Node, OneOf, Test, TextFunction, TextTest,
};
use super::value::Needle;
use crate::model::{Entity, UseInstantReader, UseTextReader};
use crate::syntax::ast::Function;

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

    /// The operator that answers `not (a op b)`. Strings and instants are
    /// totally ordered, so `not (a gt b)` is `a le b`; and with a null
    /// operand both sides agree too (`eq`/`ne` false/true, the rest null).
    fn negated(self) -> CmpOp {
        match self {
            CmpOp::Eq => CmpOp::Ne,
            CmpOp::Ne => CmpOp::Eq,
            CmpOp::Gt => CmpOp::Le,
            CmpOp::Ge => CmpOp::Lt,
            CmpOp::Lt => CmpOp::Ge,
            CmpOp::Le => CmpOp::Gt,
        }
    }
}

impl Test {
    /// Makes the test answer `not` of what it answered.
    fn negate(&mut self) {
        match self {
            Test::Text(test) => match test {
                TextTest::Equals { negated, .. }
                | TextTest::In { negated, .. }
                | TextTest::Function { negated, .. } => *negated = !*negated,
                TextTest::Order { op, .. } => *op = op.negated(),
            },
            Test::Instant { op, .. } => *op = op.negated(),
        }
    }
}

/// `node` as a specialized test when it has one of the shapes this module
/// knows, else `node` unchanged.
pub(crate) fn specialize<E: Entity>(node: Node<E>) -> Node<E> {
    let is_fast = |o: &Node<E>| matches!(o, Node::Fast(_));
    match node {
        Node::Not(inner) => match *inner {
            Node::Fast(fast) => {
                let Fast {
                    accessor,
                    mut test,
                    generic,
                    ..
                } = *fast;
                test.negate();
                Node::Fast(Box::new(Fast::new(
                    accessor,
                    test,
                    Node::Not(Box::new(generic)),
                )))
            }
            other => Node::Not(Box::new(other)),
        },
        Node::All(operands) if operands.iter().all(is_fast) => Node::FastAll(unwrap(operands)),
        Node::Any(operands) if operands.iter().all(is_fast) => Node::FastAny(unwrap(operands)),
        node => match recognize(&node) {
            Some((accessor, test)) => Node::Fast(Box::new(Fast::new(accessor, test, node))),
            None => search(node),
        },
    }
}

/// `contains`/`indexof` of a string literal in anything but a plain
/// property (which [`recognize`] made a test of): the needle made ready
/// once, so a case-insensitive search costs a pass over the text per entity
/// whatever the needle's length.
fn search<E: Entity>(node: Node<E>) -> Node<E> {
    match node {
        Node::Call { function, args }
            if matches!(function, Function::Contains | Function::IndexOf) =>
        {
            match <[Node<E>; 2]>::try_from(args) {
                Ok([hay, Node::Lit(Lit::Str(needle))]) => Node::Search {
                    function,
                    hay: Box::new(hay),
                    needle: Needle::new(&needle),
                },
                Ok(args) => Node::Call {
                    function,
                    args: args.into(),
                },
                Err(args) => Node::Call { function, args },
            }
        }
        other => other,
    }
}

/// The specialized tests among `operands` (all of them, as called).
fn unwrap<E: Entity>(operands: Vec<Node<E>>) -> Box<[Fast<E>]> {
    operands
        .into_iter()
        .filter_map(|o| match o {
            Node::Fast(fast) => Some(*fast),
            _ => None,
        })
        .collect()
}

fn recognize<E: Entity>(node: &Node<E>) -> Option<(E::Accessor, Test)> {
    let text = |accessor: &E::Accessor, test| Some((accessor.clone(), Test::Text(test)));
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
                        CmpOp::Eq | CmpOp::Ne => TextTest::Equals {
                            text: s.clone(),
                            negated: op == CmpOp::Ne,
                        },
                        _ => TextTest::Order {
                            op,
                            text: s.clone(),
                        },
                    },
                ),
                Lit::DateTimeOffset(at) => Some((accessor.clone(), Test::Instant { op, at: *at })),
                _ => None,
            }
        }
        Node::InStrings {
            item,
            sorted,
            has_null,
        } => match &**item {
            Node::Property { accessor, edm } if keeps_strings(*edm) => text(
                accessor,
                TextTest::In {
                    texts: OneOf::new(sorted.clone()),
                    has_null: *has_null,
                    negated: false,
                },
            ),
            _ => None,
        },
        Node::Call { function, args } => match args.as_slice() {
            [Node::Property { accessor, edm }, Node::Lit(Lit::Str(s))] if keeps_strings(*edm) => {
                let function = match function {
                    Function::StartsWith => TextFunction::StartsWith,
                    Function::EndsWith => TextFunction::EndsWith,
                    Function::Contains => TextFunction::Contains,
                    _ => return None,
                };
                text(
                    accessor,
                    TextTest::Function {
                        function,
                        text: s.clone(),
                        negated: false,
                    },
                )
            }
            _ => None,
        },
        _ => None,
    }
}

impl<E: Entity> Fast<E> {
    /// The test, built around the entity type's direct reader of the
    /// property when it has one.
    fn new(accessor: E::Accessor, test: Test, generic: Node<E>) -> Fast<E> {
        let direct = match &test {
            Test::Text(test) => E::text_reader(&accessor, test.clone()),
            &Test::Instant { op, at } => E::instant_reader(&accessor, InstantTest { op, at }),
        };
        Fast {
            accessor,
            test,
            direct,
            generic,
        }
    }
}

/// A clone builds its own direct test (see [`Direct`]).
impl<E: Entity + Clone> Clone for Fast<E> {
    fn clone(&self) -> Fast<E> {
        Fast::new(
            self.accessor.clone(),
            self.test.clone(),
            self.generic.clone(),
        )
    }
}

impl<E: Entity> UseTextReader<E> for TextTest {
    type Built = Direct<E>;

    fn build<R>(self, read: R) -> Direct<E>
    where
        R: for<'a> Fn(&'a E) -> Option<&'a str> + Copy + Send + Sync + 'static,
    {
        match self {
            TextTest::Equals { text, negated } => {
                Direct::new(move |entity| equals(read(entity), &text, negated))
            }
            TextTest::Order { op, text } => {
                Direct::new(move |entity| read(entity).map(|s| ordered(op, s, &text)))
            }
            TextTest::In {
                texts,
                has_null,
                negated,
            } => Direct::new(move |entity| one_of(read(entity), &texts, has_null, negated)),
            TextTest::Function {
                function,
                text,
                negated,
            } => {
                // Each function a type of its own, so each test inlines it.
                match function {
                    TextFunction::StartsWith => function_test(read, starts_with, text, negated),
                    TextFunction::EndsWith => function_test(read, ends_with, text, negated),
                    TextFunction::Contains => function_test(read, contains, text, negated),
                }
            }
        }
    }
}

/// A [`Test::Instant`], to build around a direct reader.
struct InstantTest {
    op: CmpOp,
    at: DateTime<FixedOffset>,
}

impl<E: Entity> UseInstantReader<E> for InstantTest {
    type Built = Direct<E>;

    fn build<R>(self, read: R) -> Direct<E>
    where
        R: Fn(&E) -> Option<DateTime<FixedOffset>> + Copy + Send + Sync + 'static,
    {
        let InstantTest { op, at } = self;
        Direct::new(move |entity| instant(op, read(entity), &at))
    }
}

/// A [`TextTest::Function`] built around a direct reader. (The test is
/// spelled out here and in [`TextTest::answer`], not shared through a
/// function taking the text as `&str`: that costs instructions per entity.
/// Hot path: see `benches/eval.rs`.)
fn function_test<E, R, F>(read: R, holds: F, text: Box<str>, negated: bool) -> Direct<E>
where
    E: Entity,
    R: for<'a> Fn(&'a E) -> Option<&'a str> + Send + Sync + 'static,
    F: Fn(&str, &str) -> bool + Send + Sync + 'static,
{
    Direct::new(move |entity| read(entity).map(|s| holds(s, &text) != negated))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::node::truth;
    use crate::eval::CompiledFilter;
    use crate::model::{MachineAction, Timestamp};
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

    const STATUSES: [Option<&str>; 10] = [
        None,
        Some(LONG_70),
        Some(LONG_64),
        Some("Pending"),
        Some("Pend"),
        Some("Pendinf"),
        Some("pending"),
        Some(""),
        Some("Succeeded"),
        Some("é\u{130}"),
    ];

    /// Lengths an `in` list's quick length check puts in one bucket.
    const LONG_70: &str = "PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP";
    const LONG_64: &str = "PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP";

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
            // Bisected (more than 8), and lengths of 63 bytes and more.
            "'a','b','c','d','e','f','g','h','Pending','Succeeded'",
            &format!("'{}','Pending',null", "P".repeat(70)),
            &format!("'{}','{}'", "x".repeat(63), "P".repeat(64)),
        ] {
            all.push(format!("status in ({list})"));
        }
        for leaf in all.clone() {
            all.push(format!("not ({leaf})"));
            all.push(format!("not (not ({leaf}))"));
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

    /// Chains of specialized tests answer as the same chain of the generic
    /// nodes does (three-valued `and`/`or`, short-circuits included).
    #[test]
    fn chains_of_specialized_tests_agree_with_generic_chains() {
        fn check<E: Entity + Clone>(filter: &str, entities: &[E], show: impl Fn(&E) -> String) {
            let query = check_filter(filter, machine_actions(), &ParseOptions::default())
                .unwrap_or_else(|e| panic!("{filter}: {e}"));
            let compiled =
                CompiledFilter::<E>::compile(&query).unwrap_or_else(|e| panic!("{filter}: {e}"));
            let generic = match compiled.root() {
                Some(Node::FastAll(tests)) => {
                    Node::All(tests.iter().map(|t| t.generic.clone()).collect())
                }
                Some(Node::FastAny(tests)) => {
                    Node::Any(tests.iter().map(|t| t.generic.clone()).collect())
                }
                _ => panic!("{filter} is not a specialized chain"),
            };
            for entity in entities {
                assert_eq!(
                    compiled.evaluate(entity),
                    truth(&generic, entity),
                    "{filter} over {}",
                    show(entity)
                );
            }
        }
        let (actions, json) = (actions(), json_entities());
        for joiner in [" and ", " or "] {
            for leaves in [
                &["status eq 'Pending'", "startswith(requestor,'Pend')"][..],
                &[
                    "status gt 'Pend'",
                    "creationDateTimeUtc lt 2019-06-01",
                    "status ne ''",
                ],
                &[
                    "not (status in ('Pending', null))",
                    "endswith(requestor,'.com')",
                ],
            ] {
                let filter = leaves.join(joiner);
                check(&filter, &actions, |e| format!("{e:?}"));
                check(&filter, &json, Value::to_string);
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
            list in prop::collection::vec(text(), 1..12),
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
                format!("not (status {op} {lit})"),
            ] {
                let (fast, generic) = both(&fast::<MachineAction>(&filter), &entity);
                prop_assert_eq!(fast, generic, "{} over {:?}", filter, value);
            }
        }
    }
}
