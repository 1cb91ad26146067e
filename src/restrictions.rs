//! Restrictions the caller enforces after verification: the `api` and data-access caveats.
//!
//! Most caveats are decided while the token is cleared: the request context says whether they
//! hold. Two kinds cannot be: an `api` caveat limits which *operations* the token may perform,
//! and a data-access caveat (`data.readonly`, `data.path`, `data.objectid`) which *files*; a
//! service learns those one by one as it serves the request. Clearing lets them pass (data
//! access only on a verifier told that the service enforces it) and records every one of them,
//! from the token and from every discharge, in every format, on the verified token. The caller
//! then asks [`Restrictions::check_api`] and [`Restrictions::data_access`] before each
//! operation. Nothing is dropped: a restriction the verifier cannot record is a denial.

use crate::caveat::{Caveat, DataObjectIdCaveat, DataPathCaveat, Gri, Operation, ServiceKind};
use crate::denial::Denial;
use crate::error::{CaveatRef, Error};
use crate::error::{DenialError, Detail};

/// One restriction: the caveat and where it sits (the token, or one of its discharges).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restriction {
    at: CaveatRef,
    caveat: Caveat,
}

impl Restriction {
    /// Where the caveat sits.
    #[must_use]
    pub fn at(&self) -> CaveatRef {
        self.at
    }

    /// The caveat (an `api` or a data-access caveat).
    #[must_use]
    pub fn caveat(&self) -> &Caveat {
        &self.caveat
    }
}

/// Every restriction a verified token carries, in chain order (the token's own first, then each
/// discharge's in the order the discharges were verified).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restrictions {
    items: Vec<Restriction>,
}

impl Restrictions {
    /// Whether `caveat` is a kind that the caller enforces after verification.
    #[must_use]
    pub fn is_deferred(caveat: &Caveat) -> bool {
        caveat.is_deferred()
    }

    /// Records `caveat` if it is a deferred kind.
    pub(crate) fn record(&mut self, at: CaveatRef, caveat: &Caveat) {
        if Self::is_deferred(caveat) {
            self.items.push(Restriction {
                at,
                caveat: caveat.clone(),
            });
        }
    }

    /// Every restriction, in chain order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Restriction> + '_ {
        self.items.iter()
    }

    /// Whether the token carries no restriction at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Checks one operation against every `api` caveat, as Onedata does for each operation it
    /// performs with a token: each caveat must whitelist it (a token without `api` caveats
    /// allows every operation).
    ///
    /// # Errors
    /// `tokenCaveatUnverified` (reason `operationNotAllowed`) naming the first `api` caveat that
    /// does not allow it; wrapped in the discharge's position when the caveat sits in one.
    pub fn check_api(
        &self,
        service: ServiceKind,
        operation: Operation,
        gri: &Gri,
    ) -> Result<(), Error> {
        for r in &self.items {
            if let Caveat::Api(api) = &r.caveat {
                if !api.allows(service, operation, gri) {
                    let error = Error::Denied(DenialError::CaveatUnverified {
                        index: r.at.index,
                        caveat: Detail::new(r.caveat.clone()),
                        reason: Denial::OperationNotAllowed {
                            operation: format!("{service}/{operation}/{gri}"),
                        },
                    });
                    return Err(match r.at.discharge {
                        None => error,
                        Some(discharge) => Error::InDischarge {
                            discharge,
                            error: Box::new(error),
                        },
                    });
                }
            }
        }
        Ok(())
    }

    /// The data-access caveats, for the service to check each data operation against.
    #[must_use]
    pub fn data_access(&self) -> DataAccess {
        let mut access = DataAccess::default();
        for r in &self.items {
            match &r.caveat {
                Caveat::DataReadonly(_) => access.readonly = true,
                Caveat::DataPath(c) => access.paths.push(c.clone()),
                Caveat::DataObjectId(c) => access.objectids.push(c.clone()),
                _ => {}
            }
        }
        access
    }
}

/// The data-access restrictions of a verified token. Every caveat restricts on its own: an
/// operation must satisfy all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataAccess {
    readonly: bool,
    paths: Vec<DataPathCaveat>,
    objectids: Vec<DataObjectIdCaveat>,
}

impl DataAccess {
    /// Whether the token carries any data-access caveat.
    #[must_use]
    pub fn is_restricted(&self) -> bool {
        self.readonly || !self.paths.is_empty() || !self.objectids.is_empty()
    }

    /// Whether a `data.readonly` caveat is present (only reads are allowed).
    #[must_use]
    pub fn is_readonly(&self) -> bool {
        self.readonly
    }

    /// The `data.path` caveats.
    #[must_use]
    pub fn paths(&self) -> &[DataPathCaveat] {
        &self.paths
    }

    /// The `data.objectid` caveats.
    #[must_use]
    pub fn objectids(&self) -> &[DataObjectIdCaveat] {
        &self.objectids
    }

    /// Whether every `data.path` caveat allows the canonical `path` (see
    /// [`DataPathCaveat::allows`]).
    #[must_use]
    pub fn allows_path(&self, path: &str) -> bool {
        self.paths.iter().all(|c| c.allows(path))
    }

    /// Whether every `data.objectid` caveat lists one of `ids`: the object id of the file and
    /// those of its ancestors (the caveat covers nested entries; resolving the ancestry is the
    /// service's job).
    #[must_use]
    pub fn allows_object(&self, ids: &[&str]) -> bool {
        self.objectids
            .iter()
            .all(|c| ids.iter().any(|id| c.allows(id)))
    }

    /// Whether an operation that writes is allowed (no `data.readonly` caveat).
    #[must_use]
    pub fn allows_write(&self) -> bool {
        !self.readonly
    }
}
