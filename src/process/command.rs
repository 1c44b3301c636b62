//! [`Command`]: a `std::process::Command` whose children the runtime
//! watches, and which start with the signal mask a plain program has.

use std::ffi::OsStr;
use std::io;
use std::path::Path;
use std::process::{ExitStatus, Output, Stdio};
use std::rc::Rc;

use super::child::{Child, State};
use super::pipe::{ChildStderr, ChildStdin, ChildStdout};
use crate::runtime::context;
use crate::runtime::driver::{Driver, orphans};
use crate::sys::process::{UnblockHook, children_reaped_by_kernel, with_sigchld_unblocked};

mod std_compat;

/// A process builder, shaped like [`std::process::Command`]: a program,
/// its arguments, environment, working directory and standard streams.
///
/// Children start with the signal mask the spawning thread had before the
/// runtime blocked anything, and with default dispositions: a child of a
/// runtime that reads `SIGINT` or `SIGCHLD` still obeys them.
///
/// # Examples
///
/// ```
/// use chronia::process::Command;
///
/// chronia::block_on(async {
///     let out = Command::new("echo").arg("hello").output().await?;
///     assert!(out.status.success());
///     assert_eq!(out.stdout, b"hello\n");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Command {
    std: std::process::Command,
    /// Installed on `std` at the first spawn that has signals to unblock;
    /// a std command keeps every hook it is given, so there is one.
    hook: Option<UnblockHook>,
    kill_on_drop: bool,
    /// Whether the caller chose stdin, stdout, stderr: `output` pipes the
    /// ones they did not.
    chosen: [bool; 3],
}

