//! The compiled node shapes and running them per entity: [`Node`] with
//! its literals ([`Lit`]) and comparison operators ([`CmpOp`]), the
//! specialized leaf tests a node may hold ([`Fast`], [`Test`],
//! [`TextTest`], …), and everything that runs per entity: the
//! three-valued truth of a node ([`truth`]), its value ([`eval`]), the
//! built-in functions, casts, and the answers of the specialized tests
//! ([`Fast::truth`] and the comparisons their tests are built from).
//!
//! Must not know about: the AST or query text (compiling turns them into
//! nodes, `compile.rs`), which leaves are specialized or how their tests
//! are built (`specialize.rs`), ordering, paging or the response, or how
//! entities store their properties (the [`Entity`] trait hides that).
//!
//! Hot path: everything here below [`truth`] runs once per entity and
//! filter; see `benches/eval.rs` before changing it.
//!
//! Where running allocates (documented, and off the common paths):
//! `concat`, `cast(…,Edm.String)`, `has`, and `substring`/`trim`/a second
//! case mapping applied to a `tolower`/`toupper` view. `tolower(x) eq 'v'`,
//! `contains(toupper(x),'V')`, `length`, `indexof` and every comparison of
//! plain strings allocate nothing.

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, Timelike};

use super::element::Element;
use super::value::{
    self, arithmetic, compare, date_at_midnight_utc, fractional_seconds, has_flags, nanos_of,
    negate, ArithOp, Needle, Text, Val,
};
use crate::model::{Entity, PropertyValue};
use crate::schema::EdmType;
use crate::syntax::ast::Function;
use crate::syntax::lexer::parse_duration;

/// A literal, converted once.
#[derive(Clone, Debug)]
pub(crate) enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    Num(f64),
    Str(Box<str>),
    DateTimeOffset(DateTime<FixedOffset>),
    Date(NaiveDate),
    TimeOfDay(NaiveTime),
    Duration(chrono::TimeDelta),
    Guid(uuid::Uuid),
    Enum(Box<str>),
}

