//! The Alerts builder's fields: which properties of [`ALERTS`] can be
//! filtered and sorted on, and the kind of value each takes.
//!
//! Must not know about: query text, or how a field becomes a filter (the
//! parent module's mechanism).

use super::{EntitySet, FilterOf, QueryBuilder};
use crate::model::AlertProperty;
use crate::schema::alert::ALERTS;
use crate::schema::EntitySchema;

/// The Alerts entity set, as the type its fields, filters and queries are
/// built for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Alerts;

impl EntitySet for Alerts {
    const SCHEMA: &'static EntitySchema = &ALERTS;
    type Property = AlertProperty;
}

/// A Boolean `$filter` on Alerts, built from [`AlertField`]s.
pub type AlertFilter = FilterOf<Alerts>;

/// An Alerts query under construction; see [`QueryBuilder`].
pub type AlertsQuery = QueryBuilder<Alerts>;

fields! {
    /// The filterable (and sortable) Alerts properties, each typed by the
    /// values it takes. The other properties can be selected (see
    /// [`AlertProperty`]) but not filtered or sorted on, so they have no
    /// field here.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use defender_odata::builder::{AlertField as A, AlertsQuery};
    /// use defender_odata::model::{AlertProperty, AlertSeverity, AlertStatus};
    /// use defender_odata::{check, schema, ParseOptions};
    ///
    /// let since = Utc.with_ymd_and_hms(2019, 11, 22, 0, 0, 0).unwrap();
    /// let query = AlertsQuery::new()
    ///     .filter(
    ///         A::LastUpdateTime
    ///             .ge(since)
    ///             .and(A::Status.ne(AlertStatus::Resolved))
    ///             .and(A::Severity.is_in([AlertSeverity::Medium, AlertSeverity::High]))
    ///             .and(A::IncidentId.is_not_null()),
    ///     )
    ///     .orderby(A::AlertCreationTime.desc())
    ///     .select([AlertProperty::Id, AlertProperty::Title, AlertProperty::Severity])
    ///     .top(10)
    ///     .build()?;
    /// let text = query.to_string();
    /// assert_eq!(
    ///     text,
    ///     "$filter=lastUpdateTime ge 2019-11-22T00:00:00Z and status ne 'Resolved' \
    ///      and severity in ('Medium','High') and incidentId ne null\
    ///      &$orderby=alertCreationTime desc&$top=10&$select=id,title,severity"
    /// );
    /// // The service's rules accept it, and the parser reads it back.
    /// let alerts = schema::entity_set_named("Alerts").expect("built in");
    /// assert!(check(&text, alerts, &ParseOptions::default())?.warnings().is_empty());
    /// assert_eq!(defender_odata::parse(&query.to_query_string())?, query);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    AlertField of Alerts, named by AlertProperty {
        /// `id`: the alert's id, as text.
        Id: Field<Text>;
        /// `alertCreationTime`: a `chrono::DateTime`.
        AlertCreationTime: Field<DateTimeOffset>;
        /// `lastEventTime`: a `chrono::DateTime`.
        LastEventTime: Field<DateTimeOffset>;
        /// `lastUpdateTime`: a `chrono::DateTime`.
        LastUpdateTime: Field<DateTimeOffset>;
        /// `incidentId`: an integer.
        IncidentId: Field<Int64>;
        /// `investigationId`: an integer.
        InvestigationId: Field<Int64>;
        /// `assignedTo`: the owner, as text (the List page's `asssignedTo`
        /// is a typo of it).
        AssignedTo: Field<Text>;
        /// `severity`: an [`AlertSeverity`](crate::model::AlertSeverity) or text.
        Severity: Field<AlertSeverity>;
        /// `status`: an [`AlertStatus`](crate::model::AlertStatus) or text.
        Status: Field<AlertStatus>;
        /// `category`: as text.
        Category: Field<Text>;
        /// `detectionSource`: as text.
        DetectionSource: Field<Text>;
    }
}
