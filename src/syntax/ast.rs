//! The typed syntax tree of a query, and the owned, editable form of a
//! `$filter` expression.
//!
//! Owns: the shapes a parsed query can take. Every node carries a [`Span`]
//! (byte offsets into the decoded option value it came from). The parser
//! builds expressions as the flat [`FilterExpr`](super::tree::FilterExpr)
//! (see `tree.rs`), whose views have the shapes of [`ExprKind`]; [`Expr`] is
//! the boxed form of the same tree, for code that builds or edits one (the
//! builder, test generators), converted with `FilterExpr::to_expr` and
//! `FilterExpr::from_expr`.
//!
//! Must not know about: any entity schema (names keep the spelling they were
//! given), rendering (see `render.rs`) or evaluation.
//!
//! Equality ignores spans (see [`Span`]), so a rendered and re-parsed tree
//! compares equal to the original; that is the round-trip law of SPEC §7.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use uuid::Uuid;

/// The string type of names and literal texts in the tree: a `String` that
/// keeps up to 24 bytes inline. Names (`creationDateTimeUtc`) and most
/// literals (`'Pending'`) then cost the parser no allocation; it derefs to
/// `&str` and converts from `&str`/`String` with `into()`.
pub use compact_str::CompactString;

/// A byte range `start..end` into the decoded value of one query option
/// (for errors in option names or encodings: into the raw query text).
///
/// Spans are location metadata, never meaning: `==` on a `Span` is always
/// `true`, so two trees are equal when they say the same thing wherever they
/// came from. Compare `start` and `end` directly to test positions.
#[derive(Clone, Copy, Debug, Default, Eq)]
pub struct Span {
    /// First byte of the node.
    pub start: usize,
    /// One past the last byte of the node.
    pub end: usize,
}

impl PartialEq for Span {
    fn eq(&self, _: &Span) -> bool {
        true
    }
}

impl Span {
    /// A span from `start` to `end` (byte offsets).
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// The span as a `[start, end]` pair, as the JSON error body shows it.
    pub fn as_pair(self) -> [usize; 2] {
        [self.start, self.end]
    }
}

/// One `$filter` (or `$orderby` item) expression node, owned: the editable
/// form of a [`FilterExpr`](super::tree::FilterExpr).
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What the node is.
    pub kind: ExprKind,
    /// Where it is in the decoded option value.
    pub span: Span,
}

impl Expr {
    /// A node of `kind` at `span`.
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }

    /// `left op right`, the one way every producer (parser, builder, test
    /// generators) builds binary nodes.
    ///
    /// `and` and `or` are associative, and the canonical form writes their
    /// chains flat (`a and (b and c)` renders `a and b and c`). So that the
    /// flat text parses back to the same tree, a chain is always stored
    /// left-nested: when the right operand is the same `and`/`or` chain,
    /// `left` is hung at that chain's leftmost operand instead. That walks
    /// the chain's left spine once, reusing its nodes' boxes, and allocates
    /// only the new node, without recursion.
    pub fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
        let same_chain = matches!(op, BinaryOp::And | BinaryOp::Or)
            && matches!(&right.kind, ExprKind::Binary { op: r, .. } if *r == op);
        if !same_chain {
            let span = left.span.to(right.span);
            return Expr::new(
                ExprKind::Binary {
                    op,
                    operands: Box::new([left, right]),
                },
                span,
            );
        }
        // Unzip the right chain's left spine down to its leftmost operand,
        // keeping each spine node's box (its left slot emptied) to refill below.
        let mut spine: Vec<Box<[Expr; 2]>> = Vec::new();
        let mut rest = right;
        let leftmost = loop {
            match rest.kind {
                ExprKind::Binary {
                    op: r,
                    mut operands,
                } if r == op => {
                    rest = std::mem::replace(&mut operands[0], Expr::placeholder());
                    spine.push(operands);
                }
                kind => break Expr::new(kind, rest.span),
            }
        };
        // `left op leftmost` takes the leftmost operand's place; then each
        // spine node is rebuilt around it, in its own box.
        let span = left.span.to(leftmost.span);
        let mut acc = Expr::new(
            ExprKind::Binary {
                op,
                operands: Box::new([left, leftmost]),
            },
            span,
        );
        while let Some(mut operands) = spine.pop() {
            let span = acc.span.to(operands[1].span);
            operands[0] = acc;
            acc = Expr::new(ExprKind::Binary { op, operands }, span);
        }
        acc
    }

    /// A node that owns nothing, to stand in a box while its contents move.
    fn placeholder() -> Expr {
        Expr::new(ExprKind::Literal(Literal::Null), Span::default())
    }
}