impl Lit {
    fn val(&self) -> Val<'_> {
        match self {
            Lit::Null => Val::Null,
            Lit::Bool(b) => Val::Bool(*b),
            Lit::Int(i) => Val::Int(*i),
            Lit::Num(n) => Val::Num(*n),
            Lit::Str(s) => Val::Str(Text::Plain(s)),
            Lit::DateTimeOffset(t) => Val::DateTimeOffset(*t),
            Lit::Date(d) => Val::Date(*d),
            Lit::TimeOfDay(t) => Val::TimeOfDay(*t),
            Lit::Duration(d) => Val::Duration(*d),
            Lit::Guid(g) => Val::Guid(*g),
            Lit::Enum(s) => Val::Enum(s),
        }
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

/// One compiled expression node over entities of type `E`.
#[derive(Clone, Debug)]
pub(crate) enum Node<E: Entity> {
    Lit(Lit),
    /// A property of the entity, with the schema's type for converting it.
    Property {
        accessor: E::Accessor,
        edm: Option<EdmType>,
    },
    /// A member of a complex value: `relatedFileInfo/fileIdentifier`.
    Member {
        base: Box<Node<E>>,
        name: Box<str>,
        edm: Option<EdmType>,
    },
    /// `$it` alone: not a value.
    Entity,
    Not(Box<Node<E>>),
    Negate(Box<Node<E>>),
    /// A chain of other binary operators, `a add b sub c gt d`: `first`
    /// (the innermost operation), then each step applied to the value so
    /// far, in a loop, so a chain as long as the node limit allows needs no
    /// deep stack to build, run, clone or drop. Each step is a binary node
    /// whose left operand is [`Node::SoFar`].
    Fold {
        first: Box<Node<E>>,
        steps: Vec<Node<E>>,
    },
    /// The value so far of the [`Node::Fold`] this is a step of.
    SoFar,
    /// `contains` or `indexof` of a string literal (a needle made ready at
    /// compile time) in a value that is not a plain property (those are
    /// [`Node::Fast`]): `contains(tolower(requestor),'x')`.
    Search {
        function: Function,
        hay: Box<Node<E>>,
        needle: Needle,
    },
    /// `a and b and …`, flattened.
    All(Vec<Node<E>>),
    /// `a or b or …`, flattened.
    Any(Vec<Node<E>>),
    Compare {
        op: CmpOp,
        left: Box<Node<E>>,
        right: Box<Node<E>>,
    },
    Arith {
        op: ArithOp,
        left: Box<Node<E>>,
        right: Box<Node<E>>,
    },
    /// `matchesPattern(subject,'literal pattern')`, the pattern compiled once.
    MatchesPattern {
        subject: Box<Node<E>>,
        pattern: regex::Regex,
    },
    /// `x in (…)` with string literals only: sorted, searched by bisection.
    InStrings {
        item: Box<Node<E>>,
        sorted: Vec<Box<str>>,
        has_null: bool,
    },
    /// `x in (…)` in general.
    In {
        item: Box<Node<E>>,
        list: Vec<Node<E>>,
    },
    Has {
        left: Box<Node<E>>,
        right: Box<Node<E>>,
    },
    Call {
        function: Function,
        args: Vec<Node<E>>,
    },
    Cast {
        operand: Box<Node<E>>,
        target: EdmType,
    },
    IsOf {
        operand: Box<Node<E>>,
        target: EdmType,
    },
    /// A leaf test of one property against literals, specialized
    /// (`specialize.rs`).
    Fast(Box<Fast<E>>),
    /// `All` whose operands are all `Fast`: run without dispatching on
    /// each operand's node kind.
    FastAll(Box<[Fast<E>]>),
    /// `Any` whose operands are all `Fast`.
    FastAny(Box<[Fast<E>]>),
    /// `collection/any(v: body)` or `all`: the body, compiled for one
    /// member at a time; `None` for `any()`, whether the collection has a
    /// member.
    Lambda {
        collection: Box<Node<E>>,
        all: bool,
        body: Option<Box<Node<Element>>>,
    },
}

/// A leaf test of one property, and the generic node it replaces.
#[derive(Debug)]
pub(crate) struct Fast<E: Entity> {
    pub(super) accessor: E::Accessor,
    pub(super) test: Test,
    /// The test built around the entity type's direct reader of the
    /// property ([`Entity::text_reader`]), when it has one; without one,
    /// the property is read through [`Entity::property`].
    pub(super) direct: Option<Direct<E>>,
    /// Answers for property values of kinds the test is not made for.
    pub(super) generic: Node<E>,
}

/// A test compiled together with a direct reader: one call, in which the
/// reader is inlined.
///
/// A `Box`, not an `Arc`: calling through an `Arc<dyn Fn>` first finds
/// the closure past the counts, at an offset read from the vtable, on
/// every call. A clone of a [`Fast`] builds its own instead.
pub(super) struct Direct<E>(Box<DirectTest<E>>);

/// What a [`Direct`] calls.
type DirectTest<E> = dyn Fn(&E) -> Option<bool> + Send + Sync;

impl<E: Entity> Direct<E> {
    pub(super) fn new(test: impl Fn(&E) -> Option<bool> + Send + Sync + 'static) -> Direct<E> {
        Direct(Box::new(test))
    }
}

impl<E> fmt::Debug for Direct<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Direct(..)")
    }
}

/// A test of one property.
///
/// A `not` around a test is folded into it (see [`Test::negate`]), so
/// `not (status eq 'x')` is one test, not two nodes.
#[derive(Clone, Debug)]
pub(super) enum Test {
    Text(TextTest),
    Instant {
        op: CmpOp,
        at: DateTime<FixedOffset>,
    },
}

/// A test of a string property; `negated` is a folded `not`.
#[derive(Clone, Debug)]
pub(super) enum TextTest {
    /// `eq` (`ne` when negated).
    Equals { text: Box<str>, negated: bool },
    /// `gt`, `ge`, `lt` or `le`, read from the property's side.
    Order { op: CmpOp, text: Box<str> },
    /// `in` a list of strings (and maybe null).
    In {
        texts: OneOf,
        has_null: bool,
        negated: bool,
    },
    Function {
        function: TextFunction,
        text: Box<str>,
        negated: bool,
    },
}

#[derive(Clone, Copy, Debug)]
pub(super) enum TextFunction {
    StartsWith,
    EndsWith,
    Contains,
}

