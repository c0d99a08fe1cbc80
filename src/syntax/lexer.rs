//! The token grammar: the shapes of literals and names.
//!
//! Owns: recognizing one token at the start of the input (numbers, dates,
//! times, offsets, GUIDs, durations, identifiers, keywords) and converting
//! it to a value. Each reader looks a bounded distance ahead and never
//! recurses, so the grammar above stays linear.
//!
//! Two kinds of reader: the slower, rarer tokens (numbers, durations,
//! keywords) are nom combinators, which state the grammar as it reads; the
//! hot ones (dates, times, offsets, ASCII names, GUIDs) are hand-unrolled
//! byte readers, and the tests keep nom versions of those as the executable
//! reference grammar that property tests compare them with.
//!
//! Must not know about: operators, precedence, spans or error messages; the
//! expression parser (`parser`) decides what a failed token means.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use nom::{
    bytes::complete::{tag_no_case, take_while1},
    character::complete::{char, digit1, one_of},
    combinator::{opt, recognize},
    sequence::{pair, preceded, tuple},
    IResult,
};
use uuid::Uuid;

use super::ast::DateTimeOffset;

pub(crate) use super::ident::{is_ident_byte, ASCII_IDENT};

/// Whether `c` can start an OData identifier (`ALPHA / "_"` or a Unicode letter).
#[inline]
pub fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || (!c.is_ascii() && c.is_alphabetic())
}

/// Whether `c` can continue an OData identifier.
#[inline]
fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || (!c.is_ascii() && c.is_alphanumeric())
}

/// Where the run of ASCII identifier bytes that starts at `start` ends, if
/// an identifier starts there with an ASCII byte. The byte after it may be
/// one of 128 or more, which continues the name in the Unicode grammar:
/// callers check.
#[inline]
fn ascii_identifier_end(bytes: &[u8], start: usize) -> Option<usize> {
    let first = *bytes.get(start)?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let mut end = start + 1;
    while bytes.get(end).is_some_and(|&b| ASCII_IDENT[usize::from(b)]) {
        end += 1;
    }
    Some(end)
}

/// Whether `bytes` holds a byte of 128 or more at `at`.
fn non_ascii_at(bytes: &[u8], at: usize) -> bool {
    bytes.get(at).is_some_and(|&b| b >= 0x80)
}

/// One OData identifier: `machineId`, `_x`, `Zoë`.
#[inline]
pub fn identifier(input: &str) -> IResult<&str, &str> {
    // ASCII fast path: most names are ASCII.
    let bytes = input.as_bytes();
    match ascii_identifier_end(bytes, 0) {
        Some(end) if !non_ascii_at(bytes, end) => Ok((&input[end..], &input[..end])),
        _ => identifier_unicode(input),
    }
}

fn identifier_unicode(input: &str) -> IResult<&str, &str> {
    let mut chars = input.char_indices();
    match chars.next() {
        Some((_, c)) if is_ident_start(c) => {}
        _ => {
            return Err(nom::Err::Error(nom::error::Error::new(
                input,
                nom::error::ErrorKind::Alpha,
            )))
        }
    }
    let end = chars
        .find(|&(_, c)| !is_ident_char(c))
        .map_or(input.len(), |(i, _)| i);
    Ok((&input[end..], &input[..end]))
}

/// A possibly qualified name: `machineId`, `Sales.Pattern`, `Edm.String`.
///
/// `recognize(pair(identifier, many0(preceded(char('.'), identifier))))`,
/// read byte by byte while the name is ASCII: names are the parser's most
/// frequent token. A byte of 128 or more sends the whole name to that
/// grammar, spelled with [`identifier`] (`qualified_name_unicode`).
#[inline]
pub fn qualified_name(input: &str) -> IResult<&str, &str> {
    let bytes = input.as_bytes();
    let mut end = 0;
    loop {
        match ascii_identifier_end(bytes, end) {
            Some(after) if !non_ascii_at(bytes, after) => end = after,
            // After a dot, a byte that starts no identifier leaves the dot
            // unread.
            None if end > 0 && !non_ascii_at(bytes, end) => {
                end -= 1;
                break;
            }
            // No name at all, or a non-ASCII byte: the grammar's to answer.
            _ => return qualified_name_unicode(input),
        }
        if bytes.get(end) != Some(&b'.') {
            break;
        }
        end += 1;
    }
    Ok((&input[end..], &input[..end]))
}