/// The kinds of expression nodes.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A literal value: `'Pending'`, `42`, `2018-12-04T12:43:57Z`, `null`, ...
    Literal(Literal),
    /// A member path: `status`, `Address/City`, `$it/Name`,
    /// `Items/any(x:x/Price gt 5)`, `Products/Model.Available()`.
    Path(MemberPath),
    /// `not x` or `-x`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// Its operand.
        operand: Box<Expr>,
    },
    /// `left op right`, for every binary operator including `has` and `in`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// `[left, right]`, in one allocation (a node per term is the
        /// parser's main cost). For `in`, the right operand is usually an
        /// [`ExprKind::List`].
        operands: Box<[Expr; 2]>,
    },
    /// A parenthesized list `('a','b')`, only valid as the right operand of `in`.
    List(Vec<Expr>),
    /// A call of a built-in function: `startswith(computerDnsName,'desktop-')`.
    Call {
        /// Which built-in.
        function: Function,
        /// Its arguments; the count is checked against the function's arity
        /// while parsing.
        args: Vec<Expr>,
    },
    /// `cast(x,Edm.String)`, `isof(Model.Customer)`: the type-name argument is
    /// a name, not an expression.
    TypeFunction {
        /// `cast` or `isof`.
        function: TypeFunction,
        /// The optional expression operand (absent: the current instance).
        operand: Option<Box<Expr>>,
        /// The target type, qualified or not (`Edm.String`, `Customer`).
        type_name: CompactString,
    },
}

/// A literal value, kept losslessly.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `null` (case-sensitive).
    Null,
    /// `true` / `false` (case-insensitive).
    Boolean(bool),
    /// An integer that fits an `i64`.
    Int(i64),
    /// A decimal number without exponent, as written but for a leading `+`
    /// (`3.14`, `-0.5`, or an integer too large for an `i64`).
    Decimal(CompactString),
    /// A number with an exponent, as written but for a leading `+` and with
    /// a lower-case `e` (`-1.234567e3`).
    Double(CompactString),
    /// `INF`, `-INF` or `NaN` (case-sensitive).
    Special(SpecialFloat),
    /// A string; the value is unescaped (`'O''Neil'` holds `O'Neil`).
    String(CompactString),
    /// An unquoted GUID `8-4-4-4-12`.
    Guid(Uuid),
    /// A date-time with its offset kept.
    DateTimeOffset(DateTimeOffset),
    /// A date: `2018-12-04`.
    Date(NaiveDate),
    /// A time of day: `12:43:57.2011911`.
    TimeOfDay(NaiveTime),
    /// `duration'P1DT2H'`; the ISO 8601 text inside the quotes.
    Duration(CompactString),
    /// `binary'...'`: the base64url text inside the quotes.
    Binary(CompactString),
    /// `Ns.Type'Value'`: a qualified enum type name and its value text
    /// (one member name, a number, or a comma-separated list of flags).
    ///
    /// Boxed, as the rarest literal and the only one with two strings: that
    /// keeps [`Expr`] at 56 bytes, and a binary node's two operands
    /// (one allocation) at 112, inside glibc malloc's fastbin sizes. With
    /// 128-byte pairs, parsing the corpus took no less time than with two
    /// 64-byte boxes despite fewer instructions, and raising glibc's
    /// fastbin limit (`GLIBC_TUNABLES=glibc.malloc.mxfast=160`) made it
    /// faster: the pairs were going through malloc's slow path.
    Enum(Box<EnumLiteral>),
}

/// The parts of an enum literal `Ns.Type'Value'`.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumLiteral {
    /// The qualified type name, `Sales.Pattern`.
    pub type_name: CompactString,
    /// The value inside the quotes, `Yellow` or `Solid,Yellow`.
    pub value: CompactString,
}

/// The non-finite floating-point literals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecialFloat {
    /// `INF`
    Infinity,
    /// `-INF`
    NegativeInfinity,
    /// `NaN`
    NaN,
}

/// A DateTimeOffset literal: the instant and the offset it was written with.
///
/// Unlike `chrono::DateTime`, equality also compares the offset, so
/// `…T01:00:00+01:00` and `…T00:00:00Z` are different literals (they denote
/// the same instant, which is what evaluation compares).
#[derive(Clone, Copy, Debug, Eq)]
pub struct DateTimeOffset(pub DateTime<FixedOffset>);

impl PartialEq for DateTimeOffset {
    fn eq(&self, other: &DateTimeOffset) -> bool {
        self.0 == other.0 && self.0.offset() == other.0.offset()
    }
}

/// A member path: one or more segments separated by `/`.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberPath {
    /// The segments, in order. Never empty.
    pub segments: Vec<Segment>,
}