impl CmpOp {
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

/// Whether [`typed_value`] leaves a string of a property of type `edm` a
/// string (or an enum value, which compares as its text): false for the
/// types it parses strings into. The two must agree; `specialize.rs` relies
/// on it and its tests check it.
pub(crate) fn keeps_strings(edm: Option<EdmType>) -> bool {
    !matches!(
        edm,
        Some(
            EdmType::DateTimeOffset
                | EdmType::Date
                | EdmType::TimeOfDay
                | EdmType::Duration
                | EdmType::Guid
        )
    )
}

/// A property value as the schema types it: JSON strings holding a
/// DateTimeOffset, Date, TimeOfDay, Duration or Guid become those.
fn typed_value(value: PropertyValue<'_>, edm: Option<EdmType>) -> Val<'_> {
    match value {
        PropertyValue::Null => Val::Null,
        PropertyValue::Bool(b) => Val::Bool(b),
        PropertyValue::Int(i) => Val::Int(i),
        PropertyValue::Double(d) => Val::Num(d),
        PropertyValue::DateTimeOffset(t) => Val::DateTimeOffset(t),
        PropertyValue::Complex(c) => Val::Complex(c),
        PropertyValue::String(s) => {
            let converted = match edm {
                Some(EdmType::DateTimeOffset) => {
                    value.to_datetime_offset().map(Val::DateTimeOffset)
                }
                Some(EdmType::Date) => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(Val::Date),
                Some(EdmType::TimeOfDay) => NaiveTime::parse_from_str(s, "%H:%M:%S%.f")
                    .ok()
                    .map(Val::TimeOfDay),
                Some(EdmType::Duration) => parse_duration(s).map(Val::Duration),
                Some(EdmType::Guid) => uuid::Uuid::parse_str(s).ok().map(Val::Guid),
                Some(EdmType::Enum(_)) => Some(Val::Enum(s)),
                _ => None,
            };
            converted.unwrap_or(Val::Str(Text::Plain(s)))
        }
    }
}

/// The three-valued truth of a Boolean node.
///
/// Inlined, so a specialized leaf (most leaves) is answered without a call
/// into the composite case first.
#[inline]
pub(crate) fn truth<E: Entity>(node: &Node<E>, entity: &E) -> Option<bool> {
    match node {
        Node::Fast(fast) => fast.truth(entity),
        Node::FastAll(tests) => short_circuit(tests.iter().map(|t| t.truth(entity)), false),
        Node::FastAny(tests) => short_circuit(tests.iter().map(|t| t.truth(entity)), true),
        _ => composite_truth(node, entity),
    }
}

/// Three-valued `and` (`decisive` = false) or `or` (`decisive` = true) of
/// `truths`, read lazily and stopping at the first decisive one: then
/// `decisive`; else null if any was null; else `!decisive`.
#[inline]
fn short_circuit(truths: impl Iterator<Item = Option<bool>>, decisive: bool) -> Option<bool> {
    let mut result = Some(!decisive);
    for truth in truths {
        match truth {
            Some(b) if b == decisive => return Some(decisive),
            None => result = None,
            Some(_) => {}
        }
    }
    result
}

/// `any`/`all` over `collection`, three-valued as `or`/`and` over its
/// members: `any` is true when some member's body is true, else null when
/// some is null, else false (so false over no members); `all` is false
/// when some member's body is false, else null when some is null, else
/// true (so true over no members). A null or absent collection (or a
/// value that is not one) is null.
fn lambda_truth(collection: Val<'_>, all: bool, body: Option<&Node<Element>>) -> Option<bool> {
    let Val::Complex(complex) = collection else {
        return None;
    };
    let members = complex.elements()?;
    match body {
        None => Some(!members.is_empty()),
        Some(body) => short_circuit(
            members
                .iter()
                .map(|member| truth(body, &Element(member.clone()))),
            !all,
        ),
    }
}

fn composite_truth<E: Entity>(node: &Node<E>, entity: &E) -> Option<bool> {
    match node {
        Node::All(operands) => short_circuit(operands.iter().map(|o| truth(o, entity)), false),
        Node::Any(operands) => short_circuit(operands.iter().map(|o| truth(o, entity)), true),
        Node::Not(inner) => truth(inner, entity).map(|b| !b),
        Node::Lambda {
            collection,
            all,
            body,
        } => lambda_truth(eval(collection, entity), *all, body.as_deref()),
        _ => value_truth(node, entity),
    }
}

/// The truth of any other node, through its value. Out of line, so the
/// Boolean nodes above, which run per entity for every filter, need no
/// stack for `eval`'s values.
#[inline(never)]
fn value_truth<E: Entity>(node: &Node<E>, entity: &E) -> Option<bool> {
    eval(node, entity).truth()
}

fn bool_val<'a>(b: Option<bool>) -> Val<'a> {
    b.map_or(Val::Null, Val::Bool)
}

/// The value of a node for `entity`.
/// The binary node `node` (a comparison, arithmetic, `has` or `in`) with
/// its left operand's value already known: `left`. The one place these
/// operators are computed, for a lone node and for a [`Node::Fold`]'s steps.
fn apply<'a, E: Entity>(node: &'a Node<E>, left: Val<'a>, entity: &'a E) -> Val<'a> {
    match node {
        Node::Compare { op, right, .. } => {
            let r = eval(right, entity);
            match op {
                CmpOp::Eq => Val::Bool(value::equals(&left, &r)),
                CmpOp::Ne => Val::Bool(!value::equals(&left, &r)),
                _ if left.is_null() || r.is_null() => Val::Null,
                _ => match compare(&left, &r) {
                    None => Val::Null,
                    Some(ordering) => Val::Bool(match op {
                        CmpOp::Gt => ordering.is_gt(),
                        CmpOp::Ge => ordering.is_ge(),
                        CmpOp::Lt => ordering.is_lt(),
                        _ => ordering.is_le(),
                    }),
                },
            }
        }
        Node::Arith { op, right, .. } => arithmetic(*op, &left, &eval(right, entity)),
        Node::InStrings {
            sorted, has_null, ..
        } => Val::Bool(match &left {
            Val::Null => *has_null,
            Val::Str(Text::Plain(s)) => sorted.binary_search_by(|c| (**c).cmp(*s)).is_ok(),
            Val::Str(text) => sorted.iter().any(|c| text.eq_text(&Text::Plain(c))),
            Val::Enum(s) => sorted.binary_search_by(|c| (**c).cmp(*s)).is_ok(),
            _ => false,
        }),
        Node::In { list, .. } => {
            Val::Bool(list.iter().any(|n| value::equals(&left, &eval(n, entity))))
        }
        Node::Has { right, .. } => bool_val(has_flags(&left, &eval(right, entity))),
        // A fold's steps are binary nodes only.
        _ => Val::Null,
    }
}

