//! The teardown race of issue 9, item 15: a forward sent by a bystander's
//! handler must never reach a thread after the disposition was put back
//! under it. Two runtime threads subscribe and unsubscribe `SIGUSR1` in a
//! tight loop while the main thread (a bystander that blocks nothing) sends
//! it to the process in a tight loop.
//!
//! The disposition the runtimes put back is the program's own
//! `SA_SIGINFO` handler, which tells what reaches it: the bystander's own
//! `kill`s (`SI_USER`, directly or chained by the forwarder) are fine; a
//! forward (any other code) reaching it directly is the race, which under
//! `SIG_DFL` would have ended the process. `harness = false`: the process
//! is the test, and dies if the race ever kills it. Bounded in time
//! (`CHRONIA_TEARDOWN_MS`, 1500 by default; `CHRONIA_TEARDOWN_THREADS`
//! runtime threads, 2 by default).
#![allow(
    unsafe_code,
    reason = "libc calls that set up the conditions under test"
)]

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chronia::signal::{SIGUSR1, signal};

static USER: AtomicUsize = AtomicUsize::new(0);
static FORWARDS_MET: AtomicUsize = AtomicUsize::new(0);

extern "C" fn program_handler(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel, or the forwarder chaining to it, passes a valid
    // siginfo_t.
    if unsafe { (*info).si_code } == libc::SI_USER {
        USER.fetch_add(1, Ordering::SeqCst);
    } else {
        FORWARDS_MET.fetch_add(1, Ordering::SeqCst);
    }
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

fn duration() -> Duration {
    let ms = std::env::var("CHRONIA_TEARDOWN_MS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1500);
    Duration::from_millis(ms)
}

fn churn(stop: &AtomicBool, rounds: &AtomicUsize) -> io::Result<()> {
    let rt = chronia::Runtime::new()?;
    while !stop.load(Ordering::Relaxed) {
        rt.block_on(async {
            for i in 0..50 {
                let mut s = signal(SIGUSR1)?;
                if i % 4 == 0 {
                    // A turn now and then reads what was forwarded here.
                    let _ = chronia::time::timeout(Duration::from_micros(20), s.recv()).await;
                }
                drop(s);
                rounds.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<(), io::Error>(())
        })?;
    }
    Ok(())
}

fn forwards_never_meet_a_restored_disposition() -> io::Result<(usize, usize)> {
    set_action(
        SIGUSR1,
        program_handler as *const () as usize,
        libc::SA_SIGINFO,
    );
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicUsize::new(0));
    let runtimes = std::env::var("CHRONIA_TEARDOWN_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let threads: Vec<_> = (0..runtimes)
        .map(|_| {
            let (stop, rounds) = (stop.clone(), rounds.clone());
            std::thread::spawn(move || churn(&stop, &rounds))
        })
        .collect();
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    let deadline = Instant::now() + duration();
    let mut sent = 0;
    while Instant::now() < deadline {
        // SAFETY: kill with our own pid and a valid signal has no memory
        // effects.
        assert_eq!(unsafe { libc::kill(pid, SIGUSR1) }, 0);
        sent += 1;
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("no panic")?;
    }
    let met = FORWARDS_MET.load(Ordering::SeqCst);
    assert_eq!(met, 0, "{met} forwards met the restored disposition");
    Ok((sent, rounds.load(Ordering::Relaxed)))
}

fn main() {
    let name = "forwards_never_meet_a_restored_disposition";
    match forwards_never_meet_a_restored_disposition() {
        Ok((sent, rounds)) => println!(
            "test {name} ... ok ({sent} kills, {rounds} subscribe/unsubscribe rounds, {} reached the program's handler as SI_USER)",
            USER.load(Ordering::SeqCst)
        ),
        Err(e) => {
            println!("test {name} ... FAILED: {e}");
            std::process::exit(1);
        }
    }
}