fn qualified_name_unicode(input: &str) -> IResult<&str, &str> {
    let (mut rest, _) = identifier(input)?;
    while let Some(after_dot) = rest.strip_prefix('.') {
        match identifier(after_dot) {
            Ok((after, _)) => rest = after,
            Err(_) => break,
        }
    }
    Ok((rest, &input[..input.len() - rest.len()]))
}

/// Whether a GUID could start at byte `at` of `bytes`: the ninth byte from
/// there is a `-`. Most names and numbers are not GUIDs; this rules them out
/// with one byte, inlined at the call, before the full shape is read.
#[inline]
pub(crate) fn may_start_guid(bytes: &[u8], at: usize) -> bool {
    bytes.get(at + 8) == Some(&b'-')
}

/// An unquoted GUID `8-4-4-4-12` not followed by another identifier character.
#[inline]
pub fn guid(input: &str) -> IResult<&str, Uuid> {
    if !may_start_guid(input.as_bytes(), 0) {
        return Err(nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::HexDigit,
        )));
    }
    guid_shape(input)
}

#[inline(never)]
fn guid_shape(input: &str) -> IResult<&str, Uuid> {
    // 36 bytes are read by uuid as the hyphenated form, 8-4-4-4-12 hex
    // digits, and nothing else: the shape itself, without combinators.
    let error = || {
        nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::HexDigit,
        ))
    };
    let (Some(text), Some(rest)) = (input.get(..36), input.get(36..)) else {
        return Err(error());
    };
    if rest.as_bytes().first().is_some_and(|&b| is_ident_byte(b)) {
        return Err(error());
    }
    Uuid::try_parse(text)
        .map(|uuid| (rest, uuid))
        .map_err(|_| error())
}

/// A number: `42`, `-2`, `+42`, `3.14`, `-1.234567e3`, `1e-101`.
///
/// Integers that fit an `i64` become [`Number::Int`]; longer ones and numbers
/// with a fraction become [`Number::Decimal`]; numbers with an exponent
/// [`Number::Double`]. The text is kept (less a leading `+`) so nothing is lost.
pub(crate) fn number(input: &str) -> IResult<&str, Number> {
    let (rest, (sign, int, frac, exp)) = tuple((
        opt(one_of("+-")),
        digit1,
        opt(preceded(char('.'), digit1)),
        opt(recognize(tuple((one_of("eE"), opt(one_of("+-")), digit1)))),
    ))(input)?;
    let negative = sign == Some('-');
    let literal = match (frac, exp) {
        (None, None) => {
            let digits = if negative {
                &input[..1 + int.len()]
            } else {
                int
            };
            match digits.parse::<i64>() {
                Ok(value) => Number::Int(value),
                Err(_) => Number::Decimal(signed_text(negative, int, None, None)),
            }
        }
        (frac, None) => Number::Decimal(signed_text(negative, int, frac, None)),
        (frac, Some(exp)) => Number::Double(signed_text(negative, int, frac, Some(exp))),
    };
    Ok((rest, literal))
}

/// A number literal as [`number`] reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Number {
    /// An integer that fits an `i64`.
    Int(i64),
    /// A decimal, or an integer too large for an `i64`: its text.
    Decimal(String),
    /// A number with an exponent: its text, with a lower-case `e`.
    Double(String),
}

fn signed_text(negative: bool, int: &str, frac: Option<&str>, exp: Option<&str>) -> String {
    let mut text = String::with_capacity(int.len() + 24);
    if negative {
        text.push('-');
    }
    text.push_str(int);
    if let Some(frac) = frac {
        text.push('.');
        text.push_str(frac);
    }
    if let Some(exp) = exp {
        text.push('e');
        text.push_str(&exp[1..]);
    }
    text
}

