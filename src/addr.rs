//! Client addresses in the one form every check compares: an IPv4-mapped IPv6 address
//! (`::ffff:a.b.c.d`, what a dual-stack socket reports for an IPv4 peer) is the IPv4 address it
//! maps, so that `ip` whitelists and geolocation see the same address whichever socket the
//! request came through.

use std::net::IpAddr;

/// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is the IPv4 address it maps; every other
/// address is itself.
///
/// ```
/// use std::net::IpAddr;
/// use caveat_token::caveat::ip::canonical;
///
/// let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
/// assert_eq!(canonical(mapped), "192.0.2.1".parse::<IpAddr>().unwrap());
/// ```
#[must_use]
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 @ IpAddr::V4(_) => v4,
    }
}
