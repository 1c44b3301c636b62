//! TCP through the facade: `TcpListener` and `TcpStream` end to end.

mod util;

use std::io::{self, ErrorKind};
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use chronia::net::{TcpListener, TcpStream};
use futures_lite::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use util::within;

/// An echo server on a free loopback port, as `examples/echo.rs` runs it.
async fn echo_server() -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    drop(chronia::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            drop(chronia::spawn(async move {
                let mut buf = vec![0; 4096];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if stream.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            }));
        }
    }));
    Ok(addr)
}

#[test]
fn echo_serves_100_concurrent_clients() {
    chronia::block_on(within("100 echo clients", async {
        let addr = echo_server().await?;
        let clients: Vec<_> = (0..100)
            .map(|i| {
                chronia::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await?;
                    for j in 0..5 {
                        let msg = format!("client {i} message {j} {}", "x".repeat(i * 10));
                        stream.write_all(msg.as_bytes()).await?;
                        let mut back = vec![0; msg.len()];
                        stream.read_exact(&mut back).await?;
                        assert_eq!(back, msg.as_bytes(), "client {i} got another echo");
                    }
                    io::Result::Ok(())
                })
            })
            .collect();
        for client in clients {
            client.await.expect("the client does not panic")?;
        }
        io::Result::Ok(())
    }))
    .expect("every client gets its echo");
}

#[test]
fn half_close_gives_eof_and_the_other_direction_still_works() {
    chronia::block_on(within("half close", async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let client = TcpStream::connect(listener.local_addr()?).await?;
        let (server, _) = listener.accept().await?;

        client.write_all(b"last words").await?;
        client.shutdown(Shutdown::Write)?;
        let mut got = Vec::new();
        (&server).read_to_end(&mut got).await?;
        assert_eq!(got, b"last words");
        assert_eq!(server.read(&mut [0; 8]).await?, 0, "EOF stays EOF");

        server.write_all(b"reply").await?;
        drop(server);
        let mut reply = Vec::new();
        (&client).read_to_end(&mut reply).await?;
        assert_eq!(reply, b"reply");
        io::Result::Ok(())
    }))
    .expect("half close works");
}

#[test]
fn eof_after_a_short_read_is_seen() {
    chronia::block_on(within("eof after short read", async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let client = TcpStream::connect(listener.local_addr()?).await?;
        let (server, _) = listener.accept().await?;
        client.write_all(&[1; 100]).await?;
        client.shutdown(Shutdown::Write)?;
        // Let the runtime take the kernel's one report of data and FIN
        // before reading: the short read that follows must not make the
        // stream wait for a report that will not come again.
        chronia::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(server.read(&mut [0; 4096]).await?, 100);
        assert_eq!(server.read(&mut [0; 4096]).await?, 0);
        io::Result::Ok(())
    }))
    .expect("the read after the data sees EOF");
}

#[test]
fn peer_abort_surfaces_as_connection_reset() {
    chronia::block_on(within("reset", async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let client = TcpStream::connect(listener.local_addr()?).await?;
        let (server, _) = listener.accept().await?;
        client.set_linger(Some(Duration::ZERO))?;
        drop(client);

        let err = server
            .read(&mut [0; 8])
            .await
            .expect_err("a read after the peer's RST fails");
        assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
        io::Result::Ok(())
    }))
    .expect("setup works");
}

#[test]
fn write_after_peer_abort_fails() {
    chronia::block_on(within("reset on write", async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let client = TcpStream::connect(listener.local_addr()?).await?;
        let (server, _) = listener.accept().await?;
        client.set_linger(Some(Duration::ZERO))?;
        drop(client);
        // The first write may be accepted by the kernel before it learns of
        // the reset; a later one must fail.
        let mut result = Ok(());
        for _ in 0..100 {
            result = server.write_all(b"anyone there?").await;
            if result.is_err() {
                break;
            }
            chronia::time::sleep(Duration::from_millis(1)).await;
        }
        let err = result.expect_err("writes to a reset connection fail");
        assert!(
            matches!(
                err.kind(),
                ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
            ),
            "{err}"
        );
        io::Result::Ok(())
    }))
    .expect("setup works");
}

#[test]
fn connect_to_a_closed_port_is_refused() {
    chronia::block_on(within("refused", async {
        let addr = TcpListener::bind("127.0.0.1:0").await?.local_addr()?;
        // The listener is dropped: nothing listens at `addr` now.
        let err = TcpStream::connect(addr)
            .await
            .expect_err("nothing listens there");
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
        io::Result::Ok(())
    }))
    .expect("bind works");
}

