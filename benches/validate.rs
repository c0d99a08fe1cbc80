//! Validation bench: the 300 corpus filters, parsed once before timing, each
//! validated against the built-in MachineAction schema.
//!
//! Baselines measured in the same run: parsing the same 300 lines (so the
//! claim is "validation costs x% of parsing"), and `Query::clone`, which
//! validation does once per query to canonicalize names. All three are
//! measured in [`ROUNDS`] interleaved rounds (see `support`), and the
//! summary prints each ratio from the round with the median ratio.

mod support;

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::Criterion;
use defender_odata::{machine_actions, parse, parse_filter, validate, Query};
use support::round_group;

const ROUNDS: usize = 5;

fn queries(lines: &[String]) -> Vec<Query> {
    lines
        .iter()
        .filter_map(|line| {
            let filter = parse_filter(line).ok()?;
            parse(&format!("$filter={}", filter.to_query_string())).ok()
        })
        .collect()
}

fn bench(c: &mut Criterion, round: usize, lines: &[String], queries: &[Query]) {
    let mut group = c.benchmark_group(round_group("validate", round));
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    group.bench_function("validate", |b| {
        b.iter(|| {
            for q in queries {
                let _ = black_box(validate(black_box(q), machine_actions()));
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
    group.bench_function("baseline clone", |b| {
        b.iter(|| {
            for q in queries {
                black_box(black_box(q).clone());
            }
        })
    });
    group.finish();
}

fn main() {
    let since = SystemTime::now();
    let lines = support::filters();
    let queries = queries(&lines);
    let valid = queries
        .iter()
        .filter(|q| validate(q, machine_actions()).is_ok())
        .count();
    println!(
        "validate: {} of {} parsed corpus filters validate against MachineAction",
        valid,
        queries.len()
    );
    let mut c = Criterion::default().configure_from_args();
    for round in 1..=ROUNDS {
        bench(&mut c, round, &lines, &queries);
    }
    c.final_summary();
    support::print_ratios(
        "validate",
        "baseline parse_filter",
        &["validate", "baseline clone"],
        ROUNDS,
        lines.len(),
        since,
    );
}
