//! Child processes: [`Command`] spawns, [`Child`] waits, and the child's
//! standard streams are async pipes. Shaped like `std::process` and
//! `tokio::process`.
//!
//! ```
//! use chronia::process::{Command, Stdio};
//!
//! chronia::block_on(async {
//!     let mut child = Command::new("sh")
//!         .args(["-c", "echo hello; exit 3"])
//!         .stdout(Stdio::piped())
//!         .spawn()?;
//!     let mut out = Vec::new();
//!     child.stdout.as_mut().expect("piped").read_to_end(&mut out).await?;
//!     let status = child.wait().await?;
//!     assert_eq!((out.as_slice(), status.code()), (&b"hello\n"[..], Some(3)));
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # How waiting works
//!
//! - Right after the fork, the child's pid is registered with the runtime's
//!   selector (a `ProcessSlot` of the driver). The runtime blocks
//!   `SIGCHLD` in this thread from its first spawn until it drops and
//!   reads it through its signalfd; on each delivery the selector checks
//!   every registered pid with
//!   `waitid(WEXITED | WNOHANG | WNOWAIT)`: coalesced signals lose no exit,
//!   a child that exited before it was registered is found at
//!   registration, and a stop or continue is not an exit.
//! - The selector never reaps. Its report sets the slot's `exited` and
//!   wakes the one task waiting on that child, no other. That task then
//!   reaps through the `std::process::Child` (`waitpid` on that pid,
//!   which returns at once, the zombie being there) and unregisters.
//! - Nothing here calls `waitpid(-1)`, so children this runtime did not
//!   spawn (a `std::process::Command` child elsewhere in the process) are
//!   left to their owners. If someone else reaps one of ours, `wait`
//!   reports `ECHILD` as an error instead of hanging.
//! - If `SIGCHLD` is `SIG_IGN` or has `SA_NOCLDWAIT` when a child is
//!   spawned, the kernel reaps it and keeps no status: the child is not
//!   registered, and `wait` says so at once.
//! - A dropped [`Child`] that is still running becomes the driver's
//!   orphan, reaped and unregistered when its exit is reported; one that
//!   has exited is reaped in `drop`. No zombie outlives its exit while the
//!   runtime lives. No helper thread is involved.
//! - A child belongs to the process, not to a runtime: awaited under
//!   another runtime than the one that spawned it (on the same thread,
//!   while that one lives or after it dropped), its registration moves to
//!   the runtime it is awaited under, which looks for an exit at once.
//!   Awaited outside any runtime, it panics rather than hang.
//! - Before the first spawn the runtime starts listening to `SIGCHLD` like
//!   to any signal (see [`signal`](crate::signal)), and goes on while it
//!   lives: a `SIGCHLD` the kernel hands to another thread is forwarded
//!   here, one this runtime reads from the kernel is forwarded to the other
//!   runtimes that have children, and the signalfd is not set up and torn
//!   down again for every child. A handler the program had for `SIGCHLD`
//!   keeps running (see [`signal`](crate::signal)). The fast spawn path,
//!   which unblocks `SIGCHLD` in this thread for the spawn, is taken only
//!   when this runtime is the thread's only listener of `SIGCHLD`: a
//!   `SIGCHLD` for another runtime of the thread would meet the handler in
//!   that window, which does not forward to its own thread.
//!
//! # The child's signal state
//!
//! Since rust-lang/rust#101077 children inherit the spawning thread's
//! signal mask; a runtime that blocked `SIGCHLD`, `SIGINT` or `SIGTERM`
//! for its signalfd would hand them on blocked. A `pre_exec` hook unblocks,
//! in the child, exactly the signals the runtime blocked, so the child
//! starts with the mask the thread had before the runtime. Handlers the
//! runtime installs are reset by `exec`, and it never sets `SIG_IGN`.
//! (Programs that spawn with `std::process::Command` themselves on a
//! runtime's thread do not get this.)

mod child;
mod command;
mod pipe;

pub use child::Child;
pub use command::Command;
pub use pipe::{ChildReader, ChildStderr, ChildStdin, ChildStdout, Stderr, Stdout, Stream};
pub use std::process::{ExitStatus, Output, Stdio};

/// Makes the runtime listen to `SIGCHLD` (forwarded from other threads,
/// blocked and read here) for its children, once: from before its first
/// child exists, so that no exit is missed, for the runtime's life.
fn listen_to_children(inner: &mut crate::runtime::driver::DriverState) -> std::io::Result<()> {
    if !inner.listens_to_children() {
        crate::signal::listen(inner, libc::SIGCHLD)?;
        inner.set_listens_to_children();
    }
    Ok(())
}
