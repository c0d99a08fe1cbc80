//! Runtime values of the evaluator and the operations on them: comparison,
//! arithmetic, and the string views that let `tolower`/`toupper` run
//! without building a string.
//!
//! Owns: [`Val`], [`Text`], OData's comparison and null rules on values, the
//! sort order of values, and ISO 8601 duration parsing for `duration'…'`.
//! Must not know about: the AST, schemas or entities; compiled nodes hand
//! values in, and get values back.
//!
//! Decisions (where the URL Conventions leave room, following .NET, which
//! ASP.NET Core OData evaluates in):
//! - Strings compare by Unicode code point (Rust's `str` order), which is
//!   .NET's ordinal order except between surrogate pairs and `U+E000..`.
//! - `tolower`/`toupper` map each character on its own
//!   (`char::to_lowercase`), as .NET's invariant casing does; Rust's
//!   `str::to_lowercase` would also apply the Greek final-sigma rule.
//! - Comparing values of kinds that cannot be compared (data whose JSON type
//!   is not the schema's) is "not equal" for `eq`/`ne` and null for ordering.
//! - Integer arithmetic that overflows, and integer `div`/`mod` by zero, is
//!   null rather than an error: one bad entity does not fail the request.

use std::cmp::Ordering;
use std::str::Chars;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeDelta, Timelike};
use uuid::Uuid;

use crate::model::Complex;

/// A string value: borrowed, borrowed and seen through a case mapping, or
/// owned (the result of a function that must build a string).
#[derive(Clone, Debug)]
pub enum Text<'a> {
    /// As stored.
    Plain(&'a str),
    /// `tolower` of the string, computed lazily character by character.
    Lower(&'a str),
    /// `toupper` of the string, computed lazily character by character.
    Upper(&'a str),
    /// A string built by `concat`, `cast`, or a function of a case view.
    Owned(String),
}

/// The characters of a [`Text`], in either direction.
#[derive(Clone)]
pub enum TextChars<'a> {
    /// Of a plain or owned string.
    Plain(Chars<'a>),
    /// Of a case view.
    Mapped(CaseChars<'a>),
}

impl Iterator for TextChars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        match self {
            TextChars::Plain(c) => c.next(),
            TextChars::Mapped(c) => c.next(),
        }
    }
}

impl DoubleEndedIterator for TextChars<'_> {
    fn next_back(&mut self) -> Option<char> {
        match self {
            TextChars::Plain(c) => c.next_back(),
            TextChars::Mapped(c) => c.next_back(),
        }
    }
}

/// The characters of a string case-mapped one by one: an ASCII character
/// maps to one at once; any other through Unicode's mapping, which may
/// give up to three, held until read.
#[derive(Clone)]
pub struct CaseChars<'a> {
    chars: Chars<'a>,
    upper: bool,
    front: Pending,
    back: Pending,
}

/// Characters of one mapping not yet read, from either end.
#[derive(Clone, Copy, Default)]
struct Pending {
    chars: [char; 3],
    start: u8,
    end: u8,
}

impl Pending {
    fn of(mapped: impl Iterator<Item = char>) -> Pending {
        let mut pending = Pending::default();
        for c in mapped.take(3) {
            pending.chars[usize::from(pending.end)] = c;
            pending.end += 1;
        }
        pending
    }

    fn pop_front(&mut self) -> Option<char> {
        (self.start < self.end).then(|| {
            self.start += 1;
            self.chars[usize::from(self.start - 1)]
        })
    }

    fn pop_back(&mut self) -> Option<char> {
        (self.start < self.end).then(|| {
            self.end -= 1;
            self.chars[usize::from(self.end)]
        })
    }
}

impl CaseChars<'_> {
    fn mapped(&self, c: char) -> Pending {
        if self.upper {
            Pending::of(c.to_uppercase())
        } else {
            Pending::of(c.to_lowercase())
        }
    }

    fn ascii(&self, c: char) -> char {
        if self.upper {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        }
    }
}

impl Iterator for CaseChars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        if let Some(c) = self.front.pop_front() {
            return Some(c);
        }
        match self.chars.next() {
            Some(c) if c.is_ascii() => Some(self.ascii(c)),
            Some(c) => {
                self.front = self.mapped(c);
                self.front.pop_front()
            }
            None => self.back.pop_front(),
        }
    }
}

