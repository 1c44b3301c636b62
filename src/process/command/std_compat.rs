//! [`Command`]'s Unix options (`arg0`, `process_group`, `uid`, `gid`) and
//! its escape hatch to the `std::process::Command` inside.
//!
//! # Hooks and the signal mask
//!
//! chronia's own `pre_exec` hook unblocks, in the child between `fork` and
//! `exec`, exactly the signals the runtime blocked in the spawning thread
//! (for its signalfd), so the child starts with the mask the thread had
//! before the runtime. It is installed once per command: at the first
//! spawn that has something to unblock, or when [`Command::as_std_mut`]
//! is first called, so that a user hook added through it runs **after**
//! chronia's, with the clean mask. Hooks a `std::process::Command` carried
//! before [`From`] made it a chronia command run before chronia's, with
//! the runtime's mask. `std::process::Command::groups` is not offered: it
//! is unstable in std.

use std::ffi::OsStr;
use std::os::unix::process::CommandExt;

use super::Command;
use crate::sys::process::UnblockHook;

impl Command {
    /// Sets the name the child sees as `argv[0]` (the program run is still
    /// the one given to [`new`](Command::new)).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::Command;
    /// chronia::block_on(async {
    ///     let out = Command::new("sh").arg0("renamed").args(["-c", "echo $0"]).output().await?;
    ///     assert_eq!(out.stdout, b"renamed\n");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn arg0(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg0(arg);
        self
    }

    /// Puts the child in process group `pgroup` (`setpgid`); 0 makes a new
    /// group whose id is the child's pid, so that a terminal's `SIGINT`
    /// reaches the parent's group and not the child.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::Command;
    /// chronia::block_on(async {
    ///     // The shell leads its own group: its pgrp (field 5 of stat) is its pid.
    ///     let status = Command::new("sh")
    ///         .process_group(0)
    ///         .args(["-c", r#"read -r _ _ _ _ pgrp _ < /proc/$$/stat; [ "$pgrp" = "$$" ]"#])
    ///         .status()
    ///         .await?;
    ///     assert!(status.success());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn process_group(&mut self, pgroup: i32) -> &mut Command {
        self.std.process_group(pgroup);
        self
    }

    /// Runs the child as user `id` (`setuid`). Needs privilege unless `id`
    /// is the caller's own.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::Command;
    /// chronia::block_on(async {
    ///     let me = std::fs::metadata("/proc/self")?;
    ///     # use std::os::unix::fs::MetadataExt;
    ///     let out = Command::new("id").arg("-u").uid(me.uid()).output().await?;
    ///     assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), me.uid().to_string());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn uid(&mut self, id: u32) -> &mut Command {
        self.std.uid(id);
        self
    }

    /// Runs the child with group `id` (`setgid`). Needs privilege unless
    /// `id` is the caller's own.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::Command;
    /// chronia::block_on(async {
    ///     let me = std::fs::metadata("/proc/self")?;
    ///     # use std::os::unix::fs::MetadataExt;
    ///     let out = Command::new("id").arg("-g").gid(me.gid()).output().await?;
    ///     assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), me.gid().to_string());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn gid(&mut self, id: u32) -> &mut Command {
        self.std.gid(id);
        self
    }

    /// The `std::process::Command` inside, to read what is set.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut cmd = chronia::process::Command::new("ls");
    /// cmd.arg("-l");
    /// assert_eq!(cmd.as_std().get_program(), "ls");
    /// assert_eq!(cmd.as_std().get_args().collect::<Vec<_>>(), ["-l"]);
    /// ```
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// The `std::process::Command` inside, to set what chronia does not
    /// offer (`pre_exec`, `groups` on nightly, ...). chronia's signal-mask
    /// hook is installed first, so hooks added here run after it (see the
    /// module docs above). The command then always spawns with `fork`
    /// rather than std's faster `posix_spawn` path.
    ///
    /// Setting stdin, stdout or stderr here counts as not set for
    /// [`output`](Command::output), which pipes them anyway, as tokio does.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::Command;
    /// chronia::block_on(async {
    ///     let mut cmd = Command::new("sh");
    ///     cmd.args(["-c", "echo $X"]);
    ///     cmd.as_std_mut().env("X", "set through std");
    ///     assert_eq!(cmd.output().await?.stdout, b"set through std\n");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        self.hook
            .get_or_insert_with(|| UnblockHook::install(&mut self.std));
        &mut self.std
    }
}

impl From<std::process::Command> for Command {
    /// Wraps a std command: its program, arguments, environment, directory,
    /// streams and hooks are kept (hooks run before chronia's, see the
    /// module docs above); `kill_on_drop` is off. As for
    /// [`as_std_mut`](Command::as_std_mut), streams set on it count as not
    /// set for [`output`](Command::output).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut std_cmd = std::process::Command::new("echo");
    /// std_cmd.arg("from std");
    /// let mut cmd = chronia::process::Command::from(std_cmd);
    /// chronia::block_on(async {
    ///     assert_eq!(cmd.output().await?.stdout, b"from std\n");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn from(std: std::process::Command) -> Command {
        Command {
            std,
            hook: None,
            kill_on_drop: false,
            chosen: [false; 3],
        }
    }
}
