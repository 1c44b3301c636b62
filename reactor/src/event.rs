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
#[derive(Clone, Debug)]
pub struct SelectEvent {
    fd: Arc<OwnedFd>,
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
        })
    }

    /// Triggers the event. Several triggers before the selector looks
    /// coalesce into one [`Events::USER`](crate::Events::USER) report.
    ///
    /// # Errors
    ///
    /// The kernel's error from `write(2)`; a counter at its maximum is not an
    /// error, since the event is then already pending.
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
        sys::eventfd_add(self.fd.as_fd())
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
