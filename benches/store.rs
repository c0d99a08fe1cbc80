//! Store bench: the SQL translation against parsing, and answers from a
//! database of 1,000,000 generated MachineActions against streaming the
//! same actions from JSON Lines, as `eval --data` does.
//!
//! - `store-translate-N`: `translate` of each corpus query that validates
//!   and translates, against `parse` of the same query text.
//! - `store-sqlite-N`: each of three queries answered by SQLite
//!   (`Store::answer`) against the same query answered by streaming the
//!   JSON Lines file through the compiled query (`eval --data`'s way).
//! - Loading: `Store::load` of the file into a new SQLite database against
//!   streaming the file with `$top=10`, timed by hand in alternating
//!   rounds (a load takes seconds; criterion's ten samples would take
//!   minutes).
//! - The plan (`EXPLAIN QUERY PLAN`) of each query, printed.
//!
//! With `--features postgres` and `DEFENDER_ODATA_POSTGRES_URL`, the same
//! three queries on PostgreSQL, with `EXPLAIN ANALYZE`.
//!
//! The data lives under `target/store-bench/` and is generated once
//! (`sample::write_generated_json_lines`).

mod support;

use std::fs::File;
use std::hint::black_box;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion};
use defender_odata::eval::{read_entities, CompiledQuery, Response};
use defender_odata::model::MachineAction;
use defender_odata::store::{translate, SqlDialect, Store};
use defender_odata::{check, machine_actions, parse, parse_filter, sample, ParseOptions};
use defender_odata::{Query, ValidatedQuery};
use support::{median_round_ratio, round_group, round_medians};

const ROUNDS: usize = 5;
const ROWS: u64 = 1_000_000;
const LOAD_ROUNDS: usize = 2;
/// Rounds of the 1,000,000-row comparison: streaming takes seconds.
const ANSWER_ROUNDS: usize = 3;

/// The three queries of the comparison: one machine's latest actions, a
/// status in the default order, and the newest actions.
const QUERIES: [(&str, &str); 3] = [
    (
        "machine",
        "$filter=machineId eq '00000000000000000000000000000000000002a7'&$top=10",
    ),
    (
        "status",
        "$filter=status eq 'Pending'&$orderby=creationDateTimeUtc desc&$top=100",
    ),
    ("newest", "$top=10"),
];

fn validated(text: &str) -> ValidatedQuery<'static> {
    check(text, machine_actions(), &ParseOptions::default())
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Answers `query` by streaming the JSON Lines at `path`, as `eval --data`
/// does.
fn stream(query: &ValidatedQuery<'_>, path: &Path) -> Response {
    let compiled = CompiledQuery::<MachineAction>::compile(query).expect("compiles");
    let mut evaluation = compiled.start::<MachineAction>();
    let file = File::open(path).expect("the bench data");
    read_entities(BufReader::with_capacity(1 << 16, file), |a| {
        evaluation.push(a)
    })
    .expect("the bench data reads");
    evaluation.finish()
}

fn bench_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/store-bench");
    std::fs::create_dir_all(&dir).expect("bench dir");
    dir
}

/// The generated JSON Lines, written once.
fn data_file() -> PathBuf {
    let path = bench_dir().join(format!("actions-{ROWS}.jsonl"));
    if !path.exists() {
        let partial = path.with_extension("partial");
        sample::write_generated_json_lines(ROWS, File::create(&partial).expect("create"))
            .expect("write the bench data");
        std::fs::rename(&partial, &path).expect("rename");
    }
    path
}

fn load_into(url: &str, data: &Path) -> Duration {
    let start = Instant::now();
    let mut store = Store::open_or_create(url).expect("opens");
    let file = File::open(data).expect("the bench data");
    store
        .load::<MachineAction, _>([(
            data.display().to_string(),
            BufReader::with_capacity(1 << 16, file),
        )])
        .expect("loads");
    start.elapsed()
}