#[test]
fn connect_tries_every_resolved_address() {
    chronia::block_on(within("several addresses", async {
        let closed = TcpListener::bind("127.0.0.1:0").await?.local_addr()?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let open = listener.local_addr()?;
        let stream = TcpStream::connect(&[closed, open][..]).await?;
        assert_eq!(stream.peer_addr()?, open);
        io::Result::Ok(())
    }))
    .expect("the second address connects");
}

#[test]
fn accept_keeps_working_after_a_client_aborts() {
    chronia::block_on(within("accept after abort", async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let aborted = TcpStream::connect(addr).await?;
        aborted.set_linger(Some(Duration::ZERO))?;
        drop(aborted);
        chronia::time::sleep(Duration::from_millis(10)).await;

        let good = TcpStream::connect(addr).await?;
        good.write_all(b"hi").await?;
        // The aborted connection may come out of accept (reset, or as
        // ECONNABORTED) or not at all; the good one must come after it.
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) if e.kind() == ErrorKind::ConnectionAborted => continue,
                Err(e) => return Err(e),
            };
            let mut buf = [0; 2];
            match (&stream).read_exact(&mut buf).await {
                Ok(()) => {
                    assert_eq!(&buf, b"hi");
                    stream.write_all(b"ok").await?;
                    break;
                }
                Err(e) => assert!(
                    matches!(
                        e.kind(),
                        ErrorKind::ConnectionReset | ErrorKind::UnexpectedEof
                    ),
                    "{e}"
                ),
            }
        }
        let mut reply = [0; 2];
        (&good).read_exact(&mut reply).await?;
        assert_eq!(&reply, b"ok");
        io::Result::Ok(())
    }))
    .expect("the listener keeps accepting");
}

/// Sends `data` through an echo and reads it back, writing and reading at
/// once (the data is larger than the socket buffers), through nothing but
/// the `futures-io` traits.
async fn round_trip<S>(stream: S, data: &[u8]) -> io::Result<Vec<u8>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut reader, mut writer) = futures_lite::io::split(stream);
    let send = async {
        writer.write_all(data).await?;
        writer.close().await
    };
    let receive = async {
        let mut back = Vec::new();
        reader.read_to_end(&mut back).await?;
        Ok(back)
    };
    let (written, received) = futures_lite::future::zip(send, receive).await;
    written?;
    received
}

#[test]
fn futures_io_traits_work_in_generic_code() {
    // 4 MiB, 256 KiB under valgrind (still many socket buffers' worth).
    let size = u32::try_from(util::scaled_for_valgrind(4 << 20, 16)).expect("small");
    chronia::block_on(within("generic copy", async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let client = TcpStream::connect(listener.local_addr()?).await?;
        let (server, _) = listener.accept().await?;
        // The server echoes with `io::copy` over `&TcpStream` both ways, then
        // closes its write side (`poll_close` is `shutdown(Write)`).
        let echo = chronia::spawn(async move {
            let copied = futures_lite::io::copy(&server, &mut &server).await?;
            (&server).close().await?;
            io::Result::Ok(copied)
        });
        let data: Vec<u8> = (0..size).map(|i: u32| (i % 251) as u8).collect();
        let back = round_trip(client, &data).await?;
        assert_eq!(back.len(), data.len());
        assert!(back == data, "the echo changed the bytes");
        assert_eq!(echo.await.expect("no panic")?, data.len() as u64);
        io::Result::Ok(())
    }))
    .expect("the bytes go through the echo and back");
}

#[test]
fn one_stream_is_read_and_written_from_two_tasks() {
    const MESSAGES: u32 = 2000;
    chronia::block_on(within("two tasks", async {
        let addr = echo_server().await?;
        let stream = Rc::new(TcpStream::connect(addr).await?);
        let writer = chronia::spawn({
            let stream = Rc::clone(&stream);
            async move {
                for i in 0..MESSAGES {
                    stream.write_all(&i.to_be_bytes()).await?;
                    if i % 100 == 0 {
                        chronia::task::yield_now().await;
                    }
                }
                io::Result::Ok(())
            }
        });
        let reader = chronia::spawn({
            let stream = Rc::clone(&stream);
            async move {
                for i in 0..MESSAGES {
                    let mut n = [0; 4];
                    (&*stream).read_exact(&mut n).await?;
                    assert_eq!(u32::from_be_bytes(n), i, "echo out of order");
                }
                io::Result::Ok(())
            }
        });
        writer.await.expect("no panic")?;
        reader.await.expect("no panic")?;
        io::Result::Ok(())
    }))
    .expect("both tasks finish");
}

