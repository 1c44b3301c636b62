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
//!   them is held blocked in this thread (see [`crate::mask`]: holds are counted
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

use crate::event::SelectEvent;
use crate::events::{Events, Ident, ReadyKey};
use crate::ids::VirtualIds;
use crate::sys::{self, SigSet};

mod flags;
mod handles;
mod precise;
mod select;
mod signals;
mod table;
mod timers;

pub use flags::{SignalUse, check_signal};

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
    /// children (see [`crate::mask`]).
    child_epoch: u64,
    /// This selector keeps its thread's timer slack low (see `precise`).
    holds_slack: bool,
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
            holds_slack: precise::hold_slack(),
            _not_send: PhantomData,
        })
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
        if self.holds_slack {
            precise::release_slack();
        }
        // Timer fds, the signalfd and the epoll fd close as their owners drop.
    }
}
