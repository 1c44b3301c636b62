//! Signals through the facade, in the normal test harness: other threads
//! exist and do not block the signals, so a process-directed `kill` may land
//! on any of them. The forwarding handler must bring it to the listener.
//!
//! Tests in this file are serialised by `SERIAL` (signal state is
//! process-wide) and each uses its own signal numbers.
#![allow(unsafe_code)]

use std::io;
use std::mem::MaybeUninit;
use std::sync::Mutex;
use std::time::Duration;

use chronia::signal::{SIGUSR1, SIGUSR2, signal};
use chronia::time::timeout;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn rt(n: i32) -> i32 {
    libc::SIGRTMIN() + n
}

fn kill_process(signo: i32) {
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    // SAFETY: kill with our own pid and a valid signal has no memory effects.
    let rc = unsafe { libc::kill(pid, signo) };
    assert_eq!(rc, 0);
}

fn disposition(signo: i32) -> (usize, i32) {
    let mut old = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: a null new action only reads the current one into `old`.
    let rc = unsafe { libc::sigaction(signo, std::ptr::null(), old.as_mut_ptr()) };
    assert_eq!(rc, 0);
    // SAFETY: zeroed and filled by the kernel.
    let old = unsafe { old.assume_init() };
    (old.sa_sigaction, old.sa_flags)
}

fn thread_mask_has(signo: i32) -> bool {
    let mut set = MaybeUninit::<libc::sigset_t>::zeroed();
    // SAFETY: a null new set only reads this thread's mask into `set`.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), set.as_mut_ptr()) };
    assert_eq!(rc, 0);
    // SAFETY: `set` was filled just above.
    unsafe { libc::sigismember(set.as_ptr(), signo) == 1 }
}

fn pending_has(signo: i32) -> bool {
    let mut set = MaybeUninit::<libc::sigset_t>::zeroed();
    // SAFETY: sigpending fills `set`.
    let rc = unsafe { libc::sigpending(set.as_mut_ptr()) };
    assert_eq!(rc, 0);
    // SAFETY: `set` was filled just above.
    unsafe { libc::sigismember(set.as_ptr(), signo) == 1 }
}

extern "C" fn noop_handler(_: libc::c_int) {}

fn set_handler(signo: i32, handler: usize, flags: i32) {
    let mut act = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: zeroed is a valid empty sigaction.
    let a = unsafe { act.assume_init_mut() };
    a.sa_sigaction = handler;
    a.sa_flags = flags;
    // SAFETY: `act` is a valid sigaction.
    let rc = unsafe { libc::sigaction(signo, act.as_ptr(), std::ptr::null_mut()) };
    assert_eq!(rc, 0);
}

async fn within<F: std::future::Future>(f: F) -> F::Output {
    timeout(Duration::from_secs(10), f).await.expect("no hang")
}

#[test]
fn process_directed_signal_reaches_the_listener_despite_harness_threads() {
    let _g = serial();
    // Other threads that do not block the signal, as in any real program.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let bystanders: Vec<_> = (0..4)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(1));
                }
            })
        })
        .collect();
    chronia::block_on(async {
        let mut usr1 = signal(SIGUSR1)?;
        for _ in 0..20 {
            kill_process(SIGUSR1);
            within(usr1.recv()).await;
        }
        Ok::<(), io::Error>(())
    })
    .expect("listening works");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in bystanders {
        t.join().expect("bystander ran");
    }
}

#[test]
fn deliveries_while_nobody_waits_are_not_lost_and_coalesce() {
    let _g = serial();
    chronia::block_on(async {
        let mut s = signal(rt(1))?;
        kill_process(rt(1));
        // Give the delivery time to arrive before anyone is inside recv.
        chronia::time::sleep(Duration::from_millis(20)).await;
        within(s.recv()).await;
        // No further delivery: recv stays pending.
        assert!(timeout(Duration::from_millis(50), s.recv()).await.is_err());
        Ok::<(), io::Error>(())
    })
    .expect("listening works");
}

#[test]
fn two_listeners_in_one_runtime_each_see_every_delivery() {
    let _g = serial();
    chronia::block_on(async {
        let mut a = signal(SIGUSR2)?;
        let mut b = signal(SIGUSR2)?;
        for _ in 0..5 {
            kill_process(SIGUSR2);
            within(a.recv()).await;
            within(b.recv()).await;
        }
        Ok::<(), io::Error>(())
    })
    .expect("listening works");
}

