//! Render bench: the 300 corpus filters, parsed once before timing, written
//! back in both canonical forms: `Display` (human) and
//! `to_query_string` (percent-encoded).
//!
//! Baselines measured in the same run: parsing the same 300 lines, and
//! copying the 300 source texts into new `String`s (the least any writer of
//! the same bytes must do). All are measured in [`ROUNDS`] interleaved
//! rounds (see `support`), and the summary prints each ratio to parsing
//! from the round with the median ratio.

mod support;

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, Throughput};
use defender_odata::{parse_filter, FilterExpr};

const ROUNDS: usize = 5;

fn bench(c: &mut Criterion, round: usize, lines: &[String], trees: &[FilterExpr]) {
    let bytes: usize = trees.iter().map(|t| t.to_string().len()).sum();
    let mut group = c.benchmark_group(support::round_group("render", round));
    group
        .throughput(Throughput::Bytes(bytes as u64))
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    group.bench_function("to_string", |b| {
        b.iter(|| {
            for t in trees {
                black_box(black_box(t).to_string());
            }
        })
    });
    group.bench_function("to_query_string", |b| {
        b.iter(|| {
            for t in trees {
                black_box(black_box(t).to_query_string());
            }
        })
    });
    group.bench_function("baseline parse_filter", |b| {
        b.iter(|| {
            for line in lines {
                let _ = black_box(parse_filter(black_box(line)));
            }
        })
    });
    group.bench_function("baseline string copy", |b| {
        b.iter(|| {
            for line in lines {
                black_box(black_box(line.as_str()).to_owned());
            }
        })
    });
    group.finish();
}

fn main() {
    let since = SystemTime::now();
    let lines = support::filters();
    let trees: Vec<_> = lines.iter().filter_map(|l| parse_filter(l).ok()).collect();
    let mut c = Criterion::default().configure_from_args();
    for round in 1..=ROUNDS {
        bench(&mut c, round, &lines, &trees);
    }
    c.final_summary();
    support::print_ratios(
        "render",
        "baseline parse_filter",
        &["to_string", "to_query_string", "baseline string copy"],
        ROUNDS,
        lines.len(),
        since,
    );
}
