//! The table of registrations: fd slots for handles, timers and user
//! events, virtual slots for signals and processes, and the lookups,
//! insertions and removal every kind of registration goes through.
//!
//! # Invariants
//!
//! - A slot is filled only after the kernel accepted the registration
//!   ([`Selector::insert_armed`] asks epoll first), so a failed registration
//!   leaves nothing behind.
//! - A virtual id is given back to [`VirtualIds`] exactly when its slot is
//!   emptied.

use std::io;
use std::os::fd::{AsFd, RawFd};

use super::flags::{invalid, not_found, token};
use super::{Entry, Kind, Selector};
use crate::events::{Events, Ident};
use crate::ids::VirtualIds;
use crate::mask;
use crate::sys::{self, CtlOp};

impl<T> Selector<T> {
    pub(super) fn slot(&self, ident: Ident) -> Option<&Entry<T>> {
        match Place::of(ident)? {
            Place::Fd(i) => self.fds.get(i)?.as_ref(),
            Place::Virtual(i) => self.virt.get(i)?.as_ref(),
        }
    }

    pub(super) fn slot_mut(&mut self, ident: Ident) -> Option<&mut Entry<T>> {
        match Place::of(ident)? {
            Place::Fd(i) => self.fds.get_mut(i)?.as_mut(),
            Place::Virtual(i) => self.virt.get_mut(i)?.as_mut(),
        }
    }

    /// Puts `entry` in the free fd slot `fd`.
    pub(super) fn insert_fd(&mut self, fd: RawFd, entry: Entry<T>) -> io::Result<()> {
        let index = self.free_fd_index(fd)?;
        if index >= self.fds.len() {
            self.fds.resize_with(index + 1, || None);
        }
        self.fds[index] = Some(entry);
        Ok(())
    }

    /// The table index of `fd` if it is a descriptor not registered yet.
    pub(super) fn free_fd_index(&self, fd: RawFd) -> io::Result<usize> {
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
    pub(super) fn insert_armed(
        &mut self,
        fd: RawFd,
        entry: Entry<T>,
        bits: Option<u32>,
    ) -> io::Result<()> {
        self.free_fd_index(fd)?;
        match bits {
            Some(bits) => sys::epoll_ctl(self.epoll.as_fd(), CtlOp::Add, fd, bits, token(fd))?,
            None => sys::check_fd(fd)?,
        }
        self.insert_fd(fd, entry)
    }

    /// Puts `entry` in a new virtual slot.
    pub(super) fn insert_virtual(&mut self, entry: Entry<T>) -> io::Result<Ident> {
        let id = self.ids.alloc()?;
        let index = VirtualIds::index(id);
        if index >= self.virt.len() {
            self.virt.resize_with(index + 1, || None);
        }
        debug_assert!(self.virt[index].is_none(), "a free id has an empty slot");
        self.virt[index] = Some(entry);
        Ok(Ident::from(id))
    }

    /// Empties the slot of `ident`, giving back its virtual id.
    pub(super) fn take(&mut self, ident: Ident) -> Option<Entry<T>> {
        match Place::of(ident)? {
            Place::Fd(i) => self.fds.get_mut(i)?.take(),
            Place::Virtual(i) => {
                let entry = self.virt.get_mut(i)?.take();
                if entry.is_some() {
                    self.ids.free(ident.as_raw());
                }
                entry
            }
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
}

/// Where the slot of an ident is: fds index `fds` by their number, virtual
/// ids index `virt`; -1 is neither.
enum Place {
    Fd(usize),
    Virtual(usize),
}

impl Place {
    fn of(ident: Ident) -> Option<Place> {
        match ident.as_raw() {
            -1 => None,
            raw if raw >= 0 => usize::try_from(raw).ok().map(Place::Fd),
            raw => Some(Place::Virtual(VirtualIds::index(raw))),
        }
    }
}
