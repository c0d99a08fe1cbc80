//! Compiling a validated `$filter` (or `$orderby` key) into a tree of
//! nodes that runs per entity with no name look-ups and no allocation,
//! and running it.
//!
//! Owns: [`CompiledFilter`], [`CompiledExpr`], the compiled node shapes,
//! literal pre-conversion and the per-entity evaluation of every built-in.
//! Must not know about: ordering, paging or the response (see `run.rs`,
//! `response.rs`), or how entities store their properties (the [`Entity`]
//! trait hides that).
//!
//! What compiling does once, so running does not:
//! - property names become [`Entity::Accessor`]s (the schema's canonical
//!   spelling is resolved through `E::accessor`), with the schema's EDM type,
//!   which converts JSON data (a DateTimeOffset stored as a string);
//! - literals become values: strings as `Box<str>`, DateTimeOffsets as
//!   instants, durations parsed, a Date compared with a DateTimeOffset
//!   property promoted to 00:00:00Z, `now()` read once per compilation (so
//!   every entity of one request sees the same instant);
//! - chains of `and`/`or` become one node with a list of operands, run in a
//!   loop with short-circuiting, so a 500-operand chain needs no deep stack.
//!   Other nesting recurses, but the parser caps it (depth 100, 1,000 nodes).
//! - a comparison, `in` list or `startswith`/`endswith`/`contains` of one
//!   property and literals becomes a specialized test (`specialize.rs`),
//!   built around the entity type's direct reader of the property so that
//!   the read is inlined, which compares without building [`Val`]s: most
//!   filters are made of these.
//!
//! Where running allocates (documented, and off the common paths):
//! `concat`, `cast(…,Edm.String)`, `has`, and `substring`/`trim`/a second
//! case mapping applied to a `tolower`/`toupper` view. `tolower(x) eq 'v'`,
//! `contains(toupper(x),'V')`, `length`, `indexof` and every comparison of
//! plain strings allocate nothing.
//!
//! `matchesPattern` takes a string-literal pattern, compiled once with the
//! `regex` crate (RE2-like syntax: no backreferences or look-around, which
//! is what keeps matching linear in the subject); .NET, which serves the
//! Defender API, would accept those extra constructs, so such a pattern is
//! rejected here with `InvalidArguments` rather than evaluated differently.
//!
//! Not evaluated (compiling reports them): lambdas (`any`/`all`; no
//! MachineActions collection is filterable), `matchesPattern` with a pattern
//! that is not a literal, and bound function calls in paths.

use std::marker::PhantomData;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, Timelike, Utc};

use super::specialize::{specialize, Fast};
use super::value::{
    arithmetic, compare, date_at_midnight_utc, equals, fractional_seconds, has_flags, nanos_of,
    negate, parse_duration, ArithOp, Text, Val,
};
use crate::error::{Code, Diagnostic, Error};
use crate::model::{Entity, PropertyValue};
use crate::schema::{EdmType, EntitySchema};
use crate::syntax::ast::{BinaryOp, Function, SpecialFloat, TypeFunction, UnaryOp};
use crate::syntax::query::SystemOption;
use crate::syntax::tree::{ExprKind, ExprRef, ExprRefs, Literal, PathRef, SegmentKind};
use crate::validate::ValidatedQuery;

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
}

/// A validated `$filter`, compiled for entities of type `E`.
///
/// Compile once per request ([`CompiledFilter::compile`]), then ask
/// [`CompiledFilter::matches`] of each entity.
#[derive(Clone, Debug)]
#[must_use]
pub struct CompiledFilter<E: Entity> {
    /// `None`: no `$filter`, everything matches.
    root: Option<Node<E>>,
    entity: PhantomData<fn(&E)>,
}

impl<E: Entity> CompiledFilter<E> {
    /// Compiles the `$filter` of a validated query (none: match all).
    ///
    /// Fails for what the evaluator does not run (see the module docs) and
    /// for properties the entity type cannot resolve.
    pub fn compile(query: &ValidatedQuery<'_>) -> Result<CompiledFilter<E>, Error> {
        let compiler = Compiler {
            schema: query.schema(),
            option: SystemOption::Filter,
            text: query.query().sources.get(SystemOption::Filter),
            now: Utc::now().fixed_offset(),
        };
        let root = match &query.query().filter {
            Some(expr) => Some(compiler.compile::<E>(expr.root())?),
            None => None,
        };
        Ok(CompiledFilter {
            root,
            entity: PhantomData,
        })
    }