impl DoubleEndedIterator for CaseChars<'_> {
    fn next_back(&mut self) -> Option<char> {
        if let Some(c) = self.back.pop_back() {
            return Some(c);
        }
        match self.chars.next_back() {
            Some(c) if c.is_ascii() => Some(self.ascii(c)),
            Some(c) => {
                self.back = self.mapped(c);
                self.back.pop_back()
            }
            None => self.front.pop_back(),
        }
    }
}

fn case_chars(s: &str, upper: bool) -> TextChars<'_> {
    TextChars::Mapped(CaseChars {
        chars: s.chars(),
        upper,
        front: Pending::default(),
        back: Pending::default(),
    })
}

/// A literal needle made ready once, when a filter is compiled: its
/// characters and search table, so that searching a case view per entity
/// allocates and prepares nothing.
#[derive(Clone, Debug)]
pub struct Needle {
    text: Box<str>,
    chars: Box<[char]>,
    fail: Box<[usize]>,
}

impl Needle {
    /// The needle `text`.
    pub fn new(text: &str) -> Needle {
        let chars: Box<[char]> = text.chars().collect();
        let mut fail = vec![0; chars.len()].into_boxed_slice();
        failure_table(&chars, &mut fail);
        Needle {
            text: text.into(),
            chars,
            fail,
        }
    }
}

/// The longest needle [`Text::find`] searches for without allocating.
pub const INLINE_NEEDLE: usize = 32;

/// The index (in characters) of the first occurrence of `needle` in
/// `hay`, by Knuth–Morris–Pratt: each character of `hay` is read once, so
/// the search is linear in `hay` and `needle`. `fail` is scratch space of
/// `needle`'s length.
fn kmp_find(hay: impl Iterator<Item = char>, needle: &[char], fail: &mut [usize]) -> Option<usize> {
    failure_table(needle, fail);
    kmp_search(hay, needle, fail)
}

/// `fail[i]`: the length of the longest proper prefix of `needle[..=i]`
/// that is also its suffix.
fn failure_table(needle: &[char], fail: &mut [usize]) {
    let mut k = 0;
    for i in 1..needle.len() {
        while k > 0 && needle[i] != needle[k] {
            k = fail[k - 1];
        }
        if needle[i] == needle[k] {
            k += 1;
        }
        fail[i] = k;
    }
}

