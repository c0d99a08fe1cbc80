//! Reading entity data for evaluation: a JSON array, an OData response
//! (`{"value":[…]}`), or a stream of JSON objects in any layout (JSON Lines,
//! pretty-printed objects one after another, what `jq '.value[]'` prints),
//! each entity handed to a sink as soon as it is read, so memory does not
//! grow with the input.
//!
//! Owns: the text encoding check, format detection, streaming, and
//! [`DataError`] with the line and column of a problem. Must not know
//! about: queries, what an entity holds (the entity type's `Deserialize`
//! decides, and refuses what it cannot be), or what the sink does.
//!
//! Decisions:
//! - The text is UTF-8, with or without a byte-order mark. UTF-16 and
//!   UTF-32 (told by their byte-order marks, or by zero bytes among the
//!   first ASCII characters) are refused, naming the encoding.
//! - From the first byte that is not whitespace: `[` is an array of
//!   entities; `{` is either an OData response or the first of a stream of
//!   entity objects. The first object tells which by its members: one with
//!   a `value` member is a response, whose `value` must be an array and
//!   whose other members must be annotations (`@odata.context`, …); any
//!   other object is an entity, and more may follow. So `{"items":[]}` is
//!   an entity (which its type then refuses), never a silent empty answer.
//! - An object member given twice is an error naming it, in a response and
//!   in the first object of a stream; the entity type checks its own.
//! - Nothing but whitespace: no entities.

use std::fmt;
use std::io::{self, BufRead};
use std::marker::PhantomData;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde::Deserializer;
use serde_json::{Map, Value};

/// The format the data turned out to be in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataFormat {
    /// A JSON array of entities.
    Array,
    /// An OData response object with a `value` array.
    Response,
    /// Entity objects one after another (JSON Lines or any other layout).
    Stream,
}

/// Malformed or unreadable data, with where it went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataError {
    /// The line (1-based), when known.
    pub line: Option<usize>,
    /// The column (1-based, in bytes), when known.
    pub column: Option<usize>,
    /// What went wrong.
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

/// The byte-order marks of the encodings that are not UTF-8, longest first
/// (UTF-32 LE starts with UTF-16 LE's mark).
const FOREIGN_MARKS: [(&[u8], &str); 4] = [
    (&[0x00, 0x00, 0xFE, 0xFF], "UTF-32 (big-endian)"),
    (&[0xFF, 0xFE, 0x00, 0x00], "UTF-32 (little-endian)"),
    (&[0xFE, 0xFF], "UTF-16 (big-endian)"),
    (&[0xFF, 0xFE], "UTF-16 (little-endian)"),
];

/// UTF-8's byte-order mark, which some editors write and which is skipped.
const UTF8_MARK: &[u8] = &[0xEF, 0xBB, 0xBF];

/// Where the text handed to serde starts in the whole input: the lines
/// and the columns on its line before it (whitespace, a byte-order mark).
#[derive(Clone, Copy)]
struct Origin {
    lines: usize,
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

    /// An error about the value that starts here.
    fn here(self, message: String) -> DataError {
        DataError {
            line: Some(self.lines + 1),
            column: Some(self.columns + 1),
            message,
        }
    }
}

fn io_error(e: &io::Error) -> DataError {
    DataError {
        line: None,
        column: None,
        message: format!("cannot read the data: {e}"),
    }
}

/// Refuses text that is not UTF-8, naming its encoding, and skips a UTF-8
/// byte-order mark; returns the columns skipped.
fn check_encoding<R: BufRead>(reader: &mut R) -> Result<usize, DataError> {
    // Four bytes tell every case apart; a short input has fewer.
    let mut head = Vec::with_capacity(4);
    while head.len() < 4 {
        let buffer = reader.fill_buf().map_err(|e| io_error(&e))?;
        if buffer.is_empty() {
            break;
        }
        head = buffer[..buffer.len().min(4)].to_vec();
        if head.len() < 4 && buffer.len() < 4 {
            // The buffer holds all the reader has buffered; a short input.
            break;
        }
    }
    let refuse = |encoding: &str| {
        DataError {
        line: Some(1),
        column: Some(1),
        message: format!(
            "the data is {encoding} text; save it as UTF-8 (a JSON array, an OData response or JSON objects)"
        ),
    }
    };
    if let Some((_, encoding)) = FOREIGN_MARKS
        .iter()
        .find(|(mark, _)| head.starts_with(mark))
    {
        return Err(refuse(encoding));
    }
    if head.starts_with(UTF8_MARK) {
        reader.consume(UTF8_MARK.len());
        return Ok(UTF8_MARK.len());
    }
    // JSON starts with ASCII; UTF-16 and UTF-32 without a mark put zero
    // bytes beside it.
    if head.len() >= 2 && head.contains(&0) {
        let encoding = match head.iter().position(|&b| b == 0) {
            Some(0) if head.get(1) == Some(&0) => "UTF-32 (big-endian)",
            Some(0) => "UTF-16 (big-endian)",
            _ if head.get(2) == Some(&0) => "UTF-32 (little-endian)",
            _ => "UTF-16 (little-endian)",
        };
        return Err(refuse(encoding));
    }
    Ok(0)
}

/// Reads entities from `reader` in any of the three formats and hands each
/// to `sink` as soon as it is read.
pub fn read_entities<E, R, F>(reader: R, sink: F) -> Result<DataFormat, DataError>
where
    E: DeserializeOwned,
    R: BufRead,
    F: FnMut(E),
{
    read_with(reader, PhantomData::<E>, sink)
}

