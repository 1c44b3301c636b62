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

pub(super) fn check_signal(signo: i32) -> io::Result<()> {
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
