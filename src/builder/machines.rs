//! The Machines builder's fields: which properties of [`MACHINES`] can be
//! filtered (all but `machineTags` also sorted) on, and the kind of value
//! each takes.
//!
//! Must not know about: query text, or how a field becomes a filter (the
//! parent module's mechanism).

use super::{EntitySet, FilterOf, QueryBuilder};
use crate::model::MachineProperty;
use crate::schema::machine::MACHINES;
use crate::schema::EntitySchema;

/// The Machines entity set, as the type its fields, filters and queries
/// are built for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Machines;

impl EntitySet for Machines {
    const SCHEMA: &'static EntitySchema = &MACHINES;
    type Property = MachineProperty;
}

/// A Boolean `$filter` on Machines, built from [`MachineField`]s.
pub type MachineFilter = FilterOf<Machines>;

/// A Machines query under construction; see [`QueryBuilder`].
pub type MachinesQuery = QueryBuilder<Machines>;

fields! {
    /// The filterable Machines properties, each typed by the values it
    /// takes; all but `machineTags` are sortable too. The other
    /// properties can be selected (see [`MachineProperty`]) but not
    /// filtered or sorted on, so they have no field here.
    ///
    /// ```
    /// use defender_odata::builder::{MachineField as M, MachinesQuery};
    /// use defender_odata::model::{HealthStatus, MachineProperty, RiskScore};
    /// use defender_odata::{check, schema, ParseOptions};
    ///
    /// let query = MachinesQuery::new()
    ///     .filter(
    ///         M::RiskScore
    ///             .is_in([RiskScore::Medium, RiskScore::High])
    ///             .and(M::HealthStatus.ne(HealthStatus::Active))
    ///             .and(M::MachineTags.any(|tag| tag.eq("ExampleTag")))
    ///             .and(M::RbacGroupId.eq(140)),
    ///     )
    ///     .orderby(M::LastSeen.desc())
    ///     .select([MachineProperty::Id, MachineProperty::ComputerDnsName])
    ///     .top(100)
    ///     .build()?;
    /// let text = query.to_string();
    /// assert_eq!(
    ///     text,
    ///     "$filter=riskScore in ('Medium','High') and healthStatus ne 'Active' \
    ///      and machineTags/any(tag:tag eq 'ExampleTag') and rbacGroupId eq 140\
    ///      &$orderby=lastSeen desc&$top=100&$select=id,computerDnsName"
    /// );
    /// // The service's rules accept it, and the parser reads it back.
    /// let machines = schema::entity_set_named("Machines").expect("built in");
    /// assert!(check(&text, machines, &ParseOptions::default())?.warnings().is_empty());
    /// assert_eq!(defender_odata::parse(&query.to_query_string())?, query);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    MachineField of Machines, named by MachineProperty {
        /// `id`: the device's id, as text.
        Id: Field<Text>;
        /// `computerDnsName`: the device's DNS name, as text.
        ComputerDnsName: Field<Text>;
        /// `lastSeen`: a `chrono::DateTime`.
        LastSeen: Field<DateTimeOffset>;
        /// `osPlatform`: as text (`Windows10`, `Linux`, …).
        OsPlatform: Field<Text>;
        /// `onboardingStatus`: an [`OnboardingStatus`](crate::model::OnboardingStatus) or text.
        OnboardingStatus: Field<OnboardingStatus>;
        /// `version`: the OS version, as text.
        Version: Field<Text>;
        /// `lastIpAddress`: as text.
        LastIpAddress: Field<Text>;
        /// `healthStatus`: a [`HealthStatus`](crate::model::HealthStatus) or text.
        HealthStatus: Field<HealthStatus>;
        /// `rbacGroupId`: an integer.
        RbacGroupId: Field<Int64>;
        /// `riskScore`: a [`RiskScore`](crate::model::RiskScore) or text.
        RiskScore: Field<RiskScore>;
        /// `aadDeviceId`: the Microsoft Entra device id, as text.
        AadDeviceId: Field<Text>;
        /// `machineTags`: a collection of text, filtered through a lambda
        /// whose element is `tag`: `machineTags/any(tag:tag eq 'x')`.
        MachineTags: CollectionField<Text>, variable "tag";
        /// `exposureLevel`: an [`ExposureLevel`](crate::model::ExposureLevel) or text.
        ExposureLevel: Field<ExposureLevel>;
        /// `deviceValue`: a [`DeviceValue`](crate::model::DeviceValue) or text.
        DeviceValue: Field<DeviceValue>;
    }
}
