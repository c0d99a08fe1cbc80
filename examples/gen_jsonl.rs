//! Writes N MachineActions as JSON Lines on stdout, for measuring `eval`
//! over large data: `cargo run --release --example gen_jsonl -- 1000000 > /tmp/big.jsonl`.
//! The actions are [`sample::write_generated_json_lines`]'s.

use std::io;

use defender_odata::sample;

fn main() -> io::Result<()> {
    let count: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000);
    sample::write_generated_json_lines(count, io::stdout().lock())
}
