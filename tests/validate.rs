//! Validation through the public API: every code validation produces, the
//! traps' help texts, the real client queries and their canonical
//! forms, and a second schema declared as data only.

mod support;

use defender_odata::schema::{EdmType, EntitySchema, OrderKey, PropertyDef};
use defender_odata::{check, check_filter};
use proptest::prelude::*;

use defender_odata::schema::MACHINE_ACTIONS;
use defender_odata::{parse, validate, Code, Error, ParseOptions, SystemOption};

fn checked(query: &str) -> Result<String, Error> {
    check(query, &MACHINE_ACTIONS, &ParseOptions::default()).map(|v| v.to_string())
}

fn rejected(query: &str) -> Error {
    match check(query, &MACHINE_ACTIONS, &ParseOptions::default()) {
        Ok(v) => panic!("{query:?} was accepted as {v}"),
        Err(e) => e,
    }
}

fn help(e: &Error, index: usize) -> &str {
    e.diagnostics()
        .get(index)
        .and_then(|d| d.help.as_deref())
        .unwrap_or("")
}

#[test]
fn real_client_queries_are_accepted_in_canonical_form() {
    assert_eq!(
        checked(
            "$filter=machineId+eq+'2b1ce6c8846a784ecbcea8262cd37f5d585e78e2'and type+eq+'Isolate'"
        )
        .unwrap(),
        "$filter=machineId eq '2b1ce6c8846a784ecbcea8262cd37f5d585e78e2' and type eq 'Isolate'"
    );
    assert_eq!(
        checked(
            "$count=true&$filter=id in ('69dc3630-1ccc-4342-acf3-35286eec741d','2e9da30d-27f6-4208-81f2-9cd3d67893ba') AND type in ('Isolate','Unisolate')&$skip=200&$top=100"
        )
        .unwrap(),
        "$filter=id in ('69dc3630-1ccc-4342-acf3-35286eec741d','2e9da30d-27f6-4208-81f2-9cd3d67893ba') and type in ('Isolate','Unisolate')&$count=true&$skip=200&$top=100"
    );
    assert_eq!(
        checked(
            "$filter=CreationDateTimeUtc ge 2024-01-01T00:00:00Z&$orderby=CreationDateTimeUtc desc"
        )
        .unwrap(),
        "$filter=creationDateTimeUtc ge 2024-01-01T00:00:00Z&$orderby=creationDateTimeUtc desc"
    );
}

#[test]
fn spec_example_takes_schema_spellings_and_keeps_string_contents() {
    let query = "$TOP=2&$filter=MachineId+eq+'F46B'and(Status eq 'Succeeded')";
    assert_eq!(
        checked(query).unwrap(),
        "$filter=machineId eq 'F46B' and status eq 'Succeeded'&$top=2"
    );
    // parse, which knows no schema, keeps the given spellings.
    assert_eq!(
        parse(query).unwrap().to_string(),
        "$filter=MachineId eq 'F46B' and Status eq 'Succeeded'&$top=2"
    );
    let v = check(query, &MACHINE_ACTIONS, &ParseOptions::default()).unwrap();
    assert_eq!(
        v.to_query_string(),
        "$filter=machineId%20eq%20'F46B'%20and%20status%20eq%20'Succeeded'&$top=2"
    );
    assert!(std::ptr::eq(v.schema(), &MACHINE_ACTIONS));
}

#[test]
fn the_documented_rejections_have_their_codes() {
    let cases = [
        (
            "$filter=lastUpdateDateTimeUtc ge 2024-01-01T00:00:00Z",
            Code::PropertyNotFilterable,
        ),
        (
            "$filter=creationDateTimeUtc eq '2024-01-01T00:00:00Z'",
            Code::TypeMismatch,
        ),
        ("$stop=10", Code::UnknownOption),
        ("$top=10001", Code::TopExceedsMax),
    ];
    for (query, code) in cases {
        assert_eq!(rejected(query).codes(), [code], "{query}");
    }
}

#[test]
fn top_cap_is_inclusive_and_skip_cap_is_int32() {
    assert_eq!(checked("$top=10000").unwrap(), "$top=10000");
    let e = rejected("$top=10001");
    assert_eq!(e.codes(), [Code::TopExceedsMax]);
    assert_eq!(e.first().target.as_deref(), Some("$top"));
    assert_eq!(help(&e, 0), "use $top=10000 and page with $skip");
    assert_eq!(checked("$skip=2147483647").unwrap(), "$skip=2147483647");
    assert_eq!(rejected("$skip=2147483648").codes(), [Code::SkipExceedsMax]);
    // Both at once: both reported.
    assert_eq!(
        rejected("$skip=9999999999&$top=99999").codes(),
        [Code::TopExceedsMax, Code::SkipExceedsMax]
    );
}

