//! From a validated query to SQL: the `WHERE` clause, `ORDER BY`,
//! `LIMIT`/`OFFSET` and the `COUNT(*)` of `$count`, for SQLite and
//! PostgreSQL, with every value of the query a bound parameter.
//!
//! Owns: what each construct becomes in SQL so that the database answers
//! as the in-memory evaluator does, and which constructs are refused
//! ([`Code::NotTranslatable`]) because no exact translation exists. Must
//! not know about: connections, loading, or query text (it reads the
//! validated tree; spans only point into the text for errors).
//!
//! The SQL text holds only fixed keywords, the layout's quoted column names
//! and placeholders. A subexpression that reads no property
//! (`now() sub duration'P1D'`, `'a' eq 'b'`) is computed by the evaluator
//! itself and bound as its value, so constants mean exactly what they mean
//! in memory.
//!
//! Three-valued logic: `and`, `or` and `not` are SQL's own (Kleene, as
//! OData's). `eq`/`ne` are two-valued in OData (`null eq null` is true,
//! `x ne 'a'` is true where `x` is null), so they carry `IS NULL` terms
//! where SQL's `=` would give null; where a null and a false answer select
//! the same rows (anywhere not under `not`) the plain `=` is kept, which
//! the planners index best. Ordering comparisons with a null are null in
//! both.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use chrono::{DateTime, FixedOffset, Utc};

use super::layout::{instant_parts, quote, ColumnKind, Layout};
use crate::ast::{BinaryOp, ExprKind, ExprRef, Function, SegmentKind, UnaryOp};
use crate::error::{Code, Diagnostic, Error};
use crate::eval::{constant, Constant, PageBounds, ResponsePlan, Scope};
use crate::syntax::query::SystemOption;
use crate::validate::ValidatedQuery;

/// The SQL dialects the translation writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SqlDialect {
    /// SQLite 3.35 or later (the bundled build is newer).
    Sqlite,
    /// PostgreSQL 12 or later, and engines that speak its SQL; no extension
    /// is used.
    Postgres,
}

impl SqlDialect {
    /// The dialect's name on the command line: `sqlite`, `postgres`.
    pub fn name(self) -> &'static str {
        match self {
            SqlDialect::Sqlite => "sqlite",
            SqlDialect::Postgres => "postgres",
        }
    }

    /// The type of a text column: ordinal (code point) comparison and order.
    /// SQLite's default collation is BINARY, which on UTF-8 is code point
    /// order; PostgreSQL's database collation need not be, so the columns
    /// say `C`.
    pub(crate) fn text_type(self) -> &'static str {
        match self {
            SqlDialect::Sqlite => "TEXT",
            SqlDialect::Postgres => "TEXT COLLATE \"C\"",
        }
    }

    pub(crate) fn boolean_type(self) -> &'static str {
        match self {
            SqlDialect::Sqlite => "INTEGER",
            SqlDialect::Postgres => "BOOLEAN",
        }
    }

    /// A direction of `ORDER BY` with nulls where the evaluator puts them:
    /// first ascending, last descending. That is SQLite's default;
    /// PostgreSQL's is the opposite, so it is spelled out.
    pub(crate) fn order_suffix(self, descending: bool) -> &'static str {
        match (self, descending) {
            (SqlDialect::Sqlite, false) => "ASC",
            (SqlDialect::Sqlite, true) => "DESC",
            (SqlDialect::Postgres, false) => "ASC NULLS FIRST",
            (SqlDialect::Postgres, true) => "DESC NULLS LAST",
        }
    }

    /// The `n`th placeholder (from 1) of a value of `value`'s type.
    /// PostgreSQL gets the type spelled out, so that no placeholder's type
    /// depends on inference.
    pub(crate) fn placeholder(self, n: usize, value: &SqlValue) -> Placeholder {
        let cast = match self {
            SqlDialect::Sqlite => None,
            SqlDialect::Postgres => Some(match value {
                SqlValue::Text(_) | SqlValue::Null => "text",
                SqlValue::Integer(_) => "bigint",
                SqlValue::Boolean(_) => "boolean",
                SqlValue::Real(_) => "double precision",
            }),
        };
        Placeholder { n, cast }
    }

    /// The 1-based character position of `needle` in `hay`, 0 when absent,
    /// null when either is null.
    fn position(self, hay: &str, needle: impl fmt::Display) -> String {
        match self {
            SqlDialect::Sqlite => format!("instr({hay}, {needle})"),
            SqlDialect::Postgres => format!("strpos({hay}, {needle})"),
        }
    }

    /// Two-valued equality: true when both are null.
    fn same(self, a: &str, b: &str) -> String {
        match self {
            SqlDialect::Sqlite => format!("{a} IS {b}"),
            SqlDialect::Postgres => format!("{a} IS NOT DISTINCT FROM {b}"),
        }
    }

    /// The start of a load's transaction: SQLite takes the write lock at
    /// once, so that two loads never interleave their load order.
    pub(crate) fn begin(self) -> &'static str {
        match self {
            SqlDialect::Sqlite => "BEGIN IMMEDIATE",
            SqlDialect::Postgres => "BEGIN",
        }
    }

    /// The members of the JSON array in the column `c`, as a table whose
    /// `value` is each member as text (null for a JSON null).
    fn members(self, c: &str) -> String {
        match self {
            SqlDialect::Sqlite => format!("json_each({c}) AS \"member\""),
            SqlDialect::Postgres => {
                format!("jsonb_array_elements_text(CAST({c} AS jsonb)) AS \"member\"(\"value\")")
            }
        }
    }

    /// One member of [`SqlDialect::members`], compared as stored text is.
    fn member(self) -> &'static str {
        match self {
            SqlDialect::Sqlite => "\"member\".\"value\"",
            SqlDialect::Postgres => "(\"member\".\"value\" COLLATE \"C\")",
        }
    }

    /// The number of members of the JSON array in the column `c`.
    fn array_length(self, c: &str) -> String {
        match self {
            SqlDialect::Sqlite => format!("json_array_length({c})"),
            SqlDialect::Postgres => format!("jsonb_array_length(CAST({c} AS jsonb))"),
        }
    }

    /// A null of type Boolean.
    fn null(self) -> &'static str {
        match self {
            SqlDialect::Sqlite => "NULL",
            SqlDialect::Postgres => "CAST(NULL AS BOOLEAN)",
        }
    }
}

