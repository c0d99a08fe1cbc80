//! Paging a query whose results do not fit one response.
//!
//! Owns: the sequence of page queries. Must not know about: HTTP; the client
//! sends each page and stops early when one comes back short.

use std::iter::FusedIterator;

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

/// The queries that fetch a query's results page by page: `$skip` steps by
/// the page size, `$top` is the page size (less on the last page), and every
/// other option is the base query's.
///
/// Decisions:
/// - The base query's `$skip` is where paging starts and its `$top`, if any,
///   is how many results are wanted in all, so the pages together ask for
///   exactly what the base query asks for, only split. [`Pager::limit`]
///   sets a total beyond the `$top` cap.
/// - Pages stop when the total is reached or when the next `$skip` would
///   pass the entity set's `$skip` cap (an int32 for MachineActions): results
///   past `max_skip + page_size` cannot be reached by paging at all. Narrow
///   the filter (by `creationDateTimeUtc` ranges) to get at them.
/// - The first page at `$skip=0` carries no `$skip`, so it is the plain
///   query a client would have written.
/// - The pager cannot know when the results run out: stop at the first page
///   that returns fewer than its `$top`. Page over a stable order (the
///   default, newest `creationDateTimeUtc` first, or an `$orderby` ending in
///   `id`); actions created between calls shift later pages.
///
/// ```
/// use defender_odata::client::Pager;
///
/// let base = defender_odata::parse("$filter=status eq 'Succeeded'&$top=25000")?;
/// let pages: Vec<String> = Pager::new(base, 10_000)?.map(|q| q.to_string()).collect();
/// assert_eq!(
///     pages,
///     [
///         "$filter=status eq 'Succeeded'&$top=10000",
///         "$filter=status eq 'Succeeded'&$skip=10000&$top=10000",
///         "$filter=status eq 'Succeeded'&$skip=20000&$top=5000",
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
            base,
        })
    }

    /// Wants at most `total` results in all (replacing the base query's
    /// `$top`), which may be far more than one page.
    pub fn limit(mut self, total: u64) -> Pager {
        self.remaining = Some(total);
        self
    }

    /// The number of pages left.
    fn pages_left(&self) -> u64 {
        if self.next_skip > self.max_skip {
            return 0;
        }
        let by_skip = (self.max_skip - self.next_skip) / self.page_size + 1;
        match self.remaining {
            Some(remaining) => by_skip.min(remaining.div_ceil(self.page_size)),
            None => by_skip,
        }
    }
}

impl Iterator for Pager {
    type Item = Query;

    fn next(&mut self) -> Option<Query> {
        if self.pages_left() == 0 {
            return None;
        }
        let top = self
            .remaining
            .map_or(self.page_size, |r| r.min(self.page_size));
        let mut page = self.base.clone();
        // Both fit: next_skip ≤ max_skip (an i64) and top ≤ the `$top` cap.
        page.skip = (self.next_skip > 0).then(|| i64::try_from(self.next_skip).unwrap_or(i64::MAX));
        page.top = Some(i64::try_from(top).unwrap_or(i64::MAX));
        self.next_skip += top;
        if let Some(remaining) = &mut self.remaining {
            *remaining -= top;
        }
        Some(page)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.pages_left()).unwrap_or(usize::MAX);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Pager {}

impl FusedIterator for Pager {}
