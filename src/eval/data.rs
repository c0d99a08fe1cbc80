//! Reading entity data for evaluation: a JSON array, an OData response
//! (`{"value":[…]}`), or JSON Lines, each streamed entity by entity into a
//! sink, so memory does not grow with the input.
//!
//! Owns: format detection, streaming, and [`DataError`] with the line and
//! column of a problem. Must not know about: queries or what the sink does
//! with the entities.
//!
//! Format detection, from the first byte that is not whitespace:
//! - `[`: a JSON array of entities;
//! - `{`: the first line is read (at most 1 MiB). If it is a complete JSON
//!   object that is not an OData response (no `@odata.context`, and no
//!   `value` that is an array), the input is JSON Lines: one entity per
//!   line, blank lines skipped. Otherwise the whole input is one response
//!   object whose `value` array is streamed;
//! - nothing at all: no entities.
//!
//! An entity type with a property named `value` holding an array would be
//! mistaken for a response on a first line; MachineActions have none.

use std::fmt;
use std::io::{self, BufRead, Cursor, Read};
use std::marker::PhantomData;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde::{Deserialize, Deserializer};

/// The longest first line that is still tried as one JSON Lines entity.
const MAX_FIRST_LINE: u64 = 1 << 20;

/// The format the data turned out to be in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataFormat {
    /// A JSON array of entities.
    Array,
    /// An OData response object with a `value` array.
    Response,
    /// One entity per line.
    JsonLines,
}

/// Malformed or unreadable data, with where it went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataError {
    /// The line (1-based), when known.
    pub line: Option<usize>,
    /// The column (1-based, in bytes), when known.
    pub column: Option<usize>,
    /// What went wrong: serde's (or the I/O layer's) message.
    pub message: String,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "line {line}, column {column}: {}", self.message)
            }
            (Some(line), None) => write!(f, "line {line}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl DataError {
    /// The error as `file:line:column: message`, for a data file called
    /// `file`.
    pub fn located(&self, file: &str) -> String {
        match (self.line, self.column) {
            (Some(line), Some(column)) => format!("{file}:{line}:{column}: {}", self.message),
            (Some(line), None) => format!("{file}:{line}: {}", self.message),
            _ => format!("{file}: {}", self.message),
        }
    }
}

impl std::error::Error for DataError {}

/// Where the part of the input handed to serde starts in the whole input.
#[derive(Clone, Copy)]
struct Origin {
    /// Lines before it.
    lines: usize,
    /// Bytes before it on its first line.
    columns: usize,
}

impl Origin {
    fn error(self, e: &serde_json::Error) -> DataError {
        let full = e.to_string();
        let message = match full.rsplit_once(" at line ") {
            Some((message, _)) if e.line() > 0 => message.to_owned(),
            _ => full.clone(),
        };
        if e.line() == 0 {
            return DataError {
                line: None,
                column: None,
                message,
            };
        }
        let column = if e.line() == 1 {
            e.column() + self.columns
        } else {
            e.column()
        };
        DataError {
            line: Some(e.line() + self.lines),
            column: Some(column),
            message,
        }
    }
}

fn io_error(e: &io::Error, line: Option<usize>) -> DataError {
    DataError {
        line,
        column: None,
        message: format!("cannot read the data: {e}"),
    }
}

/// Reads entities from `reader` in any of the three formats and hands each
/// to `sink` as soon as it is read.
pub fn read_entities<E, R, F>(mut reader: R, mut sink: F) -> Result<DataFormat, DataError>
where
    E: DeserializeOwned,
    R: BufRead,
    F: FnMut(E),
{
    let mut origin = Origin {
        lines: 0,
        columns: 0,
    };
    let first = loop {
        let buffer = reader.fill_buf().map_err(|e| io_error(&e, None))?;
        let Some(&byte) = buffer.first() else {
            return Ok(DataFormat::JsonLines);
        };
        if !byte.is_ascii_whitespace() {
            break byte;
        }
        if byte == b'\n' {
            origin.lines += 1;
            origin.columns = 0;
        } else {
            origin.columns += 1;
        }
        reader.consume(1);
    };
    match first {
        b'[' => {
            let mut de = serde_json::Deserializer::from_reader(reader);
            de.deserialize_seq(SeqSink::<E, F>::new(&mut sink))
                .and_then(|()| de.end())
                .map_err(|e| origin.error(&e))?;
            Ok(DataFormat::Array)
        }
        b'{' => {
            let mut line = Vec::new();
            (&mut reader)
                .take(MAX_FIRST_LINE)
                .read_until(b'\n', &mut line)
                .map_err(|e| io_error(&e, Some(origin.lines + 1)))?;
            if is_lone_entity(&line) {
                let entity = serde_json::from_slice::<E>(&line).map_err(|e| origin.error(&e))?;
                sink(entity);
                read_lines(reader, origin.lines + 1, &mut sink)?;
                return Ok(DataFormat::JsonLines);
            }
            let mut de = serde_json::Deserializer::from_reader(Cursor::new(line).chain(reader));
            de.deserialize_map(ResponseVisitor::<E, F>(SeqSink::new(&mut sink)))
                .and_then(|()| de.end())
                .map_err(|e| origin.error(&e))?;
            Ok(DataFormat::Response)
        }
        other => Err(DataError {
            line: Some(origin.lines + 1),
            column: Some(origin.columns + 1),
            message: format!(
                "expected a JSON array, an OData response object or JSON Lines, found {:?}",
                char::from(other)
            ),
        }),
    }
}

