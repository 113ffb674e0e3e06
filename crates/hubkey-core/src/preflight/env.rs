//! The one check with a side effect, "is the loopback port free", and how callers replace or skip it.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};

/// Whether a loopback port can be listened on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortStatus {
    /// Nothing listens there.
    Free,
    /// Another program listens there.
    InUse,
    /// It cannot be opened for another reason (permission, no such address…).
    Unavailable(String),
}

type PortProbe = Box<dyn Fn(u16) -> PortStatus + Send + Sync>;

/// What preflight may touch outside the app's configuration: the loopback port check.
pub struct PreflightEnv {
    port_probe: Option<PortProbe>,
}

impl fmt::Debug for PreflightEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreflightEnv")
            .field("port_probe", &self.port_probe.as_ref().map(|_| "<probe>"))
            .finish()
    }
}

impl Default for PreflightEnv {
    fn default() -> Self {
        Self::system()
    }
}

impl PreflightEnv {
    /// The real check: binds `127.0.0.1:PORT` (and `[::1]:PORT` where IPv6 exists) and releases
    /// it at once ([`probe_loopback_port`]).
    pub fn system() -> Self {
        Self {
            port_probe: Some(Box::new(probe_loopback_port)),
        }
    }

    /// No port check (tests, or when Hubkey's own listener already holds the port).
    pub fn without_port_check() -> Self {
        Self { port_probe: None }
    }

    /// A custom port check (tests).
    pub fn with_port_probe(probe: impl Fn(u16) -> PortStatus + Send + Sync + 'static) -> Self {
        Self {
            port_probe: Some(Box::new(probe)),
        }
    }

    pub(super) fn probe(&self, port: u16) -> Option<PortStatus> {
        self.port_probe.as_ref().map(|p| p(port))
    }
}

/// Binds `127.0.0.1:port`, then `[::1]:port`, and releases them: [`PortStatus::Free`] when both
/// could be bound (a machine without IPv6 only needs the first). Blocking but instant.
pub fn probe_loopback_port(port: u16) -> PortStatus {
    let v4 = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let v6 = SocketAddr::from((Ipv6Addr::LOCALHOST, port));
    match TcpListener::bind(v4) {
        Ok(_held) => match TcpListener::bind(v6) {
            Ok(_) => PortStatus::Free,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => PortStatus::InUse,
            // No IPv6 on this machine: the listener serves 127.0.0.1 only, which is fine.
            Err(_) => PortStatus::Free,
        },
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => PortStatus::InUse,
        Err(e) => PortStatus::Unavailable(e.to_string()),
    }
}