pub(super) fn eval<'a, E: Entity>(node: &'a Node<E>, entity: &'a E) -> Val<'a> {
    match node {
        Node::Lit(lit) => lit.val(),
        Node::Property { accessor, edm } => typed_value(entity.property(accessor), *edm),
        Node::Member { base, name, edm } => match eval(base, entity) {
            Val::Complex(c) => typed_value(c.member(name), *edm),
            _ => Val::Null,
        },
        Node::Entity => Val::Null,
        Node::Not(_)
        | Node::Lambda { .. }
        | Node::All(_)
        | Node::Any(_)
        | Node::Fast(_)
        | Node::FastAll(_)
        | Node::FastAny(_) => bool_val(truth(node, entity)),
        Node::Negate(inner) => negate(&eval(inner, entity)),
        Node::Fold { first, steps } => steps.iter().fold(eval(first, entity), |so_far, step| {
            apply(step, so_far, entity)
        }),
        Node::SoFar => Val::Null,
        Node::Search {
            function,
            hay,
            needle,
        } => {
            let found = match eval(hay, entity) {
                Val::Str(text) => text.find_needle(needle),
                Val::Enum(s) => Text::Plain(s).find_needle(needle),
                _ => return Val::Null,
            };
            match function {
                Function::Contains => Val::Bool(found.is_some()),
                _ => found.map_or(Val::Int(-1), int_val),
            }
        }
        Node::Compare { left, .. }
        | Node::Arith { left, .. }
        | Node::Has { left, .. }
        | Node::In { item: left, .. }
        | Node::InStrings { item: left, .. } => apply(node, eval(left, entity), entity),
        Node::Call { function, args } => call(*function, args, entity),
        Node::MatchesPattern { subject, pattern } => match eval(subject, entity) {
            Val::Str(Text::Plain(text)) => Val::Bool(pattern.is_match(text)),
            Val::Str(text) => Val::Bool(pattern.is_match(&text.to_string_value())),
            Val::Enum(text) => Val::Bool(pattern.is_match(text)),
            _ => Val::Null,
        },
        Node::Cast { operand, target } => cast(eval(operand, entity), *target),
        Node::IsOf { operand, target } => {
            let value = eval(operand, entity);
            if value.is_null() {
                return Val::Bool(false);
            }
            let is = match (&value, target) {
                (Val::Str(_), EdmType::String) => true,
                (Val::Bool(_), EdmType::Boolean) => true,
                (Val::Int(i), t) if t.is_numeric() => int_fits(*i, *t),
                (Val::Num(_), EdmType::Double | EdmType::Single | EdmType::Decimal) => true,
                (Val::DateTimeOffset(_), EdmType::DateTimeOffset) => true,
                (Val::Date(_), EdmType::Date) => true,
                (Val::TimeOfDay(_), EdmType::TimeOfDay) => true,
                (Val::Duration(_), EdmType::Duration) => true,
                (Val::Guid(_), EdmType::Guid) => true,
                _ => false,
            };
            Val::Bool(is)
        }
    }
}

