//! The one generator of `$filter` trees and whole queries the parser can
//! produce, shared by the property tests (`tests/support/mod.rs`, which
//! feeds it random bytes) and the `structured` fuzz target (which feeds it
//! libFuzzer's bytes, so coverage steers every choice).
//!
//! It reads its choices from an [`Unstructured`]; when the bytes run out,
//! every further choice is the first (or the smallest), so any byte string,
//! the empty one included, makes a tree. Trees are built through the public
//! constructors only (`Expr::binary`, `Expr::path`, …), and follow the
//! grammar, not the parser's code. "Can produce" shapes the choices:
//! - binary nodes come only from `Expr::binary`, which keeps `and`/`or`
//!   chains left-nested, as the parser builds them;
//! - a list appears only as the right operand of `in`: with 0 or ≥2
//!   elements it is a literal list; with one element it is `in (expr)`,
//!   which reads back as a one-element list whatever `expr` is; any other
//!   right operand is a primary (a path, a call, a literal), never a unary
//!   or binary expression;
//! - identifiers are never keywords, literal words, built-in function names
//!   or GUID-like (8 hex digits), which the lexer reads as something else;
//! - a path starts with a property, `$it`, `$this`, a qualified function
//!   call, or a type cast followed by more segments; an unqualified function
//!   call is never first; a lambda is only last and never first;
//! - literals of every kind, with the corners the renderer writes
//!   specially: years outside `0..=9999`, leap seconds, 3-, 7- and 9-digit
//!   fractions of a second, offsets, decimals too large for an `i64`,
//!   doubles, `INF`/`-INF`/`NaN`, strings with quotes, `&`, `+`, `%` and
//!   any Unicode, enum flags.
//!
//! Size: `depth` bounds how deep operators, calls and lambdas nest; a
//! budget keeps every tree under [`MAX_NODES`] nodes and a few KiB of text,
//! well inside the parser's default limits (1,000 nodes, 16 KiB), so every
//! generated tree parses back.

#![allow(dead_code)] // The fuzz target and the tests each use a part of it.

use arbitrary::{Result, Unstructured};
use defender_odata::ast::{
    BinaryOp, CustomOption, DateTimeOffset, ExpandItem, Expr, ExprKind, Function, LambdaKind,
    Literal, OrderByItem, PathSegment, Query, Select, SelectItem, SpecialFloat, TypeFunction,
    UnaryOp,
};
use defender_odata::chrono::{FixedOffset, NaiveDate, NaiveTime, TimeZone, Timelike};
use uuid::Uuid;

/// How deep generated expressions nest (operators, calls, lambdas) in the
/// property tests.
pub const MAX_DEPTH: u32 = 4;

/// No generated tree (nor `$orderby` value) has more nodes than this, as
/// the parser counts them (expression nodes and path segments): well under
/// its default limit of 1,000.
pub const MAX_NODES: usize = 400;

/// Once a tree has this many nodes, every operand still to be drawn is a
/// one-segment property. Operands still pending then are at most a path's
/// seven (three calls of two arguments, a lambda body) per level of
/// nesting, each at most a few nodes: with `depth` ≤ 6 the tree stays
/// under [`MAX_NODES`].
const NODE_BUDGET: usize = 250;

/// The same for the text the tree renders to (an estimate: names and
/// values, plus [`BYTES_PER_NODE`] a node for operators, separators and
/// parentheses), against the parser's 16 KiB value limit.
const TEXT_BUDGET: usize = 8 * 1024;

/// The most text a node adds around its names and values: ` divby ` and
/// two pairs of parentheses.
const BYTES_PER_NODE: usize = 12;

/// Words the lexer reads as something other than an identifier. Keywords and
/// function names are case-insensitive, so they are compared that way.
pub const RESERVED: &[&str] = &[
    "eq", "ne", "gt", "ge", "lt", "le", "and", "or", "not", "add", "sub", "mul", "div", "divby",
    "mod", "has", "in", "true", "false", "null", "any", "all", "cast", "isof", "inf", "nan", "asc",
    "desc", "duration", "binary",
];

/// Whether the lexer would read `word` as something other than a name.
pub fn is_reserved(word: &str) -> bool {
    let guid_like = word.len() >= 8 && word.bytes().take(8).all(|b| b.is_ascii_hexdigit());
    guid_like
        || RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
        || Function::lookup(word).is_some()
}

