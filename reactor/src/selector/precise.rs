//! Whether this process waits with `epoll_pwait2(2)` (a timeout in
//! nanoseconds, Linux 5.11+) or with `epoll_wait(2)` (whole milliseconds).
//!
//! # Protocol
//!
//! One process-wide answer, found once and then kept:
//!
//! - Unknown at first. A process under a seccomp filter (`Seccomp: 2` in
//!   `/proc/self/status`) never tries `epoll_pwait2`: a filter written
//!   before the syscall existed may kill the process on it rather than
//!   return an error, and that cannot be probed from inside.
//! - With `CHRONIA_EPOLL_PWAIT2=0` in the environment it is never tried
//!   either (to compare the two, or to rule the syscall out).
//! - Otherwise the first wait tries it: success makes the answer "yes";
//!   `ENOSYS` (an older kernel) or `EPERM` (a filter that refuses it) makes
//!   it "no", and that wait, like every later one, uses `epoll_wait`.
//!
//! With "yes", [`Selector::has_precise_timeout`] tells the caller that it
//! may pass a deadline as the timeout instead of arming a timerfd.
//!
//! # Timer slack
//!
//! The kernel lets a timeout of `epoll_pwait2` (unlike a timerfd) expire
//! up to the thread's timer slack late, 50 µs by default: a `sleep(100 µs)`
//! took 190 µs that way against 135 µs with a timerfd. So while a selector
//! that may use it lives, its thread's slack is 1 ns: the first such
//! selector of a thread saves the slack and sets it, the last one to drop
//! puts the saved value back. Timers of other code on that thread
//! (`std::thread::sleep`, say) are then kept as precisely, at the cost of
//! the kernel coalescing fewer wake-ups.

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, Ordering};

use super::Selector;
use crate::sys;

const UNKNOWN: u8 = 0;
const YES: u8 = 1;
const NO: u8 = 2;

static PWAIT2: AtomicU8 = AtomicU8::new(UNKNOWN);

/// Whether the next wait should try `epoll_pwait2`. Inlined: once the
/// answer is known (every wait but the first) this is one load.
#[inline]
pub(super) fn try_pwait2() -> bool {
    match PWAIT2.load(Ordering::Relaxed) {
        YES => true,
        NO => false,
        _ => first_try(),
    }
}

/// [`try_pwait2`] while the answer is unknown.
#[cold]
fn first_try() -> bool {
    if under_seccomp_filter() || std::env::var_os("CHRONIA_EPOLL_PWAIT2").is_some_and(|v| v == "0")
    {
        PWAIT2.store(NO, Ordering::Relaxed);
        false
    } else {
        true
    }
}

/// Records the outcome of an `epoll_pwait2`: `Ok` or the kernel's error.
/// Returns `false` if the wait must be made again with `epoll_wait`.
pub(super) fn record(result: Result<(), i32>) -> bool {
    match result {
        Err(libc::ENOSYS | libc::EPERM) => {
            PWAIT2.store(NO, Ordering::Relaxed);
            false
        }
        Ok(()) => {
            // Stored once: a store on every wait would bounce this line
            // between the cores of a thread-per-core runtime.
            if PWAIT2.load(Ordering::Relaxed) != YES {
                PWAIT2.store(YES, Ordering::Relaxed);
            }
            true
        }
        Err(_) => true,
    }
}

thread_local! {
    /// Selectors of this thread that hold the timer slack low, and the
    /// slack the thread had before the first of them.
    static SLACK: Cell<(u32, u64)> = const { Cell::new((0, 0)) };
}

/// Lowers this thread's timer slack for a new selector that may use
/// `epoll_pwait2`; whether it did (then [`release_slack`] must follow, on
/// this thread).
pub(super) fn hold_slack() -> bool {
    if !try_pwait2() {
        return false;
    }
    let (holders, saved) = SLACK.get();
    if holders > 0 {
        SLACK.set((holders + 1, saved));
        return true;
    }
    let Ok(saved) = sys::timer_slack() else {
        return false;
    };
    if sys::set_timer_slack(1).is_err() {
        return false;
    }
    SLACK.set((1, saved));
    true
}

/// Undoes one [`hold_slack`]; the last one puts the thread's slack back.
pub(super) fn release_slack() {
    let (holders, saved) = SLACK.get();
    SLACK.set((holders.saturating_sub(1), saved));
    if holders == 1 {
        // Fails only for a value the kernel gave us itself: nothing to do.
        let _ = sys::set_timer_slack(saved);
    }
}

fn under_seccomp_filter() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .filter_map(|l| l.strip_prefix("Seccomp:"))
            .any(|v| v.trim() == "2")
    })
}

impl<T> Selector<T> {
    /// Whether a `select` timeout is kept to the nanosecond
    /// (`epoll_pwait2`) rather than rounded up to whole milliseconds: then a
    /// caller can wait for a deadline by passing it as the timeout, with no
    /// timerfd to arm. `false` until the first wait has found out.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_reactor::Selector;
    /// use std::time::Duration;
    /// let mut selector = Selector::<()>::new()?;
    /// selector.select(Some(Duration::ZERO))?;
    /// // On Linux 5.11+ outside a seccomp filter, `true`.
    /// let _precise = selector.has_precise_timeout();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn has_precise_timeout(&self) -> bool {
        PWAIT2.load(Ordering::Relaxed) == YES
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn selectors_keep_their_threads_timer_slack_low_and_the_last_puts_it_back() {
        std::thread::spawn(|| {
            sys::set_timer_slack(12_345).expect("set the slack");
            let a = Selector::<()>::new().expect("selector");
            let held = a.holds_slack;
            let low = if held { 1 } else { 12_345 };
            assert_eq!(sys::timer_slack().expect("slack"), low);
            let b = Selector::<()>::new().expect("selector");
            drop(a);
            assert_eq!(sys::timer_slack().expect("slack"), low);
            drop(b);
            assert_eq!(sys::timer_slack().expect("slack"), 12_345);
        })
        .join()
        .expect("the test thread");
    }

    #[test]
    fn a_wait_with_a_sub_millisecond_timeout_is_never_shorter() {
        let mut selector = Selector::<()>::new().expect("selector");
        selector.select(Some(Duration::ZERO)).expect("select");
        for _ in 0..20 {
            let start = Instant::now();
            selector
                .select(Some(Duration::from_micros(300)))
                .expect("select");
            let took = start.elapsed();
            assert!(took >= Duration::from_micros(300), "woke early: {took:?}");
            assert!(took < Duration::from_secs(2), "{took:?}");
        }
    }
}
