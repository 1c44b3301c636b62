//! [`Interest`] (what a task wants to wait for) and [`Ready`] (what an fd
//! turned out to be ready for), as tokio names them.

use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign};

use crate::sys::socket::PollState;

/// The directions a `ready` call waits for: [`READABLE`](Self::READABLE),
/// [`WRITABLE`](Self::WRITABLE), or both (`|`). Never empty.
///
/// # Examples
///
/// ```
/// use chronia::io::Interest;
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert_eq!(both.remove(Interest::WRITABLE), Some(Interest::READABLE));
/// assert_eq!(Interest::READABLE.remove(Interest::READABLE), None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interest(u8);

const READ: u8 = 1;
const WRITE: u8 = 2;

impl Interest {
    /// Interest in reading.
    pub const READABLE: Interest = Interest(READ);
    /// Interest in writing.
    pub const WRITABLE: Interest = Interest(WRITE);

    /// Whether reading is of interest.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(chronia::io::Interest::READABLE.is_readable());
    /// ```
    pub const fn is_readable(self) -> bool {
        self.0 & READ != 0
    }

    /// Whether writing is of interest.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!chronia::io::Interest::READABLE.is_writable());
    /// ```
    pub const fn is_writable(self) -> bool {
        self.0 & WRITE != 0
    }

    /// Both interests, as `self | other` in a `const` context.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::io::Interest;
    /// const BOTH: Interest = Interest::READABLE.add(Interest::WRITABLE);
    /// assert!(BOTH.is_writable());
    /// ```
    #[must_use]
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// `self` without `other`; `None` if nothing is left (an interest is
    /// never empty).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::io::Interest;
    /// assert_eq!(Interest::WRITABLE.remove(Interest::READABLE), Some(Interest::WRITABLE));
    /// ```
    pub const fn remove(self, other: Interest) -> Option<Interest> {
        let left = self.0 & !other.0;
        if left == 0 {
            None
        } else {
            Some(Interest(left))
        }
    }
}

impl BitOr for Interest {
    type Output = Interest;

    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

impl BitOrAssign for Interest {
    fn bitor_assign(&mut self, other: Interest) {
        *self = self.add(other);
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.is_readable(), self.is_writable()) {
            (true, true) => f.write_str("READABLE | WRITABLE"),
            (true, false) => f.write_str("READABLE"),
            _ => f.write_str("WRITABLE"),
        }
    }
}

/// What an fd was found ready for: a set of
/// [`READABLE`](Self::READABLE), [`WRITABLE`](Self::WRITABLE),
/// [`READ_CLOSED`](Self::READ_CLOSED), [`WRITE_CLOSED`](Self::WRITE_CLOSED)
/// and [`ERROR`](Self::ERROR).
///
/// # Examples
///
/// ```
/// use chronia::io::{Interest, Ready};
/// use chronia::net::UdpSocket;
/// chronia::block_on(async {
///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
///     let ready = socket.ready(Interest::READABLE | Interest::WRITABLE).await?;
///     assert!(ready.is_writable() && !ready.is_readable());
///     assert_eq!(ready & Ready::READABLE, Ready::EMPTY);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Ready(u8);

const READ_CLOSED: u8 = 4;
const WRITE_CLOSED: u8 = 8;
const ERROR: u8 = 16;

impl Ready {
    /// Ready for nothing.
    pub const EMPTY: Ready = Ready(0);
    /// Data to read.
    pub const READABLE: Ready = Ready(READ);
    /// Room to write.
    pub const WRITABLE: Ready = Ready(WRITE);
    /// The read side is shut down: reads give end of file.
    pub const READ_CLOSED: Ready = Ready(READ_CLOSED);
    /// The write side is shut down: writes fail.
    pub const WRITE_CLOSED: Ready = Ready(WRITE_CLOSED);
    /// An error is pending; the next operation reports it.
    pub const ERROR: Ready = Ready(ERROR);
    /// Everything.
    pub const ALL: Ready = Ready(READ | WRITE | READ_CLOSED | WRITE_CLOSED | ERROR);

    /// Whether the set is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(chronia::io::Ready::EMPTY.is_empty());
    /// ```
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether a read would not wait: readable, or read-closed (as tokio).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(chronia::io::Ready::READ_CLOSED.is_readable());
    /// ```
    pub const fn is_readable(self) -> bool {
        self.0 & (READ | READ_CLOSED) != 0
    }

    /// Whether a write would not wait: writable, or write-closed (as tokio).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(chronia::io::Ready::WRITABLE.is_writable());
    /// ```
    pub const fn is_writable(self) -> bool {
        self.0 & (WRITE | WRITE_CLOSED) != 0
    }

    /// Whether the read side is shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!chronia::io::Ready::READABLE.is_read_closed());
    /// ```
    pub const fn is_read_closed(self) -> bool {
        self.0 & READ_CLOSED != 0
    }

    /// Whether the write side is shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(chronia::io::Ready::WRITE_CLOSED.is_write_closed());
    /// ```
    pub const fn is_write_closed(self) -> bool {
        self.0 & WRITE_CLOSED != 0
    }

    /// Whether an error is pending.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(chronia::io::Ready::ERROR.is_error());
    /// ```
    pub const fn is_error(self) -> bool {
        self.0 & ERROR != 0
    }

    /// What `state` says, limited to `interest` (errors are always kept:
    /// they concern both directions).
    pub(crate) fn from_poll(state: PollState, interest: Interest) -> Ready {
        let mut bits = 0;
        if interest.is_readable() {
            bits |= if state.readable { READ } else { 0 };
            bits |= if state.read_closed { READ_CLOSED } else { 0 };
        }
        if interest.is_writable() {
            bits |= if state.writable { WRITE } else { 0 };
            bits |= if state.write_closed { WRITE_CLOSED } else { 0 };
        }
        bits |= if state.error { ERROR } else { 0 };
        Ready(bits)
    }
}

impl BitOr for Ready {
    type Output = Ready;

    fn bitor(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }
}

impl BitOrAssign for Ready {
    fn bitor_assign(&mut self, other: Ready) {
        self.0 |= other.0;
    }
}

impl BitAnd for Ready {
    type Output = Ready;

    fn bitand(self, other: Ready) -> Ready {
        Ready(self.0 & other.0)
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ready")
            .field("readable", &(self.0 & READ != 0))
            .field("writable", &(self.0 & WRITE != 0))
            .field("read_closed", &self.is_read_closed())
            .field("write_closed", &self.is_write_closed())
            .field("error", &self.is_error())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_state_maps_within_the_interest() {
        let all = PollState {
            readable: true,
            writable: true,
            read_closed: true,
            write_closed: true,
            error: true,
        };
        assert_eq!(
            Ready::from_poll(all, Interest::READABLE | Interest::WRITABLE),
            Ready::ALL
        );
        let read = Ready::from_poll(all, Interest::READABLE);
        assert_eq!(read, Ready::READABLE | Ready::READ_CLOSED | Ready::ERROR);
        let none = Ready::from_poll(PollState::default(), Interest::READABLE);
        assert!(none.is_empty());
        let write_only = PollState {
            writable: true,
            ..PollState::default()
        };
        assert!(Ready::from_poll(write_only, Interest::READABLE).is_empty());
    }

    #[test]
    fn interests_combine_and_never_empty() {
        let both = Interest::READABLE | Interest::WRITABLE;
        assert_eq!(both.remove(both), None);
        let mut i = Interest::READABLE;
        i |= Interest::WRITABLE;
        assert_eq!(i, both);
        assert_eq!(format!("{both:?}"), "READABLE | WRITABLE");
    }
}
