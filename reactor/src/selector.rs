//! The selector: one epoll instance and a table of registrations.
//!
//! # Invariants
//!
//! - Every registration lives in exactly one table slot: `fds[fd]` for
//!   handles, timers and user events, `virt[index(id)]` for signals and
//!   processes. `signals` and `processes` map a signal number or pid to the
//!   virtual id of its slot, and nothing else refers to a slot.
//! - `sigfd_mask` is the set of signals the signalfd reads: every signal with
//!   a registration, plus `SIGCHLD` while any process is registered. Each of
//!   them is held blocked in this thread (see [`mask`]: holds are counted
//!   per thread, so several selectors of one thread can share a signal).
//! - `pending` holds reports that did not fit the caller's buffer, or that
//!   were found outside `epoll_wait` (a child that exited before it was
//!   registered); while it is not empty, `epoll_wait` does not block.
//! - The selector changes the signal mask of the thread that calls it, so it
//!   is `!Send`: it must be used, and dropped, on the thread that made it.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::marker::PhantomData;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use crate::event::SelectEvent;
use crate::events::{Events, Ident, ReadyKey};
use crate::ids::VirtualIds;
use crate::mask;
use crate::sys::{self, CtlOp, SigSet};

mod flags;
mod signals;

use flags::{
    check_handle_events, epoll_bits, handle_events, invalid, not_found, timeout_ms, token,
};

/// The epoll token of the signalfd; fds use their own number as token.
const SIGNALFD_TOKEN: u64 = u64::MAX;

/// How many kernel events one `epoll_wait` takes at most.
const MAX_EVENTS: usize = 1024;

/// The events a handle may be registered with.
pub(super) const HANDLE_EVENTS: Events = Events::READ
    .union(Events::WRITE)
    .union(Events::ONESHOT)
    .union(Events::EDGE);

#[derive(Debug)]
enum Kind {
    Handle,
    Timer(OwnedFd),
    User(SelectEvent),
    Signal(i32),
    Process(i32),
}

#[derive(Debug)]
struct Entry<T> {
    kind: Kind,
    /// The interest of a handle, or the flags of a timer, signal or process;
    /// `FINISHED` once a oneshot registration has fired.
    events: Events,
    data: T,
}

/// An epoll selector: fds, timers, user events, signals and child processes,
/// each registered with user data `T`.
///
/// # Examples
///
/// ```
/// use chronia_reactor::{Events, Selector};
/// use std::io::Write;
/// use std::os::fd::AsRawFd;
/// use std::os::unix::net::UnixStream;
/// use std::time::Duration;
///
/// let (mut a, b) = UnixStream::pair()?;
/// let mut selector = Selector::new()?;
/// selector.register_handle(b.as_raw_fd(), Events::READ, "b")?;
/// a.write_all(b"ping")?;
/// let keys = selector.select(Some(Duration::from_secs(5)))?;
/// assert_eq!(keys[0].ident(), b.as_raw_fd().into());
/// assert!(keys[0].events().contains(Events::READ));
/// assert_eq!(selector.data(keys[0].ident()), Some(&"b"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Selector<T> {
    epoll: OwnedFd,
    fds: Vec<Option<Entry<T>>>,
    virt: Vec<Option<Entry<T>>>,
    ids: VirtualIds,
    /// Signal number to the virtual id of its registration.
    signals: HashMap<i32, Ident>,
    /// Pid to the virtual id of its registration.
    processes: HashMap<i32, Ident>,
    sigfd: Option<OwnedFd>,
    sigfd_mask: SigSet,
    pending: VecDeque<ReadyKey>,
    events: Vec<sys::EpollEvent>,
    /// The thread's `SIGCHLD` count when this selector last checked its
    /// children (see [`mask`]).
    child_epoch: u64,
    /// The selector changes its thread's signal mask: keep it on that thread.
    _not_send: PhantomData<*const ()>,
}