/// The shape of a date, `[-]YYYY-MM-DD` (year: `0` + 3 digits, or a non-zero
/// digit + 3 or more), as numbers not yet checked against the calendar.
///
/// Read at fixed offsets, like the other hot tokens, not through
/// `tuple`/`alt` of `char` parsers (the grammar the tests keep as the
/// reference, see `reference_date_shape`), which are slower. Hot path:
/// every number and date literal is tried against this shape; see
/// benches/parse.rs.
pub(crate) fn date_shape(input: &str) -> Option<(&str, (i64, u32, u32))> {
    let bytes = input.as_bytes();
    let sign = usize::from(bytes.first() == Some(&b'-'));
    let year_len = digit_run(&bytes[sign..], 14);
    let year_ok = match bytes.get(sign) {
        Some(b'0') => year_len == 4,
        Some(b'1'..=b'9') => (4..=13).contains(&year_len),
        _ => false,
    };
    let after_year = sign + year_len;
    let month_day = || {
        if bytes.get(after_year) != Some(&b'-') || bytes.get(after_year + 3) != Some(&b'-') {
            return None;
        }
        Some((
            two_digits_at(bytes, after_year + 1)?,
            two_digits_at(bytes, after_year + 4)?,
        ))
    };
    let (month, day) = year_ok.then(month_day).flatten()?;
    // At most 13 digits: no overflow.
    let year = bytes[sign..after_year]
        .iter()
        .fold(0i64, |year, &b| year * 10 + i64::from(b - b'0'));
    let year = if sign == 1 { -year } else { year };
    Some((&input[after_year + 6..], (year, month, day)))
}

/// Hours, minutes, seconds and nanoseconds, not yet checked against the clock.
pub(crate) type TimeParts = (u32, u32, u32, u32);

/// The shape of a time of day, `hh:mm[:ss[.fraction]]`: hours, minutes,
/// seconds, nanoseconds (fraction digits past the ninth are dropped; at
/// most 12 are read). Read at fixed offsets, as `date_shape` is.
pub(crate) fn time_shape(input: &str) -> Option<(&str, TimeParts)> {
    let bytes = input.as_bytes();
    let (Some(hour), Some(b':'), Some(minute)) = (
        two_digits_at(bytes, 0),
        bytes.get(2),
        two_digits_at(bytes, 3),
    ) else {
        return None;
    };
    let (mut end, mut second, mut nanos) = (5, 0, 0);
    if bytes.get(5) == Some(&b':') {
        if let Some(ss) = two_digits_at(bytes, 6) {
            (end, second) = (8, ss);
            if bytes.get(8) == Some(&b'.') {
                let run = digit_run(&bytes[9..], 12);
                if run > 0 {
                    nanos = fraction_to_nanos(&input[9..9 + run]);
                    end = 9 + run;
                }
            }
        }
    }
    Some((&input[end..], (hour, minute, second, nanos)))
}

/// How many ASCII digits `bytes` starts with, counting at most `max`.
fn digit_run(bytes: &[u8], max: usize) -> usize {
    bytes
        .iter()
        .take(max)
        .take_while(|b| b.is_ascii_digit())
        .count()
}

/// The value of the two ASCII digits at `at`, if two stand there.
fn two_digits_at(bytes: &[u8], at: usize) -> Option<u32> {
    match bytes.get(at..at + 2)? {
        &[high @ b'0'..=b'9', low @ b'0'..=b'9'] => {
            Some(u32::from(high - b'0') * 10 + u32::from(low - b'0'))
        }
        _ => None,
    }
}

/// The nanoseconds of a fraction's ASCII digits, of which the first nine
/// count: the digits read as one number, scaled by the power of ten they
/// fall short of nine digits by, from a table: a power per digit
/// (`10u32.pow`) is slower.
fn fraction_to_nanos(digits: &str) -> u32 {
    const SCALE: [u32; 10] = [
        1_000_000_000,
        100_000_000,
        10_000_000,
        1_000_000,
        100_000,
        10_000,
        1_000,
        100,
        10,
        1,
    ];
    let digits = &digits.as_bytes()[..digits.len().min(9)];
    let value = digits
        .iter()
        .fold(0u32, |value, &b| value * 10 + u32::from(b - b'0'));
    value * SCALE[digits.len()]
}

