//! Sample data: the three MachineActions of the Defender docs' "List
//! MachineActions API" Example 1, which `eval` answers queries over when no
//! `--data` is given.
//!
//! Owns: the embedded copy of that response (`data/example1.json`, verbatim
//! from the docs page, including its `lastUpdateTimeUtc` spelling). Must not
//! know about: queries or their evaluation.

use serde::Deserialize;

use crate::model::MachineAction;

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
