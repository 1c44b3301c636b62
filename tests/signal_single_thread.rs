//! Signals in a process whose only thread is the runtime's (`harness =
//! false`): here a process-directed signal can only be read through the
//! signalfd, since no thread leaves it unblocked. Then two runtimes on two
//! threads that both block it: the one that reads it forwards it to the
//! other.
#![allow(unsafe_code)]

use std::io;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::time::Duration;

use chronia::signal::{SIGUSR1, SIGUSR2, signal};
use chronia::time::timeout;

fn kill_process(signo: i32) {
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    // SAFETY: kill with our own pid and a valid signal has no memory effects.
    assert_eq!(unsafe { libc::kill(pid, signo) }, 0);
}

fn block_in_this_thread(signo: i32) {
    let mut set = std::mem::MaybeUninit::<libc::sigset_t>::zeroed();
    // SAFETY: sigemptyset initialises `set`.
    unsafe { libc::sigemptyset(set.as_mut_ptr()) };
    // SAFETY: `set` is initialised.
    unsafe { libc::sigaddset(set.as_mut_ptr(), signo) };
    // SAFETY: `set` is initialised; the old set may be null.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, set.as_ptr(), std::ptr::null_mut()) };
    assert_eq!(rc, 0);
}

fn single_thread_process_reads_kill_through_signalfd() -> io::Result<()> {
    chronia::block_on(async {
        let mut usr1 = signal(SIGUSR1)?;
        for _ in 0..10 {
            kill_process(SIGUSR1);
            timeout(Duration::from_secs(5), usr1.recv()).await?;
        }
        Ok(())
    })
}

fn two_runtimes_that_block_it_everywhere_both_see_it() -> io::Result<()> {
    // Blocked in main too (inherited by the two threads): the kernel cannot
    // run a handler anywhere, so the runtime that reads the delivery must
    // forward it to the other.
    block_in_this_thread(SIGUSR2);
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(3));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                chronia::block_on(async {
                    let mut s = signal(SIGUSR2)?;
                    barrier.wait();
                    timeout(Duration::from_secs(5), s.recv()).await?;
                    Ok::<(), io::Error>(())
                })
            })
        })
        .collect();
    barrier.wait();
    kill_process(SIGUSR2);
    for t in threads {
        t.join().expect("no panic")?;
    }
    Ok(())
}

static RUNS: AtomicUsize = AtomicUsize::new(0);
static SENDER: AtomicI32 = AtomicI32::new(0);

extern "C" fn recording_handler(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel, or the runtime chaining to this handler, passes a
    // valid siginfo_t.
    let info = unsafe { &*info };
    // SAFETY: a signal sent with kill (or chained with its siginfo) has the
    // sender fields.
    let pid = unsafe { info.si_pid() };
    SENDER.store(pid, Ordering::SeqCst);
    RUNS.fetch_add(1, Ordering::SeqCst);
}

fn set_action(signo: i32, handler: usize, flags: i32) {
    let mut act = std::mem::MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: zeroed is a valid empty sigaction.
    let a = unsafe { act.assume_init_mut() };
    a.sa_sigaction = handler;
    a.sa_flags = flags;
    // SAFETY: `act` is a valid sigaction.
    let rc = unsafe { libc::sigaction(signo, act.as_ptr(), std::ptr::null_mut()) };
    assert_eq!(rc, 0);
}

/// Issue 9, item 9: in a one-thread process no handler runs for a
/// process-directed signal the runtime blocks (its signalfd reads it), so
/// the runtime itself calls the handler the program had before.
fn the_previous_handler_runs_for_a_delivery_read_from_the_signalfd() -> io::Result<()> {
    let signo = libc::SIGRTMIN() + 2;
    set_action(
        signo,
        recording_handler as *const () as usize,
        libc::SA_SIGINFO,
    );
    chronia::block_on(async {
        let mut s = signal(signo)?;
        for n in 1..=3 {
            kill_process(signo);
            timeout(Duration::from_secs(5), s.recv()).await?;
            assert_eq!(RUNS.load(Ordering::SeqCst), n, "chained once per delivery");
            // SAFETY: getpid has no preconditions.
            assert_eq!(SENDER.load(Ordering::SeqCst), unsafe { libc::getpid() });
        }
        Ok::<(), io::Error>(())
    })?;
    set_action(signo, libc::SIG_DFL, 0);
    Ok(())
}