/// [`read_entities`] with each record read by `seed`: for a reader whose
/// records need more than their type to be read (the store's, which need
/// their entity set's layout).
pub(crate) fn read_with<S, T, R, F>(
    mut reader: R,
    seed: S,
    mut sink: F,
) -> Result<DataFormat, DataError>
where
    S: Copy + for<'de> DeserializeSeed<'de, Value = T>,
    R: BufRead,
    F: FnMut(T),
{
    let mut origin = Origin {
        lines: 0,
        columns: check_encoding(&mut reader)?,
    };
    let first = loop {
        let buffer = reader.fill_buf().map_err(|e| io_error(&e))?;
        let Some(&byte) = buffer.first() else {
            return Ok(DataFormat::Stream);
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
    let mut de = serde_json::Deserializer::from_reader(reader);
    let format = match first {
        b'[' => de
            .deserialize_seq(SeqSink::new(seed, &mut sink))
            .map(|()| DataFormat::Array),
        b'{' => match de.deserialize_map(FirstObject(SeqSink::new(seed, &mut sink))) {
            Ok(First::Response) => Ok(DataFormat::Response),
            Ok(First::Entity(object)) => {
                // Read whole, so its errors point at its start.
                let entity = seed
                    .deserialize(Value::Object(object))
                    .map_err(|e| origin.here(e.to_string()))?;
                sink(entity);
                return read_stream(de, seed, &mut sink)
                    .map(|()| DataFormat::Stream)
                    .map_err(|e| origin.error(&e));
            }
            Err(e) => Err(e),
        },
        other => {
            return Err(origin.here(format!(
                "expected a JSON array, an OData response or JSON objects, found {:?}",
                char::from(other)
            )))
        }
    };
    format
        .and_then(|format| de.end().map(|()| format))
        .map_err(|e| origin.error(&e))
}

/// The objects after the first of a stream, each read by `seed`, until
/// nothing but whitespace is left.
fn read_stream<S, T, R, F>(
    mut de: serde_json::Deserializer<serde_json::de::IoRead<R>>,
    seed: S,
    sink: &mut F,
) -> Result<(), serde_json::Error>
where
    S: Copy + for<'de> DeserializeSeed<'de, Value = T>,
    R: io::Read,
    F: FnMut(T),
{
    // `end` reads whitespace and fails at anything else, which is then
    // the start of the next object.
    while de.end().is_err() {
        sink(seed.deserialize(&mut de)?);
    }
    Ok(())
}

/// What the first `{…}` of the input was.
enum First {
    /// An OData response; its `value` went to the sink.
    Response,
    /// An entity, read whole: the first of a stream.
    Entity(Map<String, Value>),
}

/// Reads the first object: a response (streaming its `value` into the
/// sink) or an entity (kept whole, to be read as one).
struct FirstObject<'s, S, F>(SeqSink<'s, S, F>);

impl<'de, S, T, F> Visitor<'de> for FirstObject<'_, S, F>
where
    S: Copy + DeserializeSeed<'de, Value = T>,
    F: FnMut(T),
{
    type Value = First;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an OData response or an entity object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<First, A::Error> {
        let mut sink = Some(self.0);
        let mut members = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "value" && sink.is_some() && members.keys().all(|k| k.starts_with('@')) {
                let Some(seed) = sink.take() else {
                    return Err(de::Error::duplicate_field("value"));
                };
                map.next_value_seed(ValueArray(seed))?;
                continue;
            }
            if key == "value" || members.contains_key(&key) {
                return Err(de::Error::custom(format_args!(
                    "the member \"{key}\" is given twice"
                )));
            }
            let value: Value = map.next_value()?;
            members.insert(key, value);
        }
        if sink.is_some() {
            if !members.is_empty() && members.keys().all(|k| k.starts_with("@odata.")) {
                return Err(de::Error::custom(
                    "an OData response needs a \"value\" array of entities",
                ));
            }
            return Ok(First::Entity(members));
        }
        match members.keys().find(|k| !k.starts_with('@')) {
            Some(other) => Err(de::Error::custom(format_args!(
                "an OData response holds only \"value\" and annotations, not \"{other}\""
            ))),
            None => Ok(First::Response),
        }
    }
}

/// A response's `value`, which must be an array.
struct ValueArray<'s, S, F>(SeqSink<'s, S, F>);

impl<'de, S, T, F> DeserializeSeed<'de> for ValueArray<'_, S, F>
where
    S: Copy + DeserializeSeed<'de, Value = T>,
    F: FnMut(T),
{
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, S, T, F> Visitor<'de> for ValueArray<'_, S, F>
where
    S: Copy + DeserializeSeed<'de, Value = T>,
    F: FnMut(T),
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"value\" to be an array of entities")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.0.visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Err(de::Error::custom(
            "\"value\" is an object; a response's \"value\" is an array of entities",
        ))
    }
}

/// Streams the elements of a JSON array, each read by `seed`, into a sink.
struct SeqSink<'s, S, F> {
    seed: S,
    sink: &'s mut F,
}

impl<'s, S, F> SeqSink<'s, S, F> {
    fn new(seed: S, sink: &'s mut F) -> Self {
        SeqSink { seed, sink }
    }
}

impl<'de, S, T, F> Visitor<'de> for SeqSink<'_, S, F>
where
    S: Copy + DeserializeSeed<'de, Value = T>,
    F: FnMut(T),
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of entities")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(entity) = seq.next_element_seed(self.seed)? {
            (self.sink)(entity);
        }
        Ok(())
    }
}
