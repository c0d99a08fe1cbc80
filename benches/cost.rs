//! Costs a query cannot blow up: the time per entity of a case-insensitive
//! `contains` as its needle grows from 10 to 1,000 characters, and of
//! `matchesPattern` as its pattern grows to the length cap, over entities
//! whose searched field is 1 KiB.
//!
//! Baselines measured in the same rounds: reading the field alone (every
//! byte of it, the floor of any search), and for `matchesPattern` the
//! `regex` crate itself on the same pattern. The summary prints each
//! series per entity, its ratio to the baseline in the same round, and how
//! far that ratio moves from its first point (the series should be flat:
//! the cost is linear in the field, whatever the needle or pattern; the
//! ratio takes the machine's drift between points out).

mod support;

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::Criterion;
use defender_odata::eval::CompiledFilter;
use defender_odata::model::MachineAction;
use defender_odata::{check_filter, machine_actions, ParseOptions};
use support::{deviation, human, median_round_ratio, round_group, round_medians};

const ROUNDS: usize = 5;
const ENTITIES: usize = 200;
const FIELD: usize = 1024;
const SIZES: [usize; 3] = [10, 100, 1000];

/// Entities whose requestor is 1 KiB of `a`s and `B`s: the worst text for a
/// naive search of a needle of `a`s ending in a letter that never comes.
fn entities() -> Vec<MachineAction> {
    (0..ENTITIES)
        .map(|i| MachineAction {
            id: Some(format!("{i}")),
            requestor: Some(
                (0..FIELD)
                    .map(|j| if (i + j) % 97 == 0 { 'B' } else { 'a' })
                    .collect(),
            ),
            ..MachineAction::default()
        })
        .collect()
}

/// A needle of `n` characters that the lower-cased field never holds.
fn needle(n: usize) -> String {
    format!("{}z", "a".repeat(n - 1))
}

/// A pattern of about `n` bytes: an alternation of distinct words, then a
/// digit, which the field never holds.
fn pattern(n: usize) -> String {
    let words = (n / 8).max(1);
    let alternation: Vec<String> = (0..words).map(|w| format!("a{w:05}b")).collect();
    format!("({})[0-9]", alternation.join("|"))
}

fn compile(filter: &str) -> CompiledFilter<MachineAction> {
    let query = check_filter(filter, machine_actions(), &ParseOptions::default())
        .unwrap_or_else(|e| panic!("{filter}: {e}"));
    CompiledFilter::compile(&query).unwrap_or_else(|e| panic!("{filter}: {e}"))
}

fn bench(c: &mut Criterion, round: usize, data: &[MachineAction]) {
    let mut group = c.benchmark_group(round_group("cost", round));
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(800));
    group.bench_function("baseline read the field", |b| {
        b.iter(|| {
            data.iter()
                .map(|a| {
                    black_box(a.requestor.as_deref().unwrap_or(""))
                        .bytes()
                        .filter(|&b| b == b'z')
                        .count()
                })
                .sum::<usize>()
        })
    });
    for n in SIZES {
        let contains = compile(&format!("contains(tolower(requestor),'{}')", needle(n)));
        group.bench_function(format!("contains tolower {n}"), |b| {
            b.iter(|| {
                data.iter()
                    .filter(|a| contains.matches(black_box(a)))
                    .count()
            })
        });
        let text = pattern(n);
        let matches = compile(&format!("matchesPattern(requestor,'{text}')"));
        group.bench_function(format!("matchesPattern {n}"), |b| {
            b.iter(|| {
                data.iter()
                    .filter(|a| matches.matches(black_box(a)))
                    .count()
            })
        });
        let regex = regex::Regex::new(&text).expect("the same pattern");
        group.bench_function(format!("baseline regex {n}"), |b| {
            b.iter(|| {
                data.iter()
                    .filter(|a| regex.is_match(black_box(a.requestor.as_deref().unwrap_or(""))))
                    .count()
            })
        });
    }
    group.finish();
}

/// One series: its cost per entity at each size (the median round by ratio
/// to `baseline`), the ratios, and its largest deviation from the first.
fn print_series(
    label: &str,
    id: impl Fn(usize) -> String,
    baseline: impl Fn(usize) -> String,
    since: SystemTime,
) {
    let mut ratios = Vec::new();
    for n in SIZES {
        let (Some(cost), Some(base)) = (
            round_medians("cost", &id(n), ROUNDS, since),
            round_medians("cost", &baseline(n), ROUNDS, since),
        ) else {
            println!("{label}: not measured in this run; run without a filter");
            return;
        };
        let Some(((cost, base), _)) = median_round_ratio(&cost, &base) else {
            return;
        };
        ratios.push(cost / base);
        println!(
            "{label} {n:>5}: {} an entity, {:.2}× {} ({} an entity)",
            human(cost / ENTITIES as f64),
            cost / base,
            baseline(n),
            human(base / ENTITIES as f64)
        );
    }
    println!(
        "{label}: the ratio's largest deviation from the {}-character point: {:.0}%",
        SIZES[0],
        deviation(&ratios) * 100.0
    );
}

fn main() {
    let since = SystemTime::now();
    let data = entities();
    let mut c = Criterion::default().configure_from_args();
    for round in 1..=ROUNDS {
        bench(&mut c, round, &data);
    }
    c.final_summary();
    println!("\n== cost summary ({ENTITIES} entities, a {FIELD}-byte field, the median round of {ROUNDS})");
    print_series(
        "contains(tolower(x),needle)",
        |n| format!("contains tolower {n}"),
        |_| "baseline read the field".to_owned(),
        since,
    );
    print_series(
        "matchesPattern(x,pattern)",
        |n| format!("matchesPattern {n}"),
        |n| format!("baseline regex {n}"),
        since,
    );
}
