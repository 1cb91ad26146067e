//! `ip`: the client address must fall in one of the listed networks (IPv4 and IPv6).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde_json::{json, Value};

use super::{kind, kind::CaveatKind, list, reason, Fields};
use crate::error::Error;
use crate::wire::cbor::{self, Reader};

/// Most networks one caveat may list: 32 IPv6 entries (18 bytes each) keep the largest `ip`
/// caveat under the 1 KiB default caveat size limit.
pub const MAX_ENTRIES: usize = 32;

/// A whitelist of networks. A bare address means /32 (IPv4) or /128 (IPv6). Host bits below
/// the prefix are kept as written (Onedata's own documentation example is `189.34.15.0/8`) and ignored
/// when matching.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IpCaveat {
    /// The allowed networks (never empty).
    pub(crate) whitelist: Vec<IpNet>,
}

impl IpCaveat {
    /// The `whitelist` this was built with.
    #[must_use]
    pub fn whitelist(&self) -> &[IpNet] {
        &self.whitelist
    }
}

impl IpCaveat {
    /// A caveat allowing the given networks.
    ///
    /// # Errors
    /// `badValueCaveat` (key `whitelist`) when the list is empty or too long.
    pub fn new(whitelist: Vec<IpNet>) -> Result<Self, Error> {
        if whitelist.is_empty() {
            return Err(Error::bad_caveat("whitelist", "empty list"));
        }
        if whitelist.len() > MAX_ENTRIES {
            return Err(Error::bad_caveat("whitelist", "more than 32 entries"));
        }
        Ok(Self { whitelist })
    }

    /// Parses one entry: `a.b.c.d`, `a.b.c.d/n`, an IPv6 address, or `ipv6/n`. Strict: no
    /// leading zeros, no zone ids, no spaces, prefix within the family's width.
    ///
    /// # Errors
    /// `badValueCaveat` (key `whitelist`).
    pub fn parse_entry(text: &str) -> Result<IpNet, Error> {
        let bad = |r| Error::bad_caveat("whitelist", r);
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        // std's parsers reject leading zeros in IPv4 octets, zone ids and surrounding spaces.
        let addr: IpAddr = addr.parse().map_err(|_| bad("not an IP address"))?;
        if is_mapped(addr) {
            // The client address is canonicalized to IPv4 before matching, so a mapped entry
            // could never match: refuse it rather than accept a caveat that silently denies.
            return Err(bad("IPv4-mapped IPv6 address: write the IPv4 address"));
        }
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => {
                if p.is_empty()
                    || p.len() > 3
                    || !p.bytes().all(|b| b.is_ascii_digit())
                    || (p.len() > 1 && p.starts_with('0'))
                {
                    return Err(bad("bad prefix length"));
                }
                p.parse::<u8>()
                    .ok()
                    .filter(|&n| n <= max)
                    .ok_or(bad("prefix length too long"))?
            }
        };
        IpNet::new(addr, prefix).map_err(|_| bad("prefix length too long"))
    }

    /// Whether `client` is in a listed network. The client is canonicalized first (an
    /// IPv4-mapped IPv6 address is its IPv4 address). No client address fails closed.
    #[must_use]
    pub fn holds(&self, client: Option<IpAddr>) -> bool {
        let Some(client) = client.map(canonical) else {
            return false;
        };
        self.whitelist.iter().any(|net| net.contains(&client))
    }

    pub(crate) fn parse_text(rest: &str) -> Result<Self, Error> {
        // A plain split, not `list::entries`: here an empty entry is "not an IP address" and the
        // only length limit is `new`'s.
        let nets = rest
            .split('|')
            .map(Self::parse_entry)
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(nets)
    }
}

impl CaveatKind for IpCaveat {
    const NAME: &'static str = "ip";
    const CODE: u64 = kind::IP;
    const FIELDS: usize = 2;

    fn from_json(f: &Fields<'_>) -> Result<Self, Error> {
        Self::new(list::from_json(f, "whitelist", Self::parse_entry)?)
    }

    fn to_json(&self) -> Value {
        json!({"type": "ip", "whitelist": list::strings(&self.whitelist)})
    }