#[test]
fn new_sockets_are_cloexec_and_nonblocking() {
    use std::os::fd::AsRawFd;

    fn flags(fd: i32) -> u32 {
        let info =
            std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).expect("fdinfo is readable");
        let line = info
            .lines()
            .find_map(|l| l.strip_prefix("flags:"))
            .expect("fdinfo has flags");
        u32::from_str_radix(line.trim(), 8).expect("flags are octal")
    }
    let cloexec = u32::try_from(libc::O_CLOEXEC).expect("positive");
    let nonblock = u32::try_from(libc::O_NONBLOCK).expect("positive");

    chronia::block_on(within("flags", async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let client = TcpStream::connect(listener.local_addr()?).await?;
        let (server, _) = listener.accept().await?;
        for fd in [listener.as_raw_fd(), client.as_raw_fd(), server.as_raw_fd()] {
            let f = flags(fd);
            assert_ne!(f & cloexec, 0, "fd {fd} is not close-on-exec");
            assert_ne!(f & nonblock, 0, "fd {fd} is blocking");
        }
        io::Result::Ok(())
    }))
    .expect("sockets are made");
}

#[test]
fn std_conversions_keep_the_connection() {
    chronia::block_on(within("conversions", async {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let listener = TcpListener::try_from(std_listener)?;
        let client = TcpStream::connect(listener.local_addr()?).await?;
        let (server, _) = listener.accept().await?;
        let std_server = server.into_std();
        let server = TcpStream::from_std(std_server)?;
        client.write_all(b"still here").await?;
        let mut buf = [0; 10];
        (&server).read_exact(&mut buf).await?;
        assert_eq!(&buf, b"still here");
        io::Result::Ok(())
    }))
    .expect("conversions work");
}

#[test]
fn dropping_the_runtime_closes_every_fd() {
    util::run_isolated("dropping_the_runtime_closes_every_fd_child", None);
}

#[test]
#[ignore = "run alone in a child process by dropping_the_runtime_closes_every_fd"]
fn dropping_the_runtime_closes_every_fd_child() {
    assert!(util::is_isolated(), "counts fds: run it alone in a process");
    let before = util::open_fds();
    let rt = chronia::Runtime::new().expect("a runtime");
    rt.block_on(within("serve", async {
        let addr = echo_server().await?;
        for _ in 0..10 {
            let mut stream = TcpStream::connect(addr).await?;
            stream.write_all(b"ping").await?;
            let mut buf = [0; 4];
            stream.read_exact(&mut buf).await?;
        }
        // Left open on purpose: the runtime's drop must close them.
        let _open = TcpStream::connect(addr).await?;
        let left = TcpStream::connect(addr).await?;
        std::mem::forget(chronia::spawn(async move {
            let _ = left.read(&mut [0; 1]).await;
        }));
        io::Result::Ok(())
    }))
    .expect("the server serves");
    assert!(
        util::open_fds() > before,
        "the runtime holds fds while alive"
    );
    drop(rt);
    assert_eq!(util::open_fds(), before, "fds left open by the runtime");
}

#[test]
fn accept_reports_emfile_and_recovers() {
    util::run_isolated("accept_reports_emfile_and_recovers_child", Some(64));
}

#[test]
#[ignore = "run in a child process with RLIMIT_NOFILE 64 by accept_reports_emfile_and_recovers"]
fn accept_reports_emfile_and_recovers_child() {
    assert!(
        util::is_isolated(),
        "exhausts fds: run it alone in a process"
    );
    chronia::block_on(within("emfile", async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut filler = Vec::new();
        loop {
            match std::fs::File::open("/dev/null") {
                Ok(f) => filler.push(f),
                Err(e) if e.raw_os_error() == Some(libc::EMFILE) => break,
                Err(e) => return Err(e),
            }
        }
        // One fd for the client; the table is full again after it.
        filler.pop();
        let client = std::net::TcpStream::connect(addr)?;
        let err = listener
            .accept()
            .await
            .expect_err("no fd for the new socket");
        assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err}");
        let again = listener.accept().await.expect_err("still no fd");
        assert_eq!(again.raw_os_error(), Some(libc::EMFILE), "{again}");

        // With fds free, the queued connection comes out: no new edge is
        // needed, the listener was left ready.
        filler.truncate(filler.len().saturating_sub(4));
        let (server, _) = listener.accept().await?;
        server.write_all(b"late").await?;
        let mut client = chronia::net::TcpStream::from_std(client)?;
        let mut buf = [0; 4];
        client.read_exact(&mut buf).await?;
        assert_eq!(&buf, b"late");
        io::Result::Ok(())
    }))
    .expect("the listener recovers");
}

#[test]
fn linger_below_a_second_rounds_up_instead_of_resetting() {
    // Before the fix 100 ms became `l_linger = 0`: an abortive close (RST),
    // the opposite of lingering.
    chronia::block_on(within("linger", async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let stream = TcpStream::connect(listener.local_addr()?).await?;
        stream.set_linger(Some(Duration::from_millis(100)))?;
        assert_eq!(stream.linger()?, Some(Duration::from_secs(1)));
        stream.set_linger(Some(Duration::from_millis(2500)))?;
        assert_eq!(stream.linger()?, Some(Duration::from_secs(3)));
        stream.set_linger(Some(Duration::ZERO))?;
        assert_eq!(stream.linger()?, Some(Duration::ZERO));
        io::Result::Ok(())
    }))
    .expect("linger");
}

