//! Replays files (a fuzz corpus directory, say) through the parser and the
//! whole check + evaluate pipeline, and prints the slowest inputs: the
//! check behind the fuzz target "no input takes over 100 ms", with the
//! time of each input measured alone rather than inferred from libFuzzer's
//! timeout.
//!
//! ```console
//! $ cargo run --release --example slowest_input -- fuzz/corpus/parse_filter
//! ```

use std::time::{Duration, Instant};

use defender_odata::eval::CompiledQuery;
use defender_odata::model::MachineAction;
use defender_odata::{machine_actions, parse, parse_filter, sample, validate};

fn main() {
    let mut timings: Vec<(Duration, String)> = Vec::new();
    let data = sample::example1();
    for dir in std::env::args().skip(1) {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir}: {e}"));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            let bytes = std::fs::read(&path).expect("a readable file");
            let text = String::from_utf8_lossy(&bytes);
            // The least of three runs: a shared machine preempts a process
            // for whole scheduler slices (milliseconds), which says nothing
            // about the input.
            let took = (0..3).map(|_| pipeline(&text, &data)).min();
            timings.push((took.unwrap_or_default(), path.display().to_string()));
        }
    }
    timings.sort();
    println!("{} inputs", timings.len());
    for (took, path) in timings.iter().rev().take(5) {
        println!("{took:>12.3?}  {path}");
    }
}

/// Parses `text` as a filter and as a query; a query that validates is
/// compiled and run over `data`. Returns how long that took.
fn pipeline(text: &str, data: &[MachineAction]) -> Duration {
    let started = Instant::now();
    let _ = parse_filter(text);
    if let Ok(query) = parse(text) {
        if let Ok(valid) = validate(&query, machine_actions()) {
            if let Ok(compiled) = CompiledQuery::<MachineAction>::compile(&valid) {
                let _ = compiled.run(data.iter().cloned());
            }
        }
    }
    started.elapsed()
}
