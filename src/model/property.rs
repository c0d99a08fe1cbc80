//! The names of wire objects' properties and their known values:
//! [`PropertyKey`] and [`PropertySet`] (a bitset of one type's
//! properties), the property enums [`Property`] and [`FileInfoProperty`]
//! (declared over the schema's property lists, which own the names), and
//! the known values of MachineActions' `type` and `status` ([`ActionType`],
//! [`ActionStatus`]); and the property enums and filterable enumerations of
//! Machines ([`MachineProperty`], [`HealthStatus`], [`RiskScore`],
//! [`ExposureLevel`], [`DeviceValue`], [`OnboardingStatus`]) and Alerts
//! ([`AlertProperty`], [`AlertSeverity`], [`AlertStatus`]), for `$select`
//! and the typed builder.
//!
//! Must not know about: property values, reading or writing the wire
//! JSON, or evaluation.

use std::fmt;
use std::marker::PhantomData;

/// The known properties of a wire object, usable as members of a
/// [`PropertySet`].
pub trait PropertyKey: Copy + Eq + fmt::Debug + 'static {
    /// Every property, in the order they are written.
    const ALL: &'static [Self];

    /// The property's position in [`PropertyKey::ALL`] (below 32).
    fn index(self) -> u32;

    /// The exact (camelCase) name on the wire.
    fn wire_name(self) -> &'static str;

    /// The property a wire name denotes, exactly as spelled; aliases
    /// included.
    fn from_wire_name(name: &str) -> Option<Self>;
}

/// A set of the known properties of one wire object type: in
/// [`MachineAction::absent`](super::MachineAction::absent), those absent
/// from the input.
pub struct PropertySet<P> {
    bits: u32,
    _property: PhantomData<fn() -> P>,
}

// Derives would demand `P: Clone` etc. of the marker type; the set itself
// is a plain `u32`.
impl<P> Clone for PropertySet<P> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P> Copy for PropertySet<P> {}
impl<P> PartialEq for PropertySet<P> {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits
    }
}
impl<P> Eq for PropertySet<P> {}
impl<P> Default for PropertySet<P> {
    fn default() -> Self {
        PropertySet::new()
    }
}

impl<P: PropertyKey> fmt::Debug for PropertySet<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<P> PropertySet<P> {
    /// The empty set.
    pub const fn new() -> PropertySet<P> {
        PropertySet {
            bits: 0,
            _property: PhantomData,
        }
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.bits == 0
    }
}

impl<P: PropertyKey> PropertySet<P> {
    /// Every known property.
    pub fn all() -> PropertySet<P> {
        P::ALL.iter().fold(PropertySet::new(), |mut set, &p| {
            set.insert(p);
            set
        })
    }

    /// Whether `property` is in the set.
    pub fn contains(&self, property: P) -> bool {
        self.bits & (1 << property.index()) != 0
    }

    /// Adds `property`; returns whether it was not there yet.
    pub fn insert(&mut self, property: P) -> bool {
        let fresh = !self.contains(property);
        self.bits |= 1 << property.index();
        fresh
    }

    /// Removes `property`; returns whether it was there.
    pub fn remove(&mut self, property: P) -> bool {
        let present = self.contains(property);
        self.bits &= !(1 << property.index());
        present
    }

    /// The known properties not in the set.
    pub fn complement(&self) -> PropertySet<P> {
        PropertySet {
            bits: PropertySet::<P>::all().bits & !self.bits,
            _property: PhantomData,
        }
    }

    /// The members, in [`PropertyKey::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = P> + '_ {
        P::ALL.iter().copied().filter(|&p| self.contains(p))
    }
}

