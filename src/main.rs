//! The `defender-odata` command line: a thin shell over the library.
//!
//! Owns: arguments, exit codes, and which stream each output goes to. Must
//! not know about: grammar, schemas or rendering; every answer comes from
//! the library. A subcommand is a variant of [`Command`] and a `run_*`
//! function that ends in [`succeed`] or [`reject`].

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use defender_odata::eval::{read_entities, CompiledQuery, Response, ResponseOptions, Scope};
use defender_odata::model::{Entity, MachineAction};
use defender_odata::schema::{entity_set_named, entity_sets};
use defender_odata::server::{self, ConnectionLimits, EntitySource, ServerConfig, Token};
use defender_odata::store::{translate, SqlDialect, Store, StoreError};
use defender_odata::{
    addressed, check, check_filter, decode_value, machine_actions, parse_filter_with, parse_with,
    sample, Address, Code, Diagnostic, EntitySchema, Error, Expr, ParseOptions, Query, Span,
    ValidatedQuery,
};
use serde::de::DeserializeOwned;
use serde_json::json;

/// Exit code of a rejected query.
const REJECTED: u8 = 1;
/// Exit code of a usage or I/O error (clap uses it for bad arguments too).
const FAILED: u8 = 2;

/// Parse, validate, render and evaluate OData queries of the Microsoft
/// Defender for Endpoint API.
#[derive(Parser)]
#[command(name = "defender-odata", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and validate a query against its entity set's schema (the
    /// set a URL's path names, else --entity); print its canonical form
    /// (schema spellings) and any warnings.
    Check {
        /// Print JSON: `{"canonical","warnings"}`, or the OData error body.
        #[arg(long)]
        json: bool,
        /// The entity set of a bare query string: machineactions (the
        /// default), machines, alerts, indicators, vulnerabilities,
        /// software, recommendations, investigations.
        #[arg(long, value_name = "NAME", value_parser = entity_set)]
        entity: Option<&'static EntitySchema>,
        #[command(flatten)]
        input: Input,
    },
    /// Parse a query (syntax only, no schema) and print its canonical form.
    Parse {
        /// Print JSON: `{"canonical","warnings"}`, or the OData error body.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        input: Input,
    },
    /// Print the parsed query as an indented tree of nodes and spans.
    Explain {
        /// Print the tree as JSON, or the OData error body.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        input: Input,
    },
    /// Answer a query over its entity set's entities: the OData response
    /// JSON; for a `$count` path (`/api/alerts/$count?…`) the number alone,
    /// and for a navigation (`/api/machines/{id}/alerts?…`) the machine's
    /// alerts only.
    Eval {
        /// Print a rejected query's OData error body on stdout.
        #[arg(long)]
        json: bool,
        /// The entity set of a bare query string (as for `check`).
        #[arg(long, value_name = "NAME", value_parser = entity_set)]
        entity: Option<&'static EntitySchema>,
        /// A JSON array, an OData response (`{"value":[...]}`) or a stream
        /// of objects of the set; without it, the docs' Example 1 data for
        /// MachineActions, no entities for the other sets.
        #[arg(long, value_name = "FILE", conflicts_with = "db")]
        data: Option<PathBuf>,
        /// Answer from a database instead, which holds the set (`load
        /// --entity`): `sqlite:PATH` or `postgres://…`.
        #[arg(long, value_name = "DB")]
        db: Option<String>,
        /// A URL or a query string (with or without `?`); `-` reads it from
        /// standard input. One that starts with `-` goes after `--`.
        query: OsString,
    },
    /// Load entities into a database, creating their tables when missing:
    /// every file or none (one transaction). A record whose key is already
    /// stored replaces it.
    Load {
        /// `sqlite:PATH` (created when missing) or `postgres://…`.
        #[arg(long, value_name = "DB")]
        db: String,
        /// The entity set the files hold (default machineactions).
        #[arg(long, value_name = "NAME", value_parser = entity_set)]
        entity: Option<&'static EntitySchema>,
        /// JSON arrays, OData responses or streams of entity objects.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Serve the API's lists over HTTP: `GET /api/{set}` and
    /// `/api/{set}/{id}` for every entity set, `/api/$metadata` and
    /// `/openapi.json`. The first line on stdout is `listening on
    /// http://HOST:PORT`; the log goes to stderr.
    Serve(ServeArgs),
    /// Print the SQL that answers a query, and its parameters.
    Sql {
        /// The SQL dialect: sqlite or postgres.
        #[arg(long, default_value = "sqlite", value_name = "DIALECT")]
        dialect: SqlDialect,
        /// The entity set of a bare query string (as for `check`).
        #[arg(long, value_name = "NAME", value_parser = entity_set)]
        entity: Option<&'static EntitySchema>,
        /// Print a rejected query's OData error body on stdout.
        #[arg(long)]
        json: bool,
        /// A URL or a query string (with or without `?`); `-` reads it from
        /// standard input. One that starts with `-` goes after `--`.
        query: OsString,
    },
}

