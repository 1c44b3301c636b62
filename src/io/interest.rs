//! [`Interest`] (what a readiness wait waits for) and [`Ready`] (what it
//! found), as tokio names them.

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

const READ: u8 = 1;
const WRITE: u8 = 1 << 1;

/// The readiness a wait is interested in: readable, writable, or both.
/// Never empty.
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
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Interest(u8);

impl Interest {
    /// Interest in reading (or a hang-up, or an error).
    pub const READABLE: Interest = Interest(READ);
    /// Interest in writing (or a hang-up, or an error).
    pub const WRITABLE: Interest = Interest(WRITE);

    /// Both interests; the same as `self | other`.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::io::Interest;
    /// assert!(Interest::READABLE.add(Interest::WRITABLE).is_writable());
    /// ```
    #[must_use]
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// `self` without `other`; `None` if nothing is left.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::io::Interest;
    /// assert_eq!(Interest::WRITABLE.remove(Interest::READABLE), Some(Interest::WRITABLE));
    /// ```
    #[must_use]
    pub const fn remove(self, other: Interest) -> Option<Interest> {
        match self.0 & !other.0 {
            0 => None,
            rest => Some(Interest(rest)),
        }
    }

    /// Whether it includes [`READABLE`](Self::READABLE).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(chronia::io::Interest::READABLE.is_readable());
    /// ```
    pub const fn is_readable(self) -> bool {
        self.0 & READ != 0
    }

    /// Whether it includes [`WRITABLE`](Self::WRITABLE).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!chronia::io::Interest::READABLE.is_writable());
    /// ```
    pub const fn is_writable(self) -> bool {
        self.0 & WRITE != 0
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

/// The readiness a wait found: readable, writable, both, or (from `|` and
/// [`Default`]) none.
///
/// Unlike tokio's, it has no separate read-closed and write-closed states:
/// a hang-up or an error makes the fd both readable and writable, and the
/// next read (end-of-file, `Ok(0)`) or write (the error) tells which.
///
/// # Examples
///
/// ```
/// use chronia::io::Ready;
/// let r = Ready::READABLE | Ready::WRITABLE;
/// assert!(r.is_readable() && r.is_writable() && !r.is_empty());
/// assert!(Ready::EMPTY.is_empty());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Ready(u8);

impl Ready {
    /// No readiness.
    pub const EMPTY: Ready = Ready(0);
    /// Readable (or hung up, or failed).
    pub const READABLE: Ready = Ready(READ);
    /// Writable (or hung up, or failed).
    pub const WRITABLE: Ready = Ready(WRITE);
    /// Readable and writable.
    pub const ALL: Ready = Ready(READ | WRITE);

    /// Whether nothing is ready.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!chronia::io::Ready::READABLE.is_empty());
    /// ```
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether it includes [`READABLE`](Self::READABLE).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(chronia::io::Ready::ALL.is_readable());
    /// ```
    pub const fn is_readable(self) -> bool {
        self.0 & READ != 0
    }

    /// Whether it includes [`WRITABLE`](Self::WRITABLE).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!chronia::io::Ready::READABLE.is_writable());
    /// ```
    pub const fn is_writable(self) -> bool {
        self.0 & WRITE != 0
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

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ready")
            .field("readable", &self.is_readable())
            .field("writable", &self.is_writable())
            .finish()
    }
}
