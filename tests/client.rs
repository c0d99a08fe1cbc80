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

/// Drives `pager` against a service holding `held` matching results (from
/// the pager's start) that pages them `service_page` at a time at most,
/// with a next link when it cut a page short: the `($skip, $top)` of every
/// page sent.
fn drive(mut pager: Pager, held: u64, service_page: u64) -> Vec<(Option<i64>, Option<i64>)> {
    let mut sent = Vec::new();
    let mut served = 0u64;
    while let Some(page) = pager.next_query() {
        assert!(sent.len() < 1_000, "paging does not end");
        let top = u64::try_from(page.top.expect("every page has $top")).unwrap();
        let asked = top.min(held - served.min(held));
        let returned = asked.min(service_page);
        served += top;
        sent.push((page.skip, page.top));
        pager.record(returned as usize, returned < asked);
    }
    sent
}

#[test]
fn pages_step_skip_by_top_and_keep_the_other_options() {
    let mut pager = Pager::new(base(), 10_000)
        .expect("valid page size")
        .limit(25_000);
    let expected = [
        (None, 10_000),
        (Some(10_000), 10_000),
        (Some(20_000), 5_000),
    ];
    for (skip, top) in expected {
        let page = pager.next_query().expect("a page");
        assert_eq!((page.skip, page.top), (skip, Some(top)));
        assert_eq!(page.filter, base().filter);
        assert_eq!(page.orderby, base().orderby);
        // Every page is a query the service accepts.
        validate(&page, machine_actions()).expect("page validates");
        pager.record(top as usize, false);
    }
    assert!(pager.is_done());
    assert_eq!(pager.next_query(), None);
}

/// Without a `$top` over an unknown total, the pager asks one page at a
/// time and stops at the first short page: no list of every page the
/// `$skip` cap would allow.
#[test]
fn paging_follows_the_responses_and_stops_at_a_short_page() {
    let pages = drive(Pager::new(base(), 10_000).expect("valid"), 25_000, 10_000);
    assert_eq!(
        pages,
        [
            (None, Some(10_000)),
            (Some(10_000), Some(10_000)),
            (Some(20_000), Some(10_000))
        ]
    );
    // An empty first page ends it at once.
    assert_eq!(
        drive(Pager::new(base(), 100).expect("valid"), 0, 100).len(),
        1
    );
    // A full last page asks once more, and the empty answer ends it.
    assert_eq!(
        drive(Pager::new(base(), 100).expect("valid"), 300, 100).len(),
        4
    );
}

/// A page the service cut short but marked with a next link is not the end.
#[test]
fn a_short_page_with_a_next_link_goes_on() {
    let pages = drive(Pager::new(base(), 1_000).expect("valid"), 1_500, 600);
    assert_eq!(pages.len(), 2, "{pages:?}");
}

#[test]
fn the_base_skip_is_the_start_and_its_top_the_total() {
    let mut query = base();
    query.skip = Some(5);
    query.top = Some(250);
    let pager = Pager::new(query, 100).expect("valid page size");
    assert_eq!(
        drive(pager, 1_000, 1_000),
        [
            (Some(5), Some(100)),
            (Some(105), Some(100)),
            (Some(205), Some(50))
        ]
    );
}

#[test]
fn an_exact_multiple_has_no_extra_page_and_zero_wants_nothing() {
    let pager = Pager::new(base(), 1_000).expect("valid").limit(3_000);
    assert_eq!(
        drive(pager, 10_000, 10_000),
        [
            (None, Some(1_000)),
            (Some(1_000), Some(1_000)),
            (Some(2_000), Some(1_000))
        ]
    );
    let mut nothing = Pager::new(base(), 1_000).expect("valid").limit(0);
    assert_eq!(nothing.next_query(), None);
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
fn paging_stops_at_the_int32_skip_cap() {
    let max_skip = i64::from(i32::MAX);
    // Starting just at the cap gives one page; past it, none.
    let mut at_cap = base();
    at_cap.skip = Some(max_skip);
    let pages = drive(Pager::new(at_cap.clone(), 10).expect("valid"), u64::MAX, 10);
    assert_eq!(pages, [(Some(max_skip), Some(10))]);
    validate(&at_cap, machine_actions()).expect("the last page validates");
    at_cap.skip = Some(max_skip + 1);
    assert_eq!(Pager::new(at_cap, 10).expect("valid").next_query(), None);
    // Ten pages short of the cap: ten pages, however much the service holds.
    let mut near = base();
    near.skip = Some(max_skip - 95);
    assert_eq!(
        drive(Pager::new(near, 10).expect("valid"), u64::MAX, 10).len(),
        10
    );
}

#[test]
fn asking_again_before_recording_repeats_the_page() {
    let mut pager = Pager::new(base(), 3).expect("valid").limit(10);
    let first = pager.next_query();
    assert_eq!(pager.next_query(), first, "a retry gets the same page");
    pager.record(3, false);
    assert_eq!(pager.next_query().and_then(|q| q.skip), Some(3));
    // Recording with no page in flight changes nothing.
    let mut idle = Pager::new(base(), 3).expect("valid");
    idle.record(0, false);
    assert!(idle.next_query().is_some());
}

#[test]
fn negative_skip_and_top_in_a_hand_made_query_do_not_panic() {
    let mut query = base();
    query.skip = Some(-5);
    query.top = Some(-1);
    assert_eq!(Pager::new(query, 10).expect("valid").next_query(), None);
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