/// The options of `serve`.
#[derive(Args)]
struct ServeArgs {
    /// An entity set's entities, read once into memory: `machines=FILE`
    /// (a JSON array, an OData response or a stream of objects); a FILE
    /// alone is MachineActions. Repeat for more sets. Every set is served;
    /// one without data is empty, but MachineActions, which without
    /// --data or --db is the docs' Example 1.
    #[arg(long = "data", value_name = "[SET=]FILE", value_parser = set_data)]
    data: Vec<SetData>,
    /// Answer MachineActions, and every other set the database holds, from
    /// a database instead: `sqlite:PATH` or `postgres://…` (filled by
    /// `load`).
    #[arg(long, value_name = "DB")]
    db: Option<String>,
    /// The address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    /// The URL clients reach the server at, which `@odata.nextLink` and
    /// `@odata.context` start with (default: http:// and the listen
    /// address).
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// A bearer token to accept, with its permissions (default
    /// Machine.Read.All); repeat for more. Without any, a random token is
    /// made and printed on stderr.
    #[arg(long = "token", value_name = "TOKEN[:PERMISSION,...]")]
    tokens: Vec<defender_odata::server::Token>,
    /// Each token's rate limits on each set: `off`, or limits such as
    /// `100/min,1500/h`; by default each set's documented limits (100/min
    /// and 1,500/h where the docs state them, none where they do not).
    #[arg(long, value_name = "off|N/min,M/h")]
    rate_limit: Option<RateLimits>,
    /// Seconds a client has to send a request head, also between
    /// requests on a kept-alive connection.
    #[arg(long, value_name = "SECONDS", default_value_t = 15)]
    header_timeout: u64,
}

/// `serve --data [SET=]FILE`.
#[derive(Clone, Debug)]
struct SetData {
    schema: &'static EntitySchema,
    path: PathBuf,
}

/// Reads `[SET=]FILE`: a prefix that names no set is part of the path.
fn set_data(text: &str) -> Result<SetData, String> {
    let (schema, path) = match text.split_once('=') {
        Some((set, path)) => match entity_set_named(set) {
            Some(schema) => (schema, path),
            None => (machine_actions(), text),
        },
        None => (machine_actions(), text),
    };
    if path.is_empty() {
        return Err("no file after SET=".into());
    }
    Ok(SetData {
        schema,
        path: PathBuf::from(path),
    })
}

/// `--rate-limit`: none, or the limits every token gets.
#[derive(Clone, Debug)]
struct RateLimits(Vec<defender_odata::client::RateLimit>);

impl std::str::FromStr for RateLimits {
    type Err = String;

    fn from_str(text: &str) -> Result<RateLimits, String> {
        if text.trim().eq_ignore_ascii_case("off") {
            return Ok(RateLimits(Vec::new()));
        }
        text.split(',')
            .map(str::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(RateLimits)
    }
}

/// The query argument and how to read it, shared by every subcommand.
#[derive(Args)]
struct Input {
    /// Use the Strict dialect: exactly the OASIS ABNF.
    #[arg(long)]
    strict: bool,
    /// QUERY is one `$filter` value in URL form (percent-decoded, not split on `&`).
    #[arg(long)]
    expr: bool,
    /// A URL, a query string (with or without `?`), or with --expr a `$filter`
    /// value; `-` reads it from standard input. One that starts with `-`
    /// goes after `--`.
    query: OsString,
}

/// Why a command did not answer: the query was rejected (exit 1), or the
/// input could not be read (exit 2).
enum Failure {
    Rejected(Error),
    Io(String),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::Rejected(error)
    }
}