/// A time-zone designator: `Z` (offset 0) or `±hh:mm`, in seconds east of UTC.
///
/// Read at fixed offsets, as `date_shape` is, not through `alt` of `one_of`
/// and `tuple`, which is slower (the tests keep that grammar as the
/// reference).
pub(crate) fn offset_shape(input: &str) -> Option<(&str, (i32, u32, u32))> {
    let bytes = input.as_bytes();
    match bytes.first() {
        Some(b'Z' | b'z') => Some((&input[1..], (1, 0, 0))),
        Some(&sign @ (b'+' | b'-')) => match (
            two_digits_at(bytes, 1),
            bytes.get(3),
            two_digits_at(bytes, 4),
        ) {
            (Some(hours), Some(b':'), Some(minutes)) => {
                let sign = if sign == b'-' { -1 } else { 1 };
                Some((&input[6..], (sign, hours, minutes)))
            }
            _ => None,
        },
        _ => None,
    }
}

/// What went wrong converting a well-shaped literal to a value.
#[derive(Debug, PartialEq, Eq)]
pub enum LiteralError {
    /// A calendar date that does not exist, or a year out of range.
    Date,
    /// An hour, minute or second out of range.
    Time,
    /// An offset beyond ±23:59.
    Offset,
}

/// Checks a date shape against the calendar.
pub(crate) fn make_date((year, month, day): (i64, u32, u32)) -> Result<NaiveDate, LiteralError> {
    i32::try_from(year)
        .ok()
        .and_then(|year| NaiveDate::from_ymd_opt(year, month, day))
        .ok_or(LiteralError::Date)
}

/// Checks a time shape: hours to 23, minutes to 59, seconds to 59, or to
/// 60 where `leap_second` allows (a DateTimeOffset: the OData ABNF's
/// `second` rule allows 60 for leap seconds; chrono keeps one as second 59
/// with a billion nanoseconds or more).
pub(crate) fn make_time(
    (hour, minute, second, nanos): TimeParts,
    leap_second: bool,
) -> Result<NaiveTime, LiteralError> {
    let (second, nanos) = if second == 60 && leap_second {
        (59, nanos + 1_000_000_000)
    } else {
        (second, nanos)
    };
    if hour > 23 || minute > 59 || second > 59 {
        return Err(LiteralError::Time);
    }
    NaiveTime::from_hms_nano_opt(hour, minute, second, nanos).ok_or(LiteralError::Time)
}

/// Builds a DateTimeOffset from checked parts.
pub(crate) fn make_date_time_offset(
    date: NaiveDate,
    time: NaiveTime,
    (sign, hours, minutes): (i32, u32, u32),
) -> Result<DateTimeOffset, LiteralError> {
    if hours > 23 || minutes > 59 {
        return Err(LiteralError::Offset);
    }
    let seconds = sign * (hours * 3600 + minutes * 60) as i32;
    let offset = FixedOffset::east_opt(seconds).ok_or(LiteralError::Offset)?;
    let local = NaiveDateTime::new(date, time);
    let utc = local.checked_sub_offset(offset).ok_or(LiteralError::Date)?;
    Ok(DateTimeOffset(DateTime::from_naive_utc_and_offset(
        utc, offset,
    )))
}

/// Why [`time_and_offset`] refused; `read` is how many bytes it had read
/// (from the `T` on) when it found out, for the caller's span.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TimeOffsetError {
    /// No `T`, or no `hh:mm[:ss[.fraction]]` after it.
    NoTime { read: usize },
    /// A well-shaped time or offset out of range.
    Value { error: LiteralError, read: usize },
    /// A time, then no `Z` or `±hh:mm`.
    NoOffset { read: usize },
}

