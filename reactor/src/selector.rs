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
use crate::events::{Events, Ident, ReadyKey, SignalInfo};
use crate::ids::VirtualIds;
use crate::mask;
use crate::sys::{self, CtlOp, SigSet};

/// The epoll token of the signalfd; fds use their own number as token.
const SIGNALFD_TOKEN: u64 = u64::MAX;

/// How many kernel events one `epoll_wait` takes at most.
const MAX_EVENTS: usize = 1024;

/// The events a handle may be registered with.
const HANDLE_EVENTS: Events = Events::READ
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
        let index = usize::try_from(fd)
            .map_err(|_| invalid(format!("fd {fd} is negative: not a file descriptor")))?;
        if index >= self.fds.len() {
            self.fds.resize_with(index + 1, || None);
        }
        if self.fds[index].is_some() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("fd {fd} is already registered in the selector"),
            ));
        }
        self.fds[index] = Some(entry);
        Ok(())
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
        self.insert_fd(
            fd,
            Entry {
                kind: Kind::Handle,
                events,
                data,
            },
        )?;
        if !events.is_empty() {
            let ctl = sys::epoll_ctl(
                self.epoll.as_fd(),
                CtlOp::Add,
                fd,
                epoll_bits(events),
                token(fd),
            );
            if let Err(e) = ctl {
                self.take(Ident::from(fd));
                return Err(e);
            }
        }
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
        self.insert_fd(
            fd,
            Entry {
                kind: Kind::Timer(timer),
                events,
                data,
            },
        )?;
        if let Err(e) = sys::epoll_ctl(self.epoll.as_fd(), CtlOp::Add, fd, sys::EPOLLIN, token(fd))
        {
            self.take(Ident::from(fd));
            return Err(e);
        }
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
        self.insert_fd(
            fd,
            Entry {
                kind: Kind::User(event.clone()),
                events: Events::USER,
                data,
            },
        )?;
        if let Err(e) = sys::epoll_ctl(self.epoll.as_fd(), CtlOp::Add, fd, sys::EPOLLIN, token(fd))
        {
            self.take(Ident::from(fd));
            return Err(e);
        }
        Ok(Ident::from(fd))
    }

    // ---- signals and processes ---------------------------------------------

    /// Registers signal `signo`: it is blocked in this thread and read
    /// through the selector's one signalfd, each delivery a `SIGNAL` report.
    /// Returns a virtual id.
    ///
    /// Signals are per thread only when they are blocked in every thread; a
    /// process-directed signal the kernel hands to another thread that does
    /// not block it takes that thread's action instead. Block the signal in
    /// `main` before starting threads, or direct it at this thread.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for 0, a negative number, one above `SIGRTMAX`,
    /// `SIGKILL`, `SIGSTOP`, or the two signals the C library reserves
    /// (32 and 33); `AlreadyExists` if `signo` is registered; the kernel's
    /// error from `signalfd(2)` or `epoll_ctl(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_reactor::Selector;
    /// let mut selector = Selector::<()>::new()?;
    /// let err = selector.register_signal(libc::SIGKILL, ()).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn register_signal(&mut self, signo: i32, data: T) -> io::Result<Ident> {
        check_signal(signo)?;
        if self.signals.contains_key(&signo) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("signal {signo} is already registered in the selector"),
            ));
        }
        let ident = self.insert_virtual(Entry {
            kind: Kind::Signal(signo),
            events: Events::SIGNAL,
            data,
        })?;
        self.signals.insert(signo, ident);
        if let Err(e) = self.listen(signo) {
            self.signals.remove(&signo);
            self.take(ident);
            return Err(e);
        }
        Ok(ident)
    }

    /// Registers child process `pid`: when it exits (`CLD_EXITED`,
    /// `CLD_KILLED` or `CLD_DUMPED`; a stop or continue is not an exit) one
    /// `PROCESS | ONESHOT | FINISHED` report follows. The child is never
    /// reaped: its status stays for the owner's `waitpid`. A child that has
    /// already exited is reported by the next select. Returns a virtual id.
    ///
    /// Exits are learnt from `SIGCHLD`, read through the signalfd while any
    /// process is registered; on each, every registered pid is checked with
    /// `waitid(WEXITED | WNOHANG | WNOWAIT)`, so coalesced signals lose no
    /// exit. If the child is reaped by someone else first, the report comes
    /// with the kernel's `ECHILD`.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a pid of 0 or below; `AlreadyExists` if `pid` is
    /// registered; the kernel's `ECHILD` if `pid` is not an unreaped child of
    /// this process; errors of [`register_signal`](Self::register_signal).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_reactor::{Events, Selector};
    /// let mut child = std::process::Command::new("true").spawn()?;
    /// let mut selector = Selector::new()?;
    /// let id = selector.register_process(child.id() as i32, ())?;
    /// let keys = loop {
    ///     let keys = selector.select(None)?;
    ///     if !keys.is_empty() { break keys; }
    /// };
    /// assert_eq!(keys[0].ident(), id);
    /// assert!(keys[0].events().contains(Events::PROCESS));
    /// assert!(child.wait()?.success());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn register_process(&mut self, pid: i32, data: T) -> io::Result<Ident> {
        if pid <= 0 {
            return Err(invalid(format!("pid {pid} does not name one process")));
        }
        if self.processes.contains_key(&pid) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("process {pid} is already registered in the selector"),
            ));
        }
        let events = Events::PROCESS | Events::ONESHOT;
        let ident = self.insert_virtual(Entry {
            kind: Kind::Process(pid),
            events,
            data,
        })?;
        self.processes.insert(pid, ident);
        // Listen before looking: an exit after the look sends a SIGCHLD that
        // is now blocked and read; an exit before it is found by the look.
        let looked = if self.processes.len() == 1 && !self.signals.contains_key(&libc::SIGCHLD) {
            self.listen(libc::SIGCHLD)
        } else {
            Ok(())
        }
        .and_then(|()| sys::child_exited(pid));
        match looked {
            Ok(exited) => {
                if exited {
                    self.finish_process(ident, 0);
                }
                Ok(ident)
            }
            Err(e) => {
                self.processes.remove(&pid);
                self.take(ident);
                self.stop_listening_to_children();
                Err(e)
            }
        }
    }

    /// Adds `signo` to the signalfd, holding it blocked in this thread.
    fn listen(&mut self, signo: i32) -> io::Result<()> {
        if self.sigfd_mask.contains(signo) {
            return Ok(());
        }
        mask::hold(signo)?;
        let mut wanted = self.sigfd_mask;
        wanted.add(signo);
        let armed = match &self.sigfd {
            Some(fd) => sys::signalfd(Some(fd.as_fd()), &wanted).map(|_| ()),
            None => sys::signalfd(None, &wanted).and_then(|fd| {
                let fd = fd.expect("a new signalfd was asked for");
                sys::epoll_ctl(
                    self.epoll.as_fd(),
                    CtlOp::Add,
                    fd.as_raw_fd(),
                    sys::EPOLLIN,
                    SIGNALFD_TOKEN,
                )?;
                self.sigfd = Some(fd);
                Ok(())
            }),
        };
        if let Err(e) = armed {
            mask::release(signo);
            return Err(e);
        }
        self.sigfd_mask = wanted;
        Ok(())
    }

    /// Removes `signo` from the signalfd and gives back this selector's hold
    /// on it (see [`mask`]: the last hold of the thread unblocks it, taking
    /// pending instances first, if it was not blocked before).
    fn stop_listening(&mut self, signo: i32) {
        if !self.sigfd_mask.contains(signo) {
            return;
        }
        self.sigfd_mask.remove(signo);
        if self.sigfd_mask.is_empty() {
            if let Some(fd) = self.sigfd.take() {
                // The fd is closed right after; a failed DEL leaves nothing.
                let _ = sys::epoll_ctl(self.epoll.as_fd(), CtlOp::Delete, fd.as_raw_fd(), 0, 0);
            }
        } else if let Some(fd) = &self.sigfd {
            // Narrowing the mask of a valid signalfd cannot fail on Linux;
            // if it did, the fd would only read a signal nobody waits for.
            let _ = sys::signalfd(Some(fd.as_fd()), &self.sigfd_mask);
        }
        mask::release(signo);
    }

    fn stop_listening_to_children(&mut self) {
        if self.processes.is_empty() && !self.signals.contains_key(&libc::SIGCHLD) {
            self.stop_listening(libc::SIGCHLD);
        }
    }

    fn finish_process(&mut self, ident: Ident, errno: i32) {
        if let Some(entry) = self.slot_mut(ident) {
            entry.events |= Events::FINISHED;
            let key = ReadyKey::new(ident, Events::PROCESS | Events::ONESHOT | Events::FINISHED);
            self.pending.push_back(if errno == 0 {
                key
            } else {
                key.with_error(errno)
            });
        }
    }

    /// Checks every registered, unfinished process for an exit.
    fn sweep_children(&mut self) {
        let mut exited = Vec::new();
        for (&pid, &ident) in &self.processes {
            let finished = self
                .slot(ident)
                .is_none_or(|e| e.events.contains(Events::FINISHED));
            if finished {
                continue;
            }
            match sys::child_exited(pid) {
                Ok(true) => exited.push((ident, 0)),
                Ok(false) => {}
                Err(e) => exited.push((ident, e.raw_os_error().unwrap_or(libc::ECHILD))),
            }
        }
        for (ident, errno) in exited {
            self.finish_process(ident, errno);
        }
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
    /// not fit are kept and delivered first by the next call, which then does
    /// not block. `EINTR` is retried with the time that is left.
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
        if self.pending.len() < keys.len() {
            let room = (keys.len() - self.pending.len()).min(MAX_EVENTS);
            let timeout = if self.pending.is_empty() {
                timeout
            } else {
                Some(Duration::ZERO)
            };
            let n = self.wait(timeout, room)?;
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

    /// Reads every queued delivery from the signalfd into reports; says
    /// whether a `SIGCHLD` came while processes are registered.
    fn drain_signals(&mut self) -> bool {
        let Some(fd) = &self.sigfd else { return false };
        let mut children = false;
        let mut batch = [sys::RawSigInfo::default(); sys::SIGINFO_BATCH];
        loop {
            // A read error other than "empty" cannot be tied to a
            // registration; stop draining, the fd stays readable and the
            // next select retries.
            let n = sys::signalfd_read(fd.as_fd(), &mut batch).unwrap_or(0);
            for info in &batch[..n] {
                if info.signo == libc::SIGCHLD && !self.processes.is_empty() {
                    children = true;
                }
                if let Some(&ident) = self.signals.get(&info.signo) {
                    let mut key = ReadyKey::new(ident, Events::SIGNAL);
                    key.signal = Some(SignalInfo {
                        signo: info.signo,
                        code: info.code,
                        pid: info.pid,
                        uid: info.uid,
                    });
                    self.pending.push_back(key);
                }
            }
            if n < sys::SIGINFO_BATCH {
                return children;
            }
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

// ---- pure helpers -------------------------------------------------------------

fn token(fd: RawFd) -> u64 {
    u64::from(fd.cast_unsigned())
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

fn not_found(ident: Ident) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{ident} is not registered in the selector"),
    )
}

fn check_handle_events(events: Events) -> io::Result<()> {
    if events.without(HANDLE_EVENTS).is_empty() {
        Ok(())
    } else {
        Err(invalid(format!(
            "{:?} cannot be waited for on a handle: only READ, WRITE, ONESHOT and EDGE",
            events.without(HANDLE_EVENTS)
        )))
    }
}

fn check_signal(signo: i32) -> io::Result<()> {
    if signo <= 0 || signo > sys::sigrtmax() {
        return Err(invalid(format!(
            "{signo} is not a signal number (1..={})",
            sys::sigrtmax()
        )));
    }
    if signo == libc::SIGKILL || signo == libc::SIGSTOP {
        return Err(invalid(format!(
            "signal {signo} (SIGKILL or SIGSTOP) cannot be caught"
        )));
    }
    if signo > libc::SIGSYS && signo < libc::SIGRTMIN() {
        return Err(invalid(format!(
            "signal {signo} is reserved by the C library"
        )));
    }
    Ok(())
}

/// The epoll bits for a handle's events.
fn epoll_bits(events: Events) -> u32 {
    let mut bits = 0;
    if events.contains(Events::READ) {
        bits |= sys::EPOLLIN | sys::EPOLLRDHUP;
    }
    if events.contains(Events::WRITE) {
        bits |= sys::EPOLLOUT;
    }
    if events.contains(Events::ONESHOT) {
        bits |= sys::EPOLLONESHOT;
    }
    if events.contains(Events::EDGE) {
        bits |= sys::EPOLLET;
    }
    bits
}

/// What a handle registered for `interest` reports for the kernel's `bits`:
/// the events and, for a hang-up or error, `ECONNRESET` as the seed does.
fn handle_events(bits: u32, interest: Events) -> (Events, i32) {
    let mut events = Events::empty();
    let mut errno = 0;
    if bits & (sys::EPOLLERR | sys::EPOLLHUP | sys::EPOLLRDHUP) != 0 {
        events |= Events::ERROR;
        errno = libc::ECONNRESET;
    }
    if bits & sys::EPOLLOUT != 0 {
        events |= Events::WRITE;
    }
    if bits & sys::EPOLLIN != 0 && interest.contains(Events::READ) {
        events |= Events::READ;
    }
    (events, errno)
}

/// Milliseconds for `epoll_wait`, rounded up so that 0.5 ms does not become
/// a busy poll; `None` is -1 (forever).
fn timeout_ms(timeout: Option<Duration>) -> i32 {
    match timeout {
        None => -1,
        Some(t) => {
            let ms = t.as_nanos().div_ceil(1_000_000);
            i32::try_from(ms).unwrap_or(i32::MAX)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rdhup_is_armed_only_with_read_interest() {
        assert_eq!(epoll_bits(Events::WRITE), sys::EPOLLOUT);
        assert_eq!(epoll_bits(Events::READ), sys::EPOLLIN | sys::EPOLLRDHUP);
        assert_eq!(
            epoll_bits(Events::READ | Events::WRITE | Events::EDGE | Events::ONESHOT),
            sys::EPOLLIN | sys::EPOLLRDHUP | sys::EPOLLOUT | sys::EPOLLET | sys::EPOLLONESHOT
        );
    }

    #[test]
    fn hangup_and_error_map_to_connection_reset() {
        for bits in [sys::EPOLLHUP, sys::EPOLLERR, sys::EPOLLRDHUP] {
            let (events, errno) = handle_events(bits, Events::READ);
            assert!(events.contains(Events::ERROR));
            assert_eq!(errno, libc::ECONNRESET);
        }
        assert_eq!(handle_events(sys::EPOLLIN, Events::READ), (Events::READ, 0));
        assert_eq!(
            handle_events(sys::EPOLLOUT, Events::WRITE),
            (Events::WRITE, 0)
        );
    }

    #[test]
    fn readable_is_reported_only_to_read_interest() {
        assert_eq!(
            handle_events(sys::EPOLLIN | sys::EPOLLOUT, Events::WRITE).0,
            Events::WRITE
        );
    }

    #[test]
    fn timeouts_round_up_to_whole_milliseconds() {
        assert_eq!(timeout_ms(None), -1);
        assert_eq!(timeout_ms(Some(Duration::ZERO)), 0);
        assert_eq!(timeout_ms(Some(Duration::from_micros(500))), 1);
        assert_eq!(timeout_ms(Some(Duration::from_micros(1500))), 2);
        assert_eq!(timeout_ms(Some(Duration::MAX)), i32::MAX);
    }

    #[test]
    fn only_handle_events_are_accepted_for_handles() {
        assert!(check_handle_events(Events::READ | Events::EDGE).is_ok());
        assert_eq!(
            check_handle_events(Events::TIMER)
                .expect_err("not for handles")
                .kind(),
            io::ErrorKind::InvalidInput
        );
    }

    #[test]
    fn uncatchable_and_reserved_signals_are_refused() {
        for signo in [
            0,
            -1,
            libc::SIGKILL,
            libc::SIGSTOP,
            32,
            33,
            sys::sigrtmax() + 1,
        ] {
            assert_eq!(
                check_signal(signo).expect_err("refused").kind(),
                io::ErrorKind::InvalidInput
            );
        }
        assert!(check_signal(libc::SIGINT).is_ok());
        assert!(check_signal(sys::sigrtmax()).is_ok());
    }
}
