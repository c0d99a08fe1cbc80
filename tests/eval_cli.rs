//! `defender-odata eval`: the README's command, the three data
//! formats, and exit codes for rejected queries and bad data (exit 2 with
//! the place, nothing on stdout).

use std::path::PathBuf;

use serde_json::Value;

mod binary;
use binary::run;

/// A data file under the target directory, unique to the test.
fn data_file(name: &str, contents: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("eval_cli");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write test data");
    path
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

const EXAMPLE_2: &str = "$filter=machineId eq 'f46b9bb259ed4a7fb9981b73510e3cc7aa81ec1f'&$top=2";

#[test]
fn readme_command_prints_the_docs_example_2() {
    let r = run(&["eval", EXAMPLE_2]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let expected = json(include_str!("data/example2_response.json"));
    assert_eq!(json(&r.stdout), expected);
    // Pretty-printed with four spaces, as the docs show it.
    assert!(
        r.stdout.starts_with("{\n    \"@odata.context\""),
        "{}",
        r.stdout
    );
    let first = r.stdout.find("69dc3630").expect("first id");
    let second = r.stdout.find("2e9da30d").expect("second id");
    assert!(first < second);
    assert!(!r.stdout.contains("44cffc15"));
    assert_eq!(r.stderr, "");
}

#[test]
fn data_in_every_format_gives_the_same_answer() {
    let response = include_str!("../data/example1.json");
    let docs: Value = json(response);
    let items = docs["value"].as_array().expect("value array").clone();
    let array = serde_json::to_string_pretty(&items).expect("json");
    let lines: String = items.iter().map(|v| format!("{v}\n")).collect();
    let expected = json(include_str!("data/example2_response.json"));
    for (name, contents) in [
        ("response.json", response.to_string()),
        ("array.json", array),
        ("lines.jsonl", lines),
    ] {
        let path = data_file(name, &contents);
        let r = run(&["eval", "--data", path.to_str().expect("path"), EXAMPLE_2]);
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        assert_eq!(json(&r.stdout), expected, "{name}");
    }
}

#[test]
fn count_select_and_warnings() {
    let r = run(&[
        "eval",
        "$count=true&$select=id,status&$filter=status eq 'succeeded'",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let body = json(&r.stdout);
    assert_eq!(
        body["@odata.context"],
        "https://api.securitycenter.microsoft.com/api/$metadata#MachineActions(id,status)"
    );
    assert_eq!(body["@odata.count"], 0);
    assert!(r.stderr.contains("UnknownEnumValue"), "{}", r.stderr);
    let keys: Vec<&String> = body.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["@odata.context", "@odata.count", "value"]);
}

#[test]
fn an_invalid_query_is_rejected_like_check() {
    let r = run(&["eval", "$filter=stats eq 'Pending'"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("UnknownProperty"), "{}", r.stderr);
    assert!(r.stderr.contains("status"), "{}", r.stderr);
    let r = run(&["eval", "$top=10001"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("TopExceedsMax"), "{}", r.stderr);
}

#[test]
fn malformed_json_exits_2_with_the_place_and_no_stdout() {
    let path = data_file(
        "bad.jsonl",
        "{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\": \"c\",,}\n",
    );
    let r = run(&["eval", "--data", path.to_str().expect("path"), "$top=1"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    let place = format!("{}:3:12: key must be a string", path.display());
    assert!(r.stderr.contains(&place), "{}", r.stderr);
}

#[test]
fn a_wrong_type_exits_2_with_the_place_and_serdes_message() {
    let path = data_file(
        "wrong_type.json",
        "[\n  {\"id\":\"a\"},\n  {\"id\":\"b\",\"errorHResult\":\"x\"}\n]\n",
    );
    let r = run(&["eval", "--data", path.to_str().expect("path"), ""]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.contains(&format!("{}:3:", path.display())),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("invalid type: string \"x\""),
        "{}",
        r.stderr
    );
}

#[test]
fn an_unreadable_file_exits_2() {
    let missing = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("eval_cli/does-not-exist.json");
    let r = run(&["eval", "--data", missing.to_str().expect("path"), "$top=1"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("does-not-exist.json"), "{}", r.stderr);
    // A directory cannot be read as data either.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let r = run(&["eval", "--data", dir.to_str().expect("path"), "$top=1"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stdout, "");
}

#[test]
fn a_large_stream_pages_with_a_next_link() {
    let lines: String = (0..10_002)
        .map(|i| format!("{{\"id\":\"{i:05}\",\"status\":\"Pending\"}}\n"))
        .collect();
    let path = data_file("paged.jsonl", &lines);
    let r = run(&[
        "eval",
        "--data",
        path.to_str().expect("path"),
        "$orderby=id&$skip=1",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let body = json(&r.stdout);
    assert_eq!(body["value"].as_array().map(Vec::len), Some(10_000));
    assert_eq!(body["value"][0]["id"], "00001");
    assert_eq!(
        body["@odata.nextLink"],
        "https://api.securitycenter.microsoft.com/api/machineactions?$orderby=id&$skip=10001"
    );
}

/// A page past a large `$skip` is answered from a file in two passes (the
/// first keeps only sort keys and positions): the same page, in the same
/// order, as evaluating the whole file in memory gives, ties included.
#[test]
fn a_page_past_a_large_skip_is_the_page_memory_gives() {
    use defender_odata::model::MachineAction;
    use defender_odata::{check, evaluate, machine_actions, ParseOptions};
    // 3,000 actions whose creation times repeat, so the order has ties
    // that arrival order must break.
    let actions: Vec<Value> = (0..3_000)
        .map(|i| {
            let status = ["Pending", "Succeeded", "Failed"][i % 3];
            serde_json::json!({
                "id": format!("{i:08}-0000-0000-0000-000000000000"),
                "status": status,
                "requestor": format!("user{}", i % 7),
                "creationDateTimeUtc": format!("2024-01-{:02}T00:00:00Z", 1 + i % 28),
            })
        })
        .collect();
    let lines: String = actions.iter().map(|a| format!("{a}\n")).collect();
    let path = data_file("skip.jsonl", &lines);
    let typed: Vec<MachineAction> = actions
        .iter()
        .map(|a| serde_json::from_value(a.clone()).expect("an action"))
        .collect();
    for query in [
        "$skip=2000&$top=5",
        "$skip=1500&$top=3&$filter=status ne 'Failed'&$count=true",
        "$skip=2990&$top=20&$orderby=requestor desc,creationDateTimeUtc",
        "$skip=10001&$orderby=id",
    ] {
        let r = run(&["eval", "--data", path.to_str().expect("path"), query]);
        assert_eq!(r.code, 0, "{query}: {}", r.stderr);
        let validated = check(query, machine_actions(), &ParseOptions::default()).expect(query);
        let expected = evaluate(&validated, &typed).expect(query).to_json();
        assert_eq!(json(&r.stdout), expected, "{query}");
    }
}

/// `eval` answers any entity set: the one a URL's path names or
/// `--entity`, over a file of its objects (unknown fields kept), or none.
#[test]
fn eval_answers_the_set_a_url_or_entity_names() {
    let software = data_file(
        "software.json",
        r#"[{"id":"microsoft-_-edge","name":"Edge","vendor":"microsoft","extra":[1]},
            {"id":"google-_-chrome","name":"Chrome","vendor":"google"}]"#,
    );
    let data = software.to_str().unwrap();
    let r = run(&[
        "eval",
        "--data",
        data,
        "/api/Software?$filter=startswith(vendor,'micro')",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let body = json(&r.stdout);
    assert_eq!(
        body["@odata.context"],
        "https://api.securitycenter.microsoft.com/api/$metadata#Software"
    );
    assert_eq!(body["value"][0]["id"], "microsoft-_-edge");
    assert_eq!(body["value"][0]["extra"], serde_json::json!([1]));
    assert_eq!(body["value"].as_array().unwrap().len(), 1);
    // Default order of Software: by id.
    let r = run(&["eval", "--entity", "software", "--data", data, "$select=id"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        json(&r.stdout)["value"],
        serde_json::json!([{"id": "google-_-chrome"}, {"id": "microsoft-_-edge"}])
    );
    // A set without data has no entities.
    let r = run(&["eval", "--entity", "alerts", "$top=1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json(&r.stdout)["value"], serde_json::json!([]));
    // Vulnerabilities' cap is checked as by `check`.
    let r = run(&["eval", "--entity", "vulnerabilities", "$top=9000"]);
    assert_eq!(r.code, 1);
    // Databases hold MachineActions only, so far.
    let r = run(&[
        "eval",
        "--entity",
        "software",
        "--db",
        "sqlite:/nonexistent.db",
        "$top=1",
    ]);
    assert_eq!(r.code, 2);
    // `sql` translates for any set's layout.
    let r = run(&["sql", "--entity", "machines", "$filter=riskScore eq 'High'"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(r#"FROM "machines""#), "{}", r.stdout);
}

/// A path's navigation scopes the answer, its `$count` prints the number
/// alone, and one entity by key is refused: never the whole set's list.
#[test]
fn eval_answers_what_the_path_addresses() {
    let alerts = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/defender/alerts.json"
    );
    let machine = "111e6dd8c833c8a052ea231ec1b19adaf497b625";
    let r = run(&[
        "eval",
        "--data",
        alerts,
        &format!("/api/machines/{machine}/alerts?$select=id"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let body: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        body["value"],
        serde_json::json!([{"id": "da637472900382838869_1364969609"}])
    );
    let r = run(&["eval", "--data", alerts, "/api/machines/nope/alerts"]);
    assert_eq!(
        serde_json::from_str::<Value>(&r.stdout).unwrap()["value"],
        serde_json::json!([])
    );
    let r = run(&[
        "eval",
        "--data",
        alerts,
        "/api/alerts/$count?$filter=status ne 'Resolved'&$top=1",
    ]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "2\n"), "{}", r.stderr);
    let r = run(&[
        "eval",
        "--data",
        alerts,
        &format!("/api/machines/{machine}/alerts/$count"),
    ]);
    assert_eq!(r.stdout, "1\n");
    let r = run(&[
        "eval",
        "--data",
        alerts,
        "/api/alerts/da637472900382838869_1364969609",
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("names one entity"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
    let r = run(&["sql", "/api/machines/m1/alerts"]);
    assert_eq!(r.code, 2);
    let r = run(&["check", "/api/machines/m1/evidence"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("UnknownEntitySet"), "{}", r.stderr);
}
