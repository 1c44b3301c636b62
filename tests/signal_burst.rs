//! Thirty distinct signals sent at once to a process whose main thread (a
//! bystander: it runs no runtime and blocks nothing) is the one the kernel
//! hands them to, while a runtime on another thread listens for all of
//! them (issue 9, item 0). The forwarding handler runs on the bystander's
//! small alternate signal stack; were it to nest (each run interrupted by
//! the next signal), the stack would overflow and the process would die of
//! `SIGSEGV`. The bystander's alternate stack is made smaller than std's:
//! a kernel frame (`AT_MINSIGSTKSZ`) and 2 KiB for the handler, right above
//! a guard page, so the test also shows that one run of the handler fits
//! with room to spare (under valgrind the stack is larger by the size of
//! valgrind's own, bigger signal frame: see [`VALGRIND_FRAME_ALLOWANCE`]).
//! `harness = false`: the main thread is the bystander and no other thread
//! exists. Run in both profiles
//! (`cargo test --test signal_burst`, `cargo test --release --test signal_burst`).
#![allow(
    unsafe_code,
    reason = "libc calls that set up the conditions under test"
)]

use std::io;
use std::sync::mpsc;
use std::time::Duration;

use chronia::signal::signal;
use chronia::time::timeout;

/// How many distinct signals are sent at once.
const SIGNALS: i32 = 30;

fn rounds() -> usize {
    std::env::var("CHRONIA_SIGNAL_BURST_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300)
}

fn signals() -> impl Iterator<Item = i32> {
    (0..SIGNALS).map(|n| libc::SIGRTMIN() + n)
}

fn kill_process(signo: i32) {
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    // SAFETY: kill with our own pid and a valid signal has no memory effects.
    assert_eq!(unsafe { libc::kill(pid, signo) }, 0, "kill {signo}");
}

/// The signals of ours that have a handler installed, read with
/// `sigaction` (bit `n - 1` for signal `n`). Not from
/// `/proc/self/status`'s `SigCgt`: under valgrind that line shows
/// valgrind's own handlers (it catches every signal itself), while
/// `sigaction` answers with the program's dispositions there as natively.
fn caught_of_ours() -> u64 {
    signals().fold(0, |m, s| {
        let mut old = std::mem::MaybeUninit::<libc::sigaction>::zeroed();
        // SAFETY: a null new action only reads; `old` is a writable
        // sigaction that lives across the call.
        let rc = unsafe { libc::sigaction(s, std::ptr::null(), old.as_mut_ptr()) };
        assert_eq!(rc, 0, "sigaction {s}");
        // SAFETY: zero-initialised and filled in by sigaction.
        let handler = unsafe { old.assume_init() }.sa_sigaction;
        if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
            m
        } else {
            m | 1 << (s - 1)
        }
    })
}

/// The signals of ours the calling thread blocks, read with
/// `pthread_sigmask` (bit `n - 1` for signal `n`); not from `SigBlk`, for
/// the same reason as [`caught_of_ours`] (valgrind blocks signals in its
/// threads and keeps the program's mask itself).
fn blocked_of_ours() -> u64 {
    let mut set = std::mem::MaybeUninit::<libc::sigset_t>::zeroed();
    // SAFETY: a null new set only reads; `set` is writable and lives
    // across the call.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), set.as_mut_ptr()) };
    assert_eq!(rc, 0);
    // SAFETY: zero-initialised and filled in by pthread_sigmask.
    let set = unsafe { set.assume_init() };
    signals().fold(0, |m, s| {
        // SAFETY: `set` is an initialised sigset and `s` a valid signal.
        if unsafe { libc::sigismember(&raw const set, s) } == 1 {
            m | 1 << (s - 1)
        } else {
            m
        }
    })
}

/// The bytes of alternate signal stack the handler may use beyond what the
/// kernel needs for a signal frame (`AT_MINSIGSTKSZ`): much less than the
/// few KiB std gives each thread.
const HANDLER_BUDGET: usize = 2048;

