//! Scaling series: does cost grow linearly?
//! - filter length 1 → 16 KiB: parse time per byte should be flat (±30%);
//! - nesting depth 10 → 100: parse time per level should be flat;
//! - entities 10k → 1M: evaluation time per entity should be flat (in
//!   `benches/eval.rs`, with the evaluator).
//!
//! Length inputs are `or` chains of corpus lines, each in parentheses: a
//! block of just under 1 KiB (the corpus's first lines until the next would
//! pass the size: real filters, not one term repeated), and at k KiB that
//! block k times, joined by ` or `. Every size then holds the same mix of
//! terms, so the cost per byte can only move with the size itself. (Filling
//! each size from the corpus instead gave the larger sizes more of its long
//! lines, which cost fewer instructions per byte: 46 at 1 KiB, 35 at 16 KiB
//! by callgrind, a content effect that looked like scaling.) Such chains
//! hold more nodes than the default limit (1,000) allows, so that one limit
//! is raised for this series; the length limit stays at its default,
//! 16 KiB, and every input is checked
//! to parse before it is timed. Depth inputs nest `depth` parentheses deep,
//! with the default limits, in three shapes:
//! - `parens`: `((…(status eq 'Pending')…))`, nesting alone;
//! - `alternating`: `a eq 1 and (b eq 2 or (c eq 3 and (…)))`, a term a level;
//! - `same-op`: `a eq 1 and (b eq 2 and (…))`, a term a level, where each
//!   level's `and` chain joins the outer one (stored left-nested, so the
//!   parser keeps chains flat on an operand stack until they are finished;
//!   re-hanging finished trees made this shape quadratic in the depth).
//!
//! Each series is its own baseline: the summary prints the cost per byte (per
//! level) at each size and the largest deviation from the first point.
//!
//! The machine is shared and its speed drifts over seconds, so a series
//! measured one point after another can show a "deviation" that is only the
//! drift between two points. Each series is measured in [`ROUNDS`]
//! interleaved rounds (every point briefly, then again), and a point's cost
//! is the median of its rounds; the summary prints each round's own
//! deviation too.

mod support;

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{BenchmarkId, Criterion, Throughput};
use defender_odata::{parse_filter, parse_filter_with, Limits, ParseOptions};
use support::{deviation, median_ns, p50, round_group};

const SIZES_KIB: [usize; 5] = [1, 2, 4, 8, 16];
const DEPTHS: [usize; 5] = [10, 25, 50, 75, 100];

/// How many times every series is measured; see the module docs.
const ROUNDS: usize = 9;

/// The block: corpus lines in parentheses, joined by ` or `, up to `max_len`.
fn block(max_len: usize, lines: &[String]) -> String {
    let mut out = String::new();
    for line in lines.iter().cycle() {
        let sep = if out.is_empty() { "" } else { " or " };
        if out.len() + sep.len() + line.len() + 2 > max_len {
            if out.len() + 64 > max_len || line.len() < 64 {
                break;
            }
            continue;
        }
        out += sep;
        out.push('(');
        out += line;
        out.push(')');
    }
    out
}

/// `kib` copies of the block, joined by ` or `.
fn long_filter(kib: usize, block: &str) -> String {
    vec![block; kib].join(" or ")
}

/// Builds the text of one shape at a depth.
type Shape = fn(usize) -> String;

/// The depth shapes: name, and the text at a depth.
const SHAPES: [(&str, Shape); 3] = [
    ("parens", |depth| {
        format!(
            "{}status eq 'Pending'{}",
            "(".repeat(depth),
            ")".repeat(depth)
        )
    }),
    ("alternating", |depth| {
        let mut out = String::new();
        for level in 0..depth {
            let op = if level % 2 == 0 { "and" } else { "or" };
            out += &format!("status eq 'Pending' {op} (");
        }
        out + "type eq 'Isolate'" + &")".repeat(depth)
    }),
    ("same-op", |depth| {
        "status eq 'Pending' and (".repeat(depth) + "type eq 'Isolate'" + &")".repeat(depth)
    }),
];

fn many_nodes() -> ParseOptions {
    ParseOptions::default().with_limits(Limits::default().with_max_nodes(usize::MAX))
}