    fn to_text(&self) -> String {
        format!("ip = {}", list::join(&self.whitelist))
    }

    fn from_text(text: &str) -> Option<Result<Self, Error>> {
        text.strip_prefix("ip = ").map(Self::parse_text)
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        let mut entry = [0u8; 17];
        list::write(out, &self.whitelist, |out, net| {
            let len = match net {
                IpNet::V4(n) => {
                    entry[..4].copy_from_slice(&n.addr().octets());
                    entry[4] = n.prefix_len();
                    5
                }
                IpNet::V6(n) => {
                    entry[..16].copy_from_slice(&n.addr().octets());
                    entry[16] = n.prefix_len();
                    17
                }
            };
            cbor::write_bytes(out, &entry[..len]);
        });
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, &'static str> {
        let whitelist = list::read(r, MAX_ENTRIES, |r| {
            let b = r.bytes(17).map_err(reason)?;
            Ok(match *b {
                [a, b2, c, d, p] => Ipv4Net::new(Ipv4Addr::new(a, b2, c, d), p)
                    .map(IpNet::V4)
                    .map_err(|_| "IPv4 prefix longer than 32")?,
                [ref addr @ .., p] if b.len() == 17 => {
                    let octets: [u8; 16] = addr.try_into().map_err(|_| "bad IP entry")?;
                    if is_mapped(IpAddr::V6(Ipv6Addr::from(octets))) {
                        return Err("IPv4-mapped IPv6 entry");
                    }
                    Ipv6Net::new(Ipv6Addr::from(octets), p)
                        .map(IpNet::V6)
                        .map_err(|_| "IPv6 prefix longer than 128")?
                }
                _ => return Err("IP entry is neither 5 nor 17 bytes"),
            })
        })?;
        Self::new(whitelist).map_err(|_| "empty IP whitelist")
    }
}

fn is_mapped(addr: IpAddr) -> bool {
    matches!(addr, IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some())
}

pub use crate::addr::canonical;

#[cfg(test)]
mod tests {
    use super::*;

    fn cav(entries: &[&str]) -> IpCaveat {
        IpCaveat::new(
            entries
                .iter()
                .map(|e| IpCaveat::parse_entry(e).expect(e))
                .collect(),
        )
        .expect("caveat")
    }

    #[test]
    fn matching() {
        let c = cav(&["10.0.0.0/8", "2001:db8::/32", "167.73.12.17"]);
        assert!(c.holds(Some("10.1.2.3".parse().expect("ip"))));
        assert!(c.holds(Some("::ffff:10.1.2.3".parse().expect("ip"))));
        assert!(c.holds(Some("2001:db8::1".parse().expect("ip"))));
        assert!(c.holds(Some("167.73.12.17".parse().expect("ip"))));
        assert!(!c.holds(Some("167.73.12.18".parse().expect("ip"))));
        assert!(!c.holds(Some("11.0.0.1".parse().expect("ip"))));
        assert!(!c.holds(None));
        let v4only = cav(&["0.0.0.0/0"]);
        assert!(!v4only.holds(Some("2001:db8::1".parse().expect("ip"))));
    }

    #[test]
    fn host_bits_are_ignored_when_matching() {
        let c = cav(&["189.34.15.0/8"]);
        assert!(c.holds(Some("189.1.1.1".parse().expect("ip"))));
        assert_eq!(c.to_text(), "ip = 189.34.15.0/8");
    }

    #[test]
    fn strict_entries() {
        for bad in [
            "10.0.0.0/33",
            "010.0.0.0/8",
            "fe80::1%eth0",
            "10.0.0.0/",
            "10.0.0.0/08",
            "::ffff:10.0.0.0/104",
            " 10.0.0.1",
            "10.0.0.1 ",
            "::/129",
            "10.0.0",
            "",
            "10.0.0.0/-1",
            "10.0.0.0/+8",
        ] {
            assert_eq!(
                IpCaveat::parse_entry(bad).expect_err(bad).id(),
                "badValueCaveat",
                "{bad}"
            );
        }
        assert_eq!(
            IpCaveat::new(vec![]).expect_err("empty").id(),
            "badValueCaveat"
        );
    }
}