/// The query text: the argument, or with `-` standard input, of which at
/// most the query length limit (plus one byte, to know it was over) is
/// read, and one trailing line ending dropped (`echo` adds one). Bytes that
/// are not UTF-8 are refused with `InvalidEncoding`, pointing at them.
fn query_text(arg: &OsStr, options: &ParseOptions) -> Result<String, Failure> {
    let limit = options.limits.max_query_len;
    let bytes = if arg == "-" {
        let mut bytes = Vec::new();
        io::stdin()
            .lock()
            .take(limit as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::Io(format!("cannot read the query from standard input: {e}")))?;
        if bytes.len() > limit {
            return Err(Error::new(Diagnostic::new(
                Code::TooLong,
                format!("the query on standard input is longer than the limit of {limit} bytes"),
            ))
            .into());
        }
        for ending in [&b"\r\n"[..], b"\n"] {
            if bytes.ends_with(ending) {
                bytes.truncate(bytes.len() - ending.len());
                break;
            }
        }
        bytes
    } else {
        os_bytes(arg)
    };
    String::from_utf8(bytes).map_err(|e| {
        let start = e.utf8_error().valid_up_to();
        let shown = String::from_utf8_lossy(e.as_bytes()).into_owned();
        Error::new(
            Diagnostic::new(Code::InvalidEncoding, "the query is not UTF-8 text")
                .at(
                    Span::new(start, start + char::REPLACEMENT_CHARACTER.len_utf8()),
                    shown,
                )
                .with_help("send the query as UTF-8; percent-encode other bytes"),
        )
        .into()
    })
}

/// The argument's bytes as the OS gave them.
#[cfg(unix)]
fn os_bytes(arg: &OsStr) -> Vec<u8> {
    std::os::unix::ffi::OsStrExt::as_bytes(arg).to_vec()
}

/// The argument's bytes: where the OS's strings are not bytes, what is not
/// Unicode shows as U+FFFD, which the parser then reads as text.
#[cfg(not(unix))]
fn os_bytes(arg: &OsStr) -> Vec<u8> {
    arg.to_string_lossy().into_owned().into_bytes()
}

/// What [`Input::parse`] read: a whole query, or with `--expr` one filter.
enum Parsed {
    Query(Box<Query>),
    Expr(Expr),
}

impl Input {
    fn options(&self) -> ParseOptions {
        if self.strict {
            ParseOptions::strict()
        } else {
            ParseOptions::default()
        }
    }

    fn text(&self) -> Result<String, Failure> {
        query_text(&self.query, &self.options())
    }

    /// With `--expr`, the filter value percent-decoded (not split on `&`).
    fn decoded_expr(&self) -> Result<String, Failure> {
        Ok(decode_value(&self.text()?, &self.options())?)
    }

    fn parse(&self) -> Result<Parsed, Failure> {
        let options = self.options();
        Ok(if self.expr {
            Parsed::Expr(parse_filter_with(&self.decoded_expr()?, &options)?)
        } else {
            Parsed::Query(Box::new(parse_with(&self.text()?, &options)?))
        })
    }

    /// Parses and validates against the schema of the set a URL names,
    /// else `entity`, else MachineActions: the canonical text (with
    /// `--expr`, the expression alone) and the warnings.
    fn check(
        &self,
        entity: Option<&'static EntitySchema>,
    ) -> Result<(String, Vec<Diagnostic>), Failure> {
        let options = self.options();
        let schema = entity.unwrap_or(machine_actions());
        if self.expr {
            let validated = check_filter(&self.decoded_expr()?, schema, &options)?;
            let canonical = validated
                .query()
                .filter
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            Ok((canonical, validated.warnings().to_vec()))
        } else {
            let text = self.text()?;
            let validated = check(&text, schema_of(&text, entity)?, &options)?;
            Ok((validated.to_string(), validated.warnings().to_vec()))
        }
    }
}

/// The set `text` is aimed at: the one its URL path names, else `entity`,
/// else MachineActions. A URL aimed elsewhere than `entity` is a usage
/// error; a path naming no set is rejected (`UnknownEntitySet`).
fn schema_of(
    text: &str,
    entity: Option<&'static EntitySchema>,
) -> Result<&'static EntitySchema, Failure> {
    Ok(target_of(text, entity)?.schema)
}

