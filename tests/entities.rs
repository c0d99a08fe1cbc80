//! The documented example queries of every entity set, verbatim as the
//! Defender docs write them (full URLs, `+` or literal spaces): each is
//! aimed at its set by its path and validates against that set's schema.

use defender_odata::{aimed_at, check, Code, Dialect, ParseOptions};

/// (URL, the set it is aimed at).
const DOCUMENTED: &[(&str, &str)] = &[
    ("https://api.security.microsoft.com/api/machines", "Machines"),
    ("https://api.security.microsoft.com/api/machines?$filter=riskScore+eq+'High'", "Machines"),
    ("https://api.security.microsoft.com/api/machines?$filter=healthStatus+ne+'Active'&$top=100", "Machines"),
    ("https://api.security.microsoft.com/api/machines?$filter=lastSeen gt 2018-08-01Z", "Machines"),
    ("https://api.security.microsoft.com/api/machines/123321d0c675eaa415b8e5f383c6388bff446c62/alerts/$count?$filter=status ne 'Resolved'", "Alerts"),
    ("https://api.security.microsoft.com/api/machines?$filter=startswith(computerDnsName,'mymachine')", "Machines"),
    ("https://api.securitycenter.windows.com/api/machines?$filter=machineTags/any(tag: tag eq 'ExampleTag')", "Machines"),
    ("https://api.security.microsoft.com/api/alerts", "Alerts"),
    ("https://api.security.microsoft.com/api/alerts?$filter=lastUpdateTime+ge+2019-11-22T00:00:00Z", "Alerts"),
    ("https://api.securitycenter.windows.com/api/alerts?$filter=alertCreationTime gt 2018-11-22T00:00:00Z", "Alerts"),
    ("https://api.security.microsoft.com/api/indicators", "Indicators"),
    ("https://api.security.microsoft.com/api/indicators?$filter=action+eq+'AlertAndBlock'", "Indicators"),
    ("https://api.securitycenter.microsoft.com/api/Vulnerabilities", "Vulnerabilities"),
    ("https://api.security.microsoft.com/api/Software", "Software"),
    ("https://api.security.microsoft.com/api/recommendations", "Recommendations"),
    ("https://api.security.microsoft.com/api/investigations", "Investigations"),
    ("https://api.security.microsoft.com/api/machineactions", "MachineActions"),
    ("https://api.security.microsoft.com/api/machineactions?$filter=machineId eq 'f46b9bb259ed4a7fb9981b73510e3cc7aa81ec1f'&$top=2", "MachineActions"),
    ("https://api.security.microsoft.com/api/machineactions?$filter=requestor eq 'Analyst@contoso.com' and type eq 'RunAntiVirusScan'", "MachineActions"),
];

#[test]
fn every_documented_example_validates_against_the_set_it_is_aimed_at() {
    for &(url, set) in DOCUMENTED {
        let schema = aimed_at(url)
            .unwrap_or_else(|e| panic!("{url}: {e}"))
            .unwrap_or_else(|| panic!("{url}: aimed at no set"));
        assert_eq!(schema.entity_set, set, "{url}");
        let validated =
            check(url, schema, &ParseOptions::default()).unwrap_or_else(|e| panic!("{url}:\n{e}"));
        assert!(
            validated.warnings().is_empty(),
            "{url}: {:?}",
            validated.warnings()
        );
    }
}

#[test]
fn a_date_with_z_is_midnight_utc_in_the_defender_dialect_only() {
    let url = "https://api.security.microsoft.com/api/machines?$filter=lastSeen gt 2018-08-01Z";
    let schema = aimed_at(url).unwrap().unwrap();
    let validated = check(url, schema, &ParseOptions::default()).unwrap();
    assert_eq!(
        validated.to_string(),
        "$filter=lastSeen gt 2018-08-01T00:00:00Z"
    );
    let strict = ParseOptions::default().with_dialect(Dialect::Strict);
    assert!(check(url, schema, &strict).is_err());
}

#[test]
fn a_path_that_names_no_set_is_unknown_entity_set() {
    let error = aimed_at("https://api.security.microsoft.com/api/alert?$top=1").unwrap_err();
    assert_eq!(error.code(), Code::UnknownEntitySet);
    assert_eq!(
        error.first().help.as_deref(),
        Some("did you mean 'alerts'?")
    );
    let span = error.first().span().unwrap();
    assert_eq!(span.start, "https://api.security.microsoft.com/api/".len());
    assert_eq!(span.end - span.start, "alert".len());
    // Paths that name nothing, and bare query strings, are aimed nowhere.
    for text in [
        "https://api.security.microsoft.com/api?$top=1",
        "/?$top=1",
        "$top=1",
        "?$filter=x eq 1",
    ] {
        assert!(aimed_at(text).unwrap().is_none(), "{text}");
    }
}
