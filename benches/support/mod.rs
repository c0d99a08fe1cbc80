//! Shared by the criterion benches: the corpus, reading back the medians
//! criterion measured in this run so a bench can print summary statistics
//! (p50, slowest) over many per-item benchmarks, and the naming and reading
//! of interleaved rounds.
//!
//! # Rounds
//!
//! The machine is shared and its speed drifts over seconds: two benchmarks
//! measured one after the other can differ by the drift between them. So
//! the benches measure in rounds: every benchmark of a comparison briefly,
//! then all again, one criterion group per round ([`round_group`]). A ratio
//! is read within a round, where its two sides were measured seconds apart,
//! and reported from the round with the median ratio
//! ([`median_round_ratio`]); a lone cost is the median of its rounds.
//!
//! Must not know about: what is measured; each bench owns its own groups.

#![allow(dead_code)] // Each bench crate uses a part of it.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion};

/// The 300 lines of `benches/data/filters.txt`, one `$filter` expression each.
pub fn filters() -> Vec<String> {
    include_str!("../data/filters.txt")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Where criterion writes its results: `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else `target/criterion` in the package.
fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("criterion")
}

/// The median (ns) criterion measured for `group`/`id`, if it was measured
/// after `since` (an earlier run's stale estimate is no answer).
pub fn median_ns(group: &str, id: &str, since: SystemTime) -> Option<f64> {
    let path = criterion_home()
        .join(group)
        .join(id)
        .join("new")
        .join("estimates.json");
    let fresh = std::fs::metadata(&path).ok()?.modified().ok()? >= since;
    if !fresh {
        return None;
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64()
}

/// The median of `values` (sorted in place); `None` when empty.
pub fn p50(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

/// `ns` with a unit a reader takes in at a glance.
pub fn human(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// The largest deviation of `per_unit` from its first value, as a fraction
/// (the scaling targets allow 0.30); 0 when empty.
pub fn deviation(per_unit: &[f64]) -> f64 {
    let Some(&first) = per_unit.first() else {
        return 0.0;
    };
    per_unit
        .iter()
        .map(|v| (v / first - 1.0).abs())
        .fold(0.0, f64::max)
}

/// The criterion group of round `round` (from 1) of the comparison `name`.
pub fn round_group(name: &str, round: usize) -> String {
    format!("{name}-{round}")
}

/// Round `round` of a corpus comparison `name`: a group whose benchmarks
/// each read the whole corpus, measured briefly so that a round's
/// benchmarks run seconds apart.
pub fn corpus_round<'a>(
    c: &'a mut Criterion,
    name: &str,
    round: usize,
) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(round_group(name, round));
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(800));
    group
}

/// Benchmark `id`: every one of `inputs` through `parse`, each result
/// dropped as soon as it is made, as a caller would.
pub fn bench_each<T>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: &str,
    inputs: &[String],
    parse: impl Fn(&str) -> T,
) {
    group.bench_function(id, |b| {
        b.iter(|| {
            for input in inputs {
                let _ = black_box(parse(black_box(input)));
            }
        })
    });
}

/// Benchmark `id`: a count of the quotes in `inputs`, a byte at a time,
/// the floor any parser of the same text stands on.
pub fn bench_byte_scan(group: &mut BenchmarkGroup<'_, WallTime>, id: &str, inputs: &[String]) {
    group.bench_function(id, |b| {
        b.iter(|| {
            inputs
                .iter()
                .map(|input| black_box(input).bytes().filter(|&b| b == b'\'').count())
                .sum::<usize>()
        })
    });
}

/// The medians of `id` in rounds 1 to `rounds` of `name`, if every round
/// was measured in this run.
pub fn round_medians(name: &str, id: &str, rounds: usize, since: SystemTime) -> Option<Vec<f64>> {
    (1..=rounds)
        .map(|round| median_ns(&round_group(name, round), id, since))
        .collect()
}

/// Round by round, `a / b`: the two sides of the round with the median
/// ratio, and every round's ratio, sorted.
pub fn median_round_ratio(a: &[f64], b: &[f64]) -> Option<((f64, f64), Vec<f64>)> {
    let mut rounds: Vec<(f64, f64)> = a.iter().copied().zip(b.iter().copied()).collect();
    rounds.sort_by(|x, y| (x.0 / x.1).total_cmp(&(y.0 / y.1)));
    let median = *rounds.get(rounds.len() / 2)?;
    Some((median, rounds.iter().map(|(x, y)| x / y).collect()))
}

/// Prints, for each of `ids` in the rounds of `name`, its cost per item
/// (of `items`) and its ratio to `baseline` in the round with the median
/// ratio, with every round's ratio.
pub fn print_ratios(
    name: &str,
    baseline: &str,
    ids: &[&str],
    rounds: usize,
    items: usize,
    since: SystemTime,
) {
    println!("\n== {name} summary (criterion medians, the median round of {rounds} by ratio)");
    let Some(base) = round_medians(name, baseline, rounds, since) else {
        println!("not measured in this run; run without a filter");
        return;
    };
    for id in ids {
        let Some(((cost, base), ratios)) =
            round_medians(name, id, rounds, since).and_then(|m| median_round_ratio(&m, &base))
        else {
            continue;
        };
        let ratios: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
        println!(
            "{id}: {} per item, {:.2}× {baseline} ({} per item); rounds {}",
            human(cost / items as f64),
            cost / base,
            human(base / items as f64),
            ratios.join(", ")
        );
    }
}