// ----- entry points ---------------------------------------------------------

/// A `$filter` tree nested at most `depth` operators/calls/lambdas deep.
pub fn expr(u: &mut Unstructured, depth: u32) -> Result<Expr> {
    Gen::new(u).expr(depth)
}

/// A literal of any kind, as an expression.
pub fn literal(u: &mut Unstructured) -> Result<Expr> {
    literal_expr(u)
}

/// A whole query: every system option (each present or not, the filter at
/// most `depth` deep) and custom options.
pub fn query(u: &mut Unstructured, depth: u32) -> Result<Query> {
    let filter = if u.arbitrary()? {
        Some(expr(u, depth)?)
    } else {
        None
    };
    query_around(u, filter)
}

/// A whole query holding `filter`, its other options drawn as in [`query`].
pub fn query_around(u: &mut Unstructured, filter: Option<Expr>) -> Result<Query> {
    let mut q = Query::default();
    q.filter = filter;
    q.count = if u.arbitrary()? {
        Some(u.arbitrary()?)
    } else {
        None
    };
    q.orderby = if u.arbitrary()? {
        Some(orderby(u)?)
    } else {
        None
    };
    q.skip = if u.arbitrary()? {
        Some(count_like(u)?)
    } else {
        None
    };
    q.top = if u.arbitrary()? {
        Some(count_like(u)?)
    } else {
        None
    };
    q.select = match pick(u, &[2, 1, 3])? {
        0 => None,
        1 => Some(Select::All),
        _ => {
            let n = u.int_in_range(1..=3)?;
            let items: Result<Vec<SelectItem>> = (0..n).map(|_| select_item(u)).collect();
            Some(Select::Paths(items?))
        }
    };
    q.expand = if pick(u, &[3, 1])? == 1 {
        let n = u.int_in_range(1..=2)?;
        let items: Result<Vec<ExpandItem>> = (0..n)
            .map(|_| select_item(u).map(|item| ExpandItem::new(item.path)))
            .collect();
        Some(items?)
    } else {
        None
    };
    q.custom = custom_options(u)?;
    Ok(q)
}

// ----- choices and text -----------------------------------------------------

/// Index of a choice, with the given relative weights.
fn pick(u: &mut Unstructured, weights: &[u32]) -> Result<usize> {
    let total: u32 = weights.iter().sum();
    let mut n = u.int_in_range(0..=total - 1)?;
    for (i, w) in weights.iter().enumerate() {
        if n < *w {
            return Ok(i);
        }
        n -= w;
    }
    Ok(weights.len() - 1)
}

fn one_of<T: Copy>(u: &mut Unstructured, items: &[T]) -> Result<T> {
    Ok(*u.choose(items)?)
}

/// `Some` of a draw, or `None`, evenly.
fn maybe<T>(
    u: &mut Unstructured,
    draw: impl FnOnce(&mut Unstructured) -> Result<T>,
) -> Result<Option<T>> {
    Ok(if u.arbitrary()? { Some(draw(u)?) } else { None })
}

/// `min..=max` characters drawn from `alphabet`.
fn text(u: &mut Unstructured, alphabet: &str, min: usize, max: usize) -> Result<String> {
    let chars: Vec<char> = alphabet.chars().collect();
    let len = u.int_in_range(min..=max)?;
    (0..len).map(|_| one_of(u, &chars)).collect()
}

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const WORD: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
const DIGITS: &str = "0123456789";
const NONZERO: &str = "123456789";

/// Printable characters beyond ASCII: accented and other scripts, a
/// combining mark, a no-break space, characters of 2, 3 and 4 UTF-8 bytes.
const UNICODE: &[char] = &[
    'é', 'ß', 'Ω', 'ж', 'ǅ', '\u{301}', '\u{a0}', 'ー', '中', '€', '😀', '𝄞',
];

/// `[a-z][a-zA-Z0-9_]{0,8}`, not reserved: a reserved draw gets an `x` in
/// front, which no reserved word, function name or hex digit starts with.
pub fn identifier(u: &mut Unstructured) -> Result<String> {
    let word = text(u, LOWER, 1, 1)? + &text(u, WORD, 0, 8)?;
    Ok(if is_reserved(&word) {
        format!("x{word}")
    } else {
        word
    })
}

