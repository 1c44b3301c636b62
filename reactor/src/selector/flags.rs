//! Pure helpers of the selector: flag mapping, input checks, timeouts.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use super::HANDLE_EVENTS;
use crate::events::{Events, Ident};
use crate::sys;

pub(super) fn token(fd: RawFd) -> u64 {
    u64::from(fd.cast_unsigned())
}

pub(super) fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

pub(super) fn not_found(ident: Ident) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{ident} is not registered in the selector"),
    )
}

pub(super) fn check_handle_events(events: Events) -> io::Result<()> {
    if events.without(HANDLE_EVENTS).is_empty() {
        Ok(())
    } else {
        Err(invalid(format!(
            "{:?} cannot be waited for on a handle: only READ, WRITE, ONESHOT and EDGE",
            events.without(HANDLE_EVENTS)
        )))
    }
}

/// What a signal number is checked for by [`check_signal`]; each use
/// refuses what the one before it refuses, and more.
///
/// # Examples
///
/// ```
/// use chronia_reactor::{check_signal, SignalUse};
///
/// assert!(check_signal(libc::SIGKILL, SignalUse::Send).is_ok());
/// assert!(check_signal(libc::SIGKILL, SignalUse::Listen).is_err());
/// assert!(check_signal(libc::SIGSEGV, SignalUse::Listen).is_ok());
/// assert!(check_signal(libc::SIGSEGV, SignalUse::Forward).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalUse {
    /// Sent to a process (`kill(2)`): 0 (which only probes) up to
    /// `SIGRTMAX`.
    Send,
    /// Read through a signalfd ([`Selector::register_signal`]): 1 up to
    /// `SIGRTMAX`, but not `SIGKILL` and `SIGSTOP` (they cannot be
    /// caught), nor the real-time signals below `SIGRTMIN` that the C
    /// library keeps for its threads.
    ///
    /// [`Selector::register_signal`]: crate::Selector::register_signal
    Listen,
    /// Listened for with a process-wide handler that forwards it: as
    /// `Listen`, and not the synchronous fault signals `SIGSEGV`, `SIGBUS`,
    /// `SIGFPE` and `SIGILL`, which the faulting thread must handle itself.
    Forward,
}

/// Checks `signo` for `usage`: the one rule set for signal numbers in
/// chronia.
///
/// # Errors
///
/// `InvalidInput`, with a message that names the number and the rule it
/// breaks (see [`SignalUse`]).
///
/// # Examples
///
/// ```
/// use chronia_reactor::{check_signal, SignalUse};
///
/// assert!(check_signal(libc::SIGINT, SignalUse::Forward).is_ok());
/// assert!(check_signal(0, SignalUse::Send).is_ok());
/// let e = check_signal(libc::SIGKILL, SignalUse::Listen).unwrap_err();
/// assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
/// assert!(e.to_string().contains("9"));
/// ```
pub fn check_signal(signo: i32, usage: SignalUse) -> io::Result<()> {
    let lowest = match usage {
        SignalUse::Send => 0,
        SignalUse::Listen | SignalUse::Forward => 1,
    };
    if signo < lowest || signo > sys::sigrtmax() {
        return Err(invalid(format!(
            "{signo} is not a signal number ({lowest}..={})",
            sys::sigrtmax()
        )));
    }
    if usage == SignalUse::Send {
        return Ok(());
    }
    let reason = match signo {
        libc::SIGKILL | libc::SIGSTOP => "(SIGKILL or SIGSTOP) cannot be caught",
        s if s > libc::SIGSYS && s < libc::SIGRTMIN() => {
            "is reserved by the C library for its threads (it lies below SIGRTMIN)"
        }
        libc::SIGSEGV | libc::SIGBUS | libc::SIGFPE | libc::SIGILL
            if usage == SignalUse::Forward =>
        {
            "is a synchronous fault signal, handled by the faulting thread"
        }
        _ => return Ok(()),
    };
    Err(invalid(format!("signal {signo} {reason}")))
}

/// The epoll bits for a handle's events.
pub(super) fn epoll_bits(events: Events) -> u32 {
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
pub(super) fn handle_events(bits: u32, interest: Events) -> (Events, i32) {
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
pub(super) fn timeout_ms(timeout: Option<Duration>) -> i32 {
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
    fn fault_signals_are_refused_for_forwarding_only() {
        for signo in [libc::SIGSEGV, libc::SIGBUS, libc::SIGFPE, libc::SIGILL] {
            let e = check_signal(signo, SignalUse::Forward).expect_err("refused");
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
            assert!(e.to_string().contains(&signo.to_string()), "{e}");
            assert!(check_signal(signo, SignalUse::Listen).is_ok());
        }
    }

    #[test]
    fn any_number_up_to_sigrtmax_can_be_sent() {
        for signo in [0, libc::SIGKILL, libc::SIGSTOP, 32, sys::sigrtmax()] {
            assert!(check_signal(signo, SignalUse::Send).is_ok(), "{signo}");
        }
        for signo in [-1, sys::sigrtmax() + 1] {
            let e = check_signal(signo, SignalUse::Send).expect_err("refused");
            assert!(e.to_string().contains(&signo.to_string()), "{e}");
        }
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
            let e = check_signal(signo, SignalUse::Listen).expect_err("refused");
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
            assert!(e.to_string().contains(&signo.to_string()), "{e}");
        }
        assert!(check_signal(libc::SIGINT, SignalUse::Listen).is_ok());
        assert!(check_signal(sys::sigrtmax(), SignalUse::Listen).is_ok());
    }
}
