//! Compiling a validated `$filter` (or `$orderby` key) into a tree of
//! nodes that runs per entity with no name look-ups and no allocation.
//!
//! Owns: [`CompiledFilter`], [`CompiledExpr`], turning the validated tree
//! into nodes, and literal pre-conversion. Must not know about: how nodes
//! run per entity (`node.rs`), which leaves are specialized and how
//! (`specialize.rs`), ordering, paging or the response (see `run.rs`,
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
//! `matchesPattern` takes a string-literal pattern, compiled once with the
//! `regex` crate (RE2-like syntax: no backreferences or look-around, which
//! is what keeps matching linear in the subject); .NET, which serves the
//! Defender API, would accept those extra constructs, so such a pattern is
//! rejected here with `InvalidArguments` rather than evaluated differently.
//!
//! Lambdas (`any`/`all`) compile their body for one collection member at
//! a time (`element.rs`): the body reads its range variable (and paths
//! into it), nothing else; a body that reads the entity (`$it`, another
//! property) or an outer lambda's variable is refused when compiling.
//!
//! Not evaluated (compiling reports them): lambda bodies that read outside
//! their variable, `matchesPattern` with a pattern that is not a literal,
//! and bound function calls in paths.

use std::marker::PhantomData;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

use super::element::{self, Element};
use super::node::{eval, truth, CmpOp, Lit, Node};
use super::specialize::specialize;
use super::value::{date_at_midnight_utc, ArithOp, Val};
use crate::error::{Code, Diagnostic, Error};
use crate::model::Entity;
use crate::schema::{EdmType, EntitySchema};
use crate::syntax::ast::{BinaryOp, Function, LambdaKind, SpecialFloat, TypeFunction, UnaryOp};
use crate::syntax::lexer::parse_duration;
use crate::syntax::query::SystemOption;
use crate::syntax::tree::{ExprKind, ExprRef, ExprRefs, Literal, PathRef, SegmentKind};
use crate::validate::ValidatedQuery;

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
            variable: None,
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
            variable: None,
        };
        Ok(CompiledExpr {
            node: compiler.compile::<E>(expr)?,
            entity: PhantomData,
        })
    }
}