/// `Ns.Name` or `Ns.Sub.Name`, parts `[A-Z][a-zA-Z0-9]{0,5}`, none reserved
/// (a reserved part gets an `X` in front).
pub fn qualified_name(u: &mut Unstructured) -> Result<String> {
    let parts = u.int_in_range(2..=3)?;
    let mut names = Vec::new();
    for _ in 0..parts {
        let part = text(u, UPPER, 1, 1)? + &text(u, ALNUM, 0, 5)?;
        names.push(if is_reserved(&part) {
            format!("X{part}")
        } else {
            part
        });
    }
    Ok(names.join("."))
}

/// Any characters; the ones that need care in a URL or a string literal;
/// or printable text, mostly ASCII, with characters beyond it.
fn string_value(u: &mut Unstructured) -> Result<String> {
    match pick(u, &[1, 1, 1])? {
        0 => {
            let len = u.int_in_range(0..=11)?;
            (0..len).map(|_| u.arbitrary::<char>()).collect()
        }
        1 => text(u, "abcdefghijklmnopqrstuvwxyz'&+%() =#?", 0, 10),
        _ => {
            let len = u.int_in_range(0..=8)?;
            (0..len)
                .map(|_| {
                    if u.ratio(1, 3)? {
                        one_of(u, UNICODE)
                    } else {
                        Ok(char::from(u.int_in_range(0x20..=0x7e_u8)?))
                    }
                })
                .collect()
        }
    }
}

fn minus(u: &mut Unstructured) -> Result<&'static str> {
    Ok(if u.arbitrary()? { "-" } else { "" })
}

/// An integer part `0|[1-9][0-9]{0,max_more}`.
fn integer_text(u: &mut Unstructured, max_more: usize) -> Result<String> {
    if u.ratio(1, 4)? {
        return Ok("0".into());
    }
    Ok(text(u, NONZERO, 1, 1)? + &text(u, DIGITS, 0, max_more)?)
}

/// `-?(0|[1-9][0-9]{0,4})\.[0-9]{1,5}`, or an integer too large for an
/// `i64` (20 to 25 digits), which is a decimal too.
fn decimal_text(u: &mut Unstructured) -> Result<String> {
    let sign = minus(u)?;
    Ok(match pick(u, &[4, 1])? {
        0 => format!("{sign}{}.{}", integer_text(u, 4)?, text(u, DIGITS, 1, 5)?),
        _ => format!(
            "{sign}{}{}",
            text(u, NONZERO, 1, 1)?,
            text(u, DIGITS, 19, 24)?
        ),
    })
}

/// `-?(0|[1-9][0-9]{0,3})(\.[0-9]{1,4})?e-?[0-9]{1,2}`.
fn double_text(u: &mut Unstructured) -> Result<String> {
    let sign = minus(u)?;
    let int = integer_text(u, 3)?;
    let fraction = maybe(u, |u| text(u, DIGITS, 1, 4))?
        .map(|f| format!(".{f}"))
        .unwrap_or_default();
    let exp_sign = minus(u)?;
    let exponent = text(u, DIGITS, 1, 2)?;
    Ok(format!("{sign}{int}{fraction}e{exp_sign}{exponent}"))
}

/// Years are mostly `0..=9999`; sometimes outside (negative, five digits),
/// which the grammar reads too and the renderer writes specially. A day
/// the month lacks becomes the 28th.
fn date(u: &mut Unstructured) -> Result<NaiveDate> {
    let year = match pick(u, &[9, 1])? {
        0 => u.int_in_range(0..=9999)?,
        _ => u.int_in_range(-99_999..=99_999)?,
    };
    let month = u.int_in_range(1..=12)?;
    let day = u.int_in_range(1..=31)?;
    Ok(NaiveDate::from_ymd_opt(year, month, day)
        .or_else(|| NaiveDate::from_ymd_opt(year, month, 28))
        .unwrap_or_default())
}