impl<T> Selector<T> {
    /// Creates a selector with a close-on-exec epoll instance.
    ///
    /// # Errors
    ///
    /// The kernel's error from `epoll_create1(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let selector = chronia_reactor::Selector::<()>::new()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<Selector<T>> {
        Ok(Selector {
            epoll: sys::epoll_create()?,
            fds: Vec::new(),
            virt: Vec::new(),
            ids: VirtualIds::new(),
            signals: HashMap::new(),
            processes: HashMap::new(),
            sigfd: None,
            sigfd_mask: SigSet::empty(),
            pending: VecDeque::new(),
            child_epoch: 0,
            events: vec![sys::epoll_event_zeroed(); 64],
            _not_send: PhantomData,
        })
    }

    // ---- the table ---------------------------------------------------------

    fn slot(&self, ident: Ident) -> Option<&Entry<T>> {
        let raw = ident.as_raw();
        if raw >= 0 {
            self.fds.get(usize::try_from(raw).ok()?)?.as_ref()
        } else if raw == -1 {
            None
        } else {
            self.virt.get(VirtualIds::index(raw))?.as_ref()
        }
    }

    fn slot_mut(&mut self, ident: Ident) -> Option<&mut Entry<T>> {
        let raw = ident.as_raw();
        if raw >= 0 {
            self.fds.get_mut(usize::try_from(raw).ok()?)?.as_mut()
        } else if raw == -1 {
            None
        } else {
            self.virt.get_mut(VirtualIds::index(raw))?.as_mut()
        }
    }

    /// Puts `entry` in the free fd slot `fd`.
    fn insert_fd(&mut self, fd: RawFd, entry: Entry<T>) -> io::Result<()> {
        let index = self.free_fd_index(fd)?;
        if index >= self.fds.len() {
            self.fds.resize_with(index + 1, || None);
        }
        self.fds[index] = Some(entry);
        Ok(())
    }

    /// The table index of `fd` if it is a descriptor not registered yet.
    fn free_fd_index(&self, fd: RawFd) -> io::Result<usize> {
        let index = usize::try_from(fd)
            .map_err(|_| invalid(format!("fd {fd} is negative: not a file descriptor")))?;
        if self.fds.get(index).is_some_and(Option::is_some) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("fd {fd} is already registered in the selector"),
            ));
        }
        Ok(index)
    }

    /// Puts `entry` in the free fd slot `fd` and, unless `bits` is `None`,
    /// adds `fd` to epoll for them; if the kernel refuses, nothing is
    /// registered. The kernel sees the fd first, so that a number that is no
    /// open descriptor (say `i32::MAX`) fails with `EBADF` instead of growing
    /// the table to its size.
    fn insert_armed(&mut self, fd: RawFd, entry: Entry<T>, bits: Option<u32>) -> io::Result<()> {
        self.free_fd_index(fd)?;
        match bits {
            Some(bits) => sys::epoll_ctl(self.epoll.as_fd(), CtlOp::Add, fd, bits, token(fd))?,
            None => sys::check_fd(fd)?,
        }
        self.insert_fd(fd, entry)
    }

    /// Puts `entry` in a new virtual slot.
    fn insert_virtual(&mut self, entry: Entry<T>) -> io::Result<Ident> {
        let id = self.ids.alloc()?;
        let index = VirtualIds::index(id);
        if index >= self.virt.len() {
            self.virt.resize_with(index + 1, || None);
        }
        debug_assert!(self.virt[index].is_none(), "a free id has an empty slot");
        self.virt[index] = Some(entry);
        Ok(Ident::from(id))
    }

    fn take(&mut self, ident: Ident) -> Option<Entry<T>> {
        let raw = ident.as_raw();
        if raw >= 0 {
            self.fds.get_mut(usize::try_from(raw).ok()?)?.take()
        } else if raw == -1 {
            None
        } else {
            let entry = self.virt.get_mut(VirtualIds::index(raw))?.take();
            if entry.is_some() {
                self.ids.free(raw);
            }
            entry
        }
    }

    /// Whether `ident` is registered.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_reactor::{Ident, Selector};
    /// let selector = Selector::<()>::new()?;
    /// assert!(!selector.contains(Ident::from(0)));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn contains(&self, ident: Ident) -> bool {
        self.slot(ident).is_some()
    }

    /// The data registered with `ident`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut selector = chronia_reactor::Selector::new()?;
    /// let id = selector.register_timer(Duration::from_secs(1), true, 7)?;
    /// assert_eq!(selector.data(id), Some(&7));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn data(&self, ident: Ident) -> Option<&T> {
        self.slot(ident).map(|e| &e.data)
    }

    /// The data registered with `ident`, to change in place.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut selector = chronia_reactor::Selector::new()?;
    /// let id = selector.register_timer(Duration::from_secs(1), true, 7)?;
    /// *selector.data_mut(id).expect("registered") += 1;
    /// assert_eq!(selector.data(id), Some(&8));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn data_mut(&mut self, ident: Ident) -> Option<&mut T> {
        self.slot_mut(ident).map(|e| &mut e.data)
    }

    /// Replaces the data of `ident`; `false` if it is not registered.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_reactor::Ident;
    /// use std::time::Duration;
    /// let mut selector = chronia_reactor::Selector::new()?;
    /// let id = selector.register_timer(Duration::from_secs(1), true, 7)?;
    /// assert!(selector.set_data(id, 9));
    /// assert!(!selector.set_data(Ident::from(1000), 9));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_data(&mut self, ident: Ident, data: T) -> bool {
        match self.slot_mut(ident) {
            Some(entry) => {
                entry.data = data;
                true
            }
            None => false,
        }
    }

    /// The signals this selector blocked in its thread (and will unblock
    /// when their registrations go). A child spawned from this thread
    /// inherits them blocked: unblock them in the child before `exec`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut selector = chronia_reactor::Selector::new()?;
    /// assert!(selector.blocked_signals().is_empty());
    /// // In a thread where SIGUSR2 was not blocked before:
    /// selector.register_signal(libc::SIGUSR2, ())?;
    /// assert_eq!(selector.blocked_signals(), vec![libc::SIGUSR2]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn blocked_signals(&self) -> Vec<i32> {
        mask::blocked()
    }

    // ---- handles -----------------------------------------------------------

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

    // ---- timers and user events -------------------------------------------

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
    /// while it is registered.
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
        let entry = Entry {
            kind: Kind::User(event.clone()),
            events: Events::USER,
            data,
        };
        self.insert_armed(fd, entry, Some(sys::EPOLLIN))?;
        Ok(Ident::from(fd))
    }

    // ---- unregister --------------------------------------------------------

    /// Removes a registration of any kind. The entry is always dropped,
    /// with its data, even when the kernel refuses a step; a timer's fd is
    /// closed; a signal that no registration needs any more is unblocked
    /// (its pending instances taken first) if this selector blocked it; any
    /// report still queued for `ident` is purged.
    ///
    /// # Errors
    ///
    /// `NotFound` if `ident` is not registered; the kernel's error from
    /// `epoll_ctl(2)`, except that an fd closed before it was unregistered
    /// (which the kernel already removed from epoll) is not an error.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_reactor::Selector;
    /// use std::time::Duration;
    /// let mut selector = Selector::new()?;
    /// let id = selector.register_timer(Duration::from_secs(1), false, ())?;
    /// selector.unregister(id)?;
    /// assert!(!selector.contains(id));
    /// assert_eq!(selector.unregister(id).unwrap_err().kind(), std::io::ErrorKind::NotFound);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn unregister(&mut self, ident: Ident) -> io::Result<()> {
        let entry = self.take(ident).ok_or_else(|| not_found(ident))?;
        if self.pending.iter().any(|k| k.ident == ident) {
            self.pending.retain(|k| k.ident != ident);
        }
        let fd = ident.as_raw();
        let armed = match &entry.kind {
            Kind::Handle => !entry.events.is_empty(),
            Kind::Timer(_) => !entry.events.contains(Events::FINISHED),
            Kind::User(_) => true,
            Kind::Signal(signo) => {
                self.signals.remove(signo);
                if *signo != libc::SIGCHLD || self.processes.is_empty() {
                    self.stop_listening(*signo);
                }
                false
            }
            Kind::Process(pid) => {
                self.processes.remove(pid);
                self.stop_listening_to_children();
                false
            }
        };
        if armed {
            match sys::epoll_ctl(self.epoll.as_fd(), CtlOp::Delete, fd, 0, 0) {
                Err(e) if !matches!(e.raw_os_error(), Some(libc::EBADF | libc::ENOENT)) => {
                    return Err(e);
                }
                _ => {}
            }
        }
        Ok(())
    }

    // ---- select ------------------------------------------------------------

    /// Waits up to `timeout` (`None`: forever) for events and writes up to
    /// `keys.len()` reports into `keys`, returning how many. Reports that do
    /// not fit are kept and delivered by the next call, which does not wait
    /// or ask the kernel for more until they are out. `EINTR` is retried with the time that is left.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for an empty `keys`; the kernel's error from
    /// `epoll_wait(2)`.
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
        if self.pending.is_empty() {
            let n = self.wait(timeout, keys.len().min(MAX_EVENTS))?;
            self.dispatch(n);
        }
        let n = keys.len().min(self.pending.len());
        for (slot, key) in keys.iter_mut().zip(self.pending.drain(..n)) {
            *slot = key;
        }
        Ok(n)
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

    /// `epoll_wait` for at most `room` events, retrying `EINTR` with the
    /// time that is left.
    fn wait(&mut self, timeout: Option<Duration>, room: usize) -> io::Result<usize> {
        if self.events.len() < room {
            self.events.resize(room, sys::epoll_event_zeroed());
        }
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut left = timeout;
        loop {
            match sys::epoll_wait(
                self.epoll.as_fd(),
                &mut self.events[..room],
                timeout_ms(left),
            ) {
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

    /// Turns the first `n` kernel events into reports in `pending`.
    fn dispatch(&mut self, n: usize) {
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
            self.pending.push_back(key);
        }
        if children {
            self.sweep_children();
        }
    }
}

impl<T> AsRawFd for Selector<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.epoll.as_raw_fd()
    }
}

impl<T> AsFd for Selector<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.epoll.as_fd()
    }
}

impl<T> Drop for Selector<T> {
    /// Closes every fd the selector opened and gives back every signal it
    /// blocked, taking their pending instances first.
    fn drop(&mut self) {
        for signo in 1..=sys::sigrtmax() {
            if self.sigfd_mask.contains(signo) {
                self.stop_listening(signo);
            }
        }
        // Timer fds, the signalfd and the epoll fd close as their owners drop.
    }
}
