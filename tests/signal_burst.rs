//! Thirty distinct signals sent at once to a process whose main thread (a
//! bystander: it runs no runtime and blocks nothing) is the one the kernel
//! hands them to, while a runtime on another thread listens for all of
//! them (issue 9, item 0). The forwarding handler runs on the bystander's
//! small alternate signal stack; were it to nest (each run interrupted by
//! the next signal), the stack would overflow and the process would die of
//! `SIGSEGV`. The bystander's alternate stack is made smaller than std's:
//! a kernel frame (`AT_MINSIGSTKSZ`) and 2 KiB for the handler, so the test
//! also shows that one run of the handler fits with room to spare.
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

/// One line of `/proc/thread-self/status` (`SigBlk`, `SigIgn`, `SigCgt`) as
/// a mask, bit `n - 1` for signal `n`.
fn status_mask(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/thread-self/status").expect("procfs");
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .unwrap_or_else(|| panic!("{field} in /proc/thread-self/status"));
    u64::from_str_radix(line.trim(), 16).expect("a hex mask")
}

fn ours() -> u64 {
    signals().fold(0, |m, s| m | 1 << (s - 1))
}

/// The bytes of alternate signal stack the handler may use beyond what the
/// kernel needs for a signal frame (`AT_MINSIGSTKSZ`): much less than the
/// few KiB std gives each thread.
const HANDLER_BUDGET: usize = 2048;

/// Gives the calling thread an alternate signal stack with room for one
/// kernel frame and [`HANDLER_BUDGET`] bytes, leaked (it must outlive the
/// thread's use of it).
fn small_alternate_stack() {
    // SAFETY: getauxval takes an integer and returns 0 if it is unknown.
    let kernel = usize::try_from(unsafe { libc::getauxval(libc::AT_MINSIGSTKSZ) })
        .expect("fits")
        .max(libc::MINSIGSTKSZ);
    let size = kernel + HANDLER_BUDGET;
    let stack: &'static mut [u8] = Box::leak(vec![0u8; size].into_boxed_slice());
    let ss = libc::stack_t {
        ss_sp: stack.as_mut_ptr().cast(),
        ss_flags: 0,
        ss_size: size,
    };
    // SAFETY: `ss` describes `size` writable bytes that live for the rest
    // of the process; the old-stack pointer may be null.
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
    assert_eq!(status_mask("SigCgt") & ours(), 0, "handlers restored");
    assert_eq!(
        status_mask("SigBlk") & ours(),
        0,
        "the bystander blocks nothing"
    );
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
