//! Two runtimes on two threads, each waiting for its own children, in a
//! process where every thread blocks `SIGCHLD` (`harness = false`: the test
//! controls every thread). No handler can run then: each exit's `SIGCHLD`
//! stays pending for the process, and whichever runtime reads it first must
//! pass it on to the other, or the other's child is never seen to exit.
#![allow(unsafe_code)]

use std::io;
use std::time::Duration;

use chronia::process::Command;
use chronia::time::timeout;

fn block_sigchld_in_this_thread() {
    let mut set = std::mem::MaybeUninit::<libc::sigset_t>::zeroed();
    // SAFETY: sigemptyset initialises `set`.
    unsafe { libc::sigemptyset(set.as_mut_ptr()) };
    // SAFETY: `set` is initialised.
    unsafe { libc::sigaddset(set.as_mut_ptr(), libc::SIGCHLD) };
    // SAFETY: `set` is initialised; the old set may be null.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, set.as_ptr(), std::ptr::null_mut()) };
    assert_eq!(rc, 0);
}

fn waits_for_its_children(id: i32) -> io::Result<()> {
    chronia::block_on(async move {
        for round in 0..20 {
            let code = (id * 20 + round) % 200;
            let status = timeout(
                Duration::from_secs(10),
                Command::new("sh")
                    .arg("-c")
                    .arg(format!("sleep 0.0{}; exit {code}", round % 3))
                    .status(),
            )
            .await??;
            assert_eq!(status.code(), Some(code));
        }
        Ok(())
    })
}

fn main() {
    // Inherited by both threads: no thread takes SIGCHLD with a handler.
    block_sigchld_in_this_thread();
    let threads: Vec<_> = (0..2)
        .map(|id| std::thread::spawn(move || waits_for_its_children(id)))
        .collect();
    let mut failed = 0;
    for (id, t) in threads.into_iter().enumerate() {
        match t.join() {
            Ok(Ok(())) => println!("ok      runtime {id} saw each of its children exit"),
            Ok(Err(e)) => {
                println!("FAILED  runtime {id}: {e}");
                failed += 1;
            }
            Err(_) => {
                println!("FAILED  runtime {id} panicked");
                failed += 1;
            }
        }
    }
    println!("{} passed, {failed} failed", 2 - failed);
    if failed > 0 {
        std::process::exit(1);
    }
}
