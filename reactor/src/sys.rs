//! Every libc call of the reactor, each wrapped once as a safe function.
//!
//! Conventions: `-1` and `errno` become `io::Error::last_os_error()` here and
//! nowhere else; `EINTR` is retried here, except in [`epoll_wait`], whose
//! caller must shorten the timeout before retrying; `EAGAIN` on a
//! non-blocking read of an eventfd, timerfd or signalfd is `Ok(None)`.
#![allow(unsafe_code)]

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// Maps the C convention "-1 and errno" to `io::Result`.
fn cvt<N: Copy + PartialEq + From<i8>>(n: N) -> io::Result<N> {
    if n == N::from(-1) {
        Err(io::Error::last_os_error())
    } else {
        Ok(n)
    }
}

/// Calls `f` until it does not fail with `EINTR`.
fn cvt_r<N: Copy + PartialEq + From<i8>>(mut f: impl FnMut() -> N) -> io::Result<N> {
    loop {
        match cvt(f()) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// Turns a new descriptor returned by the kernel into an owner.
fn owned(fd: RawFd) -> OwnedFd {
    // SAFETY: `fd` was just returned by a successful syscall that creates a
    // descriptor; nobody else owns it yet.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

fn timespec(d: Duration) -> libc::timespec {
    libc::timespec {
        tv_sec: libc::time_t::try_from(d.as_secs()).unwrap_or(libc::time_t::MAX),
        tv_nsec: libc::c_long::from(d.subsec_nanos().cast_signed()),
    }
}

// ---- epoll ---------------------------------------------------------------

/// One epoll event as the kernel fills it.
pub(crate) type EpollEvent = libc::epoll_event;

pub(crate) const EPOLLIN: u32 = libc::EPOLLIN.cast_unsigned();
pub(crate) const EPOLLOUT: u32 = libc::EPOLLOUT.cast_unsigned();
pub(crate) const EPOLLERR: u32 = libc::EPOLLERR.cast_unsigned();
pub(crate) const EPOLLHUP: u32 = libc::EPOLLHUP.cast_unsigned();
pub(crate) const EPOLLRDHUP: u32 = libc::EPOLLRDHUP.cast_unsigned();
pub(crate) const EPOLLONESHOT: u32 = libc::EPOLLONESHOT.cast_unsigned();
pub(crate) const EPOLLET: u32 = libc::EPOLLET.cast_unsigned();

/// An all-zero event, to size buffers.
pub(crate) fn epoll_event_zeroed() -> EpollEvent {
    libc::epoll_event { events: 0, u64: 0 }
}

/// Creates a close-on-exec epoll instance.
pub(crate) fn epoll_create() -> io::Result<OwnedFd> {
    // SAFETY: no pointers; the flag is a valid constant.
    let fd = cvt(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
    Ok(owned(fd))
}

/// The operations of `epoll_ctl`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum CtlOp {
    Add,
    Modify,
    Delete,
}

/// Adds, modifies or deletes `fd` in the interest list of `epfd`.
pub(crate) fn epoll_ctl(
    epfd: BorrowedFd<'_>,
    op: CtlOp,
    fd: RawFd,
    events: u32,
    token: u64,
) -> io::Result<()> {
    let op = match op {
        CtlOp::Add => libc::EPOLL_CTL_ADD,
        CtlOp::Modify => libc::EPOLL_CTL_MOD,
        CtlOp::Delete => libc::EPOLL_CTL_DEL,
    };
    let mut event = libc::epoll_event { events, u64: token };
    // SAFETY: `event` is a valid epoll_event that lives across the call (the
    // kernel ignores it for DEL); `fd` is only a number to the kernel, which
    // checks it.
    cvt_r(|| unsafe { libc::epoll_ctl(epfd.as_raw_fd(), op, fd, &raw mut event) })?;
    Ok(())
}

/// Waits for events; `timeout_ms` of -1 waits forever. `EINTR` is returned.
pub(crate) fn epoll_wait(
    epfd: BorrowedFd<'_>,
    events: &mut [EpollEvent],
    timeout_ms: i32,
) -> io::Result<usize> {
    let max = i32::try_from(events.len()).unwrap_or(i32::MAX);
    // SAFETY: `events` is a writable buffer of `max` epoll_event entries that
    // lives across the call.
    let n =
        cvt(unsafe { libc::epoll_wait(epfd.as_raw_fd(), events.as_mut_ptr(), max, timeout_ms) })?;
    Ok(usize::try_from(n).expect("epoll_wait returns a non-negative count"))
}

/// Waits for events with a timeout in nanoseconds (`None` waits forever):
/// `epoll_pwait2(2)`, Linux 5.11+, called by number so that an older libc
/// does not matter. `ENOSYS` where the kernel lacks it. `EINTR` is
/// returned, as by [`epoll_wait`].
pub(crate) fn epoll_pwait2(
    epfd: BorrowedFd<'_>,
    events: &mut [EpollEvent],
    timeout: Option<Duration>,
) -> io::Result<usize> {
    let max = i32::try_from(events.len()).unwrap_or(i32::MAX);
    let ts = timeout.map(timespec);
    let ts_ptr = ts.as_ref().map_or(std::ptr::null(), std::ptr::from_ref);
    // SAFETY: `events` is a writable buffer of `max` epoll_event entries and
    // `ts_ptr` is null or points at a timespec, both living across the call;
    // a null sigmask (size 0) leaves the thread's mask alone.
    let n = cvt(unsafe {
        libc::syscall(
            libc::SYS_epoll_pwait2,
            epfd.as_raw_fd(),
            events.as_mut_ptr(),
            max,
            ts_ptr,
            std::ptr::null::<libc::sigset_t>(),
            0usize,
        )
    })?;
    Ok(usize::try_from(n).expect("epoll_pwait2 returns a non-negative count"))
}

/// The calling thread's timer slack in nanoseconds (`PR_GET_TIMERSLACK`).
pub(crate) fn timer_slack() -> io::Result<u64> {
    // SAFETY: PR_GET_TIMERSLACK reads a value of the calling thread and
    // takes no pointer; the unused arguments are zero.
    let n = cvt(unsafe { libc::prctl(libc::PR_GET_TIMERSLACK, 0, 0, 0, 0) })?;
    Ok(u64::try_from(n).expect("a timer slack is not negative"))
}

/// Sets the calling thread's timer slack (`PR_SET_TIMERSLACK`; 0 means the
/// thread's default).
pub(crate) fn set_timer_slack(ns: u64) -> io::Result<()> {
    let ns = libc::c_ulong::try_from(ns).unwrap_or(libc::c_ulong::MAX);
    // SAFETY: PR_SET_TIMERSLACK sets a value of the calling thread and
    // takes no pointer; the unused arguments are zero.
    cvt(unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, ns, 0, 0, 0) })?;
    Ok(())
}

/// Checks that `fd` is an open descriptor (`EBADF` otherwise).
pub(crate) fn check_fd(fd: RawFd) -> io::Result<()> {
    // SAFETY: F_GETFD takes no argument and only reads the descriptor's
    // flags; the kernel checks the number.
    cvt(unsafe { libc::fcntl(fd, libc::F_GETFD) })?;
    Ok(())
}

// ---- timerfd -------------------------------------------------------------

/// Creates a close-on-exec, non-blocking timerfd on `CLOCK_MONOTONIC`.
pub(crate) fn timerfd_create() -> io::Result<OwnedFd> {
    // SAFETY: no pointers; clock and flags are valid constants.
    let fd = cvt(unsafe {
        libc::timerfd_create(
            libc::CLOCK_MONOTONIC,
            libc::TFD_CLOEXEC | libc::TFD_NONBLOCK,
        )
    })?;
    Ok(owned(fd))
}

/// Arms a timerfd: first expiry after `value` (relative), then every
/// `interval` (zero: no repeat). A zero `value` disarms it.
pub(crate) fn timerfd_settime(
    fd: BorrowedFd<'_>,
    value: Duration,
    interval: Duration,
) -> io::Result<()> {
    let spec = libc::itimerspec {
        it_interval: timespec(interval),
        it_value: timespec(value),
    };
    // SAFETY: `spec` is a valid itimerspec that lives across the call; the
    // old-value pointer may be null.
    cvt(unsafe {
        libc::timerfd_settime(fd.as_raw_fd(), 0, &raw const spec, std::ptr::null_mut())
    })?;
    Ok(())
}

/// Reads an 8-byte counter (timerfd or eventfd); `None` when it is zero.
pub(crate) fn read_counter(fd: BorrowedFd<'_>) -> io::Result<Option<u64>> {
    let mut count = 0u64;
    // SAFETY: `count` is 8 writable bytes that live across the call.
    match cvt_r(|| unsafe { libc::read(fd.as_raw_fd(), (&raw mut count).cast(), 8) }) {
        Ok(_) => Ok(Some(count)),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
        Err(e) => Err(e),
    }
}

// ---- eventfd -------------------------------------------------------------

/// Creates a close-on-exec, non-blocking eventfd with a zero counter.
pub(crate) fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: no pointers; flags are valid constants.
    let fd = cvt(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })?;
    Ok(owned(fd))
}