fn length_series(c: &mut Criterion, inputs: &[(usize, String)], round: usize) {
    let options = many_nodes();
    let mut group = c.benchmark_group(round_group("scaling-length", round));
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_millis(300));
    for (kib, text) in inputs {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(kib), text, |b, text| {
            b.iter(|| black_box(parse_filter_with(black_box(text), &options)))
        });
    }
    group.finish();
}

fn depth_series(c: &mut Criterion, shape: &str, inputs: &[(usize, String)], round: usize) {
    let mut group = c.benchmark_group(round_group(&format!("scaling-depth-{shape}"), round));
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_millis(300));
    for (depth, text) in inputs {
        group.throughput(Throughput::Elements(*depth as u64));
        group.bench_with_input(BenchmarkId::from_parameter(depth), text, |b, text| {
            b.iter(|| black_box(parse_filter(black_box(text))))
        });
    }
    group.finish();
}

/// Prints each point's cost per unit (the median of its rounds), the
/// series' largest deviation from the first point, and each round's own.
fn report(title: &str, series: &str, unit: &str, points: &[(usize, usize)], since: SystemTime) {
    println!("\n== {title}");
    // rounds[r][i]: the cost per unit of point i in round r.
    let rounds: Vec<Vec<f64>> = (1..=ROUNDS)
        .filter_map(|round| {
            let group = round_group(series, round);
            points
                .iter()
                .map(|&(param, units)| {
                    Some(median_ns(&group, &param.to_string(), since)? / units as f64)
                })
                .collect()
        })
        .collect();
    if rounds.is_empty() {
        println!("not measured in this run; run without a filter");
        return;
    }
    let mut per_unit = Vec::new();
    for (i, &(param, units)) in points.iter().enumerate() {
        let mut costs: Vec<f64> = rounds.iter().map(|round| round[i]).collect();
        let each = p50(&mut costs).unwrap_or(f64::NAN);
        println!(
            "{param:>6}: {units:>6} {unit}s, {:>12.0} ns, {each:.2} ns/{unit} (rounds {:.2}–{:.2})",
            each * units as f64,
            costs[0],
            costs[costs.len() - 1],
        );
        per_unit.push(each);
    }
    let by_round: Vec<String> = rounds
        .iter()
        .map(|round| format!("{:.0}%", deviation(round) * 100.0))
        .collect();
    let spread = deviation(&per_unit);
    println!(
        "largest deviation from the first point = {:.0}% (target ±30%: {}); each round's own: {}",
        spread * 100.0,
        if spread <= 0.30 { "met" } else { "missed" },
        by_round.join(", ")
    );
}

fn main() {
    let since = SystemTime::now();
    let lines = support::filters();
    // 16 blocks and 15 separators must stay within the 16 KiB limit.
    let block = block(1020, &lines);
    let lengths: Vec<(usize, String)> = SIZES_KIB
        .iter()
        .map(|&kib| (kib, long_filter(kib, &block)))
        .collect();
    let depths: Vec<(&str, Vec<(usize, String)>)> = SHAPES
        .iter()
        .map(|&(shape, make)| (shape, DEPTHS.iter().map(|&d| (d, make(d))).collect()))
        .collect();
    let options = many_nodes();
    for (kib, text) in &lengths {
        if let Err(e) = parse_filter_with(text, &options) {
            panic!("the {kib} KiB input must parse: {e}");
        }
    }
    for (shape, inputs) in &depths {
        for (depth, text) in inputs {
            if let Err(e) = parse_filter(text) {
                panic!("the depth-{depth} {shape} input must parse: {e}");
            }
        }
    }
    let mut c = Criterion::default().configure_from_args();
    for round in 1..=ROUNDS {
        length_series(&mut c, &lengths, round);
        for (shape, inputs) in &depths {
            depth_series(&mut c, shape, inputs, round);
        }
    }
    c.final_summary();
    let points = |v: &[(usize, String)], units: fn(usize, &str) -> usize| {
        v.iter()
            .map(|(p, t)| (*p, units(*p, t)))
            .collect::<Vec<_>>()
    };
    report(
        "parse time per byte, 1 → 16 KiB",
        "scaling-length",
        "byte",
        &points(&lengths, |_, t| t.len()),
        since,
    );
    for (shape, inputs) in &depths {
        report(
            &format!("parse time per nesting level, 10 → 100 ({shape})"),
            &format!("scaling-depth-{shape}"),
            "level",
            &points(inputs, |d, _| d),
            since,
        );
    }
}
