//! DateTimeOffset values of entity data: [`Timestamp`], which keeps the
//! text it was read from next to the instant so that it is written back
//! byte for byte, and [`parse_timestamp`], the one DateTimeOffset text
//! parser for entity data.
//!
//! Must not know about: the wire objects that hold timestamps, or how the
//! evaluator compares them.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, Offset, Timelike};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Parses a DateTimeOffset as entity data writes it:
/// `YYYY-MM-DDThh:mm[:ss[.fffffff]]` followed by `Z` or `±hh:mm`.
///
/// The grammar is the one `$filter` literals are read with (the OData ABNF's
/// `dateTimeOffsetValue`: `T` and `Z` in either case, up to 12 fraction
/// digits with nanoseconds kept, a leap second 60, offsets to ±23:59), so a
/// value a filter can write is a value the data can hold. Returns `None`
/// for anything else, including impossible dates and times.
pub fn parse_timestamp(text: &str) -> Option<DateTime<FixedOffset>> {
    match crate::syntax::lexer::date_time_offset(text)? {
        ("", value) => Some(value.0),
        _ => None,
    }
}

/// A DateTimeOffset property value: the instant, and the exact text it was
/// read from, which is what it is written back as.
///
/// Equality (and hashing) compare the text, so two timestamps are equal when
/// they would be written identically; compare [`Timestamp::value`]s to
/// compare instants.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Timestamp {
    // Invariant: `parse_timestamp(&text) == Some(value)`, offset included.
    text: Box<str>,
    value: DateTime<FixedOffset>,
}

impl Timestamp {
    /// Parses `text` (see [`parse_timestamp`] for the accepted shape),
    /// keeping it verbatim.
    pub fn parse(text: &str) -> Result<Timestamp, InvalidTimestamp> {
        match parse_timestamp(text) {
            Some(value) => Ok(Timestamp {
                text: text.into(),
                value,
            }),
            None => Err(InvalidTimestamp {
                text: text.to_owned(),
            }),
        }
    }

    /// A timestamp for `value`, written the way the service writes them:
    /// seven fraction digits (nine when the value has sub-100ns precision),
    /// `Z` for a zero offset, else `±hh:mm`.
    ///
    /// `None` when that text could not be read back as the same value: a
    /// year outside `0000..=9999` or a leap second.
    pub fn from_datetime(value: DateTime<FixedOffset>) -> Option<Timestamp> {
        let nanos = value.nanosecond();
        let fraction = if nanos % 100 == 0 {
            format!("{:07}", nanos / 100)
        } else {
            format!("{nanos:09}")
        };
        let offset_seconds = value.offset().fix().local_minus_utc();
        let offset = if offset_seconds == 0 {
            "Z".to_owned()
        } else {
            let sign = if offset_seconds < 0 { '-' } else { '+' };
            let minutes = offset_seconds.unsigned_abs() / 60;
            format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
        };
        let text = format!(
            "{}.{fraction}{offset}",
            value.naive_local().format("%Y-%m-%dT%H:%M:%S")
        );
        let read_back = parse_timestamp(&text)?;
        (read_back == value && read_back.offset() == value.offset()).then(|| Timestamp {
            text: text.into(),
            value,
        })
    }

    /// The instant, with the offset it was written with.
    pub fn value(&self) -> DateTime<FixedOffset> {
        self.value
    }

    /// The text it was read from (or built as), as it is written back.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Timestamp {
    type Err = InvalidTimestamp;

    fn from_str(text: &str) -> Result<Timestamp, InvalidTimestamp> {
        Timestamp::parse(text)
    }
}

/// Text that is not a DateTimeOffset in the shape [`parse_timestamp`] reads.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid DateTimeOffset {text:?}: expected YYYY-MM-DDThh:mm[:ss[.fffffff]] and Z or ±hh:mm"
)]
pub struct InvalidTimestamp {
    /// The rejected text.
    pub text: String,
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        struct TimestampVisitor;