/// Adds one to an eventfd counter; `false` if the counter is full
/// (`EAGAIN`: it is at `u64::MAX - 1`), in which case nothing was written.
pub(crate) fn eventfd_add(fd: BorrowedFd<'_>) -> io::Result<bool> {
    let one = 1u64;
    // SAFETY: `one` is 8 readable bytes that live across the call.
    match cvt_r(|| unsafe { libc::write(fd.as_raw_fd(), (&raw const one).cast(), 8) }) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
        Err(e) => Err(e),
    }
}

// ---- signals -------------------------------------------------------------

/// A set of signals (`sigset_t`).
#[derive(Clone, Copy)]
pub(crate) struct SigSet(libc::sigset_t);

impl std::fmt::Debug for SigSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set()
            .entries((1..=sigrtmax()).filter(|&s| self.contains(s)))
            .finish()
    }
}

impl SigSet {
    pub(crate) fn empty() -> SigSet {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigemptyset initialises the whole set it is given, and
        // cannot fail for a valid pointer.
        unsafe { libc::sigemptyset(set.as_mut_ptr()) };
        // SAFETY: initialised by sigemptyset just above.
        SigSet(unsafe { set.assume_init() })
    }

    /// Adds `signo`; the caller has checked that it is a valid signal.
    pub(crate) fn add(&mut self, signo: i32) {
        // SAFETY: `self.0` is an initialised set; an invalid number only
        // makes the call fail with EINVAL, which the caller ruled out.
        unsafe { libc::sigaddset(&raw mut self.0, signo) };
    }

