//! Scaling series (issue 5 targets): does cost grow linearly?
//! - filter length 1 → 16 KiB: parse time per byte should be flat (±30%);
//! - nesting depth 10 → 100: parse time per level should be flat;
//! - entities 10k → 1M: evaluation time per entity should be flat (in
//!   `benches/eval.rs`, with the evaluator).
//!
//! Length inputs are `or` chains of the corpus lines, each in parentheses,
//! cycling through the corpus until the next line would pass the size: real
//! filters, not one term repeated. Such chains hold more nodes than the
//! default limit (1,000) allows, so that one limit is raised for this series;
//! the length limit stays at its default, 16 KiB, and every input is checked
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
//! level) at each size and the ratio of the largest to the smallest.

mod support;

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{BenchmarkId, Criterion, Throughput};
use defender_odata::{parse_filter, parse_filter_with, Limits, ParseOptions};
use support::median_ns;

const SIZES_KIB: [usize; 5] = [1, 2, 4, 8, 16];
const DEPTHS: [usize; 5] = [10, 25, 50, 75, 100];

fn long_filter(max_len: usize, lines: &[String]) -> String {
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
    ParseOptions {
        limits: Limits {
            max_nodes: usize::MAX,
            ..Limits::default()
        },
        ..ParseOptions::default()
    }
}

fn length_series(c: &mut Criterion, inputs: &[(usize, String)]) {
    let options = many_nodes();
    let mut group = c.benchmark_group("scaling-length");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_secs(1));
    for (kib, text) in inputs {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(kib), text, |b, text| {
            b.iter(|| black_box(parse_filter_with(black_box(text), &options)))
        });
    }
    group.finish();
}

fn depth_series(c: &mut Criterion, shape: &str, inputs: &[(usize, String)]) {
    let mut group = c.benchmark_group(format!("scaling-depth-{shape}"));
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_secs(1));
    for (depth, text) in inputs {
        group.throughput(Throughput::Elements(*depth as u64));
        group.bench_with_input(BenchmarkId::from_parameter(depth), text, |b, text| {
            b.iter(|| black_box(parse_filter(black_box(text))))
        });
    }
    group.finish();
}

/// Prints cost per unit at each point and the spread, largest / smallest.
fn report(title: &str, group: &str, unit: &str, points: &[(usize, usize)], since: SystemTime) {
    println!("\n== {title}");
    let mut per_unit = Vec::new();
    for &(param, units) in points {
        match median_ns(group, &param.to_string(), since) {
            Some(ns) => {
                let each = ns / units as f64;
                println!("{param:>6}: {units:>6} {unit}s, {ns:>12.0} ns, {each:.2} ns/{unit}");
                per_unit.push(each);
            }
            None => println!("{param:>6}: not measured in this run"),
        }
    }
    let max = per_unit.iter().copied().fold(f64::MIN, f64::max);
    let min = per_unit.iter().copied().fold(f64::MAX, f64::min);
    if per_unit.len() == points.len() {
        let first = per_unit[0];
        let spread = per_unit
            .iter()
            .map(|v| (v / first - 1.0).abs())
            .fold(0.0, f64::max);
        println!(
            "max/min = {:.2}×; largest deviation from the first point = {:.0}% (target ±30%: {})",
            max / min,
            spread * 100.0,
            if spread <= 0.30 { "met" } else { "missed" }
        );
    }
}

fn main() {
    let since = SystemTime::now();
    let lines = support::filters();
    let lengths: Vec<(usize, String)> = SIZES_KIB
        .iter()
        .map(|&kib| (kib, long_filter(kib * 1024, &lines)))
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
    length_series(&mut c, &lengths);
    for (shape, inputs) in &depths {
        depth_series(&mut c, shape, inputs);
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
