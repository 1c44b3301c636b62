//! A TCP echo server: one task per connection, each reading into a buffer
//! and writing back what it read until the client closes; it shuts down
//! gracefully on Ctrl-C (SIGINT) or SIGTERM.
//!
//! Shows `TcpListener::bind`, the accept loop (with its errors handled, so
//! that running out of file descriptors slows the server down instead of
//! stopping it), `chronia::spawn` per connection, `read` / `write_all`, and
//! signal-driven shutdown: on the first signal the server stops accepting,
//! gives open connections up to 5 s to finish, then exits 0. The signal
//! listeners are dropped as soon as the first signal arrives, which puts
//! back the signals' previous disposition: a second Ctrl-C during the grace
//! period ends the process at once (when the process started with SIGINT
//! at its default action; one started with it ignored, as a shell's
//! background job is, goes on ignoring it). While it serves, `kill -USR1 <pid>`
//! prints a task dump (every task, where it was spawned, what it waits on)
//! to stderr.
//!
//! Run it, then talk to it:
//!
//! ```text
//! cargo run --release --example echo [ADDR]     # default 127.0.0.1:7000
//! nc 127.0.0.1 7000
//! ```

use std::cell::Cell;
use std::io::{self, Write};
use std::rc::Rc;
use std::time::Duration;

use chronia::net::{TcpListener, TcpStream};
use chronia::signal::{SIGINT, SIGTERM, SIGUSR1, Signal, signal};
use chronia::time::{Instant, sleep};
use futures_lite::future;

/// Bytes read per `read` call: big enough for most requests in one call.
const BUFFER: usize = 8 * 1024;

/// How long to back off when the process is out of file descriptors: the
/// pending connection stays queued, and retrying at once would only spin.
const FD_EXHAUSTION_BACKOFF: Duration = Duration::from_millis(10);

/// How long open connections may go on after a shutdown signal.
const GRACE: Duration = Duration::from_secs(5);

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7000".to_owned());
    chronia::block_on(async {
        let mut interrupt = signal(SIGINT)?;
        let mut terminate = signal(SIGTERM)?;
        let dumper = chronia::spawn(dump_on(signal(SIGUSR1)?));
        let listener = TcpListener::bind(&addr).await?;
        say(&format!("listening on {}", listener.local_addr()?));

        let open = Rc::new(Cell::new(0usize));
        let server = chronia::task::Builder::new()
            .name("accept loop")
            .spawn(accept_loop(listener, open.clone()));
        // Whichever signal comes first (`or` polls the first future first).
        let signo = future::or(
            async {
                interrupt.recv().await;
                SIGINT
            },
            async {
                terminate.recv().await;
                SIGTERM
            },
        )
        .await;
        // From here on, a second signal does what it did before we listened
        // (by default: end the process).
        drop((interrupt, terminate));
        dumper.abort();
        // Dropping the accept loop closes the listener: no new connections.
        server.abort();
        say(&format!(
            "signal {signo}: stopped accepting; {} connection(s) open, waiting up to {GRACE:?}",
            open.get()
        ));

        let deadline = Instant::now() + GRACE;
        while open.get() > 0 && Instant::now() < deadline {
            sleep(Duration::from_millis(10)).await;
        }
        match open.get() {
            0 => say("all connections closed; bye"),
            n => say(&format!(
                "grace period over; closing {n} connection(s); bye"
            )),
        }
        Ok(())
    })
}

/// Accepts connections until dropped, one echo task each. Accept errors are
/// reported and the loop goes on: the listener stays usable after all of
/// them (`EMFILE`, `ENFILE`, `ECONNABORTED`, ...).
async fn accept_loop(listener: TcpListener, open: Rc<Cell<usize>>) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let open = open.clone();
                open.set(open.get() + 1);
                // Detached: the task ends when its client closes, or with the
                // runtime after the grace period.
                drop(chronia::spawn(async move {
                    if let Err(e) = echo(&stream).await {
                        eprintln!("{peer}: {e}");
                    }
                    open.set(open.get() - 1);
                }));
            }
            Err(e) => {
                eprintln!("accept: {e}");
                if is_out_of_fds(&e) {
                    sleep(FD_EXHAUSTION_BACKOFF).await;
                }
            }
        }
    }
}

/// Prints a task dump to stderr at each delivery of `usr1`.
async fn dump_on(mut usr1: Signal) {
    loop {
        usr1.recv().await;
        eprint!("{}", chronia::runtime::dump());
    }
}

/// Echoes until the client shuts down its write side or goes away.
async fn echo(stream: &TcpStream) -> io::Result<()> {
    let mut buf = vec![0; BUFFER];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
    }
}

fn is_out_of_fds(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

/// Prints a line and flushes, so that a supervisor (or a test) sees it now.
fn say(line: &str) {
    let mut stdout = io::stdout();
    // Nothing useful to do if stdout is gone.
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}
