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
//! signal it forwards the delivery (`rt_tgsigqueueinfo`) to every listening
//! thread. A delivery that a runtime reads straight from the kernel (every
//! thread blocked it) is forwarded likewise to the other listening threads.
//! So several [`Signal`]s for one signal number, in one runtime, in
//! several runtimes of one thread, or in runtimes on different threads,
//! each see every delivery. A [`Signal`] belongs to the runtime that created
//! it: polling it under another panics (only its own runtime reads it).
//!
//! Deliveries that arrive while nobody is inside [`Signal::recv`] are not
//! lost: the next `recv` completes at once. Deliveries that pile up
//! coalesce into one, as the kernel coalesces standard signals.
//!
//! # A handler the program had before
//!
//! If the signal had a handler function before the first listener (the
//! program's, a C library's), it keeps running: the forwarding handler
//! calls it after forwarding, and a delivery a runtime reads from its
//! signalfd (no handler ran for it) calls it too, from the runtime's
//! thread with every signal blocked, with a `siginfo_t` that carries the
//! signal, code, sender pid and uid, and a null context. Each delivery
//! calls it once; forwards between runtimes do not. With a real handler
//! installed, a thread that does not block the signal can see `EINTR` from
//! a syscall that `SA_RESTART` does not restart (`epoll_wait`,
//! `nanosleep`, `poll` with a timeout, ... see `signal(7)`), as under any
//! handler.
//!
//! # Restoring the process
//!
//! When the last listener of a signal in a thread drops, the thread's mask
//! bit is given back as it was, with the forwarding handler still
//! installed: an instance still pending for the process (every thread
//! blocking it, nobody having read it) is handed on to the threads that
//! still listen, not discarded. When the last listener in the process
//! drops, the disposition that was there before the first (`SIG_DFL`,
//! `SIG_IGN` or a handler, with its flags) is put back. So a second Ctrl-C
//! after the listener is gone does what it did before: by default, end the
//! process. [`ctrl_c`] is the exception: it listens until the runtime
//! drops. The order of these steps, and why no forward can meet the
//! restored disposition, is in the docs of the `registry` module.
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

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::rc::Rc;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};

use chronia_reactor::{SignalInfo, SignalUse, check_signal};

use crate::runtime::context;
use crate::runtime::driver::{Driver, DriverState};
use crate::runtime::slot::{SignalHold, add_waiter};
use registry::{Subscription, subscribe};

pub use libc::{
    SIGALRM, SIGCHLD, SIGHUP, SIGINT, SIGPIPE, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH,
};

/// A runtime's hold on one signal, which its driver keeps while the
/// runtime listens: the thread's subscription, and [`deliver`].
#[derive(Debug)]
struct Hold(Subscription);

impl SignalHold for Hold {
    fn deliver(&self, info: SignalInfo, pid: i32, wakers: &mut Vec<Waker>) -> bool {
        deliver(info, pid, wakers)
    }

    fn leave(self: Box<Self>, release: &mut dyn FnMut()) {
        self.0.leave(release);
    }
}

// Deliveries and waiting tasks are counted per thread, not per runtime: a
// delivery is read by one signalfd of the thread (whichever selects first
// takes it), and every runtime of the thread that listens must see it.
thread_local! {
    /// Deliveries of each signal read by any runtime of this thread.
    static DELIVERED: [Cell<u64>; SIGNALS] = const { [const { Cell::new(0) }; SIGNALS] };
    /// Tasks of this thread's runtimes waiting for each signal.
    static WAITERS: RefCell<Vec<Vec<Waker>>> = const { RefCell::new(Vec::new()) };
}

const SIGNALS: usize = 65;

/// Per signal, a function that runs for every delivery any runtime of the
/// process reads, before its listeners are woken (see [`on_delivery`]).
static HOOKS: [OnceLock<fn()>; SIGNALS] = [const { OnceLock::new() }; SIGNALS];

/// Has `hook` run, on the runtime's thread, for every delivery of `signo`
/// that any runtime of the process reads from now on. One hook per signal
/// for the process's life: a later call for the same signal keeps the
/// first (`process` sets one for `SIGCHLD`, to reap the orphans of dropped
/// runtimes, so that this module knows nothing of children).
pub(crate) fn on_delivery(signo: i32, hook: fn()) {
    if let Some(slot) = usize::try_from(signo).ok().and_then(|i| HOOKS.get(i)) {
        let _ = slot.set(hook);
    }
}

fn slot_index(signo: i32) -> usize {
    usize::try_from(signo)
        .ok()
        .filter(|&i| i < SIGNALS)
        .expect("signal numbers were checked when listening")
}

