//! Sample data: the three MachineActions of the Defender docs' "List
//! MachineActions API" Example 1, which `eval` answers queries over when no
//! `--data` is given.
//!
//! Owns: the embedded copy of that response (`data/example1.json`, verbatim
//! from the docs page, including its `lastUpdateTimeUtc` spelling), and
//! the generated actions that measurements run over
//! ([`write_generated_json_lines`]). Must not know about: queries or their
//! evaluation.

use std::io::{self, Write};

use serde::Deserialize;

use crate::model::{ActionStatus, MachineAction};

/// The docs' Example 1 response body, byte for byte: an OData response
/// object whose `value` holds the three MachineActions.
pub const EXAMPLE1_JSON: &str = include_str!("../data/example1.json");

/// The three MachineActions of the docs' Example 1, in the docs' order.
pub fn example1() -> Vec<MachineAction> {
    #[derive(Deserialize)]
    struct Response {
        value: Vec<MachineAction>,
    }
    // The text is a compile-time constant that the tests read through this
    // function, so a failure here is a broken build, never bad input.
    serde_json::from_str::<Response>(EXAMPLE1_JSON)
        .expect("data/example1.json is a valid MachineActions response")
        .value
}

/// Writes `count` generated MachineActions to `out` as JSON Lines: what
/// the benchmarks and CI measure `eval`, `load` and `eval --db` over.
///
/// They are deterministic: ids, 1,000 machines, 17 requestors, statuses,
/// types and creation times (over ~11 days, in a scrambled order, with
/// seven fraction digits) cycle, and `scope` is null for a third.
///
/// # Errors
///
/// When `out` fails.
pub fn write_generated_json_lines(count: u64, out: impl Write) -> io::Result<()> {
    let mut out = io::BufWriter::new(out);
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
            GENERATED_TYPES[(i % 4) as usize],
            i % 17,
            ActionStatus::NAMES[(i % ActionStatus::NAMES.len() as u64) as usize],
            i % 1_000,
            i % 1_000,
        )?;
    }
    out.flush()
}

const GENERATED_TYPES: [&str; 4] = [
    "RunAntiVirusScan",
    "Isolate",
    "CollectInvestigationPackage",
    "StopAndQuarantineFile",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example1_has_the_three_actions_in_docs_order() {
        let ids: Vec<_> = example1().into_iter().filter_map(|a| a.id).collect();
        assert_eq!(
            ids,
            [
                "69dc3630-1ccc-4342-acf3-35286eec741d",
                "2e9da30d-27f6-4208-81f2-9cd3d67893ba",
                "44cffc15-0e3d-4cbf-96aa-bf76f9b27f5e",
            ]
        );
    }
}
