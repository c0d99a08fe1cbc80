//! The differential harness of the database back ends: generated
//! MachineActions and generated queries of everything the SQL translation
//! supports, answered by the in-memory evaluator and by a [`Store`]; the
//! two responses must be equal, JSON for JSON (ids, order, `@odata.count`,
//! `@odata.nextLink`). Used by `tests/store.rs` (SQLite) and
//! `tests/postgres.rs`.

use defender_odata::eval::CompiledQuery;
use defender_odata::model::{MachineAction, Timestamp};
use defender_odata::store::Store;
use defender_odata::{check, machine_actions, ParseOptions};
use proptest::prelude::*;

/// Values with the corners SQL gets wrong: case, non-ASCII (and case
/// mappings that change length), LIKE wildcards, quotes, backslashes,
/// prefixes of each other, the largest code point.
pub const STRINGS: &[&str] = &[
    "",
    "a",
    "A",
    "ab",
    "Ab",
    "aB",
    "abc",
    "abd",
    "é",
    "É",
    "İ",
    "ß",
    "SS",
    "ǅ",
    "ﬃ",
    "Σσς",
    "50%",
    "5000",
    "a_b",
    "axb",
    "%",
    "_",
    "it's",
    "x'y",
    "back\\slash",
    "\\",
    "Straße",
    "STRASSE",
    "日本",
    "😀x",
    "a\u{10FFFF}",
    "Pending",
    "pending",
    "PENDING",
    " a ",
];

/// Literals: the values above, and text with U+0000, which no stored
/// value holds.
const LITERALS: &[&str] = &["a\u{0}", "\u{0}", "ab\u{0}c", "50%"];

/// Instants with 0 to 7 fraction digits and offsets, equal ones written
/// differently, and neighbours a tick apart.
pub const INSTANTS: &[&str] = &[
    "2018-12-04T00:00:00Z",
    "2018-12-04T02:00:00+02:00",
    "2018-12-03T23:00:00.0000000-01:00",
    "2018-12-03T23:59:59.9999999Z",
    "2018-12-03T23:59:59.999999Z",
    "2018-12-03T23:59:59.99999999Z",
    "2018-12-04T12:43:57.2011911Z",
    "2018-12-04T12:43:57.2Z",
    "2018-12-04T12:43:57.20Z",
    "2018-12-04T13:43:57.201+01:00",
    "2019-01-01T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "1969-12-31T23:59:59.5Z",
    "2017-06-15T08:05:09.5+05:30",
];
const DATES: &[&str] = &["2018-12-04", "2019-01-01", "1970-01-01"];
const TEXT_PROPS: &[&str] = &["id", "type", "status", "machineId", "requestor"];

fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn string_literal() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(STRINGS).prop_map(quoted),
        1 => prop::sample::select(LITERALS).prop_map(quoted),
    ]
}

fn string_expr() -> impl Strategy<Value = String> {
    (
        prop::sample::select(&["", "tolower", "toupper"][..]),
        prop::sample::select(TEXT_PROPS),
    )
        .prop_map(|(f, p)| {
            if f.is_empty() {
                p.to_owned()
            } else {
                format!("{f}({p})")
            }
        })
}

fn comparison() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&["eq", "ne", "gt", "ge", "lt", "le"][..])
}

fn instant_operand() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(INSTANTS).prop_map(String::from),
        prop::sample::select(DATES).prop_map(String::from),
        Just("null".to_owned()),
        Just("creationDateTimeUtc".to_owned()),
        Just("now()".to_owned()),
        Just("2018-12-05T00:00:00Z sub duration'PT12H'".to_owned()),
    ]
}

