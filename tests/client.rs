//! Client helpers: endpoints, the pager, and the rate-limit budget with a
//! hand-driven clock.

use std::time::{Duration, Instant};

use defender_odata::builder::{MachineActionField as F, MachineActionsQuery};
use defender_odata::client::{Endpoint, InvalidPageSize, Pager, RateBudget, RateLimit};
use defender_odata::{machine_actions, parse, validate, Query};

// ---------------------------------------------------------------------------
// Endpoints

#[test]
fn every_documented_host_is_listed_once() {
    let hosts: Vec<&str> = Endpoint::ALL.iter().map(|e| e.host()).collect();
    assert_eq!(
        hosts,
        [
            "api.securitycenter.microsoft.com",
            "api.security.microsoft.com",
            "us.api.security.microsoft.com",
            "eu.api.security.microsoft.com",
            "uk.api.security.microsoft.com",
            "au.api.security.microsoft.com",
            "swa.api.security.microsoft.com",
            "ina.api.security.microsoft.com",
            "api-gcc.securitycenter.microsoft.us",
            "api-gov.securitycenter.microsoft.us",
        ]
    );
}

#[test]
fn a_url_carries_the_encoded_canonical_query() {
    let query = MachineActionsQuery::new()
        .filter(F::Requestor.eq("a+b&c"))
        .top(1)
        .build()
        .expect("valid");
    let url = Endpoint::SecurityCenter.machine_actions_url(&query);
    assert_eq!(
        url,
        "https://api.securitycenter.microsoft.com/api/machineactions?$filter=requestor%20eq%20'a%2Bb%26c'&$top=1"
    );
    assert_eq!(parse(&url), Ok(query));
}

// ---------------------------------------------------------------------------
// Pager

fn base() -> Query {
    parse("$filter=status eq 'Succeeded'&$orderby=creationDateTimeUtc desc,id").expect("valid")
}

fn skips_and_tops(pager: Pager) -> Vec<(Option<i64>, Option<i64>)> {
    pager.map(|q| (q.skip, q.top)).collect()
}

#[test]
fn pages_step_skip_by_top_and_keep_the_other_options() {
    let pages: Vec<Query> = Pager::new(base(), 10_000)
        .expect("valid page size")
        .limit(25_000)
        .collect();
    assert_eq!(pages.len(), 3);
    let expected = [
        (None, 10_000),
        (Some(10_000), 10_000),
        (Some(20_000), 5_000),
    ];
    for (page, (skip, top)) in pages.iter().zip(expected) {
        assert_eq!((page.skip, page.top), (skip, Some(top)));
        assert_eq!(page.filter, base().filter);
        assert_eq!(page.orderby, base().orderby);
        // Every page is a query the service accepts.
        validate(page, machine_actions()).expect("page validates");
    }
}

#[test]
fn the_base_skip_is_the_start_and_its_top_the_total() {
    let mut query = base();
    query.skip = Some(5);
    query.top = Some(250);
    let pager = Pager::new(query, 100).expect("valid page size");
    assert_eq!(pager.len(), 3);
    assert_eq!(
        skips_and_tops(pager),
        [
            (Some(5), Some(100)),
            (Some(105), Some(100)),
            (Some(205), Some(50))
        ]
    );
}

#[test]
fn an_exact_multiple_has_no_empty_last_page_and_zero_wants_nothing() {
    let pager = Pager::new(base(), 1_000).expect("valid").limit(3_000);
    assert_eq!(
        skips_and_tops(pager),
        [
            (None, Some(1_000)),
            (Some(1_000), Some(1_000)),
            (Some(2_000), Some(1_000))
        ]
    );
    assert_eq!(
        Pager::new(base(), 1_000).expect("valid").limit(0).count(),
        0
    );
}

