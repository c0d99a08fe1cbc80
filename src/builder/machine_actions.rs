//! The MachineActions builder's fields: which properties of
//! [`MACHINE_ACTIONS`] can be filtered and sorted on, and the kind of value
//! each takes.
//!
//! Must not know about: query text, or how a field becomes a filter (the
//! parent module's mechanism).

use super::{EntitySet, FilterOf, QueryBuilder};
use crate::model::Property;
use crate::schema::{EntitySchema, MACHINE_ACTIONS};

/// The largest `$top` MachineActions accepts: the schema's.
pub const MAX_TOP: u32 = MachineActionsQuery::MAX_TOP;

/// The largest `$skip` MachineActions accepts (the service declares it an
/// int32): the schema's.
pub const MAX_SKIP: u32 = MachineActionsQuery::MAX_SKIP;

/// The MachineActions entity set, as the type its fields, filters and
/// queries are built for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MachineActions;

impl EntitySet for MachineActions {
    const SCHEMA: &'static EntitySchema = &MACHINE_ACTIONS;
    type Property = Property;
}

/// A Boolean `$filter` on MachineActions, built from
/// [`MachineActionField`]s.
pub type Filter = FilterOf<MachineActions>;

/// A MachineActions query under construction; see [`QueryBuilder`].
pub type MachineActionsQuery = QueryBuilder<MachineActions>;

fields! {
    /// The filterable (and sortable) MachineActions properties, each
    /// typed by the values it takes: `MachineActionField::Status.eq(ActionStatus::Succeeded)`.
    ///
    /// The other properties can be selected (see [`Property`]) but not filtered
    /// or sorted on, so they have no field here.
    ///
    /// [`ActionStatus`]: crate::model::ActionStatus
    MachineActionField of MachineActions, named by Property {
        /// `id`: the action's GUID, compared as text.
        Id: Field<Text>;
        /// `type`: an [`ActionType`](crate::model::ActionType) or text.
        Type: Field<Type>;
        /// `status`: an [`ActionStatus`](crate::model::ActionStatus) or text.
        Status: Field<Status>;
        /// `machineId`: the device's id, as text.
        MachineId: Field<Text>;
        /// `requestor`: who asked for the action, as text.
        Requestor: Field<Text>;
        /// `creationDateTimeUtc`: a `chrono::DateTime`.
        CreationDateTimeUtc: Field<DateTimeOffset>;
    }
}