fn leaf_condition() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            string_expr(),
            comparison(),
            prop_oneof![string_literal(), Just("null".into()), string_expr()]
        )
            .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
        (string_literal(), comparison(), string_expr())
            .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
        (instant_operand(), comparison(), instant_operand())
            .prop_filter("reads a property", |(a, _, b)| {
                a.contains("creation") || b.contains("creation")
            })
            .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
        (
            string_expr(),
            prop::collection::vec(prop_oneof![string_literal(), Just("null".into())], 1..4)
        )
            .prop_map(|(a, items)| format!("{a} in ({})", items.join(","))),
        (
            prop::sample::select(&["startswith", "endswith", "contains"][..]),
            string_expr(),
            prop_oneof![string_literal(), string_expr(), Just("null".into())]
        )
            .prop_map(|(f, a, b)| format!("{f}({a},{b})")),
        (
            prop::sample::select(&["startswith", "endswith", "contains"][..]),
            string_literal(),
            string_expr(),
        )
            .prop_filter("no U+0000 searched in", |(_, a, _)| !a.contains('\0'))
            .prop_map(|(f, a, b)| format!("{f}({a},{b})")),
        (string_expr(), comparison(), -1i64..8)
            .prop_map(|(a, op, n)| format!("length({a}) {op} {n}")),
        (
            string_expr(),
            prop_oneof![string_literal(), string_expr()],
            comparison(),
            -1i64..4
        )
            .prop_map(|(a, l, op, n)| format!("indexof({a},{l}) {op} {n}")),
        prop::sample::select(&["true", "false", "null", "1 eq 1"][..]).prop_map(String::from),
    ]
}

/// A `$filter` of the supported constructs, `and`/`or`/`not` nested.
pub fn condition() -> impl Strategy<Value = String> {
    leaf_condition().prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) and ({b})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("{a} or {b} or {c}")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

fn order_key() -> impl Strategy<Value = String> {
    (
        prop_oneof![string_expr(), Just("creationDateTimeUtc".to_owned())],
        prop::sample::select(&["", " asc", " desc"][..]),
    )
        .prop_map(|(k, d)| format!("{k}{d}"))
}

/// A whole query: a filter, maybe `$orderby`, `$skip`, `$top`, `$count`.
pub fn query() -> impl Strategy<Value = String> {
    (
        prop::option::of(condition()),
        prop::option::of(prop::collection::vec(order_key(), 1..3)),
        prop::option::of(0i64..6),
        prop::option::of(0i64..7),
        any::<bool>(),
    )
        .prop_map(|(filter, order, skip, top, count)| {
            let mut options = Vec::new();
            if let Some(filter) = filter {
                let encoded = filter
                    .replace('%', "%25")
                    .replace('&', "%26")
                    .replace('+', "%2B")
                    .replace('\0', "%00");
                options.push(format!("$filter={encoded}"));
            }
            if let Some(order) = order {
                options.push(format!("$orderby={}", order.join(",")));
            }
            if let Some(skip) = skip {
                options.push(format!("$skip={skip}"));
            }
            if let Some(top) = top {
                options.push(format!("$top={top}"));
            }
            if count {
                options.push("$count=true".into());
            }
            options.join("&")
        })
}

/// MachineActions with unique ids and every filterable property drawn
/// from the pools above or absent.
pub fn actions() -> impl Strategy<Value = Vec<MachineAction>> {
    let s = || prop::option::of(prop::sample::select(STRINGS).prop_map(String::from));
    let action = (
        s(),
        s(),
        s(),
        s(),
        prop::option::of(prop::sample::select(INSTANTS)),
    );
    prop::collection::vec(action, 0..9).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(
                |(i, (action_type, status, machine_id, requestor, created))| MachineAction {
                    // Unique, and not in the order of the rows.
                    id: Some(format!("{}-{i}", STRINGS[(i * 7) % STRINGS.len()])),
                    action_type,
                    status,
                    machine_id,
                    requestor,
                    creation_date_time_utc: created
                        .map(|t| Timestamp::parse(t).expect("pool timestamp")),
                    ..MachineAction::default()
                },
            )
            .collect()
    })
}

