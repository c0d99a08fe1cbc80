//! What a crate depending on this one writes, compiled as such a crate:
//! `FromStr`, `Serialize`, and evaluation over borrowed and owned entities.

use std::rc::Rc;
use std::sync::Arc;

use defender_odata::model::MachineAction;
use defender_odata::{check, evaluate, machine_actions, sample, Expr, ParseOptions, Query};
use serde_json::Value;

const EXAMPLE_2: &str = "$filter=machineId eq 'f46b9bb259ed4a7fb9981b73510e3cc7aa81ec1f'&$top=2";

#[test]
fn a_query_and_a_filter_parse_with_from_str() -> Result<(), Box<dyn std::error::Error>> {
    let query: Query = "?$TOP=2&$filter=Status eq 'Pending'".parse()?;
    assert_eq!(query.top, Some(2));
    assert_eq!(query.to_string(), "$filter=Status eq 'Pending'&$top=2");
    let filter: Expr = "Status eq 'Pending'".parse()?;
    assert_eq!(query.filter.as_ref(), Some(&filter));
    // Errors come back through `?` as the crate's error, with their code.
    let error = "$top=x".parse::<Query>().unwrap_err();
    assert_eq!(error.code(), defender_odata::Code::InvalidTop);
    assert!("status eq".parse::<Expr>().is_err());
    Ok(())
}

#[test]
fn a_parsed_query_serializes_to_json() -> Result<(), Box<dyn std::error::Error>> {
    let query: Query = "$filter=status eq 'Pending'&$top=2".parse()?;
    let json: Value = serde_json::from_str(&serde_json::to_string(&query)?)?;
    assert_eq!(json["top"], 2);
    assert_eq!(json["filter"]["kind"], "binary");
    assert_eq!(json["filter"]["op"], "eq");
    assert_eq!(json["filter"]["operands"][1]["value"], "Pending");
    assert_eq!(
        json["filter"]["operands"][1]["span"],
        serde_json::json!([10, 19])
    );
    assert_eq!(serde_json::to_value(query.filter.as_ref())?, json["filter"]);
    Ok(())
}

/// Borrowed, owned and shared entities all evaluate, and to the same
/// response: the docs' Example 2.
#[test]
fn evaluate_reads_borrowed_and_owned_entities() -> Result<(), Box<dyn std::error::Error>> {
    let validated = check(EXAMPLE_2, machine_actions(), &ParseOptions::default())?;
    let actions: Vec<MachineAction> = sample::example1();
    let slice: &[MachineAction] = &actions;

    let borrowed = evaluate(&validated, slice.iter())?;
    assert_eq!(borrowed.value.len(), 2);
    assert_eq!(
        borrowed.value[0]["id"],
        "69dc3630-1ccc-4342-acf3-35286eec741d"
    );
    assert_eq!(evaluate(&validated, slice)?, borrowed);
    assert_eq!(evaluate(&validated, actions.clone())?, borrowed);
    let boxed: Vec<Box<MachineAction>> = actions.iter().cloned().map(Box::new).collect();
    assert_eq!(evaluate(&validated, boxed.iter().map(|b| &**b))?, borrowed);
    assert_eq!(evaluate(&validated, boxed)?, borrowed);
    let shared: Vec<Arc<MachineAction>> = actions.iter().cloned().map(Arc::new).collect();
    assert_eq!(evaluate(&validated, shared)?, borrowed);
    let counted: Vec<Rc<MachineAction>> = actions.iter().cloned().map(Rc::new).collect();
    assert_eq!(evaluate(&validated, counted)?, borrowed);

    // JSON objects, borrowed too.
    let json: Vec<Value> = actions.iter().map(MachineAction::to_json).collect();
    assert_eq!(evaluate(&validated, json.iter())?, borrowed);
    assert_eq!(evaluate(&validated, &json)?, borrowed);
    // The borrowed slice is untouched and still ours.
    assert_eq!(actions.len(), 3);
    Ok(())
}
