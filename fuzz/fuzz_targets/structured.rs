//! Generated trees, not bytes: an `arbitrary`-driven generator builds
//! `$filter` trees and whole queries the parser can produce, and the
//! round-trip laws of SPEC §7 must hold for each:
//! - the flat form holds the same tree: `FilterExpr::from_expr(f).to_expr() == f`;
//! - `parse_filter(f.to_string()) == f` (law 1), rendering idempotent;
//! - `parse("$filter=" + f.to_query_string())` holds `f`;
//! - `parse(q.to_query_string()) == q` (law 2).
//!
//! The generator mirrors the rules of `tests/support/mod.rs` (the proptest
//! generators), not the parser's code: binary nodes only through
//! `Expr::binary`; lists only as the right operand of `in`;
//! identifiers never reserved words or GUID-like; a path starts with a
//! property, `$it`, `$this`, a qualified call, or a cast followed by more;
//! a lambda only last. Unlike proptest, libFuzzer steers the choices by
//! coverage, and it nests one level deeper.
#![no_main]

use arbitrary::{Result, Unstructured};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use defender_odata::syntax::ast::*;
use defender_odata::{parse, parse_filter, FilterExpr, Query};
use libfuzzer_sys::fuzz_target;
use uuid::Uuid;

/// How deep generated expressions nest (operators, calls, lambdas).
const MAX_DEPTH: u32 = 5;

/// Generated trees stay well under the parser's default node limit (1,000).
const MAX_NODES: usize = 400;

const RESERVED: &[&str] = &[
    "eq", "ne", "gt", "ge", "lt", "le", "and", "or", "not", "add", "sub", "mul", "div", "divby",
    "mod", "has", "in", "true", "false", "null", "any", "all", "cast", "isof", "inf", "nan", "asc",
    "desc", "duration", "binary",
];

fn is_reserved(word: &str) -> bool {
    let guid_like = word.len() >= 8 && word.bytes().take(8).all(|b| b.is_ascii_hexdigit());
    guid_like
        || RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
        || Function::lookup(word).is_some()
}

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

/// `min..=max` characters drawn from `alphabet`.
fn text(u: &mut Unstructured, alphabet: &str, min: usize, max: usize) -> Result<String> {
    let chars: Vec<char> = alphabet.chars().collect();
    let len = u.int_in_range(min..=max)?;
    (0..len).map(|_| one_of(u, &chars)).collect()
}

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const DIGITS: &str = "0123456789";
const NONZERO: &str = "123456789";

/// `[a-z][a-zA-Z0-9_]{0,8}`, not reserved; a reserved draw gets an `x`
/// in front, which no reserved word or hex digit starts with.
fn identifier(u: &mut Unstructured) -> Result<String> {
    let mut word = text(u, LOWER, 1, 1)?;
    word += &text(u, &format!("{ALNUM}_"), 0, 8)?;
    Ok(if is_reserved(&word) {
        format!("x{word}")
    } else {
        word
    })
}

/// `Ns.Name` or `Ns.Sub.Name`, parts `[A-Z][a-zA-Z0-9]{0,5}`, none reserved.
fn qualified_name(u: &mut Unstructured) -> Result<String> {
    let parts = u.int_in_range(2..=3)?;
    let mut names = Vec::new();
    for _ in 0..parts {
        let mut part = text(u, UPPER, 1, 1)?;
        part += &text(u, ALNUM, 0, 5)?;
        names.push(if is_reserved(&part) {
            format!("X{part}")
        } else {
            part
        });
    }
    Ok(names.join("."))
}

fn string_value(u: &mut Unstructured) -> Result<String> {
    match pick(u, &[1, 1])? {
        0 => {
            let len = u.int_in_range(0..=11)?;
            (0..len).map(|_| u.arbitrary::<char>()).collect()
        }
        _ => text(u, "abcxyz'&+%() =#?", 0, 10),
    }
}

fn minus(u: &mut Unstructured) -> Result<&'static str> {
    Ok(if u.arbitrary()? { "-" } else { "" })
}