#[derive(Clone)]
struct Compiler<'q> {
    schema: &'q EntitySchema,
    option: SystemOption,
    text: Option<&'q str>,
    now: DateTime<FixedOffset>,
    /// Inside a lambda body: its range variable's name and the type of
    /// the collection's members. The body reads only its variable.
    variable: Option<(Box<str>, Option<EdmType>)>,
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
        let pattern = crate::pattern::compile(pattern_text).map_err(|why| {
            let mut d = Diagnostic::new(
                Code::InvalidArguments,
                format!("'{pattern_text}' is not a regular expression this crate supports"),
            )
            .in_option(self.option.name())
            .with_help(why);
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
            ExprKind::Binary { .. } => self.binary_chain::<E>(expr),
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

    /// A binary operator other than `and`/`or`, with the chain of such
    /// operators down its left operands (`a add b sub c gt d`): one node
    /// for a lone operator, else a [`Node::Fold`] of the innermost one and
    /// a step for each above it. The chain is walked in a loop, so its
    /// length costs no stack.
    fn binary_chain<E: Entity>(&self, expr: ExprRef<'_>) -> Result<Node<E>, Error> {
        let mut spine = Vec::new();
        let mut node = expr;
        while let ExprKind::Binary {
            op,
            operands: [left, right],
        } = node.kind()
        {
            if matches!(op, BinaryOp::And | BinaryOp::Or) {
                break;
            }
            spine.push((op, right));
            node = left;
        }
        let Some((op, right)) = spine.pop() else {
            return self.compile::<E>(node);
        };
        let first = self.binary::<E>(op, self.compile::<E>(node)?, right)?;
        if spine.is_empty() {
            return Ok(first);
        }
        let steps = spine
            .into_iter()
            .rev()
            .map(|(op, right)| self.binary::<E>(op, Node::SoFar, right))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Node::Fold {
            first: Box::new(first),
            steps,
        })
    }

    /// `l op right`, its left operand `l` compiled already.
    fn binary<E: Entity>(
        &self,
        op: BinaryOp,
        mut l: Node<E>,
        right: ExprRef<'_>,
    ) -> Result<Node<E>, Error> {
        if op == BinaryOp::In {
            return self.in_list::<E>(l, right);
        }
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

    fn in_list<E: Entity>(&self, item: Node<E>, right: ExprRef<'_>) -> Result<Node<E>, Error> {
        let item = Box::new(item);
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
            match (segment.kind(), &node, &self.variable) {
                (SegmentKind::It | SegmentKind::This, None, Some(_)) => {
                    return Err(self.unsupported(expr, "$it inside a lambda"))
                }
                (SegmentKind::It | SegmentKind::This, None, None) => node = Some(Node::Entity),
                (SegmentKind::TypeCast(_), _, _) => {}
                (SegmentKind::Property(name), None, Some((variable, edm))) => {
                    if name != variable.as_ref() {
                        return Err(self.unsupported(
                            expr,
                            &format!("'{name}' inside a lambda, which reads only its variable"),
                        ));
                    }
                    let accessor = E::accessor(element::VARIABLE)
                        .ok_or_else(|| self.unsupported(expr, "a lambda variable here"))?;
                    complex = members_of(*edm);
                    node = Some(Node::Property {
                        accessor,
                        edm: *edm,
                    });
                }
                (SegmentKind::Lambda { kind, predicate }, Some(collection), _) => {
                    let member = match collection {
                        Node::Property {
                            edm: Some(EdmType::Collection(member)),
                            ..
                        }
                        | Node::Member {
                            edm: Some(EdmType::Collection(member)),
                            ..
                        } => Some(**member),
                        _ => None,
                    };
                    let body = match predicate {
                        None => None,
                        Some(lambda) => {
                            let inner = Compiler {
                                variable: Some((lambda.variable.into(), member)),
                                ..self.clone()
                            };
                            Some(Box::new(inner.compile::<Element>(lambda.body)?))
                        }
                    };
                    let collection = Box::new(node.take().unwrap_or(Node::Lit(Lit::Null)));
                    node = Some(Node::Lambda {
                        collection,
                        all: matches!(kind, LambdaKind::All),
                        body,
                    });
                    complex = None;
                }
                (SegmentKind::Property(name), None | Some(Node::Entity), _) => {
                    let def = self.schema.property(name);
                    let canonical = def.map_or(name, |p| p.name);
                    let accessor = E::accessor(canonical).ok_or_else(|| {
                        self.unsupported(expr, &format!("the property '{canonical}'"))
                    })?;
                    let edm = def.map(|p| p.edm_type);
                    complex = members_of(edm);
                    node = Some(Node::Property { accessor, edm });
                }
                (SegmentKind::Property(name), Some(_), _) => {
                    let def = complex
                        .and_then(|props| props.iter().find(|p| p.name.eq_ignore_ascii_case(name)));
                    let edm = def.map(|p| p.edm_type);
                    complex = members_of(edm);
                    let base = Box::new(node.take().unwrap_or(Node::Lit(Lit::Null)));
                    node = Some(Node::Member {
                        base,
                        name: def.map_or(name, |p| p.name).into(),
                        edm,
                    });
                }
                (SegmentKind::Lambda { .. }, None, _) => {
                    return Err(self.unsupported(expr, "a lambda without a collection"))
                }
                (SegmentKind::FunctionCall { name, .. }, _, _) => {
                    return Err(self.unsupported(expr, &format!("the function '{name}'")))
                }
                (SegmentKind::It | SegmentKind::This, Some(_), _) => {
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

/// The members of a value of type `edm`, when it is a complex type: what
/// the next segment of a path may name.
fn members_of(edm: Option<EdmType>) -> Option<&'static [crate::schema::PropertyDef]> {
    match edm {
        Some(EdmType::Complex(complex)) => Some(complex.properties),
        _ => None,
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

/// A value computed from literals alone, when a query is compiled: what
/// [`constant`] gives.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Constant {
    Null,
    Bool(bool),
    Int(i64),
    Num(f64),
    Text(String),
    Instant(DateTime<FixedOffset>),
    Date(NaiveDate),
    /// A value of another kind, by the name of the kind.
    Other(&'static str),
}

impl Constant {
    fn of(value: Val<'_>) -> Constant {
        match value {
            Val::Null => Constant::Null,
            Val::Bool(b) => Constant::Bool(b),
            Val::Int(i) => Constant::Int(i),
            Val::Num(n) => Constant::Num(n),
            Val::Str(text) => Constant::Text(text.to_string_value()),
            Val::Enum(text) => Constant::Text(text.to_owned()),
            Val::DateTimeOffset(t) => Constant::Instant(t),
            Val::Date(d) => Constant::Date(d),
            Val::TimeOfDay(_) => Constant::Other("a time of day"),
            Val::Duration(_) => Constant::Other("a duration"),
            Val::Guid(_) => Constant::Other("a GUID"),
            Val::Complex(_) => Constant::Other("a structured value"),
        }
    }
}

/// The value of `expr`, an expression of `option` that reads no property
/// (`now() sub duration'P7D'`), computed by the evaluator itself with `now`
/// as `now()`: for the back ends that hand such values over as they are
/// (the SQL translation binds them), so that they mean what they mean in
/// memory.
pub(crate) fn constant(
    query: &ValidatedQuery<'_>,
    option: SystemOption,
    expr: ExprRef<'_>,
    now: DateTime<FixedOffset>,
) -> Result<Constant, Error> {
    // The literals that are their own value need no compiling.
    match expr.kind() {
        ExprKind::Literal(Literal::Null) => return Ok(Constant::Null),
        ExprKind::Literal(Literal::Boolean(b)) => return Ok(Constant::Bool(b)),
        ExprKind::Literal(Literal::Int(i)) => return Ok(Constant::Int(i)),
        ExprKind::Literal(Literal::String(text)) => return Ok(Constant::Text(text.to_owned())),
        _ => {}
    }
    let compiler = Compiler {
        schema: query.schema(),
        option,
        text: query.query().sources.get(option),
        now,
        variable: None,
    };
    let node = compiler.compile::<serde_json::Value>(expr)?;
    let nothing = serde_json::Value::Object(serde_json::Map::new());
    Ok(Constant::of(eval(&node, &nothing)))
}
