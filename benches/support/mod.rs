//! Shared by the criterion benches: the corpus, and reading back the
//! medians criterion measured in this run so a bench can print summary
//! statistics (p50, slowest) over many per-item benchmarks.
//!
//! Must not know about: what is measured; each bench owns its own groups.

#![allow(dead_code)] // Each bench crate uses a part of it.

use std::path::PathBuf;
use std::time::SystemTime;

/// The 300 lines of `benches/data/filters.txt`, one `$filter` expression each.
pub fn filters() -> Vec<String> {
    include_str!("../data/filters.txt")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Where criterion writes its results: `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else `target/criterion` in the package.
fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("criterion")
}

/// The median (ns) criterion measured for `group`/`id`, if it was measured
/// after `since` (an earlier run's stale estimate is no answer).
pub fn median_ns(group: &str, id: &str, since: SystemTime) -> Option<f64> {
    let path = criterion_home()
        .join(group)
        .join(id)
        .join("new")
        .join("estimates.json");
    let fresh = std::fs::metadata(&path).ok()?.modified().ok()? >= since;
    if !fresh {
        return None;
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64()
}

/// The median of `values` (sorted in place); `None` when empty.
pub fn p50(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

/// `ns` with a unit a reader takes in at a glance.
pub fn human(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}