#[test]
fn every_validation_code_through_check() {
    let cases = [
        ("$filter=stauts eq 'Pending'", Code::UnknownProperty),
        ("$filter=title eq 'x'", Code::PropertyNotFilterable),
        ("$orderby=title", Code::PropertyNotSortable),
        ("$filter=status eq 1", Code::TypeMismatch),
        ("$filter=startswith(status,1)", Code::InvalidArguments),
        ("$filter=status/Ns.Fn()", Code::UnknownFunction),
        ("$top=10001", Code::TopExceedsMax),
        ("$skip=2147483648", Code::SkipExceedsMax),
    ];
    for (query, code) in cases {
        let e = rejected(query);
        assert_eq!(e.codes(), [code], "{query}");
        let body = e.to_odata_json();
        assert_eq!(body["error"]["details"][0]["code"], code.as_str());
    }
    // The warning: accepted, reported on the side.
    let v = check(
        "$filter=status eq 'succeeded'",
        &MACHINE_ACTIONS,
        &ParseOptions::default(),
    )
    .unwrap();
    assert_eq!(v.warnings().len(), 1);
    assert_eq!(v.warnings()[0].code, Code::UnknownEnumValue);
    assert_eq!(
        v.warnings()[0].help.as_deref(),
        Some("did you mean 'Succeeded'? values compare case-sensitively")
    );
}

#[test]
fn two_unknown_properties_are_both_reported() {
    let e = rejected("$filter=machinId eq 'a' and stats eq 'Pending'");
    assert_eq!(e.codes(), [Code::UnknownProperty, Code::UnknownProperty]);
    assert_eq!(help(&e, 0), "did you mean 'machineId'?");
    assert_eq!(help(&e, 1), "did you mean 'status'?");
    let body = e.to_odata_json();
    assert_eq!(
        body["error"]["details"][0]["span"],
        serde_json::json!([0, 8])
    );
    assert_eq!(
        body["error"]["details"][1]["span"],
        serde_json::json!([20, 25])
    );
    assert_eq!(body["error"]["details"][1]["target"], "$filter");
}

#[test]
fn trap_help_texts() {
    let e = rejected("$filter=creationDateTimeUtc gt '2018-12-04T00:00:00Z'");
    assert!(help(&e, 0).ends_with("drop the quotes: creationDateTimeUtc gt 2018-12-04T00:00:00Z"));

    let e = rejected("$filter=id eq 69dc3630-1ccc-4342-acf3-35286eec741d");
    assert_eq!(e.codes(), [Code::TypeMismatch]);
    assert!(help(&e, 0).ends_with("quote it: id eq '69dc3630-1ccc-4342-acf3-35286eec741d'"));

    let e = rejected("$stop=10");
    assert!(help(&e, 0).contains("$top"), "{e}");

    let e = rejected("$filter=creationDateTimeUtc gt 2024-01-01T00:00:00+01:00");
    assert!(help(&e, 0).contains("%2B"), "{e}");

    let e = rejected("$filter=status");
    assert_eq!(e.codes(), [Code::TypeMismatch]);
    assert_eq!(
        help(&e, 0),
        "a filter must be a true/false condition, such as status eq 'Pending'"
    );
}

#[test]
fn the_caret_diagram_points_at_the_bad_name() {
    let e = rejected("$filter=machineId eq 'x' and Stauts eq 'Pending'");
    let shown = e.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(
        lines[0],
        "error[UnknownProperty]: MachineActions has no property 'Stauts' (in $filter)"
    );
    assert_eq!(lines[2], "   | machineId eq 'x' and Stauts eq 'Pending'");
    assert_eq!(lines[3], "   |                      ^^^^^^");
    assert_eq!(lines[4], "  = help: did you mean 'status'?");
}

#[test]
fn check_filter_validates_a_bare_expression() {
    let v = check_filter(
        "Status eq 'Pending'",
        &MACHINE_ACTIONS,
        &ParseOptions::default(),
    )
    .unwrap();
    assert_eq!(
        v.query().filter.as_ref().unwrap().to_string(),
        "status eq 'Pending'"
    );
    assert_eq!(v.to_string(), "$filter=status eq 'Pending'");
}

