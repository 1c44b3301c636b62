//! The vocabulary of the selector: identities, event sets and ready keys.

use std::fmt;
use std::io;
use std::ops::{BitAnd, BitOr, BitOrAssign};
use std::os::fd::RawFd;

/// What a registration is known by: its file descriptor, or a negative
/// virtual id for signals and processes (never -1).
///
/// # Examples
///
/// ```
/// use chronia_reactor::Ident;
///
/// let id = Ident::from(3);
/// assert_eq!(id.as_raw(), 3);
/// assert!(!id.is_virtual());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Ident(i32);

impl Ident {
    /// The number behind the ident: an fd, or a negative virtual id.
    pub const fn as_raw(self) -> i32 {
        self.0
    }

    /// Whether this is a virtual id (a signal or a process), not an fd.
    pub const fn is_virtual(self) -> bool {
        self.0 < 0
    }
}

impl From<RawFd> for Ident {
    fn from(fd: RawFd) -> Ident {
        Ident(fd)
    }
}

impl fmt::Debug for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_virtual() {
            write!(f, "Ident(V{})", -i64::from(self.0))
        } else {
            write!(f, "Ident({})", self.0)
        }
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_virtual() {
            write!(f, "virtual id {}", self.0)
        } else {
            write!(f, "fd {}", self.0)
        }
    }
}

/// A set of events: what a registration waits for, and what a [`ReadyKey`]
/// reports.
///
/// # Examples
///
/// ```
/// use chronia_reactor::Events;
///
/// let e = Events::READ | Events::WRITE;
/// assert!(e.contains(Events::READ));
/// assert!(!e.contains(Events::TIMER));
/// assert!(Events::empty().is_empty());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Events(u16);

impl Events {
    /// The fd is readable (or, for a registration, wait for that).
    pub const READ: Events = Events(1);
    /// The fd is writable.
    pub const WRITE: Events = Events(1 << 1);
    /// A timer expired.
    pub const TIMER: Events = Events(1 << 2);
    /// A signal was delivered.
    pub const SIGNAL: Events = Events(1 << 3);
    /// A child process exited.
    pub const PROCESS: Events = Events(1 << 4);
    /// A [`SelectEvent`](crate::SelectEvent) was triggered.
    pub const USER: Events = Events(1 << 5);
    /// Report once, then stay registered but disarmed (`EPOLLONESHOT` for fds;
    /// a oneshot timer; a process, which exits once).
    pub const ONESHOT: Events = Events(1 << 6);
    /// An error came with the event; [`ReadyKey::error`] says which.
    pub const ERROR: Events = Events(1 << 7);
    /// A oneshot registration has fired and will not fire again.
    pub const FINISHED: Events = Events(1 << 8);
    /// Edge-triggered (`EPOLLET`): report a change of readiness once rather
    /// than as long as it lasts. An extension over the seed, used by the
    /// runtime so that a readiness wait costs no `epoll_ctl`.
    pub const EDGE: Events = Events(1 << 9);

    /// The empty set.
    pub const fn empty() -> Events {
        Events(0)
    }

    /// Whether every event of `other` is in `self`.
    pub const fn contains(self, other: Events) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any event of `other` is in `self`.
    pub const fn intersects(self, other: Events) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The events of `self` and `other` together.
    #[must_use]
    pub const fn union(self, other: Events) -> Events {
        Events(self.0 | other.0)
    }

    /// The set without the events of `other`.
    #[must_use]
    pub const fn without(self, other: Events) -> Events {
        Events(self.0 & !other.0)
    }
}

impl BitOr for Events {
    type Output = Events;
    fn bitor(self, rhs: Events) -> Events {
        Events(self.0 | rhs.0)
    }
}

