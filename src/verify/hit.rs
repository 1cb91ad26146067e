//! Decisions in line on the hot path: a cache hit's time and application caveats, and the
//! application caveats a verification reads in place.

use super::{Clearing, Verifier};
use crate::caveat::{AppCaveat, Caveat};
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

    /// An application caveat read in place with its name unchecked
    /// ([`native::view_caveat_name_unchecked`](crate::codec::native)): whether its predicate
    /// holds, or `None` to leave the caveat to the general path (no predicate under that name, or
    /// a malformed name), which then rejects it exactly as it would have without the view. A
    /// name found byte for byte among the predicates needs no check when every registered name
    /// is a valid one, as it nearly always is; the check runs only when some predicate was
    /// registered under a name no caveat can have.
    pub(super) fn app_view_holds(&self, name: &str, value: &str, ctx: &Context) -> Option<bool> {
        let predicate = self.predicates.get(name)?;
        if self.invalid_name_registered && !AppCaveat::name_is_valid(name) {
            return None;
        }
        Some(predicate(value, ctx))
    }
}

#[cfg(test)]
mod tests {
    use crate::context::Context;
    use crate::identifier::{Identifier, Persistence, Subject, TokenType};
    use crate::key::RootKey;
    use crate::token::Token;
    use crate::verify::Verifier;
    use crate::wire::cbor;

    /// A native `app` caveat's bytes with any name and value: `[3, name, value]`.
    fn app_caveat(name: &str, value: &str) -> Vec<u8> {
        let mut out = vec![0x83, 0x03];
        cbor::write_text(&mut out, name);
        cbor::write_text(&mut out, value);
        out
    }

    #[test]
    fn a_predicate_under_a_malformed_name_never_clears_a_caveat_of_that_name() {
        let key = RootKey::from_bytes(b"a root key of 32 bytes, or more!").expect("key");
        let id = Identifier {
            location: "auth.example.com".into(),
            key_id: None,
            token_id: "tok-1".into(),
            subject: Subject::User("alice".into()),
            token_type: TokenType::Access { session: None },
            persistence: Persistence::Named,
        };
        let token = Token::mint(&key, &id, &[]).expect("mint");
        let with = |name: &str| {
            token
                .attenuate_raw(&app_caveat(name, "x"))
                .expect("attenuate")
        };
        let always = |_: &str, _: &Context| true;
        let valid_names = Verifier::new().with_predicate("ex.com/a", always);
        let malformed_too = valid_names
            .clone()
            .with_predicate("Ex.com/a", always)
            .with_predicate("nons", always);
        let ctx = Context::at(1_000);
        let valid = with("ex.com/a").to_text();
        for verifier in [&valid_names, &malformed_too] {
            assert!(verifier.verify_text(&valid, &key, &ctx).is_ok());
        }
        for name in ["Ex.com/a", "nons"] {
            let text = with(name).to_text();
            let unregistered = valid_names.verify_text(&text, &key, &ctx).unwrap_err();
            let registered = malformed_too.verify_text(&text, &key, &ctx).unwrap_err();
            assert_eq!(registered.to_json(), unregistered.to_json(), "{name}");
            // Refused as a caveat the decoder does not know, never passed to the predicate.
            assert_eq!(
                registered.id(),
                "tokenCaveatUnknown",
                "{name}: {registered}"
            );
        }
    }
}