fn delivered(signo: i32) -> u64 {
    DELIVERED.with(|d| d[slot_index(signo)].get())
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
    check_signal(signo, SignalUse::Forward)?;
    let driver = context::current("chronia::signal::signal");
    let seen = listen(&mut driver.state_mut(), signo)?;
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
pub(crate) fn listen(state: &mut DriverState, signo: i32) -> io::Result<u64> {
    state.listen_signal(signo, || Ok(Box::new(Hold(subscribe(signo)?))))?;
    Ok(delivered(signo))
}

/// How many runtimes of this thread listen for `signo`.
pub(crate) fn thread_subscriptions(signo: i32) -> usize {
    registry::thread_subscriptions(signo)
}

/// How many listeners of `signo` this runtime has.
pub(crate) fn listeners(state: &DriverState, signo: i32) -> usize {
    state.signal_listeners(signo)
}

/// Gives back a listener taken by [`listen`]; the last one unblocks the
/// signal (pending instances taken first) and then, with the subscription,
/// restores its disposition if no other thread listens. In that order: in
/// between, a delivery to this thread runs the forwarding handler, never
/// the default action. The driver does the same for every signal it still
/// listens to when it drops (its `SIGCHLD`, its pinned `SIGINT`, listeners
/// that outlive it).
fn unlisten(state: &mut DriverState, signo: i32) {
    state.unlisten_signal(signo);
}

/// Waits for the next Ctrl-C (`SIGINT`).
///
/// The first call makes the runtime listen for `SIGINT` until the runtime
/// drops (tokio keeps its handler for the process's life), so calling
/// `ctrl_c()` in a loop leaves no moment in which a Ctrl-C takes the
/// default action and ends the process. A Ctrl-C that arrives between two
/// calls is not lost either: the next call completes at once. When the
/// runtime drops, `SIGINT`'s mask and disposition are put back as they
/// were. To have a second Ctrl-C end the process, use a [`signal`] listener
/// and drop it instead (see the module docs).
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
#[track_caller]
pub fn ctrl_c() -> impl std::future::Future<Output = io::Result<()>> {
    let driver = context::current("chronia::signal::ctrl_c");
    async move {
        let mut int = ctrl_c_listener(driver)?;
        int.recv().await;
        let mut state = int.driver.state_mut();
        if let Some(seen) = state
            .signal_slot_mut(SIGINT)
            .and_then(|s| s.ctrl_c_seen.as_mut())
        {
            *seen = (*seen).max(int.seen);
        }
        Ok(())
    }
}

/// A listener of `SIGINT` that has seen what earlier [`ctrl_c`] calls
/// reported, pinning one listener for the runtime's life at the first call.
fn ctrl_c_listener(driver: Rc<Driver>) -> io::Result<Signal> {
    let mut state = driver.state_mut();
    let pinned = state
        .signal_slot_mut(SIGINT)
        .and_then(|s| s.ctrl_c_seen)
        .is_some();
    if !pinned {
        let seen = listen(&mut state, SIGINT)?;
        let slot = state.signal_slot_mut(SIGINT).expect("just listened");
        slot.ctrl_c_seen = Some(seen);
    }
    listen(&mut state, SIGINT)?;
    let seen = state
        .signal_slot_mut(SIGINT)
        .and_then(|s| s.ctrl_c_seen)
        .expect("pinned above");
    drop(state);
    Ok(Signal {
        signo: SIGINT,
        seen,
        driver,
    })
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
    /// # Panics
    ///
    /// As [`poll_recv`](Signal::poll_recv).
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
    /// # Panics
    ///
    /// Outside a runtime, or inside another runtime than the one that
    /// created this `Signal` (only that runtime's signalfd reads its
    /// deliveries, so another would wait forever).
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
    #[track_caller]
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let current = context::current("chronia::signal::Signal::poll_recv");
        assert!(
            Rc::ptr_eq(&current, &self.driver),
            "a chronia Signal must be polled inside the runtime that created it \
             (its runtime's signalfd reads the deliveries; another runtime would never see them)"
        );
        let now = delivered(self.signo);
        if now > self.seen {
            self.seen = now;
            return Poll::Ready(());
        }
        let flushed = WAITERS.with(|w| {
            let mut w = w.borrow_mut();
            if w.is_empty() {
                w.resize_with(SIGNALS, Vec::new);
            }
            add_waiter(&mut w[slot_index(self.signo)], cx.waker())
        });
        flushed.into_iter().for_each(Waker::wake);
        crate::runtime::dump::note_signal(self.signo);
        Poll::Pending
    }

    /// The signal number.
    pub fn signo(&self) -> i32 {
        self.signo
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        // `try_state_mut` gives `None` only while the driver itself is dropping,
        // which gives everything back anyway.
        if let Some(mut state) = self.driver.try_state_mut() {
            unlisten(&mut state, self.signo);
        }
    }
}

/// Counts a delivery read by a runtime of this process (`pid`) and moves
/// the tasks of this thread that wait for it to `wakers`; a delivery that
/// came from the kernel rather than from a forward goes on to the other
/// listening threads. Returns whether it was counted. The driver calls it
/// through [`Hold`].
fn deliver(info: SignalInfo, pid: i32, wakers: &mut Vec<Waker>) -> bool {
    if let Some(hook) = usize::try_from(info.signo)
        .ok()
        .and_then(|i| HOOKS.get(i))
        .and_then(OnceLock::get)
    {
        hook();
    }
    if !registry::is_forwarded(info, pid) {
        registry::forward(info.signo);
        // No handler saw this delivery: the program's own, if it had one
        // before, runs now (see `sys::signal`).
        crate::sys::signal::call_previous_from_signalfd(info.signo, info.code, info.pid, info.uid);
    }
    let Some(i) = usize::try_from(info.signo).ok().filter(|&i| i < SIGNALS) else {
        return false;
    };
    DELIVERED.with(|d| d[i].set(d[i].get() + 1));
    WAITERS.with(|w| {
        if let Some(waiting) = w.borrow_mut().get_mut(i) {
            wakers.append(waiting);
        }
    });
    true
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::{SIGWINCH, on_delivery, signal};
    use crate::sys::signal::{forward_to, gettid};

    static RUNS: AtomicUsize = AtomicUsize::new(0);

    fn count() {
        RUNS.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn a_delivery_hook_runs_before_listeners_wake() {
        on_delivery(SIGWINCH, count);
        crate::block_on(async {
            let mut winch = signal(SIGWINCH).expect("listens");
            forward_to(gettid(), SIGWINCH).expect("sends to this thread");
            winch.recv().await;
            assert!(RUNS.load(Ordering::SeqCst) >= 1, "the hook did not run");
        });
    }
}