    pub(crate) fn remove(&mut self, signo: i32) {
        // SAFETY: as in `add`.
        unsafe { libc::sigdelset(&raw mut self.0, signo) };
    }

    pub(crate) fn contains(&self, signo: i32) -> bool {
        // SAFETY: `self.0` is an initialised set; it is only read.
        unsafe { libc::sigismember(&raw const self.0, signo) == 1 }
    }

    pub(crate) fn is_empty(&self) -> bool {
        // glibc's sigisemptyset is a GNU extension; a loop is portable.
        (1..=sigrtmax()).all(|s| !self.contains(s))
    }
}

/// The highest real-time signal number of this C library.
pub(crate) fn sigrtmax() -> i32 {
    libc::SIGRTMAX()
}

/// Blocks (`block == true`) or unblocks the signals of `set` in the calling
/// thread's mask.
pub(crate) fn thread_mask(block: bool, set: &SigSet) -> io::Result<()> {
    let how = if block {
        libc::SIG_BLOCK
    } else {
        libc::SIG_UNBLOCK
    };
    // SAFETY: `set.0` is an initialised set; the old-set pointer may be null.
    let rc = unsafe { libc::pthread_sigmask(how, &raw const set.0, std::ptr::null_mut()) };
    // pthread_sigmask returns the error number instead of setting errno.
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(rc))
    }
}

/// The calling thread's current signal mask.
pub(crate) fn current_thread_mask() -> io::Result<SigSet> {
    let mut old = SigSet::empty();
    // SAFETY: a null new set only reads the mask into `old`, which is a valid,
    // writable set.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &raw mut old.0) };
    if rc == 0 {
        Ok(old)
    } else {
        Err(io::Error::from_raw_os_error(rc))
    }
}