#[test]
fn page_size_must_be_between_one_and_the_top_cap() {
    assert_eq!(
        Pager::new(base(), 0).err(),
        Some(InvalidPageSize {
            page_size: 0,
            max: 10_000
        })
    );
    assert_eq!(
        Pager::new(base(), 10_001).err(),
        Some(InvalidPageSize {
            page_size: 10_001,
            max: 10_000
        })
    );
    assert!(Pager::new(base(), 10_000).is_ok());
}

#[test]
fn unbounded_paging_stops_at_the_int32_skip_cap() {
    let max_skip = i64::from(i32::MAX);
    let pager = Pager::new(base(), 10_000).expect("valid");
    // Pages start at 0, 10,000, …; the last `$skip` that is allowed is the
    // largest multiple of 10,000 not above 2,147,483,647.
    let expected_pages = max_skip / 10_000 + 1;
    assert_eq!(pager.len() as i64, expected_pages);
    let last = pager.last().expect("pages");
    assert_eq!(last.skip, Some(2_147_480_000));
    assert_eq!(last.top, Some(10_000));
    validate(&last, machine_actions()).expect("the last page validates");

    // Starting just at the cap gives one page; past it, none.
    let mut at_cap = base();
    at_cap.skip = Some(max_skip);
    let pages: Vec<Query> = Pager::new(at_cap.clone(), 10).expect("valid").collect();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].skip, Some(max_skip));
    at_cap.skip = Some(max_skip + 1);
    assert_eq!(Pager::new(at_cap, 10).expect("valid").count(), 0);
}

#[test]
fn size_hint_counts_down_exactly() {
    let mut pager = Pager::new(base(), 3).expect("valid").limit(10);
    for left in (0..=4).rev() {
        assert_eq!(pager.len(), left);
        let page = pager.next();
        assert_eq!(page.is_some(), left > 0);
    }
    assert_eq!(pager.next(), None);
}

#[test]
fn negative_skip_and_top_in_a_hand_made_query_do_not_panic() {
    let mut query = base();
    query.skip = Some(-5);
    query.top = Some(-1);
    assert_eq!(Pager::new(query, 10).expect("valid").count(), 0);
}

// ---------------------------------------------------------------------------
// Rate budget: the clock is a base instant plus offsets.

fn at(start: Instant, millis: u64) -> Instant {
    start + Duration::from_millis(millis)
}

#[test]
fn exactly_100_calls_in_a_minute_go_out_without_waiting() {
    let start = Instant::now();
    let mut budget = RateBudget::defender();
    for i in 0..100 {
        // Spread over 59.4 s: all inside one minute.
        let now = at(start, i * 600);
        assert_eq!(budget.wait_time(now), Duration::ZERO, "call {}", i + 1);
        assert_eq!(budget.try_acquire(now), Ok(()), "call {}", i + 1);
    }
    assert_eq!(budget.available(at(start, 59_400)), 0);
}

#[test]
fn the_101st_call_waits_until_the_first_leaves_the_minute() {
    let start = Instant::now();
    let mut budget = RateBudget::defender();
    for i in 0..100 {
        budget
            .try_acquire(at(start, i * 10))
            .expect("within budget");
    }
    // At 30 s the first call (at 0 s) still counts: wait 30 s more.
    assert_eq!(
        budget.try_acquire(at(start, 30_000)),
        Err(Duration::from_secs(30))
    );
    // A refused call is not recorded: the wait is the same a moment later.
    assert_eq!(
        budget.wait_time(at(start, 59_999)),
        Duration::from_millis(1)
    );
    // At exactly 60 s the first call has left the window (exclusive end).
    assert_eq!(budget.wait_time(at(start, 60_000)), Duration::ZERO);
    assert_eq!(budget.available(at(start, 60_000)), 1);
    assert_eq!(budget.try_acquire(at(start, 60_000)), Ok(()));
    // The 102nd waits for the second call (made at 10 ms) to leave.
    assert_eq!(
        budget.try_acquire(at(start, 60_000)),
        Err(Duration::from_millis(10))
    );
}

