//! Build a MachineActions query with the typed builder and print its full
//! URL on every documented Defender API host, then the pages a client
//! fetching 25,000 actions would request.
//!
//! ```text
//! cargo run --example client
//! ```

use chrono::{TimeZone, Utc};
use defender_odata::builder::{MachineActionField as F, MachineActionsQuery};
use defender_odata::client::{Endpoint, Pager};
use defender_odata::model::{ActionStatus, ActionType, Property};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let since = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .ok_or("no such date")?;
    let query = MachineActionsQuery::new()
        .filter(
            F::Type
                .is_in([ActionType::Isolate, ActionType::Unisolate])
                .and(F::Status.ne(ActionStatus::Failed))
                .and(F::CreationDateTimeUtc.gt(since)),
        )
        .select([Property::Id, Property::MachineId, Property::Status])
        .top(100)
        .build()?;

    println!("query: {query}");
    println!();
    for endpoint in Endpoint::ALL {
        println!("{}", endpoint.machine_actions_url(&query));
    }

    println!();
    println!("25,000 of 31,000 actions, 10,000 a page:");
    let mut pager = Pager::new(query.clone(), 10_000)?.limit(25_000);
    let mut held: usize = 31_000;
    while let Some(page) = pager.next_query() {
        println!("  {}", Endpoint::SecurityCenter.machine_actions_url(&page));
        // Here a client sends the page; this one pretends the service
        // answered as much of the page as it still holds.
        let returned = held.min(usize::try_from(page.top.unwrap_or(0)).unwrap_or(0));
        held -= returned;
        pager.record(returned, false);
    }
    Ok(())
}