    /// The filter's three-valued answer for `entity`: `Some(true)`,
    /// `Some(false)`, or `None` (null, unknown).
    pub fn evaluate(&self, entity: &E) -> Option<bool> {
        match &self.root {
            None => Some(true),
            Some(node) => truth(node, entity),
        }
    }

    /// Whether the filter selects `entity`: only `true` does.
    pub fn matches(&self, entity: &E) -> bool {
        self.evaluate(entity) == Some(true)
    }

    #[cfg(test)]
    pub(crate) fn root(&self) -> Option<&Node<E>> {
        self.root.as_ref()
    }
}

/// A compiled value expression (an `$orderby` key).
#[derive(Clone, Debug)]
pub struct CompiledExpr<E: Entity> {
    node: Node<E>,
    entity: PhantomData<fn(&E)>,
}

impl<E: Entity> CompiledExpr<E> {
    /// The value of the expression for `entity`.
    pub fn value<'a>(&'a self, entity: &'a E) -> Val<'a> {
        eval(&self.node, entity)
    }

    /// The property `name` of the schema, as an expression.
    pub(crate) fn property(schema: &EntitySchema, name: &str) -> Result<CompiledExpr<E>, Error> {
        let edm = schema.property(name).map(|p| p.edm_type);
        let canonical = schema.property(name).map_or(name, |p| p.name);
        let accessor = E::accessor(canonical).ok_or_else(|| {
            Error::new(Diagnostic::new(
                Code::UnknownProperty,
                format!("the entity type has no property '{canonical}'"),
            ))
        })?;
        Ok(CompiledExpr {
            node: Node::Property { accessor, edm },
            entity: PhantomData,
        })
    }

    /// Compiles one `$orderby` key of a validated query.
    pub(crate) fn orderby_key(
        query: &ValidatedQuery<'_>,
        expr: ExprRef<'_>,
    ) -> Result<CompiledExpr<E>, Error> {
        let compiler = Compiler {
            schema: query.schema(),
            option: SystemOption::OrderBy,
            text: query.query().sources.get(SystemOption::OrderBy),
            now: Utc::now().fixed_offset(),
        };
        Ok(CompiledExpr {
            node: compiler.compile::<E>(expr)?,
            entity: PhantomData,
        })
    }
}

struct Compiler<'q> {
    schema: &'q EntitySchema,
    option: SystemOption,
    text: Option<&'q str>,
    now: DateTime<FixedOffset>,
}

