//! [`Child`]: a spawned process, its pipes, and the wait protocol of the
//! module docs.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::process::ExitStatus;
use std::rc::Rc;
use std::task::{Context, Poll};

use chronia_reactor::{Ident, SignalUse, check_signal};

use super::pipe::{ChildStderr, ChildStdin, ChildStdout};
use crate::runtime::context;
use crate::runtime::driver::Driver;

mod output;

/// Where a child is in its life, as far as this handle knows.
#[derive(Debug, Clone, Copy)]
pub(crate) enum State {
    /// Registered with the selector under this id, not reaped.
    Watched(Ident),
    /// Not registered: the kernel reaps children of this process itself,
    /// for the reason given, and their exit status is lost.
    ReapedByKernel(&'static str),
    /// Reaped by this handle; the status it gave.
    Reaped(ExitStatus),
    /// Reaped by someone else (`ECHILD`): the status is lost.
    Lost,
}

/// A child process spawned by [`Command::spawn`](super::Command::spawn).
///
/// The runtime watches it from spawn on; [`wait`](Child::wait) completes
/// once, when it exits, and reaps it. Dropped while still running, it is
/// handed to the runtime, which reaps it when it exits (killed first with
/// [`kill_on_drop`](super::Command::kill_on_drop)), so no zombie is left
/// while the runtime lives.
///
/// # Examples
///
/// ```
/// use chronia::process::Command;
///
/// chronia::block_on(async {
///     let mut child = Command::new("sh").args(["-c", "exit 3"]).spawn()?;
///     assert!(child.id().is_some());
///     let status = child.wait().await?;
///     assert_eq!(status.code(), Some(3));
///     assert_eq!(child.id(), None); // reaped
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Child {
    /// The write end of the child's stdin, if it was [`piped`](super::Stdio::piped).
    pub stdin: Option<ChildStdin>,
    /// The read end of the child's stdout, if it was piped.
    pub stdout: Option<ChildStdout>,
    /// The read end of the child's stderr, if it was piped.
    pub stderr: Option<ChildStderr>,
    /// `Some` until `Drop` hands it to the driver.
    std: Option<std::process::Child>,
    pid: u32,
    driver: Rc<Driver>,
    state: State,
    kill_on_drop: bool,
}

impl Child {
    pub(crate) fn new(
        std: std::process::Child,
        pipes: (Option<ChildStdin>, Option<ChildStdout>, Option<ChildStderr>),
        driver: Rc<Driver>,
        state: State,
        kill_on_drop: bool,
    ) -> Child {
        Child {
            stdin: pipes.0,
            stdout: pipes.1,
            stderr: pipes.2,
            pid: std.id(),
            std: Some(std),
            driver,
            state,
            kill_on_drop,
        }
    }

    fn std(&mut self) -> &mut std::process::Child {
        self.std.as_mut().expect("present until drop")
    }

    /// The child's process id; `None` once it has been reaped, when the
    /// kernel may give the number to another process.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::Command;
    ///
    /// chronia::block_on(async {
    ///     let mut child = Command::new("true").spawn()?;
    ///     let pid = child.id().expect("not reaped yet");
    ///     assert!(pid > 0);
    ///     child.wait().await?;
    ///     assert_eq!(child.id(), None);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn id(&self) -> Option<u32> {
        match self.state {
            State::Watched(_) | State::ReapedByKernel(_) => Some(self.pid),
            State::Reaped(_) | State::Lost => None,
        }
    }