/// One segment of a [`MemberPath`].
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    /// What the segment is.
    pub kind: SegmentKind,
    /// Where it is.
    pub span: Span,
}

/// The kinds of path segments.
#[derive(Clone, Debug, PartialEq)]
pub enum SegmentKind {
    /// A property or lambda-variable name, spelled as given: `machineId`.
    Property(CompactString),
    /// A type cast to a qualified type: `Sales.Manager`.
    TypeCast(CompactString),
    /// `$it`: the instance the filter is applied to.
    It,
    /// `$this`: the current instance inside a lambda or collection filter.
    This,
    /// A (bound or qualified) function call: `Model.Available()`,
    /// `BestProduct()`; arguments are positional expressions.
    FunctionCall {
        /// The function's name as given, qualified or not.
        name: CompactString,
        /// Its arguments.
        args: Vec<Expr>,
    },
    /// `any(x:…)` or `any()`, `all(x:…)`: always the last segment.
    Lambda(Lambda),
}

/// A lambda `any`/`all` applied to the collection the path before it names.
#[derive(Clone, Debug, PartialEq)]
pub struct Lambda {
    /// `any` or `all`.
    pub kind: LambdaKind,
    /// The variable and predicate; `None` only for `any()`.
    pub predicate: Option<LambdaPredicate>,
}

/// `x: body` of a lambda.
#[derive(Clone, Debug, PartialEq)]
pub struct LambdaPredicate {
    /// The range variable's name.
    pub variable: CompactString,
    /// The Boolean body.
    pub body: Box<Expr>,
}

/// `any` or `all`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LambdaKind {
    /// True when some member satisfies the predicate (or, without one, when
    /// the collection is not empty).
    Any,
    /// True when every member satisfies the predicate.
    All,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// Logical `not`.
    Not,
    /// Arithmetic negation `-`.
    Negate,
}

/// Binary operators, with their precedence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
    /// `add`
    Add,
    /// `sub`
    Sub,
    /// `mul`
    Mul,
    /// `div`
    Div,
    /// `divby`
    DivBy,
    /// `mod`
    Mod,
    /// `has`
    Has,
    /// `in`
    In,
}

impl BinaryOp {
    /// Every binary operator.
    pub const ALL: [BinaryOp; 16] = [
        BinaryOp::Or,
        BinaryOp::And,
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::DivBy,
        BinaryOp::Mod,
        BinaryOp::Has,
        BinaryOp::In,
    ];

    /// The keyword, lower-case.
    pub fn keyword(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "eq",
            BinaryOp::Ne => "ne",
            BinaryOp::Gt => "gt",
            BinaryOp::Ge => "ge",
            BinaryOp::Lt => "lt",
            BinaryOp::Le => "le",
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::DivBy => "divby",
            BinaryOp::Mod => "mod",
            BinaryOp::Has => "has",
            BinaryOp::In => "in",
        }
    }

    /// Binding strength from the URL Conventions' precedence table; higher
    /// binds tighter. Unary operators sit at [`UNARY_PRECEDENCE`], between
    /// `has`/`in` (primary) and the multiplicative operators.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq | BinaryOp::Ne => 3,
            BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Lt | BinaryOp::Le => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::DivBy | BinaryOp::Mod => 6,
            BinaryOp::Has | BinaryOp::In => 8,
        }
    }
}

/// The precedence of `not` and unary `-` (see [`BinaryOp::precedence`]).
pub const UNARY_PRECEDENCE: u8 = 7;

/// `cast` and `isof`, whose last argument is a type name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeFunction {
    /// `cast(x,T)` / `cast(T)`
    Cast,
    /// `isof(x,T)` / `isof(T)`
    IsOf,
}

impl TypeFunction {
    /// The function's name, lower-case.
    pub fn name(self) -> &'static str {
        match self {
            TypeFunction::Cast => "cast",
            TypeFunction::IsOf => "isof",
        }
    }
}

macro_rules! functions {
    ($($variant:ident => $name:literal, $min:literal..=$max:literal;)*) => {
        /// The built-in functions of OData 4.01 (other than `cast`/`isof`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Function {
            $(#[doc = concat!("`", $name, "`")] $variant,)*
        }

        impl Function {
            /// Every built-in function.
            pub const ALL: &'static [Function] = &[$(Function::$variant),*];

            /// The canonical spelling.
            pub fn name(self) -> &'static str {
                match self { $(Function::$variant => $name,)* }
            }

            /// The smallest and largest number of arguments.
            pub fn arity(self) -> (usize, usize) {
                match self { $(Function::$variant => ($min, $max),)* }
            }
        }
    };
}