/// A placeholder as the SQL writes it: `?3`, or `$3::text`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Placeholder {
    n: usize,
    cast: Option<&'static str>,
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cast {
            None => write!(f, "?{}", self.n),
            Some(cast) => write!(f, "${}::{cast}", self.n),
        }
    }
}

impl fmt::Display for SqlDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for SqlDialect {
    type Err = String;

    fn from_str(s: &str) -> Result<SqlDialect, String> {
        match s {
            "sqlite" => Ok(SqlDialect::Sqlite),
            "postgres" | "postgresql" => Ok(SqlDialect::Postgres),
            _ => Err(format!("unknown SQL dialect '{s}' (sqlite, postgres)")),
        }
    }
}

/// A bound parameter's value.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum SqlValue {
    /// `NULL`.
    Null,
    /// A 64-bit integer.
    Integer(i64),
    /// A text.
    Text(String),
    /// A Boolean (SQLite stores it as 0 or 1).
    Boolean(bool),
    /// A double-precision number (never NaN: JSON has none, and a query's
    /// NaN is not translated).
    Real(f64),
}

/// Values are equal when they are the same value of the same kind: a real
/// by its bits, so that equality is an equivalence and hashing agrees.
impl PartialEq for SqlValue {
    fn eq(&self, other: &SqlValue) -> bool {
        match (self, other) {
            (SqlValue::Null, SqlValue::Null) => true,
            (SqlValue::Integer(a), SqlValue::Integer(b)) => a == b,
            (SqlValue::Text(a), SqlValue::Text(b)) => a == b,
            (SqlValue::Boolean(a), SqlValue::Boolean(b)) => a == b,
            (SqlValue::Real(a), SqlValue::Real(b)) => a.to_bits() == b.to_bits(),
            _ => false,
        }
    }
}

impl Eq for SqlValue {}

impl std::hash::Hash for SqlValue {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            SqlValue::Null => {}
            SqlValue::Integer(i) => i.hash(state),
            SqlValue::Text(text) => text.hash(state),
            SqlValue::Boolean(b) => b.hash(state),
            SqlValue::Real(r) => r.to_bits().hash(state),
        }
    }
}

/// The largest magnitude up to which every integer is a double exactly:
/// an integer compared with a stored double is translated only within it.
pub(crate) const EXACT_IN_DOUBLE: u64 = 1 << 53;

impl fmt::Display for SqlValue {
    /// A text as a JSON string (so that control characters show), other
    /// values as SQL writes them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlValue::Null => f.write_str("NULL"),
            SqlValue::Integer(i) => write!(f, "{i}"),
            SqlValue::Text(text) => write!(f, "{}", serde_json::Value::from(text.as_str())),
            SqlValue::Boolean(b) => f.write_str(if *b { "TRUE" } else { "FALSE" }),
            SqlValue::Real(r) => write!(f, "{r:?}"),
        }
    }
}

/// One SQL statement and its parameters, in placeholder order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// The SQL text.
    pub sql: String,
    /// The values of its placeholders, the first for `?1`/`$1`.
    pub params: Vec<SqlValue>,
}

impl fmt::Display for Statement {
    /// The SQL, then one line per parameter: `-- ?1 = "text"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sql)?;
        for (i, value) in self.params.iter().enumerate() {
            write!(f, "\n-- {} = {value}", i + 1)?;
        }
        Ok(())
    }
}

/// The statements that answer a validated query.
#[derive(Clone, Debug)]
pub struct Translation {
    /// The page: the `"@doc"` of each entity, in order.
    pub rows: Statement,
    /// The number of matches, for `$count=true`.
    pub count: Option<Statement>,
    /// The page `rows` fetches; without `$top`, one row more than the
    /// page holds, which, when it comes back, says that a next page exists.
    pub(crate) bounds: PageBounds,
}

/// Translates `query` into the statements that answer it from the layout
/// of its schema, in `dialect`; `now()` is the current time.
///
/// # Errors
///
/// [`Code::NotTranslatable`] for a construct that SQL cannot answer exactly
/// as the evaluator does (arithmetic on properties, `substring`, date
/// parts, lambdas, …), with its span.
pub fn translate(query: &ValidatedQuery<'_>, dialect: SqlDialect) -> Result<Translation, Error> {
    translate_at(query, dialect, Utc::now().fixed_offset())
}

/// [`translate`] with `now` as `now()`.
pub(crate) fn translate_at(
    query: &ValidatedQuery<'_>,
    dialect: SqlDialect,
    now: DateTime<FixedOffset>,
) -> Result<Translation, Error> {
    translate_with(
        query,
        &super::layout::cached(query.schema()),
        dialect,
        now,
        ResponsePlan::bounds_of(query),
        None,
    )
}