/// The actions as JSON Lines, as `load` reads them.
pub fn json_lines(actions: &[MachineAction]) -> Vec<u8> {
    let mut out = Vec::new();
    for action in actions {
        out.extend_from_slice(action.to_json().to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

/// Loads `actions` into `store` and checks that it answers `query` (with
/// `page_size` matches a page) as the evaluator does.
pub fn agree(
    store: &mut Store,
    actions: &[MachineAction],
    query: &str,
    page_size: u64,
) -> Result<(), TestCaseError> {
    let validated = check(query, machine_actions(), &ParseOptions::default())
        .map_err(|e| TestCaseError::fail(format!("{query}: {e}")))?;
    let lines = json_lines(actions);
    store
        .load::<MachineAction, _>([("generated".to_owned(), lines.as_slice())])
        .map_err(|e| TestCaseError::fail(format!("load: {e}")))?;
    let expected = CompiledQuery::<MachineAction>::compile(&validated)
        .map_err(|e| TestCaseError::fail(format!("{query}: {e}")))?
        .with_page_size(page_size)
        .run(actions.iter());
    let answered = store
        .answer_paged(&validated, page_size)
        .map_err(|e| TestCaseError::fail(format!("{query}: {e}")))?;
    prop_assert_eq!(
        answered.to_json(),
        expected.to_json(),
        "{} over {}",
        query,
        String::from_utf8_lossy(&lines)
    );
    Ok(())
}

// ---- values that SQL reads as more than values ----

/// Actions whose `requestor` is SQL injection, LIKE wildcards, escapes and
/// quotes.
pub fn tricky_actions() -> Vec<MachineAction> {
    [
        "'; DROP TABLE machineactions;--",
        "50%",
        "5000",
        "a_b",
        "axb",
        "back\\slash",
        "backslash",
        "\\",
        "it's",
        "",
    ]
    .iter()
    .enumerate()
    .map(|(i, requestor)| MachineAction {
        id: Some(format!("r{i}")),
        requestor: Some((*requestor).to_owned()),
        ..MachineAction::default()
    })
    .collect()
}

/// Filters over [`tricky_actions`] and the ids they select (by `id`).
pub const TRICKY_FILTERS: &[(&str, &[&str])] = &[
    ("requestor eq '''; DROP TABLE machineactions;--'", &["r0"]),
    ("contains(requestor,'DROP TABLE')", &["r0"]),
    ("contains(requestor,'50%')", &["r1"]),
    ("startswith(requestor,'50%')", &["r1"]),
    ("endswith(requestor,'%')", &["r1"]),
    ("contains(requestor,'%')", &["r1"]),
    ("contains(requestor,'a_b')", &["r3"]),
    ("endswith(requestor,'_b')", &["r3"]),
    ("contains(requestor,'\\')", &["r5", "r7"]),
    ("startswith(requestor,'back\\')", &["r5"]),
    ("requestor eq '\\'", &["r7"]),
    ("contains(requestor,'''')", &["r0", "r8"]),
    ("requestor eq 'it''s'", &["r8"]),
    ("contains(requestor,'a%00')", &[]),
    ("requestor eq 'a%00'", &[]),
    (
        "requestor ne '%00'",
        &["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9"],
    ),
    ("requestor lt '%00'", &["r9"]),
    ("requestor gt 'it''s%00'", &[]),
    ("requestor in ('50%', '%00', '_')", &["r1"]),
];

/// The query of one of [`TRICKY_FILTERS`], ordered by `id`.
pub fn tricky_query(filter: &str) -> String {
    format!(
        "$filter={}&$orderby=id",
        filter.replace('%', "%25").replace("%2500", "%00")
    )
}

// ---- lambdas over a string collection: Machines' `machineTags` ----

/// Tags with the corners of the text comparisons, few enough that
/// generated bodies often match.
const TAGS: &[&str] = &[
    "",
    "a",
    "A",
    "ab",
    "é",
    "É",
    "50%",
    "a_b",
    "it's",
    "ExampleTag",
];

/// A JSON string of `text`, for a literal of a query.
fn tag_literal() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(TAGS).prop_map(quoted),
        1 => prop::sample::select(LITERALS).prop_map(quoted),
    ]
}

/// A `machineTags` value: absent, null, not an array, or an array of
/// tags and nulls (empty included).
fn machine_tags() -> impl Strategy<Value = Option<serde_json::Value>> {
    use serde_json::Value;
    let member = prop_oneof![
        6 => prop::sample::select(TAGS).prop_map(Value::from),
        1 => Just(Value::Null),
    ];
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(Value::Null)),
        1 => Just(Some(Value::from("ExampleTag"))),
        6 => prop::collection::vec(member, 0..4).prop_map(|m| Some(Value::Array(m))),
    ]
}