/// What `text` addresses ([`addressed`]), its set checked against
/// `entity` as [`schema_of`] does; a bare query string addresses `entity`,
/// else MachineActions, as a list.
fn target_of(text: &str, entity: Option<&'static EntitySchema>) -> Result<Address, Failure> {
    let address = addressed(text)?;
    let aimed = address.as_ref().map(|a| a.schema);
    let schema = match aimed {
        Some(aimed) if entity.is_some_and(|e| !std::ptr::eq(e, aimed)) => {
            Err(Failure::Io(format!(
                "the URL is aimed at {}, not --entity {}",
                aimed.path_segment(),
                entity.map_or_else(String::new, |e| e.path_segment())
            )))
        }
        Some(aimed) => Ok(aimed),
        None => Ok(entity.unwrap_or(machine_actions())),
    }?;
    Ok(address.unwrap_or(Address {
        schema,
        key: None,
        navigation: None,
        count: false,
    }))
}

/// `--entity`: an entity set by name, ignoring case.
fn entity_set(name: &str) -> Result<&'static EntitySchema, String> {
    entity_set_named(name).ok_or_else(|| {
        let names: Vec<String> = entity_sets().iter().map(|s| s.path_segment()).collect();
        format!("no entity set '{name}': use one of {}", names.join(", "))
    })
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Check {
            json,
            entity,
            input,
        } => run_check(&input, entity, json),
        Command::Parse { json, input } => run_parse(&input, json),
        Command::Explain { json, input } => run_explain(&input, json),
        Command::Eval {
            json,
            entity,
            data,
            db: Some(db),
            query,
        } => {
            debug_assert!(data.is_none());
            run_eval_db(&db, &query, entity, json)
        }
        Command::Eval {
            json,
            entity,
            data,
            query,
            ..
        } => run_eval(data.as_deref(), &query, entity, json),
        Command::Load { db, entity, files } => run_load(&db, entity, &files),
        Command::Serve(args) => run_serve(args),
        Command::Sql {
            dialect,
            entity,
            json,
            query,
        } => run_sql(dialect, &query, entity, json),
    }
}

/// Validates as `check` does (exit 1 when rejected), then answers over the
/// data; the response is built whole before anything is printed, so bad
/// data (exit 2) leaves stdout empty.
fn run_eval(
    data: Option<&Path>,
    query: &OsStr,
    entity: Option<&'static EntitySchema>,
    json: bool,
) -> ExitCode {
    let (validated, address) = match validated_query(query, entity, json) {
        Ok(validated) => validated,
        Err(code) => return code,
    };
    let (validated, scope) = match answered_query(validated, &address) {
        Ok(answered) => answered,
        Err(code) => return code,
    };
    let response = if std::ptr::eq(validated.schema(), machine_actions()) {
        answer_eval::<MachineAction>(&validated, scope, data, sample::example1, json)
    } else {
        answer_eval::<serde_json::Value>(&validated, scope, data, Vec::new, json)
    };
    match response {
        Ok(response) => print_answer(&response, address.count),
        Err(code) => code,
    }
}

/// Answers `validated` over the entities of `data` (else `default()`),
/// read as `E`.
fn answer_eval<E: Entity + DeserializeOwned>(
    validated: &ValidatedQuery<'static>,
    scope: Option<Scope>,
    data: Option<&Path>,
    default: impl FnOnce() -> Vec<E>,
    json: bool,
) -> Result<Response, ExitCode> {
    let compiled = CompiledQuery::<E>::compile(validated).and_then(|compiled| match &scope {
        Some(scope) => compiled.restricted_to(scope),
        None => Ok(compiled),
    });
    let compiled = match compiled {
        Ok(compiled) => compiled,
        Err(error) => return Err(reject(&error, json)),
    };
    Ok(match data {
        None => compiled.run(default()),
        // A page past a large `$skip`: the file is read twice, so that the
        // first pass keeps only sort keys and positions (never `$skip`
        // whole entities) and the second fetches the page's entities.
        Some(path) if compiled.skip() > compiled.page_len() => {
            match answer_in_two_passes(&compiled, path) {
                Ok(response) => response,
                Err(message) => return Err(fail(&message)),
            }
        }
        Some(path) => {
            let mut evaluation = compiled.start::<E>();
            if let Err(message) = read_data(path, |entity| evaluation.push(entity)) {
                return Err(fail(&message));
            }
            evaluation.finish()
        }
    })
}

