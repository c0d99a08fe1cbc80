//! How far the parser is from the floor of its design: our `parse_filter`
//! against a stripped-down parser of the same design, on the corpus lines
//! the stripped one accepts, in the same run.
//!
//! The stripped parser ([`floor`]) is an experiment, not a product: a
//! precedence-climbing parser that builds the same kind of tree (32-byte
//! nodes in one `Vec`, lists as runs moved from a scratch stack, a copy of
//! the text), with the allocations of ours (the nodes, the text, and the
//! scratch stack once a list or a call needs it). It reads what most of the
//! corpus is made of (names, strings, integers, dates and date-times,
//! comparisons, `in`, `and`/`or`/`not`, parentheses, calls) and leaves out
//! the rest of the grammar: GUIDs, arithmetic, lambdas, paths, qualified and
//! Unicode names, tabs, the Strict dialect, the node limit, the flat
//! `and`/`or` chains, and every diagnostic beyond a position. It accepts
//! 274 of the 300 lines.
//!
//! Our parse target is a mean of 300 ns a line; this bench
//! shows what a parser that does much less costs on this machine. Run with
//! `cargo bench --bench parse_floor`.

mod floor;
mod support;

use std::time::SystemTime;

use criterion::Criterion;
use support::{bench_byte_scan, bench_each, corpus_round, print_ratios};

/// Rounds of the corpus group (see `support`): each ratio is read within a
/// round.
const ROUNDS: usize = 7;

fn main() {
    let since = SystemTime::now();
    let lines: Vec<String> = support::filters()
        .into_iter()
        .filter(|line| floor::parse(line).is_ok())
        .collect();
    let mut c = Criterion::default().configure_from_args();
    for round in 1..=ROUNDS {
        let mut group = corpus_round(&mut c, "floor-corpus", round);
        bench_each(
            &mut group,
            "parse_filter",
            &lines,
            defender_odata::parse_filter,
        );
        bench_each(&mut group, "floor", &lines, floor::parse);
        bench_byte_scan(&mut group, "byte scan", &lines);
        group.finish();
    }
    c.final_summary();
    println!("\n{} lines that the stripped parser accepts", lines.len());
    print_ratios(
        "floor-corpus",
        "floor",
        &["parse_filter", "byte scan"],
        ROUNDS,
        lines.len(),
        since,
    );
}
