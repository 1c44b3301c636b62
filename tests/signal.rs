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
        let signo = rt(1);
        let mut s = signal(signo)?;
        // Three deliveries while nobody is inside recv. `raise` directs them
        // at this thread, which blocks the signal: all three are pending
        // here when it returns (a real-time signal queues each).
        for _ in 0..3 {
            // SAFETY: raise has no memory-safety preconditions.
            assert_eq!(unsafe { libc::raise(signo) }, 0);
        }
        assert!(pending_has(signo));
        // A turn of the runtime reads them all, still with nobody in recv.
        chronia::time::sleep(Duration::from_millis(1)).await;
        assert!(!pending_has(signo), "the runtime read the three");
        // One delivery for the three, then none.
        within(s.recv()).await;
        assert!(timeout(Duration::from_millis(50), s.recv()).await.is_err());
        // A later one is seen.
        // SAFETY: as above.
        assert_eq!(unsafe { libc::raise(signo) }, 0);
        within(s.recv()).await;
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
            33,
        ] {
            let err = signal(signo).expect_err("refused");
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "signal {signo}");
            assert!(
                err.to_string().contains(&signo.to_string()),
                "{err} names {signo}"
            );
        }
    });
}

#[test]
fn signal_outside_a_runtime_panics_with_a_message() {
    let err = std::panic::catch_unwind(|| signal(SIGUSR1)).expect_err("panics");
    let msg = err.downcast_ref::<String>().expect("a formatted message");
    assert!(msg.contains("inside a chronia runtime"), "{msg}");
}

static PLAIN_RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static INFO_RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static INFO_CODES_NOT_USER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static CHILD_RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

extern "C" fn counting_handler(_: libc::c_int) {
    PLAIN_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

extern "C" fn counting_info_handler(
    _: libc::c_int,
    info: *mut libc::siginfo_t,
    _: *mut libc::c_void,
) {
    INFO_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    // SAFETY: the kernel (or the chaining forwarder) passes a valid siginfo.
    if unsafe { (*info).si_code } != libc::SI_USER {
        INFO_CODES_NOT_USER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

extern "C" fn counting_child_handler(_: libc::c_int) {
    CHILD_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

/// Waits (up to 10 s) until `counter` reaches `n`; returns what it holds.
fn wait_for_count(counter: &std::sync::atomic::AtomicUsize, n: usize) -> usize {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let now = counter.load(std::sync::atomic::Ordering::SeqCst);
        if now >= n || std::time::Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_previous_handler_keeps_running_while_a_runtime_listens() {
    let _g = serial();
    let (plain, info) = (rt(6), rt(7));
    set_handler(plain, counting_handler as *const () as usize, 0);
    set_handler(
        info,
        counting_info_handler as *const () as usize,
        libc::SA_SIGINFO,
    );
    chronia::block_on(async {
        let mut p = signal(plain)?;
        let mut i = signal(info)?;
        for n in 1..=5 {
            kill_process(plain);
            kill_process(info);
            within(p.recv()).await;
            within(i.recv()).await;
            assert_eq!(wait_for_count(&PLAIN_RUNS, n), n, "plain handler chained");
            assert_eq!(
                wait_for_count(&INFO_RUNS, n),
                n,
                "SA_SIGINFO handler chained"
            );
        }
        Ok::<(), io::Error>(())
    })
    .expect("listening works");
    // The forwarder's own deliveries never reach the program's handler.
    assert_eq!(
        INFO_CODES_NOT_USER.load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    // Put back as it was, and still running.
    assert_eq!(disposition(plain).0, counting_handler as *const () as usize);
    let (handler, flags) = disposition(info);
    assert_eq!(handler, counting_info_handler as *const () as usize);
    assert_ne!(flags & libc::SA_SIGINFO, 0);
    kill_process(plain);
    assert_eq!(wait_for_count(&PLAIN_RUNS, 6), 6);
    set_handler(plain, libc::SIG_DFL, 0);
    set_handler(info, libc::SIG_DFL, 0);
}

#[test]
fn a_programs_sigchld_handler_sees_child_exits_while_a_runtime_lives() {
    let _g = serial();
    set_handler(
        libc::SIGCHLD,
        counting_child_handler as *const () as usize,
        libc::SA_RESTART,
    );
    let before = CHILD_RUNS.load(std::sync::atomic::Ordering::SeqCst);
    chronia::block_on(async {
        for n in 1..=3 {
            let status = within(chronia::process::Command::new("true").status()).await?;
            assert!(status.success());
            assert!(
                wait_for_count(&CHILD_RUNS, before + n) >= before + n,
                "the program's SIGCHLD handler ran for exit {n}"
            );
        }
        Ok::<(), io::Error>(())
    })
    .expect("children run");
    assert_eq!(
        disposition(libc::SIGCHLD).0,
        counting_child_handler as *const () as usize
    );
    set_handler(libc::SIGCHLD, libc::SIG_DFL, 0);
}

#[test]
fn two_runtimes_on_one_thread_both_see_a_delivery() {
    let _g = serial();
    let signo = rt(8);
    let a = chronia::Runtime::new().expect("runtime");
    let b = chronia::Runtime::new().expect("runtime");
    let mut sa = a.block_on(async { signal(signo) }).expect("listen");
    let mut sb = b.block_on(async { signal(signo) }).expect("listen");
    for _ in 0..5 {
        kill_process(signo);
        a.block_on(within(sa.recv()));
        b.block_on(within(sb.recv()));
    }
    drop((sa, sb, a, b));
    assert!(!thread_mask_has(signo));
    assert_eq!(disposition(signo).0, libc::SIG_DFL);
}

#[test]
fn a_signal_polled_under_another_runtime_panics_naming_the_rule() {
    let _g = serial();
    let a = chronia::Runtime::new().expect("runtime");
    let b = chronia::Runtime::new().expect("runtime");
    let mut s = a.block_on(async { signal(rt(9)) }).expect("listen");
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        b.block_on(async { timeout(Duration::from_secs(1), s.recv()).await })
    }))
    .expect_err("panics rather than hangs");
    let msg = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .expect("a message");
    assert!(msg.contains("inside the runtime that created it"), "{msg}");
}

#[test]
fn a_hundred_runtimes_on_a_hundred_threads_each_see_a_delivery() {
    let _g = serial();
    let signo = rt(10);
    let runtimes = 100;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(runtimes + 1));
    let threads: Vec<_> = (0..runtimes)
        .map(|_| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                chronia::block_on(async {
                    let listening = signal(signo);
                    barrier.wait();
                    within(listening?.recv()).await;
                    Ok::<(), io::Error>(())
                })
            })
        })
        .collect();
    barrier.wait();
    kill_process(signo);
    for t in threads {
        t.join().expect("no panic").expect("every runtime listens");
    }
    assert_eq!(disposition(signo).0, libc::SIG_DFL);
}