impl Command {
    /// A command that runs `program`, found through `PATH` unless it
    /// contains a `/`, with no arguments, this process's environment and
    /// working directory, and inherited standard streams.
    ///
    /// # Examples
    ///
    /// ```
    /// let cmd = chronia::process::Command::new("ls");
    /// ```
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command {
            std: std::process::Command::new(program),
            hook: None,
            kill_on_drop: false,
            chosen: [false; 3],
        }
    }

    /// Adds one argument.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let out = chronia::process::Command::new("echo").arg("a b").output().await?;
    ///     assert_eq!(out.stdout, b"a b\n");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds arguments.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let out = chronia::process::Command::new("echo").args(["a", "b"]).output().await?;
    ///     assert_eq!(out.stdout, b"a b\n");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable of the child.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let out = chronia::process::Command::new("sh")
    ///         .args(["-c", "echo $GREETING"])
    ///         .env("GREETING", "hi")
    ///         .output()
    ///         .await?;
    ///     assert_eq!(out.stdout, b"hi\n");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn env(&mut self, key: impl AsRef<OsStr>, val: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, val);
        self
    }

    /// Sets environment variables of the child.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let out = chronia::process::Command::new("sh")
    ///         .args(["-c", "echo $A$B"])
    ///         .envs([("A", "1"), ("B", "2")])
    ///         .output()
    ///         .await?;
    ///     assert_eq!(out.stdout, b"12\n");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes an environment variable from the child's environment.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let out = chronia::process::Command::new("sh")
    ///         .args(["-c", "echo \"[$HOME]\""])
    ///         .env_remove("HOME")
    ///         .output()
    ///         .await?;
    ///     assert_eq!(out.stdout, b"[]\n");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Starts the child with an empty environment (plus what
    /// [`env`](Self::env) adds afterwards).
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let out = chronia::process::Command::new("/usr/bin/env").env_clear().output().await?;
    ///     assert!(out.stdout.is_empty());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory. It is applied in the child; the
    /// parent's never changes.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let out = chronia::process::Command::new("pwd").current_dir("/").output().await?;
    ///     assert_eq!(out.stdout, b"/\n");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// Sets the child's stdin: [`Stdio::piped`] gives [`Child::stdin`].
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::{Command, Stdio};
    /// chronia::block_on(async {
    ///     let status = Command::new("cat").stdin(Stdio::null()).status().await?;
    ///     assert!(status.success());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(cfg);
        self.chosen[0] = true;
        self
    }

    /// Sets the child's stdout: [`Stdio::piped`] gives [`Child::stdout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::{Command, Stdio};
    /// chronia::block_on(async {
    ///     let out = Command::new("echo").arg("x").stdout(Stdio::null()).output().await?;
    ///     assert!(out.stdout.is_empty());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(cfg);
        self.chosen[1] = true;
        self
    }

    /// Sets the child's stderr: [`Stdio::piped`] gives [`Child::stderr`].
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::{Command, Stdio};
    /// chronia::block_on(async {
    ///     let status = Command::new("ls").arg("/nonexistent").stderr(Stdio::null()).status().await?;
    ///     assert!(!status.success());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(cfg);
        self.chosen[2] = true;
        self
    }

    /// Whether a [`Child`] still running when it is dropped gets `SIGKILL`
    /// (default: no; either way the runtime reaps it when it exits).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::Command;
    /// use chronia::time::{timeout, Duration};
    ///
    /// chronia::block_on(async {
    ///     let mut cmd = Command::new("sleep");
    ///     cmd.arg("60").kill_on_drop(true);
    ///     // The timeout drops the child, which kills it.
    ///     let res = timeout(Duration::from_millis(10), cmd.status()).await;
    ///     assert!(res.is_err());
    /// });
    /// ```
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// Starts the child and registers it with the current runtime.
    /// Streams not set are inherited.
    ///
    /// # Errors
    ///
    /// The error of the spawn (`NotFound` for a missing program or working
    /// directory, `PermissionDenied`, ...), after which no fd is left open
    /// and nothing is registered; the kernel's error if the runtime cannot
    /// watch the child (then the child is killed and reaped first).
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::Command;
    ///
    /// chronia::block_on(async {
    ///     let mut child = Command::new("true").spawn()?;
    ///     assert!(child.wait().await?.success());
    ///     let err = Command::new("/no/such/program").spawn().unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn(&mut self) -> io::Result<Child> {
        let driver = context::current("chronia::process::Command::spawn");
        self.spawn_on(driver)
    }

    fn spawn_on(&mut self, driver: Rc<Driver>) -> io::Result<Child> {
        // Children of runtimes that were dropped before them (cheap when
        // there are none), now and on every SIGCHLD a runtime reads.
        orphans::reap();
        crate::signal::on_delivery(libc::SIGCHLD, orphans::reap);
        let reaped_by_kernel = children_reaped_by_kernel()?;
        let (blocked, only_children) = {
            let mut inner = driver.state_mut();
            // Listening to SIGCHLD (forwarded from other threads, blocked
            // and read here) starts before the first child exists, so that
            // no exit is missed, and goes on while the runtime lives.
            if reaped_by_kernel.is_none() {
                super::listen_to_children(&mut inner)?;
            }
            let blocked = inner.blocked_signals();
            // SIGCHLD blocked for our children alone, nobody else listening:
            // not another listener of this runtime, nor another runtime of
            // this thread (which the unblocked window would hide an exit
            // from: the handler does not forward to its own thread).
            let only_children = blocked == [libc::SIGCHLD]
                && crate::signal::listeners(&inner, libc::SIGCHLD) == 1
                && crate::signal::thread_subscriptions(libc::SIGCHLD) == 1;
            (blocked, only_children)
        };
        let spawned = if only_children {
            // The common case gets std's fast `posix_spawn` path (a
            // `pre_exec` hook would force `fork`, about 100 µs more per
            // child): SIGCHLD is unblocked in this thread for the spawn
            // alone, so the child inherits a clean mask. A SIGCHLD that
            // lands here meanwhile runs the forwarding handler, which does
            // not forward to this thread: the sweep right after the spawn
            // (for earlier children) and the registration's own look (for
            // this one) find any exit it stood for.
            if let Some(hook) = &self.hook {
                hook.set(&[]);
            }
            with_sigchld_unblocked(|| self.std.spawn())
        } else {
            if !blocked.is_empty() || self.hook.is_some() {
                self.hook
                    .get_or_insert_with(|| UnblockHook::install(&mut self.std))
                    .set(&blocked);
            }
            self.std.spawn()
        };
        if only_children {
            // Whatever the spawn did: a SIGCHLD that ran the handler while
            // SIGCHLD was unblocked may have been an earlier child's exit.
            driver.state_mut().check_children();
        }
        let mut std = spawned?;
        let pipes = match take_pipes(&mut std) {
            Ok(pipes) => pipes,
            Err(e) => {
                abandon(std);
                return Err(e);
            }
        };
        let state = if let Some(why) = reaped_by_kernel {
            State::ReapedByKernel(why)
        } else {
            let pid = std.id().cast_signed();
            let mut inner = driver.state_mut();
            // No second sweep here: the one above found every exit of an
            // earlier child up to the moment SIGCHLD was blocked again, the
            // signalfd has those since, and the registration looks at the
            // new child itself (an exit before it is found, one after it
            // is read).
            let registered = inner.register_child(pid);
            drop(inner);
            match registered {
                Ok(ident) => State::Watched(ident),
                Err(e) => {
                    drop(pipes);
                    if e.raw_os_error() != Some(libc::ECHILD) {
                        abandon(std);
                    }
                    return Err(e);
                }
            }
        };
        Ok(Child::new(std, pipes, driver, state, self.kill_on_drop))
    }

    /// Runs the child to its exit and returns its status. Streams not set
    /// are inherited.
    ///
    /// # Errors
    ///
    /// Those of [`spawn`](Self::spawn) and [`Child::wait`].
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::Command;
    ///
    /// chronia::block_on(async {
    ///     let status = Command::new("sh").args(["-c", "exit 7"]).status().await?;
    ///     assert_eq!(status.code(), Some(7));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        let mut child = self.spawn()?;
        child.wait().await
    }

    /// Runs the child to its exit and collects its stdout and stderr.
    /// Unless set, stdin is [`Stdio::null`] and stdout and stderr are
    /// piped, for this call only.
    ///
    /// # Errors
    ///
    /// Those of [`spawn`](Self::spawn) and [`Child::wait`], and the
    /// kernel's error reading a pipe (the child is then left to the
    /// runtime, as a dropped [`Child`]).
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::Command;
    ///
    /// chronia::block_on(async {
    ///     let out = Command::new("sh").args(["-c", "echo out; echo err >&2; exit 2"]).output().await?;
    ///     assert_eq!(out.status.code(), Some(2));
    ///     assert_eq!(out.stdout, b"out\n");
    ///     assert_eq!(out.stderr, b"err\n");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn output(&mut self) -> io::Result<Output> {
        self.set_unchosen(Stdio::null, Stdio::piped);
        let spawned = self.spawn();
        // Back to what `spawn` and `status` do with a stream not set.
        self.set_unchosen(Stdio::inherit, Stdio::inherit);
        spawned?.wait_with_output().await
    }

    /// Sets the streams the caller did not choose: stdin to `input()`,
    /// stdout and stderr to `output()`.
    fn set_unchosen(&mut self, input: fn() -> Stdio, output: fn() -> Stdio) {
        let [stdin, stdout, stderr] = self.chosen;
        if !stdin {
            self.std.stdin(input());
        }
        if !stdout {
            self.std.stdout(output());
        }
        if !stderr {
            self.std.stderr(output());
        }
    }
}

type Pipes = (Option<ChildStdin>, Option<ChildStdout>, Option<ChildStderr>);

/// Moves the std child's pipes into the runtime.
fn take_pipes(std: &mut std::process::Child) -> io::Result<Pipes> {
    Ok((
        std.stdin.take().map(ChildStdin::new).transpose()?,
        std.stdout.take().map(ChildStdout::new).transpose()?,
        std.stderr.take().map(ChildStderr::new).transpose()?,
    ))
}

/// Kills and reaps a child that cannot be handed out, so that a failed
/// spawn leaves nothing behind.
fn abandon(mut std: std::process::Child) {
    // Both fail only if the child is gone already, which is the goal; the
    // wait is short, the child having just been sent SIGKILL.
    let _ = std.kill();
    let _ = std.wait();
}