/// A time with no fraction, milliseconds, ticks (7 digits) or nanoseconds
/// (9 digits).
fn time_of_day(u: &mut Unstructured) -> Result<NaiveTime> {
    let nanos = match pick(u, &[1, 1, 1, 1])? {
        0 => 0,
        1 => u.int_in_range(0..=999u32)? * 1_000_000,
        2 => u.int_in_range(0..=9_999_999u32)? * 100,
        _ => u.int_in_range(0..=999_999_999u32)?,
    };
    let (h, m, s) = (
        u.int_in_range(0..=23)?,
        u.int_in_range(0..=59)?,
        u.int_in_range(0..=59)?,
    );
    Ok(NaiveTime::from_hms_nano_opt(h, m, s, nanos).unwrap_or_default())
}

/// A date and time with a zero or any offset (whole minutes, up to ±14
/// hours), sometimes in a leap second, which chrono keeps as second 59 with
/// nanoseconds ≥ 1e9.
fn date_time_offset(u: &mut Unstructured) -> Result<DateTimeOffset> {
    let day = date(u)?;
    let mut time = time_of_day(u)?;
    let minutes = if u.arbitrary()? {
        0
    } else {
        u.int_in_range(-840..=840)?
    };
    if u.ratio(1, 10)? {
        let leap = 1_000_000_000 + time.nanosecond();
        time = NaiveTime::from_hms_nano_opt(time.hour(), time.minute(), 59, leap).unwrap_or(time);
    }
    let local = day.and_time(time);
    let utc = FixedOffset::east_opt(0).expect("a zero offset");
    let value = FixedOffset::east_opt(minutes * 60)
        .and_then(|offset| offset.from_local_datetime(&local).single())
        .unwrap_or_else(|| utc.from_utc_datetime(&local));
    Ok(DateTimeOffset(value))
}

/// `-?P[nD][T[nH][nM][n[.f]S]]`, never empty (`P0D` at least).
fn duration_text(u: &mut Unstructured) -> Result<String> {
    let mut out = String::from(if u.arbitrary()? { "-P" } else { "P" });
    let part = |u: &mut Unstructured| maybe(u, |u| u.int_in_range(0..=999u32));
    let (days, hours, minutes) = (part(u)?, part(u)?, part(u)?);
    let seconds = maybe(u, |u| {
        Ok((
            u.int_in_range(0..=99u32)?,
            maybe(u, |u| text(u, DIGITS, 1, 3))?,
        ))
    })?;
    if let Some(d) = days {
        out += &format!("{d}D");
    }
    if hours.is_some() || minutes.is_some() || seconds.is_some() {
        out.push('T');
        if let Some(h) = hours {
            out += &format!("{h}H");
        }
        if let Some(m) = minutes {
            out += &format!("{m}M");
        }
        if let Some((s, fraction)) = seconds {
            out += &s.to_string();
            if let Some(f) = fraction {
                out += &format!(".{f}");
            }
            out.push('S');
        }
    } else if days.is_none() {
        out += "0D";
    }
    Ok(out)
}

/// Base64url text: `([A-Za-z0-9_-]{4}){0,4}`.
fn binary_text(u: &mut Unstructured) -> Result<String> {
    let groups = u.int_in_range(0..=4)?;
    let mut value = String::new();
    for _ in 0..groups {
        value += &text(u, &format!("{ALNUM}_-"), 4, 4)?;
    }
    Ok(value)
}

/// An enum value: a number, or one to three flag names joined by commas.
fn enum_value(u: &mut Unstructured) -> Result<String> {
    if u.arbitrary()? {
        return text(u, DIGITS, 1, 3);
    }
    let flags = u.int_in_range(1..=3)?;
    let words: Result<Vec<String>> = (0..flags)
        .map(|_| text(u, "abcdefghXYZqrsTUVw", 1, 8))
        .collect();
    Ok(words?.join(","))
}