/// Takes one pending instance of `signo` without blocking; `false` if none
/// was pending.
pub(crate) fn take_pending(signo: i32) -> io::Result<bool> {
    let mut set = SigSet::empty();
    set.add(signo);
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `set` and `zero` are valid and live across the call; the
    // siginfo pointer may be null.
    match cvt_r(|| unsafe {
        libc::sigtimedwait(&raw const set.0, std::ptr::null_mut(), &raw const zero)
    }) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether `signo`'s disposition is a handler function (neither `SIG_DFL`
/// nor `SIG_IGN`).
pub(crate) fn has_handler(signo: i32) -> io::Result<bool> {
    let mut action = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: a null new action only reads the current one into `action`,
    // a writable sigaction that lives across the call.
    cvt(unsafe { libc::sigaction(signo, std::ptr::null(), action.as_mut_ptr()) })?;
    // SAFETY: zero-initialised (a valid sigaction) and filled by the kernel.
    let handler = unsafe { action.assume_init() }.sa_sigaction;
    Ok(handler != libc::SIG_DFL && handler != libc::SIG_IGN)
}

/// Creates a close-on-exec, non-blocking signalfd for `mask`, or changes the
/// mask of an existing one.
pub(crate) fn signalfd(
    existing: Option<BorrowedFd<'_>>,
    mask: &SigSet,
) -> io::Result<Option<OwnedFd>> {
    let fd = existing.map_or(-1, |fd| fd.as_raw_fd());
    // SAFETY: `mask.0` is an initialised set that lives across the call; `fd`
    // is -1 or a signalfd that the caller borrows.
    let new = cvt(unsafe {
        libc::signalfd(
            fd,
            &raw const mask.0,
            libc::SFD_CLOEXEC | libc::SFD_NONBLOCK,
        )
    })?;
    Ok(if existing.is_some() {
        None
    } else {
        Some(owned(new))
    })
}

/// What a signalfd read says about one delivery.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RawSigInfo {
    pub(crate) signo: i32,
    pub(crate) code: i32,
    pub(crate) pid: i32,
    pub(crate) uid: u32,
}

/// How many deliveries one signalfd read takes at most.
pub(crate) const SIGINFO_BATCH: usize = 16;

/// Reads up to [`SIGINFO_BATCH`] queued deliveries from a signalfd into
/// `out`; returns how many (0 when none is queued). Fewer than asked for
/// means the queue is now empty, so no read that only says `EAGAIN` is needed.
pub(crate) fn signalfd_read(
    fd: BorrowedFd<'_>,
    out: &mut [RawSigInfo; SIGINFO_BATCH],
) -> io::Result<usize> {
    let mut infos = [MaybeUninit::<libc::signalfd_siginfo>::zeroed(); SIGINFO_BATCH];
    let record = size_of::<libc::signalfd_siginfo>();
    // SAFETY: `infos` is `SIGINFO_BATCH * record` writable bytes that live
    // across the call; the kernel writes whole records only.
    match cvt_r(|| unsafe {
        libc::read(
            fd.as_raw_fd(),
            infos.as_mut_ptr().cast(),
            record * SIGINFO_BATCH,
        )
    }) {
        Ok(n) => {
            let n = n.cast_unsigned() / record;
            for (slot, info) in out.iter_mut().zip(&infos[..n]) {
                // SAFETY: zero-initialised, and one of the `n` whole records
                // the kernel wrote.
                let info = unsafe { info.assume_init_ref() };
                *slot = RawSigInfo {
                    signo: info.ssi_signo.cast_signed(),
                    code: info.ssi_code,
                    pid: info.ssi_pid.cast_signed(),
                    uid: info.ssi_uid,
                };
            }
            Ok(n)
        }
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
        Err(e) => Err(e),
    }
}

// ---- children ------------------------------------------------------------

/// Asks whether child `pid` has exited (`CLD_EXITED`, `CLD_KILLED` or
/// `CLD_DUMPED`), without reaping it and without blocking. Stopped and
/// continued children do not count. `ECHILD` passes through: `pid` is not a
/// child of this process, or it has already been reaped.
pub(crate) fn child_exited(pid: i32) -> io::Result<bool> {
    let mut info = MaybeUninit::<libc::siginfo_t>::zeroed();
    let id = libc::id_t::try_from(pid).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: `info` is a writable siginfo_t that lives across the call.
    cvt_r(|| unsafe {
        libc::waitid(
            libc::P_PID,
            id,
            info.as_mut_ptr(),
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        )
    })?;
    // SAFETY: zero-initialised; with WNOHANG the kernel leaves si_pid at zero
    // when no child changed state, else fills the record.
    let info = unsafe { info.assume_init() };
    // SAFETY: si_pid is the field the kernel sets for SIGCHLD-type records.
    Ok(unsafe { info.si_pid() } == pid)
}