impl BitOrAssign for Events {
    fn bitor_assign(&mut self, rhs: Events) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for Events {
    type Output = Events;
    fn bitand(self, rhs: Events) -> Events {
        Events(self.0 & rhs.0)
    }
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(Events, &str); 10] = [
            (Events::READ, "READ"),
            (Events::WRITE, "WRITE"),
            (Events::TIMER, "TIMER"),
            (Events::SIGNAL, "SIGNAL"),
            (Events::PROCESS, "PROCESS"),
            (Events::USER, "USER"),
            (Events::ONESHOT, "ONESHOT"),
            (Events::ERROR, "ERROR"),
            (Events::FINISHED, "FINISHED"),
            (Events::EDGE, "EDGE"),
        ];
        let mut first = true;
        for (e, name) in NAMES {
            if self.contains(e) {
                if !first {
                    f.write_str(" | ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("(empty)")?;
        }
        Ok(())
    }
}

/// Who sent a signal, as the kernel recorded it (`signalfd_siginfo`).
///
/// # Examples
///
/// ```
/// use chronia_reactor::SignalInfo;
///
/// let info = SignalInfo::default();
/// assert_eq!(info.signo, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignalInfo {
    /// The signal number.
    pub signo: i32,
    /// `si_code`: `SI_USER` for `kill`, `SI_TKILL` for `tgkill`, `SI_QUEUE`, ...
    pub code: i32,
    /// The sending process, where the kernel records one.
    pub pid: i32,
    /// The real user id of the sender.
    pub uid: u32,
}

/// One readiness report of [`Selector::select_into`](crate::Selector::select_into).
///
/// # The error of a handle report
///
/// For a handle, [`Events::ERROR`] with [`error`](ReadyKey::error)
/// `ECONNRESET` is the seed's convention for *any* of `EPOLLHUP`,
/// `EPOLLRDHUP` and `EPOLLERR`: the peer's orderly half-close
/// (`shutdown(SHUT_WR)`, or a close with nothing left unread), a reset, a
/// closed pipe end and a pending socket error all look the same here. The
/// code is not what the kernel said; to tell the cases apart, ask the fd:
/// read the socket's pending error with `getsockopt(SOL_SOCKET, SO_ERROR)`
/// (`take_error()` on std's sockets: `None` for an orderly shutdown,
/// `ECONNRESET` after a reset), or read the fd (0 bytes: end of stream; an
/// `Err`: the real error).
///
/// # Examples
///
/// ```
/// use chronia_reactor::{Events, ReadyKey};
///
/// let key = ReadyKey::default();
/// assert!(key.events().is_empty());
/// assert!(key.error().is_none());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadyKey {
    pub(crate) ident: Ident,
    pub(crate) events: Events,
    /// 0, or the errno of the error that came with the event.
    pub(crate) errno: i32,
    /// Set for [`Events::SIGNAL`] reports.
    pub(crate) signal: Option<SignalInfo>,
}

impl ReadyKey {
    pub(crate) fn new(ident: Ident, events: Events) -> ReadyKey {
        ReadyKey {
            ident,
            events,
            errno: 0,
            signal: None,
        }
    }

    pub(crate) fn with_error(mut self, errno: i32) -> ReadyKey {
        self.events |= Events::ERROR;
        self.errno = errno;
        self
    }

    /// The registration this report is for.
    pub fn ident(&self) -> Ident {
        self.ident
    }

    /// What happened.
    pub fn events(&self) -> Events {
        self.events
    }

    /// The error that came with the report: for a handle, `ECONNRESET` when
    /// the peer hung up, half-closed, or the socket has an error (the seed's
    /// convention, not the kernel's code: see [the error of a handle
    /// report](ReadyKey#the-error-of-a-handle-report)); otherwise the
    /// kernel's error from reading a timer, event or process status.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_reactor::{Events, Selector};
    /// use std::net::Shutdown;
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// let mut selector = Selector::new()?;
    /// selector.register_handle(b.as_raw_fd(), Events::READ, ())?;
    /// a.shutdown(Shutdown::Write)?;
    /// let key = selector.select(None)?[0];
    /// let reported = key.error().expect("a hang-up comes with an error");
    /// assert_eq!(reported.raw_os_error(), Some(libc::ECONNRESET));
    /// // The socket itself says the shutdown was orderly.
    /// assert!(b.take_error()?.is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn error(&self) -> Option<io::Error> {
        (self.errno != 0).then(|| io::Error::from_raw_os_error(self.errno))
    }

    /// Who sent the signal, for a [`Events::SIGNAL`] report.
    pub fn signal_info(&self) -> Option<SignalInfo> {
        self.signal
    }
}
