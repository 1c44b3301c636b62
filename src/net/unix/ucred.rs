//! [`UCred`]: the credentials of a Unix stream's peer.

/// The credentials of the process at the other end of a Unix stream, as
/// the kernel recorded them when it connected (`SO_PEERCRED`), with
/// tokio's accessors.
///
/// # Examples
///
/// ```
/// chronia::block_on(async {
///     let (a, _b) = chronia::net::UnixStream::pair()?;
///     let cred = a.peer_cred()?;
///     assert_eq!(cred.pid(), Some(std::process::id() as i32));
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UCred {
    pub(crate) pid: Option<i32>,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
}

impl UCred {
    /// The peer's user id.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, _b) = chronia::net::UnixStream::pair()?;
    ///     let _uid: u32 = a.peer_cred()?.uid();
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// The peer's group id.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, _b) = chronia::net::UnixStream::pair()?;
    ///     let _gid: u32 = a.peer_cred()?.gid();
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn gid(&self) -> u32 {
        self.gid
    }

    /// The peer's process id; `None` if the kernel did not record one (a
    /// peer in another pid namespace it cannot name shows as 0, which this
    /// maps to `None` as well).
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let (a, _b) = chronia::net::UnixStream::pair()?;
    ///     assert!(a.peer_cred()?.pid().is_some());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn pid(&self) -> Option<i32> {
        self.pid
    }
}
