//! [`UdpSocket`]'s options: broadcast, multicast, TTL. Each is std's
//! setter on the inner socket; the kernel's errors pass through.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::UdpSocket;

impl UdpSocket {
    /// Sets `SO_BROADCAST`: allow sending to a broadcast address.
    ///
    /// # Errors
    ///
    /// The kernel's error from `setsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let socket = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     socket.set_broadcast(true)?;
    ///     assert!(socket.broadcast()?);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(on)
    }

    /// Whether `SO_BROADCAST` is set.
    ///
    /// # Errors
    ///
    /// The kernel's error from `getsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let socket = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(!socket.broadcast()?);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.get_ref().broadcast()
    }

    /// Sets the TTL of outgoing unicast datagrams (`IP_TTL`).
    ///
    /// # Errors
    ///
    /// The kernel's error from `setsockopt(2)`: `InvalidInput` for 0 or a
    /// value above 255.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let socket = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     socket.set_ttl(42)?;
    ///     assert_eq!(socket.ttl()?, 42);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The TTL of outgoing unicast datagrams (`IP_TTL`).
    ///
    /// # Errors
    ///
    /// The kernel's error from `getsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let socket = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(socket.ttl()? > 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Joins the IPv4 multicast group `multiaddr` on the interface with
    /// address `interface` (`0.0.0.0`: the kernel chooses).
    ///
    /// # Errors
    ///
    /// The kernel's error from `setsockopt(2)`: `InvalidInput` (`EINVAL`)
    /// when `multiaddr` is not a multicast address, `ENODEV` without a
    /// matching interface, `AddrInUse` when already joined.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    /// chronia::block_on(async {
    ///     let socket = chronia::net::UdpSocket::bind("0.0.0.0:0").await?;
    ///     let err = socket.join_multicast_v4(Ipv4Addr::LOCALHOST, Ipv4Addr::UNSPECIFIED);
    ///     assert!(err.is_err(), "127.0.0.1 is no multicast group");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn join_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().join_multicast_v4(&multiaddr, &interface)
    }

    /// Leaves the IPv4 multicast group `multiaddr` on `interface`.
    ///
    /// # Errors
    ///
    /// The kernel's error from `setsockopt(2)` (`EADDRNOTAVAIL` when not
    /// joined).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    /// chronia::block_on(async {
    ///     let socket = chronia::net::UdpSocket::bind("0.0.0.0:0").await?;
    ///     let group = Ipv4Addr::new(239, 255, 0, 1);
    ///     assert!(socket.leave_multicast_v4(group, Ipv4Addr::UNSPECIFIED).is_err());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn leave_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v4(&multiaddr, &interface)
    }

    /// Joins the IPv6 multicast group `multiaddr` on the interface with
    /// index `interface` (0: the kernel chooses).
    ///
    /// # Errors
    ///
    /// The kernel's error from `setsockopt(2)`; an IPv4 socket refuses.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Ipv6Addr;
    /// chronia::block_on(async {
    ///     let socket = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     let group: Ipv6Addr = "ff02::1:3".parse().expect("literal");
    ///     assert!(socket.join_multicast_v6(&group, 0).is_err(), "an IPv4 socket");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().join_multicast_v6(multiaddr, interface)
    }

    /// Leaves the IPv6 multicast group `multiaddr` on interface index
    /// `interface`.
    ///
    /// # Errors
    ///
    /// The kernel's error from `setsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Ipv6Addr;
    /// chronia::block_on(async {
    ///     let socket = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     let group: Ipv6Addr = "ff02::1:3".parse().expect("literal");
    ///     assert!(socket.leave_multicast_v6(&group, 0).is_err());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v6(multiaddr, interface)
    }

    /// Sets `IP_MULTICAST_LOOP`: whether this host's own members of a group
    /// receive what the socket sends to it (on by default).
    ///
    /// # Errors
    ///
    /// The kernel's error from `setsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let socket = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     socket.set_multicast_loop_v4(false)?;
    ///     assert!(!socket.multicast_loop_v4()?);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v4(on)
    }

    /// Whether `IP_MULTICAST_LOOP` is set.
    ///
    /// # Errors
    ///
    /// The kernel's error from `getsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let socket = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(socket.multicast_loop_v4()?);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v4()
    }

    /// Sets `IP_MULTICAST_TTL`, the TTL of outgoing multicast datagrams (1
    /// by default: they stay on the local network).
    ///
    /// # Errors
    ///
    /// The kernel's error from `setsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let socket = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     socket.set_multicast_ttl_v4(4)?;
    ///     assert_eq!(socket.multicast_ttl_v4()?, 4);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_multicast_ttl_v4(ttl)
    }

    /// The TTL of outgoing multicast datagrams (`IP_MULTICAST_TTL`).
    ///
    /// # Errors
    ///
    /// The kernel's error from `getsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let socket = chronia::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert_eq!(socket.multicast_ttl_v4()?, 1);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.io.get_ref().multicast_ttl_v4()
    }
}
