//! The default structural limits keep every stage inside a 256 KiB stack,
//! in debug builds too: the deepest and largest trees the limits let
//! through are parsed, cloned, compared, rendered, validated, evaluated,
//! translated to SQL, explained, serialized and dropped on such a thread.
//!
//! Limits are configurable; raising them far above the defaults needs a
//! proportionally larger stack (see `Limits`).

use defender_odata::schema::machine_actions;
use defender_odata::store::{translate, SqlDialect};
use defender_odata::{check_filter, evaluate, parse_filter, sample, Code, ParseOptions};

const STACK: usize = 256 * 1024;

/// Runs every tree-walking stage over `input` on a 256 KiB thread.
fn survives_every_stage(input: String) -> Result<(), Code> {
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            let tree = parse_filter(&input).map_err(|e| e.code())?;
            let copy = tree.clone();
            assert_eq!(copy, tree);
            let text = tree.to_string();
            assert_eq!(parse_filter(&text).map_err(|e| e.code())?, tree);
            let _ = tree.to_query_string();
            let _ = tree.explain();
            let _ = serde_json::to_string(&tree);
            if let Ok(validated) = check_filter(&input, machine_actions(), &ParseOptions::default())
            {
                let response = evaluate(&validated, sample::example1());
                assert!(response.is_ok(), "{input}: {response:?}");
                for dialect in [SqlDialect::Sqlite, SqlDialect::Postgres] {
                    // Translated, or refused with a code: never a crash.
                    if let Err(e) = translate(&validated, dialect) {
                        assert_eq!(e.code(), Code::NotTranslatable, "{input}: {e}");
                    }
                }
            }
            drop(copy);
            drop(tree);
            Ok(())
        })
        .expect("thread starts")
        .join()
        .expect("no stack overflow or panic")
}

/// The largest input of the family `make(n)` that the default limits accept:
/// `make(n + 1)` is rejected as too deep or too large.
fn largest_allowed(make: impl Fn(usize) -> String) -> String {
    let mut n = 1;
    loop {
        match parse_filter(&make(n + 1)) {
            Ok(_) => n += 1,
            Err(e) => {
                assert!(
                    matches!(e.code(), Code::TooDeep | Code::TooManyNodes),
                    "{e}"
                );
                return make(n);
            }
        }
    }
}

#[test]
fn deepest_parentheses() {
    let input = largest_allowed(|n| format!("{}status eq 'x'{}", "(".repeat(n), ")".repeat(n)));
    assert_eq!(survives_every_stage(input), Ok(()));
}

#[test]
fn deepest_not_and_negation() {
    let nots = largest_allowed(|n| format!("{}status", "not ".repeat(n)));
    assert_eq!(survives_every_stage(nots), Ok(()));
    let minus = largest_allowed(|n| format!("{}1 eq 1", "-".repeat(n)));
    assert_eq!(survives_every_stage(minus), Ok(()));
}

#[test]
fn deepest_calls_and_lambdas() {
    let calls =
        largest_allowed(|n| format!("{}status{} eq 'x'", "tolower(".repeat(n), ")".repeat(n)));
    assert_eq!(survives_every_stage(calls), Ok(()));
    let lambdas =
        largest_allowed(|n| format!("{}true{}", "commands/any(c:".repeat(n), ")".repeat(n)));
    assert_eq!(survives_every_stage(lambdas), Ok(()));
}

#[test]
fn largest_chains() {
    let or_chain = largest_allowed(|n| vec!["status eq 'x'"; n].join(" or "));
    assert_eq!(survives_every_stage(or_chain), Ok(()));
    let arithmetic = largest_allowed(|n| format!("{} eq 1", vec!["1"; n].join(" add ")));
    assert_eq!(survives_every_stage(arithmetic), Ok(()));
    let in_list = largest_allowed(|n| format!("status in ({})", vec!["'x'"; n].join(",")));
    assert_eq!(survives_every_stage(in_list), Ok(()));
    let right_nested = largest_allowed(|n| {
        (0..n).fold("status eq 'x'".to_owned(), |acc, _| {
            format!("status eq 'y' and ({acc})")
        })
    });
    assert_eq!(survives_every_stage(right_nested), Ok(()));
}

/// The longest value: a string literal filling the value length limit.
#[test]
fn longest_value() {
    let input = largest_allowed_len(|n| format!("status eq '{}'", "x".repeat(n)));
    assert_eq!(survives_every_stage(input), Ok(()));
}

/// The largest input of the family `make(n)` whose length the default
/// limit accepts.
fn largest_allowed_len(make: impl Fn(usize) -> String) -> String {
    let limit = defender_odata::Limits::default().max_value_len;
    let overhead = make(0).len();
    let input = make(limit - overhead);
    assert_eq!(input.len(), limit);
    assert_eq!(
        parse_filter(&format!("{input} "))
            .map_err(|e| e.code())
            .err(),
        Some(Code::TooLong)
    );
    input
}

/// A whole query with every expression option at a limit, through the
/// query layer, validation and evaluation on a 256 KiB thread.
#[test]
fn a_whole_query_at_the_limits() {
    let filter = largest_allowed(|n| format!("{} eq 1", vec!["1"; n].join(" add ")));
    let orderby = vec!["creationDateTimeUtc desc"; 300].join(",");
    let query = format!(
        "$filter={}&$orderby={orderby}&$select=id,status&$top=10000&$count=true",
        filter.replace(' ', "%20")
    );
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            let validated =
                defender_odata::check(&query, machine_actions(), &ParseOptions::default())
                    .expect("a valid query");
            let response = evaluate(&validated, sample::example1()).expect("evaluates");
            assert_eq!(response.count, Some(0));
            let sql = translate(&validated, SqlDialect::Postgres).expect("translates");
            assert!(sql.count.is_some());
            let _ = validated.query().explain();
            let _ = serde_json::to_string(validated.query());
            let _ = validated.to_query_string();
        })
        .expect("thread starts")
        .join()
        .expect("no stack overflow or panic");
}

#[test]
fn one_past_each_limit_is_an_error_not_a_crash() {
    let deep = format!("{}status{}", "(".repeat(101), ")".repeat(101));
    assert_eq!(survives_every_stage(deep), Err(Code::TooDeep));
    let big = vec!["status eq 'x'"; 400].join(" or ");
    assert_eq!(survives_every_stage(big), Err(Code::TooManyNodes));
}