/// The extra bytes the alternate stack gets under valgrind
/// (`CHRONIA_UNDER_VALGRIND`, set by `.ci/memcheck`): valgrind does not
/// push the kernel's signal frame but its own (`struct rt_sigframe` of its
/// `sigframe-amd64-linux.c`), which holds three copies of its guest CPU
/// state besides the ucontext and siginfo, several KiB more than
/// `AT_MINSIGSTKSZ` says. Without the allowance that frame runs off the
/// bottom of the stack (into the guard page below, or, as when this stack
/// was a heap block, into the heap: memcheck then reported reads of a
/// live block of std's `thread_info` map in `drop_handler` as invalid and
/// valgrind died on a corrupt heap header). Natively the stack is exactly
/// kernel frame + [`HANDLER_BUDGET`].
const VALGRIND_FRAME_ALLOWANCE: usize = 16 * 1024;

fn under_valgrind() -> bool {
    std::env::var_os("CHRONIA_UNDER_VALGRIND").is_some_and(|v| v == "1")
}

/// Gives the calling thread an alternate signal stack with room for one
/// kernel frame and [`HANDLER_BUDGET`] bytes, right above a `PROT_NONE`
/// guard page, so that a handler that needs more dies of `SIGSEGV` at the
/// first byte past the budget rather than writing over other memory. The
/// mapping is leaked (it must outlive the thread's use of it).
fn small_alternate_stack() {
    // SAFETY: getauxval takes an integer and returns 0 if it is unknown.
    let kernel = usize::try_from(unsafe { libc::getauxval(libc::AT_MINSIGSTKSZ) })
        .expect("fits")
        .max(libc::MINSIGSTKSZ);
    let mut size = kernel + HANDLER_BUDGET;
    if under_valgrind() {
        size += VALGRIND_FRAME_ALLOWANCE;
    }
    // SAFETY: sysconf takes an integer.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).expect("a page size");
    let len = page + size.div_ceil(page) * page;
    // SAFETY: a fresh anonymous private mapping; no existing memory is
    // touched.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(base, libc::MAP_FAILED, "mmap {len} bytes");
    // SAFETY: the first page of the mapping made above, used by nothing.
    let rc = unsafe { libc::mprotect(base, page, libc::PROT_NONE) };
    assert_eq!(rc, 0, "mprotect the guard page");
    let ss = libc::stack_t {
        // The stack grows down from `ss_sp + size` to `ss_sp`, the guard's
        // end.
        ss_sp: base.cast::<u8>().wrapping_add(page).cast(),
        ss_flags: 0,
        ss_size: size,
    };
    // SAFETY: `ss` describes `size` writable bytes of a mapping that lives
    // for the rest of the process; the old-stack pointer may be null.
    let rc = unsafe { libc::sigaltstack(&raw const ss, std::ptr::null_mut()) };
    assert_eq!(rc, 0);
}

fn thirty_signals_at_once_do_not_overflow_the_bystanders_signal_stack() -> io::Result<()> {
    small_alternate_stack();
    let fds = open_fds();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let rounds = rounds();
    // The listener sends the bursts itself: it blocks the signals, so the
    // kernel hands each to the main thread, which sits in `recv` below and
    // takes all thirty at once when it next returns to user mode.
    let listener = std::thread::spawn(move || {
        let out = chronia::block_on(async move {
            let mut all = signals().map(signal).collect::<io::Result<Vec<_>>>()?;
            for _ in 0..rounds {
                for s in signals() {
                    kill_process(s);
                }
                for s in &mut all {
                    timeout(Duration::from_secs(10), s.recv()).await?;
                }
            }
            Ok::<(), io::Error>(())
        });
        let _ = done_tx.send(());
        out
    });
    // A bystander: blocks nothing, runs no runtime, only waits.
    let _ = done_rx.recv();
    listener.join().expect("the listener does not panic")?;
    assert_eq!(caught_of_ours(), 0, "handlers restored");
    assert_eq!(blocked_of_ours(), 0, "the bystander blocks nothing");
    assert_eq!(open_fds(), fds, "every fd the runtime opened is closed");
    Ok(())
}

/// The fds open in this process, from `/proc/self/fd`.
fn open_fds() -> Vec<String> {
    let mut fds: Vec<String> = std::fs::read_dir("/proc/self/fd")
        .expect("procfs")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    fds.sort();
    fds
}

fn main() {
    let name = "thirty_signals_at_once_do_not_overflow_the_bystanders_signal_stack";
    match thirty_signals_at_once_do_not_overflow_the_bystanders_signal_stack() {
        Ok(()) => println!("test {name} ... ok ({} rounds)", rounds()),
        Err(e) => {
            println!("test {name} ... FAILED: {e}");
            std::process::exit(1);
        }
    }
}
