//! [`Child::wait_with_output`]: read both output pipes to their end, at
//! once (a child that fills one pipe while the parent reads only the other
//! would never exit), then wait.

use std::future::poll_fn;
use std::io;
use std::process::Output;
use std::task::Poll;

use super::Child;
use crate::process::pipe::poll_read_to_end;

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
            if let Some(pipe) = &mut stdout {
                match poll_read_to_end(pipe.as_async_mut(), cx, &mut bufs.0, &mut totals.0) {
                    Poll::Ready(Ok(_)) => stdout = None,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {}
                }
            }
            if let Some(pipe) = &mut stderr {
                match poll_read_to_end(pipe.as_async_mut(), cx, &mut bufs.1, &mut totals.1) {
                    Poll::Ready(Ok(_)) => stderr = None,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {}
                }
            }
            if stdout.is_none() && stderr.is_none() {
                Poll::Ready(Ok(()))
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
