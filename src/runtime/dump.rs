//! Task dumps ([`TaskDump`]) and the wait notes the facade's wait points
//! leave for them.
//!
//! A wait point (an fd's readiness wait, a `Sleep`, a `Signal`, a child's
//! exit) calls one of the `note_*` functions as it returns `Pending`; the
//! note sits in the task's header (see `chronia_executor::note_wait`) and is
//! cleared as the task is polled again, so a dump shows what each idle task
//! last said it waits on. A task waiting on something the runtime does not
//! own (a channel of another crate, say) shows no note.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

pub use chronia_executor::{TaskInfo, TaskState, Wait};

/// Notes that the current task waits for `fd` to become readable
/// (`write == false`) or writable.
pub(crate) fn note_fd(fd: RawFd, write: bool) {
    chronia_executor::note_wait(if write {
        Wait::Write { fd }
    } else {
        Wait::Read { fd }
    });
}

/// Notes that the current task waits for a timer due at `due`.
pub(crate) fn note_timer(due: Instant) {
    chronia_executor::note_wait(Wait::Timer { due, later: false });
}

/// Notes that the current task waits for a delivery of `signo`.
pub(crate) fn note_signal(signo: i32) {
    chronia_executor::note_wait(Wait::Signal { signo });
}

/// Notes that the current task waits for child `pid` to exit.
pub(crate) fn note_child(pid: u32) {
    chronia_executor::note_wait(Wait::Child { pid });
}

/// Every live task of a runtime at one moment: what
/// [`Runtime::tasks`](crate::Runtime::tasks) and [`dump`](crate::runtime::dump())
/// return. [`Display`](fmt::Display) prints it as a table, one task a line,
/// oldest first; `tasks` has the same rows as plain structs.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use chronia::runtime::Wait;
///
/// let rt = chronia::Runtime::new()?;
/// let _sleeper = rt.spawn(async { chronia::time::sleep(Duration::from_secs(60)).await });
/// rt.block_on(chronia::task::yield_now());
/// let dump = rt.tasks();
/// assert_eq!(dump.tasks.len(), 1);
/// assert!(matches!(dump.tasks[0].wait, Some(Wait::Timer { .. })));
/// assert!(dump.to_string().contains("timer due in"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TaskDump {
    /// The live tasks, oldest (lowest id) first.
    pub tasks: Vec<TaskInfo>,
    /// The peer of each fd a task waits on that is a connected IP socket,
    /// read as the dump was taken.
    peers: HashMap<RawFd, SocketAddr>,
}

impl TaskDump {
    pub(crate) fn new(mut tasks: Vec<TaskInfo>) -> TaskDump {
        tasks.sort_by_key(|t| t.id);
        let peers = tasks
            .iter()
            .filter_map(|t| match t.wait {
                Some(Wait::Read { fd } | Wait::Write { fd }) => {
                    crate::sys::peer::peer_addr(fd).map(|peer| (fd, peer))
                }
                _ => None,
            })
            .collect();
        TaskDump { tasks, peers }
    }

    /// The peer address of the socket `task` waits on, if it waits on a
    /// connected IP socket.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let listener = chronia::net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = chronia::net::TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, peer) = listener.accept().await?;
    ///     let reader = chronia::spawn(async move { server.read(&mut [0; 1]).await });
    ///     chronia::task::yield_now().await;
    ///     let dump = chronia::runtime::dump();
    ///     assert_eq!(dump.peer(&dump.tasks[0]), Some(peer));
    ///     drop(client);
    ///     reader.await.expect("no panic")?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn peer(&self, task: &TaskInfo) -> Option<SocketAddr> {
        match task.wait {
            Some(Wait::Read { fd } | Wait::Write { fd }) => self.peers.get(&fd).copied(),
            _ => None,
        }
    }
}

impl fmt::Display for TaskDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} live task(s)", self.tasks.len())?;
        writeln!(
            f,
            "{:>6}  {:<16}  {:<9}  {:>7}  {:>9}  {:<40}  spawned at",
            "id", "name", "state", "polls", "age", "waiting on"
        )?;
        for t in &self.tasks {
            let wait = match (t.wait, self.peer(t)) {
                (None, _) => "-".to_owned(),
                (Some(w), None) => w.to_string(),
                (Some(w), Some(peer)) => format!("{w} (peer {peer})"),
            };
            writeln!(
                f,
                "{:>6}  {:<16}  {:<9}  {:>7}  {:>9}  {:<40}  {}",
                t.id.to_string(),
                t.name.as_deref().unwrap_or("-"),
                t.state.to_string(),
                t.polls,
                format_age(t.age),
                wait,
                t.location,
            )?;
        }
        Ok(())
    }
}

/// An age to the millisecond below a minute, to the second above.
fn format_age(age: Duration) -> String {
    if age < Duration::from_secs(60) {
        format!("{:.3}s", age.as_secs_f64())
    } else {
        format!("{}s", age.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::format_age;
    use std::time::Duration;

    #[test]
    fn ages_read_in_seconds() {
        assert_eq!(format_age(Duration::from_millis(1_500)), "1.500s");
        assert_eq!(format_age(Duration::from_secs(3_600)), "3600s");
    }
}