/// The search of [`kmp_find`], its table made.
fn kmp_search(hay: impl Iterator<Item = char>, needle: &[char], fail: &[usize]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    let mut matched = 0;
    for (i, c) in hay.enumerate() {
        while matched > 0 && c != needle[matched] {
            matched = fail[matched - 1];
        }
        if c == needle[matched] {
            matched += 1;
        }
        if matched == needle.len() {
            return Some(i + 1 - needle.len());
        }
    }
    None
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Case {
    Plain,
    Lower,
    Upper,
}

impl<'a> Text<'a> {
    /// The string as stored, when it is not a case view.
    pub fn as_plain(&self) -> Option<&str> {
        match self {
            Text::Plain(s) => Some(s),
            Text::Owned(s) => Some(s),
            Text::Lower(_) | Text::Upper(_) => None,
        }
    }

    /// [`Text::find`] of a needle made ready beforehand.
    pub fn find_needle(&self, needle: &Needle) -> Option<usize> {
        match self.as_plain() {
            Some(hay) => {
                let byte = hay.find(&*needle.text)?;
                Some(hay.get(..byte).map_or(0, |before| before.chars().count()))
            }
            None => kmp_search(self.chars(), &needle.chars, &needle.fail),
        }
    }

    fn source(&self) -> (&str, Case) {
        match self {
            Text::Plain(s) => (s, Case::Plain),
            Text::Owned(s) => (s, Case::Plain),
            Text::Lower(s) => (s, Case::Lower),
            Text::Upper(s) => (s, Case::Upper),
        }
    }

    /// The characters, case mapping applied.
    pub fn chars(&self) -> TextChars<'_> {
        match self.source() {
            (s, Case::Plain) => TextChars::Plain(s.chars()),
            (s, Case::Lower) => case_chars(s, false),
            (s, Case::Upper) => case_chars(s, true),
        }
    }

    /// The text as a string (allocates for case views).
    pub fn to_string_value(&self) -> String {
        match self.as_plain() {
            Some(s) => s.to_owned(),
            None => self.chars().collect(),
        }
    }

    /// The number of characters (Unicode scalar values).
    pub fn char_len(&self) -> usize {
        self.chars().count()
    }

    /// Ordinal (code point) comparison.
    pub fn cmp_text(&self, other: &Text<'_>) -> Ordering {
        match (self.as_plain(), other.as_plain()) {
            (Some(a), Some(b)) => a.cmp(b),
            _ => self.chars().cmp(other.chars()),
        }
    }

    /// Ordinal equality.
    pub fn eq_text(&self, other: &Text<'_>) -> bool {
        match (self.as_plain(), other.as_plain()) {
            (Some(a), Some(b)) => a == b,
            _ => self.chars().eq(other.chars()),
        }
    }

    /// Whether the text begins with `prefix`.
    pub fn starts_with(&self, prefix: &Text<'_>) -> bool {
        if let (Some(a), Some(b)) = (self.as_plain(), prefix.as_plain()) {
            return a.starts_with(b);
        }
        let mut chars = self.chars();
        prefix.chars().all(|p| chars.next() == Some(p))
    }

    /// Whether the text ends with `suffix`.
    pub fn ends_with(&self, suffix: &Text<'_>) -> bool {
        if let (Some(a), Some(b)) = (self.as_plain(), suffix.as_plain()) {
            return a.ends_with(b);
        }
        let mut chars = self.chars().rev();
        suffix.chars().rev().all(|p| chars.next() == Some(p))
    }

    /// The character index of the first occurrence of `needle`.
    ///
    /// Case views are searched without building the mapped string, in one
    /// pass over its characters (Knuth–Morris–Pratt over the needle's
    /// characters), so the cost is linear in the field and the needle
    /// whatever they hold; a needle of up to [`INLINE_NEEDLE`] characters
    /// is searched without allocating.
    pub fn find(&self, needle: &Text<'_>) -> Option<usize> {
        if let (Some(hay), Some(n)) = (self.as_plain(), needle.as_plain()) {
            let byte = hay.find(n)?;
            return Some(hay.get(..byte).map_or(0, |before| before.chars().count()));
        }
        let length = needle.chars().count();
        if length <= INLINE_NEEDLE {
            let mut chars = ['\0'; INLINE_NEEDLE];
            let mut fail = [0; INLINE_NEEDLE];
            for (slot, c) in chars.iter_mut().zip(needle.chars()) {
                *slot = c;
            }
            kmp_find(self.chars(), &chars[..length], &mut fail[..length])
        } else {
            let chars: Vec<char> = needle.chars().collect();
            let mut fail = vec![0; length];
            kmp_find(self.chars(), &chars, &mut fail)
        }
    }
}

/// A value during evaluation, borrowed from the entity or the compiled
/// filter wherever it can be.
#[derive(Clone, Debug)]
pub enum Val<'a> {
    /// `null`, or unknown in three-valued logic.
    Null,
    /// A Boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A decimal or double (decimals are evaluated as binary doubles).
    Num(f64),
    /// A string.
    Str(Text<'a>),
    /// A DateTimeOffset (compared by instant).
    DateTimeOffset(DateTime<FixedOffset>),
    /// A Date.
    Date(NaiveDate),
    /// A TimeOfDay.
    TimeOfDay(NaiveTime),
    /// A Duration.
    Duration(TimeDelta),
    /// A Guid.
    Guid(Uuid),
    /// An enum value: its member names (or number), comma-separated.
    Enum(&'a str),
    /// An object or collection.
    Complex(Complex<'a>),
}

impl<'a> Val<'a> {
    /// Whether the value is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Val::Null)
    }

    /// The truth value in three-valued logic: `None` for null (and for
    /// anything that is not a Boolean).
    pub fn truth(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            _ => None,
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            Val::Int(i) => Some(*i as f64),
            Val::Num(n) => Some(*n),
            _ => None,
        }
    }

    fn text(&self) -> Option<Text<'_>> {
        match self {
            Val::Str(t) => Some(t.clone()),
            Val::Enum(s) => Some(Text::Plain(s)),
            _ => None,
        }
    }
}

