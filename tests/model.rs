//! The MachineAction wire model against the docs' Example 1 and against
//! generated objects: lossless round trips, errors instead of panics, and
//! the entity-access trait over typed and JSON entities.

use defender_odata::model::{
    parse_timestamp, ActionStatus, ActionType, Entity, FileInfoProperty, MachineAction, Property,
    PropertyKey, PropertyValue, Timestamp,
};
use defender_odata::sample::{example1, EXAMPLE1_JSON};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn example1_input() -> Vec<Value> {
    let response: Value = serde_json::from_str(EXAMPLE1_JSON).expect("example JSON");
    match response.get("value") {
        Some(Value::Array(items)) => items.clone(),
        other => panic!("Example 1 has no value array: {other:?}"),
    }
}

/// The input as the model must write it: `lastUpdateTimeUtc` renamed to
/// `lastUpdateDateTimeUtc`, everything else as it was.
fn with_canonical_names(input: &Value) -> Value {
    match input {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = if k == "lastUpdateTimeUtc" {
                        "lastUpdateDateTimeUtc".to_owned()
                    } else {
                        k.clone()
                    };
                    (key, v.clone())
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn read(text: &str) -> MachineAction {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn example1_deserializes_with_every_documented_value() {
    let actions = example1();
    assert_eq!(actions.len(), 3);
    let first = &actions[0];
    assert_eq!(
        first.id.as_deref(),
        Some("69dc3630-1ccc-4342-acf3-35286eec741d")
    );
    assert_eq!(
        first.known_type(),
        Some(ActionType::CollectInvestigationPackage)
    );
    assert_eq!(first.known_status(), Some(ActionStatus::Succeeded));
    assert_eq!(first.scope, None);
    assert!(
        !first.absent.contains(Property::Scope),
        "scope was null, not absent"
    );
    assert!(first.absent.contains(Property::Title), "title was absent");
    assert_eq!(first.requestor.as_deref(), Some("Analyst@contoso.com"));
    assert_eq!(first.computer_dns_name.as_deref(), Some("desktop-39g9tgl"));
    assert_eq!(
        first
            .last_update_date_time_utc
            .as_ref()
            .map(Timestamp::as_str),
        Some("2018-12-04T12:45:25.4049122Z"),
        "read through the lastUpdateTimeUtc alias"
    );
    assert!(first.extra.is_empty(), "{:?}", first.extra);
    assert_eq!(actions[1].scope.as_deref(), Some("Full"));
    let info = actions[2].related_file_info.as_ref().expect("file info");
    assert_eq!(
        info.file_identifier.as_deref(),
        Some("a0c659857ccbe457fdaf5fe21d54efdcbf6f6508")
    );
    assert_eq!(info.file_identifier_type.as_deref(), Some("Sha1"));
    assert!(info.absent.is_empty());
    assert_eq!(
        actions[2]
            .creation_date_time_utc
            .as_ref()
            .map(|t| t.value().timestamp_subsec_nanos()),
        Some(605_202_900)
    );
}

#[test]
fn example1_round_trips_with_only_the_alias_renamed() {
    let inputs = example1_input();
    let actions = example1();
    assert_eq!(inputs.len(), actions.len());
    for (input, action) in inputs.iter().zip(&actions) {
        let expected = with_canonical_names(input);
        assert_ne!(&expected, input, "the transform must rename something");
        assert_eq!(action.to_json(), expected);
        let via_serialize = serde_json::to_value(action).expect("serialize");
        assert_eq!(via_serialize, expected);
        let text = serde_json::to_string(action).expect("serialize");
        let reread: Value = serde_json::from_str(&text).expect("reread");
        assert_eq!(reread, expected);
        assert!(!text.contains("lastUpdateTimeUtc"), "{text}");
        // Reading the written form again gives the same action.
        assert_eq!(&read(&text), action);
    }
}

#[test]
fn example1_timestamps_come_back_byte_identical() {
    let text = serde_json::to_string(&example1()).expect("serialize");
    for stamp in [
        "\"2018-12-04T12:43:57.2011911Z\"",
        "\"2018-12-04T12:45:25.4049122Z\"",
        "\"2018-12-04T12:18:27.1293487Z\"",
        "\"2018-12-04T12:18:57.5511934Z\"",
        "\"2018-12-04T12:15:40.6052029Z\"",
        "\"2018-12-04T12:16:14.2899973Z\"",
    ] {
        assert!(EXAMPLE1_JSON.contains(stamp), "{stamp} is in the input");
        assert!(text.contains(stamp), "{stamp} missing from {text}");
    }
}

#[test]
fn timestamps_of_every_shape_come_back_byte_identical() {
    for stamp in [
        "2018-12-04T12:43:57.2011911Z",
        "2018-12-04T12:43:57.2Z",
        "2018-12-04T12:43:57.2000000Z",
        "2018-12-04T12:43:57Z",
        "2018-12-04T12:43Z",
        "2018-12-04t12:43:57z",
        "2018-12-04T13:43:57.2011911+01:00",
        "2018-12-04T12:43:57-00:00",
        "2018-12-04T12:43:57.123456789012Z",
    ] {
        let input = format!(
            r#"{{"id":"a","creationDateTimeUtc":"{stamp}","lastUpdateTimeUtc":"{stamp}","cancellationDateTimeUtc":"{stamp}"}}"#
        );
        let action = read(&input);
        let output = serde_json::to_string(&action).expect("serialize");
        let expected = format!(
            r#"{{"id":"a","creationDateTimeUtc":"{stamp}","lastUpdateDateTimeUtc":"{stamp}","cancellationDateTimeUtc":"{stamp}"}}"#
        );
        assert_eq!(output, expected);
        assert_eq!(
            action.creation_date_time_utc.map(|t| t.value()),
            parse_timestamp(stamp)
        );
    }
    // Different texts of one instant stay different, but compare equal as
    // instants.
    let a = read(r#"{"id":"a","creationDateTimeUtc":"2018-12-04T12:43:57.2Z"}"#);
    let b = read(r#"{"id":"b","creationDateTimeUtc":"2018-12-04T13:43:57.2000000+01:00"}"#);
    assert_ne!(a.creation_date_time_utc, b.creation_date_time_utc);
    assert_eq!(
        a.creation_date_time_utc.map(|t| t.value()),
        b.creation_date_time_utc.map(|t| t.value())
    );
}

#[test]
fn a_response_in_written_order_comes_back_byte_identical() {
    let input = concat!(
        r#"{"id":"69dc3630-1ccc-4342-acf3-35286eec741d","type":"LiveResponse","scope":null,"title":null,"#,
        r#""requestor":"Analyst@contoso.com","requestorComment":"x","status":"Pending","#,
        r#""machineId":"f46b","computerDnsName":"desktop","#,
        r#""creationDateTimeUtc":"2021-04-12T12:34:56.1234567Z","#,
        r#""lastUpdateDateTimeUtc":"2021-04-12T12:35:00Z","cancellationRequestor":null,"#,
        r#""cancellationComment":null,"cancellationDateTimeUtc":null,"errorHResult":-2147024891,"#,
        r#""externalId":"corr-1","requestSource":"PublicApi","#,
        r#""relatedFileInfo":null,"#,
        r#""commands":[{"index":0,"startTime":null,"endTime":null,"commandStatus":"Created","errors":[],"#,
        r#""command":{"type":"RunScript","params":[{"key":"ScriptName","value":"minidump.ps1"}]}}],"#,
        r#""troubleshootInfo":null,"zNew":{"b":1,"a":[2,{"y":null,"x":true}]},"aNew":"last"}"#
    );
    let action = read(input);
    assert_eq!(action.error_h_result, Some(-2_147_024_891));
    assert_eq!(action.commands.as_ref().map(Vec::len), Some(1));
    assert_eq!(serde_json::to_string(&action).expect("serialize"), input);
    assert!(action.absent.is_empty());
}

#[test]
fn null_and_absent_are_both_preserved() {
    let action = read(r#"{"id":"a","scope":null,"errorHResult":null}"#);
    assert_eq!(action.scope, None);
    assert_eq!(action.error_h_result, None);
    assert!(!action.absent.contains(Property::Scope));
    assert!(action.absent.contains(Property::Status));
    assert_eq!(action.absent.iter().count(), Property::ALL.len() - 3);
    assert_eq!(
        serde_json::to_string(&action).expect("serialize"),
        r#"{"id":"a","scope":null,"errorHResult":null}"#
    );

    // Setting an absent property writes it; clearing a present one writes null.
    let mut edited = action.clone();
    edited.status = Some("Pending".to_owned());
    edited.id = None;
    assert_eq!(
        edited.to_json(),
        json!({"id": null, "status": "Pending", "errorHResult": null, "scope": null})
    );

    // A value built in code writes every property, null where unset.
    let built = MachineAction {
        status: Some("Pending".to_owned()),
        ..MachineAction::default()
    };
    let json = built.to_json();
    let written: Vec<&str> = keys(&json);
    let all: Vec<&str> = Property::ALL.iter().map(|p| p.wire_name()).collect();
    assert_eq!(written, all);
    assert_eq!(json["status"], "Pending");
    assert_eq!(json["id"], Value::Null);
}

#[test]
fn unknown_properties_are_kept_in_order_with_nested_objects() {
    let input = r#"{"zeta":1,"id":"a","alpha":{"z":[1,{"q":null,"b":"x"}],"a":{}},"mid":null,"status":"Pending","beta":[{"k":"v"}]}"#;
    let action = read(input);
    let extra_keys: Vec<&str> = action.extra.keys().map(String::as_str).collect();
    assert_eq!(extra_keys, ["zeta", "alpha", "mid", "beta"]);
    let output = serde_json::to_string(&action).expect("serialize");
    // Known properties first in entity order, then unknown ones in input
    // order, nested members in their own order.
    assert_eq!(
        output,
        r#"{"id":"a","status":"Pending","zeta":1,"alpha":{"z":[1,{"q":null,"b":"x"}],"a":{}},"mid":null,"beta":[{"k":"v"}]}"#
    );
    let reread: Value = serde_json::from_str(&output).expect("reread");
    let original: Value = serde_json::from_str(input).expect("input");
    assert_eq!(reread, original);
}

#[test]
fn the_alias_works_next_to_unknown_properties() {
    let action = read(
        r#"{"id":"a","before":1,"lastUpdateTimeUtc":"2018-12-04T12:45:25.4049122Z","after":{"x":2}}"#,
    );
    assert_eq!(
        action
            .last_update_date_time_utc
            .as_ref()
            .map(Timestamp::as_str),
        Some("2018-12-04T12:45:25.4049122Z")
    );
    let extra_keys: Vec<&str> = action.extra.keys().map(String::as_str).collect();
    assert_eq!(extra_keys, ["before", "after"]);
    assert!(!action.absent.contains(Property::LastUpdateDateTimeUtc));
    assert_eq!(
        serde_json::to_string(&action).expect("serialize"),
        r#"{"id":"a","lastUpdateDateTimeUtc":"2018-12-04T12:45:25.4049122Z","before":1,"after":{"x":2}}"#
    );
    // The alias is exact on the wire: other spellings are unknown properties.
    let other = read(r#"{"id":"b","LastUpdateTimeUtc":"x","MachineId":"y"}"#);
    assert_eq!(other.last_update_date_time_utc, None);
    assert_eq!(other.machine_id, None);
    assert_eq!(other.extra.len(), 2);
}

#[test]
fn related_file_info_and_commands_round_trip_nested() {
    let input = json!({
        "id": "a",
        "relatedFileInfo": {"extraFirst": [1, 2], "fileIdentifierType": null},
        "commands": [
            {"index": 0, "command": {"type": "GetFile", "params": [{"key": "Path", "value": "C:\\x.zip"}]}},
            {"index": 1, "unknown": {"deep": {"deeper": null}}}
        ]
    });
    let action: MachineAction = serde_json::from_value(input.clone()).expect("read");
    let info = action.related_file_info.as_ref().expect("file info");
    assert_eq!(info.file_identifier, None);
    assert!(info.absent.contains(FileInfoProperty::FileIdentifier));
    assert!(!info.absent.contains(FileInfoProperty::FileIdentifierType));
    assert_eq!(info.extra.get("extraFirst"), Some(&json!([1, 2])));
    assert_eq!(action.to_json(), input);
    assert_eq!(
        serde_json::to_string(&action).expect("serialize"),
        concat!(
            r#"{"id":"a","relatedFileInfo":{"fileIdentifierType":null,"extraFirst":[1,2]},"#,
            r#""commands":[{"index":0,"command":{"type":"GetFile","params":[{"key":"Path","value":"C:\\x.zip"}]}},"#,
            r#"{"index":1,"unknown":{"deep":{"deeper":null}}}]}"#
        )
    );
    // troubleshootInfo takes any JSON.
    let any = read(r#"{"id":"a","troubleshootInfo":{"a":[true,1.5,"s"]},"commands":[]}"#);
    assert_eq!(any.troubleshoot_info, Some(json!({"a": [true, 1.5, "s"]})));
    assert_eq!(any.commands, Some(vec![]));
}

#[test]
fn wrong_types_are_serde_errors() {
    for input in [
        r#"{"errorHResult":"x"}"#,
        r#"{"errorHResult":2147483648}"#,
        r#"{"errorHResult":1.5}"#,
        r#"{"creationDateTimeUtc":5}"#,
        r#"{"creationDateTimeUtc":"2018-12-04"}"#,
        r#"{"creationDateTimeUtc":"2018-02-30T00:00:00Z"}"#,
        r#"{"lastUpdateTimeUtc":"yesterday"}"#,
        r#"{"cancellationDateTimeUtc":"2018-12-04T12:43:57.2011911"}"#,
        r#"{"id":5}"#,
        r#"{"status":["Pending"]}"#,
        r#"{"relatedFileInfo":"Sha1"}"#,
        r#"{"relatedFileInfo":{"fileIdentifier":1}}"#,
        r#"{"commands":{"index":0}}"#,
        r#"{"id":"a","id":"b"}"#,
        r#"{"lastUpdateTimeUtc":null,"lastUpdateDateTimeUtc":null}"#,
        r#"{"relatedFileInfo":{"fileIdentifier":"a","fileIdentifier":"a"}}"#,
        r#"[]"#,
        r#""id""#,
        r#"null"#,
        r#"{"id":"a""#,
    ] {
        let text = serde_json::from_str::<MachineAction>(input);
        assert!(text.is_err(), "{input} was accepted: {text:?}");
        // A `Value` has already merged duplicate keys, so those inputs can
        // only be rejected as text.
        let has_duplicates = input.contains(r#""id":"a","id""#)
            || input.contains("lastUpdateTimeUtc\":null,")
            || input.contains(r#""a","fileIdentifier""#);
        if let (Ok(value), false) = (serde_json::from_str::<Value>(input), has_duplicates) {
            let from_value = serde_json::from_value::<MachineAction>(value);
            assert!(from_value.is_err(), "{input} accepted from a Value");
        }
    }
    let message = serde_json::from_str::<MachineAction>(r#"{"creationDateTimeUtc":"2018-12-04"}"#)
        .map(|_| ())
        .expect_err("bad timestamp")
        .to_string();
    assert!(message.contains("DateTimeOffset"), "{message}");
    let duplicate = serde_json::from_str::<MachineAction>(
        r#"{"lastUpdateDateTimeUtc":null,"lastUpdateTimeUtc":null}"#,
    )
    .map(|_| ())
    .expect_err("alias and name together")
    .to_string();
    assert!(
        duplicate.contains("duplicate field `lastUpdateDateTimeUtc`"),
        "{duplicate}"
    );
}

#[test]
fn accessors_resolve_case_insensitively() {
    for (name, property) in [
        ("machineId", Property::MachineId),
        ("MachineId", Property::MachineId),
        ("MACHINEID", Property::MachineId),
        ("creationdatetimeutc", Property::CreationDateTimeUtc),
        ("Type", Property::Type),
        ("lastUpdateTimeUtc", Property::LastUpdateDateTimeUtc),
        ("LASTUPDATEDATETIMEUTC", Property::LastUpdateDateTimeUtc),
        ("errorhresult", Property::ErrorHResult),
    ] {
        assert_eq!(MachineAction::accessor(name), Some(property), "{name}");
    }
    for name in ["", "machine_id", "machineIds", "machİneId", "value"] {
        assert_eq!(MachineAction::accessor(name), None, "{name}");
    }
    // JSON objects match names exactly.
    let json = json!({"machineId": "x"});
    let exact = Value::accessor("machineId").expect("accessor");
    let other = Value::accessor("MachineId").expect("accessor");
    assert_eq!(json.property(&exact), PropertyValue::String("x"));
    assert_eq!(json.property(&other), PropertyValue::Null);
    assert_eq!(json!([1]).property(&exact), PropertyValue::Null);
}

#[test]
fn the_trait_reads_typed_and_json_entities_alike() {
    let actions = example1();
    let inputs = example1_input();
    let mut compared = 0;
    for (action, input) in actions.iter().zip(&inputs) {
        let written = action.to_json();
        let written_map = written.as_object().expect("object").clone();
        for property in Property::ALL {
            let typed = action.property(property);
            let name = property.wire_name();
            let accessor = Value::accessor(name).expect("accessor");
            let from_written = written.property(&accessor);
            let from_map = written_map.property(&accessor);
            assert_eq!(from_written, from_map, "{name}");
            // DateTimeOffsets are strings in JSON; everything else is equal
            // as is.
            match typed {
                PropertyValue::DateTimeOffset(value) => {
                    assert_eq!(from_written.to_datetime_offset(), Some(value), "{name}");
                    assert!(matches!(from_written, PropertyValue::String(_)));
                }
                _ => assert_eq!(typed, from_written, "{name}"),
            }
            // The docs' own JSON agrees too, but for the alias spelling.
            let raw_name = if *property == Property::LastUpdateDateTimeUtc {
                "lastUpdateTimeUtc"
            } else {
                name
            };
            let raw = input.property(&Value::accessor(raw_name).expect("accessor"));
            assert_eq!(typed.to_json(), raw.to_json(), "{name} of {:?}", action.id);
            compared += 1;
        }
    }
    assert_eq!(compared, 60);
    // Spot checks on what the values are.
    let first = &actions[0];
    assert_eq!(
        first.property(&Property::Status),
        PropertyValue::String("Succeeded")
    );
    assert_eq!(first.property(&Property::Scope), PropertyValue::Null);
    assert_eq!(first.property(&Property::Title), PropertyValue::Null);
    let file = actions[2].property(&Property::RelatedFileInfo);
    match file {
        PropertyValue::Complex(complex) => {
            assert!(!complex.is_collection());
            assert_eq!(
                complex.member("FileIdentifierType"),
                PropertyValue::String("Sha1")
            );
        }
        other => panic!("relatedFileInfo read as {other:?}"),
    }
    assert_eq!(
        file,
        inputs[2].property(&Value::accessor("relatedFileInfo").expect("a"))
    );
    let created = first.property(&Property::CreationDateTimeUtc);
    assert_eq!(
        created.to_datetime_offset(),
        parse_timestamp("2018-12-04T12:43:57.2011911Z")
    );
}

#[test]
fn integer_properties_read_as_ints_and_json_numbers_by_kind() {
    let action = read(r#"{"id":"a","errorHResult":-5}"#);
    assert_eq!(
        action.property(&Property::ErrorHResult),
        PropertyValue::Int(-5)
    );
    let json = json!({"a": 1, "b": 1.5, "c": u64::MAX, "d": true, "e": [1], "f": null});
    let get = |n: &str| json.property(&Value::accessor(n).expect("accessor"));
    assert_eq!(get("a"), PropertyValue::Int(1));
    assert_eq!(get("b"), PropertyValue::Double(1.5));
    assert_eq!(get("c"), PropertyValue::Double(u64::MAX as f64));
    assert_eq!(get("d"), PropertyValue::Bool(true));
    assert!(matches!(get("e"), PropertyValue::Complex(c) if c.is_collection()));
    assert!(get("f").is_null());
    assert!(get("missing").is_null());
}

#[test]
fn timestamp_from_datetime_round_trips_through_the_model() {
    let value = parse_timestamp("2018-12-04T12:43:57.2011911Z").expect("parse");
    let action = MachineAction {
        id: Some("a".into()),
        creation_date_time_utc: Timestamp::from_datetime(value),
        ..MachineAction::default()
    };
    let json = action.to_json();
    assert_eq!(json["creationDateTimeUtc"], "2018-12-04T12:43:57.2011911Z");
    let back: MachineAction = serde_json::from_value(json).expect("read");
    assert_eq!(back.creation_date_time_utc.map(|t| t.value()), Some(value));
}

// ---------------------------------------------------------------------------
// Generated objects

fn wire_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Property::ALL.iter().map(|p| p.wire_name()).collect();
    names.push("lastUpdateTimeUtc");
    names
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        timestamp_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..4)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(wire_names()).prop_map(str::to_owned),
        prop::sample::select(vec!["fileIdentifier", "fileIdentifierType"]).prop_map(str::to_owned),
        "[a-zA-Z@.]{0,8}",
        any::<String>(),
    ]
}

/// Timestamp texts in every accepted shape.
fn timestamp_text() -> impl Strategy<Value = String> {
    (
        (0u32..=9999, 1u32..=12, 1u32..=28),
        (0u32..=23, 0u32..=59, proptest::option::of(0u32..=59)),
        proptest::option::of("[0-9]{1,12}"),
        prop_oneof![
            Just("Z".to_owned()),
            Just("z".to_owned()),
            (any::<bool>(), 0u32..=23, 0u32..=59)
                .prop_map(|(neg, h, m)| format!("{}{h:02}:{m:02}", if neg { '-' } else { '+' })),
        ],
        any::<bool>(),
    )
        .prop_map(|((y, mo, d), (h, mi, s), fraction, offset, upper_t)| {
            let t = if upper_t { 'T' } else { 't' };
            let seconds = match (s, fraction) {
                (None, _) => String::new(),
                (Some(s), None) => format!(":{s:02}"),
                (Some(s), Some(f)) => format!(":{s:02}.{f}"),
            };
            format!("{y:04}-{mo:02}-{d:02}{t}{h:02}:{mi:02}{seconds}{offset}")
        })
}

/// A well-typed value for a known property: what a valid response holds.
fn typed_value(property: Property) -> BoxedStrategy<Value> {
    let typed = match property {
        Property::CreationDateTimeUtc
        | Property::LastUpdateDateTimeUtc
        | Property::CancellationDateTimeUtc => timestamp_text().prop_map(Value::String).boxed(),
        Property::ErrorHResult => any::<i32>().prop_map(Value::from).boxed(),
        Property::RelatedFileInfo => prop::collection::vec(
            (
                prop_oneof![
                    Just("fileIdentifier".to_owned()),
                    Just("fileIdentifierType".to_owned()),
                    "[a-z]{1,6}",
                ],
                prop_oneof![Just(Value::Null), any::<String>().prop_map(Value::String)],
            ),
            0..4,
        )
        .prop_map(|members| Value::Object(members.into_iter().collect()))
        .boxed(),
        Property::Commands => prop::collection::vec(any_json(), 0..3)
            .prop_map(Value::Array)
            .boxed(),
        Property::TroubleshootInfo => any_json().boxed(),
        _ => any::<String>().prop_map(Value::String).boxed(),
    };
    prop_oneof![1 => Just(Value::Null), 4 => typed].boxed()
}

/// A well-typed MachineAction object: its string `id`, each other known
/// property absent, null or typed (last-update under either name), plus
/// unknown members, shuffled.
fn typed_object() -> impl Strategy<Value = Vec<(String, Value)>> {
    let id = any::<String>().prop_map(|id| Some(("id".to_owned(), Value::String(id))));
    let known: Vec<_> = Property::ALL
        .iter()
        .filter(|&&p| p != Property::Id)
        .map(|&p| {
            (proptest::option::of(typed_value(p)), any::<bool>()).prop_map(move |(value, alias)| {
                value.map(|v| {
                    let name = if alias && p == Property::LastUpdateDateTimeUtc {
                        "lastUpdateTimeUtc"
                    } else {
                        p.wire_name()
                    };
                    (name.to_owned(), v)
                })
            })
        })
        .collect();
    let unknown = prop::collection::vec(
        (
            "[a-zA-Z@.]{1,10}"
                .prop_filter("not a known name", |k| !wire_names().contains(&k.as_str())),
            any_json(),
        ),
        0..4,
    );
    (id, known, unknown)
        .prop_map(|(id, known, unknown)| {
            let mut members: Vec<(String, Value)> =
                id.into_iter().chain(known.into_iter().flatten()).collect();
            // Unknown names may repeat; JSON keeps the last, as Map does.
            let mut seen = Map::new();
            for (k, v) in unknown {
                seen.insert(k, v);
            }
            members.extend(seen);
            members
        })
        .prop_shuffle()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_json_never_panics(value in any_json(), members in prop::collection::vec((key(), any_json()), 0..8)) {
        let object = Value::Object(members.into_iter().collect());
        for input in [value, object] {
            let text = input.to_string();
            // serde_json (without `float_roundtrip`) may read a float's last
            // digit differently from the `Value` it was printed from; the
            // input is what serde_json reads from the text.
            let input: Value = serde_json::from_str(&text)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let from_text = serde_json::from_str::<MachineAction>(&text);
            let from_value = serde_json::from_value::<MachineAction>(input.clone());
            prop_assert_eq!(from_text.is_ok(), from_value.is_ok());
            if let Ok(action) = from_text {
                // Whatever is accepted is written back without loss.
                prop_assert_eq!(action.to_json(), with_canonical_names(&input));
            }
        }
    }

    #[test]
    fn well_typed_objects_round_trip_exactly(members in typed_object()) {
        let text = Value::Object(members.iter().cloned().collect()).to_string();
        // As above: the input is what serde_json reads from the text.
        let input: Value = serde_json::from_str(&text)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let action: MachineAction = serde_json::from_str(&text)
            .map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        let expected = with_canonical_names(&input);
        let written = serde_json::to_value(&action)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&written, &expected);
        prop_assert_eq!(&action.to_json(), &expected);
        // Unknown members keep their relative order.
        let unknown_in: Vec<&str> = keys(&input)
            .into_iter()
            .filter(|k| !wire_names().contains(k))
            .collect();
        let unknown_out: Vec<&str> = keys(&written)
            .into_iter()
            .filter(|k| !wire_names().contains(k))
            .collect();
        prop_assert_eq!(unknown_in, unknown_out);
        // Timestamps are written byte for byte.
        for (name, value) in &members {
            if let Value::String(s) = value {
                if name.ends_with("TimeUtc") {
                    prop_assert!(parse_timestamp(s).is_some(), "{}", s);
                    let canonical = if name == "lastUpdateTimeUtc" { "lastUpdateDateTimeUtc" } else { name };
                    prop_assert_eq!(written[canonical].as_str(), Some(s.as_str()));
                }
            }
        }
    }

    #[test]
    fn timestamp_text_is_kept_and_parses_like_chrono(text in timestamp_text()) {
        let stamp = Timestamp::parse(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(stamp.as_str(), text.as_str());
        // chrono reads RFC 3339, which needs seconds and at most 9 digits.
        let seconds_and_nine = text.len() > 16 && text.as_bytes().get(16) == Some(&b':')
            && text.split('.').nth(1).is_none_or(|f| {
                f.bytes().take_while(u8::is_ascii_digit).count() <= 9
            });
        if seconds_and_nine {
            let chrono = chrono::DateTime::parse_from_rfc3339(&text)
                .map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            prop_assert_eq!(stamp.value(), chrono);
            prop_assert_eq!(*stamp.value().offset(), *chrono.offset());
        }
    }

    #[test]
    fn timestamp_parser_never_panics(text in "\\PC{0,40}", bytes in "[0-9TZtz:.+-]{0,36}") {
        let _ = parse_timestamp(&text);
        let _ = parse_timestamp(&bytes);
    }

    #[test]
    fn from_datetime_reads_back(seconds in 0i64..253_402_300_799, nanos in 0u32..1_000_000_000, offset_minutes in -1439i32..=1439) {
        let offset = chrono::FixedOffset::east_opt(offset_minutes * 60)
            .ok_or_else(|| TestCaseError::fail("offset"))?;
        let utc = chrono::DateTime::from_timestamp(seconds, nanos)
            .ok_or_else(|| TestCaseError::fail("instant"))?;
        let value = utc.with_timezone(&offset);
        if let Some(stamp) = Timestamp::from_datetime(value) {
            prop_assert_eq!(stamp.value(), value);
            prop_assert_eq!(parse_timestamp(stamp.as_str()), Some(value));
        } else {
            // Only years past 9999 in the local offset are refused.
            prop_assert!(value.naive_local().format("%Y").to_string().len() > 4);
        }
    }
}
