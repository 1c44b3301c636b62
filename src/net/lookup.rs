//! Name lookup off the runtime's thread: [`lookup_host`] and the
//! [`ToSocketAddrs`] trait that [`TcpStream::connect`](crate::net::TcpStream::connect)
//! takes.
//!
//! An address that is already numeric (a [`SocketAddr`], an IP literal
//! with a port) is parsed on the calling thread and costs no thread. Only a
//! host name goes to `getaddrinfo(3)`, which blocks, so it runs on the
//! blocking pool ([`spawn_blocking`](crate::task::spawn_blocking)) while the
//! runtime goes on.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::vec;

/// What an address argument names: addresses already known, or a host
/// name and a port for the resolver.
#[derive(Debug)]
pub enum Target {
    /// Numeric addresses; no lookup needed.
    Addrs(Vec<SocketAddr>),
    /// A host name and a port, for `getaddrinfo`.
    Name(String, u16),
}

mod sealed {
    /// Turns an address argument into a [`Target`](super::Target).
    pub trait Sealed {
        /// The target this argument names, or `InvalidInput` naming it.
        fn target(&self) -> std::io::Result<super::Target>;
    }
}

/// Values that name one or more socket addresses, possibly through a host
/// name: `"host:port"`, `(host, port)`, a [`SocketAddr`], an IP and a
/// port, a slice of addresses. The same types as tokio's `ToSocketAddrs`
/// (and `std`'s); sealed, so that chronia decides how names are resolved.
///
/// # Examples
///
/// ```
/// use std::net::{Ipv4Addr, SocketAddr};
/// chronia::block_on(async {
///     let literal: Vec<SocketAddr> = chronia::net::lookup_host("127.0.0.1:80").await?.collect();
///     let pair: Vec<SocketAddr> =
///         chronia::net::lookup_host((Ipv4Addr::LOCALHOST, 80)).await?.collect();
///     assert_eq!(literal, pair);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait ToSocketAddrs: sealed::Sealed {}

impl<T: sealed::Sealed + ?Sized> ToSocketAddrs for T {}

macro_rules! numeric {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {
            fn target(&self) -> io::Result<Target> {
                Ok(Target::Addrs(vec![SocketAddr::from(*self)]))
            }
        }
    )*};
}

numeric!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16)
);

impl sealed::Sealed for [SocketAddr] {
    fn target(&self) -> io::Result<Target> {
        Ok(Target::Addrs(self.to_vec()))
    }
}

impl sealed::Sealed for str {
    fn target(&self) -> io::Result<Target> {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return Ok(Target::Addrs(vec![addr]));
        }
        // As std does: the port follows the last colon.
        let bad = || {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid socket address {self:?}: expected \"host:port\""),
            )
        };
        let (host, port) = self.rsplit_once(':').ok_or_else(bad)?;
        let port = port.parse::<u16>().map_err(|_| bad())?;
        (host, port).target()
    }
}

impl sealed::Sealed for String {
    fn target(&self) -> io::Result<Target> {
        self.as_str().target()
    }
}

impl sealed::Sealed for (&str, u16) {
    fn target(&self) -> io::Result<Target> {
        let (host, port) = *self;
        match host.parse::<IpAddr>() {
            Ok(ip) => Ok(Target::Addrs(vec![SocketAddr::new(ip, port)])),
            Err(_) => Ok(Target::Name(host.to_owned(), port)),
        }
    }
}

impl sealed::Sealed for (String, u16) {
    fn target(&self) -> io::Result<Target> {
        (self.0.as_str(), self.1).target()
    }
}

impl<T: sealed::Sealed + ?Sized> sealed::Sealed for &T {
    fn target(&self) -> io::Result<Target> {
        (**self).target()
    }
}

/// Resolves `host` to its socket addresses; a host name is looked up with
/// `getaddrinfo(3)` on chronia's blocking pool, so the runtime's thread
/// never blocks on DNS. Numeric addresses are parsed in place and start no
/// thread. As tokio's `lookup_host`.
///
/// # Errors
///
/// `InvalidInput` naming `host` when it is a string that is not
/// `"host:port"` with a port in `0..=65535`; the resolver's error, as std
/// reports it (with `getaddrinfo`'s message), when the name does not
/// resolve.
///
/// # Panics
///
/// Outside a runtime, when `host` is a name (the lookup runs as a task).
///
/// # Examples
///
/// ```
/// chronia::block_on(async {
///     let addrs: Vec<_> = chronia::net::lookup_host("localhost:8080").await?.collect();
///     assert!(addrs.iter().all(|a| a.port() == 8080 && a.ip().is_loopback()));
///     assert!(!addrs.is_empty());
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn lookup_host(host: impl ToSocketAddrs) -> io::Result<impl Iterator<Item = SocketAddr>> {
    Ok(lookup(host.target()?).await?.into_iter())
}

/// The addresses `target` names, resolving a name on the blocking pool.
pub(crate) async fn lookup(target: Target) -> io::Result<Vec<SocketAddr>> {
    match target {
        Target::Addrs(addrs) => Ok(addrs),
        Target::Name(host, port) => crate::task::spawn_blocking(move || {
            std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
                .map(Iterator::collect::<Vec<_>>)
        })
        .await
        .map_err(io::Error::other)?,
    }
}

/// The addresses `addr` names, at least one.
///
/// # Errors
///
/// As [`lookup_host`], and `InvalidInput` when the name gave no address.
pub(crate) async fn resolve(addr: impl ToSocketAddrs) -> io::Result<vec::IntoIter<SocketAddr>> {
    let addrs = lookup(addr.target()?).await?;
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any addresses",
        ));
    }
    Ok(addrs.into_iter())
}

#[cfg(test)]
mod tests {
    use super::sealed::Sealed;
    use super::*;

    fn addrs(t: io::Result<Target>) -> Vec<SocketAddr> {
        match t.expect("valid") {
            Target::Addrs(a) => a,
            Target::Name(h, p) => panic!("needs a lookup: {h}:{p}"),
        }
    }

    #[test]
    fn literals_need_no_lookup() {
        let v4: SocketAddr = "127.0.0.1:80".parse().expect("literal");
        let v6: SocketAddr = "[::1]:80".parse().expect("literal");
        assert_eq!(addrs("127.0.0.1:80".target()), [v4]);
        assert_eq!(addrs("[::1]:80".target()), [v6]);
        assert_eq!(addrs(("::1", 80).target()), [v6]);
        assert_eq!(addrs((String::from("127.0.0.1"), 80).target()), [v4]);
        assert_eq!(addrs([v4, v6][..].target()), [v4, v6]);
    }

    #[test]
    fn names_go_to_the_resolver() {
        match "example.invalid:443".target().expect("valid") {
            Target::Name(h, p) => assert_eq!((h.as_str(), p), ("example.invalid", 443)),
            Target::Addrs(a) => panic!("{a:?}"),
        }
    }

    #[test]
    fn a_string_without_a_port_is_invalid_input() {
        for bad in ["localhost", "localhost:http", "localhost:70000", ""] {
            let err = bad.target().expect_err(bad);
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad}");
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }
}
