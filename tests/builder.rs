//! The typed builder: what it renders, that it refuses what the service
//! would refuse, and (property-tested) that everything it builds validates
//! against MachineActions and reads back through the parser unchanged; the
//! same for Machines and Alerts (module `sets`), with the documented queries
//! they can express.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use defender_odata::builder::{
    kind, not, BuildError, Field, Filter, MachineActionField as F, MachineActionsQuery, MAX_SKIP,
    MAX_TOP,
};
use defender_odata::model::{ActionStatus, ActionType, Property, PropertyKey};
use defender_odata::{machine_actions, parse, parse_filter, validate, Code, Query};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("a valid date")
}

fn built(query: MachineActionsQuery) -> Query {
    query.build().expect("the builder accepts the query")
}

#[test]
fn a_typical_defender_query_renders_canonically() {
    let query = built(
        MachineActionsQuery::new()
            .filter(F::Status.eq(ActionStatus::Succeeded))
            .filter(F::CreationDateTimeUtc.gt(utc(2018, 12, 4, 12, 43, 57)))
            .orderby(F::CreationDateTimeUtc.desc())
            .top(2),
    );
    assert_eq!(
        query.to_string(),
        "$filter=status eq 'Succeeded' and creationDateTimeUtc gt 2018-12-04T12:43:57Z\
         &$orderby=creationDateTimeUtc desc&$top=2"
    );
    assert_eq!(
        query.to_query_string(),
        "$filter=status%20eq%20'Succeeded'%20and%20creationDateTimeUtc%20gt%202018-12-04T12:43:57Z\
         &$orderby=creationDateTimeUtc%20desc&$top=2"
    );
}

