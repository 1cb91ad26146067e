//! The signature walk for a token with third-party caveats and its discharges, and for tokens
//! in libmacaroons' formats: verification only, with no knowledge of caveats or of the verifier.
//!
//! The token's chain under the root key, then for each third-party caveat (in chain order,
//! depth first) the caveat key opened from its verification id, the one discharge whose
//! identifier is the caveat id, and that discharge's chain under the caveat key, bound to the
//! token's tag. Every supplied discharge must be used exactly once; nesting is bounded
//! ([`MAX_DISCHARGE_DEPTH`]) and walked with an explicit stack, so no input makes it recurse.

use crate::chain::{self, Tag};
use crate::codec;
use crate::error::{CaveatRef, Error};
use crate::error::{DischargeError, Limit};
use crate::key::RootKey;
use crate::lookup::{root_key_for, KeySource};
use crate::third_party::{self, MAX_DISCHARGES, MAX_DISCHARGE_DEPTH};
use crate::token::Token;

/// [`Verifier::check_signature`] for tokens with third-party caveats or opaque identifiers:
/// the token's own chain only (its discharges are not checked).
pub(crate) fn check_signature<K: KeySource + ?Sized>(token: &Token, keys: &K) -> Result<(), Error> {
    let key = root_key_for(token, keys)?;
    let computed = third_party::run_chain(
        chain::start(key.state(), token.identifier_bytes()),
        token.spans(),
        |_, _| {},
    );
    if computed.ct_eq(token.spans().tag_bytes()) {
        Ok(())
    } else {
        Err(Error::INVALID)
    }
}

/// A third-party caveat waiting for its discharge.
/// The error for a token cleared without the discharges of its third-party caveats: its first
/// third-party caveat, in chain order, has none.
pub(crate) fn first_missing(token: &Token) -> Error {
    match token.spans().third_party.first() {
        Some(span) => Error::Discharge(DischargeError::Missing {
            caveat: CaveatRef {
                discharge: None,
                index: span.index,
            },
            cid: codec::display_bytes(token.spans().slice(&span.cid)),
        }),
        None => Error::INVALID,
    }
}

struct Pending {
    /// Where the caveat is.
    caveat: CaveatRef,
    /// Its position among its token's third-party caveats.
    span: usize,
    /// The chain's tag just before it: the key its verification id is sealed under.
    tag: Tag,
    /// How deep its discharge would be (1 for a caveat of the token itself).
    depth: usize,
}

/// Verifies `token` under `key` and its discharges: the whole tree of signatures, every
/// discharge used exactly once. Returns the discharges in the order they were verified.
pub(crate) fn verify_tree(
    token: &Token,
    key: &RootKey,
    discharges: &[Token],
) -> Result<Vec<usize>, Error> {
    if discharges.len() > MAX_DISCHARGES {
        return Err(Error::too_large(Limit::Discharges, MAX_DISCHARGES));
    }

    let mut stack: Vec<Pending> = Vec::new();
    let root_tag = chain_with_pending(
        chain::start(key.state(), token.identifier_bytes()),
        token,
        None,
        1,
        &mut stack,
    );
    if !root_tag.ct_eq(token.spans().tag_bytes()) {
        return Err(Error::INVALID);
    }
    for (j, d) in discharges.iter().enumerate() {
        if let Some(i) = discharges[..j]
            .iter()
            .position(|e| e.identifier_bytes() == d.identifier_bytes())
        {
            return Err(Error::Discharge(DischargeError::Ambiguous {
                identifier: codec::display_bytes(d.identifier_bytes()),
                discharges: [i, j],
            }));
        }
    }

    let mut used = vec![false; discharges.len()];
    // Who asked for each discharge: `None` for the token itself.
    let mut parent: Vec<Option<usize>> = vec![None; discharges.len()];
    let mut order = Vec::new();
    while let Some(p) = stack.pop() {
        let holder = match p.caveat.discharge {
            None => token,
            Some(d) => &discharges[d],
        };
        let Some(span) = holder.spans().third_party.get(p.span) else {
            continue;
        };
        if p.depth > MAX_DISCHARGE_DEPTH {
            return Err(Error::Discharge(DischargeError::TooDeep {
                max: MAX_DISCHARGE_DEPTH,
                caveat: p.caveat,
            }));
        }
        let caveat_key = third_party::open(&p.tag, holder.spans().slice(&span.vid)).ok_or(
            Error::Discharge(DischargeError::ThirdPartyCaveatInvalid { caveat: p.caveat }),
        )?;
        let cid = holder.spans().slice(&span.cid);
        let Some(d) = discharges.iter().position(|t| t.identifier_bytes() == cid) else {
            return Err(Error::Discharge(DischargeError::Missing {
                caveat: p.caveat,
                cid: codec::display_bytes(cid),
            }));
        };
        if used[d] {
            // A cycle when the discharge asked for is the holder or one of its ancestors.
            let mut at = p.caveat.discharge;
            while let Some(a) = at {
                if a == d {
                    return Err(Error::Discharge(DischargeError::Cycle {
                        discharge: d,
                        caveat: p.caveat,
                    }));
                }
                at = parent[a];
            }
            return Err(Error::Discharge(DischargeError::Reused {
                discharge: d,
                caveat: p.caveat,
            }));
        }
        used[d] = true;
        parent[d] = p.caveat.discharge;
        order.push(d);

        let discharge = &discharges[d];
        let start = chain::hmac_sha256(caveat_key.as_bytes(), discharge.identifier_bytes());
        let computed = chain_with_pending(start, discharge, Some(d), p.depth + 1, &mut stack);
        let carried = discharge.spans().tag_bytes();
        if !third_party::bind(&root_tag, &computed).ct_eq(carried) {
            return Err(if computed.ct_eq(carried) {
                Error::Discharge(DischargeError::Unbound { discharge: d })
            } else {
                Error::Discharge(DischargeError::Invalid { discharge: d })
            });
        }
    }
    if let Some(d) = used.iter().position(|u| !u) {
        return Err(Error::Discharge(DischargeError::Unused {
            discharge: d,
            identifier: codec::display_bytes(discharges[d].identifier_bytes()),
        }));
    }
    Ok(order)
}

/// Runs a token's chain from `start` and pushes its third-party caveats on `stack` so that they
/// are popped in chain order.
fn chain_with_pending(
    start: Tag,
    token: &Token,
    holder: Option<usize>,
    depth: usize,
    stack: &mut Vec<Pending>,
) -> Tag {
    let mut found = Vec::new();
    let tag = third_party::run_chain(start, token.spans(), |span, tag| {
        found.push(Pending {
            caveat: CaveatRef {
                discharge: holder,
                index: span.index,
            },
            span: found.len(),
            tag: tag.clone(),
            depth,
        });
    });
    stack.extend(found.into_iter().rev());
    tag
}