pub(crate) fn translate_with(
    query: &ValidatedQuery<'_>,
    layout: &Layout,
    dialect: SqlDialect,
    now: DateTime<FixedOffset>,
    bounds: PageBounds,
    scope: Option<&Scope>,
) -> Result<Translation, Error> {
    let mut t = Translator {
        query,
        layout,
        dialect,
        now,
        option: SystemOption::Filter,
        params: Vec::new(),
        variable: None,
    };
    let mut sql = String::with_capacity(256);
    sql.push_str(layout.select_docs());
    let filter_start = sql.len();
    if let Some(scope) = scope {
        // A navigation's restriction: the entities whose property equals
        // the key exactly, as `CompiledQuery::restricted_to` admits them.
        let column = layout
            .column(scope.property)
            .filter(|c| c.kind == ColumnKind::Text)
            .ok_or_else(|| {
                Error::new(Diagnostic::new(
                    Code::NotTranslatable,
                    format!(
                        "{} are not stored with '{}' to scope them by",
                        layout.entity_set(),
                        scope.property
                    ),
                ))
            })?;
        let value = t.bind(SqlValue::Text(scope.value.clone()));
        let _ = write!(sql, " WHERE {} = {value}", column.value());
    }
    if let Some(expr) = &query.query().filter {
        sql.push_str(if scope.is_some() { " AND " } else { " WHERE " });
        t.predicate(expr.root(), Context::Selecting, &mut sql)?;
    }
    let filter_end = sql.len();
    let where_params = bounds.count.then(|| t.params.clone());
    t.option = SystemOption::OrderBy;
    let order = t.order_by()?;
    let fetch = bounds.len.saturating_add(u64::from(bounds.pages));
    let limit = t.bind(SqlValue::Integer(i64::try_from(fetch).unwrap_or(i64::MAX)));
    let offset = t.bind(SqlValue::Integer(
        i64::try_from(bounds.skip).unwrap_or(i64::MAX),
    ));
    let _ = write!(sql, " ORDER BY {order} LIMIT {limit} OFFSET {offset}");
    let count = where_params.map(|params| Statement {
        sql: format!(
            "SELECT COUNT(*) FROM {}{}",
            layout.table(),
            &sql[filter_start..filter_end]
        ),
        params,
    });
    let rows = Statement {
        sql,
        params: t.params,
    };
    Ok(Translation {
        rows,
        count,
        bounds,
    })
}

/// Whether a null answer and a false one select the same rows here: true
/// anywhere but under `not`, since only `true` selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Context {
    /// Null may stand for false.
    Selecting,
    /// The exact three-valued answer is needed.
    Exact,
}

/// The type of a translated value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Text,
    /// Two SQL values: seconds and nanoseconds.
    Instant,
    Integer,
    Boolean,
    /// A double-precision number.
    Real,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::Text => "a string",
            Class::Instant => "a DateTimeOffset",
            Class::Integer => "an integer",
            Class::Boolean => "a Boolean",
            Class::Real => "a Double",
        }
    }
}

/// A translated value: a constant (bound when used) or SQL.
#[derive(Clone, Debug)]
enum Value<'q> {
    Const(Constant),
    /// `sql` has two parts for an instant, one otherwise; a column's name
    /// is borrowed from the layout.
    Sql {
        class: Class,
        sql: Parts<'q>,
    },
}

/// The one or two SQL values of a translated value, without a heap
/// allocation of their own.
#[derive(Clone, Debug)]
struct Parts<'q> {
    parts: [Cow<'q, str>; 2],
    len: usize,
}

impl<'q> Parts<'q> {
    fn one(sql: impl Into<Cow<'q, str>>) -> Parts<'q> {
        Parts {
            parts: [sql.into(), Cow::Borrowed("")],
            len: 1,
        }
    }

    fn two(first: &'q str, second: &'q str) -> Parts<'q> {
        Parts {
            parts: [Cow::Borrowed(first), Cow::Borrowed(second)],
            len: 2,
        }
    }

    fn into_first(self) -> Cow<'q, str> {
        let [first, _] = self.parts;
        first
    }
}

impl<'q> std::ops::Deref for Parts<'q> {
    type Target = [Cow<'q, str>];

    fn deref(&self) -> &[Cow<'q, str>] {
        &self.parts[..self.len]
    }
}

struct Translator<'q, 's> {
    query: &'q ValidatedQuery<'s>,
    layout: &'q Layout,
    dialect: SqlDialect,
    now: DateTime<FixedOffset>,
    option: SystemOption,
    params: Vec<SqlValue>,
    /// Inside a lambda's body: its range variable's name, and the SQL of
    /// the member it ranges over.
    variable: Option<(String, &'static str)>,
}

impl<'q> Translator<'q, '_> {
    /// Adds a parameter and returns its placeholder.
    fn bind(&mut self, value: SqlValue) -> Placeholder {
        let placeholder = self.dialect.placeholder(self.params.len() + 1, &value);
        self.params.push(value);
        placeholder
    }

    fn refuse(&self, expr: ExprRef<'_>, what: &str) -> Error {
        let mut d = Diagnostic::new(
            Code::NotTranslatable,
            format!("{what} has no exact SQL translation"),
        )
        .in_option(self.option.name())
        .with_help("filter on it in memory (eval --data), or leave it out of the query");
        if let Some(text) = self.query.query().sources.get(self.option) {
            d = d.at(expr.span(), text);
        }
        Error::new(d)
    }

    /// Whether `expr` reads no property: a constant the evaluator computes.
    fn is_constant<'a>(expr: ExprRef<'a>) -> bool {
        // Most subtrees are a comparison of a property with a literal: an
        // inline stack answers them without allocating.
        let mut inline: [Option<ExprRef<'a>>; 8] = [None; 8];
        let mut spilled = Vec::new();
        let mut len = 0;
        let mut next = Some(expr);
        while let Some(e) = next {
            let mut push = |child: ExprRef<'a>| {
                if len < inline.len() {
                    inline[len] = Some(child);
                    len += 1;
                } else {
                    spilled.push(child);
                }
            };
            match e.kind() {
                ExprKind::Literal(_) => {}
                ExprKind::Path(_) | ExprKind::TypeFunction { .. } => return false,
                ExprKind::Unary { operand, .. } => push(operand),
                ExprKind::Binary { operands, .. } => operands.into_iter().for_each(&mut push),
                ExprKind::List(items) => items.iter().for_each(&mut push),
                ExprKind::Call { args, .. } => args.iter().for_each(&mut push),
            }
            next = spilled.pop().or_else(|| {
                len = len.checked_sub(1)?;
                inline[len].take()
            });
        }
        true
    }