#[test]
fn closing_after_the_peer_reset_the_connection_succeeds() {
    // Before the fix `poll_close` and `shutdown(Write)` returned
    // `NotConnected` here (tokio#4665).
    chronia::block_on(within("close after reset", async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let client = TcpStream::connect(listener.local_addr()?).await?;
        let (mut server, _) = listener.accept().await?;
        client.set_linger(Some(Duration::ZERO))?;
        drop(client);
        let err = server.read(&mut [0; 8]).await.expect_err("reset");
        assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
        server.shutdown(Shutdown::Write)?;
        server.close().await?;
        io::Result::Ok(())
    }))
    .expect("closing a reset connection");
}

#[test]
fn a_burst_of_connects_beyond_std_backlog_completes_without_accepting() {
    // std listens with a backlog of 128: before the fix the connects past
    // it lost their SYNs and waited for retransmits (1 s, 3 s, ...), which
    // a full queue drops again.
    const CLIENTS: usize = 300;
    chronia::block_on(within("burst", async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let done = Rc::new(std::cell::RefCell::new(Vec::new()));
        for _ in 0..CLIENTS {
            let done = Rc::clone(&done);
            drop(chronia::spawn(async move {
                if let Ok(stream) = TcpStream::connect(addr).await {
                    done.borrow_mut().push(stream);
                }
            }));
        }
        let start = std::time::Instant::now();
        while done.borrow().len() < CLIENTS && start.elapsed() < Duration::from_secs(3) {
            chronia::time::sleep(Duration::from_millis(5)).await;
        }
        let n = done.borrow().len();
        assert_eq!(n, CLIENTS, "only {n} connects completed in 3 s");
        drop(listener);
        io::Result::Ok(())
    }))
    .expect("burst");
}

/// Sends `byte` as TCP urgent data (`MSG_OOB`), which std cannot.
#[allow(unsafe_code, reason = "send(MSG_OOB) has no std wrapper")]
fn send_urgent(stream: &std::net::TcpStream, byte: u8) {
    use std::os::fd::AsRawFd;
    // SAFETY: `byte` is one readable byte that lives across the call.
    let n = unsafe {
        libc::send(
            stream.as_raw_fd(),
            (&raw const byte).cast(),
            1,
            libc::MSG_OOB,
        )
    };
    assert_eq!(n, 1, "send(MSG_OOB): {}", io::Error::last_os_error());
}

#[test]
fn urgent_data_ends_a_read_early_and_the_rest_comes_with_the_next_report() {
    // The documented limit of the short-read shortcut (`net::stream`): the
    // read stops before the urgent mark, readiness is cleared, and the
    // bytes queued behind the mark come when the peer sends more.
    use std::io::Write;
    chronia::block_on(within("urgent data", async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut client = std::net::TcpStream::connect(listener.local_addr()?)?;
        let (server, _) = listener.accept().await?;
        client.write_all(b"ab")?;
        send_urgent(&client, b'!');
        client.write_all(b"cd")?;
        // A driver turn takes the kernel's report for all of it.
        chronia::time::sleep(Duration::from_millis(5)).await;
        let mut buf = [0; 16];
        let mut got = Vec::new();
        // Loopback delivers at once, but a slow machine may split "ab".
        while got.len() < 2 {
            let n = server.read(&mut buf).await?;
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, b"ab", "the read stops before the mark");
        client.write_all(b"e")?;
        drop(client);
        let mut rest = Vec::new();
        (&server).read_to_end(&mut rest).await?;
        assert_eq!(rest, b"cde", "the urgent byte is out of band");
        io::Result::Ok(())
    }))
    .expect("urgent data");
}

#[test]
fn poll_accept_accepts_and_the_listener_ttl_reads_back() {
    chronia::block_on(within("poll_accept", async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        listener.set_ttl(21)?;
        assert_eq!(listener.ttl()?, 21);
        let waiting = std::future::poll_fn(|cx| listener.poll_accept(cx));
        let client = chronia::spawn({
            let addr = listener.local_addr()?;
            async move { TcpStream::connect(addr).await }
        });
        let (server, peer) = waiting.await?;
        let client = client.await.expect("no panic")?;
        assert_eq!(peer, client.local_addr()?);
        assert_eq!(server.ttl()?, 21, "accepted connections inherit the TTL");
        io::Result::Ok(())
    }))
    .expect("poll_accept");
}