/// The JSON Lines after the first: `done` lines are already read.
fn read_lines<E, R, F>(mut reader: R, done: usize, sink: &mut F) -> Result<(), DataError>
where
    E: DeserializeOwned,
    R: BufRead,
    F: FnMut(E),
{
    let mut line = Vec::new();
    let mut number = done;
    loop {
        line.clear();
        number += 1;
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| io_error(&e, Some(number)))?;
        if read == 0 {
            return Ok(());
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let entity = serde_json::from_slice::<E>(&line).map_err(|e| {
            Origin {
                lines: number - 1,
                columns: 0,
            }
            .error(&e)
        })?;
        sink(entity);
    }
}

/// Whether `line` is one complete JSON object that is not an OData response.
fn is_lone_entity(line: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(rename = "@odata.context")]
        context: Option<IgnoredAny>,
        value: Option<IsArray>,
    }
    match serde_json::from_slice::<Probe>(line) {
        Ok(probe) => probe.context.is_none() && !matches!(probe.value, Some(IsArray(true))),
        Err(_) => false,
    }
}

/// Whether a JSON value is an array (its contents are skipped).
struct IsArray(bool);

impl<'de> Deserialize<'de> for IsArray {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<IsArray, D::Error> {
        struct Kind;
        impl<'de> Visitor<'de> for Kind {
            type Value = IsArray;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<IsArray, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(IsArray(true))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<IsArray, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(IsArray(false))
            }
            fn visit_bool<Er: de::Error>(self, _: bool) -> Result<IsArray, Er> {
                Ok(IsArray(false))
            }
            fn visit_i64<Er: de::Error>(self, _: i64) -> Result<IsArray, Er> {
                Ok(IsArray(false))
            }
            fn visit_u64<Er: de::Error>(self, _: u64) -> Result<IsArray, Er> {
                Ok(IsArray(false))
            }
            fn visit_f64<Er: de::Error>(self, _: f64) -> Result<IsArray, Er> {
                Ok(IsArray(false))
            }
            fn visit_str<Er: de::Error>(self, _: &str) -> Result<IsArray, Er> {
                Ok(IsArray(false))
            }
            fn visit_unit<Er: de::Error>(self) -> Result<IsArray, Er> {
                Ok(IsArray(false))
            }
        }
        deserializer.deserialize_any(Kind)
    }
}

/// Streams the elements of a JSON array into a sink.
struct SeqSink<'s, E, F> {
    sink: &'s mut F,
    entity: PhantomData<fn() -> E>,
}

impl<'s, E, F> SeqSink<'s, E, F> {
    fn new(sink: &'s mut F) -> Self {
        SeqSink {
            sink,
            entity: PhantomData,
        }
    }
}

impl<'de, E: Deserialize<'de>, F: FnMut(E)> Visitor<'de> for SeqSink<'_, E, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of entities")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(entity) = seq.next_element::<E>()? {
            (self.sink)(entity);
        }
        Ok(())
    }
}

impl<'de, E: Deserialize<'de>, F: FnMut(E)> DeserializeSeed<'de> for SeqSink<'_, E, F> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

/// Reads an OData response object, streaming its `value` array.
struct ResponseVisitor<'s, E, F>(SeqSink<'s, E, F>);

impl<'de, E: Deserialize<'de>, F: FnMut(E)> Visitor<'de> for ResponseVisitor<'_, E, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an OData response object with a \"value\" array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut sink = Some(self.0);
        while let Some(key) = map.next_key::<String>()? {
            if key == "value" {
                let Some(seed) = sink.take() else {
                    return Err(de::Error::duplicate_field("value"));
                };
                map.next_value_seed(seed)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if sink.is_some() {
            return Err(de::Error::missing_field("value"));
        }
        Ok(())
    }
}
