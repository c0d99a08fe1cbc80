//! Parser benches over our corpus (`benches/data/filters.txt`, 300 realistic
//! MachineActions filters): the whole corpus, and each line on its own.
//!
//! The baseline measured in the same run is a plain byte scan of the same
//! text (counting quotes), the least any parser must do; ratios against it
//! stay meaningful on a noisy shared machine.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn corpus() -> Vec<String> {
    let text = include_str!("data/filters.txt");
    text.lines().map(str::to_owned).collect()
}

fn parse_corpus(c: &mut Criterion) {
    let lines = corpus();
    let bytes: usize = lines.iter().map(String::len).sum();
    let mut group = c.benchmark_group("corpus");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("parse_filter/all 300 lines", |b| {
        b.iter(|| {
            for line in &lines {
                let _ = black_box(defender_odata::parse_filter(black_box(line)));
            }
        })
    });
    group.bench_function("baseline: byte scan/all 300 lines", |b| {
        b.iter(|| {
            let mut quotes = 0usize;
            for line in &lines {
                quotes += black_box(line).bytes().filter(|&b| b == b'\'').count();
            }
            quotes
        })
    });
    group.finish();
}

fn parse_each_line(c: &mut Criterion) {
    let lines = corpus();
    let mut group = c.benchmark_group("line");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(20))
        .measurement_time(Duration::from_millis(60));
    for (i, line) in lines.iter().enumerate() {
        group.bench_function(format!("{:03}", i + 1), |b| {
            b.iter(|| black_box(defender_odata::parse_filter(black_box(line))))
        });
    }
    group.finish();
}

criterion_group!(benches, parse_corpus, parse_each_line);
criterion_main!(benches);