/// Validates `query` as `check` does (exit 1 when rejected): the validated
/// query, after its warnings are printed.
fn validated_query(
    query: &OsStr,
    entity: Option<&'static EntitySchema>,
    json: bool,
) -> Result<(ValidatedQuery<'static>, Address), ExitCode> {
    let options = ParseOptions::default();
    let text = query_text(query, &options).map_err(|failure| failed(failure, json))?;
    let address = target_of(&text, entity).map_err(|failure| failed(failure, json))?;
    let validated = check(&text, address.schema, &options).map_err(|error| reject(&error, json))?;
    for warning in validated.warnings() {
        if writeln!(io::stderr(), "{warning}\n").is_err() {
            return Err(ExitCode::from(FAILED));
        }
    }
    Ok((validated, address))
}

/// What `eval` answers for `address`: the query to run (the counting one
/// for `$count`), the navigation's scope, and whether to print the count
/// alone. One entity by key is a usage error: `eval` answers lists.
fn answered_query(
    validated: ValidatedQuery<'static>,
    address: &Address,
) -> Result<(ValidatedQuery<'static>, Option<Scope>), ExitCode> {
    if let Some(key) = &address.key {
        return Err(fail(&format!(
            "the path names one entity ('{key}'); eval answers lists and counts: \
             filter on the key instead (/api/{}?$filter=...)",
            address.schema.path_segment()
        )));
    }
    let scope = address
        .navigation
        .as_ref()
        .map(|(navigation, key)| Scope::new(navigation.foreign_key, key.clone()));
    let validated = if address.count {
        validated.counting()
    } else {
        validated
    };
    Ok((validated, scope))
}

/// Prints `response`: its JSON, or for a `$count` path its count alone.
fn print_answer(response: &Response, count: bool) -> ExitCode {
    let text = if count {
        format!("{}\n", response.count.unwrap_or(0))
    } else {
        format!("{}\n", response.to_pretty_string())
    };
    write_or_fail(io::stdout(), &text)
}

/// Answers from a database as `run_eval` answers from a file: the same
/// response, byte for byte.
fn run_eval_db(
    db: &str,
    query: &OsStr,
    entity: Option<&'static EntitySchema>,
    json: bool,
) -> ExitCode {
    let (validated, address) = match validated_query(query, entity, json) {
        Ok(validated) => validated,
        Err(code) => return code,
    };
    let (validated, scope) = match answered_query(validated, &address) {
        Ok(answered) => answered,
        Err(code) => return code,
    };
    let answer = Store::open(db).and_then(|mut store| match &scope {
        Some(scope) => store.answer_scoped(&validated, scope, &ResponseOptions::default()),
        None => store.answer(&validated),
    });
    match answer {
        Ok(response) => print_answer(&response, address.count),
        Err(StoreError::Rejected(error)) => reject(&error, json),
        Err(error) => fail(&error.to_string()),
    }
}

/// Prints the statements that answer `query` in `dialect`.
fn run_sql(
    dialect: SqlDialect,
    query: &OsStr,
    entity: Option<&'static EntitySchema>,
    json: bool,
) -> ExitCode {
    let (validated, address) = match validated_query(query, entity, json) {
        Ok(validated) => validated,
        Err(code) => return code,
    };
    if address.key.is_some() || address.navigation.is_some() || address.count {
        return fail(
            "sql prints the statements of a list: a path with a key, a navigation or $count \
             addresses more than the query (eval --db answers it)",
        );
    }
    match translate(&validated, dialect) {
        Ok(translation) => {
            let mut text = format!("{}\n", translation.rows);
            if let Some(count) = &translation.count {
                text.push_str(&format!("\n{count}\n"));
            }
            write_or_fail(io::stdout(), &text)
        }
        Err(error) => reject(&error, json),
    }
}

