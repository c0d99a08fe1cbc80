//! Evaluation benches: five representative compiled filters over
//! 1,000,000 MachineActions, each against a hand-written Rust closure for the
//! same predicate, measured in the same run (target: compiled ≤ 2× the
//! closure); and the cost per entity as the entity count grows 10k → 1M
//! (target: flat).
//!
//! The entities are generated (a fixed-seed xorshift, so every run sees the
//! same data) with the shapes the service sends: GUID ids, 40-hex machine
//! ids, known `type`/`status` values, 7-digit timestamps, and some nulls.
//! Before timing, each closure is checked to select exactly the entities its
//! filter selects over the whole million, so the pairs are the same
//! predicate, null semantics included.
//!
//! The machine is shared and its speed drifts over seconds, so everything
//! is measured in [`ROUNDS`] interleaved rounds: a pair's ratio is read in
//! the round with the median ratio (both measured within seconds of each
//! other), and a scaling point's cost is the median of its rounds.
//!
//! The scaling series is measured twice. **Hot**, as the target is stated:
//! the first n entities, the same ones every iteration, so 10k entities
//! (~10 MB) are served from cache while 1M (~1 GB) stream from memory.
//! **Cold**: each iteration takes the next n entities of the million
//! (wrapping around), so no size is served from cache; what is left is the
//! evaluator's own growth per entity, if any.
//!
//! Both are measured again over [`compact::CompactAction`]s, a 112-byte
//! entity type with nothing on the heap, holding the same million actions'
//! filterable properties: the same evaluator over a layout a sixth the
//! size, which says how much of the hot series' growth the `MachineAction`
//! layout accounts for.

mod compact;
mod support;

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, TimeZone, Utc};
use compact::{CompactAction, Interner};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput};
use defender_odata::check_filter;
use defender_odata::eval::CompiledFilter;
use defender_odata::model::{Entity, MachineAction, Timestamp};
use defender_odata::{machine_actions, ParseOptions};
use support::{deviation, human, median_round_ratio, p50, round_group, round_medians};

const ENTITIES: usize = 1_000_000;
const SCALING: [usize; 5] = [10_000, 30_000, 100_000, 300_000, 1_000_000];

/// How many times everything is measured; see the module docs.
const ROUNDS: usize = 3;

const TYPES: [&str; 6] = [
    "RunAntiVirusScan",
    "Isolate",
    "Unisolate",
    "CollectInvestigationPackage",
    "RestrictCodeExecution",
    "LiveResponse",
];
const STATUSES: [&str; 6] = [
    "Pending",
    "InProgress",
    "Succeeded",
    "Failed",
    "TimeOut",
    "Cancelled",
];
const MACHINE: &str = "1e5bc9d7e413ddd7902c2932e418702b84d0cc07";
/// `Succeeded`'s index in [`STATUSES`].
const SUCCEEDED: u8 = 2;

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Null about one time in twenty.
    fn maybe<T>(&mut self, value: T) -> Option<T> {
        (self.below(20) != 0).then_some(value)
    }
}

fn entities(n: usize) -> Vec<MachineAction> {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let start = Utc.with_ymd_and_hms(2018, 1, 1, 0, 0, 0).single();
    let start = start.map(|t| t.timestamp()).unwrap_or(0);
    (0..n)
        .map(|i| {
            let machine = if rng.below(100) == 0 {
                MACHINE.to_owned()
            } else {
                format!(
                    "{:040x}",
                    u128::from(rng.next()) << 64 | u128::from(rng.next())
                )
            };
            let seconds = start + (rng.below(3 * 365 * 24 * 3600) as i64);
            let ticks = rng.below(10_000_000) as u32 * 100;
            let created = DateTime::from_timestamp(seconds, ticks)
                .map(|t| t.fixed_offset())
                .and_then(Timestamp::from_datetime);
            let status = STATUSES[rng.below(STATUSES.len())].to_owned();
            let requestor = match rng.below(4) {
                0 => format!("analyst{}@contoso.com", rng.below(50)),
                1 => format!("Admin{}@contoso.com", rng.below(10)),
                _ => format!("user{}@fabrikam.com", rng.below(1000)),
            };
            MachineAction {
                id: Some(format!(
                    "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                    i,
                    rng.below(0x10000),
                    rng.below(0x1000),
                    rng.below(0x1000),
                    rng.next() & 0xffff_ffff_ffff
                )),
                action_type: Some(TYPES[rng.below(TYPES.len())].to_owned()),
                status: rng.maybe(status),
                machine_id: Some(machine),
                requestor: rng.maybe(requestor),
                computer_dns_name: Some(format!("desktop-{:05}", rng.below(100_000))),
                creation_date_time_utc: created.and_then(|t| rng.maybe(t)),
                ..MachineAction::default()
            }
        })
        .collect()
}

type Closure = fn(&MachineAction) -> bool;

/// 2019-06-01T00:00:00Z in Unix seconds: the closure compares numbers, as
/// a hand-written filter would, rather than building a date per entity.
const CUTOFF_SECONDS: i64 = 1_559_347_200;

