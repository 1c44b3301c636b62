//! Handles: fds the caller owns, registered for readiness.

use std::io;
use std::os::fd::{AsFd, RawFd};

use super::flags::{check_handle_events, epoll_bits, invalid, not_found, token};
use super::{Entry, Kind, Selector};
use crate::events::{Events, Ident};
use crate::sys::{self, CtlOp};

impl<T> Selector<T> {
    /// Registers `fd` for `events` (any of `READ`, `WRITE`, `ONESHOT`,
    /// `EDGE`). An empty set stores the registration without arming it in
    /// epoll. `EPOLLRDHUP` is armed only with `READ`, so a peer that
    /// half-closes cannot make a writer-only registration spin.
    ///
    /// # Errors
    ///
    /// `AlreadyExists` if `fd` is registered; `InvalidInput` for a negative
    /// fd or an event that is not for handles; the kernel's error from
    /// `epoll_ctl(2)` (for example `EBADF`, or `EPERM` for a regular file),
    /// after which nothing is registered.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_reactor::{Events, Selector};
    /// use std::os::fd::AsRawFd;
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// let mut selector = Selector::new()?;
    /// selector.register_handle(a.as_raw_fd(), Events::READ | Events::WRITE, ())?;
    /// let again = selector.register_handle(a.as_raw_fd(), Events::READ, ());
    /// assert_eq!(again.unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn register_handle(&mut self, fd: RawFd, events: Events, data: T) -> io::Result<()> {
        check_handle_events(events)?;
        let entry = Entry {
            kind: Kind::Handle,
            events,
            data,
        };
        // An empty set is stored without being armed, as the seed does.
        let bits = (!events.is_empty()).then(|| epoll_bits(events));
        self.insert_armed(fd, entry, bits)?;
        Ok(())
    }

    /// Changes the events `fd` waits for, as the seed does: from empty it
    /// adds the fd to epoll, to empty it removes it, otherwise it modifies
    /// it. The same set again re-arms a `ONESHOT` registration and does
    /// nothing otherwise.
    ///
    /// # Errors
    ///
    /// `NotFound` if `fd` is not registered; `InvalidInput` if it is a timer
    /// or user event, or for an event that is not for handles; the kernel's
    /// error from `epoll_ctl(2)`, after which the old events stay in force.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_reactor::{Events, Selector};
    /// use std::os::fd::AsRawFd;
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// let mut selector = Selector::new()?;
    /// selector.register_handle(a.as_raw_fd(), Events::empty(), ())?;
    /// selector.update_handle(a.as_raw_fd(), Events::WRITE)?;
    /// assert_eq!(selector.select(None)?[0].events(), Events::WRITE);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn update_handle(&mut self, fd: RawFd, events: Events) -> io::Result<()> {
        check_handle_events(events)?;
        if fd < 0 && self.contains(Ident::from(fd)) {
            return Err(invalid(format!(
                "{} is a signal or process registration: only handles can be updated",
                Ident::from(fd)
            )));
        }
        let Some(entry) = self
            .fds
            .get_mut(usize::try_from(fd).unwrap_or(usize::MAX))
            .and_then(Option::as_mut)
        else {
            return Err(not_found(Ident::from(fd)));
        };
        let epoll = self.epoll.as_fd();
        if !matches!(entry.kind, Kind::Handle) {
            return Err(invalid(format!(
                "fd {fd} is not a handle: only handles can be updated"
            )));
        }
        let old = entry.events;
        if old == events && !events.contains(Events::ONESHOT) {
            return Ok(());
        }
        let op = match (old.is_empty(), events.is_empty()) {
            (true, true) => None,
            (true, false) => Some(CtlOp::Add),
            (false, true) => Some(CtlOp::Delete),
            (false, false) => Some(CtlOp::Modify),
        };
        if let Some(op) = op {
            sys::epoll_ctl(epoll, op, fd, epoll_bits(events), token(fd))?;
        }
        entry.events = events;
        Ok(())
    }
}