/// Loads every file into the database in one transaction. The files are
/// opened before the database is touched; progress goes to stderr when it
/// is a terminal.
fn run_load(db: &str, entity: Option<&'static EntitySchema>, files: &[PathBuf]) -> ExitCode {
    let mut sources = Vec::with_capacity(files.len());
    let mut total = 0u64;
    for path in files {
        match File::open(path) {
            Ok(file) => {
                total += file.metadata().map_or(0, |m| m.len());
                sources.push((path.display().to_string(), file));
            }
            Err(e) => return fail(&format!("{}: cannot read the data: {e}", path.display())),
        }
    }
    let progress = Progress::new(total);
    let readers = sources.into_iter().map(|(name, file)| {
        (
            name,
            BufReader::with_capacity(1 << 16, progress.reader(file)),
        )
    });
    let schema = entity.unwrap_or_else(machine_actions);
    let loaded = Store::open_or_create(db).and_then(|mut store| {
        // The built-in type reads MachineActions faster than JSON objects.
        if std::ptr::eq(schema, machine_actions()) {
            store.load::<MachineAction, _>(readers)
        } else {
            store.load_json(schema, readers)
        }
    });
    progress.finish();
    match loaded {
        Ok(records) => write_or_fail(
            io::stderr(),
            &format!("loaded {records} records into {db}\n"),
        ),
        Err(error) => fail(&error.to_string()),
    }
}

/// A progress line on stderr, by bytes read, when stderr is a terminal.
struct Progress {
    total: u64,
    read: std::rc::Rc<std::cell::Cell<u64>>,
    shown: bool,
}

impl Progress {
    fn new(total: u64) -> Progress {
        Progress {
            total,
            read: Default::default(),
            // Small files load in a blink: no bar.
            shown: io::IsTerminal::is_terminal(&io::stderr()) && total > 16 << 20,
        }
    }

    fn reader<R: Read>(&self, inner: R) -> ProgressReader<R> {
        ProgressReader {
            inner,
            read: self.read.clone(),
            total: self.total,
            shown: self.shown,
            last_percent: u64::MAX,
        }
    }

    fn finish(&self) {
        if self.shown {
            let _ = writeln!(io::stderr());
        }
    }
}

/// Counts the bytes read through it and redraws the progress line.
struct ProgressReader<R> {
    inner: R,
    read: std::rc::Rc<std::cell::Cell<u64>>,
    total: u64,
    shown: bool,
    last_percent: u64,
}

impl<R: Read> Read for ProgressReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.shown {
            let read = self.read.get() + n as u64;
            self.read.set(read);
            let percent = read * 100 / self.total.max(1);
            if percent != self.last_percent {
                self.last_percent = percent;
                const WIDTH: usize = 40;
                let done = usize::try_from(percent)
                    .map_or(WIDTH, |p| p * WIDTH / 100)
                    .min(WIDTH);
                let _ = write!(
                    io::stderr(),
                    "\rloading [{}{}] {percent:>3}%",
                    "#".repeat(done),
                    " ".repeat(WIDTH - done)
                );
            }
        }
        Ok(n)
    }
}

/// Reads the MachineActions of the data file at `path` into `sink`; an
/// error is the message to print, with `file:line:col`.
fn read_data<E: DeserializeOwned>(path: &Path, sink: impl FnMut(E)) -> Result<(), String> {
    let file =
        File::open(path).map_err(|e| format!("{}: cannot read the data: {e}", path.display()))?;
    read_entities(BufReader::new(file), sink)
        .map(|_| ())
        .map_err(|e| e.located(&path.display().to_string()))
}

/// Answers over the file at `path` keeping only the sort keys and positions
/// of the best matches, then reads the file again for the page's actions.
fn answer_in_two_passes<E: Entity + DeserializeOwned>(
    compiled: &CompiledQuery<E>,
    path: &Path,
) -> Result<Response, String> {
    let mut evaluation = compiled.start::<u64>();
    let mut position = 0u64;
    read_data(path, |entity: E| {
        evaluation.push_as(&entity, position);
        position += 1;
    })?;
    let page = evaluation.finish_page();
    let slots: HashMap<u64, usize> = page
        .items()
        .iter()
        .enumerate()
        .map(|(slot, &position)| (position, slot))
        .collect();
    let mut entities: Vec<Option<E>> = Vec::new();
    entities.resize_with(slots.len(), || None);
    let mut position = 0u64;
    read_data(path, |entity: E| {
        if let Some(&slot) = slots.get(&position) {
            entities[slot] = Some(entity);
        }
        position += 1;
    })?;
    if entities.iter().any(Option::is_none) {
        return Err(format!(
            "{}: the data changed while it was read",
            path.display()
        ));
    }
    Ok(page.into_response(|position| {
        let entity = entities[slots[&position]].take();
        entity.map_or(serde_json::Value::Null, |e| {
            serde_json::to_value(&e).unwrap_or(serde_json::Value::Null)
        })
    }))
}

