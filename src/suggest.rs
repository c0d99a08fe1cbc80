//! Did-you-mean: the one rule every "no such name" message uses, for
//! option names, function names, property names and enum values alike.
//!
//! Owns: the metric (Damerau–Levenshtein edit distance, ignoring case, so a
//! swapped pair of letters counts as one edit), the threshold, and the
//! length cap. Must not know about: what the names are.

/// Names longer than this get no suggestion. Every candidate (option,
/// function, property and enum value names) is short, so a plausible typo
/// of one is short too, and the distance costs time in the name's length.
const MAX_NAME_LEN: usize = 40;

/// The candidate nearest to `name`, ignoring case, when it is near enough
/// to be a plausible typo: at most two edits, or a quarter of the
/// candidate's length for long names, and fewer than half its letters (so
/// `$x` does not suggest `$id`). Ties go to the earlier candidate.
pub(crate) fn nearest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    if name.len() > MAX_NAME_LEN {
        return None;
    }
    let name = name.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            let distance = strsim::damerau_levenshtein(&name, &candidate.to_lowercase());
            (distance, candidate)
        })
        .filter(|&(distance, candidate)| {
            let len = candidate.chars().count();
            distance <= (len / 4).max(2) && distance * 2 < len
        })
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::nearest;

    const NAMES: [&str; 6] = [
        "id",
        "status",
        "machineId",
        "creationDateTimeUtc",
        "$top",
        "Succeeded",
    ];

    #[test]
    fn typos_find_their_name() {
        for (typo, name) in [
            ("machinId", "machineId"),
            ("statsu", "status"),
            ("STATUS", "status"),
            ("Succeded", "Succeeded"),
            ("succeeded", "Succeeded"),
            ("$stop", "$top"),
            ("top", "$top"),
            ("creationDatetime", "creationDateTimeUtc"),
            ("creationDateTimeUTC", "creationDateTimeUtc"),
            ("machineid", "machineId"),
        ] {
            assert_eq!(nearest(typo, NAMES), Some(name), "{typo}");
        }
    }

    #[test]
    fn unrelated_names_find_nothing() {
        for other in ["x", "$x", "title", "requestor", "", "zzzzzzzz", "creation"] {
            assert_eq!(nearest(other, NAMES), None, "{other}");
        }
        assert_eq!(nearest(&"a".repeat(41), ["a"]), None, "over the length cap");
    }

    #[test]
    fn the_nearest_wins_and_ties_go_to_the_first() {
        assert_eq!(nearest("stat", ["state", "status"]), Some("state"));
        assert_eq!(
            nearest("ab", ["ax", "ay"]),
            None,
            "one edit of two letters is too many"
        );
        assert_eq!(nearest("abcd", ["abcx", "abcy"]), Some("abcx"));
    }
}
