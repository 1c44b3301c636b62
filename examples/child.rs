//! Runs a command with its stdout piped, prints each line it writes as it
//! comes, then its exit status.
//!
//! ```text
//! cargo run --example child -- CMD ARGS...
//! cargo run --example child            # sh -c 'for i in 1 2 3; do echo $i; sleep 1; done'
//! ```

use std::io::Write;
use std::process::ExitCode;

use chronia::process::{Command, Stdio};

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        args = ["sh", "-c", "for i in 1 2 3; do echo $i; sleep 1; done"]
            .map(String::from)
            .to_vec();
    }
    let result = chronia::block_on(async {
        let mut child = Command::new(&args[0])
            .args(&args[1..])
            .stdout(Stdio::piped())
            .spawn()?;
        let mut stdout = child.stdout.take().expect("stdout is piped");

        // Ctrl-C forwarding goes here once `chronia::signal` lands: race the
        // read loop below against `signal(SIGINT)`, and on a delivery send
        // the child SIGINT (through its pid, while `child.id()` is Some)
        // and keep reading until it exits.

        let mut pending = Vec::new();
        let mut buf = [0; 4096];
        let mut out = std::io::stdout().lock();
        loop {
            let n = stdout.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            pending.extend_from_slice(&buf[..n]);
            while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                write!(out, "line: ")?;
                out.write_all(&line)?;
                out.flush()?;
            }
        }
        if !pending.is_empty() {
            write!(out, "line: ")?;
            out.write_all(&pending)?;
            writeln!(out)?;
        }
        child.wait().await
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