/// The rest of a DateTimeOffset after its date: `T` (or `t`), a time
/// `hh:mm[:ss[.fraction]]` and an offset `Z` or `±hh:mm`. Seconds run to 60
/// (a leap second, as the ABNF allows), offsets to ±23:59, fractions to 12
/// digits (nanoseconds kept).
///
/// With [`date_time_offset`], the one DateTimeOffset grammar: `$filter`
/// literals and entity data are read by it alike, so a value a filter can
/// write is a value the data can hold.
pub(crate) fn time_and_offset(
    date: NaiveDate,
    input: &str,
) -> Result<(&str, DateTimeOffset), TimeOffsetError> {
    let read = |rest: &str| input.len() - rest.len();
    let after_t = match input.as_bytes().first() {
        Some(b'T' | b't') => &input[1..],
        _ => return Err(TimeOffsetError::NoTime { read: 0 }),
    };
    let (after_time, time) = time_shape(after_t).ok_or(TimeOffsetError::NoTime { read: 1 })?;
    let time = make_time(time, true).map_err(|error| TimeOffsetError::Value {
        error,
        read: read(after_time),
    })?;
    let (rest, offset) = offset_shape(after_time).ok_or(TimeOffsetError::NoOffset {
        read: read(after_time),
    })?;
    let value =
        make_date_time_offset(date, time, offset).map_err(|error| TimeOffsetError::Value {
            error,
            read: read(rest),
        })?;
    Ok((rest, value))
}

/// A whole DateTimeOffset at the start of `input`: a date, then
/// [`time_and_offset`].
pub(crate) fn date_time_offset(input: &str) -> Option<(&str, DateTimeOffset)> {
    let (after_date, date) = date_shape(input)?;
    let date = make_date(date).ok()?;
    time_and_offset(date, after_date).ok()
}

/// The value of an ISO 8601 duration (`[-]P[nD][T[nH][nM][n[.f]S]]`), the
/// text of a `duration'…'` literal or of an Edm.Duration in data; `None`
/// when it is not one or is out of range. The one conversion: the parser
/// refuses a literal it cannot convert, so evaluation never meets one.
pub(crate) fn parse_duration(text: &str) -> Option<TimeDelta> {
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, text.get(1..)?),
        b'+' => (false, text.get(1..)?),
        _ => (false, text),
    };
    let rest = rest.strip_prefix(['P', 'p'])?;
    let (days_part, time_part) = match rest.find(['T', 't']) {
        Some(at) => (rest.get(..at)?, Some(rest.get(at + 1..)?)),
        None => (rest, None),
    };
    let mut total = TimeDelta::zero();
    if !days_part.is_empty() {
        let days: i64 = days_part.strip_suffix(['D', 'd'])?.parse().ok()?;
        total = total.checked_add(&TimeDelta::try_days(days)?)?;
    }
    if let Some(mut time) = time_part {
        for (unit, seconds) in [(['H', 'h'], 3600), (['M', 'm'], 60)] {
            if let Some(at) = time.find(unit) {
                let n: i64 = time.get(..at)?.parse().ok()?;
                total = total.checked_add(&TimeDelta::try_seconds(n.checked_mul(seconds)?)?)?;
                time = time.get(at + 1..)?;
            }
        }
        if !time.is_empty() {
            let number = time.strip_suffix(['S', 's'])?;
            let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
            let secs: i64 = whole.parse().ok()?;
            let mut nanos: i64 = 0;
            for (i, digit) in fraction.bytes().enumerate() {
                if !digit.is_ascii_digit() {
                    return None;
                }
                if i < 9 {
                    nanos += i64::from(digit - b'0') * 10_i64.pow(8 - i as u32);
                }
            }
            total = total.checked_add(&TimeDelta::try_seconds(secs)?)?;
            total = total.checked_add(&TimeDelta::nanoseconds(nanos))?;
        }
    }
    Some(if negative { -total } else { total })
}

/// The body of `duration'…'`: `[-]P[nD][T[nH][nM][n[.n]S]]` with at least
/// one component.
pub fn duration_body(input: &str) -> IResult<&str, &str> {
    let digits = || take_while1(|c: char| c.is_ascii_digit());
    let (rest, text) = recognize(tuple((
        opt(one_of("+-")),
        one_of("Pp"),
        opt(pair(digits(), one_of("Dd"))),
        opt(preceded(
            one_of("Tt"),
            tuple((
                opt(pair(digits(), one_of("Hh"))),
                opt(pair(digits(), one_of("Mm"))),
                opt(tuple((
                    digits(),
                    opt(preceded(char('.'), digits())),
                    one_of("Ss"),
                ))),
            )),
        )),
    )))(input)?;
    let has_component = text.bytes().any(|b| b.is_ascii_digit());
    let ends_in_t = text.ends_with(['T', 't']);
    if !has_component || ends_in_t {
        return Err(nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::Verify,
        )));
    }
    Ok((rest, text))
}