    fn constant(&self, expr: ExprRef<'_>) -> Result<Constant, Error> {
        constant(self.query, self.option, expr, self.now)
    }

    /// The SQL of a Boolean expression, three-valued (or, in
    /// [`Context::Selecting`], with null and false interchangeable).
    fn predicate(
        &mut self,
        expr: ExprRef<'_>,
        context: Context,
        out: &mut String,
    ) -> Result<(), Error> {
        if Self::is_constant(expr) {
            out.push_str(match self.constant(expr)? {
                Constant::Bool(true) => "TRUE",
                Constant::Bool(false) => "FALSE",
                Constant::Null => self.dialect.null(),
                _ => return Err(self.refuse(expr, "a value that is not a Boolean")),
            });
            return Ok(());
        }
        match expr.kind() {
            ExprKind::Binary { op, .. } if matches!(op, BinaryOp::And | BinaryOp::Or) => {
                // `a and b and c` nests to the left without bound: walk the
                // spine, not the stack.
                let mut operands = Vec::new();
                let mut spine = expr;
                while let ExprKind::Binary {
                    op: o,
                    operands: [l, r],
                } = spine.kind()
                {
                    if o != op {
                        break;
                    }
                    operands.push(r);
                    spine = l;
                }
                operands.push(spine);
                operands.reverse();
                let joiner = if op == BinaryOp::And { " AND " } else { " OR " };
                out.push('(');
                for (i, operand) in operands.into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(joiner);
                    }
                    self.predicate(operand, context, out)?;
                }
                out.push(')');
                Ok(())
            }
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => {
                out.push_str("NOT (");
                self.predicate(operand, Context::Exact, out)?;
                out.push(')');
                Ok(())
            }
            ExprKind::Binary {
                op,
                operands: [l, r],
            } => match op {
                BinaryOp::Eq
                | BinaryOp::Ne
                | BinaryOp::Lt
                | BinaryOp::Le
                | BinaryOp::Gt
                | BinaryOp::Ge => self.compare(expr, op, l, r, context, out),
                BinaryOp::In => {
                    let sql = self.in_list(expr, l, r, context)?;
                    out.push_str(&sql);
                    Ok(())
                }
                BinaryOp::Has => Err(self.refuse(expr, "'has'")),
                _ => Err(self.refuse(expr, "arithmetic on a property")),
            },
            ExprKind::Call { function, args } => match function {
                Function::Contains | Function::StartsWith | Function::EndsWith => {
                    let (Some(hay), Some(needle)) = (args.get(0), args.get(1)) else {
                        return Err(self.refuse(expr, function.name()));
                    };
                    let sql = self.text_test(expr, function, hay, needle)?;
                    out.push_str(&sql);
                    Ok(())
                }
                _ => self.boolean_value(expr, out),
            },
            ExprKind::Path(path)
                if matches!(
                    path.segments().next_back().map(|s| s.kind()),
                    Some(SegmentKind::Lambda { .. })
                ) =>
            {
                self.lambda(expr, path, context, out)
            }
            _ => self.boolean_value(expr, out),
        }
    }

    /// `c/any(x: body)`, `c/all(x: body)`, `c/any()` over a stored string
    /// collection, three-valued as the evaluator answers: `any` is the
    /// `or` of its body over the members (false over none), `all` the
    /// `and` (true over none), and both are null over a null collection.
    /// Where null may stand for false, `any` is an `EXISTS` of a member
    /// whose body is true, and `all` a collection with no member whose
    /// body is not true. Otherwise each member's answer is ranked (false
    /// 0, null 1, true 2) and `any` takes the highest, `all` the lowest.
    fn lambda(
        &mut self,
        expr: ExprRef<'_>,
        path: crate::ast::PathRef<'_>,
        context: Context,
        out: &mut String,
    ) -> Result<(), Error> {
        if self.variable.is_some() {
            return Err(self.refuse(expr, "a lambda inside a lambda"));
        }
        let (Some(first), Some(SegmentKind::Lambda { kind, predicate }), 2) = (
            path.get(0).map(|s| s.kind()),
            path.get(1).map(|s| s.kind()),
            path.len(),
        ) else {
            return Err(self.refuse(expr, "a lambda over anything but one property"));
        };
        let SegmentKind::Property(name) = first else {
            return Err(self.refuse(expr, "a lambda over anything but one property"));
        };
        let column = self
            .stored(name)
            .filter(|c| c.kind == ColumnKind::Strings)
            .ok_or_else(|| {
                self.refuse(
                    expr,
                    &format!("a lambda over '{name}', which is not a stored string collection,"),
                )
            })?;
        let c = column.value();
        let d = self.dialect;
        let Some(lambda) = predicate else {
            let _ = write!(
                out,
                "(CASE WHEN {c} IS NULL THEN {} ELSE {} > 0 END)",
                d.null(),
                d.array_length(c)
            );
            return Ok(());
        };
        let all = kind == crate::ast::LambdaKind::All;
        self.variable = Some((lambda.variable.to_owned(), d.member()));
        let mut body = String::new();
        let translated = self.predicate(lambda.body, context, &mut body);
        self.variable = None;
        translated?;
        let members = d.members(c);
        let _ = match (context, all) {
            (Context::Selecting, false) => {
                write!(out, "EXISTS (SELECT 1 FROM {members} WHERE {body})")
            }
            (Context::Selecting, true) => write!(
                out,
                "({c} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {members} WHERE ({body}) IS NOT TRUE))"
            ),
            (Context::Exact, _) => {
                let (best, none) = if all { ("MIN", 2) } else { ("MAX", 0) };
                write!(
                    out,
                    "(CASE WHEN {c} IS NULL THEN {null} ELSE (SELECT CASE COALESCE({best}(\"rank\"), {none}) \
                     WHEN 2 THEN TRUE WHEN 1 THEN {null} ELSE FALSE END \
                     FROM (SELECT COALESCE(CAST(({body}) AS INTEGER) * 2, 1) AS \"rank\" FROM {members}) AS \"ranked\") END)",
                    null = d.null()
                )
            }
        };
        Ok(())
    }

    /// A Boolean property used as a condition.
    fn boolean_value(&mut self, expr: ExprRef<'_>, out: &mut String) -> Result<(), Error> {
        match self.value(expr)? {
            Value::Sql {
                class: Class::Boolean,
                sql,
            } => {
                out.push_str(&sql.concat());
                Ok(())
            }
            _ => Err(self.refuse(expr, "a value that is not a Boolean")),
        }
    }

    /// A non-Boolean value: a constant, a stored property, or a function of
    /// one.
    fn value(&mut self, expr: ExprRef<'_>) -> Result<Value<'q>, Error> {
        if Self::is_constant(expr) {
            return Ok(Value::Const(self.constant(expr)?));
        }
        match expr.kind() {
            ExprKind::Path(path) if self.variable.is_some() => {
                let member = match (&self.variable, path.len(), path.get(0).map(|s| s.kind())) {
                    (Some((variable, member)), 1, Some(SegmentKind::Property(name)))
                        if name == variable =>
                    {
                        *member
                    }
                    _ => {
                        return Err(
                            self.refuse(expr, "a lambda body reading anything but its variable")
                        )
                    }
                };
                Ok(Value::Sql {
                    class: Class::Text,
                    sql: Parts::one(member),
                })
            }
            ExprKind::Path(_) => {
                let column = self.column(expr)?;
                let sql = match column.kind {
                    ColumnKind::Instant => Parts::two(column.value(), column.nanos()),
                    _ => Parts::one(column.value()),
                };
                let class = match column.kind {
                    ColumnKind::Strings => {
                        return Err(self.refuse(expr, "a collection used as a value"))
                    }
                    ColumnKind::Text => Class::Text,
                    ColumnKind::Instant => Class::Instant,
                    ColumnKind::Integer => Class::Integer,
                    ColumnKind::Boolean => Class::Boolean,
                    ColumnKind::Real => Class::Real,
                };
                Ok(Value::Sql { class, sql })
            }
            ExprKind::Call { function, args } => match function {
                Function::ToLower | Function::ToUpper => {
                    let arg = args
                        .get(0)
                        .filter(|a| matches!(a.kind(), ExprKind::Path(_)));
                    let column = match arg {
                        Some(arg) => self.column(arg)?,
                        None => {
                            return Err(self.refuse(
                                expr,
                                &format!("{} of anything but a property", function.name()),
                            ))
                        }
                    };
                    if column.kind != ColumnKind::Text {
                        return Err(self.refuse(expr, function.name()));
                    }
                    let (suffix, ascii) = if function == Function::ToLower {
                        ("lower", "lower")
                    } else {
                        ("upper", "upper")
                    };
                    Ok(Value::Sql {
                        class: Class::Text,
                        sql: Parts::one(format!(
                            "COALESCE({}, {ascii}({}))",
                            column.case_mapped(suffix == "upper"),
                            column.value()
                        )),
                    })
                }
                Function::Length => {
                    let Some(arg) = args.get(0) else {
                        return Err(self.refuse(expr, "length"));
                    };
                    let text = self.text_operand(arg)?;
                    Ok(Value::Sql {
                        class: Class::Integer,
                        sql: Parts::one(format!("length({text})")),
                    })
                }
                Function::IndexOf => {
                    let (Some(hay), Some(needle)) = (args.get(0), args.get(1)) else {
                        return Err(self.refuse(expr, "indexof"));
                    };
                    let hay_sql = self.text_operand(hay)?;
                    let sql = match self.value(needle)? {
                        Value::Const(Constant::Null) => "NULL".to_owned(),
                        Value::Const(Constant::Text(text)) if text.contains('\0') => {
                            format!("CASE WHEN {hay_sql} IS NULL THEN NULL ELSE -1 END")
                        }
                        other => {
                            let needle_sql = self.text_sql(needle, other)?;
                            format!("({} - 1)", self.dialect.position(&hay_sql, &needle_sql))
                        }
                    };
                    Ok(Value::Sql {
                        class: Class::Integer,
                        sql: Parts::one(sql),
                    })
                }
                Function::Contains | Function::StartsWith | Function::EndsWith => {
                    Err(self.refuse(expr, "a Boolean function compared as a value"))
                }
                other => Err(self.refuse(expr, other.name())),
            },
            ExprKind::Binary { op, .. } => match op {
                BinaryOp::Add
                | BinaryOp::Sub
                | BinaryOp::Mul
                | BinaryOp::Div
                | BinaryOp::DivBy
                | BinaryOp::Mod => Err(self.refuse(expr, "arithmetic on a property")),
                _ => Err(self.refuse(expr, "a condition compared as a value")),
            },
            ExprKind::Unary {
                op: UnaryOp::Negate,
                ..
            } => Err(self.refuse(expr, "negation of a property")),
            ExprKind::TypeFunction { .. } => Err(self.refuse(expr, "cast and isof")),
            _ => Err(self.refuse(expr, "this expression")),
        }
    }

    /// The stored column of a path of one property.
    fn column(&self, expr: ExprRef<'_>) -> Result<&'q super::layout::Column, Error> {
        let ExprKind::Path(path) = expr.kind() else {
            return Err(self.refuse(expr, "this expression"));
        };
        let name = match (path.len(), path.get(0).map(|s| s.kind())) {
            (1, Some(SegmentKind::Property(name))) => name,
            _ => return Err(self.refuse(expr, "a path other than one property")),
        };
        self.stored(name)
            .ok_or_else(|| self.refuse(expr, &format!("'{name}', which has no typed column,")))
    }

    /// The stored column of the property `name` (as the query spells it).
    fn stored(&self, name: &str) -> Option<&'q super::layout::Column> {
        self.query
            .schema()
            .property(name)
            .and_then(|p| self.layout.column(p.name))
    }

    /// A number constant compared with a double column, as the double it
    /// equals ([`exact_real`]), or refused.
    fn real(&self, expr: ExprRef<'_>, constant: &Constant) -> Result<SqlValue, Error> {
        exact_real(constant).map(SqlValue::Real).ok_or_else(|| {
            self.refuse(
                expr,
                "a number a double cannot hold exactly (beyond 2^53, or not finite)",
            )
        })
    }

    /// The SQL of a string operand that is not a constant with U+0000.
    fn text_operand(&mut self, expr: ExprRef<'_>) -> Result<String, Error> {
        let value = self.value(expr)?;
        self.text_sql(expr, value)
    }

    fn text_sql(&mut self, expr: ExprRef<'_>, value: Value<'_>) -> Result<String, Error> {
        match value {
            Value::Const(Constant::Null) => Ok("CAST(NULL AS TEXT)".into()),
            Value::Const(Constant::Text(text)) if !text.contains('\0') => {
                Ok(self.bind(SqlValue::Text(text)).to_string())
            }
            Value::Const(Constant::Text(_)) => Err(self.refuse(
                expr,
                "a string with U+0000 (which SQL text cannot hold) searched in",
            )),
            Value::Sql {
                class: Class::Text,
                sql,
            } => Ok(sql.into_first().into_owned()),
            _ => Err(self.refuse(expr, "a value that is not a string")),
        }
    }

    /// `contains`, `startswith`, `endswith`: null when either is null.
    fn text_test(
        &mut self,
        expr: ExprRef<'_>,
        function: Function,
        hay: ExprRef<'_>,
        needle: ExprRef<'_>,
    ) -> Result<String, Error> {
        let hay_value = self.value(hay)?;
        let needle_value = self.value(needle)?;
        if matches!(hay_value, Value::Const(Constant::Null))
            || matches!(needle_value, Value::Const(Constant::Null))
        {
            return Ok(self.dialect.null().into());
        }
        let h = self.text_sql(hay, hay_value)?;
        let d = self.dialect;
        let Value::Const(constant) = needle_value else {
            let n = self.text_sql(needle, needle_value)?;
            return Ok(match function {
                Function::Contains => format!("{} > 0", d.position(&h, &n)),
                Function::StartsWith => format!("{} = 1", d.position(&h, &n)),
                _ => match d {
                    SqlDialect::Sqlite => format!(
                        "(length({h}) >= length({n}) AND substr({h}, length({h}) - length({n}) + 1) = {n})"
                    ),
                    _ => format!("right({h}, length({n})) = {n}"),
                },
            });
        };
        let Constant::Text(text) = constant else {
            return Err(self.refuse(expr, "a value that is not a string"));
        };
        if text.contains('\0') {
            // Stored text never holds U+0000, so it never contains this.
            return Ok(format!("({h} IS NULL AND {})", d.null()));
        }
        if text.is_empty() && function != Function::Contains {
            return Ok(format!("({h} IS NOT NULL OR {})", d.null()));
        }
        Ok(match function {
            Function::Contains => {
                let n = self.bind(SqlValue::Text(text));
                format!("{} > 0", d.position(&h, n))
            }
            // A range of the index's order: the strings that start with
            // `abc` are those from `abc` up to, not including, `abd`.
            Function::StartsWith => {
                let upper = successor(&text);
                let low = self.bind(SqlValue::Text(text));
                match upper {
                    Some(upper) => {
                        let high = self.bind(SqlValue::Text(upper));
                        format!("({h} >= {low} AND {h} < {high})")
                    }
                    None => format!("{h} >= {low}"),
                }
            }
            _ => {
                let chars = i64::try_from(text.chars().count()).unwrap_or(i64::MAX);
                let k = self.bind(SqlValue::Integer(chars));
                let n = self.bind(SqlValue::Text(text));
                match d {
                    SqlDialect::Sqlite => format!("substr({h}, -{k}) = {n}"),
                    // `right` takes an `integer`, to which a `bigint` does
                    // not convert by itself.
                    _ => format!("right({h}, CAST({k} AS INTEGER)) = {n}"),
                }
            }
        })
    }

    /// `eq`, `ne`, `lt`, `le`, `gt`, `ge`.
    fn compare(
        &mut self,
        expr: ExprRef<'_>,
        op: BinaryOp,
        left: ExprRef<'_>,
        right: ExprRef<'_>,
        context: Context,
        out: &mut String,
    ) -> Result<(), Error> {
        let l = self.value(left)?;
        let r = self.value(right)?;
        let (column, constant, op) = match (l, r) {
            (Value::Sql { class: a, sql: x }, Value::Sql { class: b, sql: y }) => {
                if a != b {
                    return Err(
                        self.refuse(expr, &format!("comparing {} with {}", a.name(), b.name()))
                    );
                }
                out.push_str(&self.compare_columns(expr, op, a, &x, &y)?);
                return Ok(());
            }
            (Value::Sql { class, sql }, Value::Const(c)) => ((class, sql), c, op),
            (Value::Const(c), Value::Sql { class, sql }) => ((class, sql), c, flip(op)),
            (Value::Const(_), Value::Const(_)) => {
                return Err(self.refuse(expr, "this comparison"));
            }
        };
        let ((class, sql), op) = (column, op);
        let d = self.dialect;
        let x = &sql[0];
        if constant == Constant::Null {
            let _ = match op {
                BinaryOp::Eq => write!(out, "{x} IS NULL"),
                BinaryOp::Ne => write!(out, "{x} IS NOT NULL"),
                _ => write!(out, "{}", d.null()),
            };
            return Ok(());
        }
        let op_sql = sql_operator(op);
        match (class, constant) {
            (Class::Text, Constant::Text(text)) if text.contains('\0') => {
                // Stored text never holds U+0000. Against `p` + U+0000 + …,
                // a stored `x` is never equal, and is smaller exactly when it
                // is at most `p`.
                let prefix = text[..text.find('\0').unwrap_or(text.len())].to_owned();
                let _ = match op {
                    BinaryOp::Eq => write!(out, "FALSE"),
                    BinaryOp::Ne => write!(out, "TRUE"),
                    BinaryOp::Lt | BinaryOp::Le => {
                        write!(out, "{x} <= {}", self.bind(SqlValue::Text(prefix)))
                    }
                    _ => write!(out, "{x} > {}", self.bind(SqlValue::Text(prefix))),
                };
                Ok(())
            }
            (Class::Text, Constant::Text(text)) => {
                let p = self.bind(SqlValue::Text(text));
                scalar_comparison(op, op_sql, x, p, context, out);
                Ok(())
            }
            (Class::Integer, Constant::Int(i)) => {
                let p = self.bind(SqlValue::Integer(i));
                scalar_comparison(op, op_sql, x, p, context, out);
                Ok(())
            }
            (Class::Real, constant @ (Constant::Int(_) | Constant::Num(_))) => {
                let real = self.real(expr, &constant)?;
                let p = self.bind(real);
                scalar_comparison(op, op_sql, x, p, context, out);
                Ok(())
            }
            (Class::Instant, Constant::Instant(t)) => {
                self.instant_comparison(op, &sql, &t, context, out);
                Ok(())
            }
            (Class::Instant, Constant::Date(date)) => {
                let t = date
                    .and_hms_opt(0, 0, 0)
                    .map(|midnight| midnight.and_utc().fixed_offset());
                match t {
                    Some(t) => {
                        self.instant_comparison(op, &sql, &t, context, out);
                        Ok(())
                    }
                    None => Err(self.refuse(expr, "this date")),
                }
            }
            (Class::Boolean, Constant::Bool(b)) => {
                let truth = if b { "TRUE" } else { "FALSE" };
                let _ = match op {
                    BinaryOp::Eq => write!(out, "{x} IS {truth}"),
                    BinaryOp::Ne => write!(out, "{x} IS NOT {truth}"),
                    _ => return Err(self.refuse(expr, "ordering Booleans")),
                };
                Ok(())
            }
            (class, constant) => Err(self.refuse(
                expr,
                &format!(
                    "comparing {} with {}",
                    class.name(),
                    constant_name(&constant)
                ),
            )),
        }
    }

    fn instant_comparison(
        &mut self,
        op: BinaryOp,
        sql: &[Cow<'_, str>],
        t: &DateTime<FixedOffset>,
        context: Context,
        out: &mut String,
    ) {
        let (seconds, nanos) = instant_parts(t);
        let s = self.bind(SqlValue::Integer(seconds));
        let n = self.bind(SqlValue::Integer(nanos));
        let (xs, xn) = (&sql[0], &sql[1]);
        let _ = match (op, context) {
            (BinaryOp::Eq, Context::Selecting) => write!(out, "({xs} = {s} AND {xn} = {n})"),
            (BinaryOp::Eq, Context::Exact) => {
                write!(out, "({xs} = {s} AND {xn} = {n} AND {xs} IS NOT NULL)")
            }
            (BinaryOp::Ne, _) => {
                write!(out, "NOT ({xs} = {s} AND {xn} = {n} AND {xs} IS NOT NULL)")
            }
            _ => write!(out, "({xs}, {xn}) {} ({s}, {n})", sql_operator(op)),
        };
    }

    /// Two non-constant values of one class.
    fn compare_columns(
        &self,
        expr: ExprRef<'_>,
        op: BinaryOp,
        class: Class,
        x: &[Cow<'_, str>],
        y: &[Cow<'_, str>],
    ) -> Result<String, Error> {
        let d = self.dialect;
        let same = || -> String {
            let parts: Vec<String> = x.iter().zip(y).map(|(a, b)| d.same(a, b)).collect();
            format!("({})", parts.join(" AND "))
        };
        Ok(match op {
            BinaryOp::Eq => same(),
            BinaryOp::Ne => format!("NOT {}", same()),
            _ if class == Class::Boolean => return Err(self.refuse(expr, "ordering Booleans")),
            _ if class == Class::Instant => format!(
                "({}, {}) {} ({}, {})",
                x[0],
                x[1],
                sql_operator(op),
                y[0],
                y[1]
            ),
            _ => format!("{} {} {}", x[0], sql_operator(op), y[0]),
        })
    }

    /// `x in (…)`: true when any item equals `x` (two-valued, so a null
    /// `x` is in a list holding `null`); never null.
    fn in_list(
        &mut self,
        expr: ExprRef<'_>,
        left: ExprRef<'_>,
        right: ExprRef<'_>,
        context: Context,
    ) -> Result<String, Error> {
        let ExprKind::List(items) = right.kind() else {
            return Err(self.refuse(expr, "'in' without a list"));
        };
        let x = self.value(left)?;
        let Value::Sql { class, sql } = x else {
            // A constant in a list of properties: one `eq` per item.
            let mut parts = Vec::new();
            for item in items.iter() {
                let mut part = String::new();
                self.compare(expr, BinaryOp::Eq, left, item, Context::Exact, &mut part)?;
                parts.push(part);
            }
            return Ok(or_all(parts));
        };
        let mut parts = Vec::new();
        let mut listed = Vec::new();
        let mut has_null = false;
        for item in items.iter() {
            match self.value(item)? {
                Value::Const(Constant::Null) => has_null = true,
                Value::Const(Constant::Text(text)) if class == Class::Text => {
                    if !text.contains('\0') {
                        listed.push(SqlValue::Text(text));
                    }
                }
                Value::Const(Constant::Int(i)) if class == Class::Integer => {
                    listed.push(SqlValue::Integer(i));
                }
                Value::Const(c @ (Constant::Int(_) | Constant::Num(_))) if class == Class::Real => {
                    listed.push(self.real(item, &c)?);
                }
                Value::Const(_) if matches!(class, Class::Instant | Class::Boolean) => {
                    let mut part = String::new();
                    self.compare(expr, BinaryOp::Eq, left, item, Context::Exact, &mut part)?;
                    parts.push(part);
                }
                Value::Const(c) => {
                    return Err(self.refuse(
                        item,
                        &format!("comparing {} with {}", class.name(), constant_name(&c)),
                    ))
                }
                Value::Sql {
                    class: other,
                    sql: y,
                } => {
                    if other != class {
                        return Err(self.refuse(
                            item,
                            &format!("comparing {} with {}", class.name(), other.name()),
                        ));
                    }
                    parts.push(self.compare_columns(expr, BinaryOp::Eq, class, &sql, &y)?);
                }
            }
        }
        let x = &sql[0];
        if !listed.is_empty() {
            let placeholders: Vec<String> = listed
                .into_iter()
                .map(|v| self.bind(v).to_string())
                .collect();
            let list = placeholders.join(", ");
            parts.insert(
                0,
                match context {
                    Context::Selecting => format!("{x} IN ({list})"),
                    Context::Exact => format!("({x} IN ({list}) AND {x} IS NOT NULL)"),
                },
            );
        }
        if has_null {
            parts.push(format!("{x} IS NULL"));
        }
        Ok(or_all(parts))
    }

    /// `ORDER BY`: the `$orderby` keys (else the schema's default order),
    /// nulls where the evaluator puts them, then load order for ties.
    fn order_by(&mut self) -> Result<String, Error> {
        let mut keys = Vec::new();
        let d = self.dialect;
        match &self.query.query().orderby {
            Some(items) => {
                for item in items {
                    let expr = item.expr.root();
                    // A constant key orders nothing.
                    if Self::is_constant(expr) {
                        continue;
                    }
                    let suffix = d.order_suffix(item.descending);
                    match self.value(expr)? {
                        Value::Sql { sql, .. } => {
                            keys.extend(sql.iter().map(|s| format!("{s} {suffix}")));
                        }
                        Value::Const(_) => {}
                    }
                }
            }
            None => return Ok(self.layout.default_order_by(d).to_owned()),
        }
        keys.push(format!("{} ASC", quote("@seq")));
        Ok(keys.join(", "))
    }
}

/// `x op ?`, with `eq`/`ne` two-valued.
fn scalar_comparison(
    op: BinaryOp,
    op_sql: &str,
    x: &str,
    p: Placeholder,
    context: Context,
    out: &mut String,
) {
    let _ = match (op, context) {
        (BinaryOp::Eq, Context::Selecting) => write!(out, "{x} = {p}"),
        (BinaryOp::Eq, Context::Exact) => write!(out, "({x} = {p} AND {x} IS NOT NULL)"),
        (BinaryOp::Ne, _) => write!(out, "({x} <> {p} OR {x} IS NULL)"),
        _ => write!(out, "{x} {op_sql} {p}"),
    };
}

/// A number constant as the double it equals exactly: an integer within
/// ±2^53 or a finite double; `None` otherwise (the evaluator compares
/// larger integers exactly and NaN as unordered, which a double column
/// cannot reproduce).
fn exact_real(constant: &Constant) -> Option<f64> {
    match *constant {
        Constant::Int(i) if i.unsigned_abs() <= EXACT_IN_DOUBLE => Some(i as f64),
        Constant::Num(n) if n.is_finite() => Some(n),
        _ => None,
    }
}

fn or_all(parts: Vec<String>) -> String {
    match parts.len() {
        0 => "FALSE".into(),
        1 => parts.into_iter().next().unwrap_or_default(),
        _ => format!("({})", parts.join(" OR ")),
    }
}

/// `a op b` as `b op' a`.
fn flip(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::Le => BinaryOp::Ge,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::Ge => BinaryOp::Le,
        other => other,
    }
}

fn sql_operator(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Eq => "=",
        BinaryOp::Ne => "<>",
        BinaryOp::Lt => "<",
        BinaryOp::Le => "<=",
        BinaryOp::Gt => ">",
        _ => ">=",
    }
}

fn constant_name(constant: &Constant) -> &'static str {
    match constant {
        Constant::Null => "null",
        Constant::Bool(_) => "a Boolean",
        Constant::Int(_) => "an integer",
        Constant::Num(_) => "a decimal or floating-point number",
        Constant::Text(_) => "a string",
        Constant::Instant(_) => "a DateTimeOffset",
        Constant::Date(_) => "a date",
        Constant::Other(kind) => kind,
    }
}

/// The smallest string greater than every string that starts with `prefix`
/// (in code point order), if there is one: `prefix` with its last
/// character incremented, dropping characters that cannot be.
fn successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last {
            '\u{D7FF}' => Some('\u{E000}'),
            c => char::from_u32(u32::from(c) + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests;
