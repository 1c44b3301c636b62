//! A TCP echo server: one task per connection, each reading into a buffer
//! and writing back what it read until the client closes.
//!
//! Shows `TcpListener::bind`, the accept loop (with its errors handled, so
//! that running out of file descriptors slows the server down instead of
//! stopping it), `chronia::spawn` per connection, and `read` / `write_all`.
//!
//! Run it, then talk to it:
//!
//! ```text
//! cargo run --release --example echo [ADDR]     # default 127.0.0.1:7000
//! nc 127.0.0.1 7000
//! ```

use std::io::{self, Write};
use std::time::Duration;

use chronia::net::{TcpListener, TcpStream};

/// Bytes read per `read` call: big enough for most requests in one call.
const BUFFER: usize = 8 * 1024;

/// How long to back off when the process is out of file descriptors: the
/// pending connection stays queued, and retrying at once would only spin.
const FD_EXHAUSTION_BACKOFF: Duration = Duration::from_millis(10);

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7000".to_owned());
    chronia::block_on(async {
        let listener = TcpListener::bind(&addr).await?;
        let mut stdout = io::stdout();
        writeln!(stdout, "listening on {}", listener.local_addr()?)?;
        stdout.flush()?;
        // A graceful shutdown races this against a shutdown future.
        accept_loop(&listener).await
    })
}

/// Accepts connections forever, one echo task each. Accept errors are
/// reported and the loop goes on: the listener stays usable after all of
/// them (`EMFILE`, `ENFILE`, `ECONNABORTED`, ...).
async fn accept_loop(listener: &TcpListener) -> io::Result<()> {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                // Detached: the task ends when its client closes.
                drop(chronia::spawn(async move {
                    if let Err(e) = echo(&stream).await {
                        eprintln!("{peer}: {e}");
                    }
                }));
            }
            Err(e) => {
                eprintln!("accept: {e}");
                if is_out_of_fds(&e) {
                    chronia::time::sleep(FD_EXHAUSTION_BACKOFF).await;
                }
            }
        }
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