/// The five pairs: a name, the `$filter`, and the same predicate by hand.
fn cases() -> Vec<(&'static str, String, Closure)> {
    vec![
        ("eq", "status eq 'Pending'".into(), |a| {
            a.status.as_deref() == Some("Pending")
        }),
        (
            "and",
            format!("machineId eq '{MACHINE}' and status eq 'Succeeded'"),
            |a| {
                a.machine_id.as_deref() == Some(MACHINE) && a.status.as_deref() == Some("Succeeded")
            },
        ),
        (
            "datetime",
            "creationDateTimeUtc gt 2019-06-01T00:00:00Z".into(),
            |a| {
                a.creation_date_time_utc.as_ref().is_some_and(|t| {
                    let t = t.value();
                    (t.timestamp(), t.timestamp_subsec_nanos()) > (CUTOFF_SECONDS, 0)
                })
            },
        ),
        (
            "in",
            "type in ('Isolate','Unisolate','RestrictCodeExecution')".into(),
            |a| {
                matches!(
                    a.action_type.as_deref(),
                    Some("Isolate" | "Unisolate" | "RestrictCodeExecution")
                )
            },
        ),
        (
            "functions",
            "startswith(requestor,'analyst') and not (status eq 'Failed')".into(),
            // `status eq 'Failed'` is false (not null) for a null status,
            // so `not` of it is true; `startswith(null, …)` is null.
            |a| {
                a.requestor
                    .as_deref()
                    .is_some_and(|r| r.starts_with("analyst"))
                    && a.status.as_deref() != Some("Failed")
            },
        ),
    ]
}

fn compile<E: Entity>(filter: &str) -> CompiledFilter<E> {
    let query = check_filter(filter, machine_actions(), &ParseOptions::default())
        .unwrap_or_else(|e| panic!("{filter} must validate: {e}"));
    CompiledFilter::compile(&query).unwrap_or_else(|e| panic!("{filter} must compile: {e}"))
}

/// Measures the five pairs once: round `round`.
fn pairs(
    c: &mut Criterion,
    round: usize,
    data: &[MachineAction],
    cases: &[(&str, String, Closure)],
    compiled: &[CompiledFilter<MachineAction>],
) {
    let mut group = c.benchmark_group(round_group("eval", round));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_secs(1))
        .throughput(Throughput::Elements(ENTITIES as u64));
    for ((name, _, closure), compiled) in cases.iter().zip(compiled) {
        group.bench_function(format!("filter-{name}"), |b| {
            b.iter(|| {
                data.iter()
                    .filter(|a| compiled.matches(black_box(a)))
                    .count()
            })
        });
        group.bench_function(format!("closure-{name}"), |b| {
            b.iter(|| data.iter().filter(|a| closure(black_box(a))).count())
        });
    }
    group.finish();
}

/// The next window of `n` entities after the one at `offset`, wrapping
/// around: consecutive windows never overlap, so none is still in cache.
fn next_window(offset: usize, n: usize) -> usize {
    if offset + 2 * n <= ENTITIES {
        offset + n
    } else {
        0
    }
}

/// One entity type's data for the scaling series: the entities, the
/// compiled filter and its hand-written closure, and a name prefix for its
/// benchmark ids.
struct Series<'a, E: Entity> {
    prefix: &'static str,
    data: &'a [E],
    filter: &'a CompiledFilter<E>,
    closure: fn(&E) -> bool,
}

/// Measures the scaling series once, hot and cold, for each entity type's
/// filter and closure: round `round`.
fn scaling(
    c: &mut Criterion,
    round: usize,
    actions: &Series<'_, MachineAction>,
    compact: &Series<'_, CompactAction>,
) {
    let mut group = c.benchmark_group(round_group("eval-scaling", round));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_millis(500));
    for n in SCALING {
        group.throughput(Throughput::Elements(n as u64));
        scaling_points(&mut group, n, actions);
        scaling_points(&mut group, n, compact);
    }
    group.finish();
}

/// The filter's and the closure's points at `n` entities.
fn scaling_points<E: Entity>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    n: usize,
    s: &Series<'_, E>,
) {
    let (filter, closure) = (s.filter, s.closure);
    let who = |what: &str| format!("{}{what}", s.prefix);
    scaling_point(group, &who("filter"), n, s.data, |a| {
        filter.matches(black_box(a))
    });
    scaling_point(group, &who("closure"), n, s.data, |a| closure(black_box(a)));
}

/// One point of the series for one predicate, hot and cold. Generic, so
/// that each predicate is called as directly as in [`pairs`].
fn scaling_point<E>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    who: &str,
    n: usize,
    data: &[E],
    test: impl Fn(&E) -> bool,
) {
    group.bench_with_input(BenchmarkId::new(who, n), &data[..n], |b, slice| {
        b.iter(|| slice.iter().filter(|a| test(a)).count())
    });
    group.bench_function(BenchmarkId::new(format!("{who}-cold"), n), |b| {
        let mut offset = 0;
        b.iter(|| {
            let slice = &data[offset..offset + n];
            offset = next_window(offset, n);
            slice.iter().filter(|a| test(a)).count()
        })
    });
}

