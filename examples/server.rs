//! The core of a test double of `GET /api/machineactions`: answer a query
//! over MachineActions read from a JSON file, and print the HTTP status and
//! body the service would send.
//!
//! ```text
//! cargo run --example server -- "\$filter=status eq 'Succeeded'&\$top=2" data/example1.json
//! cargo run --example server -- "\$filter=stats eq 'Succeeded'" data/example1.json
//! ```
//!
//! QUERY is anything a client sends (a full URL or a query string, raw or
//! percent-encoded). FILE holds the entities: a JSON array, an OData
//! response (`{"value":[…]}`) or JSON Lines; without it, the three
//! MachineActions of the Defender docs' Example 1.
//!
//! A valid query gets `200 OK` and the OData response; a rejected one
//! `400 Bad Request` and the Defender error envelope. Exit status:
//! 0 for 200, 1 for 400, 2 for bad arguments or an unreadable data file.

use std::fs::File;
use std::io::BufReader;
use std::process::ExitCode;

use defender_odata::eval::read_entities;
use defender_odata::model::MachineAction;
use defender_odata::{check, evaluate, machine_actions, sample, ParseOptions};
use serde::Serialize;
use serde_json::Value;

/// What a handler of `GET /api/machineactions?<query>` answers: the status
/// code and the JSON body. This function is the test double; wrap it in any
/// HTTP server.
fn answer(query: &str, entities: &[MachineAction]) -> (u16, Value) {
    // The stored actions are read in place: nothing is cloned per request.
    let response = check(query, machine_actions(), &ParseOptions::default())
        .and_then(|validated| evaluate(&validated, entities));
    match response {
        Ok(response) => (200, response.to_json()),
        Err(error) => (400, error.to_odata_json()),
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "",
    }
}

fn load(path: &str) -> Result<Vec<MachineAction>, String> {
    let file = File::open(path).map_err(|e| format!("{path}: cannot read the data: {e}"))?;
    let mut entities = Vec::new();
    read_entities(BufReader::new(file), |action: MachineAction| {
        entities.push(action)
    })
    .map_err(|e| e.located(path))?;
    Ok(entities)
}

/// `value` indented by four spaces, as the Defender docs show bodies.
fn pretty(value: &Value) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    match value.serialize(&mut serializer) {
        Ok(()) => String::from_utf8(out).unwrap_or_else(|_| value.to_string()),
        Err(_) => value.to_string(),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (query, entities) = match args.as_slice() {
        [query] => (query, sample::example1()),
        [query, path] => match load(path) {
            Ok(entities) => (query, entities),
            Err(message) => {
                eprintln!("error: {message}");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("usage: server QUERY [FILE]   (FILE: a JSON array, an OData response or JSON Lines of MachineActions)");
            return ExitCode::from(2);
        }
    };
    let (status, body) = answer(query, &entities);
    let pretty = pretty(&body);
    println!("HTTP/1.1 {status} {}", reason(status));
    println!("Content-Type: application/json; odata.metadata=minimal");
    println!();
    println!("{pretty}");
    if status == 200 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