fn int_fits(i: i64, t: EdmType) -> bool {
    match t {
        EdmType::Byte => u8::try_from(i).is_ok(),
        EdmType::SByte => i8::try_from(i).is_ok(),
        EdmType::Int16 => i16::try_from(i).is_ok(),
        EdmType::Int32 => i32::try_from(i).is_ok(),
        _ => true,
    }
}

/// `cast(value, target)`; null when the value cannot be converted.
/// (`Edm.String` builds a string: an allocation.)
fn cast(value: Val<'_>, target: EdmType) -> Val<'_> {
    match (value, target) {
        (Val::Null, _) => Val::Null,
        (v @ Val::Str(_), EdmType::String) => v,
        (Val::Enum(s), EdmType::String) => Val::Str(Text::Plain(s)),
        (v, EdmType::String) => match v {
            Val::Bool(b) => Val::Str(Text::Owned(b.to_string())),
            Val::Int(i) => Val::Str(Text::Owned(i.to_string())),
            Val::Num(n) => Val::Str(Text::Owned(n.to_string())),
            Val::Guid(g) => Val::Str(Text::Owned(g.to_string())),
            Val::Date(d) => Val::Str(Text::Owned(d.to_string())),
            Val::TimeOfDay(t) => Val::Str(Text::Owned(t.to_string())),
            Val::DateTimeOffset(t) => Val::Str(Text::Owned(
                t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            )),
            _ => Val::Null,
        },
        (Val::Int(i), t) if t.is_numeric() => match t {
            EdmType::Double | EdmType::Single | EdmType::Decimal => Val::Num(i as f64),
            t if int_fits(i, t) => Val::Int(i),
            _ => Val::Null,
        },
        (Val::Num(n), t) if t.is_numeric() => match t {
            EdmType::Double | EdmType::Single | EdmType::Decimal => Val::Num(n),
            t => {
                let truncated = n.trunc();
                if truncated.is_finite()
                    && truncated.abs() < 9.2e18
                    && int_fits(truncated as i64, t)
                {
                    Val::Int(truncated as i64)
                } else {
                    Val::Null
                }
            }
        },
        (Val::Date(d), EdmType::DateTimeOffset) => Val::DateTimeOffset(date_at_midnight_utc(d)),
        (Val::DateTimeOffset(t), EdmType::Date) => Val::Date(t.date_naive()),
        (v @ Val::Bool(_), EdmType::Boolean)
        | (v @ Val::DateTimeOffset(_), EdmType::DateTimeOffset)
        | (v @ Val::Date(_), EdmType::Date)
        | (v @ Val::TimeOfDay(_), EdmType::TimeOfDay)
        | (v @ Val::Duration(_), EdmType::Duration)
        | (v @ Val::Guid(_), EdmType::Guid) => v,
        (Val::Str(t), EdmType::Guid) => t
            .as_plain()
            .and_then(|s| uuid::Uuid::parse_str(s).ok())
            .map_or(Val::Null, Val::Guid),
        _ => Val::Null,
    }
}

/// A string function's argument as text, or `None` (null or not a string).
fn text_arg<'a, E: Entity>(args: &'a [Node<E>], i: usize, entity: &'a E) -> Option<Text<'a>> {
    match eval(args.get(i)?, entity) {
        Val::Str(t) => Some(t),
        Val::Enum(s) => Some(Text::Plain(s)),
        _ => None,
    }
}

fn int_arg<E: Entity>(args: &[Node<E>], i: usize, entity: &E) -> Option<i64> {
    match eval(args.get(i)?, entity) {
        Val::Int(n) => Some(n),
        _ => None,
    }
}

fn int_val<'a>(n: impl TryInto<i64>) -> Val<'a> {
    n.try_into().map_or(Val::Null, Val::Int)
}

/// A built-in function of its arguments; null when an argument is null.
fn call<'a, E: Entity>(function: Function, args: &'a [Node<E>], entity: &'a E) -> Val<'a> {
    use Function as F;
    let text = |i| text_arg(args, i, entity);
    match function {
        F::Contains | F::StartsWith | F::EndsWith | F::IndexOf => {
            let (Some(a), Some(b)) = (text(0), text(1)) else {
                return Val::Null;
            };
            match function {
                F::Contains => Val::Bool(a.find(&b).is_some()),
                F::StartsWith => Val::Bool(a.starts_with(&b)),
                F::EndsWith => Val::Bool(a.ends_with(&b)),
                _ => a.find(&b).map_or(Val::Int(-1), int_val),
            }
        }
        F::Length => match args.first().map(|a| eval(a, entity)) {
            Some(Val::Str(t)) => int_val(t.char_len()),
            Some(Val::Complex(c)) if c.is_collection() => match c.to_json() {
                serde_json::Value::Array(items) => int_val(items.len()),
                _ => Val::Null,
            },
            _ => Val::Null,
        },
        F::Substring => {
            let Some(t) = text(0) else {
                return Val::Null;
            };
            let Some(start) = int_arg(args, 1, entity) else {
                return Val::Null;
            };
            let length = match args.get(2) {
                None => None,
                Some(_) => match int_arg(args, 2, entity) {
                    Some(n) => Some(n),
                    None => return Val::Null,
                },
            };
            substring(t, start, length)
        }
        F::ToLower | F::ToUpper => match text(0) {
            None => Val::Null,
            Some(Text::Plain(s)) if function == F::ToLower => Val::Str(Text::Lower(s)),
            Some(Text::Plain(s)) => Val::Str(Text::Upper(s)),
            Some(other) => {
                let s = other.to_string_value();
                Val::Str(Text::Owned(if function == F::ToLower {
                    s.chars().flat_map(char::to_lowercase).collect()
                } else {
                    s.chars().flat_map(char::to_uppercase).collect()
                }))
            }
        },
        F::Trim => match text(0) {
            None => Val::Null,
            Some(Text::Plain(s)) => Val::Str(Text::Plain(s.trim())),
            Some(other) => Val::Str(Text::Owned(other.to_string_value().trim().to_owned())),
        },
        F::Concat => match (text(0), text(1)) {
            (Some(a), Some(b)) => {
                let mut s = a.to_string_value();
                s.extend(b.chars());
                Val::Str(Text::Owned(s))
            }
            _ => Val::Null,
        },
        F::Year | F::Month | F::Day => {
            let date = match args.first().map(|a| eval(a, entity)) {
                Some(Val::DateTimeOffset(t)) => t.date_naive(),
                Some(Val::Date(d)) => d,
                _ => return Val::Null,
            };
            Val::Int(i64::from(match function {
                F::Year => date.year(),
                F::Month => date.month() as i32,
                _ => date.day() as i32,
            }))
        }
        F::Hour | F::Minute | F::Second | F::FractionalSeconds => {
            let time = match args.first().map(|a| eval(a, entity)) {
                Some(Val::DateTimeOffset(t)) => t.time(),
                Some(Val::TimeOfDay(t)) => t,
                _ => return Val::Null,
            };
            match function {
                F::Hour => Val::Int(i64::from(time.hour())),
                F::Minute => Val::Int(i64::from(time.minute())),
                F::Second => Val::Int(i64::from(time.second())),
                _ => Val::Num(fractional_seconds(nanos_of(&time))),
            }
        }
        F::TotalSeconds => match args.first().map(|a| eval(a, entity)) {
            Some(Val::Duration(d)) => {
                Val::Num(d.num_seconds() as f64 + f64::from(d.subsec_nanos()) / 1e9)
            }
            _ => Val::Null,
        },
        F::Date => match args.first().map(|a| eval(a, entity)) {
            Some(Val::DateTimeOffset(t)) => Val::Date(t.date_naive()),
            _ => Val::Null,
        },
        F::Time => match args.first().map(|a| eval(a, entity)) {
            Some(Val::DateTimeOffset(t)) => Val::TimeOfDay(t.time()),
            _ => Val::Null,
        },
        F::TotalOffsetMinutes => match args.first().map(|a| eval(a, entity)) {
            Some(Val::DateTimeOffset(t)) => Val::Int(i64::from(t.offset().local_minus_utc() / 60)),
            _ => Val::Null,
        },
        F::Round | F::Floor | F::Ceiling => match args.first().map(|a| eval(a, entity)) {
            Some(Val::Int(i)) => Val::Int(i),
            Some(Val::Num(n)) => Val::Num(match function {
                // .NET's Math.Round, which ASP.NET Core OData calls, rounds
                // half to even.
                F::Round => n.round_ties_even(),
                F::Floor => n.floor(),
                _ => n.ceil(),
            }),
            _ => Val::Null,
        },
        // Compiled to literals, or rejected when compiling.
        F::Now | F::MinDateTime | F::MaxDateTime | F::MatchesPattern => Val::Null,
    }
}

/// `substring(s, start[, length])` in characters; out-of-range bounds are
/// clamped (as ODataLib's LINQ binding does for in-memory data), a
/// negative start counts as 0.
fn substring(text: Text<'_>, start: i64, length: Option<i64>) -> Val<'_> {
    let start = usize::try_from(start.max(0)).unwrap_or(usize::MAX);
    let length = length.map(|n| usize::try_from(n.max(0)).unwrap_or(usize::MAX));
    match text {
        Text::Plain(s) => {
            let from = s.char_indices().nth(start).map_or(s.len(), |(i, _)| i);
            let rest = s.get(from..).unwrap_or("");
            let to = match length {
                None => rest.len(),
                Some(n) => rest.char_indices().nth(n).map_or(rest.len(), |(i, _)| i),
            };
            Val::Str(Text::Plain(rest.get(..to).unwrap_or("")))
        }
        other => {
            let chars = other.chars().skip(start);
            Val::Str(Text::Owned(match length {
                None => chars.collect(),
                Some(n) => chars.take(n).collect(),
            }))
        }
    }
}

impl<E: Entity> Fast<E> {
    /// The three-valued answer for `entity`, as the generic node gives it.
    ///
    /// Runs per entity: with a direct reader it is one call, to code that
    /// reads the property and compares; what takes more instructions is
    /// out of line, so it costs registers (saved and restored on every
    /// call) only when used.
    #[inline]
    pub(crate) fn truth(&self, entity: &E) -> Option<bool> {
        match &self.direct {
            Some(direct) => (direct.0)(entity),
            None => self.through_property(entity),
        }
    }

    /// For entity types without direct readers (JSON objects).
    #[inline(never)]
    fn through_property(&self, entity: &E) -> Option<bool> {
        match (&self.test, entity.property(&self.accessor)) {
            (Test::Text(test), PropertyValue::String(s)) => test.answer(Some(s)),
            (Test::Text(test), PropertyValue::Null) => test.answer(None),
            (Test::Instant { op, at }, PropertyValue::DateTimeOffset(t)) => {
                instant(*op, Some(t), at)
            }
            (Test::Instant { op, at }, PropertyValue::Null) => instant(*op, None, at),
            _ => self.generic_truth(entity),
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
    /// The answer for a string property's value (`None`: null), when the
    /// property is read through [`Entity::property`]. With a direct reader
    /// each kind of test is built on its own ([`UseTextReader::build`](crate::model::UseTextReader::build)),
    /// from the same comparisons (`equals`, `ordered`, `one_of` and the
    /// text functions).
    fn answer(&self, value: Option<&str>) -> Option<bool> {
        match self {
            TextTest::Equals { text, negated } => equals(value, text, *negated),
            TextTest::Order { op, text } => value.map(|s| ordered(*op, s, text)),
            TextTest::In {
                texts,
                has_null,
                negated,
            } => one_of(value, texts, *has_null, *negated),
            TextTest::Function {
                function,
                text,
                negated,
            } => value.map(|s| function.holds(s, text) != *negated),
        }
    }
}

impl TextFunction {
    fn holds(self, s: &str, text: &str) -> bool {
        match self {
            TextFunction::StartsWith => starts_with(s, text),
            TextFunction::EndsWith => ends_with(s, text),
            TextFunction::Contains => contains(s, text),
        }
    }
}

#[inline]
pub(super) fn starts_with(s: &str, text: &str) -> bool {
    s.as_bytes()
        .get(..text.len())
        .is_some_and(|head| same(head, text.as_bytes()))
}

#[inline]
pub(super) fn ends_with(s: &str, text: &str) -> bool {
    s.as_bytes()
        .get(s.len().wrapping_sub(text.len())..)
        .is_some_and(|tail| same(tail, text.as_bytes()))
}

/// `value eq text` (`ne` when `negated`); null is equal to no string.
#[inline]
pub(super) fn equals(value: Option<&str>, text: &str, negated: bool) -> Option<bool> {
    Some(match value {
        Some(s) => same(s.as_bytes(), text.as_bytes()) != negated,
        None => negated,
    })
}

/// `value in texts` (`not` of it when `negated`).
#[inline]
pub(super) fn one_of(
    value: Option<&str>,
    texts: &OneOf,
    has_null: bool,
    negated: bool,
) -> Option<bool> {
    Some(match value {
        Some(s) => texts.contains(s) != negated,
        None => has_null != negated,
    })
}

/// `a == b`, lengths first; strings of up to 16 bytes are compared as
/// two overlapping words each, inline, rather than through a call to
/// `memcmp` (most property values and literals are that short).
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() <= 16 {
        if let (Some(a0), Some(a1), Some(b0), Some(b1)) = (
            a.first_chunk::<8>(),
            a.last_chunk::<8>(),
            b.first_chunk::<8>(),
            b.last_chunk::<8>(),
        ) {
            return a0 == b0 && a1 == b1;
        }
        if let (Some(a0), Some(a1), Some(b0), Some(b1)) = (
            a.first_chunk::<4>(),
            a.last_chunk::<4>(),
            b.first_chunk::<4>(),
            b.last_chunk::<4>(),
        ) {
            return a0 == b0 && a1 == b1;
        }
    }
    a == b
}

#[inline(never)]
pub(super) fn instant(
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
pub(super) fn ordered(op: CmpOp, s: &str, text: &str) -> bool {
    op.holds(s.cmp(text))
}

/// The order [`TextTest::In`] keeps its candidates in.
fn length_first(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The strings of an `in` list.
#[derive(Clone, Debug)]
pub(super) struct OneOf {
    /// Sorted by [`length_first`].
    texts: Box<[Box<str>]>,
    /// For each length below 64: [`NONE`] when no candidate is that many
    /// bytes long, `i + 1` when candidate `i` is the only one, [`MANY`]
    /// when several are. Most values are told apart by their length
    /// alone, so a value is compared with at most one candidate, without
    /// a loop (a loop here made every specialized test save registers).
    by_length: [u8; 64],
}

const NONE: u8 = 0;
const MANY: u8 = u8::MAX;

impl OneOf {
    pub(super) fn new(mut texts: Vec<Box<str>>) -> OneOf {
        texts.sort_by(|a, b| length_first(a, b));
        let mut by_length = [NONE; 64];
        for (i, text) in texts.iter().enumerate() {
            if let Some(slot) = by_length.get_mut(text.len()) {
                *slot = match (*slot, u8::try_from(i + 1)) {
                    (NONE, Ok(at)) if at != MANY => at,
                    _ => MANY,
                };
            }
        }
        OneOf {
            texts: texts.into_boxed_slice(),
            by_length,
        }
    }

    #[inline]
    fn contains(&self, s: &str) -> bool {
        match self.by_length.get(s.len()).copied() {
            Some(NONE) => false,
            Some(MANY) | None => self.find(s),
            Some(at) => self
                .texts
                .get(usize::from(at) - 1)
                .is_some_and(|candidate| same(candidate.as_bytes(), s.as_bytes())),
        }
    }

    #[inline(never)]
    fn find(&self, s: &str) -> bool {
        self.texts
            .binary_search_by(|candidate| length_first(candidate, s))
            .is_ok()
    }
}

/// Out of line: the substring searcher's state would otherwise make every
/// specialized test reserve stack for it.
#[inline(never)]
pub(super) fn contains(haystack: &str, needle: &str) -> bool {
    haystack.contains(needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substring_clamps_and_counts_characters() {
        let s = |t, a, b| match substring(Text::Plain(t), a, b) {
            Val::Str(t) => t.to_string_value(),
            _ => "<null>".into(),
        };
        assert_eq!(s("héllo", 1, Some(3)), "éll");
        assert_eq!(s("héllo", 9, None), "");
        assert_eq!(s("héllo", -2, Some(2)), "hé");
        assert_eq!(s("héllo", 3, Some(99)), "lo");
        assert!(matches!(
            substring(Text::Lower("ABC"), 1, None),
            Val::Str(Text::Owned(ref o)) if o == "bc"
        ));
    }

    #[test]
    fn same_agrees_with_eq() {
        let text = b"abcdefghijklmnopqrstu";
        for n in 0..=text.len() {
            let a = &text[..n];
            assert!(same(a, a));
            assert!(!same(a, &text[..n.saturating_sub(1)]) || n == 0);
            for i in 0..n {
                let mut b = a.to_vec();
                b[i] ^= 1;
                assert!(!same(a, &b), "{n} {i}");
            }
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
}
