//! Unix signals as async streams: [`signal`], [`ctrl_c`].
//!
//! ```no_run
//! use chronia::signal::{signal, SIGTERM};
//!
//! chronia::block_on(async {
//!     let mut term = signal(SIGTERM)?;
//!     term.recv().await; // once per delivery
//!     println!("shutting down");
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # How delivery works
//!
//! A runtime with a listener for a signal blocks it in its thread and reads
//! it through its selector's signalfd. So that it works whichever thread the
//! kernel hands a process-directed signal to, a process-wide handler is
//! installed while any listener exists: on a thread that does not block the
//! signal it forwards the delivery, with `tgkill`, to every listening
//! thread. A delivery that a runtime reads straight from the kernel (every
//! thread blocked it) is forwarded likewise to the other listening threads.
//! So several [`Signal`]s for one signal number, in one runtime or in
//! runtimes on different threads, each see every delivery.
//!
//! Deliveries that arrive while nobody is inside [`Signal::recv`] are not
//! lost: the next `recv` completes at once. Deliveries that pile up
//! coalesce into one, as the kernel coalesces standard signals.
//!
//! # Restoring the process
//!
//! When the last listener of a signal in a runtime drops, the signal's
//! pending instances are taken and the thread's mask bit is given back as it
//! was; when the last listener in the process drops, the disposition that was
//! there before the first (`SIG_DFL`, `SIG_IGN` or a handler, with its flags)
//! is put back. So a second Ctrl-C after the listener is gone does what it
//! did before: by default, end the process.
//!
//! # Graceful shutdown
//!
//! Race the server against a signal; on the first, stop accepting and give
//! open work a bounded grace period; drop the listener first so that a
//! second Ctrl-C ends the process at once:
//!
//! ```no_run
//! use chronia::signal::{signal, SIGINT};
//! use chronia::time::{timeout, Duration};
//!
//! chronia::block_on(async {
//!     let mut int = signal(SIGINT)?;
//!     let server = chronia::spawn(async { /* accept loop */ });
//!     int.recv().await;
//!     drop(int); // a second Ctrl-C now takes the default action
//!     server.abort();
//!     let _ = timeout(Duration::from_secs(5), async { /* drain connections */ }).await;
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```

pub(crate) mod registry;

mod stream;

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use chronia_reactor::{Ident, ReadyKey};

use crate::runtime::context;
use crate::runtime::driver::{Driver, Inner, Slot, add_waiter};
use registry::{Subscription, subscribe};

pub use libc::{
    SIGALRM, SIGCHLD, SIGHUP, SIGINT, SIGPIPE, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH,
};

/// One runtime's state for one signal number.
#[derive(Debug)]
pub(crate) struct SignalSlot {
    ident: Ident,
    /// Deliveries seen since the first listener.
    deliveries: u64,
    listeners: usize,
    wakers: Vec<Waker>,
    _subscription: Subscription,
}

/// Listens for `signo`: the returned [`Signal`] completes
/// [`recv`](Signal::recv) once per delivery from now on.
///
/// # Errors
///
/// `InvalidInput` for 0, a negative number, one above `SIGRTMAX`, `SIGKILL`
/// and `SIGSTOP` (which cannot be caught), the synchronous fault signals
/// `SIGSEGV`, `SIGBUS`, `SIGFPE` and `SIGILL` (which the faulting thread
/// must handle itself), and the two real-time signals the C library
/// reserves; the kernel's error from `sigaction(2)`, `signalfd(2)` or
/// `epoll_ctl(2)`.
///
/// # Panics
///
/// Outside a runtime.
///
/// # Examples
///
/// ```
/// use chronia::signal::{signal, SIGUSR1};
///
/// chronia::block_on(async {
///     let mut usr1 = signal(SIGUSR1)?;
///     // SAFETY of the test: raise directs the signal at this thread.
///     # #[allow(unsafe_code)]
///     unsafe { libc::raise(SIGUSR1) };
///     usr1.recv().await;
///     assert_eq!(signal(libc::SIGKILL).unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn signal(signo: i32) -> io::Result<Signal> {
    check(signo)?;
    let driver = context::current("chronia::signal::signal");
    let seen = listen(&mut driver.inner.borrow_mut(), signo)?;
    Ok(Signal {
        signo,
        seen,
        driver,
    })
}

/// Adds a listener of `signo` to this runtime: the first one subscribes the
/// thread to forwarded deliveries (the handler installed first, so that a
/// delivery in between is forwarded rather than taking its default action)
/// and registers the signal with the selector, which blocks it. Returns the
/// deliveries counted so far. The caller gives the listener back with
/// [`unlisten`]; `process` holds one for `SIGCHLD` while the runtime lives.
pub(crate) fn listen(inner: &mut Inner, signo: i32) -> io::Result<u64> {
    if let Some(slot) = inner.signals.get_mut(&signo) {
        slot.listeners += 1;
        return Ok(slot.deliveries);
    }
    let subscription = subscribe(signo)?;
    let ident = inner.selector.register_signal(signo, Slot::Signal)?;
    inner.signals.insert(
        signo,
        SignalSlot {
            ident,
            deliveries: 0,
            listeners: 1,
            wakers: Vec::new(),
            _subscription: subscription,
        },
    );
    Ok(0)
}

