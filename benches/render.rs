//! Render bench: the 300 corpus filters, parsed once before timing, written
//! back in both canonical forms (SPEC §7): `Display` (human) and
//! `to_query_string` (percent-encoded).
//!
//! Baselines measured in the same run: parsing the same 300 lines, and
//! copying the 300 source texts into new `String`s (the least any writer of
//! the same bytes must do).

mod support;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use defender_odata::parse_filter;

fn bench(c: &mut Criterion) {
    let lines = support::filters();
    let trees: Vec<_> = lines.iter().filter_map(|l| parse_filter(l).ok()).collect();
    let bytes: usize = trees.iter().map(|t| t.to_string().len()).sum();
    let mut group = c.benchmark_group("render");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("to_string", |b| {
        b.iter(|| {
            for t in &trees {
                black_box(black_box(t).to_string());
            }
        })
    });
    group.bench_function("to_query_string", |b| {
        b.iter(|| {
            for t in &trees {
                black_box(black_box(t).to_query_string());
            }
        })
    });
    group.bench_function("baseline parse_filter", |b| {
        b.iter(|| {
            for line in &lines {
                let _ = black_box(parse_filter(black_box(line)));
            }
        })
    });
    group.bench_function("baseline string copy", |b| {
        b.iter(|| {
            for line in &lines {
                black_box(black_box(line.as_str()).to_owned());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
