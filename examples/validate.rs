//! Check a MachineActions query given on the command line: print its
//! canonical form (and any warnings), or every problem with a caret under
//! it.
//!
//! ```text
//! cargo run --example validate -- "\$filter=status eq 'Pending'&\$top=2"
//! cargo run --example validate -- "\$filter=creationDateTimeUtc gt '2024-01-01T00:00:00Z'"
//! ```
//!
//! Exit status: 0 valid (warnings on stderr), 1 rejected, 2 usage.

use std::process::ExitCode;

use defender_odata::check;
use defender_odata::{machine_actions, ParseOptions};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(query), None) = (args.next(), args.next()) else {
        eprintln!("usage: validate QUERY   (a full URL, or a query string such as \"$top=2\")");
        return ExitCode::from(2);
    };
    match check(&query, machine_actions(), &ParseOptions::default()) {
        Ok(validated) => {
            println!("valid; canonical form:");
            println!("  {validated}");
            println!("encoded, ready to send:");
            println!("  {}", validated.to_query_string());
            for warning in validated.warnings() {
                eprintln!("{warning}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
