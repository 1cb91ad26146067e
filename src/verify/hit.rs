//! A cache hit's clearing of its decoded caveats, with the commonest kinds decided in line.

use super::{Clearing, Verifier};
use crate::caveat::Caveat;
use crate::context::Context;
use crate::denial::Denial;
use crate::error::{DenialError, Detail, Error};

impl Verifier {
    /// Decides a decoded caveat in line when it is a time or application caveat: `Ok(true)`
    /// when it holds (a time caveat's expiry noted in `state`), the error when a registered
    /// predicate refuses it (so that the predicate is called once), `Ok(false)` to leave it to
    /// [`Verifier::check_caveat`], which stays the authority for every other kind and denial.
    pub(super) fn holds_in_line(
        &self,
        index: usize,
        caveat: &Caveat,
        ctx: &Context,
        state: &mut Clearing,
    ) -> Result<bool, Error> {
        Ok(match caveat {
            Caveat::Time(t) => {
                state.saw_time(t.valid_until);
                t.holds(ctx.now, self.leeway)
            }
            Caveat::App(a) => match self.predicates.get(a.name()) {
                Some(p) if !p(a.value(), ctx) => {
                    // As `check_caveat` builds it.
                    return Err(Error::Denied(DenialError::CaveatUnverified {
                        index,
                        caveat: Detail::new(caveat.clone()),
                        reason: Denial::PredicateFailed,
                    }));
                }
                p => p.is_some(),
            },
            _ => false,
        })
    }
}
