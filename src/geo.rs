//! Where an address is: the [`GeoSource`] trait through which the verifier looks up the ASN,
//! country and regions of the client address for the `asn`, `geo.country` and `geo.region`
//! caveats, and [`GeoTable`], a small in-memory implementation.
//!
//! The library ships no geolocation database: the caller supplies one. Without a source, or when
//! the source cannot place an address, those caveats fail closed (blacklists included).

use std::net::IpAddr;

use ipnet::IpNet;

use crate::addr::canonical;

macro_rules! regions {
    ($( $variant:ident = $code:literal, $name:literal; )*) => {
        /// A geographic region, as Onedata names them (continents, plus `EU` for the member
        /// states of the European Union).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Region {
            $(
                #[doc = concat!("`", $name, "`.")]
                $variant,
            )*
        }

        impl Region {
            /// Every region, in code order.
            pub const ALL: &'static [Region] = &[$(Self::$variant),*];

            /// The name used in text and JSON forms, e.g. `NorthAmerica`.
            #[must_use]
            pub fn name(self) -> &'static str {
                match self { $(Self::$variant => $name,)* }
            }

            /// The number used for it in the native format.
            #[must_use]
            pub fn code(self) -> u64 {
                match self { $(Self::$variant => $code,)* }
            }

            /// Looks a region up by its name (case-sensitive).
            #[must_use]
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $($name => Some(Self::$variant),)* _ => None }
            }

            /// Looks a region up by its native code.
            #[must_use]
            pub fn from_code(code: u64) -> Option<Self> {
                match code { $($code => Some(Self::$variant),)* _ => None }
            }
        }
    };
}

regions! {
    Africa = 0, "Africa";
    Antarctica = 1, "Antarctica";
    Asia = 2, "Asia";
    Europe = 3, "Europe";
    Eu = 4, "EU";
    NorthAmerica = 5, "NorthAmerica";
    Oceania = 6, "Oceania";
    SouthAmerica = 7, "SouthAmerica";
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Looks up where an address is. Every method answers `None` when it does not know, which makes
/// the caveat that asked fail closed.
pub trait GeoSource {
    /// The Autonomous System Number the address belongs to.
    fn asn(&self, ip: IpAddr) -> Option<u32>;
    /// The ISO 3166-1 alpha-2 country code (uppercase) of the address.
    fn country(&self, ip: IpAddr) -> Option<String>;
    /// The regions of the address: its continent, plus [`Region::Eu`] for an EU member state.
    fn regions(&self, ip: IpAddr) -> Option<Vec<Region>>;
}

/// What a [`GeoTable`] knows about a network.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeoInfo {
    /// The network's ASN, if known.
    pub asn: Option<u32>,
    /// Its country code, if known.
    pub country: Option<String>,
    /// Its regions (empty when unknown).
    pub regions: Vec<Region>,
}

/// An in-memory [`GeoSource`]: networks and what is known about them. A lookup uses the most
/// specific (longest-prefix) network containing the address; IPv4-mapped IPv6 addresses are
/// looked up as IPv4.
#[derive(Debug, Clone, Default)]
pub struct GeoTable {
    entries: Vec<(IpNet, GeoInfo)>,
}

impl GeoTable {
    /// An empty table (it locates nothing).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) what is known about `net`.
    pub fn insert(&mut self, net: IpNet, info: GeoInfo) {
        let net = net.trunc();
        match self.entries.iter_mut().find(|(n, _)| *n == net) {
            Some(entry) => entry.1 = info,
            None => self.entries.push((net, info)),
        }
    }

    /// Adds `net` and returns the table (builder style).
    #[must_use]
    pub fn with(mut self, net: IpNet, info: GeoInfo) -> Self {
        self.insert(net, info);
        self
    }

    fn lookup(&self, ip: IpAddr) -> Option<&GeoInfo> {
        let ip = canonical(ip);
        self.entries
            .iter()
            .filter(|(n, _)| n.contains(&ip))
            .max_by_key(|(n, _)| n.prefix_len())
            .map(|(_, info)| info)
    }
}

impl GeoSource for GeoTable {
    fn asn(&self, ip: IpAddr) -> Option<u32> {
        self.lookup(ip).and_then(|i| i.asn)
    }

    fn country(&self, ip: IpAddr) -> Option<String> {
        self.lookup(ip).and_then(|i| i.country.clone())
    }

    fn regions(&self, ip: IpAddr) -> Option<Vec<Region>> {
        self.lookup(ip)
            .filter(|i| !i.regions.is_empty())
            .map(|i| i.regions.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins_and_mapped_addresses_are_ipv4() {
        let table = GeoTable::new()
            .with(
                "10.0.0.0/8".parse().expect("net"),
                GeoInfo {
                    asn: Some(1),
                    country: Some("PL".into()),
                    regions: vec![Region::Europe, Region::Eu],
                },
            )
            .with(
                "10.1.0.0/16".parse().expect("net"),
                GeoInfo {
                    asn: Some(2),
                    country: None,
                    regions: vec![],
                },
            );
        let a: IpAddr = "10.2.3.4".parse().expect("ip");
        let b: IpAddr = "::ffff:10.1.3.4".parse().expect("ip");
        assert_eq!(table.asn(a), Some(1));
        assert_eq!(table.asn(b), Some(2));
        assert_eq!(table.country(b), None);
        assert_eq!(table.regions(b), None);
        assert_eq!(table.regions(a), Some(vec![Region::Europe, Region::Eu]));
        assert_eq!(table.asn("192.0.2.1".parse().expect("ip")), None);
    }

    #[test]
    fn region_names_and_codes_round_trip() {
        for r in Region::ALL {
            assert_eq!(Region::from_name(r.name()), Some(*r));
            assert_eq!(Region::from_code(r.code()), Some(*r));
        }
        assert_eq!(Region::from_name("europe"), None);
        assert_eq!(Region::from_code(8), None);
    }
}