impl Compiler<'_> {
    fn unsupported(&self, expr: ExprRef<'_>, what: &str) -> Error {
        let mut d = Diagnostic::new(
            Code::TypeMismatch,
            format!("{what} cannot be evaluated by this crate"),
        )
        .in_option(self.option.name());
        if let Some(text) = self.text {
            d = d.at(expr.span(), text);
        }
        Error::new(d)
    }

    /// `matchesPattern(x,'re')`: the pattern is compiled once, here, so it
    /// must be a literal. The `regex` crate matches in time linear in the
    /// subject, and the size limit bounds what a pattern may cost to build.
    fn matches_pattern<E: Entity>(
        &self,
        expr: ExprRef<'_>,
        args: ExprRefs<'_>,
    ) -> Result<Node<E>, Error> {
        let (2, Some(subject), Some(pattern)) = (args.len(), args.get(0), args.get(1)) else {
            return Err(self.unsupported(expr, "matchesPattern without two arguments"));
        };
        let Some(Literal::String(pattern_text)) = pattern.literal() else {
            return Err(self.unsupported(
                pattern,
                "matchesPattern with a pattern that is not a string literal",
            ));
        };
        let pattern = regex::RegexBuilder::new(pattern_text)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| {
                let mut d = Diagnostic::new(
                    Code::InvalidArguments,
                    format!("'{pattern_text}' is not a regular expression this crate supports"),
                )
                .in_option(self.option.name())
                .with_help(e.to_string());
                if let Some(text) = self.text {
                    d = d.at(pattern.span(), text);
                }
                Error::new(d)
            })?;
        Ok(Node::MatchesPattern {
            subject: Box::new(self.compile::<E>(subject)?),
            pattern,
        })
    }

    fn compile<E: Entity>(&self, expr: ExprRef<'_>) -> Result<Node<E>, Error> {
        self.compile_generic::<E>(expr).map(specialize)
    }

    fn compile_generic<E: Entity>(&self, expr: ExprRef<'_>) -> Result<Node<E>, Error> {
        match expr.kind() {
            ExprKind::Literal(literal) => Ok(Node::Lit(self.literal(expr, literal)?)),
            ExprKind::Path(path) => self.path::<E>(expr, path),
            ExprKind::Unary { op, operand } => {
                let inner = Box::new(self.compile::<E>(operand)?);
                Ok(match op {
                    UnaryOp::Not => Node::Not(inner),
                    UnaryOp::Negate => Node::Negate(inner),
                })
            }
            ExprKind::Binary { op, .. } if matches!(op, BinaryOp::And | BinaryOp::Or) => {
                self.chain::<E>(expr, op)
            }
            ExprKind::Binary {
                op,
                operands: [left, right],
            } => self.binary::<E>(op, left, right),
            ExprKind::List(_) => Err(self.unsupported(expr, "a list outside 'in'")),
            ExprKind::Call { function, args } => {
                if function == Function::MatchesPattern {
                    return self.matches_pattern::<E>(expr, args);
                }
                let args = args
                    .iter()
                    .map(|a| self.compile::<E>(a))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(match function {
                    Function::Now => Node::Lit(Lit::DateTimeOffset(self.now)),
                    Function::MinDateTime => {
                        Node::Lit(Lit::DateTimeOffset(DateTime::<Utc>::MIN_UTC.fixed_offset()))
                    }
                    Function::MaxDateTime => {
                        Node::Lit(Lit::DateTimeOffset(DateTime::<Utc>::MAX_UTC.fixed_offset()))
                    }
                    _ => Node::Call { function, args },
                })
            }
            ExprKind::TypeFunction {
                function,
                operand,
                type_name,
            } => {
                let target = EdmType::primitive_from_name(type_name);
                match (function, operand, target) {
                    (TypeFunction::IsOf, None, _) => Ok(Node::Lit(Lit::Bool(
                        type_name.eq_ignore_ascii_case(self.schema.type_name),
                    ))),
                    (_, None, _) => Ok(Node::Entity),
                    (_, Some(_), None) => Err(self.unsupported(expr, "a cast to an entity type")),
                    (function, Some(operand), Some(target)) => {
                        let operand = Box::new(self.compile::<E>(operand)?);
                        Ok(match function {
                            TypeFunction::Cast => Node::Cast { operand, target },
                            TypeFunction::IsOf => Node::IsOf { operand, target },
                        })
                    }
                }
            }
        }
    }

    /// A left-nested `and`/`or` chain as one node, without recursing per
    /// operand.
    fn chain<E: Entity>(&self, expr: ExprRef<'_>, op: BinaryOp) -> Result<Node<E>, Error> {
        let mut rights = Vec::new();
        let mut node = expr;
        while let ExprKind::Binary {
            op: o,
            operands: [left, right],
        } = node.kind()
        {
            if o != op {
                break;
            }
            rights.push(right);
            node = left;
        }
        let mut operands = Vec::with_capacity(rights.len() + 1);
        operands.push(self.compile::<E>(node)?);
        for right in rights.into_iter().rev() {
            operands.push(self.compile::<E>(right)?);
        }
        Ok(if op == BinaryOp::And {
            Node::All(operands)
        } else {
            Node::Any(operands)
        })
    }

    fn binary<E: Entity>(
        &self,
        op: BinaryOp,
        left: ExprRef<'_>,
        right: ExprRef<'_>,
    ) -> Result<Node<E>, Error> {
        if op == BinaryOp::In {
            return self.in_list::<E>(left, right);
        }
        let mut l = self.compile::<E>(left)?;
        let mut r = self.compile::<E>(right)?;
        let cmp = match op {
            BinaryOp::Eq => Some(CmpOp::Eq),
            BinaryOp::Ne => Some(CmpOp::Ne),
            BinaryOp::Gt => Some(CmpOp::Gt),
            BinaryOp::Ge => Some(CmpOp::Ge),
            BinaryOp::Lt => Some(CmpOp::Lt),
            BinaryOp::Le => Some(CmpOp::Le),
            _ => None,
        };
        if let Some(op) = cmp {
            promote_date(&mut l, &r);
            promote_date(&mut r, &l);
            return Ok(Node::Compare {
                op,
                left: Box::new(l),
                right: Box::new(r),
            });
        }
        let arith = match op {
            BinaryOp::Add => ArithOp::Add,
            BinaryOp::Sub => ArithOp::Sub,
            BinaryOp::Mul => ArithOp::Mul,
            BinaryOp::Div => ArithOp::Div,
            BinaryOp::DivBy => ArithOp::DivBy,
            BinaryOp::Mod => ArithOp::Mod,
            _ => {
                return Ok(Node::Has {
                    left: Box::new(l),
                    right: Box::new(r),
                })
            }
        };
        Ok(Node::Arith {
            op: arith,
            left: Box::new(l),
            right: Box::new(r),
        })
    }

    fn in_list<E: Entity>(&self, left: ExprRef<'_>, right: ExprRef<'_>) -> Result<Node<E>, Error> {
        let item = Box::new(self.compile::<E>(left)?);
        let ExprKind::List(items) = right.kind() else {
            return Err(self.unsupported(right, "'in' over a collection"));
        };
        let mut list = items
            .iter()
            .map(|i| self.compile::<E>(i))
            .collect::<Result<Vec<_>, _>>()?;
        for entry in &mut list {
            promote_date(entry, &item);
        }
        let strings_only = list
            .iter()
            .all(|n| matches!(n, Node::Lit(Lit::Str(_) | Lit::Null)));
        if strings_only {
            let has_null = list.iter().any(|n| matches!(n, Node::Lit(Lit::Null)));
            let mut sorted: Vec<Box<str>> = list
                .into_iter()
                .filter_map(|n| match n {
                    Node::Lit(Lit::Str(s)) => Some(s),
                    _ => None,
                })
                .collect();
            sorted.sort();
            sorted.dedup();
            return Ok(Node::InStrings {
                item,
                sorted,
                has_null,
            });
        }
        Ok(Node::In { item, list })
    }

    fn path<E: Entity>(&self, expr: ExprRef<'_>, path: PathRef<'_>) -> Result<Node<E>, Error> {
        let mut node: Option<Node<E>> = None;
        let mut complex: Option<&'static [crate::schema::PropertyDef]> = None;
        for segment in path.segments() {
            match (segment.kind(), &node) {
                (SegmentKind::It | SegmentKind::This, None) => node = Some(Node::Entity),
                (SegmentKind::TypeCast(_), _) => {}
                (SegmentKind::Property(name), None | Some(Node::Entity)) => {
                    let def = self.schema.property(name);
                    let canonical = def.map_or(name, |p| p.name);
                    let accessor = E::accessor(canonical).ok_or_else(|| {
                        self.unsupported(expr, &format!("the property '{canonical}'"))
                    })?;
                    let edm = def.map(|p| p.edm_type);
                    complex = match edm {
                        Some(EdmType::Complex(c)) => Some(c.properties),
                        _ => None,
                    };
                    node = Some(Node::Property { accessor, edm });
                }
                (SegmentKind::Property(name), Some(_)) => {
                    let def = complex
                        .and_then(|props| props.iter().find(|p| p.name.eq_ignore_ascii_case(name)));
                    let edm = def.map(|p| p.edm_type);
                    complex = match edm {
                        Some(EdmType::Complex(c)) => Some(c.properties),
                        _ => None,
                    };
                    let base = Box::new(node.take().unwrap_or(Node::Lit(Lit::Null)));
                    node = Some(Node::Member {
                        base,
                        name: def.map_or(name, |p| p.name).into(),
                        edm,
                    });
                }
                (SegmentKind::Lambda { .. }, _) => return Err(self.unsupported(expr, "any/all")),
                (SegmentKind::FunctionCall { name, .. }, _) => {
                    return Err(self.unsupported(expr, &format!("the function '{name}'")))
                }
                (SegmentKind::It | SegmentKind::This, Some(_)) => {
                    return Err(self.unsupported(expr, "$it inside a path"))
                }
            }
        }
        Ok(node.unwrap_or(Node::Entity))
    }

    fn literal(&self, expr: ExprRef<'_>, literal: Literal<'_>) -> Result<Lit, Error> {
        let bad = || self.unsupported(expr, "this literal");
        Ok(match literal {
            Literal::Null => Lit::Null,
            Literal::Boolean(b) => Lit::Bool(b),
            Literal::Int(i) => Lit::Int(i),
            Literal::Decimal(text) | Literal::Double(text) => {
                Lit::Num(text.parse::<f64>().map_err(|_| bad())?)
            }
            Literal::Special(SpecialFloat::Infinity) => Lit::Num(f64::INFINITY),
            Literal::Special(SpecialFloat::NegativeInfinity) => Lit::Num(f64::NEG_INFINITY),
            Literal::Special(SpecialFloat::NaN) => Lit::Num(f64::NAN),
            Literal::String(s) => Lit::Str(s.into()),
            Literal::Guid(g) => Lit::Guid(g),
            Literal::DateTimeOffset(t) => Lit::DateTimeOffset(t.0),
            Literal::Date(d) => Lit::Date(d),
            Literal::TimeOfDay(t) => Lit::TimeOfDay(t),
            Literal::Duration(text) => Lit::Duration(parse_duration(text).ok_or_else(bad)?),
            Literal::Binary(_) => return Err(bad()),
            Literal::Enum { value, .. } => Lit::Enum(value.into()),
        })
    }
}