#[test]
fn every_operator_renders_as_odata() {
    let cases: Vec<(Filter, &str)> = vec![
        (F::Id.ne("x"), "id ne 'x'"),
        (F::MachineId.starts_with("f46b"), "startswith(machineId,'f46b')"),
        (F::Requestor.ends_with("@contoso.com"), "endswith(requestor,'@contoso.com')"),
        (F::Requestor.contains("O'Neil"), "contains(requestor,'O''Neil')"),
        (F::Type.eq("NewActionType"), "type eq 'NewActionType'"),
        (F::Status.is_in(["Pending", "InProgress"]), "status in ('Pending','InProgress')"),
        (F::Status.is_in([ActionStatus::Failed]), "status in ('Failed')"),
        (F::Id.is_in(Vec::<String>::new()), "id in ()"),
        (F::Requestor.is_null(), "requestor eq null"),
        (F::Requestor.is_not_null(), "requestor ne null"),
        (F::MachineId.ge("a").and(F::MachineId.lt("b")), "machineId ge 'a' and machineId lt 'b'"),
        (
            F::CreationDateTimeUtc.between(utc(2024, 1, 1, 0, 0, 0), utc(2024, 2, 1, 0, 0, 0)),
            "creationDateTimeUtc ge 2024-01-01T00:00:00Z and creationDateTimeUtc lt 2024-02-01T00:00:00Z",
        ),
        (
            F::CreationDateTimeUtc.le(
                FixedOffset::east_opt(3600)
                    .and_then(|o| o.with_ymd_and_hms(2024, 1, 1, 1, 0, 0).single())
                    .expect("valid"),
            ),
            "creationDateTimeUtc le 2024-01-01T01:00:00+01:00",
        ),
        (not(F::Status.eq(ActionStatus::Pending)), "not (status eq 'Pending')"),
        (!F::MachineId.starts_with("x"), "not startswith(machineId,'x')"),
        (
            F::Status
                .eq(ActionStatus::Failed)
                .or(F::Status.eq(ActionStatus::TimeOut))
                .and(F::Type.eq(ActionType::Isolate)),
            "(status eq 'Failed' or status eq 'TimeOut') and type eq 'Isolate'",
        ),
        (
            F::Type
                .eq(ActionType::Isolate)
                .and(F::Status.eq("a").or(F::Status.eq("b"))),
            "type eq 'Isolate' and (status eq 'a' or status eq 'b')",
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(filter.to_string(), expected);
        assert_eq!(
            parse_filter(expected).as_ref(),
            Ok(filter.as_expr()),
            "{expected}"
        );
    }
}

#[test]
fn an_offset_with_seconds_is_written_in_utc() {
    // OData offsets have no seconds; the same instant goes out in UTC.
    let odd = FixedOffset::east_opt(3_601)
        .and_then(|o| o.with_ymd_and_hms(2024, 1, 1, 1, 0, 1).single())
        .expect("valid");
    assert_eq!(
        F::CreationDateTimeUtc.eq(odd).to_string(),
        "creationDateTimeUtc eq 2024-01-01T00:00:00Z"
    );
}

#[test]
fn and_chains_are_flat_whichever_way_they_are_built() {
    let a = || F::Id.eq("a");
    let b = || F::Id.eq("b");
    let c = || F::Id.eq("c");
    let left = a().and(b()).and(c());
    let right = a().and(b().and(c()));
    assert_eq!(left, right);
    assert_eq!(right.to_string(), "id eq 'a' and id eq 'b' and id eq 'c'");
    assert_eq!(Filter::all([a(), b(), c()]), Some(left));
    assert_eq!(
        Filter::any([a(), b()]).map(|f| f.to_string()).as_deref(),
        Some("id eq 'a' or id eq 'b'")
    );
    assert_eq!(Filter::all([]), None);
}

#[test]
fn select_count_skip_and_several_sort_keys() {
    let query = built(
        MachineActionsQuery::new()
            .count(true)
            .orderby(F::Status.asc())
            .orderby(F::Id.desc())
            .skip(20)
            .top(10)
            .select([Property::Id, Property::Title, Property::RelatedFileInfo])
            .select([F::Id.property(), F::Status.into(), Property::Commands]),
    );
    assert_eq!(
        query.to_string(),
        "$count=true&$orderby=status,id desc&$skip=20&$top=10&$select=id,status,commands"
    );
    let no_select = built(MachineActionsQuery::new().select(Vec::<Property>::new()));
    assert_eq!(no_select.to_string(), "");
}

#[test]
fn top_and_skip_caps_are_typed_errors() {
    assert!(MachineActionsQuery::new().top(MAX_TOP).build().is_ok());
    assert_eq!(
        MachineActionsQuery::new().top(MAX_TOP + 1).build(),
        Err(BuildError::TopExceedsMax { top: 10_001 })
    );
    assert!(MachineActionsQuery::new().skip(MAX_SKIP).build().is_ok());
    assert_eq!(
        MachineActionsQuery::new().skip(MAX_SKIP + 1).build(),
        Err(BuildError::SkipExceedsMax {
            skip: 2_147_483_648
        })
    );
    // What the builder refuses, validation refuses too.
    let over = MachineActionsQuery::new()
        .top(MAX_TOP + 1)
        .skip(MAX_SKIP + 1);
    let error = validate(&over.to_query_unchecked(), machine_actions()).expect_err("over the caps");
    assert_eq!(error.codes(), [Code::TopExceedsMax, Code::SkipExceedsMax]);
}

#[test]
fn a_query_too_big_for_the_parser_is_refused_with_its_diagnostic() {
    // A client or-ing thousands of ids: more AST nodes than a server parses.
    let ids: Vec<String> = (0..2_000).map(|i| format!("id-{i}")).collect();
    let query = MachineActionsQuery::new().filter(F::Id.is_in(&ids));
    match query.build() {
        Err(BuildError::TooLarge(error)) => {
            assert!(
                matches!(error.code(), Code::TooManyNodes | Code::TooLong),
                "{error}"
            );
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    // A few hundred fit.
    assert!(MachineActionsQuery::new()
        .filter(F::Id.is_in(&ids[..300]))
        .build()
        .is_ok());
}

// ---------------------------------------------------------------------------
// Property test: every builder output validates and round-trips.

fn text() -> BoxedStrategy<String> {
    prop_oneof![
        "[a-zA-Z0-9@.-]{0,12}",
        "[a-z'&+%() =#?/]{0,10}",
        "\\PC{0,8}",
        proptest::collection::vec(any::<char>(), 0..6).prop_map(String::from_iter),
    ]
    .boxed()
}

fn date_time() -> BoxedStrategy<DateTime<FixedOffset>> {
    let seconds = prop_oneof![
        // Around now, and anywhere in the years 0..=9999.
        1_500_000_000i64..1_800_000_000,
        -62_167_219_200i64..253_402_300_799,
    ];
    let nanos = prop_oneof![
        Just(0u32),
        0..1_000_000_000u32,
        1_000_000_000..2_000_000_000u32
    ];
    let offset = prop_oneof![
        Just(0i32),
        (-840..=840i32).prop_map(|m| m * 60),
        -86_399..86_400i32
    ];
    (seconds, nanos, offset)
        .prop_filter_map("no such instant", |(s, n, o)| {
            let utc = DateTime::from_timestamp(s, n)?;
            Some(utc.with_timezone(&FixedOffset::east_opt(o)?))
        })
        .boxed()
}

fn status_value() -> BoxedStrategy<Result<ActionStatus, String>> {
    prop_oneof![select(ActionStatus::ALL).prop_map(Ok), text().prop_map(Err)].boxed()
}

fn type_value() -> BoxedStrategy<Result<ActionType, String>> {
    prop_oneof![select(ActionType::ALL).prop_map(Ok), text().prop_map(Err)].boxed()
}

fn text_field() -> BoxedStrategy<Field<kind::Text>> {
    select(vec![F::Id, F::MachineId, F::Requestor]).boxed()
}

fn text_leaf() -> BoxedStrategy<Filter> {
    (
        text_field(),
        0..12u8,
        text(),
        proptest::collection::vec(text(), 0..4),
    )
        .prop_map(|(field, op, value, values)| match op {
            0 => field.eq(value),
            1 => field.ne(value),
            2 => field.gt(value),
            3 => field.ge(value),
            4 => field.lt(value),
            5 => field.le(value),
            6 => field.starts_with(value),
            7 => field.ends_with(value),
            8 => field.contains(value),
            9 => field.is_in(values),
            10 => field.is_null(),
            _ => field.is_not_null(),
        })
        .boxed()
}

fn status_leaf() -> BoxedStrategy<Filter> {
    (
        0..3u8,
        status_value(),
        proptest::collection::vec(status_value(), 0..4),
    )
        .prop_map(|(op, value, values)| {
            let list = || {
                values
                    .iter()
                    .map(|v| v.as_ref().map_or_else(|s| s.clone(), |s| s.to_string()))
            };
            match (op, value) {
                (0, Ok(s)) => F::Status.eq(s),
                (0, Err(s)) => F::Status.eq(s),
                (1, Ok(s)) => F::Status.ne(s),
                (1, Err(s)) => F::Status.ne(s),
                _ => F::Status.is_in(list()),
            }
        })
        .boxed()
}

fn type_leaf() -> BoxedStrategy<Filter> {
    (
        0..3u8,
        type_value(),
        proptest::collection::vec(select(ActionType::ALL), 0..4),
    )
        .prop_map(|(op, value, values)| match (op, value) {
            (0, Ok(t)) => F::Type.eq(t),
            (0, Err(t)) => F::Type.eq(t),
            (1, Ok(t)) => F::Type.ne(t),
            (1, Err(t)) => F::Type.ne(t),
            _ => F::Type.is_in(values),
        })
        .boxed()
}

fn date_leaf() -> BoxedStrategy<Filter> {
    let field = F::CreationDateTimeUtc;
    (0..8u8, date_time(), date_time())
        .prop_map(move |(op, a, b)| match op {
            0 => field.eq(a),
            1 => field.ne(a),
            2 => field.gt(a),
            3 => field.ge(a.with_timezone(&Utc)),
            4 => field.lt(a),
            5 => field.le(a),
            6 => field.between(a, b),
            _ => field.is_null(),
        })
        .boxed()
}

fn filter() -> impl Strategy<Value = Filter> {
    let leaf = prop_oneof![text_leaf(), status_leaf(), type_leaf(), date_leaf()];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| a.and(b)),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| a.or(b)),
            inner.prop_map(not),
        ]
    })
}