#[test]
fn listeners_in_runtimes_on_two_threads_each_see_a_delivery() {
    let _g = serial();
    let signo = rt(2);
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(3));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                chronia::block_on(async {
                    let mut s = signal(signo)?;
                    barrier.wait();
                    within(s.recv()).await;
                    Ok::<(), io::Error>(())
                })
            })
        })
        .collect();
    barrier.wait();
    kill_process(signo);
    for t in threads {
        t.join()
            .expect("no panic")
            .expect("each runtime saw the signal");
    }
}

#[test]
fn last_listener_restores_mask_disposition_and_leaves_nothing_pending() {
    let _g = serial();
    let signo = rt(3);
    // A previous handler with its own flags, as an application might have.
    set_handler(
        signo,
        noop_handler as extern "C" fn(libc::c_int) as libc::sighandler_t,
        libc::SA_RESTART,
    );
    let before = disposition(signo);
    assert!(!thread_mask_has(signo));
    chronia::block_on(async {
        let s = signal(signo)?;
        assert!(thread_mask_has(signo), "blocked while listened to");
        assert_ne!(disposition(signo), before, "forwarding handler installed");
        // A delivery nobody reads: must not fire on unblock.
        // SAFETY: raise has no memory-safety preconditions.
        unsafe { libc::raise(signo) };
        drop(s);
        Ok::<(), io::Error>(())
    })
    .expect("listening works");
    assert_eq!(disposition(signo), before, "handler and flags restored");
    assert!(!thread_mask_has(signo), "mask restored");
    assert!(!pending_has(signo), "pending instance taken");
    set_handler(signo, libc::SIG_DFL, 0);
}

#[test]
fn default_and_ignored_dispositions_come_back_exactly() {
    let _g = serial();
    for previous in [libc::SIG_DFL, libc::SIG_IGN] {
        let signo = rt(4);
        set_handler(signo, previous, 0);
        let before = disposition(signo);
        chronia::block_on(async {
            let mut s = signal(signo)?;
            kill_process(signo);
            within(s.recv()).await;
            Ok::<(), io::Error>(())
        })
        .expect("listening works");
        assert_eq!(disposition(signo), before);
    }
    set_handler(rt(4), libc::SIG_DFL, 0);
}

#[test]
fn a_signal_blocked_before_stays_blocked_after() {
    let _g = serial();
    let signo = rt(5);
    let mut set = MaybeUninit::<libc::sigset_t>::zeroed();
    // SAFETY: sigemptyset/sigaddset initialise and fill `set`; pthread_sigmask
    // reads it.
    unsafe { libc::sigemptyset(set.as_mut_ptr()) };
    // SAFETY: as above.
    unsafe { libc::sigaddset(set.as_mut_ptr(), signo) };
    // SAFETY: as above.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, set.as_ptr(), std::ptr::null_mut()) };
    chronia::block_on(async {
        let mut s = signal(signo)?;
        // SAFETY: raise has no memory-safety preconditions.
        unsafe { libc::raise(signo) };
        within(s.recv()).await;
        Ok::<(), io::Error>(())
    })
    .expect("listening works");
    assert!(thread_mask_has(signo));
    // SAFETY: as above.
    unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, set.as_ptr(), std::ptr::null_mut()) };
}

#[test]
fn bad_signal_numbers_are_invalid_input() {
    chronia::block_on(async {
        for signo in [
            0,
            -1,
            libc::SIGRTMAX() + 1,
            libc::SIGKILL,
            libc::SIGSTOP,
            libc::SIGSEGV,
            libc::SIGBUS,
            libc::SIGFPE,
            libc::SIGILL,
            32,
        ] {
            let err = signal(signo).expect_err("refused");
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "signal {signo}");
        }
    });
}

#[test]
fn signal_outside_a_runtime_panics_with_a_message() {
    let err = std::panic::catch_unwind(|| signal(SIGUSR1)).expect_err("panics");
    let msg = err.downcast_ref::<String>().expect("a formatted message");
    assert!(msg.contains("inside a chronia runtime"), "{msg}");
}