/// A Date literal compared with a DateTimeOffset becomes 00:00:00Z once,
/// here, instead of per entity.
fn promote_date<E: Entity>(node: &mut Node<E>, other: &Node<E>) {
    let other_is_instant = matches!(
        other,
        Node::Property {
            edm: Some(EdmType::DateTimeOffset),
            ..
        } | Node::Member {
            edm: Some(EdmType::DateTimeOffset),
            ..
        } | Node::Lit(Lit::DateTimeOffset(_))
    );
    if let (Node::Lit(Lit::Date(d)), true) = (&*node, other_is_instant) {
        *node = Node::Lit(Lit::DateTimeOffset(date_at_midnight_utc(*d)));
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
pub(crate) fn typed_value(value: PropertyValue<'_>, edm: Option<EdmType>) -> Val<'_> {
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

fn composite_truth<E: Entity>(node: &Node<E>, entity: &E) -> Option<bool> {
    match node {
        Node::All(operands) => short_circuit(operands.iter().map(|o| truth(o, entity)), false),
        Node::Any(operands) => short_circuit(operands.iter().map(|o| truth(o, entity)), true),
        Node::Not(inner) => truth(inner, entity).map(|b| !b),
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
fn eval<'a, E: Entity>(node: &'a Node<E>, entity: &'a E) -> Val<'a> {
    match node {
        Node::Lit(lit) => lit.val(),
        Node::Property { accessor, edm } => typed_value(entity.property(accessor), *edm),
        Node::Member { base, name, edm } => match eval(base, entity) {
            Val::Complex(c) => typed_value(c.member(name), *edm),
            _ => Val::Null,
        },
        Node::Entity => Val::Null,
        Node::Not(_)
        | Node::All(_)
        | Node::Any(_)
        | Node::Fast(_)
        | Node::FastAll(_)
        | Node::FastAny(_) => bool_val(truth(node, entity)),
        Node::Negate(inner) => negate(&eval(inner, entity)),
        Node::Compare { op, left, right } => {
            let (l, r) = (eval(left, entity), eval(right, entity));
            match op {
                CmpOp::Eq => Val::Bool(equals(&l, &r)),
                CmpOp::Ne => Val::Bool(!equals(&l, &r)),
                _ if l.is_null() || r.is_null() => Val::Null,
                _ => match compare(&l, &r) {
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
        Node::Arith { op, left, right } => {
            let (l, r) = (eval(left, entity), eval(right, entity));
            arithmetic(*op, &l, &r)
        }
        Node::InStrings {
            item,
            sorted,
            has_null,
        } => {
            let value = eval(item, entity);
            Val::Bool(match &value {
                Val::Null => *has_null,
                Val::Str(Text::Plain(s)) => sorted.binary_search_by(|c| (**c).cmp(*s)).is_ok(),
                Val::Str(text) => sorted.iter().any(|c| text.eq_text(&Text::Plain(c))),
                Val::Enum(s) => sorted.binary_search_by(|c| (**c).cmp(*s)).is_ok(),
                _ => false,
            })
        }
        Node::In { item, list } => {
            let value = eval(item, entity);
            Val::Bool(list.iter().any(|n| equals(&value, &eval(n, entity))))
        }
        Node::Has { left, right } => {
            let (l, r) = (eval(left, entity), eval(right, entity));
            bool_val(has_flags(&l, &r))
        }
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
}