fn order_key() -> BoxedStrategy<defender_odata::builder::OrderBy> {
    (0..6usize, any::<bool>())
        .prop_map(|(i, descending)| {
            let key = match i {
                0 => (F::Id.asc(), F::Id.desc()),
                1 => (F::Type.asc(), F::Type.desc()),
                2 => (F::Status.asc(), F::Status.desc()),
                3 => (F::MachineId.asc(), F::MachineId.desc()),
                4 => (F::Requestor.asc(), F::Requestor.desc()),
                _ => (F::CreationDateTimeUtc.asc(), F::CreationDateTimeUtc.desc()),
            };
            if descending {
                key.1
            } else {
                key.0
            }
        })
        .boxed()
}

prop_compose! {
    fn builder()(
        filter in proptest::option::of(filter()),
        count in proptest::option::of(any::<bool>()),
        keys in proptest::collection::vec(order_key(), 0..4),
        skip in proptest::option::of(prop_oneof![0..100u32, 0..=MAX_SKIP, any::<u32>()]),
        top in proptest::option::of(prop_oneof![0..=MAX_TOP, 0..=2 * MAX_TOP]),
        select in proptest::option::of(subsequence(Property::ALL.to_vec(), 0..=Property::ALL.len())),
    ) -> MachineActionsQuery {
        let mut query = MachineActionsQuery::new();
        if let Some(filter) = filter {
            query = query.filter(filter);
        }
        if let Some(count) = count {
            query = query.count(count);
        }
        for key in keys {
            query = query.orderby(key);
        }
        if let Some(skip) = skip {
            query = query.skip(skip);
        }
        if let Some(top) = top {
            query = query.top(top);
        }
        if let Some(select) = select {
            query = query.select(select);
        }
        query
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_built_query_validates_and_parses_back(builder in builder()) {
        let over_top = builder.top_value().filter(|&t| t > MAX_TOP);
        let over_skip = builder.skip_value().filter(|&s| s > MAX_SKIP);
        match builder.build() {
            Ok(query) => {
                prop_assert!(over_top.is_none() && over_skip.is_none());
                let validated = validate(&query, machine_actions());
                prop_assert!(validated.is_ok(), "{query}: {:?}", validated.err());
                let validated = validated.expect("checked above");
                // Validation has nothing to canonicalize: the builder already
                // spells every name as the schema does.
                prop_assert_eq!(validated.query(), &query);
                // Free-text status/type values may warn; nothing else may.
                for warning in validated.warnings() {
                    prop_assert_eq!(warning.code, Code::UnknownEnumValue);
                }
                prop_assert_eq!(parse(&query.to_query_string()), Ok(query.clone()));
                if let Some(filter) = &query.filter {
                    let reparsed = parse_filter(&filter.to_string());
                    prop_assert_eq!(reparsed.as_ref(), Ok(filter));
                }
            }
            Err(BuildError::TopExceedsMax { top }) => prop_assert_eq!(over_top, Some(top)),
            Err(BuildError::SkipExceedsMax { skip }) => {
                prop_assert!(over_top.is_none());
                prop_assert_eq!(over_skip, Some(skip));
            }
            Err(error) => {
                prop_assert!(false, "generated queries are small, yet: {error}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Machines and Alerts: the documented queries, and (property-tested) that
// everything built validates against its schema and reads back unchanged.

mod sets {
    use super::{date_time, text, utc};
    use defender_odata::builder::{
        kind, AlertField as A, AlertsQuery, BuildError, Element, EntitySet, Field, FieldValue,
        FilterOf, MachineField as M, MachineFilter, MachinesQuery, OrderBy, QueryBuilder,
    };
    use defender_odata::model::{
        AlertProperty, AlertSeverity, AlertStatus, DeviceValue, ExposureLevel, HealthStatus,
        MachineProperty, OnboardingStatus, PropertyKey, RiskScore,
    };
    use defender_odata::schema::entity_set_named;
    use defender_odata::{check, parse, parse_filter, Code, ParseOptions, Query};
    use proptest::prelude::*;
    use proptest::sample::{select, subsequence};
    use proptest::test_runner::TestCaseError;
    use std::fmt::Debug;

    /// The built query, after asserting it is what `check` makes of the
    /// documentation's `text` (its canonical form, with no warnings).
    fn assert_documented<S: EntitySet>(builder: QueryBuilder<S>, text: &str) -> Query {
        let schema = entity_set_named(S::SCHEMA.entity_set).expect("a built-in set");
        let documented =
            check(text, schema, &ParseOptions::default()).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(documented.warnings().is_empty(), "{text}");
        let query = builder.build().expect("the builder accepts the query");
        assert_eq!(query.to_string(), documented.to_string(), "{text}");
        assert_eq!(&query, documented.query(), "{text}");
        query
    }

    #[test]
    fn docs_machines_risk_score_high() {
        assert_documented(
            MachinesQuery::new().filter(M::RiskScore.eq(RiskScore::High)),
            "$filter=riskScore+eq+'High'",
        );
    }

    #[test]
    fn docs_machines_health_status_not_active_top_100() {
        assert_documented(
            MachinesQuery::new()
                .filter(M::HealthStatus.ne(HealthStatus::Active))
                .top(100),
            "$filter=healthStatus+ne+'Active'&$top=100",
        );
    }

    #[test]
    fn docs_machines_computer_dns_name_prefix() {
        assert_documented(
            MachinesQuery::new().filter(M::ComputerDnsName.starts_with("mymachine")),
            "$filter=startswith(computerDnsName,'mymachine')",
        );
    }

    #[test]
    fn docs_machines_tag_lambda() {
        let query = assert_documented(
            MachinesQuery::new().filter(M::MachineTags.any(|tag| tag.eq("ExampleTag"))),
            "$filter=machineTags/any(tag: tag eq 'ExampleTag')",
        );
        assert_eq!(
            query.to_string(),
            "$filter=machineTags/any(tag:tag eq 'ExampleTag')"
        );
    }

    #[test]
    fn docs_machines_samples_page_rbac_group_and_health() {
        assert_documented(
            MachinesQuery::new().filter(
                M::RbacGroupId
                    .eq(140)
                    .and(M::HealthStatus.eq(HealthStatus::Active)),
            ),
            "$filter=RbacGroupId eq 140 and HealthStatus eq 'Active'",
        );
    }

    #[test]
    fn docs_alerts_last_update_time_since() {
        assert_documented(
            AlertsQuery::new().filter(A::LastUpdateTime.ge(utc(2019, 11, 22, 0, 0, 0))),
            "$filter=lastUpdateTime+ge+2019-11-22T00:00:00Z",
        );
    }

    #[test]
    fn docs_alerts_created_after() {
        assert_documented(
            AlertsQuery::new().filter(A::AlertCreationTime.gt(utc(2018, 11, 22, 0, 0, 0))),
            "$filter=alertCreationTime gt 2018-11-22T00:00:00Z",
        );
    }

    #[test]
    fn docs_alerts_not_resolved() {
        assert_documented(
            AlertsQuery::new().filter(A::Status.ne(AlertStatus::Resolved)),
            "$filter=status ne 'Resolved'",
        );
    }

    #[test]
    fn docs_alerts_investigation_id_resolves_from_the_list_pages_spelling() {
        assert_documented(
            AlertsQuery::new().filter(A::InvestigationId.eq(5)),
            "$filter=InvestigationId eq 5",
        );
    }

    #[test]
    fn lambdas_integers_and_enumerations_render_as_odata() {
        let cases: Vec<(MachineFilter, &str)> = vec![
            (
                M::MachineTags.all(|tag| tag.starts_with("prod-").or(tag.eq("lab"))),
                "machineTags/all(tag:startswith(tag,'prod-') or tag eq 'lab')",
            ),
            (
                !M::MachineTags.any(|tag| tag.is_in(["a", "b"])),
                "not machineTags/any(tag:tag in ('a','b'))",
            ),
            (
                M::RbacGroupId.ge(10_u8).and(M::RbacGroupId.lt(-3_i64)),
                "rbacGroupId ge 10 and rbacGroupId lt -3",
            ),
            (
                M::RbacGroupId.is_in([i64::MIN, i64::MAX]),
                "rbacGroupId in (-9223372036854775808,9223372036854775807)",
            ),
            (
                M::OnboardingStatus.eq("onboarded"),
                "onboardingStatus eq 'onboarded'",
            ),
            (
                M::ExposureLevel
                    .eq(ExposureLevel::None)
                    .or(M::DeviceValue.eq(DeviceValue::High)),
                "exposureLevel eq 'None' or deviceValue eq 'High'",
            ),
        ];
        for (filter, expected) in cases {
            assert_eq!(filter.to_string(), expected);
            assert_eq!(
                parse_filter(expected).as_ref(),
                Ok(filter.as_expr()),
                "{expected}"
            );
        }
    }

    #[test]
    fn caps_come_from_each_schema() {
        assert_eq!(MachinesQuery::MAX_TOP, 10_000);
        assert_eq!(AlertsQuery::MAX_SKIP, 2_147_483_647);
        assert_eq!(
            MachinesQuery::new().top(10_001).build(),
            Err(BuildError::TopExceedsMax { top: 10_001 })
        );
        assert_eq!(
            AlertsQuery::new().skip(u32::MAX).build(),
            Err(BuildError::SkipExceedsMax { skip: u32::MAX })
        );
        let selected = AlertsQuery::new()
            .select([
                A::Severity.property(),
                A::Id.into(),
                AlertProperty::Evidence,
            ])
            .build()
            .expect("no caps broken");
        assert_eq!(selected.to_string(), "$select=severity,id,evidence");
    }

    // ----- the property test ------------------------------------------------

    /// One text operation of `operand` (a field or a lambda's element).
    macro_rules! text_operation {
        ($operand:expr, $op:expr, $value:expr, $values:expr) => {
            match $op {
                0 => $operand.eq($value),
                1 => $operand.ne($value),
                2 => $operand.gt($value),
                3 => $operand.ge($value),
                4 => $operand.lt($value),
                5 => $operand.le($value),
                6 => $operand.starts_with($value),
                7 => $operand.ends_with($value),
                8 => $operand.contains($value),
                9 => $operand.is_in($values),
                10 => $operand.is_null(),
                _ => $operand.is_not_null(),
            }
        };
    }

    fn text_operands() -> impl Strategy<Value = (u8, String, Vec<String>)> {
        (0..12u8, text(), proptest::collection::vec(text(), 0..4))
    }

    fn text_leaf<S: EntitySet>(fields: Vec<Field<kind::Text, S>>) -> BoxedStrategy<FilterOf<S>> {
        (select(fields), text_operands())
            .prop_map(|(field, (op, value, values))| text_operation!(field, op, value, values))
            .boxed()
    }

    /// An enumeration's field compared with known values and free text.
    fn enum_leaf<K, S, E>(field: Field<K, S>, known: &'static [E]) -> BoxedStrategy<FilterOf<S>>
    where
        K: Debug + 'static,
        S: EntitySet,
        E: FieldValue<K> + Copy + Debug + 'static,
        String: FieldValue<K>,
    {
        let value = prop_oneof![select(known).prop_map(Ok), text().prop_map(Err)];
        (
            0..5u8,
            value,
            proptest::collection::vec(select(known), 0..4),
            proptest::collection::vec(text(), 0..3),
        )
            .prop_map(move |(op, value, known, free)| match (op, value) {
                (0, Ok(v)) => field.eq(v),
                (0, Err(t)) => field.eq(t),
                (1, Ok(v)) => field.ne(v),
                (1, Err(t)) => field.ne(t),
                (2, _) => field.is_in(known),
                (3, _) => field.is_in(free),
                _ => field.is_null(),
            })
            .boxed()
    }

    fn instant_leaf<S: EntitySet>(
        fields: Vec<Field<kind::DateTimeOffset, S>>,
    ) -> BoxedStrategy<FilterOf<S>> {
        (select(fields), 0..8u8, date_time(), date_time())
            .prop_map(|(field, op, a, b)| match op {
                0 => field.eq(a),
                1 => field.ne(a),
                2 => field.gt(a),
                3 => field.ge(a),
                4 => field.lt(a),
                5 => field.le(a),
                6 => field.between(a, b),
                _ => field.is_not_null(),
            })
            .boxed()
    }

    fn integer_leaf<S: EntitySet>(
        fields: Vec<Field<kind::Int64, S>>,
    ) -> BoxedStrategy<FilterOf<S>> {
        let integer = prop_oneof![-1_000..1_000i64, any::<i64>()];
        (
            select(fields),
            0..8u8,
            integer.clone(),
            proptest::collection::vec(integer, 0..4),
        )
            .prop_map(|(field, op, value, values)| match op {
                0 => field.eq(value),
                1 => field.ne(value),
                2 => field.gt(value),
                3 => field.ge(value),
                4 => field.lt(value),
                5 => field.le(value),
                6 => field.is_in(values),
                _ => field.is_null(),
            })
            .boxed()
    }

    /// `machineTags/any(…)` or `/all(…)` over one or two text operations
    /// of the element.
    fn tags_leaf() -> BoxedStrategy<MachineFilter> {
        (
            any::<bool>(),
            text_operands(),
            proptest::option::of(text_operands()),
        )
            .prop_map(|(any, first, second)| {
                let body = move |tag: Element<kind::Text, _>| {
                    let (op, value, values) = first;
                    let body = text_operation!(tag, op, value, values);
                    match second {
                        Some((op, value, values)) => {
                            body.or(text_operation!(tag, op, value, values))
                        }
                        None => body,
                    }
                };
                if any {
                    M::MachineTags.any(body)
                } else {
                    M::MachineTags.all(body)
                }
            })
            .boxed()
    }

    fn nested<S: EntitySet + Debug>(
        leaf: BoxedStrategy<FilterOf<S>>,
    ) -> BoxedStrategy<FilterOf<S>> {
        leaf.prop_recursive(4, 24, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| a.and(b)),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| a.or(b)),
                inner.prop_map(|a| !a),
            ]
        })
        .boxed()
    }

    fn machine_filter() -> BoxedStrategy<MachineFilter> {
        nested(
            prop_oneof![
                text_leaf(vec![
                    M::Id,
                    M::ComputerDnsName,
                    M::OsPlatform,
                    M::Version,
                    M::LastIpAddress,
                    M::AadDeviceId,
                ]),
                enum_leaf(M::OnboardingStatus, OnboardingStatus::ALL),
                enum_leaf(M::HealthStatus, HealthStatus::ALL),
                enum_leaf(M::RiskScore, RiskScore::ALL),
                enum_leaf(M::ExposureLevel, ExposureLevel::ALL),
                enum_leaf(M::DeviceValue, DeviceValue::ALL),
                instant_leaf(vec![M::LastSeen]),
                integer_leaf(vec![M::RbacGroupId]),
                tags_leaf(),
            ]
            .boxed(),
        )
    }

    fn alert_filter() -> BoxedStrategy<FilterOf<defender_odata::builder::Alerts>> {
        nested(
            prop_oneof![
                text_leaf(vec![A::Id, A::AssignedTo, A::Category, A::DetectionSource]),
                enum_leaf(A::Severity, AlertSeverity::ALL),
                enum_leaf(A::Status, AlertStatus::ALL),
                instant_leaf(vec![
                    A::AlertCreationTime,
                    A::LastEventTime,
                    A::LastUpdateTime
                ]),
                integer_leaf(vec![A::IncidentId, A::InvestigationId]),
            ]
            .boxed(),
        )
    }

    /// Both directions of each sortable field.
    macro_rules! order_keys {
        ($holder:ident: $($field:ident),*) => {
            vec![$($holder::$field.asc(), $holder::$field.desc()),*]
        };
    }

    fn query<S: EntitySet>(
        filter: BoxedStrategy<FilterOf<S>>,
        keys: Vec<OrderBy<S>>,
    ) -> BoxedStrategy<QueryBuilder<S>> {
        let properties = <S::Property as PropertyKey>::ALL.to_vec();
        let max_top = QueryBuilder::<S>::MAX_TOP;
        let max_skip = QueryBuilder::<S>::MAX_SKIP;
        (
            proptest::option::of(filter),
            proptest::option::of(any::<bool>()),
            proptest::collection::vec(select(keys), 0..4),
            proptest::option::of(prop_oneof![0..100u32, 0..=max_skip, any::<u32>()]),
            proptest::option::of(prop_oneof![0..=max_top, 0..=2 * max_top]),
            proptest::option::of(subsequence(properties.clone(), 0..=properties.len())),
        )
            .prop_map(|(filter, count, keys, skip, top, select)| {
                let mut query = QueryBuilder::<S>::new();
                if let Some(filter) = filter {
                    query = query.filter(filter);
                }
                if let Some(count) = count {
                    query = query.count(count);
                }
                for key in keys {
                    query = query.orderby(key);
                }
                if let Some(skip) = skip {
                    query = query.skip(skip);
                }
                if let Some(top) = top {
                    query = query.top(top);
                }
                if let Some(select) = select {
                    query = query.select(select);
                }
                query
            })
            .boxed()
    }

    /// What `builder` builds parses back equal and `check`s cleanly
    /// against its schema; what it refuses is over a cap.
    fn validates_and_parses_back<S: EntitySet>(
        builder: QueryBuilder<S>,
    ) -> Result<(), TestCaseError> {
        let over_top = builder
            .top_value()
            .filter(|&t| t > QueryBuilder::<S>::MAX_TOP);
        let over_skip = builder
            .skip_value()
            .filter(|&s| s > QueryBuilder::<S>::MAX_SKIP);
        match builder.build() {
            Ok(query) => {
                prop_assert!(over_top.is_none() && over_skip.is_none());
                let text = query.to_query_string();
                prop_assert_eq!(parse(&text), Ok(query.clone()));
                let schema = entity_set_named(S::SCHEMA.entity_set).expect("a built-in set");
                let checked = check(&text, schema, &ParseOptions::default());
                prop_assert!(checked.is_ok(), "{query}: {:?}", checked.err());
                let checked = checked.expect("checked above");
                prop_assert_eq!(checked.query(), &query);
                // Free-text enumeration values may warn; nothing else may.
                for warning in checked.warnings() {
                    prop_assert_eq!(warning.code, Code::UnknownEnumValue);
                }
                if let Some(filter) = &query.filter {
                    let reparsed = parse_filter(&filter.to_string());
                    prop_assert_eq!(reparsed.as_ref(), Ok(filter));
                }
            }
            Err(BuildError::TopExceedsMax { top }) => prop_assert_eq!(over_top, Some(top)),
            Err(BuildError::SkipExceedsMax { skip }) => {
                prop_assert!(over_top.is_none());
                prop_assert_eq!(over_skip, Some(skip));
            }
            Err(error) => prop_assert!(false, "generated queries are small, yet: {error}"),
        }
        Ok(())
    }

    fn machines_query() -> BoxedStrategy<MachinesQuery> {
        let keys = order_keys!(M: Id, ComputerDnsName, LastSeen, OsPlatform, OnboardingStatus,
            Version, LastIpAddress, HealthStatus, RbacGroupId, RiskScore, AadDeviceId,
            ExposureLevel, DeviceValue);
        query(machine_filter(), keys)
    }

    fn alerts_query() -> BoxedStrategy<AlertsQuery> {
        let keys = order_keys!(A: Id, AlertCreationTime, LastEventTime, LastUpdateTime,
            IncidentId, InvestigationId, AssignedTo, Severity, Status, Category, DetectionSource);
        query(alert_filter(), keys)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(384))]

        #[test]
        fn every_built_machines_query_validates_and_parses_back(builder in machines_query()) {
            validates_and_parses_back(builder)?;
        }

        #[test]
        fn every_built_alerts_query_validates_and_parses_back(builder in alerts_query()) {
            validates_and_parses_back(builder)?;
        }
    }

    #[test]
    fn machine_selection_takes_every_property() {
        let all = MachinesQuery::new()
            .select(MachineProperty::ALL.iter().copied())
            .build()
            .expect("no caps broken");
        let schema = entity_set_named("Machines").expect("built in");
        assert!(check(&all.to_query_string(), schema, &ParseOptions::default()).is_ok());
        assert_eq!(MachineProperty::ALL.len(), schema.properties.len());
    }
}