/// A slice of Defender's Machines entity (`GET /api/machines`): a second
/// schema is data, not code.
static MACHINES: EntitySchema = EntitySchema {
    entity_set: "Machines",
    type_name: "microsoft.windowsDefenderATP.api.Machine",
    service_root: "https://api.securitycenter.microsoft.com/api/",
    properties: &[
        PropertyDef::new("id", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("computerDnsName", EdmType::String)
            .filterable()
            .sortable(),
        PropertyDef::new("healthStatus", EdmType::String)
            .filterable()
            .sortable()
            .values(&[
                "Active",
                "Inactive",
                "ImpairedCommunication",
                "NoSensorData",
                "Unknown",
            ]),
        PropertyDef::new("riskScore", EdmType::String)
            .filterable()
            .values(&["None", "Informational", "Low", "Medium", "High"]),
        PropertyDef::new("lastSeen", EdmType::DateTimeOffset)
            .filterable()
            .sortable(),
        PropertyDef::new("rbacGroupId", EdmType::Int32).filterable(),
        PropertyDef::new("aadDeviceId", EdmType::Guid).filterable(),
        PropertyDef::new("machineTags", EdmType::Collection(&EdmType::String)).filterable(),
        PropertyDef::new("osBuild", EdmType::Int64),
    ],
    key: "id",
    default_order: &[OrderKey {
        property: "lastSeen",
        descending: true,
    }],
    max_top: 10_000,
    max_skip: i32::MAX as i64,
    supported_options: &[
        SystemOption::Filter,
        SystemOption::Top,
        SystemOption::Skip,
        SystemOption::OrderBy,
    ],
    permissions: &["Machine.Read.All", "Machine.ReadWrite.All"],
    rate_limits: &[],
    expandable: &[],
};

fn machines(query: &str) -> Result<String, Error> {
    check(query, &MACHINES, &ParseOptions::default()).map(|v| v.to_string())
}

#[test]
fn a_second_schema_needs_only_data() {
    assert_eq!(
        machines("$filter=HealthStatus eq 'Active' and RiskScore in ('High','Medium') and lastSeen gt 2024-01-01&$orderby=LastSeen desc")
            .unwrap(),
        "$filter=healthStatus eq 'Active' and riskScore in ('High','Medium') and lastSeen gt 2024-01-01&$orderby=lastSeen desc"
    );
    // A lambda over a filterable collection, with its range variable.
    assert_eq!(
        machines("$filter=MachineTags/any(t:t eq 'prod') and rbacGroupId eq 42 and aadDeviceId eq 69dc3630-1ccc-4342-acf3-35286eec741d")
            .unwrap(),
        "$filter=machineTags/any(t:t eq 'prod') and rbacGroupId eq 42 and aadDeviceId eq 69dc3630-1ccc-4342-acf3-35286eec741d"
    );
    let e = machines(
        "$filter=machineTags/any(t:t eq 1) and osBuild gt 1&$orderby=riskScore&$select=id",
    )
    .unwrap_err();
    assert_eq!(
        e.codes(),
        [
            Code::UnsupportedOption,
            Code::TypeMismatch,
            Code::PropertyNotFilterable,
            Code::PropertyNotSortable
        ]
    );
    // MachineActions properties do not leak into Machines, and vice versa.
    assert_eq!(
        rejected("$filter=healthStatus eq 'Active'").codes(),
        [Code::UnknownProperty]
    );
    let e = machines("$filter=status eq 'Pending'").unwrap_err();
    assert_eq!(e.codes(), [Code::UnknownProperty]);
    assert!(
        help(&e, 0).starts_with("$filter can use: id, computerDnsName"),
        "{e}"
    );
    let v = check(
        "$filter=healthStatus eq 'active'",
        &MACHINES,
        &ParseOptions::default(),
    )
    .unwrap();
    assert_eq!(v.warnings()[0].code, Code::UnknownEnumValue);
}

#[test]
fn odd_but_parsable_queries_get_definite_answers() {
    let cases: [(&str, Option<Code>); 13] = [
        ("", None),
        (
            "$filter=$it/commands/any()",
            Some(Code::PropertyNotFilterable),
        ),
        ("$filter=not not not true", None),
        (
            "$filter=isof(microsoft.windowsDefenderATP.api.MachineAction)",
            None,
        ),
        ("$filter=isof(Ns.Other)", Some(Code::TypeMismatch)),
        (
            "$filter=relatedFileInfo/Ns.Type/x eq 1",
            Some(Code::PropertyNotFilterable),
        ),
        (
            "$filter=-(-(1)) eq 1 and 1 divby 2 gt 0.5 and 3 mod 2 eq 1",
            None,
        ),
        ("$filter=status has Ns.Color'Red'", Some(Code::TypeMismatch)),
        (
            "$filter=concat(concat(id,'a'),'b') eq 'x' and trim(id) eq ''",
            None,
        ),
        ("$select=*", None),
        ("$select=relatedFileInfo,commands,troubleshootInfo", None),
        (
            "$orderby=length(id) desc,relatedFileInfo",
            Some(Code::PropertyNotSortable),
        ),
        ("custom=1&$count=false", None),
    ];
    for (query, expected) in cases {
        let parsed = parse(query).unwrap_or_else(|e| panic!("{query}: {e}"));
        let got = validate(&parsed, &MACHINE_ACTIONS).err().map(|e| e.codes());
        assert_eq!(got, expected.map(|c| vec![c]), "{query}");
    }
}

/// Clauses over the schema's own names (in random case) with literals and
/// operators that often fit and sometimes not, joined by `and`/`or`: the
/// shapes where validation has most to say.
fn schema_filter() -> impl Strategy<Value = String> {
    let names: Vec<&'static str> = MACHINE_ACTIONS.properties.iter().map(|p| p.name).collect();
    let filterable: Vec<&'static str> = MACHINE_ACTIONS.filterable().map(|p| p.name).collect();
    let name = (
        prop_oneof![
            3 => proptest::sample::select(filterable),
            1 => proptest::sample::select(names),
        ],
        any::<u64>(),
    )
        .prop_map(|(n, bits)| {
            n.chars()
                .enumerate()
                .map(|(i, c)| {
                    if bits >> (i % 64) & 1 == 1 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect::<String>()
        });
    let op = proptest::sample::select(vec!["eq", "ne", "gt", "le", "add", "has"]);
    let value = prop_oneof![
        proptest::sample::select(vec!["'Pending'", "'Isolate'", "'x'", "null"])
            .prop_map(str::to_string),
        proptest::sample::select(vec![
            "2024-01-01T00:00:00Z",
            "2024-01-01",
            "'2024-01-01T00:00:00Z'"
        ])
        .prop_map(str::to_string),
        support::literal().prop_map(|l| l.to_string()),
    ];
    let clause = (name, op, value).prop_map(|(n, o, v)| format!("{n} {o} {v}"));
    let joiner = proptest::sample::select(vec![" and ", " or "]);
    proptest::collection::vec((clause, joiner), 1..4).prop_map(|clauses| {
        let mut text = String::new();
        for (i, (clause, joiner)) in clauses.iter().enumerate() {
            if i > 0 {
                text.push_str(joiner);
            }
            text.push_str(clause);
        }
        text
    })
}

fn spans_are_inside_their_text(e: &Error) -> bool {
    e.diagnostics().iter().all(|d| {
        d.location.as_ref().is_none_or(|l| {
            l.span.start <= l.span.end && l.text.get(l.span.start..l.span.end).is_some()
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn validation_of_schema_shaped_filters_is_total_and_idempotent(text in schema_filter()) {
        match check_filter(&text, &MACHINE_ACTIONS, &ParseOptions::default()) {
            Err(e) => prop_assert!(spans_are_inside_their_text(&e), "{}", e),
            Ok(v) => {
                let canonical = v.query().filter.as_ref().map(|f| f.to_string()).unwrap_or_default();
                let again = check_filter(&canonical, &MACHINE_ACTIONS, &ParseOptions::default());
                prop_assert!(again.is_ok(), "{} → {} rejected", text, canonical);
                let again = again.map(|v| v.to_string()).unwrap_or_default();
                prop_assert_eq!(again, v.to_string());
            }
        }
    }

    #[test]
    fn validation_of_any_generated_query_never_panics(q in support::query()) {
        if let Err(e) = validate(&q, &MACHINE_ACTIONS) {
            prop_assert!(!e.diagnostics().is_empty());
        }
    }
}

/// `check` validates the options that parsed even when another did not, so
/// one run shows every problem; `parse_query_partial` is what makes it so.
#[test]
fn check_reports_syntax_and_validation_problems_together() {
    let error = check(
        "$filter=Stats eq 'x'&$top=abc&$orderby=title",
        &MACHINE_ACTIONS,
        &ParseOptions::default(),
    )
    .expect_err("rejected");
    let codes: Vec<Code> = error.codes();
    assert_eq!(
        codes,
        [
            Code::InvalidTop,
            Code::UnknownProperty,
            Code::PropertyNotSortable
        ]
    );
}