    /// Waits for the child to exit, reaps it and returns its status. Closes
    /// [`stdin`](Child::stdin) first, so that a child reading until end of
    /// file can finish. Once it has returned a status, it returns the same
    /// status again at once.
    ///
    /// Waiting costs nothing while the child runs: the runtime learns of
    /// the exit from `SIGCHLD` and wakes this task alone. A stopped child
    /// (`SIGSTOP`) has not exited; `wait` stays pending. A child may be
    /// awaited under another runtime than the one that spawned it (even
    /// after that one dropped): the child moves to the runtime it is
    /// awaited under.
    ///
    /// # Errors
    ///
    /// An error of kind `Other` if the child was reaped by someone else
    /// (`ECHILD`: a `waitpid(-1)` elsewhere in the process), or, at once,
    /// if `SIGCHLD` was `SIG_IGN` or had `SA_NOCLDWAIT` when the child was
    /// spawned (the kernel reaps such children and keeps no status).
    ///
    /// # Panics
    ///
    /// When polled outside a runtime (no runtime would turn to see the
    /// exit).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::Command;
    ///
    /// chronia::block_on(async {
    ///     let mut child = Command::new("false").spawn()?;
    ///     assert_eq!(child.wait().await?.code(), Some(1));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        poll_fn(|cx| {
            // One unit of the task's cooperative budget (`chronia_executor::coop`).
            std::task::ready!(chronia_executor::coop::poll_proceed(cx));
            self.poll_exit(Some(cx))
        })
        .await
    }

    /// Reaps the child if it has exited, without waiting.
    ///
    /// # Errors
    ///
    /// As [`wait`](Child::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::Command;
    ///
    /// chronia::block_on(async {
    ///     let mut child = Command::new("sleep").arg("10").spawn()?;
    ///     assert!(child.try_wait()?.is_none());
    ///     child.kill()?;
    ///     child.wait().await?;
    ///     assert!(child.try_wait()?.is_some());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if let Poll::Ready(res) = self.poll_exit(None) {
            return res.map(Some);
        }
        // The runtime has not seen an exit yet; the kernel may have one.
        let State::Watched(ident) = self.state else {
            unreachable!("only a watched child can be pending")
        };
        match self.std().try_wait() {
            Ok(None) => Ok(None),
            Ok(Some(status)) => {
                self.forget(ident);
                self.state = State::Reaped(status);
                Ok(Some(status))
            }
            Err(e) => {
                self.forget(ident);
                Err(self.reap_error(&e))
            }
        }
    }

    /// Sends `SIGKILL` to the child. Does not wait; [`wait`](Child::wait)
    /// reaps it. Killing a child that has exited but is not yet reaped
    /// does nothing and succeeds, and so does killing one that this handle
    /// has reaped (as in tokio): there is nothing left to kill, and no
    /// signal is sent, so a process that reuses the pid is safe.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if the child was reaped by someone else or by the
    /// kernel (`SIGCHLD` ignored): then chronia cannot tell whether the pid
    /// names another process by now, so it refuses rather than signal it.
    /// The kernel's error from `kill(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::Command;
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// chronia::block_on(async {
    ///     let mut child = Command::new("sleep").arg("10").spawn()?;
    ///     child.kill()?;
    ///     assert_eq!(child.wait().await?.signal(), Some(libc::SIGKILL));
    ///     child.kill()?; // reaped by `wait`: nothing to do
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn kill(&mut self) -> io::Result<()> {
        if let State::Reaped(_) = self.state {
            return Ok(());
        }
        self.signal(libc::SIGKILL)
    }

    /// Sends signal `signo` to the child, for example `SIGINT` or `SIGTERM`
    /// to ask it to stop, or `SIGINT` forwarded from a Ctrl-C. Signalling a
    /// child that has exited but is not yet reaped does nothing and
    /// succeeds. Signal 0 sends nothing: as with `kill(2)`, it asks whether
    /// the child can still be signalled.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a number that is not a signal (negative, above
    /// `SIGRTMAX`), or if the child has been reaped: its pid may belong to
    /// another process by now, so it is not signalled. The kernel's error
    /// from `kill(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::Command;
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// chronia::block_on(async {
    ///     let mut child = Command::new("sleep").arg("10").spawn()?;
    ///     child.signal(0)?; // still there
    ///     child.signal(libc::SIGTERM)?;
    ///     assert_eq!(child.wait().await?.signal(), Some(libc::SIGTERM));
    ///     assert!(child.signal(0).is_err()); // reaped
    ///     assert_eq!(child.signal(libc::SIGTERM).unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn signal(&mut self, signo: i32) -> io::Result<()> {
        check_signal(signo, SignalUse::Send)?;
        match self.state {
            State::Watched(_) => crate::sys::process::send_signal(self.pid, signo),
            State::ReapedByKernel(_) => {
                // The kernel reaps on exit; once it has, waitpid says so
                // (ECHILD) and the pid must not be signalled.
                match self.std().try_wait() {
                    Ok(None) => crate::sys::process::send_signal(self.pid, signo),
                    Ok(Some(_)) | Err(_) => Err(self.reaped_error()),
                }
            }
            State::Reaped(_) | State::Lost => Err(self.reaped_error()),
        }
    }

    /// The same as [`kill`](Child::kill), under the name tokio gives it.
    ///
    /// # Errors
    ///
    /// As [`kill`](Child::kill).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::Command;
    ///
    /// chronia::block_on(async {
    ///     let mut child = Command::new("sleep").arg("10").spawn()?;
    ///     child.start_kill()?;
    ///     assert!(!child.wait().await?.success());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn start_kill(&mut self) -> io::Result<()> {
        self.kill()
    }

    fn reaped_error(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "child process {} has already been reaped; its pid may belong to another process now, so it is not signalled",
                self.pid
            ),
        )
    }

    /// Turns the error of a reaping `waitpid` into the error `wait` gives,
    /// and marks the child lost.
    fn reap_error(&mut self, e: &io::Error) -> io::Error {
        self.state = State::Lost;
        lost_error(self.pid, e)
    }

    /// Removes the child's registration; it has been reaped or will not be
    /// watched any more.
    fn forget(&self, ident: Ident) {
        // The registration is this child's alone, made at spawn and removed
        // only here or by the driver for an orphan (which this is not), so
        // it exists; a refusal could only leave an entry nobody looks at.
        let _ = self.driver.state_mut().unregister(ident);
    }

    /// The exit status if the runtime has seen the child exit (reaping it
    /// then), or `Pending` after storing `cx`'s waker.
    fn poll_exit(&mut self, cx: Option<&mut Context<'_>>) -> Poll<io::Result<ExitStatus>> {
        if cx.is_some()
            && let Err(e) = self.follow_current_runtime()
        {
            return Poll::Ready(Err(e));
        }
        let ident = match self.state {
            State::Watched(ident) => ident,
            State::Reaped(status) => return Poll::Ready(Ok(status)),
            State::Lost => {
                let e = io::Error::from_raw_os_error(libc::ECHILD);
                return Poll::Ready(Err(lost_error(self.pid, &e)));
            }
            State::ReapedByKernel(why) => {
                return Poll::Ready(Err(io::Error::other(format!(
                    "child process {} cannot be waited for: {why}, so the kernel reaps children itself and keeps no exit status",
                    self.pid
                ))));
            }
        };
        let mut inner = self.driver.state_mut();
        let Some(slot) = inner.child(ident) else {
            unreachable!("a watched child keeps its registration until reaped")
        };
        let Some(exited) = slot.exited else {
            if let Some(cx) = cx {
                match &mut slot.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    w => *w = Some(cx.waker().clone()),
                }
            }
            crate::runtime::dump::note_child(self.pid);
            return Poll::Pending;
        };
        let std = self.std.as_mut().expect("present until drop");
        let reaped = match inner.reap_child(ident, std, exited) {
            Ok(Some(status)) => Ok(status),
            // Seen exited with WNOWAIT, so a wait cannot block for long.
            Ok(None) => std.wait(),
            Err(e) => Err(e),
        };
        drop(inner);
        Poll::Ready(match reaped {
            Ok(status) => {
                self.state = State::Reaped(status);
                Ok(status)
            }
            Err(e) => Err(self.reap_error(&e)),
        })
    }
}

