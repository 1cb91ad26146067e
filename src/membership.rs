//! Group membership for `consumer` caveats that name a group (`grp-<id>`): the caller says who
//! is in which group through [`GroupMembership`]; [`GroupTable`] is a small in-memory
//! implementation.

use std::collections::{HashMap, HashSet};

use crate::identifier::Subject;

/// Tells whether a consumer belongs to a group (directly or not: the caller decides).
pub trait GroupMembership {
    /// Whether `subject` is a member of the group `group_id`.
    fn is_member(&self, subject: &Subject<'_>, group_id: &str) -> bool;
}

/// An in-memory [`GroupMembership`]: group id → members (written `usr-<id>` / `prv-<id>`).
#[derive(Debug, Clone, Default)]
pub struct GroupTable {
    groups: HashMap<String, HashSet<String>>,
}

impl GroupTable {
    /// An empty table (nobody is in any group).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `subject` to `group_id`.
    pub fn add(&mut self, group_id: impl Into<String>, subject: &Subject<'_>) {
        self.groups
            .entry(group_id.into())
            .or_default()
            .insert(subject.to_string());
    }

    /// Removes `subject` from `group_id`; returns whether it was a member.
    pub fn remove(&mut self, group_id: &str, subject: &Subject<'_>) -> bool {
        self.groups
            .get_mut(group_id)
            .is_some_and(|m| m.remove(&subject.to_string()))
    }
}

impl GroupMembership for GroupTable {
    fn is_member(&self, subject: &Subject<'_>, group_id: &str) -> bool {
        self.groups
            .get(group_id)
            .is_some_and(|m| m.contains(&subject.to_string()))
    }
}