/// Serves until SIGINT or SIGTERM, then lets in-flight requests finish.
fn run_serve(args: ServeArgs) -> ExitCode {
    let mut sources: Vec<Arc<dyn EntitySource>> = Vec::new();
    // One connection to ask which sets the database holds.
    let mut database = match &args.db {
        Some(db) => match Store::open(db) {
            Ok(store) => Some((db, store)),
            Err(error) => return fail(&format!("{db}: {error}")),
        },
        None => None,
    };
    for &schema in entity_sets() {
        let mut given = args.data.iter().filter(|d| std::ptr::eq(d.schema, schema));
        let data = given.next();
        if given.next().is_some() {
            return fail(&format!("--data names {} twice", schema.path_segment()));
        }
        let is_actions = std::ptr::eq(schema, machine_actions());
        // With --db, MachineActions come from it, and every other set the
        // database holds.
        let stored = match &mut database {
            Some(_) if is_actions => true,
            Some((db, store)) => match store.holds(schema) {
                Ok(held) => held,
                Err(error) => return fail(&format!("{db}: {error}")),
            },
            None => false,
        };
        let source: Result<Arc<dyn EntitySource>, String> = match (&args.db, stored) {
            (Some(db), true) => {
                if data.is_some() {
                    return fail(&format!(
                        "{} come from --db or --data, not both",
                        schema.entity_set
                    ));
                }
                match server::StoreSource::open(schema, db) {
                    Ok(source) => Ok(Arc::new(source)),
                    Err(error) => return fail(&format!("{db}: {error}")),
                }
            }
            _ if is_actions => memory_source::<MachineAction>(schema, data, sample::example1),
            _ => memory_source::<serde_json::Value>(schema, data, Vec::new),
        };
        let source = match source {
            Ok(source) => source,
            Err(message) => return fail(&message),
        };
        sources.push(source);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the server's runtime: {e}")),
    };
    // The log is written by a thread of its own, in batches, so that a
    // request never waits on stderr; when the thread falls behind,
    // requests wait rather than lines being dropped.
    let (log, _flushed_at_exit) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(io::BufWriter::new(io::stderr()));
    tracing_subscriber::fmt()
        .with_writer(log)
        .with_ansi(io::IsTerminal::is_terminal(&io::stderr()))
        .with_target(false)
        .init();
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(args.listen).await {
            Ok(listener) => listener,
            Err(e) => return fail(&format!("cannot listen on {}: {e}", args.listen)),
        };
        let address = match listener.local_addr() {
            Ok(address) => address,
            Err(e) => return fail(&format!("cannot read the listening address: {e}")),
        };
        let mut tokens = args.tokens;
        if tokens.is_empty() {
            let token = Token::random();
            if writeln!(
                io::stderr(),
                "no --token given: this run's token ({}) is {}",
                token.permissions().join(", "),
                token.secret()
            )
            .is_err()
            {
                return ExitCode::from(FAILED);
            }
            tokens.push(token);
        }
        let public_url = match args.public_url {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => url,
            Some(url) => {
                return fail(&format!(
                    "--public-url {url}: not an http:// or https:// URL"
                ))
            }
            None => format!("http://{address}"),
        };
        let mut config = ServerConfig::new(public_url, tokens);
        config.rate_limits = args.rate_limit.map(|limits| limits.0);
        let app = server::router(config, sources);
        let limits = ConnectionLimits {
            header_timeout: std::time::Duration::from_secs(args.header_timeout.max(1)),
            ..ConnectionLimits::default()
        };
        let shutdown = match shutdown_signal() {
            Ok(shutdown) => shutdown,
            Err(e) => return fail(&format!("cannot listen for signals: {e}")),
        };
        let mut stdout = io::stdout();
        if writeln!(stdout, "listening on http://{address}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            return ExitCode::from(FAILED);
        }
        match server::serve(listener, app, limits, shutdown).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&format!("the server stopped: {e}")),
        }
    })
}

