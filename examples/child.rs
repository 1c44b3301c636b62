//! Runs a command with its stdout piped, prints each line it writes as it
//! comes, then its exit status; a Ctrl-C (SIGINT) sent to this program is
//! forwarded to the child, which decides what to do with it.
//!
//! ```text
//! cargo run --example child -- CMD ARGS...
//! cargo run --example child            # sh -c 'for i in 1 2 3; do echo $i; sleep 1; done'
//! ```
//!
//! In a terminal, Ctrl-C reaches the whole foreground process group, the
//! child included; forwarding matters when only this program is signalled
//! (`kill -INT <pid>`, a supervisor). While it listens, this program's own
//! SIGINT does not stop it: the child's exit does.

use std::io::{self, Write};
use std::process::ExitCode;

use chronia::process::{Command, Stdio};
use chronia::signal::{SIGINT, signal};
use futures_lite::future;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        args = ["sh", "-c", "for i in 1 2 3; do echo $i; sleep 1; done"]
            .map(String::from)
            .to_vec();
    }
    let result = chronia::block_on(async {
        let mut interrupt = signal(SIGINT)?;
        let mut child = Command::new(&args[0])
            .args(&args[1..])
            .stdout(Stdio::piped())
            .spawn()?;
        let mut stdout = child.stdout.take().expect("stdout is piped");

        let mut lines = Lines::default();
        let mut buf = [0; 4096];
        loop {
            let read = async { Either::Left(stdout.read(&mut buf).await) };
            match future::or(read, interrupted(&mut interrupt)).await {
                Either::Left(n) => {
                    let n = n?;
                    if n == 0 {
                        break;
                    }
                    lines.push(&buf[..n])?;
                }
                Either::Right(()) => forward(&mut child)?,
            }
        }
        lines.finish()?;
        // Each wait future is dropped before the child is signalled: a
        // `wait` can be started again at any time.
        loop {
            let wait = async { Either::Left(child.wait().await) };
            match future::or(wait, interrupted(&mut interrupt)).await {
                Either::Left(status) => return status,
                Either::Right(()) => forward(&mut child)?,
            }
        }
    });
    match result {
        Ok(status) => {
            println!("{}: {status}", args[0]);
            if status.success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("{}: {e}", args[0]);
            ExitCode::FAILURE
        }
    }
}

/// Passes a Ctrl-C on to the child.
fn forward(child: &mut chronia::process::Child) -> io::Result<()> {
    eprintln!("Ctrl-C: forwarding SIGINT to the child");
    child.signal(SIGINT)
}

/// Prints complete lines as they come, prefixed.
#[derive(Default)]
struct Lines {
    pending: Vec<u8>,
}

impl Lines {
    fn push(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.pending.extend_from_slice(bytes);
        let mut out = io::stdout().lock();
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            out.write_all(b"line: ")?;
            out.write_all(&self.pending[..=end])?;
            self.pending.drain(..=end);
        }
        out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            self.push(b"\n")?;
        }
        Ok(())
    }
}

enum Either<L, R> {
    Left(L),
    Right(R),
}

/// The next Ctrl-C, as the right-hand side of a `future::or` with the
/// work it interrupts (which is polled first and dropped if this wins).
async fn interrupted<L>(interrupt: &mut chronia::signal::Signal) -> Either<L, ()> {
    interrupt.recv().await;
    Either::Right(())
}
