//! The floor under `serve --db`: how many times a second the store
//! answers one query in-process, with no HTTP, on as many threads as the
//! server's runtime has (one connection each), for a number of seconds.
//!
//! ```text
//! cargo run --release --example answer_rate -- sqlite:/tmp/actions.db "\$filter=…&\$top=10" 10
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use defender_odata::store::Store;
use defender_odata::{check, machine_actions, ParseOptions};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, query, seconds] = args.as_slice() else {
        eprintln!("usage: answer_rate DB QUERY SECONDS");
        return ExitCode::from(2);
    };
    let Ok(seconds) = seconds.parse::<u64>() else {
        eprintln!("SECONDS is a whole number");
        return ExitCode::from(2);
    };
    let validated = match check(query, machine_actions(), &ParseOptions::default()) {
        Ok(validated) => validated,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(1);
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let until = Instant::now() + Duration::from_secs(seconds);
    let answered = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let validated = &validated;
                scope.spawn(move || -> Result<u64, String> {
                    let mut store = Store::open(db).map_err(|e| e.to_string())?;
                    let mut answered = 0;
                    while Instant::now() < until {
                        let response = store.answer(validated).map_err(|e| e.to_string())?;
                        let body = serde_json::to_vec(&response).map_err(|e| e.to_string())?;
                        std::hint::black_box(body);
                        answered += 1;
                    }
                    Ok(answered)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|_| Err("a worker panicked".into())))
            .sum::<Result<u64, String>>()
    });
    match answered {
        Ok(answered) => {
            println!(
                "{threads} threads: {answered} answers in {seconds} s, {:.0} answers/s",
                answered as f64 / seconds as f64
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
