//! The API's rate limits as a budget a client consults before each call.
//!
//! Owns: the sliding-window arithmetic. Must not know about: clocks,
//! sleeping or HTTP. Every method takes the current time as an
//! [`Instant`], so the caller chooses the clock (`Instant::now()` in
//! production, a base instant plus offsets in tests).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// At most `calls` calls in any `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// How many calls the window allows.
    pub calls: u32,
    /// How long the window is.
    pub window: Duration,
}

impl RateLimit {
    /// The Defender API's per-minute limit: 100 calls.
    pub const PER_MINUTE: RateLimit = RateLimit {
        calls: 100,
        window: Duration::from_secs(60),
    };

    /// The Defender API's per-hour limit: 1,500 calls.
    pub const PER_HOUR: RateLimit = RateLimit {
        calls: 1_500,
        window: Duration::from_secs(3_600),
    };

    /// The limits the Defender API's pages state for a list: 100 calls a
    /// minute and 1,500 an hour.
    pub const DOCUMENTED: &'static [RateLimit] = &[RateLimit::PER_MINUTE, RateLimit::PER_HOUR];
}

impl std::str::FromStr for RateLimit {
    type Err = String;

    /// Reads `N/s`, `N/min` or `N/h`: `100/min` is [`RateLimit::PER_MINUTE`].
    fn from_str(text: &str) -> Result<RateLimit, String> {
        let (calls, unit) = text
            .split_once('/')
            .ok_or_else(|| format!("'{text}' is not a rate limit: write N/s, N/min or N/h"))?;
        let calls = calls
            .trim()
            .parse::<u32>()
            .map_err(|_| format!("'{calls}' is not a number of calls (0 to {})", u32::MAX))?;
        let window = match unit.trim() {
            "s" => Duration::from_secs(1),
            "min" => Duration::from_secs(60),
            "h" => Duration::from_secs(3_600),
            other => return Err(format!("'{other}' is not a unit: use s, min or h")),
        };
        Ok(RateLimit { calls, window })
    }
}

impl std::fmt::Display for RateLimit {
    /// `N/s`, `N/min` or `N/h` when the window is one of them, else `N/Ds`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.window.as_secs() {
            1 if self.window.subsec_nanos() == 0 => write!(f, "{}/s", self.calls),
            60 if self.window.subsec_nanos() == 0 => write!(f, "{}/min", self.calls),
            3_600 if self.window.subsec_nanos() == 0 => write!(f, "{}/h", self.calls),
            _ => write!(f, "{}/{}s", self.calls, self.window.as_secs_f64()),
        }
    }
}

/// A client's rate-limit budget: it tells how long to wait before the next
/// call so that no limit is exceeded.
///
/// Decision: **sliding windows**. A call made at `t` counts against a limit
/// until `t + window` (exclusive: at exactly `t + window` it no longer
/// counts). Whether the service counts in fixed or sliding windows is not
/// documented; a client that never has more than `calls` calls in *any*
/// window of that length is within the limit under either reading, and it
/// can never burst `2 × calls` across a fixed window's edge.
///
/// Memory is bounded: only the most recent `max(calls)` calls can matter,
/// so no more are kept.
///
/// ```
/// use std::time::{Duration, Instant};
/// use defender_odata::client::RateBudget;
///
/// let start = Instant::now();
/// let mut budget = RateBudget::defender();
/// for i in 0..100 {
///     assert_eq!(budget.try_acquire(start + Duration::from_millis(i)), Ok(()));
/// }
/// // The 101st call in the same minute must wait until the first leaves it.
/// let now = start + Duration::from_secs(1);
/// assert_eq!(budget.wait_time(now), Duration::from_secs(59));
/// # Ok::<(), Duration>(())
/// ```
#[derive(Clone, Debug)]
pub struct RateBudget {
    limits: Vec<RateLimit>,
    /// When the kept calls were made, oldest first.
    calls: VecDeque<Instant>,
    /// No call before this (after a throttled response's `Retry-After`).
    blocked_until: Option<Instant>,
    /// How many calls are kept: the largest `calls` of the limits.
    keep: usize,
}

impl RateBudget {
    /// The Defender API's limits: 100 calls a minute and 1,500 an hour.
    pub fn defender() -> RateBudget {
        RateBudget::new(RateLimit::DOCUMENTED.iter().copied())
    }

    /// The budget of `schema`'s entity set: the limits its List page
    /// states, none where it states none.
    pub fn for_set(schema: &crate::schema::EntitySchema) -> RateBudget {
        RateBudget::new(schema.rate_limits.iter().copied())
    }

