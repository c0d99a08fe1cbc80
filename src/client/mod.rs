//! Helpers for clients of the Defender API: where to send a query
//! ([`Endpoint`]), how to fetch more than one page of results ([`Pager`]),
//! and when the next call may go out ([`RateBudget`]).
//!
//! Owns: the documented API hosts and the entity sets' URLs, paging by
//! `$skip`/`$top`, and the rate-limit arithmetic. Must not know about: HTTP,
//! authentication, clocks or sleeping. Everything here is pure, so it works
//! with any HTTP client and async runtime, and tests drive time by hand.
//!
//! ```
//! use defender_odata::builder::{MachineActionField as F, MachineActionsQuery};
//! use defender_odata::client::Endpoint;
//! use defender_odata::model::ActionStatus;
//!
//! let query = MachineActionsQuery::new()
//!     .filter(F::Status.eq(ActionStatus::Pending))
//!     .top(10)
//!     .build()?;
//! assert_eq!(
//!     Endpoint::SecurityEu.machine_actions_url(&query),
//!     "https://eu.api.security.microsoft.com/api/machineactions?$filter=status%20eq%20'Pending'&$top=10"
//! );
//!
//! // Any entity set, with the budget its List page states.
//! use defender_odata::builder::{MachineField as M, MachinesQuery};
//! use defender_odata::client::RateBudget;
//! use defender_odata::schema::entity_set_named;
//! let machines = entity_set_named("Machines").expect("built in");
//! let query = MachinesQuery::new()
//!     .filter(M::MachineTags.any(|tag| tag.eq("ExampleTag")))
//!     .build()?;
//! assert_eq!(
//!     Endpoint::Security.entity_set_url(machines, &query),
//!     "https://api.security.microsoft.com/api/machines?$filter=machineTags/any(tag:tag%20eq%20'ExampleTag')"
//! );
//! // Machines: 100 calls a minute, 1,500 an hour.
//! let budget = RateBudget::for_set(machines);
//! assert_eq!(budget.available(std::time::Instant::now()), 100);
//! # Ok::<(), defender_odata::builder::BuildError>(())
//! ```

mod pager;
mod rate_limit;

pub use pager::{InvalidPageSize, Pager};
pub use rate_limit::{RateBudget, RateLimit};

use crate::schema::EntitySchema;
use crate::syntax::query::Query;

/// The path of the MachineActions entity set on every host.
pub const MACHINE_ACTIONS_PATH: &str = "/api/machineactions";

/// The documented hosts of the Defender for Endpoint API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// `api.securitycenter.microsoft.com`, the original global host.
    SecurityCenter,
    /// `api.security.microsoft.com`, the newer global host.
    Security,
    /// `us.api.security.microsoft.com`: United States data centers.
    SecurityUs,
    /// `eu.api.security.microsoft.com`: European Union data centers.
    SecurityEu,
    /// `uk.api.security.microsoft.com`: United Kingdom data centers.
    SecurityUk,
    /// `au.api.security.microsoft.com`: Australia data centers.
    SecurityAu,
    /// `swa.api.security.microsoft.com`: Switzerland data centers.
    SecuritySwa,
    /// `ina.api.security.microsoft.com`: India data centers.
    SecurityIna,
    /// `api-gcc.securitycenter.microsoft.us`: US Government GCC.
    UsGovGcc,
    /// `api-gov.securitycenter.microsoft.us`: US Government GCC High and DoD.
    UsGov,
}

impl Endpoint {
    /// Every documented host, global first, then regional, then US Government.
    pub const ALL: [Endpoint; 10] = [
        Endpoint::SecurityCenter,
        Endpoint::Security,
        Endpoint::SecurityUs,
        Endpoint::SecurityEu,
        Endpoint::SecurityUk,
        Endpoint::SecurityAu,
        Endpoint::SecuritySwa,
        Endpoint::SecurityIna,
        Endpoint::UsGovGcc,
        Endpoint::UsGov,
    ];

    /// The host name.
    pub const fn host(self) -> &'static str {
        match self {
            Endpoint::SecurityCenter => "api.securitycenter.microsoft.com",
            Endpoint::Security => "api.security.microsoft.com",
            Endpoint::SecurityUs => "us.api.security.microsoft.com",
            Endpoint::SecurityEu => "eu.api.security.microsoft.com",
            Endpoint::SecurityUk => "uk.api.security.microsoft.com",
            Endpoint::SecurityAu => "au.api.security.microsoft.com",
            Endpoint::SecuritySwa => "swa.api.security.microsoft.com",
            Endpoint::SecurityIna => "ina.api.security.microsoft.com",
            Endpoint::UsGovGcc => "api-gcc.securitycenter.microsoft.us",
            Endpoint::UsGov => "api-gov.securitycenter.microsoft.us",
        }
    }

    /// `https://<host>/api/machineactions`, the entity set's URL.
    pub fn machine_actions_base(self) -> String {
        format!("https://{}{MACHINE_ACTIONS_PATH}", self.host())
    }

    /// The full URL of `query` on this host: the entity set's URL, then `?`
    /// and the canonical percent-encoded query (no `?` when it is empty).
    pub fn machine_actions_url(self, query: &Query) -> String {
        self.entity_set_url(crate::machine_actions(), query)
    }

    /// `https://<host>/api/{set}`: the URL of `schema`'s entity set, its
    /// name in lower case (`/api/machines`, `/api/software`; the service
    /// matches set names in any case, and its pages write both).
    pub fn entity_set_base(self, schema: &EntitySchema) -> String {
        format!("https://{}/api/{}", self.host(), schema.path_segment())
    }

    /// The full URL of `query` on `schema`'s entity set on this host, as
    /// [`Endpoint::machine_actions_url`] is for MachineActions.
    pub fn entity_set_url(self, schema: &EntitySchema, query: &Query) -> String {
        let mut url = self.entity_set_base(schema);
        let query_string = query.to_query_string();
        if !query_string.is_empty() {
            url.push('?');
            url.push_str(&query_string);
        }
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_url_parses_back_to_its_query() {
        let query = crate::parse("$filter=status eq 'Pending' and machineId eq 'a+b'&$top=2")
            .expect("valid query");
        for endpoint in Endpoint::ALL {
            let url = endpoint.machine_actions_url(&query);
            assert!(url.starts_with(&format!("https://{}/api/machineactions?", endpoint.host())));
            assert_eq!(crate::parse(&url), Ok(query.clone()), "{url}");
        }
    }

    #[test]
    fn every_set_has_its_url_aimed_at_it() {
        let query = crate::parse("$top=1").expect("valid query");
        for &schema in crate::schema::entity_sets() {
            let url = Endpoint::Security.entity_set_url(schema, &query);
            let aimed = crate::aimed_at(&url).expect("a set's URL");
            assert!(aimed.is_some_and(|s| std::ptr::eq(s, schema)), "{url}");
        }
        assert_eq!(
            Endpoint::SecurityCenter
                .entity_set_base(crate::schema::entity_set_named("Software").unwrap()),
            "https://api.securitycenter.microsoft.com/api/software"
        );
    }

    #[test]
    fn an_empty_query_has_no_question_mark() {
        assert_eq!(
            Endpoint::UsGov.machine_actions_url(&Query::default()),
            "https://api-gov.securitycenter.microsoft.us/api/machineactions"
        );
    }
}
