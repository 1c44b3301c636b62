//! Signals and child processes of the selector: one signalfd for all the
//! signals registered, `SIGCHLD` while any process is registered, and the
//! `waitid` sweep that turns a `SIGCHLD` into exit reports.
//!
//! # Invariants
//!
//! - `sigfd_mask` is exactly the set of signals with a registration, plus
//!   `SIGCHLD` while any process is registered; this selector holds each of
//!   them blocked in its thread (see [`crate::mask`]).
//! - A process registration reports its exit once (`FINISHED` marks it), and
//!   never reaps the child.

use std::io;
use std::os::fd::{AsFd, AsRawFd};

use super::flags::{SignalUse, check_signal, invalid};
use super::{Entry, Kind, SIGNALFD_TOKEN, Selector};
use crate::events::{Events, Ident, ReadyKey, SignalInfo};
use crate::mask;
use crate::sys::{self, CtlOp};

impl<T> Selector<T> {
    /// Registers signal `signo`: it is blocked in this thread and read
    /// through the selector's one signalfd, each delivery a `SIGNAL` report.
    /// Returns a virtual id.
    ///
    /// Signals are per thread only when they are blocked in every thread; a
    /// process-directed signal the kernel hands to another thread that does
    /// not block it takes that thread's action instead. Block the signal in
    /// `main` before starting threads, or direct it at this thread.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for 0, a negative number, one above `SIGRTMAX`,
    /// `SIGKILL`, `SIGSTOP`, or the two signals the C library reserves
    /// (32 and 33); `AlreadyExists` if `signo` is registered; the kernel's
    /// error from `signalfd(2)` or `epoll_ctl(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_reactor::Selector;
    /// let mut selector = Selector::<()>::new()?;
    /// let err = selector.register_signal(libc::SIGKILL, ()).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn register_signal(&mut self, signo: i32, data: T) -> io::Result<Ident> {
        check_signal(signo, SignalUse::Listen)?;
        if self.signals.contains_key(&signo) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("signal {signo} is already registered in the selector"),
            ));
        }
        let ident = self.insert_virtual(Entry {
            kind: Kind::Signal(signo),
            events: Events::SIGNAL,
            data,
        })?;
        self.signals.insert(signo, ident);
        if let Err(e) = self.listen(signo) {
            self.signals.remove(&signo);
            self.take(ident);
            return Err(e);
        }
        Ok(ident)
    }

    /// Registers child process `pid`: when it exits (`CLD_EXITED`,
    /// `CLD_KILLED` or `CLD_DUMPED`; a stop or continue is not an exit) one
    /// `PROCESS | ONESHOT | FINISHED` report follows. The child is never
    /// reaped: its status stays for the owner's `waitpid`. A child that has
    /// already exited is reported by the next select. Returns a virtual id.
    ///
    /// Exits are learnt from `SIGCHLD`, read through the signalfd while any
    /// process is registered; on each, every registered pid is checked with
    /// `waitid(WEXITED | WNOHANG | WNOWAIT)`, so coalesced signals lose no
    /// exit. If the child is reaped by someone else first, the report comes
    /// with the kernel's `ECHILD`.
    ///
    /// A `SIGCHLD` is meant for the whole process, and whichever signalfd
    /// reads it first takes it. The selectors of one thread share what any
    /// of them reads. Selectors on other threads do not: a program that
    /// watches children from several threads must pass `SIGCHLD` on between
    /// them (the chronia runtime forwards every signal it reads to the other
    /// threads that listen for it), and threads that do not block `SIGCHLD`
    /// may take it with its default action, which discards it.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a pid of 0 or below; `AlreadyExists` if `pid` is
    /// registered; the kernel's `ECHILD` if `pid` is not an unreaped child of
    /// this process; errors of [`register_signal`](Self::register_signal).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_reactor::{Events, Selector};
    /// let mut child = std::process::Command::new("true").spawn()?;
    /// let mut selector = Selector::new()?;
    /// let id = selector.register_process(child.id() as i32, ())?;
    /// let keys = loop {
    ///     let keys = selector.select(None)?;
    ///     if !keys.is_empty() { break keys; }
    /// };
    /// assert_eq!(keys[0].ident(), id);
    /// assert!(keys[0].events().contains(Events::PROCESS));
    /// assert!(child.wait()?.success());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn register_process(&mut self, pid: i32, data: T) -> io::Result<Ident> {
        if pid <= 0 {
            return Err(invalid(format!("pid {pid} does not name one process")));
        }
        if self.processes.contains_key(&pid) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("process {pid} is already registered in the selector"),
            ));
        }
        let events = Events::PROCESS | Events::ONESHOT;
        let ident = self.insert_virtual(Entry {
            kind: Kind::Process(pid),
            events,
            data,
        })?;
        self.processes.insert(pid, ident);
        // Listen before looking: an exit after the look sends a SIGCHLD that
        // is now blocked and read; an exit before it is found by the look.
        let looked = if self.processes.len() == 1 && !self.signals.contains_key(&libc::SIGCHLD) {
            self.listen(libc::SIGCHLD)
        } else {
            Ok(())
        }
        .and_then(|()| sys::child_exited(pid));
        match looked {
            Ok(exited) => {
                if exited {
                    self.finish_process(ident, 0);
                }
                Ok(ident)
            }
            Err(e) => {
                self.processes.remove(&pid);
                self.take(ident);
                self.stop_listening_to_children();
                Err(e)
            }
        }
    }

    /// Adds `signo` to the signalfd, holding it blocked in this thread.
    pub(super) fn listen(&mut self, signo: i32) -> io::Result<()> {
        if self.sigfd_mask.contains(signo) {
            return Ok(());
        }
        mask::hold(signo)?;
        let mut wanted = self.sigfd_mask;
        wanted.add(signo);
        let armed = match &self.sigfd {
            Some(fd) => sys::signalfd(Some(fd.as_fd()), &wanted).map(|_| ()),
            None => sys::signalfd(None, &wanted).and_then(|fd| {
                let fd = fd.expect("a new signalfd was asked for");
                sys::epoll_ctl(
                    self.epoll.as_fd(),
                    CtlOp::Add,
                    fd.as_raw_fd(),
                    sys::EPOLLIN,
                    SIGNALFD_TOKEN,
                )?;
                self.sigfd = Some(fd);
                Ok(())
            }),
        };
        if let Err(e) = armed {
            mask::release(signo);
            return Err(e);
        }
        self.sigfd_mask = wanted;
        Ok(())
    }

    /// Removes `signo` from the signalfd and gives back this selector's hold
    /// on it (see [`mask`]: the last hold of the thread unblocks it, taking
    /// pending instances first, if it was not blocked before).
    pub(super) fn stop_listening(&mut self, signo: i32) {
        if !self.sigfd_mask.contains(signo) {
            return;
        }
        self.sigfd_mask.remove(signo);
        if self.sigfd_mask.is_empty() {
            if let Some(fd) = self.sigfd.take() {
                // The fd is closed right after; a failed DEL leaves nothing.
                let _ = sys::epoll_ctl(self.epoll.as_fd(), CtlOp::Delete, fd.as_raw_fd(), 0, 0);
            }
        } else if let Some(fd) = &self.sigfd {
            // Narrowing the mask of a valid signalfd cannot fail on Linux;
            // if it did, the fd would only read a signal nobody waits for.
            let _ = sys::signalfd(Some(fd.as_fd()), &self.sigfd_mask);
        }
        mask::release(signo);
    }

    pub(super) fn stop_listening_to_children(&mut self) {
        if self.processes.is_empty() && !self.signals.contains_key(&libc::SIGCHLD) {
            self.stop_listening(libc::SIGCHLD);
        }
    }

    pub(super) fn finish_process(&mut self, ident: Ident, errno: i32) {
        if let Some(entry) = self.slot_mut(ident) {
            entry.events |= Events::FINISHED;
            let key = ReadyKey::new(ident, Events::PROCESS | Events::ONESHOT | Events::FINISHED);
            self.pending.push_back(if errno == 0 {
                key
            } else {
                key.with_error(errno)
            });
        }
    }

    /// Checks every registered, unfinished process for an exit.
    /// Checks every registered process for an exit now, as a `SIGCHLD`
    /// would; exits found are reported by the next select. For a caller
    /// that may have let a `SIGCHLD` go elsewhere (for example while it had
    /// it unblocked to spawn a child with a clean mask).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_reactor::{Events, Selector};
    /// let mut child = std::process::Command::new("sleep").arg("10").spawn()?;
    /// let mut selector = Selector::new()?;
    /// let id = selector.register_process(child.id() as i32, ())?;
    /// child.kill()?;
    /// child.wait()?; // reaped behind the selector's back
    /// selector.check_processes();
    /// let keys = selector.select(None)?;
    /// assert_eq!(keys[0].ident(), id);
    /// assert!(keys[0].error().is_some(), "ECHILD: it was reaped elsewhere");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn check_processes(&mut self) {
        self.sweep_children();
    }

    pub(super) fn sweep_children(&mut self) {
        let mut exited = Vec::new();
        for (&pid, &ident) in &self.processes {
            let finished = self
                .slot(ident)
                .is_none_or(|e| e.events.contains(Events::FINISHED));
            if finished {
                continue;
            }
            match sys::child_exited(pid) {
                Ok(true) => exited.push((ident, 0)),
                Ok(false) => {}
                Err(e) => exited.push((ident, e.raw_os_error().unwrap_or(libc::ECHILD))),
            }
        }
        for (ident, errno) in exited {
            self.finish_process(ident, errno);
        }
    }

    /// Reads every queued delivery from the signalfd into reports; says
    /// whether a `SIGCHLD` came while processes are registered.
    pub(super) fn drain_signals(&mut self) -> bool {
        let Some(fd) = &self.sigfd else { return false };
        let mut children = false;
        let mut batch = [sys::RawSigInfo::default(); sys::SIGINFO_BATCH];
        loop {
            // A read error other than "empty" cannot be tied to a
            // registration; stop draining, the fd stays readable and the
            // next select retries.
            let n = sys::signalfd_read(fd.as_fd(), &mut batch).unwrap_or(0);
            for info in &batch[..n] {
                if info.signo == libc::SIGCHLD {
                    self.child_epoch = mask::child_signal_seen();
                    children |= !self.processes.is_empty();
                }
                if let Some(&ident) = self.signals.get(&info.signo) {
                    let mut key = ReadyKey::new(ident, Events::SIGNAL);
                    key.signal = Some(SignalInfo {
                        signo: info.signo,
                        code: info.code,
                        pid: info.pid,
                        uid: info.uid,
                    });
                    self.pending.push_back(key);
                }
            }
            if n < sys::SIGINFO_BATCH {
                return children;
            }
        }
    }
}