/// Prints the hot and cold series of one entity type's scaling points.
fn print_scaling(what: &str, prefix: &str, filter: &str, since: SystemTime) {
    for (label, suffix) in [
        ("hot: the first n entities every time", ""),
        ("cold: the next n entities every time", "-cold"),
    ] {
        println!("\n== eval time per entity, 10k → 1M, {what}, {label} (`{filter}`)");
        let (mut filters, mut closures) = (Vec::new(), Vec::new());
        for n in SCALING {
            let cost = |who: &str| {
                let id = format!("{prefix}{who}{suffix}/{n}");
                let mut medians = round_medians("eval-scaling", &id, ROUNDS, since)?;
                p50(&mut medians).map(|ns| ns / n as f64)
            };
            let (Some(filter), Some(closure)) = (cost("filter"), cost("closure")) else {
                continue;
            };
            println!(
                "{n:>8}: compiled {filter:.2} ns/entity, closure {closure:.2} ns/entity ({:.2}×)",
                filter / closure
            );
            filters.push(filter);
            closures.push(closure);
        }
        if filters.len() == SCALING.len() {
            let spread = deviation(&filters);
            println!(
                "largest deviation from 10k: compiled {:.0}% (target ±30%: {}), closure {:.0}%",
                spread * 100.0,
                if spread <= 0.30 { "met" } else { "missed" },
                deviation(&closures) * 100.0
            );
        }
    }
}

fn main() {
    let since = SystemTime::now();
    let data = entities(ENTITIES);
    let cases = cases();
    let compiled: Vec<CompiledFilter<MachineAction>> =
        cases.iter().map(|(_, f, _)| compile(f)).collect();
    for ((name, filter, closure), compiled) in cases.iter().zip(&compiled) {
        let by_filter = data.iter().filter(|a| compiled.matches(a)).count();
        let by_closure = data.iter().filter(|a| closure(a)).count();
        assert_eq!(by_filter, by_closure, "{name}: {filter}");
        println!("{name}: {filter} selects {by_filter} of {ENTITIES}");
    }

    // One representative filter (two comparisons, a string and a nullable
    // string) for the scaling series. A MachineAction is 720 bytes plus its
    // strings: see the module docs for hot and cold, and for the compact
    // entities.
    let actions = Series {
        prefix: "",
        data: &data,
        filter: &compiled[1],
        closure: cases[1].2,
    };
    let mut interner = Interner::default();
    let rows: Vec<CompactAction> = data
        .iter()
        .map(|a| CompactAction::from_action(a, &mut interner))
        .collect();
    let compact_filter = compile::<CompactAction>(&cases[1].1);
    let compact = Series {
        prefix: "compact-",
        data: &rows,
        filter: &compact_filter,
        // As a hand-written filter over this layout would: the bytes, and
        // the status's index.
        closure: |a| a.machine_id() == MACHINE.as_bytes() && a.status_index() == Some(SUCCEEDED),
    };
    let by_compact = rows.iter().filter(|a| compact_filter.matches(a)).count();
    let by_compact_closure = rows.iter().filter(|a| (compact.closure)(a)).count();
    let by_actions = data.iter().filter(|a| compiled[1].matches(a)).count();
    assert_eq!((by_compact, by_compact_closure), (by_actions, by_actions));
    println!(
        "compact entities: {} bytes each, {by_compact} selected",
        std::mem::size_of::<CompactAction>()
    );

    let mut c = Criterion::default().configure_from_args();
    for round in 1..=ROUNDS {
        pairs(&mut c, round, &data, &cases, &compiled);
        scaling(&mut c, round, &actions, &compact);
    }
    c.final_summary();

    println!("\n== eval summary (criterion medians, {ENTITIES} entities, the median round of {ROUNDS} by ratio)");
    println!(
        "| filter | compiled / entity | closure / entity | compiled ÷ closure (rounds) | ≤ 2× |"
    );
    println!("|---|---:|---:|---:|---|");
    for (name, filter, _) in &cases {
        let f = round_medians("eval", &format!("filter-{name}"), ROUNDS, since);
        let h = round_medians("eval", &format!("closure-{name}"), ROUNDS, since);
        let Some(((f, h), ratios)) = f.zip(h).and_then(|(f, h)| median_round_ratio(&f, &h)) else {
            continue;
        };
        let ratios: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
        let n = ENTITIES as f64;
        println!(
            "| `{filter}` | {} | {} | {:.2}× ({}) | {} |",
            human(f / n),
            human(h / n),
            f / h,
            ratios.join(", "),
            if f <= 2.0 * h { "met" } else { "missed" }
        );
    }
    print_scaling("MachineActions", actions.prefix, &cases[1].1, since);
    print_scaling("compact entities", compact.prefix, &cases[1].1, since);
}