impl Child {
    /// Moves the child's registration to the runtime it is awaited under,
    /// if that is not the one that spawned it: a child is a process-wide
    /// thing, and only a runtime that turns can see it exit. The new
    /// registration looks for an exit at once (`waitid(WNOHANG | WNOWAIT)`),
    /// so one that came while the child was registered elsewhere is not lost.
    ///
    /// # Panics
    ///
    /// Outside a runtime, naming the rule (a wait needs a runtime to turn).
    fn follow_current_runtime(&mut self) -> io::Result<()> {
        let State::Watched(ident) = self.state else {
            return Ok(());
        };
        let current = context::current("chronia::process::Child::wait");
        if Rc::ptr_eq(&current, &self.driver) {
            return Ok(());
        }
        let seen = self
            .driver
            .state_mut()
            .child(ident)
            .is_some_and(|slot| slot.exited.is_some());
        if seen {
            // The spawning runtime saw the exit already: reaping needs no turn.
            return Ok(());
        }
        let pid = i32::try_from(self.pid).expect("pids fit in pid_t");
        let registered = {
            let mut inner = current.state_mut();
            super::listen_to_children(&mut inner)?;
            inner.register_child(pid)
        };
        match registered {
            Ok(new) => {
                self.forget(ident);
                self.driver = current;
                self.state = State::Watched(new);
                Ok(())
            }
            Err(e) if e.raw_os_error() == Some(libc::ECHILD) => {
                self.forget(ident);
                Err(self.reap_error(&e))
            }
            Err(e) => Err(e),
        }
    }
}

fn lost_error(pid: u32, e: &io::Error) -> io::Error {
    if e.raw_os_error() == Some(libc::ECHILD) {
        io::Error::other(format!(
            "child process {pid} was reaped by someone else (ECHILD: a waitpid on it, or on any child, elsewhere in this process): its exit status is lost"
        ))
    } else {
        io::Error::new(e.kind(), format!("cannot reap child process {pid}: {e}"))
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.kill_on_drop && self.id().is_some() {
            // Fails only if the child is gone already, which is the goal.
            let _ = self.kill();
        }
        let State::Watched(ident) = self.state else {
            // Reaped, lost, or reaped by the kernel: nothing to hand over.
            return;
        };
        let Some(mut std) = self.std.take() else {
            return;
        };
        // The driver is borrowed only inside its own methods, none of which
        // drops a `Child`; if it ever were, the child would be left to
        // become a zombie rather than panic in drop.
        let Some(mut inner) = self.driver.try_state_mut() else {
            return;
        };
        let Some(slot) = inner.child(ident) else {
            return;
        };
        match slot.exited {
            None => {
                // Ours, present (just looked it up): cannot give it back.
                let _ = inner.adopt_orphan(ident, std, self.kill_on_drop);
            }
            Some(exited) => {
                // Exited, not reaped: this reaps at once. An error means
                // someone else reaped it, which leaves nothing to do.
                let _ = inner.reap_child(ident, &mut std, exited);
            }
        }
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("pid", &self.pid)
            .field("state", &self.state)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish_non_exhaustive()
    }
}
