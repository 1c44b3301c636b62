//! Waiting and dispatch: `epoll_pwait2` (or `epoll_wait` where it is not
//! to be had, see `precise`), then each kernel event turned into a report
//! in the caller's buffer, or in the pending queue once the buffer is full
//! or signals and children queued reports of their own.
//!
//! # Invariants
//!
//! - While `pending` is not empty, no `epoll_wait` is made: queued reports
//!   go out first, so a level-triggered fd is not reported twice.
//! - An event for an fd whose slot is empty (unregistered since the kernel
//!   queued it) is dropped, so no report names an unregistered ident.

use std::io;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use super::flags::{handle_events, invalid, timeout_ms};
use super::{Kind, MAX_EVENTS, SIGNALFD_TOKEN, Selector, precise};
use crate::events::{Events, Ident, ReadyKey};
use crate::mask;
use crate::sys::{self, CtlOp};

impl<T> Selector<T> {
    /// Waits up to `timeout` (`None`: forever) for events and writes up to
    /// `keys.len()` reports into `keys`, returning how many. Reports that do
    /// not fit are kept and delivered by the next call, which does not wait
    /// or ask the kernel for more until they are out. `EINTR` is retried with the time that is left.
    /// The timeout is kept to the nanosecond where
    /// [`has_precise_timeout`](Selector::has_precise_timeout) says so, and
    /// rounded up to whole milliseconds elsewhere.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for an empty `keys`; the kernel's error from
    /// `epoll_pwait2(2)` or `epoll_wait(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_reactor::{ReadyKey, Selector};
    /// use std::time::Duration;
    /// let mut selector = Selector::<()>::new()?;
    /// let mut keys = [ReadyKey::default(); 16];
    /// let n = selector.select_into(Some(Duration::ZERO), &mut keys)?;
    /// assert_eq!(n, 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn select_into(
        &mut self,
        timeout: Option<Duration>,
        keys: &mut [ReadyKey],
    ) -> io::Result<usize> {
        if keys.is_empty() {
            return Err(invalid(
                "select_into needs room for at least one key".to_owned(),
            ));
        }
        // Queued reports go out first, without asking the kernel: asking
        // would report a still-ready level-triggered fd a second time next
        // to its queued report (and a blocking wait would delay them).
        // Another selector of this thread may have read the SIGCHLD that
        // one of our children caused.
        if !self.processes.is_empty() && mask::child_epoch() != self.child_epoch {
            self.child_epoch = mask::child_epoch();
            self.sweep_children();
        }
        let mut written = 0;
        if self.pending.is_empty() {
            let n = self.wait(timeout, keys.len().min(MAX_EVENTS))?;
            written = self.dispatch(n, keys);
        }
        // What did not go straight into `keys` waits in `pending`, in order
        // and behind what did (see `dispatch`).
        let more = (keys.len() - written).min(self.pending.len());
        for (slot, key) in keys[written..].iter_mut().zip(self.pending.drain(..more)) {
            *slot = key;
        }
        Ok(written + more)
    }

    /// Like [`select_into`](Self::select_into), into a new vector.
    ///
    /// # Errors
    ///
    /// As [`select_into`](Self::select_into).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut selector = chronia_reactor::Selector::<()>::new()?;
    /// assert!(selector.select(Some(Duration::from_millis(1)))?.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn select(&mut self, timeout: Option<Duration>) -> io::Result<Vec<ReadyKey>> {
        let mut keys = vec![ReadyKey::default(); 256];
        let n = self.select_into(timeout, &mut keys)?;
        keys.truncate(n);
        Ok(keys)
    }

    /// `epoll_pwait2` or `epoll_wait` (see `precise`) for at most `room`
    /// events, retrying `EINTR` with the time that is left.
    fn wait(&mut self, timeout: Option<Duration>, room: usize) -> io::Result<usize> {
        if self.events.len() < room {
            self.events.resize(room, sys::epoll_event_zeroed());
        }
        // The deadline is only needed to retry after `EINTR`, which a wait
        // that does not block never sees: a zero timeout (the busy turn of
        // a runtime with work) skips the clock read.
        let deadline = timeout
            .filter(|t| !t.is_zero())
            .and_then(|t| Instant::now().checked_add(t));
        let mut left = timeout;
        loop {
            let result = if precise::try_pwait2() {
                let r = sys::epoll_pwait2(self.epoll.as_fd(), &mut self.events[..room], left);
                if precise::record(
                    r.as_ref()
                        .map(|_| ())
                        .map_err(|e| e.raw_os_error().unwrap_or(0)),
                ) {
                    r
                } else {
                    sys::epoll_wait(
                        self.epoll.as_fd(),
                        &mut self.events[..room],
                        timeout_ms(left),
                    )
                }
            } else {
                sys::epoll_wait(
                    self.epoll.as_fd(),
                    &mut self.events[..room],
                    timeout_ms(left),
                )
            };
            match result {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    left = match (timeout, deadline) {
                        (None, _) => None,
                        (Some(_), Some(d)) => Some(d.saturating_duration_since(Instant::now())),
                        (Some(t), None) => Some(t),
                    };
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Turns the first `n` kernel events into reports, written straight
    /// into `keys` (the common case: no queue on the way) while they fit and
    /// `pending` is empty, and pushed to `pending` from the first that does
    /// not (or once signals or children queued theirs), so the order is the
    /// one every report would have in `pending` alone. Returns how many
    /// went into `keys`. Called only with `pending` empty.
    fn dispatch(&mut self, n: usize, keys: &mut [ReadyKey]) -> usize {
        debug_assert!(self.pending.is_empty(), "queued reports go out first");
        let mut written = 0;
        let mut children = false;
        for i in 0..n {
            let event = self.events[i];
            let (bits, tok) = (event.events, event.u64);
            if tok == SIGNALFD_TOKEN {
                children |= self.drain_signals();
                continue;
            }
            let fd = i32::try_from(tok).expect("fd tokens are fds");
            let ident = Ident::from(fd);
            let epoll = self.epoll.as_fd();
            // An event for an fd unregistered since is skipped.
            let Some(entry) = self
                .fds
                .get_mut(usize::try_from(fd).expect("fd"))
                .and_then(Option::as_mut)
            else {
                continue;
            };
            let key = match &entry.kind {
                Kind::Handle => {
                    let (events, errno) = handle_events(bits, entry.events);
                    let key = ReadyKey::new(ident, events);
                    if errno == 0 {
                        key
                    } else {
                        key.with_error(errno)
                    }
                }
                Kind::Timer(timer) => match sys::read_counter(timer.as_fd()) {
                    Ok(None) => continue,
                    Ok(Some(_)) if entry.events.contains(Events::ONESHOT) => {
                        entry.events |= Events::FINISHED;
                        let key = ReadyKey::new(ident, entry.events);
                        match sys::epoll_ctl(epoll, CtlOp::Delete, fd, 0, 0) {
                            Ok(()) => key,
                            Err(e) => key.with_error(e.raw_os_error().unwrap_or(libc::EIO)),
                        }
                    }
                    Ok(Some(_)) => ReadyKey::new(ident, entry.events),
                    Err(e) => ReadyKey::new(ident, entry.events)
                        .with_error(e.raw_os_error().unwrap_or(libc::EIO)),
                },
                // Edge-triggered: this event is the edge, and the counter
                // is left as it is (see `SelectEvent::new_edge_triggered`).
                Kind::User(event) if event.is_edge_triggered() => {
                    ReadyKey::new(ident, Events::USER)
                }
                Kind::User(event) => match event.consume() {
                    Ok(false) => continue,
                    Ok(true) => ReadyKey::new(ident, Events::USER),
                    Err(e) => ReadyKey::new(ident, Events::USER)
                        .with_error(e.raw_os_error().unwrap_or(libc::EIO)),
                },
                Kind::Signal(_) | Kind::Process(_) => {
                    unreachable!("virtual registrations have no fd slot")
                }
            };
            if written < keys.len() && self.pending.is_empty() {
                keys[written] = key;
                written += 1;
            } else {
                self.pending.push_back(key);
            }
        }
        if children {
            self.sweep_children();
        }
        written
    }
}