/// Integer part `0|[1-9][0-9]{0,max_more}`.
fn integer_text(u: &mut Unstructured, max_more: usize) -> Result<String> {
    if u.ratio(1, 4)? {
        return Ok("0".into());
    }
    Ok(text(u, NONZERO, 1, 1)? + &text(u, DIGITS, 0, max_more)?)
}

fn decimal_text(u: &mut Unstructured) -> Result<String> {
    let sign = minus(u)?;
    Ok(match pick(u, &[4, 1])? {
        0 => format!("{sign}{}.{}", integer_text(u, 4)?, text(u, DIGITS, 1, 5)?),
        // Integers too large for an i64 are decimals.
        _ => format!(
            "{sign}{}{}",
            text(u, NONZERO, 1, 1)?,
            text(u, DIGITS, 19, 24)?
        ),
    })
}

fn double_text(u: &mut Unstructured) -> Result<String> {
    let sign = minus(u)?;
    let int = integer_text(u, 3)?;
    let fraction = if u.arbitrary()? {
        format!(".{}", text(u, DIGITS, 1, 4)?)
    } else {
        String::new()
    };
    let exp_sign = minus(u)?;
    Ok(format!(
        "{sign}{int}{fraction}e{exp_sign}{}",
        text(u, DIGITS, 1, 2)?
    ))
}

/// Years mostly `0..=9999`, sometimes outside (negative, five digits).
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

fn date_time_offset(u: &mut Unstructured) -> Result<Option<DateTimeOffset>> {
    let d = date(u)?;
    let t = time_of_day(u)?;
    let minutes = if u.arbitrary()? {
        0
    } else {
        u.int_in_range(-840..=840)?
    };
    // chrono keeps a leap second as second 59 with nanos >= 1e9.
    let t = if u.ratio(1, 10)? {
        use chrono::Timelike;
        match NaiveTime::from_hms_nano_opt(t.hour(), t.minute(), 59, 1_000_000_000 + t.nanosecond())
        {
            Some(t) => t,
            None => t,
        }
    } else {
        t
    };
    let Some(offset) = FixedOffset::east_opt(minutes * 60) else {
        return Ok(None);
    };
    let value: Option<DateTime<FixedOffset>> = offset.from_local_datetime(&d.and_time(t)).single();
    Ok(value.map(DateTimeOffset))
}