functions! {
    Contains => "contains", 2..=2;
    StartsWith => "startswith", 2..=2;
    EndsWith => "endswith", 2..=2;
    Length => "length", 1..=1;
    IndexOf => "indexof", 2..=2;
    Substring => "substring", 2..=3;
    ToLower => "tolower", 1..=1;
    ToUpper => "toupper", 1..=1;
    Trim => "trim", 1..=1;
    Concat => "concat", 2..=2;
    MatchesPattern => "matchesPattern", 2..=2;
    Year => "year", 1..=1;
    Month => "month", 1..=1;
    Day => "day", 1..=1;
    Hour => "hour", 1..=1;
    Minute => "minute", 1..=1;
    Second => "second", 1..=1;
    FractionalSeconds => "fractionalseconds", 1..=1;
    TotalSeconds => "totalseconds", 1..=1;
    Date => "date", 1..=1;
    Time => "time", 1..=1;
    TotalOffsetMinutes => "totaloffsetminutes", 1..=1;
    Now => "now", 0..=0;
    MinDateTime => "mindatetime", 0..=0;
    MaxDateTime => "maxdatetime", 0..=0;
    Round => "round", 1..=1;
    Floor => "floor", 1..=1;
    Ceiling => "ceiling", 1..=1;
}

impl Function {
    /// The built-in whose name matches `name` case-insensitively.
    ///
    /// One `match` on a lower-case copy, which compiles to a dispatch on the
    /// length, where a scan of [`Function::ALL`] compared with every name: a
    /// call is parsed in most filters. (A test checks that each of `ALL`
    /// is found under its name.)
    pub fn lookup(name: &str) -> Option<Function> {
        // The longest name, `totaloffsetminutes`, is 18 bytes.
        let mut buffer = [0u8; 18];
        let lower = buffer.get_mut(..name.len())?;
        lower.copy_from_slice(name.as_bytes());
        lower.make_ascii_lowercase();
        Some(match &*lower {
            b"contains" => Function::Contains,
            b"startswith" => Function::StartsWith,
            b"endswith" => Function::EndsWith,
            b"length" => Function::Length,
            b"indexof" => Function::IndexOf,
            b"substring" => Function::Substring,
            b"tolower" => Function::ToLower,
            b"toupper" => Function::ToUpper,
            b"trim" => Function::Trim,
            b"concat" => Function::Concat,
            b"matchespattern" => Function::MatchesPattern,
            b"year" => Function::Year,
            b"month" => Function::Month,
            b"day" => Function::Day,
            b"hour" => Function::Hour,
            b"minute" => Function::Minute,
            b"second" => Function::Second,
            b"fractionalseconds" => Function::FractionalSeconds,
            b"totalseconds" => Function::TotalSeconds,
            b"date" => Function::Date,
            b"time" => Function::Time,
            b"totaloffsetminutes" => Function::TotalOffsetMinutes,
            b"now" => Function::Now,
            b"mindatetime" => Function::MinDateTime,
            b"maxdatetime" => Function::MaxDateTime,
            b"round" => Function::Round,
            b"floor" => Function::Floor,
            b"ceiling" => Function::Ceiling,
            _ => return None,
        })
    }
}

/// One `$orderby` item.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderByItem {
    /// The sort key (usually a property path).
    pub expr: super::tree::FilterExpr,
    /// `desc` (the default, `asc`, is `false`).
    pub descending: bool,
}

/// The value of `$select`.
#[derive(Clone, Debug, PartialEq)]
pub enum Select {
    /// `*`: every property.
    All,
    /// A list of property paths, in the order given.
    Paths(Vec<SelectItem>),
}

/// One `$select` item: a property path such as `status` or `Address/Street`.
#[derive(Clone, Debug, PartialEq)]
pub struct SelectItem {
    /// The path's segments (properties and type casts only).
    pub path: MemberPath,
    /// Where the item is in the decoded `$select` value.
    pub span: Span,
}

/// A custom (non-system) query option, kept and rendered in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomOption {
    /// The decoded name.
    pub name: String,
    /// The decoded value; `None` when the option had no `=`.
    pub value: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_is_found_under_its_name_in_any_case() {
        for &function in Function::ALL {
            let name = function.name();
            for spelling in [
                name.to_owned(),
                name.to_ascii_uppercase(),
                name.to_ascii_lowercase(),
            ] {
                assert_eq!(Function::lookup(&spelling), Some(function), "{spelling}");
            }
        }
        for other in [
            "",
            "contain",
            "containss",
            "cast",
            "isof",
            "any",
            "geo.distance",
            "totaloffsetminutesx",
            "cöntains",
        ] {
            assert_eq!(Function::lookup(other), None, "{other}");
        }
    }
}
