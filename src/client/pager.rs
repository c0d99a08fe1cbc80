//! Paging a query whose results do not fit one response.
//!
//! Owns: the sequence of page queries and when it ends. Must not know
//! about: HTTP; the client sends each page and records what came back.

use crate::schema::EntitySchema;
use crate::syntax::query::Query;

/// The page size given to [`Pager::new`] was 0 or more than the entity set's
/// `$top` cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a page size must be between 1 and {max}, not {page_size}")]
pub struct InvalidPageSize {
    /// The page size asked for.
    pub page_size: u32,
    /// The largest allowed (the entity set's `$top` cap).
    pub max: i64,
}

/// The queries that fetch a query's results page by page, driven by what
/// the service answers: ask [`Pager::next_query`] for a page, send it, and
/// tell the pager what came back with [`Pager::record`]. `$skip` steps by the
/// page size, `$top` is the page size (less on the last page), and every
/// other option is the base query's.
///
/// Decisions:
/// - Paging ends at the first page that comes back short (fewer results
///   than its `$top`) without an `@odata.nextLink`, when the total wanted is
///   reached, or when the next `$skip` would pass the entity set's `$skip`
///   cap (an int32 for MachineActions; results past it cannot be reached by
///   paging: narrow the filter by `creationDateTimeUtc` ranges instead).
///   Nothing is guessed from a total the client does not know, so a query
///   without `$top` asks for one page at a time, not for every page the
///   `$skip` cap would allow.
/// - The base query's `$skip` is where paging starts and its `$top`, if any,
///   is how many results are wanted in all, so the pages together ask for
///   exactly what the base query asks for, only split. [`Pager::limit`]
///   sets a total beyond the `$top` cap.
/// - The first page at `$skip=0` carries no `$skip`, so it is the plain
///   query a client would have written.
/// - Page over a stable order (the default, newest `creationDateTimeUtc`
///   first, or an `$orderby` ending in `id`); actions created between calls
///   shift later pages.
///
/// ```
/// use defender_odata::client::Pager;
///
/// let base = defender_odata::parse("$filter=status eq 'Succeeded'")?;
/// let mut pager = Pager::new(base, 10_000)?;
/// let mut sent = Vec::new();
/// // The service holds 23,456 matching actions.
/// let mut left = 23_456;
/// while let Some(page) = pager.next_query() {
///     sent.push(page.to_string());
///     let returned = left.min(10_000);
///     left -= returned;
///     pager.record(returned, false);
/// }
/// assert_eq!(
///     sent,
///     [
///         "$filter=status eq 'Succeeded'&$top=10000",
///         "$filter=status eq 'Succeeded'&$skip=10000&$top=10000",
///         "$filter=status eq 'Succeeded'&$skip=20000&$top=10000",
///     ]
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Pager {
    base: Query,
    page_size: u64,
    /// The `$skip` of the next page.
    next_skip: u64,
    /// Results still wanted; `None`: all there are.
    remaining: Option<u64>,
    max_skip: u64,
    /// The `$top` of the page sent and not yet recorded.
    in_flight: Option<u64>,
    /// The service said there is no more.
    exhausted: bool,
}

impl Pager {
    /// Pages `base` over MachineActions, `page_size` results a page (at most
    /// 10,000, the `$top` cap).
    pub fn new(base: Query, page_size: u32) -> Result<Pager, InvalidPageSize> {
        Pager::for_schema(base, page_size, crate::schema::machine_actions())
    }

    /// Pages `base` over the entity set `schema` describes, with its caps.
    pub fn for_schema(
        base: Query,
        page_size: u32,
        schema: &EntitySchema,
    ) -> Result<Pager, InvalidPageSize> {
        if page_size == 0 || i64::from(page_size) > schema.max_top {
            return Err(InvalidPageSize {
                page_size,
                max: schema.max_top,
            });
        }
        let non_negative = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(Pager {
            next_skip: base.skip.map_or(0, non_negative),
            remaining: base.top.map(non_negative),
            page_size: u64::from(page_size),
            max_skip: non_negative(schema.max_skip),
            in_flight: None,
            exhausted: false,
            base,
        })
    }

    /// Wants at most `total` results in all (replacing the base query's
    /// `$top`), which may be far more than one page.
    #[must_use]
    pub fn limit(mut self, total: u64) -> Pager {
        self.remaining = Some(total);
        self
    }

    /// The query of the next page, or `None` when paging is over. Asked
    /// again before [`Pager::record`], it gives the same page again (to
    /// retry a failed call).
    pub fn next_query(&mut self) -> Option<Query> {
        if self.is_done() {
            return None;
        }
        let top = self
            .remaining
            .map_or(self.page_size, |r| r.min(self.page_size));
        self.in_flight = Some(top);
        let mut page = self.base.clone();
        // Both fit: next_skip ≤ max_skip (an i64) and top ≤ the `$top` cap.
        page.skip = (self.next_skip > 0).then(|| i64::try_from(self.next_skip).unwrap_or(i64::MAX));
        page.top = Some(i64::try_from(top).unwrap_or(i64::MAX));
        Some(page)
    }

    /// Records the service's answer to the page [`Pager::next_query`] gave:
    /// how many results it held, and whether it carried `@odata.nextLink`.
    /// A page that came back short and without a next link ends paging.
    /// Without a page in flight it does nothing.
    pub fn record(&mut self, returned: usize, next_link: bool) {
        let Some(top) = self.in_flight.take() else {
            return;
        };
        let returned = u64::try_from(returned).unwrap_or(u64::MAX);
        self.next_skip = self.next_skip.saturating_add(top);
        if let Some(remaining) = &mut self.remaining {
            *remaining = remaining.saturating_sub(top);
        }
        if returned < top && !next_link {
            self.exhausted = true;
        }
    }

    /// Whether paging is over: the service ran out, the total wanted was
    /// reached, or the next `$skip` would pass the cap.
    pub fn is_done(&self) -> bool {
        self.exhausted || self.remaining == Some(0) || self.next_skip > self.max_skip
    }
}
