//! User events: an eventfd that any thread can trigger.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::Arc;

use crate::sys;

/// An event that any thread can trigger to wake a selector (an eventfd).
///
/// Cloning is cheap and gives another handle to the same eventfd; the fd is
/// closed when the last handle, including the one a [`Selector`](crate::Selector)
/// keeps while the event is registered, is dropped.
///
/// # Examples
///
/// ```
/// use chronia_reactor::{Events, SelectEvent, Selector};
/// use std::time::Duration;
///
/// let mut selector = Selector::<&str>::new()?;
/// let event = SelectEvent::new()?;
/// let id = selector.register_event(&event, "wake")?;
/// let remote = event.clone();
/// std::thread::spawn(move || remote.trigger()).join().expect("no panic")?;
/// let keys = selector.select(Some(Duration::from_secs(5)))?;
/// assert_eq!(keys.len(), 1);
/// assert_eq!(keys[0].ident(), id);
/// assert!(keys[0].events().contains(Events::USER));
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Level and edge
///
/// An event made by [`new`](SelectEvent::new) is level-triggered: the
/// selector that reports it reads (resets) its counter, one `read(2)` per
/// report, and a trigger stays pending until some selector has looked.
/// One made by [`new_edge_triggered`](SelectEvent::new_edge_triggered) is
/// registered edge-triggered (`EPOLLET`) and its counter is never read by
/// the selector: a report costs no syscall besides the wait itself. The
/// runtime's own unpark event is one; see that constructor for what else
/// changes.
#[derive(Clone, Debug)]
pub struct SelectEvent {
    fd: Arc<OwnedFd>,
    /// Registered with `EPOLLET`, never read by the selector (see
    /// [`SelectEvent::new_edge_triggered`]).
    edge: bool,
}

impl SelectEvent {
    /// Creates an untriggered event (a close-on-exec, non-blocking eventfd).
    ///
    /// # Errors
    ///
    /// The kernel's error from `eventfd(2)`, for example `EMFILE`.
    pub fn new() -> io::Result<SelectEvent> {
        Ok(SelectEvent {
            fd: Arc::new(sys::eventfd()?),
            edge: false,
        })
    }

    /// Creates an untriggered edge-triggered event: a selector registers it
    /// with `EPOLLET` and never reads its counter, so a report costs no
    /// `read(2)` (the cross-thread wake of a parked runtime is one
    /// `write(2)` and the wait's return, nothing else).
    ///
    /// What differs from [`new`](SelectEvent::new):
    ///
    /// - Each trigger is an edge: the registration is reported by the next
    ///   select after it, once; several triggers before that select still
    ///   coalesce into one report, and a select after the report does not
    ///   report it again (the counter, which stays above zero, is not
    ///   looked at).
    /// - Registered with several selectors, a trigger is reported by each
    ///   of them (a level-triggered event goes to the first that looks).
    /// - The counter only grows. When it is full (`u64::MAX - 1`, where a
    ///   write fails with `EAGAIN` and so makes no edge), [`trigger`]
    ///   resets it with a read and writes again, so the trigger is still
    ///   reported.
    ///
    /// [`trigger`]: SelectEvent::trigger
    ///
    /// # Errors
    ///
    /// The kernel's error from `eventfd(2)`, for example `EMFILE`.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_reactor::{SelectEvent, Selector};
    /// use std::time::Duration;
    ///
    /// let mut selector = Selector::new()?;
    /// let event = SelectEvent::new_edge_triggered()?;
    /// selector.register_event(&event, ())?;
    /// event.trigger()?;
    /// event.trigger()?;
    /// assert_eq!(selector.select(Some(Duration::ZERO))?.len(), 1);
    /// // Reported once per edge: nothing until the next trigger.
    /// assert!(selector.select(Some(Duration::ZERO))?.is_empty());
    /// event.trigger()?;
    /// assert_eq!(selector.select(Some(Duration::ZERO))?.len(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new_edge_triggered() -> io::Result<SelectEvent> {
        Ok(SelectEvent {
            fd: Arc::new(sys::eventfd()?),
            edge: true,
        })
    }

    /// Whether the event was made by
    /// [`new_edge_triggered`](SelectEvent::new_edge_triggered).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_reactor::SelectEvent;
    /// assert!(!SelectEvent::new()?.is_edge_triggered());
    /// assert!(SelectEvent::new_edge_triggered()?.is_edge_triggered());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_edge_triggered(&self) -> bool {
        self.edge
    }

    /// Triggers the event. Several triggers before the selector looks
    /// coalesce into one [`Events::USER`](crate::Events::USER) report.
    ///
    /// # Errors
    ///
    /// The kernel's error from `write(2)` (or, for an edge-triggered event
    /// whose counter is full, from the `read(2)` that resets it). A full
    /// counter of a level-triggered event is not an error, since the event
    /// is then already pending.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = chronia_reactor::SelectEvent::new()?;
    /// event.trigger()?;
    /// event.trigger()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn trigger(&self) -> io::Result<()> {
        let fd = self.fd.as_fd();
        if sys::eventfd_add(fd)? || !self.edge {
            return Ok(());
        }
        // A full counter: the write failed and made no edge, and the
        // selector, which never reads an edge-triggered event, may have
        // reported the last one already. Reset it and write again. Should
        // that write find the counter full once more, another trigger
        // filled it after the reset, and its write was an edge that came
        // after this call began: the wake is not lost either way.
        sys::read_counter(fd)?;
        sys::eventfd_add(fd)?;
        Ok(())
    }

    /// Resets the event, saying whether it had been triggered.
    pub(crate) fn consume(&self) -> io::Result<bool> {
        Ok(sys::read_counter(self.fd.as_fd())?.is_some())
    }
}

impl AsFd for SelectEvent {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for SelectEvent {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}