/// Machines (JSON objects) with unique ids, a `computerDnsName` and
/// generated `machineTags`.
pub fn machines() -> impl Strategy<Value = Vec<serde_json::Value>> {
    let machine = (prop::option::of(prop::sample::select(TAGS)), machine_tags());
    prop::collection::vec(machine, 0..8).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (name, tags))| {
                let mut machine = serde_json::json!({
                    "id": format!("m{}", (i * 5) % 8),
                    "computerDnsName": name,
                });
                if let Some(tags) = tags {
                    machine["machineTags"] = tags;
                }
                machine
            })
            .collect()
    })
}

/// A condition on one member `t` of the collection.
fn member_condition() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (
            comparison(),
            prop_oneof![4 => tag_literal(), 1 => Just("null".into())]
        )
            .prop_map(|(op, b)| format!("t {op} {b}")),
        (comparison(), tag_literal()).prop_map(|(op, a)| format!("{a} {op} t")),
        (
            prop::sample::select(&["startswith", "endswith", "contains"][..]),
            tag_literal()
        )
            .prop_map(|(f, b)| format!("{f}(t,{b})")),
        prop::collection::vec(prop_oneof![tag_literal(), Just("null".into())], 1..3)
            .prop_map(|items| format!("t in ({})", items.join(","))),
        (comparison(), -1i64..4).prop_map(|(op, n)| format!("length(t) {op} {n}")),
        (tag_literal(), comparison(), -1i64..2)
            .prop_map(|(l, op, n)| format!("indexof(t,{l}) {op} {n}")),
        prop::sample::select(&["true", "false", "null"][..]).prop_map(String::from),
    ];
    nested(leaf, 2, 6)
}