        impl Visitor<'_> for TimestampVisitor {
            type Value = Timestamp;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a DateTimeOffset string such as \"2018-12-04T12:43:57.2011911Z\"")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
                Timestamp::parse(text)
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(text), &self))
            }
        }

        deserializer.deserialize_str(TimestampVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).expect("test timestamp")
    }

    #[test]
    fn timestamp_defender_shape_matches_chrono() {
        let text = "2018-12-04T12:43:57.2011911Z";
        assert_eq!(parse_timestamp(text), Some(utc(text)));
        assert_eq!(
            parse_timestamp(text).map(|t| t.timestamp_subsec_nanos()),
            Some(201_191_100)
        );
    }

    #[test]
    fn timestamp_shapes_accepted() {
        for (text, rfc3339) in [
            ("2018-12-04T12:43:57Z", "2018-12-04T12:43:57Z"),
            ("2018-12-04T12:43:57.2Z", "2018-12-04T12:43:57.2Z"),
            ("2018-12-04T12:43Z", "2018-12-04T12:43:00Z"),
            ("2018-12-04t12:43:57z", "2018-12-04T12:43:57Z"),
            ("2018-12-04T12:43:57+01:30", "2018-12-04T12:43:57+01:30"),
            ("2018-12-04T12:43:57-00:00", "2018-12-04T12:43:57+00:00"),
            (
                "2018-12-04T12:43:57.123456789999Z",
                "2018-12-04T12:43:57.123456789Z",
            ),
            (
                "2016-02-29T23:59:59.9999999-23:59",
                "2016-02-29T23:59:59.9999999-23:59",
            ),
        ] {
            let parsed = parse_timestamp(text);
            assert_eq!(parsed, Some(utc(rfc3339)), "{text}");
            assert_eq!(
                parsed.map(|p| p.offset().local_minus_utc()),
                Some(utc(rfc3339).offset().local_minus_utc()),
                "{text}"
            );
        }
    }

    #[test]
    fn timestamp_shapes_rejected() {
        for text in [
            "",
            "2018-12-04",
            "2018-12-04Z",
            "2018-12-04T12:43:57",
            "2018-12-04 12:43:57Z",
            "2018-12-04T12:43:57.Z",
            "2018-12-04T12:43:57.1234567890123Z",
            "2018-12-04T12:43:57ZZ",
            "2018-12-04T12:43:57+0100",
            "2018-12-04T12:43:57+24:00",
            "2018-12-04T12:43:57+01:60",
            "2018-02-30T12:43:57Z",
            "2018-13-04T12:43:57Z",
            "2018-12-04T24:00:00Z",
            "2018-12-04T12:60:00Z",
            "2016-12-31T23:59:61Z",
            "+2018-12-04T12:43:57Z",
            "２018-12-04T12:43:57Z",
            "2018-12-04T12:43:57.1é",
        ] {
            assert_eq!(parse_timestamp(text), None, "{text:?}");
        }
    }

    #[test]
    fn from_datetime_writes_defender_form_and_reads_back() {
        let seven = Timestamp::from_datetime(utc("2018-12-04T12:43:57.2011911Z"));
        assert_eq!(
            seven.as_ref().map(Timestamp::as_str),
            Some("2018-12-04T12:43:57.2011911Z")
        );
        let nine = Timestamp::from_datetime(utc("2018-12-04T12:43:57.201191123+05:30"));
        assert_eq!(
            nine.as_ref().map(Timestamp::as_str),
            Some("2018-12-04T12:43:57.201191123+05:30")
        );
        let whole = Timestamp::from_datetime(utc("2018-12-04T12:43:57-08:00"));
        assert_eq!(
            whole.as_ref().map(Timestamp::as_str),
            Some("2018-12-04T12:43:57.0000000-08:00")
        );
        let far = DateTime::parse_from_rfc3339("+10000-01-01T00:00:00Z");
        if let Ok(far) = far {
            assert_eq!(Timestamp::from_datetime(far), None);
        }
    }
}
