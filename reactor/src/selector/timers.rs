//! Timers (one timerfd each, owned by the selector) and user events (an
//! eventfd shared with the [`SelectEvent`] the caller keeps).
//!
//! # Invariants
//!
//! - A timer's fd is in epoll exactly while its entry lacks `FINISHED`: a
//!   oneshot timer leaves epoll when it fires and [`Selector::set_timer`]
//!   adds it back.

use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use super::flags::{invalid, not_found, token};
use super::{Entry, Kind, Selector};
use crate::event::SelectEvent;
use crate::events::{Events, Ident};
use crate::sys::{self, CtlOp};

impl<T> Selector<T> {
    /// Registers a timer (a timerfd on `CLOCK_MONOTONIC`) that fires after
    /// `timeout`, then, unless `oneshot`, every `timeout`. Precision is the
    /// kernel's (nanoseconds); a zero oneshot fires at once. A oneshot timer
    /// reports `TIMER | ONESHOT | FINISHED` once and stays registered until
    /// [`unregister`](Self::unregister).
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a periodic timer with a zero period; the kernel's
    /// error from `timerfd_create(2)` or `timerfd_settime(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_reactor::{Events, Selector};
    /// use std::time::Duration;
    /// let mut selector = Selector::new()?;
    /// let id = selector.register_timer(Duration::from_millis(1), true, ())?;
    /// let keys = selector.select(None)?;
    /// assert_eq!(keys[0].ident(), id);
    /// assert!(keys[0].events().contains(Events::TIMER | Events::FINISHED));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn register_timer(
        &mut self,
        timeout: Duration,
        oneshot: bool,
        data: T,
    ) -> io::Result<Ident> {
        if !oneshot && timeout.is_zero() {
            return Err(invalid(
                "a periodic timer needs a period above zero".to_owned(),
            ));
        }
        let timer = sys::timerfd_create()?;
        // A zero it_value disarms a timerfd; the smallest delay fires at once.
        let first = timeout.max(Duration::from_nanos(1));
        let period = if oneshot { Duration::ZERO } else { timeout };
        sys::timerfd_settime(timer.as_fd(), first, period)?;
        let fd = timer.as_raw_fd();
        let events = if oneshot {
            Events::TIMER | Events::ONESHOT
        } else {
            Events::TIMER
        };
        let entry = Entry {
            kind: Kind::Timer(timer),
            events,
            data,
        };
        self.insert_armed(fd, entry, Some(sys::EPOLLIN))?;
        Ok(Ident::from(fd))
    }

    /// Re-arms a registered timer to fire once after `after`, or disarms it
    /// (`None`); a periodic timer stops repeating. A oneshot timer that has
    /// finished is armed again. The runtime keeps one timer this way and
    /// moves it to its earliest deadline.
    ///
    /// # Errors
    ///
    /// `NotFound` if `ident` is not registered; `InvalidInput` if it is not a
    /// timer; the kernel's error from `timerfd_settime(2)` or `epoll_ctl(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_reactor::{Events, Selector};
    /// use std::time::Duration;
    /// let mut selector = Selector::new()?;
    /// let id = selector.register_timer(Duration::from_secs(3600), false, ())?;
    /// selector.set_timer(id, Some(Duration::from_micros(100)))?;
    /// assert_eq!(selector.select(None)?[0].ident(), id);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_timer(&mut self, ident: Ident, after: Option<Duration>) -> io::Result<()> {
        if !self.contains(ident) {
            return Err(not_found(ident));
        }
        let epoll = self.epoll.as_fd();
        let entry = usize::try_from(ident.as_raw())
            .ok()
            .and_then(|i| self.fds.get_mut(i))
            .and_then(Option::as_mut)
            .ok_or_else(|| invalid(format!("{ident} is not a timer")))?;
        let Kind::Timer(timer) = &entry.kind else {
            return Err(invalid(format!("{ident} is not a timer")));
        };
        let first = after.map_or(Duration::ZERO, |t| t.max(Duration::from_nanos(1)));
        sys::timerfd_settime(timer.as_fd(), first, Duration::ZERO)?;
        if entry.events.contains(Events::FINISHED) {
            let fd = ident.as_raw();
            sys::epoll_ctl(epoll, CtlOp::Add, fd, sys::EPOLLIN, token(fd))?;
            entry.events = entry.events.without(Events::FINISHED);
        }
        Ok(())
    }

    /// Registers a user event; each trigger, or several before a select,
    /// gives one `USER` report. The selector keeps a handle to the event
    /// while it is registered. An event made by
    /// [`SelectEvent::new_edge_triggered`] is registered edge-triggered and
    /// its counter is never read here; any other is read (reset) by the
    /// select that reports it.
    ///
    /// # Errors
    ///
    /// `AlreadyExists` if the event is registered; the kernel's error from
    /// `epoll_ctl(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_reactor::{Events, SelectEvent, Selector};
    /// let mut selector = Selector::new()?;
    /// let event = SelectEvent::new()?;
    /// selector.register_event(&event, ())?;
    /// event.trigger()?;
    /// event.trigger()?;
    /// assert_eq!(selector.select(None)?.len(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn register_event(&mut self, event: &SelectEvent, data: T) -> io::Result<Ident> {
        let fd = event.as_raw_fd();
        let bits = if event.is_edge_triggered() {
            sys::EPOLLIN | sys::EPOLLET
        } else {
            sys::EPOLLIN
        };
        let entry = Entry {
            kind: Kind::User(event.clone()),
            events: Events::USER,
            data,
        };
        self.insert_armed(fd, entry, Some(bits))?;
        Ok(Ident::from(fd))
    }
}
