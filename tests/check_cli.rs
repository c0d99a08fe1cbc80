//! `defender-odata check` through the binary: every error code, exit
//! codes, JSON bodies, warnings and `--expr`.

mod binary;
use binary::Run;

fn check(args: &[&str]) -> Run {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    binary::run(&all)
}

fn stdout(o: &Run) -> &str {
    &o.stdout
}

fn stderr(o: &Run) -> &str {
    &o.stderr
}

/// Runs `check --json QUERY` and returns the exit code and the parsed body.
fn check_json(query: &str) -> (i32, serde_json::Value) {
    let out = check(&["--json", "--", query]);
    let body = serde_json::from_str(stdout(&out))
        .unwrap_or_else(|e| panic!("{query:?}: stdout is not JSON ({e}): {}", stdout(&out)));
    (out.code, body)
}

#[test]
fn every_error_code_reaches_the_json_body() {
    let deep = format!(
        "$filter={}status eq 'x'{}",
        "(".repeat(101),
        ")".repeat(101)
    );
    let many = format!("$filter={}", vec!["status eq 'x'"; 400].join(" or "));
    let long = format!("$filter=status eq '{}'", "x".repeat(17_000));
    let cases: Vec<(&str, &str)> = vec![
        ("$filter=status eq '%zz'", "InvalidEncoding"),
        ("$stop=10", "UnknownOption"),
        ("$expand=commands", "UnsupportedOption"),
        ("$top=1&TOP=2", "DuplicateOption"),
        ("$filter=(status eq 'x'", "Syntax"),
        (
            "$filter=creationDateTimeUtc gt 2018-13-01",
            "InvalidLiteral",
        ),
        ("$top=abc", "InvalidTop"),
        ("$skip=-1", "InvalidSkip"),
        ("$top=10001", "TopExceedsMax"),
        ("$skip=2147483648", "SkipExceedsMax"),
        (&long, "TooLong"),
        (&deep, "TooDeep"),
        (&many, "TooManyNodes"),
        ("$filter=machinId eq 'x'", "UnknownProperty"),
        (
            "$filter=lastUpdateDateTimeUtc ge 2024-01-01T00:00:00Z",
            "PropertyNotFilterable",
        ),
        ("$orderby=title", "PropertyNotSortable"),
        (
            "$filter=creationDateTimeUtc eq '2024-01-01T00:00:00Z'",
            "TypeMismatch",
        ),
        ("$filter=startwith(type,'Iso')", "UnknownFunction"),
        ("$filter=startswith(type)", "InvalidArguments"),
    ];
    for (query, code) in cases {
        let (exit, body) = check_json(query);
        assert_eq!(exit, 1, "{query:.80}");
        assert_eq!(body["error"]["code"], "ODataError", "{query:.80}");
        let codes: Vec<&str> = body["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&code), "{query:.80}: {codes:?}");
        let first = &body["error"]["details"][0];
        assert!(first["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(first["target"].is_string(), "{query:.80}: {first}");
        assert!(first["span"].is_array(), "{query:.80}: {first}");
    }
}

#[test]
fn unknown_enum_values_are_warnings_not_errors() {
    let (exit, body) = check_json("$filter=status eq 'succeeded'");
    assert_eq!(exit, 0);
    assert_eq!(body["canonical"], "$filter=status eq 'succeeded'");
    assert_eq!(body["warnings"][0]["code"], "UnknownEnumValue");
    assert_eq!(body["warnings"][0]["span"], serde_json::json!([10, 21]));
    let out = check(&["$filter=status eq 'succeeded'"]);
    assert_eq!(Some(out.code), Some(0));
    assert!(stderr(&out).contains("did you mean 'Succeeded'?"));
    assert_eq!(stdout(&out), "$filter=status eq 'succeeded'\n");
}

#[test]
fn canonical_form_uses_the_schema_spellings() {
    let out = check(&["$TOP=2&$filter=MachineId+eq+'F46B'and(Status eq 'Succeeded')"]);
    assert_eq!(Some(out.code), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "$filter=machineId eq 'F46B' and status eq 'Succeeded'&$top=2\n"
    );
}

#[test]
fn every_problem_is_shown_with_a_caret_and_help() {
    let out = check(&["$filter=creationDateTimeUtc gt '2024-01-01T00:00:00Z' and machinId eq 'x'"]);
    assert_eq!(Some(out.code), Some(1));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(err.contains("error[TypeMismatch]"), "{err}");
    assert!(
        err.contains("drop the quotes: creationDateTimeUtc gt 2024-01-01T00:00:00Z"),
        "{err}"
    );
    assert!(err.contains("error[UnknownProperty]"), "{err}");
    assert!(err.contains("did you mean 'machineId'?"), "{err}");
    assert!(err.contains("^^^^^^^^^^^^^^^^^^^^^^"), "{err}");
}

#[test]
fn expr_mode_prints_the_expression_alone() {
    let out = check(&["--expr", "Status+eq+'Pending'"]);
    assert_eq!(Some(out.code), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "status eq 'Pending'\n");
    let out = check(&["--expr", "--strict", "Status+eq+'Pending'"]);
    assert_eq!(Some(out.code), Some(1));
}

#[test]
fn a_lost_plus_in_an_offset_is_explained() {
    let out = check(&["$filter=creationDateTimeUtc ge 2024-01-01T00:00:00+01:00"]);
    assert_eq!(Some(out.code), Some(1));
    assert!(stderr(&out).contains("%2B"), "{}", stderr(&out));
    let out = check(&["$filter=creationDateTimeUtc ge 2024-01-01T00:00:00%2B01:00"]);
    assert_eq!(Some(out.code), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "$filter=creationDateTimeUtc ge 2024-01-01T00:00:00+01:00\n"
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = check(&[]);
    assert_eq!(Some(out.code), Some(2));
}

#[test]
fn syntax_errors_do_not_hide_the_other_options_problems() {
    let (exit, body) = check_json(
        "$filter=id eq 69dc3630-1ccc-4342-acf3-35286eec741d&$stop=5&$orderby=title&$top=99999",
    );
    assert_eq!(exit, 1);
    let codes: Vec<&str> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "UnknownOption",
            "TypeMismatch",
            "PropertyNotSortable",
            "TopExceedsMax"
        ]
    );
}

/// The entity set comes from the URL's path (any case, with or without
/// `/api`, through a navigation), else from `--entity`.
#[test]
fn the_entity_set_is_the_one_the_url_or_entity_names() {
    let check = |args: &[&str]| binary::run(&[&["check"], args].concat());
    let r = check(&["https://api.security.microsoft.com/api/machines?$filter=riskScore+eq+'High'"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim(), "$filter=riskScore eq 'High'");
    // The same filter against MachineActions has no riskScore.
    let r = check(&["$filter=riskScore eq 'High'"]);
    assert_eq!(r.code, 1);
    let r = check(&["--entity", "Machines", "$filter=riskScore eq 'High'"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = check(&[
        "https://api.security.microsoft.com/api/machines/123321d0c675eaa415b8e5f383c6388bff446c62/alerts/$count?$filter=status ne 'Resolved'",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = check(&["/API/Software?$filter=startswith(vendor,'micro')"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // A URL aimed elsewhere than --entity says is a usage error.
    let r = check(&["--entity", "alerts", "/api/machines?$top=1"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    // A path naming no set: UnknownEntitySet, with a did-you-mean.
    let r = check(&[
        "--json",
        "https://api.security.microsoft.com/api/machine?$top=1",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let body: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(body["error"]["details"][0]["code"], "UnknownEntitySet");
    assert_eq!(
        body["error"]["details"][0]["help"],
        "did you mean 'machines'?"
    );
    let r = check(&["--entity", "nope", "$top=1"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("machineactions"), "{}", r.stderr);
}

/// The List alerts page's `asssignedTo` is refused with a did-you-mean
/// that names the documentation's spelling.
#[test]
fn the_docs_misspelling_of_assigned_to_gets_a_did_you_mean() {
    let r = binary::run(&[
        "check",
        "--json",
        "/api/alerts?$filter=asssignedTo eq 'secop@contoso.com'",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let body: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let detail = &body["error"]["details"][0];
    assert_eq!(detail["code"], "UnknownProperty");
    let help = detail["help"].as_str().unwrap();
    assert!(help.starts_with("did you mean 'assignedTo'?"), "{help}");
    assert!(help.contains("asssignedTo"), "{help}");
}