/// The entities of `data` (else `default()`) held in memory as the set of
/// `schema`; an error is the message to print.
fn memory_source<E: Entity + DeserializeOwned + Send + Sync>(
    schema: &'static EntitySchema,
    data: Option<&SetData>,
    default: impl FnOnce() -> Vec<E>,
) -> Result<Arc<dyn EntitySource>, String> {
    let entities = match data {
        None => default(),
        Some(data) => {
            let mut entities = Vec::new();
            read_data(&data.path, |entity| entities.push(entity))?;
            entities
        }
    };
    Ok(Arc::new(server::MemorySource::new(schema, entities)))
}

/// Registers for SIGINT (Ctrl-C) and SIGTERM at once, so that a signal
/// sent as soon as the server says it is listening is not missed; the
/// future completes on either.
#[cfg(unix)]
fn shutdown_signal() -> io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// Completes on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Reports a usage or I/O error (exit 2) on stderr.
fn fail(message: &str) -> ExitCode {
    // Nothing else can be reported if stderr is closed; the exit code says it.
    let _ = writeln!(io::stderr(), "error: {message}");
    ExitCode::from(FAILED)
}

/// Reports a failure: a rejected query (exit 1) or an input error (exit 2).
fn failed(failure: Failure, json: bool) -> ExitCode {
    match failure {
        Failure::Rejected(error) => reject(&error, json),
        Failure::Io(message) => fail(&message),
    }
}

fn run_check(input: &Input, entity: Option<&'static EntitySchema>, json: bool) -> ExitCode {
    match input.check(entity) {
        Ok((canonical, warnings)) => succeed(&canonical, &warnings, json),
        Err(failure) => failed(failure, json),
    }
}

fn run_parse(input: &Input, json: bool) -> ExitCode {
    match input.parse() {
        Ok(Parsed::Query(query)) => succeed(&query.to_string(), query.warnings(), json),
        Ok(Parsed::Expr(expr)) => succeed(&expr.to_string(), &[], json),
        Err(failure) => failed(failure, json),
    }
}

fn run_explain(input: &Input, json: bool) -> ExitCode {
    let text = match (input.parse(), json) {
        (Ok(Parsed::Query(query)), false) => query.explain(),
        (Ok(Parsed::Expr(expr)), false) => expr.explain(),
        (Ok(Parsed::Query(query)), true) => pretty_json(&query),
        (Ok(Parsed::Expr(expr)), true) => pretty_json(&expr),
        (Err(failure), json) => return failed(failure, json),
    };
    write_or_fail(io::stdout(), &text)
}

/// `value` as indented JSON and a newline.
fn pretty_json(value: &impl serde::Serialize) -> String {
    // The tree's Serialize writes only maps, strings and numbers: it cannot
    // fail.
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// Reports an accepted query: the canonical form on stdout and each warning
/// on stderr, or with `json` both in one object on stdout.
fn succeed(canonical: &str, warnings: &[Diagnostic], json: bool) -> ExitCode {
    if json {
        let body = json!({
            "canonical": canonical,
            "warnings": warnings.iter().map(Diagnostic::to_json).collect::<Vec<_>>(),
        });
        return write_or_fail(io::stdout(), &format!("{body}\n"));
    }
    for warning in warnings {
        if writeln!(io::stderr(), "{warning}\n").is_err() {
            return ExitCode::from(FAILED);
        }
    }
    write_or_fail(io::stdout(), &format!("{canonical}\n"))
}

/// Reports a rejected query (exit 1): each diagnostic with its caret on
/// stderr, or with `json` the OData error body on stdout.
fn reject(error: &Error, json: bool) -> ExitCode {
    let written = if json {
        writeln!(io::stdout(), "{}", error.to_odata_json())
    } else {
        writeln!(io::stderr(), "{error}")
    };
    match written {
        Ok(()) => ExitCode::from(REJECTED),
        Err(_) => ExitCode::from(FAILED),
    }
}

/// Writes `text`; a failed write (a closed pipe) is an I/O error, exit 2.
fn write_or_fail(mut out: impl Write, text: &str) -> ExitCode {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(FAILED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use defender_odata::Dialect;

    #[test]
    fn the_argument_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn dialect_follows_strict() {
        let cli = Cli::try_parse_from(["defender-odata", "parse", "--strict", "x"]).unwrap();
        let Command::Parse { input, .. } = cli.command else {
            panic!("expected parse");
        };
        assert_eq!(input.options().dialect, Dialect::Strict);
    }
}