/// A Date as the DateTimeOffset it is promoted to: 00:00:00Z.
pub fn date_at_midnight_utc(date: NaiveDate) -> DateTime<FixedOffset> {
    date.and_time(NaiveTime::MIN).and_utc().fixed_offset()
}

/// Compares two non-null values of comparable kinds; `None` when the kinds
/// cannot be compared (or a NaN is involved).
pub fn compare(a: &Val<'_>, b: &Val<'_>) -> Option<Ordering> {
    use Val as V;
    match (a, b) {
        (V::Int(x), V::Int(y)) => Some(x.cmp(y)),
        (V::Int(_) | V::Num(_), V::Int(_) | V::Num(_)) => a.number()?.partial_cmp(&b.number()?),
        (V::Str(_) | V::Enum(_), V::Str(_) | V::Enum(_)) => Some(a.text()?.cmp_text(&b.text()?)),
        (V::Bool(x), V::Bool(y)) => Some(x.cmp(y)),
        (V::DateTimeOffset(x), V::DateTimeOffset(y)) => Some(x.cmp(y)),
        (V::DateTimeOffset(x), V::Date(d)) => Some(x.cmp(&date_at_midnight_utc(*d))),
        (V::Date(d), V::DateTimeOffset(y)) => Some(date_at_midnight_utc(*d).cmp(y)),
        (V::Date(x), V::Date(y)) => Some(x.cmp(y)),
        (V::TimeOfDay(x), V::TimeOfDay(y)) => Some(x.cmp(y)),
        (V::Duration(x), V::Duration(y)) => Some(x.cmp(y)),
        (V::Guid(x), V::Guid(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// `eq` (URL Conventions): with a null operand it compares null-ness, so
/// the answer is never null.
pub fn equals(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Null, _) | (_, Val::Null) => false,
        (Val::Str(x), Val::Str(y)) => x.eq_text(y),
        (Val::Complex(x), Val::Complex(y)) => x == y,
        _ => compare(a, b) == Some(Ordering::Equal),
    }
}

/// The total order `$orderby` sorts by (ascending): null first, then by
/// kind, then by value; NaN after every other number.
pub fn sort_order(a: &Val<'_>, b: &Val<'_>) -> Ordering {
    fn rank(v: &Val<'_>) -> u8 {
        match v {
            Val::Null => 0,
            Val::Bool(_) => 1,
            Val::Int(_) | Val::Num(_) => 2,
            Val::Str(_) | Val::Enum(_) => 3,
            Val::DateTimeOffset(_) | Val::Date(_) => 4,
            Val::TimeOfDay(_) => 5,
            Val::Duration(_) => 6,
            Val::Guid(_) => 7,
            Val::Complex(_) => 8,
        }
    }
    let by_rank = rank(a).cmp(&rank(b));
    if by_rank != Ordering::Equal {
        return by_rank;
    }
    match (a, b) {
        (Val::Num(_) | Val::Int(_), Val::Num(_) | Val::Int(_)) => {
            compare(a, b).unwrap_or_else(|| {
                let (x, y) = (
                    a.number().unwrap_or(f64::NAN),
                    b.number().unwrap_or(f64::NAN),
                );
                x.total_cmp(&y)
            })
        }
        _ => compare(a, b).unwrap_or(Ordering::Equal),
    }
}

/// An arithmetic operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
    /// `add`
    Add,
    /// `sub`
    Sub,
    /// `mul`
    Mul,
    /// `div`: integer division on integers.
    Div,
    /// `divby`: always a fractional division.
    DivBy,
    /// `mod`
    Mod,
}

/// `a op b`; null when either is null or the operands do not fit.
pub fn arithmetic<'a>(op: ArithOp, a: &Val<'a>, b: &Val<'a>) -> Val<'a> {
    use ArithOp as O;
    use Val as V;
    match (a, b) {
        (V::Int(x), V::Int(y)) => {
            let result = match op {
                O::Add => x.checked_add(*y),
                O::Sub => x.checked_sub(*y),
                O::Mul => x.checked_mul(*y),
                O::Div => x.checked_div(*y),
                O::Mod => x.checked_rem(*y),
                O::DivBy => return V::Num(*x as f64 / *y as f64),
            };
            result.map_or(V::Null, V::Int)
        }
        (V::Int(_) | V::Num(_), V::Int(_) | V::Num(_)) => {
            let (Some(x), Some(y)) = (a.number(), b.number()) else {
                return V::Null;
            };
            V::Num(match op {
                O::Add => x + y,
                O::Sub => x - y,
                O::Mul => x * y,
                O::Div | O::DivBy => x / y,
                O::Mod => x % y,
            })
        }
        (V::DateTimeOffset(t), V::Duration(d)) => match op {
            O::Add => t.checked_add_signed(*d).map_or(V::Null, V::DateTimeOffset),
            O::Sub => t.checked_sub_signed(*d).map_or(V::Null, V::DateTimeOffset),
            _ => V::Null,
        },
        (V::Date(t), V::Duration(d)) => match op {
            O::Add => t.checked_add_signed(*d).map_or(V::Null, V::Date),
            O::Sub => t.checked_sub_signed(*d).map_or(V::Null, V::Date),
            _ => V::Null,
        },
        (V::Duration(x), V::Duration(y)) => match op {
            O::Add => x.checked_add(y).map_or(V::Null, V::Duration),
            O::Sub => x.checked_sub(y).map_or(V::Null, V::Duration),
            _ => V::Null,
        },
        (V::DateTimeOffset(x), V::DateTimeOffset(y)) if op == O::Sub => {
            V::Duration(x.signed_duration_since(*y))
        }
        (V::Date(x), V::Date(y)) if op == O::Sub => V::Duration(x.signed_duration_since(*y)),
        (V::Duration(d), n @ (V::Int(_) | V::Num(_)))
        | (n @ (V::Int(_) | V::Num(_)), V::Duration(d))
            if op == O::Mul =>
        {
            scale_duration(*d, n.number().unwrap_or(f64::NAN))
        }
        (V::Duration(d), n @ (V::Int(_) | V::Num(_))) if matches!(op, O::Div | O::DivBy) => {
            scale_duration(*d, 1.0 / n.number().unwrap_or(f64::NAN))
        }
        _ => V::Null,
    }
}

fn scale_duration<'a>(d: TimeDelta, factor: f64) -> Val<'a> {
    let nanos = d.num_nanoseconds().map(|n| n as f64 * factor);
    match nanos {
        Some(n) if n.is_finite() && n.abs() < i64::MAX as f64 => {
            Val::Duration(TimeDelta::nanoseconds(n as i64))
        }
        _ => Val::Null,
    }
}

/// `-x`.
pub fn negate<'a>(v: &Val<'a>) -> Val<'a> {
    match v {
        Val::Int(i) => i.checked_neg().map_or(Val::Null, Val::Int),
        Val::Num(n) => Val::Num(-n),
        Val::Duration(d) => Val::Duration(-*d),
        _ => Val::Null,
    }
}