/// Declares a property enum over a schema's property list: variant `i` is
/// the schema's property `i`, whose name (and aliases) it answers to. The
/// names live in the schema only.
macro_rules! properties {
    (
        $(#[$meta:meta])*
        $name:ident in $defs:expr => { $( $(#[$vmeta:meta])* $variant:ident, )* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// The exact (camelCase) name on the wire: the schema's.
            pub fn wire_name(self) -> &'static str {
                $defs[self as usize].name
            }

            /// Resolves a property name case-insensitively (as the service
            /// does), aliases included.
            pub fn resolve(name: &str) -> Option<$name> {
                let def = crate::schema::find_property($defs, name)?;
                <$name as PropertyKey>::ALL
                    .iter()
                    .copied()
                    .find(|p| std::ptr::eq(&$defs[*p as usize], def))
            }
        }

        // A `PropertySet` is a `u32` bitset, and every variant is one of the
        // schema's properties, in its order.
        const _: () = assert!(<$name as PropertyKey>::ALL.len() <= 32);
        const _: () = assert!(<$name as PropertyKey>::ALL.len() == $defs.len());

        impl PropertyKey for $name {
            const ALL: &'static [$name] = &[ $( $name::$variant, )* ];

            fn index(self) -> u32 {
                self as u32
            }

            fn wire_name(self) -> &'static str {
                $name::wire_name(self)
            }

            fn from_wire_name(name: &str) -> Option<$name> {
                <$name as PropertyKey>::ALL.iter().copied().find(|p| {
                    let def = &$defs[*p as usize];
                    def.name == name || def.aliases.contains(&name)
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.wire_name())
            }
        }
    };
}

properties! {
    /// The properties of a [`MachineAction`](super::MachineAction), in the
    /// order of the MachineActions schema, which is the order the service
    /// writes them in its responses (the docs' Examples 1 and 2 put `scope`
    /// right after `type`) and this crate writes them.
    ///
    /// It is the [`Entity::Accessor`](super::Entity::Accessor) of
    /// `MachineAction`.
    Property in crate::schema::MACHINE_ACTIONS.properties => {
        /// `id`: the action's GUID, as text.
        Id,
        /// `type`: what the action does; see [`ActionType`].
        Type,
        /// `scope`: e.g. `Full` or `Selective`.
        Scope,
        /// `title`.
        Title,
        /// `requestor`: who asked for the action.
        Requestor,
        /// `requestorComment`.
        RequestorComment,
        /// `status`: see [`ActionStatus`].
        Status,
        /// `machineId`: the device the action runs on.
        MachineId,
        /// `computerDnsName`.
        ComputerDnsName,
        /// `creationDateTimeUtc`.
        CreationDateTimeUtc,
        /// `lastUpdateDateTimeUtc` (also read as `lastUpdateTimeUtc`, the
        /// spelling of the docs' examples).
        LastUpdateDateTimeUtc,
        /// `cancellationRequestor`.
        CancellationRequestor,
        /// `cancellationComment`.
        CancellationComment,
        /// `cancellationDateTimeUtc`.
        CancellationDateTimeUtc,
        /// `errorHResult`: an Int32.
        ErrorHResult,
        /// `externalId`: the caller's correlation id.
        ExternalId,
        /// `requestSource`.
        RequestSource,
        /// `relatedFileInfo`: see [`RelatedFileInfo`](super::RelatedFileInfo).
        RelatedFileInfo,
        /// `commands`: the live response commands.
        Commands,
        /// `troubleshootInfo`.
        TroubleshootInfo,
    }
}

properties! {
    /// The properties of a [`RelatedFileInfo`](super::RelatedFileInfo), in
    /// writing order.
    FileInfoProperty in crate::schema::machine_action::FILE_INFO.properties => {
        /// `fileIdentifier`: the hash.
        FileIdentifier,
        /// `fileIdentifierType`: `Sha1`, `Sha256`, ...
        FileIdentifierType,
    }
}

properties! {
    /// The properties of a Machine, in the order of the Machines schema:
    /// what a typed Machines query may `$select`.
    MachineProperty in crate::schema::machine::MACHINES.properties => {
        /// `id`: the device's id.
        Id,
        /// `computerDnsName`.
        ComputerDnsName,
        /// `firstSeen`.
        FirstSeen,
        /// `lastSeen`.
        LastSeen,
        /// `osPlatform`.
        OsPlatform,
        /// `onboardingStatus`: see [`OnboardingStatus`].
        OnboardingStatus,
        /// `osProcessor`.
        OsProcessor,
        /// `version`: the OS version.
        Version,
        /// `osBuild`: an Int64.
        OsBuild,
        /// `lastIpAddress`.
        LastIpAddress,
        /// `lastExternalIpAddress`.
        LastExternalIpAddress,
        /// `healthStatus`: see [`HealthStatus`].
        HealthStatus,
        /// `rbacGroupName`.
        RbacGroupName,
        /// `rbacGroupId`: an Int64.
        RbacGroupId,
        /// `riskScore`: see [`RiskScore`].
        RiskScore,
        /// `aadDeviceId`.
        AadDeviceId,
        /// `machineTags`: a collection of strings.
        MachineTags,
        /// `exposureLevel`: see [`ExposureLevel`].
        ExposureLevel,
        /// `deviceValue`: see [`DeviceValue`].
        DeviceValue,
        /// `ipAddresses`: the network interfaces.
        IpAddresses,
        /// `osArchitecture`.
        OsArchitecture,
        /// `isAadJoined`.
        IsAadJoined,
    }
}

properties! {
    /// The properties of an Alert, in the order of the Alerts schema: what
    /// a typed Alerts query may `$select`.
    AlertProperty in crate::schema::alert::ALERTS.properties => {
        /// `id`: the alert's id.
        Id,
        /// `title`.
        Title,
        /// `description`.
        Description,
        /// `alertCreationTime`.
        AlertCreationTime,
        /// `lastEventTime`.
        LastEventTime,
        /// `firstEventTime`.
        FirstEventTime,
        /// `lastUpdateTime`.
        LastUpdateTime,
        /// `resolvedTime`.
        ResolvedTime,
        /// `incidentId`: an Int64.
        IncidentId,
        /// `investigationId`: an Int64.
        InvestigationId,
        /// `investigationState`.
        InvestigationState,
        /// `assignedTo`: the alert's owner.
        AssignedTo,
        /// `rbacGroupName`.
        RbacGroupName,
        /// `mitreTechniques`: a collection of technique ids.
        MitreTechniques,
        /// `relatedUser`: the user the alert is about.
        RelatedUser,
        /// `severity`: see [`AlertSeverity`].
        Severity,
        /// `status`: see [`AlertStatus`].
        Status,
        /// `classification`.
        Classification,
        /// `determination`.
        Determination,
        /// `category`.
        Category,
        /// `detectionSource`.
        DetectionSource,
        /// `threatFamilyName`.
        ThreatFamilyName,
        /// `threatName`.
        ThreatName,
        /// `machineId`: the device the alert is on.
        MachineId,
        /// `computerDnsName`.
        ComputerDnsName,
        /// `aadTenantId`.
        AadTenantId,
        /// `detectorId`.
        DetectorId,
        /// `comments`.
        Comments,
        /// `evidence`.
        Evidence,
    }
}

// ---------------------------------------------------------------------------
// Known values of enumerations (MachineActions' `type` and `status`, and the
// filterable enumerations of Machines and Alerts)

/// Declares a string-valued enum of known values.
macro_rules! known_values {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident, )* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// Every known value, in the documentation's order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )* ];

            /// Every known value as the service spells it, in the same
            /// order: the schema's list of known values.
            pub const NAMES: &'static [&'static str] = &[ $( stringify!($variant), )* ];

            /// The value as the service spells it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => stringify!($variant), )*
                }
            }

            /// The known value spelled exactly `text` (values compare
            /// ordinally, as strings do in `$filter`).
            pub fn parse(text: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

known_values! {
    /// The known values of `MachineAction.type`. The property
    /// itself stays a `String`: the service adds values.
    ActionType {
        /// An antivirus scan.
        RunAntiVirusScan,
        /// Offboarding the device.
        Offboard,
        /// A live response session.
        LiveResponse,
        /// Collecting an investigation package.
        CollectInvestigationPackage,
        /// Isolating the device from the network.
        Isolate,
        /// Releasing the device from isolation.
        Unisolate,
        /// Stopping a file and quarantining it.
        StopAndQuarantineFile,
        /// Restricting app execution.
        RestrictCodeExecution,
        /// Lifting the app execution restriction.
        UnrestrictCodeExecution,
        /// Collecting a file sample.
        RequestSample,
        /// Not known to the service.
        Unknown,
    }
}

known_values! {
    /// The known values of `MachineAction.status`. The property
    /// itself stays a `String`: the service adds values.
    ActionStatus {
        /// Not started yet.
        Pending,
        /// Running.
        InProgress,
        /// Done.
        Succeeded,
        /// Done, unsuccessfully.
        Failed,
        /// Not done in time.
        TimeOut,
        /// Cancelled by a user.
        Cancelled,
    }
}

known_values! {
    /// The documented values of `Machine.healthStatus`. The property
    /// itself stays a string: the service adds values.
    HealthStatus {
        /// Reporting normally.
        Active,
        /// Has not reported for more than 7 days.
        Inactive,
        /// Communicating with impairment.
        ImpairedCommunication,
        /// Sending no sensor data.
        NoSensorData,
        /// Sending no sensor data and communicating with impairment.
        NoSensorDataImpairedCommunication,
        /// Not known.
        Unknown,
    }
}

known_values! {
    /// The documented values of `Machine.riskScore`. The property itself
    /// stays a string: the service adds values.
    RiskScore {
        /// No risk.
        None,
        /// Informational.
        Informational,
        /// Low risk.
        Low,
        /// Medium risk.
        Medium,
        /// High risk.
        High,
    }
}

known_values! {
    /// The documented values of `Machine.exposureLevel`. The property
    /// itself stays a string: the service adds values.
    ExposureLevel {
        /// No exposure.
        None,
        /// Low exposure.
        Low,
        /// Medium exposure.
        Medium,
        /// High exposure.
        High,
    }
}

known_values! {
    /// The documented values of `Machine.deviceValue`. The property itself
    /// stays a string: the service adds values.
    DeviceValue {
        /// The default value.
        Normal,
        /// Low value.
        Low,
        /// High value.
        High,
    }
}

known_values! {
    /// The documented values of `Machine.onboardingStatus`, in PascalCase.
    /// The resource table also writes `onboarded` in lower case, which the
    /// schema knows too; values compare case-sensitively, so a filter on
    /// either spelling is written as text.
    OnboardingStatus {
        /// Onboarded.
        Onboarded,
        /// Can be onboarded.
        CanBeOnboarded,
        /// Cannot be onboarded.
        Unsupported,
        /// Not enough information to tell.
        InsufficientInfo,
    }
}

known_values! {
    /// The documented values of `Alert.severity`. The property itself
    /// stays a string: the service adds values.
    AlertSeverity {
        /// Not specified.
        UnSpecified,
        /// Informational.
        Informational,
        /// Low.
        Low,
        /// Medium.
        Medium,
        /// High.
        High,
    }
}

known_values! {
    /// The documented values of `Alert.status`. The property itself stays
    /// a string: the service adds values.
    AlertStatus {
        /// Not known.
        Unknown,
        /// Not looked at yet.
        New,
        /// Being looked at.
        InProgress,
        /// Closed.
        Resolved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_set_operations() {
        let mut set = PropertySet::<Property>::new();
        assert!(set.is_empty());
        assert!(set.insert(Property::Scope));
        assert!(!set.insert(Property::Scope));
        assert!(set.contains(Property::Scope));
        assert_eq!(set.complement().iter().count(), Property::ALL.len() - 1);
        assert!(!set.complement().contains(Property::Scope));
        assert!(set.remove(Property::Scope));
        assert!(set.is_empty());
        assert_eq!(PropertySet::<Property>::all().iter().count(), 20);
    }

    #[test]
    fn known_values_round_trip() {
        for t in ActionType::ALL {
            assert_eq!(ActionType::parse(t.as_str()), Some(*t));
        }
        for s in ActionStatus::ALL {
            assert_eq!(ActionStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(ActionStatus::parse("succeeded"), None);
        assert_eq!(ActionType::ALL.len(), 11);
        assert_eq!(ActionStatus::ALL.len(), 6);
    }

    /// Each variant is the schema's property at its index: its name is
    /// the wire name, capitalized.
    fn assert_variants_named_as_the_schema<P: PropertyKey>() {
        for &p in P::ALL {
            let variant = format!("{p:?}");
            assert!(
                variant.eq_ignore_ascii_case(p.wire_name()),
                "{variant} stands for {}",
                p.wire_name()
            );
        }
    }

    #[test]
    fn property_enums_follow_their_schemas() {
        assert_variants_named_as_the_schema::<Property>();
        assert_variants_named_as_the_schema::<FileInfoProperty>();
        assert_variants_named_as_the_schema::<MachineProperty>();
        assert_variants_named_as_the_schema::<AlertProperty>();
        assert_eq!(
            MachineProperty::resolve("RiskScore"),
            Some(MachineProperty::RiskScore)
        );
        assert_eq!(
            AlertProperty::resolve("InvestigationId"),
            Some(AlertProperty::InvestigationId)
        );
    }

    #[test]
    fn wire_names_are_exact_and_resolution_is_not() {
        assert_eq!(
            Property::from_wire_name("lastUpdateTimeUtc"),
            Some(Property::LastUpdateDateTimeUtc)
        );
        assert_eq!(Property::from_wire_name("MachineId"), None);
        assert_eq!(Property::resolve("MACHINEID"), Some(Property::MachineId));
        assert_eq!(
            Property::resolve("LastUpdateTimeUTC"),
            Some(Property::LastUpdateDateTimeUtc)
        );
        for p in Property::ALL {
            assert_eq!(Property::from_wire_name(p.wire_name()), Some(*p));
            assert_eq!(
                p.index() as usize,
                Property::ALL.iter().position(|q| q == p).unwrap_or(99)
            );
        }
    }
}