    /// A budget for any set of limits. A limit of 0 calls blocks every call
    /// for ever ([`wait_time`](RateBudget::wait_time) is `Duration::MAX`).
    pub fn new(limits: impl IntoIterator<Item = RateLimit>) -> RateBudget {
        let limits: Vec<RateLimit> = limits.into_iter().collect();
        let keep = limits
            .iter()
            .map(|l| usize::try_from(l.calls).unwrap_or(usize::MAX))
            .max()
            .unwrap_or(0);
        RateBudget {
            limits,
            calls: VecDeque::new(),
            blocked_until: None,
            keep,
        }
    }

    /// How long to wait, from `now`, before the next call stays within every
    /// limit; zero when a call may go out now.
    #[must_use]
    pub fn wait_time(&self, now: Instant) -> Duration {
        let blocked = self
            .blocked_until
            .map_or(Duration::ZERO, |until| until.saturating_duration_since(now));
        self.limits
            .iter()
            .map(|limit| self.wait_for(limit, now))
            .fold(blocked, Duration::max)
    }

    /// The wait that `limit` alone imposes at `now`.
    fn wait_for(&self, limit: &RateLimit, now: Instant) -> Duration {
        let allowed = usize::try_from(limit.calls).unwrap_or(usize::MAX);
        if allowed == 0 {
            return Duration::MAX;
        }
        // With `allowed` calls already made, the next may go out once the
        // `allowed`-th most recent leaves the window; earlier ones have left
        // it before that one, and later ones still leave room for one call.
        let Some(index) = self.calls.len().checked_sub(allowed) else {
            return Duration::ZERO;
        };
        match self.calls.get(index) {
            // A window too long to add to an instant never ends.
            Some(&oldest) => oldest
                .checked_add(limit.window)
                .map_or(Duration::MAX, |free| free.saturating_duration_since(now)),
            None => Duration::ZERO,
        }
    }

    /// How many calls may go out at `now`, one right after the other,
    /// before one would have to wait.
    #[must_use]
    pub fn available(&self, now: Instant) -> u32 {
        if self.blocked_until.is_some_and(|until| until > now) {
            return 0;
        }
        self.limits
            .iter()
            .map(|limit| {
                let in_window = self
                    .calls
                    .iter()
                    .rev()
                    .take_while(|&&t| t.checked_add(limit.window).is_none_or(|end| end > now))
                    .count();
                limit
                    .calls
                    .saturating_sub(u32::try_from(in_window).unwrap_or(u32::MAX))
            })
            .min()
            .unwrap_or(u32::MAX)
    }

    /// Records a call made at `now` if the budget allows one; otherwise
    /// records nothing and returns how long to wait.
    pub fn try_acquire(&mut self, now: Instant) -> Result<(), Duration> {
        match self.wait_time(now) {
            Duration::ZERO => {
                self.record(now);
                Ok(())
            }
            wait => Err(wait),
        }
    }

    /// Records a call made at `now`, allowed or not (a call made outside
    /// this budget still counts against the service's limits).
    ///
    /// Calls are expected in time order; an earlier `now` than the last
    /// recorded call is treated as made at that last call, the safe side.
    pub fn record(&mut self, now: Instant) {
        let now = self.calls.back().map_or(now, |&last| now.max(last));
        self.calls.push_back(now);
        while self.calls.len() > self.keep {
            self.calls.pop_front();
        }
    }

    /// Honors a throttled (HTTP 429) response received at `now` whose
    /// `Retry-After` was `retry_after`: no call before `now + retry_after`.
    /// A `Retry-After` above a day is read as a day, so a garbled header
    /// cannot block a client for ever.
    pub fn back_off(&mut self, now: Instant, retry_after: Duration) {
        const LONGEST: Duration = Duration::from_secs(86_400);
        let Some(until) = now.checked_add(retry_after.min(LONGEST)) else {
            return;
        };
        self.blocked_until = Some(self.blocked_until.map_or(until, |before| before.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_limit_reads_and_writes_calls_per_unit() {
        assert_eq!("100/min".parse(), Ok(RateLimit::PER_MINUTE));
        assert_eq!(" 1500 / h ".parse(), Ok(RateLimit::PER_HOUR));
        let per_second: RateLimit = "5/s".parse().unwrap();
        assert_eq!(per_second.window, Duration::from_secs(1));
        for limit in [RateLimit::PER_MINUTE, RateLimit::PER_HOUR, per_second] {
            assert_eq!(limit.to_string().parse(), Ok(limit));
        }
        for bad in ["100", "x/min", "100/day", "-1/s", "/min", "5000000000/h"] {
            assert!(bad.parse::<RateLimit>().is_err(), "{bad}");
        }
    }
}
