//! The structured request context shared by `verify_oracle` and `roundtrip`.

use super::*;

/// The request time.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FuzzTime {
    /// Within ±32768 s of [`BASE_NOW`], where the seeds' time caveats are.
    Near(u16),
    /// Anything.
    Any(u64),
}

/// The client address.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FuzzIp {
    /// An IPv4 address.
    V4([u8; 4]),
    /// An IPv6 address.
    V6([u8; 16]),
    /// An IPv4-mapped IPv6 address, `::ffff:a.b.c.d`.
    Mapped([u8; 4]),
}

/// The verifier's leeway.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FuzzLeeway {
    /// No leeway.
    Zero,
    /// A few minutes at most.
    Small(u8),
    /// Anything, overflow included.
    Any(u64),
}

/// The request context and the verifier's configuration.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct FuzzContext {
    /// Now.
    pub now: FuzzTime,
    /// The client address.
    pub ip: Option<FuzzIp>,
    /// The requested invite type (index into `InviteType::ALL`, modulo its length).
    pub invite_type: Option<u8>,
    /// The verifier's leeway.
    pub leeway: FuzzLeeway,
    /// The `example.com/action` attribute (index into [`ACTIONS`]).
    pub action: Option<u8>,
}

/// The values the context's `example.com/action` attribute can take.
pub const ACTIONS: &[&str] = &["read", "write", ""];

impl FuzzContext {
    pub(crate) fn request(&self, limits: Limits) -> Request {
        let now = match self.now {
            FuzzTime::Near(n) => BASE_NOW + u64::from(n) - 32_768,
            FuzzTime::Any(n) => n,
        };
        let ip = self.ip.map(|ip| match ip {
            FuzzIp::V4(o) => IpAddr::V4(Ipv4Addr::from(o)),
            FuzzIp::V6(o) => IpAddr::V6(Ipv6Addr::from(o)),
            FuzzIp::Mapped(o) => IpAddr::V6(Ipv4Addr::from(o).to_ipv6_mapped()),
        });
        let invite_type = self
            .invite_type
            .map(|i| InviteType::ALL[usize::from(i) % InviteType::ALL.len()]);
        let leeway = match self.leeway {
            FuzzLeeway::Zero => 0,
            FuzzLeeway::Small(s) => u64::from(s),
            FuzzLeeway::Any(s) => s,
        };
        Request {
            now,
            ip,
            invite_type,
            leeway,
            action: self
                .action
                .map(|i| ACTIONS[usize::from(i) % ACTIONS.len()].to_owned()),
            limits,
        }
    }
}