/// How many listeners of `signo` this runtime has.
pub(crate) fn listeners(inner: &Inner, signo: i32) -> usize {
    inner.signals.get(&signo).map_or(0, |slot| slot.listeners)
}

/// Gives back a listener taken by [`listen`]; the last one unblocks the
/// signal (pending instances taken first) and then, with the subscription,
/// restores its disposition if no other thread listens. In that order: in
/// between, a delivery to this thread runs the forwarding handler, never
/// the default action.
fn unlisten(inner: &mut Inner, signo: i32) {
    let Some(slot) = inner.signals.get_mut(&signo) else {
        return;
    };
    slot.listeners -= 1;
    if slot.listeners == 0
        && let Some(slot) = inner.signals.remove(&signo)
    {
        // Fails only if the ident is gone already; nothing left to undo.
        let _ = inner.selector.unregister(slot.ident);
        drop(slot);
    }
}

/// Waits for one Ctrl-C (`SIGINT`); the listener is dropped after, so the
/// next Ctrl-C does what it did before.
///
/// # Errors
///
/// As [`signal`].
///
/// # Panics
///
/// Outside a runtime.
///
/// # Examples
///
/// ```no_run
/// chronia::block_on(async {
///     chronia::signal::ctrl_c().await?;
///     println!("bye");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    signal(SIGINT)?.recv().await;
    Ok(())
}

fn check(signo: i32) -> io::Result<()> {
    let reason = match signo {
        libc::SIGKILL | libc::SIGSTOP => "cannot be caught",
        libc::SIGSEGV | libc::SIGBUS | libc::SIGFPE | libc::SIGILL => {
            "is a synchronous fault signal, handled by the faulting thread"
        }
        s if s <= 0 || s > libc::SIGRTMAX() => "is not a signal number",
        _ => return Ok(()),
    };
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("signal {signo} {reason}"),
    ))
}

/// A stream of deliveries of one signal; see [`signal`].
pub struct Signal {
    signo: i32,
    /// The runtime's delivery count when this listener last looked.
    seen: u64,
    driver: Rc<Driver>,
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal")
            .field("signo", &self.signo)
            .finish_non_exhaustive()
    }
}

impl Signal {
    /// Waits for the next delivery; completes at once if one came since
    /// the last `recv` (several coalesce into one).
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let mut usr2 = chronia::signal::signal(libc::SIGUSR2)?;
    ///     # #[allow(unsafe_code)]
    ///     // SAFETY: raise has no memory-safety preconditions.
    ///     unsafe { libc::raise(libc::SIGUSR2) };
    ///     usr2.recv().await;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn recv(&mut self) {
        poll_fn(|cx| self.poll_recv(cx)).await;
    }

    /// Polls for the next delivery.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// chronia::block_on(async {
    ///     let mut usr2 = chronia::signal::signal(libc::SIGUSR2)?;
    ///     # #[allow(unsafe_code)]
    ///     // SAFETY: raise has no memory-safety preconditions.
    ///     unsafe { libc::raise(libc::SIGUSR2) };
    ///     poll_fn(|cx| usr2.poll_recv(cx)).await;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut inner = self.driver.inner.borrow_mut();
        // A listener keeps its signal's slot until it drops.
        let Some(slot) = inner.signals.get_mut(&self.signo) else {
            return Poll::Pending;
        };
        if slot.deliveries > self.seen {
            self.seen = slot.deliveries;
            return Poll::Ready(());
        }
        let flushed = add_waiter(&mut slot.wakers, cx.waker());
        drop(inner);
        flushed.into_iter().for_each(Waker::wake);
        Poll::Pending
    }

    /// The signal number.
    pub fn signo(&self) -> i32 {
        self.signo
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        // `try_borrow_mut` fails only while the driver itself is dropping,
        // which gives everything back anyway.
        if let Ok(mut inner) = self.driver.inner.try_borrow_mut() {
            unlisten(&mut inner, self.signo);
        }
    }
}

/// Counts a delivery read by this runtime and wakes its listeners; a
/// delivery that came from the kernel rather than from a forward goes on
/// to the other listening threads.
pub(crate) fn deliver(inner: &mut Inner, key: ReadyKey, wakers: &mut Vec<Waker>) {
    let Some(info) = key.signal_info() else {
        return;
    };
    if info.signo == libc::SIGCHLD {
        crate::process::orphans::reap();
    }
    if !registry::is_forwarded(info, inner.pid) {
        registry::forward(info.signo);
    }
    if let Some(slot) = inner.signals.get_mut(&info.signo) {
        slot.deliveries += 1;
        wakers.append(&mut slot.wakers);
    }
}
