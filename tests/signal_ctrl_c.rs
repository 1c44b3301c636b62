//! `ctrl_c()` in a loop (issue 9, item 13): a Ctrl-C that arrives between
//! two calls neither takes the default action (the end of the process) nor
//! is lost, and dropping the runtime gives `SIGINT` back as it was.
//! `harness = false`: the process is the test, so a death by `SIGINT` is a
//! failure, not the end of a harness.
#![allow(
    unsafe_code,
    reason = "libc calls that set up the conditions under test"
)]

use std::io;
use std::pin::pin;
use std::time::Duration;

use chronia::signal::ctrl_c;
use chronia::time::timeout;

fn kill_process(signo: i32) {
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    // SAFETY: kill with our own pid and a valid signal has no memory effects.
    assert_eq!(unsafe { libc::kill(pid, signo) }, 0);
}

/// Where [`sigint_in`] looks for `SIGINT`.
#[derive(Clone, Copy)]
enum State {
    /// It has a handler.
    Caught,
    /// It is ignored.
    Ignored,
    /// The calling thread blocks it.
    Blocked,
    /// It is pending for the thread or the process.
    Pending,
}

/// Whether `SIGINT` is in `state`, read with `sigaction`,
/// `pthread_sigmask` and `sigpending`, not from `/proc/thread-self/status`
/// (`SigCgt`, ...): under valgrind (`.ci/memcheck`) that file shows
/// valgrind's own handlers and mask, while the syscalls answer with the
/// program's, as they do natively, where both agree.
fn sigint_in(state: State) -> bool {
    match state {
        State::Caught | State::Ignored => {
            let mut old = std::mem::MaybeUninit::<libc::sigaction>::zeroed();
            // SAFETY: a null new action only reads; `old` is a writable
            // sigaction that lives across the call.
            let rc = unsafe { libc::sigaction(libc::SIGINT, std::ptr::null(), old.as_mut_ptr()) };
            assert_eq!(rc, 0, "sigaction");
            // SAFETY: zero-initialised and filled in by sigaction.
            let handler = unsafe { old.assume_init() }.sa_sigaction;
            match state {
                State::Ignored => handler == libc::SIG_IGN,
                _ => handler != libc::SIG_IGN && handler != libc::SIG_DFL,
            }
        }
        State::Blocked | State::Pending => {
            let mut set = std::mem::MaybeUninit::<libc::sigset_t>::zeroed();
            let rc = if let State::Blocked = state {
                // SAFETY: a null new set only reads; `set` is writable and
                // lives across the call.
                unsafe {
                    libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), set.as_mut_ptr())
                }
            } else {
                // SAFETY: `set` is writable and lives across the call.
                unsafe { libc::sigpending(set.as_mut_ptr()) }
            };
            assert_eq!(rc, 0, "pthread_sigmask / sigpending");
            // SAFETY: zero-initialised and filled in above.
            let set = unsafe { set.assume_init() };
            // SAFETY: `set` is an initialised sigset.
            unsafe { libc::sigismember(&raw const set, libc::SIGINT) == 1 }
        }
    }
}

fn ctrl_c_in_a_loop_leaves_no_window_for_the_default_action() -> io::Result<()> {
    assert!(!sigint_in(State::Caught) && !sigint_in(State::Blocked));
    // Ignored only if this process was started so (a non-interactive
    // shell's background job inherits SIGINT ignored): given back as found.
    let ignored = sigint_in(State::Ignored);
    let fds = open_fds();
    chronia::block_on(async {
        // The first call starts listening when first polled.
        let mut first = pin!(ctrl_c());
        assert!(futures_lite::future::poll_once(&mut first).await.is_none());
        kill_process(libc::SIGINT);
        timeout(Duration::from_secs(5), first).await??;
        for _ in 0..5 {
            // Between two calls: by the old rule the default action.
            kill_process(libc::SIGINT);
            // Not lost: the next call reports it at once.
            timeout(Duration::from_secs(5), ctrl_c()).await??;
            assert!(sigint_in(State::Caught), "the listener stays");
        }
        // Nothing more came: the next call waits.
        assert!(timeout(Duration::from_millis(50), ctrl_c()).await.is_err());
        Ok::<(), io::Error>(())
    })?;
    assert!(
        !sigint_in(State::Caught),
        "the handler is gone with the runtime"
    );
    assert!(!sigint_in(State::Blocked), "SIGINT unblocked again");
    assert_eq!(sigint_in(State::Ignored), ignored, "SIGINT's disposition");
    assert!(!sigint_in(State::Pending));
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
    let name = "ctrl_c_in_a_loop_leaves_no_window_for_the_default_action";
    match ctrl_c_in_a_loop_leaves_no_window_for_the_default_action() {
        Ok(()) => println!("test {name} ... ok"),
        Err(e) => {
            println!("test {name} ... FAILED: {e}");
            std::process::exit(1);
        }
    }
}