/// Matches `keyword` case-insensitively at the start of `input`, not
/// followed by an identifier character.
pub fn keyword<'a>(keyword: &'static str) -> impl Fn(&'a str) -> IResult<&'a str, &'a str> {
    move |input: &'a str| {
        let (rest, word) = tag_no_case(keyword)(input)?;
        if rest.as_bytes().first().is_some_and(|&b| is_ident_byte(b)) {
            return Err(nom::Err::Error(nom::error::Error::new(
                input,
                nom::error::ErrorKind::Tag,
            )));
        }
        Ok((rest, word))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nom::branch::alt;

    /// [`two_digits_at`] the start, as a nom parser.
    fn two_digits(input: &str) -> IResult<&str, u32> {
        match two_digits_at(input.as_bytes(), 0) {
            // Two ASCII digits: byte 2 is a character boundary.
            Some(value) => Ok((&input[2..], value)),
            None => Err(nom::Err::Error(nom::error::Error::new(
                input,
                nom::error::ErrorKind::Digit,
            ))),
        }
    }

    #[test]
    fn ascii_runs_take_between_min_and_max_bytes_of_their_class() {
        let digits = |min, max, input| ascii_run(min, max, |b| b.is_ascii_digit())(input);
        assert_eq!(digits(3, 12, "2024-"), Ok(("-", "2024")));
        assert_eq!(digits(3, 12, "1234567890123"), Ok(("3", "123456789012")));
        assert_eq!(digits(1, 3, "7é"), Ok(("é", "7")));
        assert_eq!(digits(2, 2, "12"), Ok(("", "12")));
        assert!(digits(3, 12, "12").is_err());
        assert!(digits(1, 12, "x1").is_err());
        assert!(digits(1, 12, "").is_err());
    }

    #[test]
    fn the_identifier_table_is_the_ascii_identifier_class() {
        for b in 0..=u8::MAX {
            assert_eq!(
                ASCII_IDENT[usize::from(b)],
                b.is_ascii_alphanumeric() || b == b'_',
                "byte {b:#04x}"
            );
        }
    }

    #[test]
    fn numbers_keep_their_kind_and_text() {
        assert_eq!(number("42 ").unwrap(), (" ", Number::Int(42)));
        assert_eq!(number("+42").unwrap().1, Number::Int(42));
        assert_eq!(number("-2").unwrap().1, Number::Int(-2));
        assert_eq!(number("007").unwrap().1, Number::Int(7));
        assert_eq!(
            number("-9223372036854775808").unwrap().1,
            Number::Int(i64::MIN)
        );
        assert_eq!(
            number("99999999999999999999").unwrap().1,
            Number::Decimal("99999999999999999999".into())
        );
        assert_eq!(number("3.14").unwrap().1, Number::Decimal("3.14".into()));
        assert_eq!(
            number("-1.234567E3").unwrap().1,
            Number::Double("-1.234567e3".into())
        );
        assert_eq!(number("1e-101").unwrap().1, Number::Double("1e-101".into()));
        assert_eq!(number("42.").unwrap(), (".", Number::Int(42)));
        assert!(number(".1").is_err());
    }

    #[test]
    fn guids_need_the_whole_shape() {
        let (rest, uuid) = guid("01234567-89AB-cdef-0123-456789abcdef)").unwrap();
        assert_eq!(rest, ")");
        assert_eq!(uuid.to_string(), "01234567-89ab-cdef-0123-456789abcdef");
        assert!(guid("01234g67-89ab-cdef-0123-456789abcdef").is_err());
        assert!(guid("01234567-89ab-cdef-456789abcdef").is_err());
        assert!(guid("01234567-89ab-cdef-0123-456789abcdef0").is_err());
        assert!(guid("01234567-89ab-cdef-0123+456789abcdef").is_err());
        assert!(guid("01234567-89ab-cdef-0123-456789abcdeg").is_err());
        assert!(guid("0123456789abcdef0123456789abcdef----").is_err());
        assert!(guid("01234567-89ab-cdef-0123-456789abcdeé").is_err());
    }

    /// `take_while_m_n` over ASCII bytes of one class (nom's own decodes
    /// characters), for the reference grammars below.
    fn ascii_run(
        min: usize,
        max: usize,
        class: fn(u8) -> bool,
    ) -> impl Fn(&str) -> IResult<&str, &str> {
        move |input: &str| {
            let run = input
                .bytes()
                .take(max)
                .position(|b| !class(b))
                .unwrap_or(input.len().min(max));
            if run < min {
                return Err(nom::Err::Error(nom::error::Error::new(
                    input,
                    nom::error::ErrorKind::TakeWhileMN,
                )));
            }
            // The class is ASCII, so `run` ends on a character boundary.
            Ok((&input[run..], &input[..run]))
        }
    }

    /// The date grammar as nom combinators: the reference `date_shape`
    /// must agree with.
    fn reference_date_shape(input: &str) -> IResult<&str, (i64, u32, u32)> {
        use nom::character::complete::satisfy;
        let (rest, (neg, year, _, month, _, day)) = tuple((
            opt(char('-')),
            alt((
                recognize(pair(char('0'), ascii_run(3, 3, |b| b.is_ascii_digit()))),
                recognize(pair(
                    satisfy(|c| matches!(c, '1'..='9')),
                    ascii_run(3, 12, |b| b.is_ascii_digit()),
                )),
            )),
            char('-'),
            two_digits,
            char('-'),
            two_digits,
        ))(input)?;
        let year: i64 = year.parse().unwrap_or(i64::MAX);
        Ok((rest, (if neg.is_some() { -year } else { year }, month, day)))
    }

    /// The offset grammar as nom combinators, the reference for
    /// `offset_shape`.
    fn reference_offset_shape(input: &str) -> IResult<&str, (i32, u32, u32)> {
        alt((
            nom::combinator::map(one_of("Zz"), |_| (1, 0, 0)),
            nom::combinator::map(
                tuple((one_of("+-"), two_digits, char(':'), two_digits)),
                |(sign, h, _, m)| (if sign == '-' { -1 } else { 1 }, h, m),
            ),
        ))(input)
    }

    /// A fraction's nanoseconds a digit at a time, the reference for
    /// `fraction_to_nanos`.
    fn reference_fraction_to_nanos(digits: &str) -> u32 {
        let mut nanos = 0u32;
        for (i, b) in digits.bytes().take(9).enumerate() {
            nanos += u32::from(b - b'0') * 10u32.pow(8 - i as u32);
        }
        nanos
    }

    /// The time grammar as nom combinators, the reference for `time_shape`.
    fn reference_time_shape(input: &str) -> IResult<&str, (u32, u32, u32, u32)> {
        let (rest, (hour, _, minute, seconds)) = tuple((
            two_digits,
            char(':'),
            two_digits,
            opt(preceded(
                char(':'),
                pair(
                    two_digits,
                    opt(preceded(
                        char('.'),
                        ascii_run(1, 12, |b| b.is_ascii_digit()),
                    )),
                ),
            )),
        ))(input)?;
        let (second, nanos) = match seconds {
            None => (0, 0),
            Some((second, fraction)) => (second, fraction.map_or(0, reference_fraction_to_nanos)),
        };
        Ok((rest, (hour, minute, second, nanos)))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5_000))]

        /// Inputs built from the characters of dates and times, so most are
        /// near misses of the shapes.
        #[test]
        fn date_and_time_shapes_agree_with_the_nom_grammar(input in proptest::prop_oneof![
            "[-0-9:.T]{0,24}[a-z]?",
            "-?[0-9]{2,15}-[0-9]{1,3}-[0-9]{1,3}[-T:.0-9]{0,4}",
            "[0-9]{1,3}:[0-9]{1,3}(:[0-9]{1,3}([.][0-9]{0,14})?)?[0-9a-z]?",
        ]) {
            proptest::prop_assert_eq!(date_shape(&input), reference_date_shape(&input).ok());
            proptest::prop_assert_eq!(time_shape(&input), reference_time_shape(&input).ok());
        }

        #[test]
        fn offset_shapes_agree_with_the_nom_grammar(input in "[-+Zz0-9:]{0,7}[a-z]?") {
            proptest::prop_assert_eq!(offset_shape(&input), reference_offset_shape(&input).ok());
        }
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(date_shape("2012-09-03").unwrap().1, (2012, 9, 3));
        assert_eq!(date_shape("-10000-04-01").unwrap().1, (-10000, 4, 1));
        assert_eq!(date_shape("0000-01-01").unwrap().1, (0, 1, 1));
        assert!(date_shape("012-01-01").is_none());
        assert!(make_date((2023, 2, 29)).is_err());
        assert_eq!(
            time_shape("11:22:33.4444444").unwrap().1,
            (11, 22, 33, 444_444_400)
        );
        assert_eq!(
            time_shape("11:22:33.123456789012").unwrap().1,
            (11, 22, 33, 123_456_789)
        );
        assert!(make_time((24, 0, 0, 0), false).is_err());
        assert!(make_time((23, 59, 60, 0), true).is_ok());
        assert!(make_time((23, 59, 60, 0), false).is_err());
        assert!(make_time((23, 59, 61, 0), true).is_err());
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("P1DT2H"), Some(TimeDelta::hours(26)));
        assert_eq!(
            parse_duration("-PT0.5S"),
            Some(-TimeDelta::milliseconds(500))
        );
        assert_eq!(parse_duration("PT1M30S"), Some(TimeDelta::seconds(90)));
        assert_eq!(parse_duration("X"), None);
        assert_eq!(
            parse_duration("P99999999999999999999D"),
            None,
            "out of range"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(duration_body("P1DT2H'").unwrap(), ("'", "P1DT2H"));
        assert_eq!(duration_body("-PT0.5S").unwrap().1, "-PT0.5S");
        assert!(duration_body("P").is_err());
        assert!(duration_body("P1DT").is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5_000))]

        /// The byte loop reads the same names as the grammar it unrolls
        /// (which the non-ASCII names still go through): inputs of name
        /// characters, dots and near misses.
        #[test]
        fn qualified_names_agree_with_the_grammar(input in "[a-zA-Z0-9_.ëÜ٣ /'(-]{0,12}") {
            proptest::prop_assert_eq!(
                qualified_name(&input).ok(),
                qualified_name_unicode(&input).ok()
            );
        }
    }

    #[test]
    fn identifiers() {
        assert_eq!(identifier("notes eq").unwrap(), (" eq", "notes"));
        assert_eq!(identifier("Zoë)").unwrap(), (")", "Zoë"));
        assert_eq!(
            qualified_name("Sales.Pattern'x'").unwrap().1,
            "Sales.Pattern"
        );
        assert_eq!(qualified_name("a.b.c/d").unwrap(), ("/d", "a.b.c"));
        assert_eq!(qualified_name("a..b").unwrap(), ("..b", "a"));
        assert_eq!(qualified_name("a.1").unwrap(), (".1", "a"));
        assert_eq!(qualified_name("Zoë.Ünï x").unwrap(), (" x", "Zoë.Ünï"));
        assert!(qualified_name(".a").is_err());
        assert_eq!(qualified_name("a.").unwrap(), (".", "a"));
        assert_eq!(qualified_name("_1.x_2 y").unwrap(), (" y", "_1.x_2"));
        assert_eq!(qualified_name("a.bë.c").unwrap(), ("", "a.bë.c"));
        assert_eq!(qualified_name("ab.٣").unwrap(), (".٣", "ab"));
        assert!(qualified_name("1a").is_err());
        assert!(identifier("1a").is_err());
        assert!(keyword("not")("notes").is_err());
        assert!(keyword("not")("NOT (x)").is_ok());
    }
}