/// Any literal kind, with the values the parser can read.
fn literal_expr(u: &mut Unstructured) -> Result<Expr> {
    let owned: String;
    let literal = match pick(u, &[1, 1, 1, 1, 1, 1, 2, 1, 2, 1, 1, 1, 1, 1])? {
        0 => Literal::Null,
        1 => Literal::Boolean(u.arbitrary()?),
        2 => Literal::Int(if u.arbitrary()? {
            u.arbitrary()?
        } else {
            u.int_in_range(-1000..=999)?
        }),
        3 => {
            owned = decimal_text(u)?;
            Literal::Decimal(&owned)
        }
        4 => {
            owned = double_text(u)?;
            Literal::Double(&owned)
        }
        5 => Literal::Special(one_of(
            u,
            &[
                SpecialFloat::Infinity,
                SpecialFloat::NegativeInfinity,
                SpecialFloat::NaN,
            ],
        )?),
        6 => {
            owned = string_value(u)?;
            Literal::String(&owned)
        }
        7 => Literal::Guid(Uuid::from_u128(u.arbitrary()?)),
        8 => Literal::DateTimeOffset(date_time_offset(u)?),
        9 => Literal::Date(date(u)?),
        10 => Literal::TimeOfDay(time_of_day(u)?),
        11 => {
            owned = duration_text(u)?;
            Literal::Duration(&owned)
        }
        12 => {
            owned = binary_text(u)?;
            Literal::Binary(&owned)
        }
        _ => {
            let type_name = qualified_name(u)?;
            let value = enum_value(u)?;
            return Ok(Expr::literal(Literal::Enum {
                type_name: &type_name,
                value: &value,
            }));
        }
    };
    Ok(Expr::literal(literal))
}

/// At most how many bytes the literal renders to: its text (a string's
/// quotes doubled), or the longest a fixed-size value takes.
fn literal_len(e: &Expr) -> usize {
    match e.root().literal() {
        Some(Literal::String(s)) => 2 * s.len() + 2,
        Some(
            Literal::Decimal(t) | Literal::Double(t) | Literal::Duration(t) | Literal::Binary(t),
        ) => t.len() + 10,
        Some(Literal::Enum { type_name, value }) => type_name.len() + value.len() + 2,
        _ => 48,
    }
}

fn count_like(u: &mut Unstructured) -> Result<i64> {
    Ok(if u.arbitrary()? {
        u.int_in_range(0..=99)?
    } else {
        u.int_in_range(0..=i64::MAX)?
    })
}

// ----- expressions ----------------------------------------------------------

/// The choices of one tree, and what it has spent of the budget.
struct Gen<'g, 'data> {
    u: &'g mut Unstructured<'data>,
    nodes: usize,
    bytes: usize,
}

impl<'g, 'data> Gen<'g, 'data> {
    fn new(u: &'g mut Unstructured<'data>) -> Self {
        Gen {
            u,
            nodes: 0,
            bytes: 0,
        }
    }

    fn spend(&mut self, nodes: usize, text: usize) {
        self.nodes += nodes;
        self.bytes += nodes * BYTES_PER_NODE + text;
    }

    fn spent(&self) -> bool {
        self.nodes >= NODE_BUDGET || self.bytes >= TEXT_BUDGET
    }

    /// Expressions nested at most `depth` operators/calls/lambdas deep.
    fn expr(&mut self, depth: u32) -> Result<Expr> {
        if self.spent() {
            // The budget is spent: the smallest operand there is.
            let name = identifier(self.u)?;
            self.spend(2, name.len());
            return Ok(Expr::property(&name));
        }
        if depth == 0 {
            return if pick(self.u, &[3, 2])? == 0 {
                self.literal()
            } else {
                self.path(None)
            };
        }
        let sub = depth - 1;
        match pick(self.u, &[2, 1, 5, 1, 1, 1, 1])? {
            0 => self.literal(),
            1 => self.path(None),
            2 => self.binary(sub),
            3 => {
                let op = one_of(self.u, &[UnaryOp::Not, UnaryOp::Negate])?;
                self.spend(1, 0);
                Ok(Expr::unary(op, self.expr(sub)?))
            }
            4 => self.call(sub),
            5 => self.type_function(sub),
            _ => self.path(Some(sub)),
        }
    }

    fn literal(&mut self) -> Result<Expr> {
        let e = literal_expr(self.u)?;
        self.spend(1, literal_len(&e));
        Ok(e)
    }

    fn binary(&mut self, sub: u32) -> Result<Expr> {
        self.spend(1, 0);
        let op = match pick(self.u, &[8, 4, 1])? {
            0 => {
                let ops: Vec<BinaryOp> = BinaryOp::ALL
                    .into_iter()
                    .filter(|op| *op != BinaryOp::In)
                    .collect();
                one_of(self.u, &ops)?
            }
            // and/or chains are the common case; give them extra weight.
            1 => one_of(self.u, &[BinaryOp::And, BinaryOp::Or])?,
            _ => {
                let left = self.expr(sub)?;
                let right = self.in_list(sub)?;
                return Ok(Expr::binary(BinaryOp::In, left, right));
            }
        };
        let left = self.expr(sub)?;
        let right = self.expr(sub)?;
        Ok(Expr::binary(op, left, right))
    }