/// `flags has value`: every flag of `value` is among those of `flags`
/// (enum values as comma-separated member names).
pub fn has_flags(flags: &Val<'_>, value: &Val<'_>) -> Option<bool> {
    let (Some(flags), Some(value)) = (flags.text(), value.text()) else {
        return None;
    };
    let flags = flags.to_string_value();
    let value = value.to_string_value();
    let set: Vec<&str> = flags.split(',').map(str::trim).collect();
    Some(value.split(',').map(str::trim).all(|v| set.contains(&v)))
}

/// The seconds of a time, fraction included, as `second` and
/// `fractionalseconds` split it.
pub fn fractional_seconds(nanos: u32) -> f64 {
    f64::from(nanos) / 1e9
}

/// The nanosecond part of a time (leap seconds folded back into range).
pub fn nanos_of(t: &NaiveTime) -> u32 {
    t.nanosecond() % 1_000_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_views_search_without_building_strings() {
        let hay = Text::Lower("DESKTOP-İx");
        assert!(hay.starts_with(&Text::Plain("desk")));
        assert!(hay.ends_with(&Text::Plain("i\u{307}x")));
        assert_eq!(hay.find(&Text::Plain("top")), Some(4));
        assert_eq!(hay.find(&Text::Plain("\u{307}x")), Some(9));
        assert_eq!(hay.char_len(), 11);
        assert_eq!(hay.to_string_value(), "desktop-i\u{307}x");
        assert!(Text::Upper("straße").eq_text(&Text::Plain("STRASSE")));
        assert_eq!(Text::Plain("aé").find(&Text::Plain("é")), Some(1));
        assert_eq!(Text::Lower("ab").find(&Text::Plain("")), Some(0));
        assert_eq!(Text::Lower("ab").find(&Text::Plain("c")), None);
    }

    /// The one-pass search of a case view finds what searching the mapped
    /// string finds, character for character, whatever the needle's length
    /// (below and above the inline size) and the characters' mappings.
    #[test]
    fn a_case_view_is_searched_as_its_mapped_string() {
        let mapped_index =
            |hay: &str, needle: &str| hay.find(needle).map(|byte| hay[..byte].chars().count());
        let cases = [
            ("DESKTOP-İx", "i\u{307}x"),
            ("aaaaaaaaab", "aaab"),
            ("abababac", "ababac"),
            ("STRASSE", "ss"),
            ("x", ""),
            ("", "a"),
        ];
        for (hay, needle) in cases {
            let lower: String = hay.chars().flat_map(char::to_lowercase).collect();
            assert_eq!(
                Text::Lower(hay).find(&Text::Plain(needle)),
                mapped_index(&lower, needle),
                "{hay:?} {needle:?}"
            );
        }
        let long_needle = "ab".repeat(INLINE_NEEDLE);
        let hay = format!("{}{long_needle}c", "AB".repeat(100));
        assert_eq!(Text::Lower(&hay).find(&Text::Plain(&long_needle)), Some(0));
        assert_eq!(
            Text::Lower(&hay).find(&Text::Plain(&format!("{long_needle}c"))),
            Some(200)
        );
    }

    proptest::proptest! {
        /// A case view's characters, from the front, from the back, and
        /// from both ends at once, are the mapped string's.
        #[test]
        fn case_view_characters_are_the_mapped_strings(
            text in "[aAzZßİΣσςﬁǅ\u{1f600} ]{0,20}",
            take_front in 0usize..30,
        ) {
            for (view, mapped) in [
                (Text::Lower(&text), text.chars().flat_map(char::to_lowercase).collect::<Vec<_>>()),
                (Text::Upper(&text), text.chars().flat_map(char::to_uppercase).collect::<Vec<_>>()),
            ] {
                proptest::prop_assert_eq!(view.chars().collect::<Vec<_>>(), mapped.clone());
                proptest::prop_assert_eq!(
                    view.chars().rev().collect::<Vec<_>>(),
                    mapped.iter().rev().copied().collect::<Vec<_>>()
                );
                let mut both = view.chars();
                let front: Vec<char> = both.by_ref().take(take_front).collect();
                let mut back: Vec<char> = both.rev().collect();
                back.reverse();
                proptest::prop_assert_eq!([front, back].concat(), mapped);
            }
        }

        #[test]
        fn case_view_search_agrees_with_the_mapped_string(
            hay in "[aAbBßİΣσς]{0,40}",
            needle in "[abßiσς\u{307}]{0,40}",
        ) {
            for (view, mapped) in [
                (Text::Lower(&hay), hay.chars().flat_map(char::to_lowercase).collect::<String>()),
                (Text::Upper(&hay), hay.chars().flat_map(char::to_uppercase).collect::<String>()),
            ] {
                let expected = mapped.find(needle.as_str()).map(|b| mapped[..b].chars().count());
                proptest::prop_assert_eq!(view.find(&Text::Plain(&needle)), expected);
            }
        }
    }

    #[test]
    fn equality_with_null_compares_nullness() {
        assert!(equals(&Val::Null, &Val::Null));
        assert!(!equals(&Val::Null, &Val::Int(1)));
        assert!(!equals(&Val::Int(1), &Val::Str(Text::Plain("1"))));
        assert!(equals(&Val::Int(1), &Val::Num(1.0)));
    }
}