fn translate_corpus() -> Vec<(String, ValidatedQuery<'static>)> {
    support::filters()
        .iter()
        .filter_map(|line| {
            let filter = parse_filter(line).ok()?;
            let text = format!("$filter={}", filter.to_query_string());
            let query = check(&text, machine_actions(), &ParseOptions::default()).ok()?;
            translate(&query, SqlDialect::Sqlite).ok()?;
            Some((text, query))
        })
        .collect()
}

fn bench_translate(c: &mut Criterion, corpus: &[(String, ValidatedQuery<'static>)]) {
    for round in 1..=ROUNDS {
        let mut group = support::corpus_round(c, "store-translate", round);
        group.bench_function("translate", |b| {
            b.iter(|| {
                for (_, query) in corpus {
                    let _ = black_box(translate(black_box(query), SqlDialect::Sqlite));
                }
            })
        });
        group.bench_function("baseline parse", |b| {
            b.iter(|| {
                for (text, _) in corpus {
                    let _: Result<Query, _> = black_box(parse(black_box(text)));
                }
            })
        });
        group.finish();
    }
}

/// A group of benchmarks over the 1,000,000 rows: ten samples each, since
/// streaming the file takes seconds.
fn slow_group<'c>(c: &'c mut Criterion, name: &str) -> BenchmarkGroup<'c, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_secs(1));
    group
}

fn bench_answers(c: &mut Criterion, store: &mut Store, data: &Path) {
    for round in 1..=ANSWER_ROUNDS {
        let mut group = slow_group(c, &round_group("store-sqlite", round));
        for (name, text) in QUERIES {
            let query = validated(text);
            group.bench_function(format!("{name} sqlite"), |b| {
                b.iter(|| black_box(store.answer(&query).expect("answers")))
            });
            group.bench_function(format!("{name} stream"), |b| {
                b.iter(|| black_box(stream(&query, data)))
            });
        }
        group.finish();
    }
}

fn print_plans(db: &Path) {
    let connection = rusqlite::Connection::open(db).expect("opens");
    println!("\n== EXPLAIN QUERY PLAN (SQLite)");
    for (name, text) in QUERIES {
        let rows = translate(&validated(text), SqlDialect::Sqlite)
            .expect("translates")
            .rows;
        let mut statement = connection
            .prepare(&format!("EXPLAIN QUERY PLAN {}", rows.sql))
            .expect("prepares");
        let details: Vec<String> = statement
            .query_map(rusqlite::params_from_iter(rows.params.iter()), |row| {
                row.get::<_, String>(3)
            })
            .expect("explains")
            .collect::<Result<_, _>>()
            .expect("explains");
        println!("{name}: {text}\n  {}", rows.sql);
        for detail in details {
            println!("  | {detail}");
        }
    }
}

fn print_answer_ratios(since: SystemTime) {
    println!("\n== store-sqlite summary ({ROWS} rows; criterion medians, the median round of {ANSWER_ROUNDS} by ratio)");
    for (name, text) in QUERIES {
        let (Some(db), Some(streamed)) = (
            round_medians(
                "store-sqlite",
                &format!("{name} sqlite"),
                ANSWER_ROUNDS,
                since,
            ),
            round_medians(
                "store-sqlite",
                &format!("{name} stream"),
                ANSWER_ROUNDS,
                since,
            ),
        ) else {
            println!("{name}: not measured in this run");
            continue;
        };
        if let Some(((s, d), ratios)) = median_round_ratio(&streamed, &db) {
            let ratios: Vec<String> = ratios.iter().map(|r| format!("{r:.0}")).collect();
            println!(
                "{name} ({text}): stream ÷ SQLite = {:.0}× (stream {}, SQLite {}); rounds {}; target ≥ 100×",
                s / d,
                support::human(s),
                support::human(d),
                ratios.join(", ")
            );
        }
    }
}

