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

/// Whether `SIGINT` is set in a mask line (`SigBlk`, `SigIgn`, `SigCgt`,
/// `SigPnd`, `ShdPnd`) of `/proc/thread-self/status`.
fn sigint_in(field: &str) -> bool {
    let status = std::fs::read_to_string("/proc/thread-self/status").expect("procfs");
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .unwrap_or_else(|| panic!("{field} in /proc/thread-self/status"));
    let mask = u64::from_str_radix(line.trim(), 16).expect("a hex mask");
    mask & 1 << (libc::SIGINT - 1) != 0
}

fn ctrl_c_in_a_loop_leaves_no_window_for_the_default_action() -> io::Result<()> {
    assert!(!sigint_in("SigCgt") && !sigint_in("SigBlk"));
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
            assert!(sigint_in("SigCgt"), "the listener stays");
        }
        // Nothing more came: the next call waits.
        assert!(timeout(Duration::from_millis(50), ctrl_c()).await.is_err());
        Ok::<(), io::Error>(())
    })?;
    assert!(!sigint_in("SigCgt"), "the handler is gone with the runtime");
    assert!(!sigint_in("SigBlk"), "SIGINT unblocked again");
    assert!(!sigint_in("SigIgn"));
    assert!(!sigint_in("SigPnd") && !sigint_in("ShdPnd"));
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
