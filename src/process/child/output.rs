//! [`Child::wait_with_output`]: read both output pipes to their end, at
//! once (a child that fills one pipe while the parent reads only the other
//! would never exit), then wait.

use std::future::poll_fn;
use std::io;
use std::process::Output;
use std::task::{Context, Poll, ready};

use super::Child;
use crate::process::pipe::{ChildReader, Stream, poll_read_to_end};

impl Child {
    /// Closes the child's stdin (if piped), reads its stdout and stderr
    /// (those that were piped; the others come back empty) until the child
    /// closes them, and waits for it to exit. As tokio's and std's
    /// `wait_with_output`.
    ///
    /// # Errors
    ///
    /// The kernel's error reading a pipe (the child is then dropped, so the
    /// runtime reaps it later); those of [`wait`](Child::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::process::{Command, Stdio};
    /// chronia::block_on(async {
    ///     let child = Command::new("sh")
    ///         .args(["-c", "echo out; echo err >&2; exit 4"])
    ///         .stdout(Stdio::piped())
    ///         .stderr(Stdio::piped())
    ///         .spawn()?;
    ///     let out = child.wait_with_output().await?;
    ///     assert_eq!(out.status.code(), Some(4));
    ///     assert_eq!((out.stdout.as_slice(), out.stderr.as_slice()), (&b"out\n"[..], &b"err\n"[..]));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        drop(self.stdin.take());
        let mut stdout = self.stdout.take();
        let mut stderr = self.stderr.take();
        let mut bufs = (Vec::new(), Vec::new());
        let mut totals = (0, 0);
        poll_fn(|cx| {
            // Both each time: a child blocked on a full stderr pipe would
            // never close its stdout.
            let out = poll_drain(&mut stdout, cx, &mut bufs.0, &mut totals.0)?;
            let err = poll_drain(&mut stderr, cx, &mut bufs.1, &mut totals.1)?;
            if out.is_ready() && err.is_ready() {
                Poll::Ready(Ok::<(), io::Error>(()))
            } else {
                Poll::Pending
            }
        })
        .await?;
        let status = self.wait().await?;
        Ok(Output {
            status,
            stdout: bufs.0,
            stderr: bufs.1,
        })
    }
}

/// Reads `pipe` (if any) to its end into `buf`, and takes it then; `Ready`
/// once it is gone.
fn poll_drain<S: Stream>(
    pipe: &mut Option<ChildReader<S>>,
    cx: &mut Context<'_>,
    buf: &mut Vec<u8>,
    total: &mut usize,
) -> Poll<io::Result<()>> {
    if let Some(p) = pipe {
        ready!(poll_read_to_end(p.as_async_mut(), cx, buf, total))?;
        *pipe = None;
    }
    Poll::Ready(Ok(()))
}