#[test]
fn the_hourly_cap_is_reached_before_the_minute_cap() {
    let start = Instant::now();
    let mut budget = RateBudget::defender();
    // 50 calls a minute, within the minute limit, for 30 minutes: 1,500.
    for minute in 0..30u64 {
        for i in 0..50u64 {
            let now = at(start, minute * 60_000 + i * 1_000);
            assert_eq!(budget.try_acquire(now), Ok(()), "minute {minute} call {i}");
        }
    }
    // Minute 30 has had no calls, so the minute limit allows 100 more, but
    // the hour is full until the first call (at 0 s) is an hour old.
    let now = at(start, 30 * 60_000);
    assert_eq!(budget.available(now), 0);
    assert_eq!(budget.try_acquire(now), Err(Duration::from_secs(30 * 60)));
    let hour = at(start, 3_600_000);
    assert_eq!(
        budget.wait_time(hour - Duration::from_millis(1)),
        Duration::from_millis(1)
    );
    assert_eq!(budget.try_acquire(hour), Ok(()));
    // The next must wait for the call at 1 s to turn an hour old.
    assert_eq!(budget.try_acquire(hour), Err(Duration::from_secs(1)));
}

#[test]
fn the_longest_wait_of_all_limits_wins() {
    let start = Instant::now();
    let mut budget = RateBudget::new([
        RateLimit {
            calls: 2,
            window: Duration::from_secs(1),
        },
        RateLimit {
            calls: 3,
            window: Duration::from_secs(10),
        },
    ]);
    budget.record(at(start, 0));
    budget.record(at(start, 100));
    // Per-second limit: wait for the call at 0 to leave (900 ms).
    assert_eq!(budget.wait_time(at(start, 100)), Duration::from_millis(900));
    budget.record(at(start, 1_000));
    // Now the 10-second limit is full as well: 10 s after the first call.
    assert_eq!(budget.wait_time(at(start, 1_000)), Duration::from_secs(9));
}

#[test]
fn retry_after_blocks_and_out_of_order_times_are_safe() {
    let start = Instant::now();
    let mut budget = RateBudget::defender();
    budget.back_off(start, Duration::from_secs(5));
    assert_eq!(
        budget.try_acquire(at(start, 1_000)),
        Err(Duration::from_secs(4))
    );
    assert_eq!(budget.available(at(start, 1_000)), 0);
    // A shorter Retry-After later does not shorten the block.
    budget.back_off(at(start, 1_000), Duration::from_secs(1));
    assert_eq!(
        budget.wait_time(at(start, 2_500)),
        Duration::from_millis(2_500)
    );
    assert_eq!(budget.try_acquire(at(start, 5_000)), Ok(()));
    // Asking about a moment before the last call never underflows: the
    // block (until 5 s) is simply all still ahead.
    assert_eq!(budget.wait_time(start), Duration::from_secs(5));
    // A call recorded out of order counts as made at the last call (5 s).
    budget.record(start);
    assert_eq!(budget.available(at(start, 5_000)), 98);
}

#[test]
fn memory_is_bounded_and_huge_windows_do_not_overflow() {
    let start = Instant::now();
    let mut budget = RateBudget::new([RateLimit {
        calls: 3,
        window: Duration::MAX,
    }]);
    for i in 0..1_000 {
        budget.record(at(start, i));
    }
    assert_eq!(budget.wait_time(at(start, 1_000)), Duration::MAX);
    assert_eq!(budget.available(at(start, 1_000)), 0);
    let mut blocked = RateBudget::new([RateLimit {
        calls: 0,
        window: Duration::from_secs(1),
    }]);
    assert_eq!(blocked.try_acquire(start), Err(Duration::MAX));
    let mut unlimited = RateBudget::new([]);
    assert_eq!(unlimited.try_acquire(start), Ok(()));
    assert_eq!(unlimited.available(start), u32::MAX);
}