/// Conditions of `leaf`, nested `depth` levels in `and`/`or`/`not`, with
/// at most `size` leaves.
fn nested(
    leaf: impl Strategy<Value = String> + 'static,
    depth: u32,
    size: u32,
) -> impl Strategy<Value = String> {
    leaf.prop_recursive(depth, size, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) and ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) or ({b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

/// A `$filter` of lambdas over `machineTags` (with empty bodies too) and
/// comparisons of `computerDnsName`, nested in `and`/`or`/`not`.
pub fn lambda_condition() -> impl Strategy<Value = String> {
    let lambda = prop_oneof![
        4 => (prop::sample::select(&["any", "all"][..]), member_condition())
            .prop_map(|(kind, body)| format!("machineTags/{kind}(t:{body})")),
        1 => Just("machineTags/any()".to_owned()),
        1 => (comparison(), tag_literal())
            .prop_map(|(op, b)| format!("computerDnsName {op} {b}")),
    ];
    nested(lambda, 2, 8)
}

/// A query of Machines with a [`lambda_condition`], ordered by `id`, maybe
/// paged and counted.
pub fn lambda_query() -> impl Strategy<Value = String> {
    (lambda_condition(), prop::option::of(0i64..5), any::<bool>()).prop_map(
        |(filter, top, count)| {
            let encoded = filter.replace('%', "%25").replace('\0', "%00");
            paged(format!("$filter={encoded}&$orderby=id"), top, count)
        },
    )
}

/// `query` with `$top` when given and `$count=true` when asked.
fn paged(mut query: String, top: Option<i64>, count: bool) -> String {
    if let Some(top) = top {
        query.push_str(&format!("&$top={top}"));
    }
    if count {
        query.push_str("&$count=true");
    }
    query
}

/// Loads `entities` of the entity set `set` into `store` and checks that
/// it answers `query` as the evaluator does over the same JSON objects.
pub fn agree_json(
    store: &mut Store,
    set: &str,
    entities: &[serde_json::Value],
    query: &str,
) -> Result<(), TestCaseError> {
    let schema = defender_odata::schema::entity_set_named(set).expect("a built-in set");
    let validated = check(query, schema, &ParseOptions::default())
        .map_err(|e| TestCaseError::fail(format!("{query}: {e}")))?;
    let lines: Vec<u8> = entities
        .iter()
        .flat_map(|m| format!("{m}\n").into_bytes())
        .collect();
    store
        .load_json(schema, [("generated".to_owned(), lines.as_slice())])
        .map_err(|e| TestCaseError::fail(format!("load: {e}")))?;
    let expected = CompiledQuery::<serde_json::Value>::compile(&validated)
        .map_err(|e| TestCaseError::fail(format!("{query}: {e}")))?
        .run(entities.iter());
    let answered = store
        .answer(&validated)
        .map_err(|e| TestCaseError::fail(format!("{query}: {e}")))?;
    prop_assert_eq!(
        answered.to_json(),
        expected.to_json(),
        "{} over {}",
        query,
        String::from_utf8_lossy(&lines)
    );
    Ok(())
}

// ---- doubles: Vulnerabilities' `cvssV3` ----

/// Stored scores: integers and doubles that are equal, neighbours, zero of
/// both signs, and the ends of what a double holds exactly.
const SCORES: &[&str] = &[
    "0",
    "-0.0",
    "0.0",
    "7",
    "7.0",
    "7.5",
    "9.8",
    "10",
    "0.1",
    "-1",
    "1e300",
    "9007199254740992",
];

/// Literals compared with them: the same, and values between.
const SCORE_LITERALS: &[&str] = &[
    "0",
    "-0.0",
    "7",
    "7.0",
    "7.5",
    "7.50",
    "9.8",
    "9.80000001",
    "10",
    "0.1",
    "-1",
    "1e300",
    "-9007199254740992",
    "9007199254740992",
    "8",
];

/// Vulnerabilities (JSON objects) with unique ids and a `cvssV3` drawn
/// from [`SCORES`], null or absent.
pub fn vulnerabilities() -> impl Strategy<Value = Vec<serde_json::Value>> {
    let score = prop_oneof![
        6 => prop::sample::select(SCORES)
            .prop_map(|s| Some(serde_json::from_str::<serde_json::Value>(s).expect("a number"))),
        1 => Just(Some(serde_json::Value::Null)),
        1 => Just(None),
    ];
    prop::collection::vec(score, 0..8).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, score)| {
                let mut v = serde_json::json!({ "id": format!("CVE-{}", (i * 3) % 8) });
                if let Some(score) = score {
                    v["cvssV3"] = score;
                }
                v
            })
            .collect()
    })
}

/// A query of comparisons and `in` lists of `cvssV3`, nested in
/// `and`/`or`/`not`, maybe ordered by it, paged and counted.
pub fn score_query() -> impl Strategy<Value = String> {
    let literal = || prop::sample::select(SCORE_LITERALS).prop_map(String::from);
    let leaf = prop_oneof![
        (
            comparison(),
            prop_oneof![4 => literal(), 1 => Just("null".to_owned())]
        )
            .prop_map(|(op, n)| format!("cvssV3 {op} {n}")),
        (literal(), comparison()).prop_map(|(n, op)| format!("{n} {op} cvssV3")),
        prop::collection::vec(prop_oneof![literal(), Just("null".to_owned())], 1..4)
            .prop_map(|items| format!("cvssV3 in ({})", items.join(","))),
    ];
    (
        prop::option::of(nested(leaf, 2, 6)),
        prop::sample::select(&["id", "cvssV3", "cvssV3 desc", "cvssV3,id desc"][..]),
        prop::option::of(0i64..4),
        any::<bool>(),
    )
        .prop_map(|(filter, order, top, count)| {
            let mut query = format!("$orderby={order}");
            if let Some(filter) = filter {
                query.push_str(&format!("&$filter={filter}"));
            }
            paged(query, top, count)
        })
}