fn duration_text(u: &mut Unstructured) -> Result<String> {
    let mut out = String::from(if u.arbitrary()? { "-P" } else { "P" });
    let part = |u: &mut Unstructured| -> Result<Option<u32>> {
        Ok(if u.arbitrary()? {
            Some(u.int_in_range(0..=999)?)
        } else {
            None
        })
    };
    let (days, hours, minutes) = (part(u)?, part(u)?, part(u)?);
    let seconds = if u.arbitrary()? {
        let s = u.int_in_range(0..=99u32)?;
        let fraction = if u.arbitrary()? {
            Some(text(u, DIGITS, 1, 3)?)
        } else {
            None
        };
        Some((s, fraction))
    } else {
        None
    };
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

fn literal(u: &mut Unstructured) -> Result<Literal> {
    Ok(
        match pick(u, &[1, 1, 1, 1, 1, 1, 2, 1, 2, 1, 1, 1, 1, 1])? {
            0 => Literal::Null,
            1 => Literal::Boolean(u.arbitrary()?),
            2 => Literal::Int(if u.arbitrary()? {
                u.arbitrary()?
            } else {
                u.int_in_range(-1000..=999)?
            }),
            3 => Literal::Decimal(decimal_text(u)?.into()),
            4 => Literal::Double(double_text(u)?.into()),
            5 => Literal::Special(one_of(
                u,
                &[
                    SpecialFloat::Infinity,
                    SpecialFloat::NegativeInfinity,
                    SpecialFloat::NaN,
                ],
            )?),
            6 => Literal::String(string_value(u)?.into()),
            7 => Literal::Guid(Uuid::from_u128(u.arbitrary()?)),
            8 => match date_time_offset(u)? {
                Some(v) => Literal::DateTimeOffset(v),
                None => Literal::Null,
            },
            9 => Literal::Date(date(u)?),
            10 => Literal::TimeOfDay(time_of_day(u)?),
            11 => Literal::Duration(duration_text(u)?.into()),
            12 => {
                let groups = u.int_in_range(0..=4)?;
                let mut value = String::new();
                for _ in 0..groups {
                    value += &text(u, &format!("{ALNUM}_-"), 4, 4)?;
                }
                Literal::Binary(value.into())
            }
            _ => {
                let type_name = qualified_name(u)?;
                let value = if u.arbitrary()? {
                    text(u, DIGITS, 1, 3)?
                } else {
                    let flags = u.int_in_range(1..=3)?;
                    let words: Result<Vec<String>> =
                        (0..flags).map(|_| text(u, "abcXYZqrsTUV", 1, 8)).collect();
                    words?.join(",")
                };
                Literal::Enum(Box::new(EnumLiteral {
                    type_name: type_name.into(),
                    value: value.into(),
                }))
            }
        },
    )
}

fn node(kind: ExprKind) -> Expr {
    Expr::new(kind, Span::default())
}

fn segment(kind: SegmentKind) -> Segment {
    Segment {
        kind,
        span: Span::default(),
    }
}

fn literal_expr(u: &mut Unstructured) -> Result<Expr> {
    Ok(node(ExprKind::Literal(literal(u)?)))
}

/// Arguments of a path function call: none at the leaves.
fn call_args(u: &mut Unstructured, depth: Option<u32>) -> Result<Vec<Expr>> {
    match depth {
        None => Ok(Vec::new()),
        Some(d) => {
            let n = u.int_in_range(0..=2)?;
            (0..n).map(|_| expr(u, d)).collect()
        }
    }
}

fn lambda(u: &mut Unstructured, depth: Option<u32>) -> Result<SegmentKind> {
    let any_empty = SegmentKind::Lambda(Lambda {
        kind: LambdaKind::Any,
        predicate: None,
    });
    let Some(d) = depth else {
        return Ok(any_empty);
    };
    if pick(u, &[1, 3])? == 0 {
        return Ok(any_empty);
    }
    Ok(SegmentKind::Lambda(Lambda {
        kind: one_of(u, &[LambdaKind::Any, LambdaKind::All])?,
        predicate: Some(LambdaPredicate {
            variable: identifier(u)?.into(),
            body: Box::new(expr(u, d)?),
        }),
    }))
}

/// A member path; `depth` (when given) is the depth of call arguments and
/// lambda bodies.
fn path(u: &mut Unstructured, depth: Option<u32>) -> Result<Expr> {
    let (first, needs_more) = match pick(u, &[5, 1, 1, 1, 1])? {
        0 => (SegmentKind::Property(identifier(u)?.into()), false),
        1 => (SegmentKind::It, false),
        2 => (SegmentKind::This, false),
        3 => (
            SegmentKind::FunctionCall {
                name: qualified_name(u)?.into(),
                args: call_args(u, depth)?,
            },
            false,
        ),
        _ => (SegmentKind::TypeCast(qualified_name(u)?.into()), true),
    };
    let mut segments = vec![first];
    for _ in 0..u.int_in_range(0..=2)? {
        segments.push(match pick(u, &[4, 1, 1])? {
            0 => SegmentKind::Property(identifier(u)?.into()),
            1 => SegmentKind::TypeCast(qualified_name(u)?.into()),
            _ => {
                let name = if u.arbitrary()? {
                    identifier(u)?
                } else {
                    qualified_name(u)?
                };
                SegmentKind::FunctionCall {
                    name: name.into(),
                    args: call_args(u, depth)?,
                }
            }
        });
    }
    if pick(u, &[3, 1])? == 1 {
        segments.push(lambda(u, depth)?);
    }
    if needs_more && segments.len() == 1 {
        segments.push(SegmentKind::Property(identifier(u)?.into()));
    }
    Ok(node(ExprKind::Path(MemberPath {
        segments: segments.into_iter().map(segment).collect(),
    })))
}

/// The right operand of `in`: a literal list of 0 or ≥2 elements, a
/// one-element list of any expression, or a primary that is no list.
fn in_list(u: &mut Unstructured, depth: u32) -> Result<Expr> {
    Ok(match pick(u, &[1, 3, 2, 1])? {
        0 => node(ExprKind::List(Vec::new())),
        1 => {
            let n = u.int_in_range(2..=4)?;
            node(ExprKind::List(
                (0..n).map(|_| literal_expr(u)).collect::<Result<_>>()?,
            ))
        }
        2 => node(ExprKind::List(vec![expr(u, depth)?])),
        _ => {
            let e = expr(u, depth)?;
            if matches!(
                e.kind,
                ExprKind::Unary { .. } | ExprKind::Binary { .. } | ExprKind::List(_)
            ) {
                node(ExprKind::List(vec![e]))
            } else {
                e
            }
        }
    })
}

/// Expressions nested at most `depth` operators/calls deep.
fn expr(u: &mut Unstructured, depth: u32) -> Result<Expr> {
    if depth == 0 {
        return if pick(u, &[3, 2])? == 0 {
            literal_expr(u)
        } else {
            path(u, None)
        };
    }
    let sub = depth - 1;
    Ok(match pick(u, &[2, 1, 5, 1, 1, 1, 1])? {
        0 => literal_expr(u)?,
        1 => path(u, None)?,
        2 => match pick(u, &[8, 4, 1])? {
            0 => {
                let ops: Vec<BinaryOp> = BinaryOp::ALL
                    .into_iter()
                    .filter(|op| *op != BinaryOp::In)
                    .collect();
                let op = one_of(u, &ops)?;
                Expr::binary(op, expr(u, sub)?, expr(u, sub)?)
            }
            // and/or chains are the common case; give them extra weight.
            1 => {
                let op = one_of(u, &[BinaryOp::And, BinaryOp::Or])?;
                Expr::binary(op, expr(u, sub)?, expr(u, sub)?)
            }
            _ => Expr::binary(BinaryOp::In, expr(u, sub)?, in_list(u, sub)?),
        },
        3 => node(ExprKind::Unary {
            op: one_of(u, &[UnaryOp::Not, UnaryOp::Negate])?,
            operand: Box::new(expr(u, sub)?),
        }),
        4 => {
            let function = one_of(u, Function::ALL)?;
            let (min, max) = function.arity();
            let n = u.int_in_range(min..=max)?;
            node(ExprKind::Call {
                function,
                args: (0..n).map(|_| expr(u, sub)).collect::<Result<_>>()?,
            })
        }
        5 => {
            let type_name = match pick(u, &[3, 1, 1])? {
                0 => qualified_name(u)?,
                1 => one_of(u, &["Edm.String", "Edm.Int32", "Edm.DateTimeOffset"])?.to_string(),
                _ => identifier(u)?,
            };
            let operand = if u.arbitrary()? {
                Some(Box::new(expr(u, sub)?))
            } else {
                None
            };
            node(ExprKind::TypeFunction {
                function: one_of(u, &[TypeFunction::Cast, TypeFunction::IsOf])?,
                operand,
                type_name: type_name.into(),
            })
        }
        _ => path(u, Some(sub))?,
    })
}

/// Nodes as the parser counts them against `Limits::max_nodes`: every
/// expression node, and every path segment too.
fn node_count(expr: &Expr) -> usize {
    let children: usize = match &expr.kind {
        ExprKind::Literal(_) => 0,
        ExprKind::Path(path) => {
            path.segments.len()
                + path
                    .segments
                    .iter()
                    .map(|s| match &s.kind {
                        SegmentKind::FunctionCall { args, .. } => args.iter().map(node_count).sum(),
                        SegmentKind::Lambda(Lambda {
                            predicate: Some(p), ..
                        }) => node_count(&p.body),
                        _ => 0,
                    })
                    .sum::<usize>()
        }
        ExprKind::Unary { operand, .. } => node_count(operand),
        ExprKind::Binary { operands, .. } => operands.iter().map(node_count).sum(),
        ExprKind::List(items) | ExprKind::Call { args: items, .. } => {
            items.iter().map(node_count).sum()
        }
        ExprKind::TypeFunction { operand, .. } => operand.as_deref().map_or(0, node_count),
    };
    1 + children
}

fn count_like(u: &mut Unstructured) -> Result<i64> {
    Ok(if u.arbitrary()? {
        u.int_in_range(0..=99)?
    } else {
        u.int_in_range(0..=i64::MAX)?
    })
}

fn query(u: &mut Unstructured, filter: Option<Expr>) -> Result<Query> {
    let orderby = if u.arbitrary()? {
        let n = u.int_in_range(1..=3)?;
        let items: Result<Vec<OrderByItem>> = (0..n)
            .map(|_| {
                Ok(OrderByItem {
                    expr: FilterExpr::from_expr(&expr(u, 2)?),
                    descending: u.arbitrary()?,
                })
            })
            .collect();
        Some(items?)
    } else {
        None
    };
    let select = match pick(u, &[2, 1, 3])? {
        0 => None,
        1 => Some(Select::All),
        _ => {
            let n = u.int_in_range(1..=3)?;
            let mut items = Vec::new();
            for _ in 0..n {
                let mut segments = vec![SegmentKind::Property(identifier(u)?.into())];
                for _ in 0..u.int_in_range(0..=2)? {
                    segments.push(if pick(u, &[3, 1])? == 0 {
                        SegmentKind::Property(identifier(u)?.into())
                    } else {
                        SegmentKind::TypeCast(qualified_name(u)?.into())
                    });
                }
                items.push(SelectItem {
                    path: MemberPath {
                        segments: segments.into_iter().map(segment).collect(),
                    },
                    span: Span::default(),
                });
            }
            Some(Select::Paths(items))
        }
    };
    // Custom option names start with `x`, which no OData option does, and
    // are unique case-insensitively.
    let mut custom: Vec<CustomOption> = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        let name = if u.arbitrary()? {
            format!("x{}", text(u, &format!("{ALNUM}_"), 0, 6)?)
        } else {
            format!(
                "x{}{}",
                text(u, "abcz&=+%#?'(), -", 0, 5)?,
                text(u, LOWER, 1, 1)?
            )
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
    Ok(Query {
        filter: filter.as_ref().map(FilterExpr::from_expr),
        count: if u.arbitrary()? {
            Some(u.arbitrary()?)
        } else {
            None
        },
        orderby,
        skip: if u.arbitrary()? {
            Some(count_like(u)?)
        } else {
            None
        },
        top: if u.arbitrary()? {
            Some(count_like(u)?)
        } else {
            None
        },
        select,
        custom,
        ..Query::default()
    })
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(filter) = expr(&mut u, MAX_DEPTH) else {
        return;
    };
    if node_count(&filter) > MAX_NODES {
        return;
    }

    // The flat form holds the same tree.
    let flat = FilterExpr::from_expr(&filter);
    assert_eq!(flat.to_expr(), filter, "flat form");

    // Law 1: the human form parses back; rendering is idempotent.
    let human = flat.to_string();
    match parse_filter(&human) {
        Ok(back) => {
            assert_eq!(back.to_expr(), filter, "human form: {human:?}");
            assert_eq!(back.to_string(), human);
        }
        Err(e) => panic!("human form rejected: {human:?}\ntree: {filter:?}\nerror: {e:?}"),
    }

    // The encoded expression is a `$filter` value.
    let encoded = format!("$filter={}", filter.to_query_string());
    match parse(&encoded) {
        Ok(q) => assert_eq!(
            q.filter.as_ref().map(FilterExpr::to_expr),
            Some(filter.clone()),
            "encoded: {encoded:?}"
        ),
        Err(e) => panic!("encoded form rejected: {encoded:?}\nerror: {e:?}"),
    }

    // Law 2, on a whole query around the tree.
    let Ok(q) = query(&mut u, Some(filter)) else {
        return;
    };
    if q.orderby
        .iter()
        .flatten()
        .map(|o| node_count(&o.expr.to_expr()))
        .sum::<usize>()
        > MAX_NODES
    {
        return;
    }
    let text = q.to_query_string();
    match parse(&text) {
        Ok(back) => assert_eq!(back, q, "query: {text:?}"),
        Err(e) => panic!("query rejected: {text:?}\nerror: {e:?}"),
    }
});