fn main() {
    let since = SystemTime::now();
    let mut c = Criterion::default().configure_from_args();
    let corpus = translate_corpus();
    println!(
        "store: {} of {} corpus filters validate and translate",
        corpus.len(),
        support::filters().len()
    );
    bench_translate(&mut c, &corpus);
    // `cargo bench --bench store -- store-translate` measures translation
    // alone, without the minutes of the 1,000,000-row part.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if filter.is_some_and(|f| f.contains("translate")) {
        c.final_summary();
        support::print_ratios(
            "store-translate",
            "baseline parse",
            &["translate"],
            ROUNDS,
            corpus.len(),
            since,
        );
        return;
    }

    let data = data_file();
    let db = bench_dir().join("actions.db");
    let url = format!("sqlite:{}", db.display());
    let newest = validated("$top=10");
    let mut load_rounds = Vec::new();
    for _ in 0..LOAD_ROUNDS {
        let _ = std::fs::remove_file(&db);
        let streamed = {
            let start = Instant::now();
            let _ = black_box(stream(&newest, &data));
            start.elapsed()
        };
        let loaded = load_into(&url, &data);
        load_rounds.push((loaded, streamed));
    }
    let mut store = Store::open(&url).expect("opens");
    bench_answers(&mut c, &mut store, &data);
    #[cfg(feature = "postgres")]
    let pg = postgres_bench(&mut c, &data);
    c.final_summary();

    support::print_ratios(
        "store-translate",
        "baseline parse",
        &["translate"],
        ROUNDS,
        corpus.len(),
        since,
    );
    print_answer_ratios(since);
    println!("\n== load of {ROWS} rows into SQLite ÷ streaming the file ($top=10); target ≤ 3×");
    for (loaded, streamed) in &load_rounds {
        println!(
            "load {:.2} s, stream {:.2} s: {:.2}×",
            loaded.as_secs_f64(),
            streamed.as_secs_f64(),
            loaded.as_secs_f64() / streamed.as_secs_f64()
        );
    }
    print_plans(&db);
    #[cfg(feature = "postgres")]
    pg.print(since);
}

#[cfg(feature = "postgres")]
struct PostgresRun {
    url: String,
    load: Duration,
}

/// Loads the data into the database of `DEFENDER_ODATA_POSTGRES_URL` and
/// measures the three queries there.
#[cfg(feature = "postgres")]
fn postgres_bench(c: &mut Criterion, data: &Path) -> PostgresRun {
    let url = std::env::var("DEFENDER_ODATA_POSTGRES_URL")
        .expect("the PostgreSQL bench needs DEFENDER_ODATA_POSTGRES_URL (scripts/with-postgres)");
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
    admin
        .batch_execute(
            "DROP TABLE IF EXISTS \"machineactions\", \"machineactions:doc\", \"defender_odata_layout\"",
        )
        .expect("a clean database");
    let load = load_into(&url, data);
    let mut store = Store::open(&url).expect("opens");
    let mut group = slow_group(c, "store-postgres");
    for (name, text) in QUERIES {
        let query = validated(text);
        group.bench_function(format!("{name} postgres"), |b| {
            b.iter(|| black_box(store.answer(&query).expect("answers")))
        });
    }
    group.finish();
    PostgresRun { url, load }
}

#[cfg(feature = "postgres")]
impl PostgresRun {
    fn print(&self, since: SystemTime) {
        println!(
            "\n== PostgreSQL: load of {ROWS} rows {:.1} s",
            self.load.as_secs_f64()
        );
        let mut client = postgres::Client::connect(&self.url, postgres::NoTls).expect("connects");
        for (name, text) in QUERIES {
            let median = support::median_ns("store-postgres", &format!("{name} postgres"), since);
            println!(
                "{name} ({text}): {}",
                median.map_or("not measured".into(), support::human)
            );
            let rows = translate(&validated(text), SqlDialect::Postgres)
                .expect("translates")
                .rows;
            let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = rows
                .params
                .iter()
                .map(|p| p as &(dyn postgres::types::ToSql + Sync))
                .collect();
            let plan = client
                .query(&format!("EXPLAIN (ANALYZE, COSTS OFF) {}", rows.sql), &refs)
                .expect("explains");
            for row in plan {
                println!("  | {}", row.get::<_, String>(0));
            }
        }
    }
}
