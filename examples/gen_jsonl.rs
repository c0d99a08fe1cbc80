//! Writes N MachineActions as JSON Lines on stdout, for measuring `eval`
//! over large data: `cargo run --release --example gen_jsonl -- 1000000 > /tmp/big.jsonl`.
//!
//! The entities are deterministic (no randomness needed): ids, machines,
//! statuses, types and creation times cycle, and some optional properties
//! are null, so filters and the default order have work to do.

use std::io::{self, BufWriter, Write};

const STATUSES: [&str; 6] = [
    "Pending",
    "InProgress",
    "Succeeded",
    "Failed",
    "TimeOut",
    "Cancelled",
];
const TYPES: [&str; 4] = [
    "RunAntiVirusScan",
    "Isolate",
    "CollectInvestigationPackage",
    "StopAndQuarantineFile",
];

fn main() -> io::Result<()> {
    let count: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000);
    let mut out = BufWriter::new(io::stdout().lock());
    for i in 0..count {
        // Creation times spread over ~11 days, in a scrambled order.
        let seconds = (i.wrapping_mul(7_919)) % 1_000_000;
        let (day, rest) = (4 + seconds / 86_400, seconds % 86_400);
        let created = format!(
            "2018-12-{:02}T{:02}:{:02}:{:02}.{:07}Z",
            day,
            rest / 3600,
            rest % 3600 / 60,
            rest % 60,
            i % 10_000_000
        );
        let scope = if i % 3 == 0 {
            "null".to_string()
        } else {
            "\"Full\"".to_string()
        };
        writeln!(
            out,
            "{{\"id\":\"{:08x}-1ccc-4342-acf3-{:012x}\",\"type\":\"{}\",\"scope\":{scope},\"requestor\":\"analyst{}@contoso.com\",\"requestorComment\":\"generated\",\"status\":\"{}\",\"machineId\":\"{:040x}\",\"computerDnsName\":\"desktop-{}\",\"creationDateTimeUtc\":\"{created}\",\"lastUpdateDateTimeUtc\":\"{created}\",\"relatedFileInfo\":null}}",
            i,
            i,
            TYPES[(i % 4) as usize],
            i % 17,
            STATUSES[(i % 6) as usize],
            i % 1_000,
            i % 1_000,
        )?;
    }
    out.flush()
}