    /// The right operand of `in`: a literal list of 0 or ≥2 elements, a
    /// one-element list of any expression, or a primary that is no list (a
    /// collection-valued path, a call, a literal). `in` binds tighter than
    /// any unary or binary operator, so `in (expr)` is always a list: a
    /// unary or binary draw for the primary becomes one.
    fn in_list(&mut self, sub: u32) -> Result<Expr> {
        Ok(match pick(self.u, &[1, 3, 2, 1])? {
            0 => {
                self.spend(1, 2);
                Expr::list(Vec::new())
            }
            1 => {
                self.spend(1, 2);
                let n = self.u.int_in_range(2..=4)?;
                let items: Result<Vec<Expr>> = (0..n).map(|_| self.literal()).collect();
                Expr::list(items?)
            }
            2 => {
                self.spend(1, 2);
                Expr::list([self.expr(sub)?])
            }
            _ => {
                let e = self.expr(sub)?;
                if matches!(
                    e.root().kind(),
                    ExprKind::Unary { .. } | ExprKind::Binary { .. } | ExprKind::List(_)
                ) {
                    self.spend(1, 2);
                    Expr::list([e])
                } else {
                    e
                }
            }
        })
    }

    /// A built-in call with as many arguments as the function takes.
    fn call(&mut self, sub: u32) -> Result<Expr> {
        let function = one_of(self.u, Function::ALL)?;
        self.spend(1, function.name().len());
        let (min, max) = function.arity();
        let n = self.u.int_in_range(min..=max)?;
        let args: Result<Vec<Expr>> = (0..n).map(|_| self.expr(sub)).collect();
        Ok(Expr::call(function, args?))
    }

    /// `cast`/`isof`, with or without an operand.
    fn type_function(&mut self, sub: u32) -> Result<Expr> {
        let function = one_of(self.u, &[TypeFunction::Cast, TypeFunction::IsOf])?;
        let type_name = match pick(self.u, &[3, 1, 1])? {
            0 => qualified_name(self.u)?,
            1 => one_of(self.u, &["Edm.String", "Edm.Int32", "Edm.DateTimeOffset"])?.to_owned(),
            _ => identifier(self.u)?,
        };
        self.spend(1, type_name.len() + 4);
        let operand = if self.u.arbitrary()? {
            Some(self.expr(sub)?)
        } else {
            None
        };
        Ok(Expr::type_function(function, operand, &type_name))
    }

    /// Arguments of a path function call: none without a depth (at the
    /// leaves).
    fn call_args(&mut self, depth: Option<u32>) -> Result<Vec<Expr>> {
        match depth {
            None => Ok(Vec::new()),
            Some(d) => {
                let n = self.u.int_in_range(0..=2)?;
                (0..n).map(|_| self.expr(d)).collect()
            }
        }
    }

    /// A segment with a name, counted.
    fn named(&mut self, segment: PathSegment, name_len: usize) -> PathSegment {
        self.spend(1, name_len + 1);
        segment
    }

    /// `any()`, or (with a depth) `any(x:body)` / `all(x:body)`.
    fn lambda(&mut self, depth: Option<u32>) -> Result<PathSegment> {
        let any_empty = PathSegment::Lambda {
            kind: LambdaKind::Any,
            predicate: None,
        };
        self.spend(1, 6);
        let Some(d) = depth else {
            return Ok(any_empty);
        };
        if pick(self.u, &[1, 3])? == 0 {
            return Ok(any_empty);
        }
        let kind = one_of(self.u, &[LambdaKind::Any, LambdaKind::All])?;
        let variable = identifier(self.u)?;
        self.spend(0, variable.len());
        let body = self.expr(d)?;
        Ok(PathSegment::Lambda {
            kind,
            predicate: Some((variable, body)),
        })
    }

