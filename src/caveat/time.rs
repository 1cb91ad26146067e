//! `time`: the token is valid while `now < validUntil`.

use serde_json::{json, Value};

use super::{kind, kind::CaveatKind, reason, Fields};
use crate::error::Error;
use crate::wire::cbor::{self, Reader};

/// Valid while `now < valid_until` (unix seconds, strict, as Onedata), plus any leeway the
/// verifier allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeCaveat {
    /// The first second at which the token is no longer valid.
    pub(crate) valid_until: u64,
}

impl TimeCaveat {
    /// A caveat valid while `now < valid_until` (unix seconds).
    ///
    /// ```
    /// use caveat_token::caveat::TimeCaveat;
    /// let c = TimeCaveat::new(1_700_000_000);
    /// assert!(c.holds(1_699_999_999, 0) && !c.holds(1_700_000_000, 0));
    /// ```
    #[must_use]
    pub const fn new(valid_until: u64) -> Self {
        Self { valid_until }
    }

    /// The `valid_until` this was built with.
    #[must_use]
    pub fn valid_until(&self) -> u64 {
        self.valid_until
    }
}

impl TimeCaveat {
    /// Whether the caveat holds at `now` with `leeway` seconds of tolerance. Checked arithmetic:
    /// a sum that overflows fails closed.
    #[must_use]
    pub fn holds(&self, now: u64, leeway: u64) -> bool {
        self.valid_until
            .checked_add(leeway)
            .is_some_and(|end| now < end)
    }

    pub(crate) fn parse_text(rest: &str) -> Result<Self, Error> {
        let bad = || Error::bad_caveat("validUntil", "not a non-negative integer");
        // Canonical decimal only: no sign, no leading zeros, no spaces.
        if rest.is_empty()
            || !rest.bytes().all(|b| b.is_ascii_digit())
            || (rest.len() > 1 && rest.starts_with('0'))
        {
            return Err(bad());
        }
        let valid_until = rest.parse().map_err(|_| bad())?;
        Ok(Self { valid_until })
    }
}

impl CaveatKind for TimeCaveat {
    const NAME: &'static str = "time";
    const CODE: u64 = kind::TIME;
    const FIELDS: usize = 2;

    fn from_json(f: &Fields<'_>) -> Result<Self, Error> {
        let v = f.get("validUntil")?;
        let valid_until = v
            .as_u64()
            .ok_or_else(|| Error::bad_caveat("validUntil", "not a non-negative integer"))?;
        Ok(Self { valid_until })
    }

    fn to_json(&self) -> Value {
        json!({"type": "time", "validUntil": self.valid_until})
    }

    fn to_text(&self) -> String {
        format!("time < {}", self.valid_until)
    }

    fn from_text(text: &str) -> Option<Result<Self, Error>> {
        text.strip_prefix("time < ").map(Self::parse_text)
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        cbor::write_uint(out, self.valid_until);
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, &'static str> {
        Ok(Self {
            valid_until: r.uint().map_err(reason)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_bound_and_leeway() {
        let c = TimeCaveat { valid_until: 100 };
        assert!(c.holds(99, 0));
        assert!(!c.holds(100, 0));
        assert!(c.holds(100, 1));
        assert!(!c.holds(101, 1));
        assert!(
            !TimeCaveat {
                valid_until: u64::MAX
            }
            .holds(0, 1),
            "overflow fails closed"
        );
        assert!(TimeCaveat {
            valid_until: u64::MAX
        }
        .holds(u64::MAX - 1, 0));
    }

    #[test]
    fn text_form_is_canonical() {
        assert_eq!(
            TimeCaveat::parse_text("8374891234")
                .expect("ok")
                .valid_until,
            8_374_891_234
        );
        for bad in [
            "",
            "-1",
            "+1",
            "01",
            " 1",
            "1 ",
            "1e3",
            "18446744073709551616",
        ] {
            assert_eq!(
                TimeCaveat::parse_text(bad).expect_err(bad).id(),
                "badValueCaveat"
            );
        }
    }
}