/// Issue 9, item 10: every thread blocks the signal (a worker started from
/// a runtime's thread inherits its mask); a `kill` leaves it pending for
/// the process, and the first thread to stop listening must hand it on to
/// the runtime that still listens rather than discard it.
fn a_thread_leaving_hands_on_a_delivery_meant_for_another() -> io::Result<()> {
    let signo = libc::SIGRTMIN() + 3;
    let rt = chronia::Runtime::new()?;
    let mine = rt.block_on(async { signal(signo) })?;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    // Started now: it inherits this thread's mask, the signal blocked.
    let worker = std::thread::spawn(move || {
        let rt = chronia::Runtime::new()?;
        let mut s = rt.block_on(async { signal(signo) })?;
        ready_tx.send(()).expect("main waits");
        go_rx.recv().expect("main sends");
        rt.block_on(async { timeout(Duration::from_secs(5), s.recv()).await })?;
        Ok::<(), io::Error>(())
    });
    ready_rx.recv().expect("the worker listens");
    // Pending for the process: no thread leaves it unblocked, and neither
    // runtime is turning.
    kill_process(signo);
    drop(mine);
    drop(rt);
    go_tx.send(()).expect("the worker waits");
    worker.join().expect("no panic")?;
    Ok(())
}

fn pending_here(signo: i32) -> bool {
    let mut set = std::mem::MaybeUninit::<libc::sigset_t>::zeroed();
    // SAFETY: sigpending fills `set`.
    assert_eq!(unsafe { libc::sigpending(set.as_mut_ptr()) }, 0);
    // SAFETY: `set` was filled just above.
    unsafe { libc::sigismember(set.as_ptr(), signo) == 1 }
}

/// Every thread blocks the signal from the start. A worker's runtime reads
/// a `kill` and forwards it to this thread's runtime, which drops without
/// reading it. The late forward must not stay pending here (to be read as a
/// delivery by this thread's next runtime, or to meet the default action if
/// the thread unblocks the signal).
fn a_late_forward_does_not_outlive_a_thread_that_blocked_the_signal_before() -> io::Result<()> {
    let signo = libc::SIGRTMIN() + 5;
    block_in_this_thread(signo);
    let rt = chronia::Runtime::new()?;
    let mine = rt.block_on(async { signal(signo) })?;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
    let worker = std::thread::spawn(move || {
        chronia::block_on(async {
            let mut s = signal(signo)?;
            kill_process(signo);
            // Read here (this thread turns, the main one does not) and
            // forwarded to the main thread.
            timeout(Duration::from_secs(5), s.recv()).await?;
            Ok::<(), io::Error>(())
        })?;
        ready_tx.send(()).expect("main waits");
        Ok::<(), io::Error>(())
    });
    ready_rx.recv().expect("the worker read it");
    worker.join().expect("no panic")?;
    assert!(pending_here(signo), "the forward waits here");
    drop(mine);
    drop(rt);
    assert!(!pending_here(signo), "the late forward was dropped");
    let later = chronia::block_on(async {
        let mut s = signal(signo)?;
        Ok::<bool, io::Error>(timeout(Duration::from_millis(100), s.recv()).await.is_ok())
    })?;
    assert!(!later, "a later runtime saw a delivery nobody sent");
    Ok(())
}

fn main() {
    type Check = fn() -> io::Result<()>;
    let checks: [(&str, Check); 5] = [
        (
            "a_late_forward_does_not_outlive_a_thread_that_blocked_the_signal_before",
            a_late_forward_does_not_outlive_a_thread_that_blocked_the_signal_before,
        ),
        (
            "the_previous_handler_runs_for_a_delivery_read_from_the_signalfd",
            the_previous_handler_runs_for_a_delivery_read_from_the_signalfd,
        ),
        (
            "a_thread_leaving_hands_on_a_delivery_meant_for_another",
            a_thread_leaving_hands_on_a_delivery_meant_for_another,
        ),
        (
            "single_thread_process_reads_kill_through_signalfd",
            single_thread_process_reads_kill_through_signalfd,
        ),
        (
            "two_runtimes_that_block_it_everywhere_both_see_it",
            two_runtimes_that_block_it_everywhere_both_see_it,
        ),
    ];
    let mut failed = 0;
    for (name, check) in checks {
        match std::panic::catch_unwind(check) {
            Ok(Ok(())) => println!("test {name} ... ok"),
            Ok(Err(e)) => {
                println!("test {name} ... FAILED: {e}");
                failed += 1;
            }
            Err(_) => {
                println!("test {name} ... FAILED: panicked");
                failed += 1;
            }
        }
    }
    println!("{} passed, {failed} failed", checks.len() - failed);
    if failed > 0 {
        std::process::exit(1);
    }
}