    /// A member path; `depth` (when given) is the depth of function-call
    /// arguments and lambda bodies.
    fn path(&mut self, depth: Option<u32>) -> Result<Expr> {
        self.spend(1, 0);
        let (first, needs_more) = match pick(self.u, &[5, 1, 1, 1, 1])? {
            0 => {
                let name = identifier(self.u)?;
                let len = name.len();
                (self.named(PathSegment::Property(name), len), false)
            }
            1 => (self.named(PathSegment::It, 3), false),
            2 => (self.named(PathSegment::This, 5), false),
            3 => {
                let name = qualified_name(self.u)?;
                self.spend(1, name.len() + 2);
                let args = self.call_args(depth)?;
                (PathSegment::FunctionCall { name, args }, false)
            }
            _ => {
                let name = qualified_name(self.u)?;
                let len = name.len();
                (self.named(PathSegment::TypeCast(name), len), true)
            }
        };
        let mut rest = Vec::new();
        for _ in 0..self.u.int_in_range(0..=2)? {
            rest.push(match pick(self.u, &[4, 1, 1])? {
                0 => {
                    let name = identifier(self.u)?;
                    let len = name.len();
                    self.named(PathSegment::Property(name), len)
                }
                1 => {
                    let name = qualified_name(self.u)?;
                    let len = name.len();
                    self.named(PathSegment::TypeCast(name), len)
                }
                _ => {
                    let name = if self.u.arbitrary()? {
                        identifier(self.u)?
                    } else {
                        qualified_name(self.u)?
                    };
                    self.spend(1, name.len() + 2);
                    let args = self.call_args(depth)?;
                    PathSegment::FunctionCall { name, args }
                }
            });
        }
        if pick(self.u, &[3, 1])? == 1 {
            rest.push(self.lambda(depth)?);
        }
        if needs_more && rest.is_empty() {
            let name = identifier(self.u)?;
            let len = name.len();
            rest.push(self.named(PathSegment::Property(name), len));
        }
        Ok(Expr::path(first, rest))
    }
}

// ----- query options --------------------------------------------------------

/// One to three keys, each at most two deep, sharing one budget: the
/// parser counts the nodes of the whole `$orderby` value.
fn orderby(u: &mut Unstructured) -> Result<Vec<OrderByItem>> {
    let n = u.int_in_range(1..=3)?;
    let mut generator = Gen::new(u);
    let mut items = Vec::new();
    for _ in 0..n {
        let expr = generator.expr(2)?;
        let descending = generator.u.arbitrary()?;
        items.push(OrderByItem { expr, descending });
    }
    Ok(items)
}

/// A property, then up to two properties or type casts.
fn select_item(u: &mut Unstructured) -> Result<SelectItem> {
    let first = PathSegment::Property(identifier(u)?);
    let mut rest = Vec::new();
    for _ in 0..u.int_in_range(0..=2)? {
        rest.push(if pick(u, &[3, 1])? == 0 {
            PathSegment::Property(identifier(u)?)
        } else {
            PathSegment::TypeCast(qualified_name(u)?)
        });
    }
    Ok(SelectItem::new(Expr::path(first, rest)))
}

/// Custom options: names that are no OData option (they start with `x`,
/// or with a character no option name starts with, such as `/` or `@`,
/// which could make a rendered query look like a URL), unique
/// case-insensitively; any value, or none.
fn custom_options(u: &mut Unstructured) -> Result<Vec<CustomOption>> {
    let mut custom: Vec<CustomOption> = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        let name = match pick(u, &[1, 1, 1])? {
            0 => format!("x{}", text(u, WORD, 0, 6)?),
            1 => format!(
                "x{}{}",
                text(u, "abcdefghijklmnopqrstuvwxyz&=+%#?'(), -", 0, 5)?,
                text(u, LOWER, 1, 1)?
            ),
            _ => text(u, "/:!@", 1, 1)? + &text(u, "abcdefghijklmnopqrstuvwxyz/:.?", 0, 6)?,
        };
        let value = match pick(u, &[1, 1, 1, 1])? {
            0 => None,
            1 => Some(text(u, ALNUM, 0, 6)?),
            2 => Some(string_value(u)?),
            _ => Some(text(u, " &=+%#?$", 0, 4)?),
        };
        if !custom.iter().any(|c| c.name.eq_ignore_ascii_case(&name)) {
            custom.push(CustomOption { name, value });
        }
    }
    Ok(custom)
}
