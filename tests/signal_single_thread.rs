//! Signals in a process whose only thread is the runtime's (`harness =
//! false`): here a process-directed signal can only be read through the
//! signalfd, since no thread leaves it unblocked. Then two runtimes on two
//! threads that both block it: the one that reads it forwards it to the
//! other.
#![allow(unsafe_code)]

use std::io;
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

fn main() {
    type Check = fn() -> io::Result<()>;
    let checks: [(&str, Check); 2] = [
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
        match check() {
            Ok(()) => println!("test {name} ... ok"),
            Err(e) => {
                println!("test {name} ... FAILED: {e}");
                failed += 1;
            }
        }
    }
    println!("{} passed, {failed} failed", checks.len() - failed);
    if failed > 0 {
        std::process::exit(1);
    }
}
