//! Unix-domain sockets through the facade: streams and datagrams.

mod util;

use std::io::{self, ErrorKind};
use std::net::Shutdown;

use chronia::net::{UnixDatagram, UnixListener, UnixStream};
use futures_lite::io::AsyncReadExt;
use util::{TempDir, within};

#[test]
fn stream_listener_and_connect_round_trip() {
    let dir = TempDir::new("unix-stream");
    let path = dir.join("echo.sock");
    chronia::block_on(within("unix stream", async {
        let listener = UnixListener::bind(&path)?;
        let server = chronia::spawn(async move {
            let (stream, _) = listener.accept().await?;
            let mut buf = [0; 64];
            loop {
                let n = stream.read(&mut buf).await?;
                if n == 0 {
                    return io::Result::Ok(());
                }
                stream.write_all(&buf[..n]).await?;
            }
        });
        let client = UnixStream::connect(&path).await?;
        assert_eq!(client.peer_addr()?.as_pathname(), Some(path.as_path()));
        for msg in [&b"hello"[..], b"unix", b"world"] {
            client.write_all(msg).await?;
            let mut back = vec![0; msg.len()];
            (&client).read_exact(&mut back).await?;
            assert_eq!(back, msg);
        }
        client.shutdown(Shutdown::Write)?;
        server.await.expect("no panic")?;
        assert_eq!(client.read(&mut [0; 8]).await?, 0, "the server closed");
        io::Result::Ok(())
    }))
    .expect("the echo works");
}

#[test]
fn stream_pair_round_trip() {
    chronia::block_on(within("unix pair", async {
        let (a, b) = UnixStream::pair()?;
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
        let expected = data.clone();
        // More than the socket buffer: the writer must wait for the reader.
        let writer = chronia::spawn(async move {
            a.write_all(&data).await?;
            a.shutdown(Shutdown::Write)
        });
        let mut got = Vec::new();
        (&b).read_to_end(&mut got).await?;
        writer.await.expect("no panic")?;
        assert!(got == expected, "bytes changed on the way");
        io::Result::Ok(())
    }))
    .expect("a million bytes go through");
}

#[test]
fn connect_to_a_missing_path_fails() {
    let dir = TempDir::new("unix-missing");
    chronia::block_on(within("missing path", async {
        let err = UnixStream::connect(dir.join("nobody"))
            .await
            .expect_err("nothing is there");
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        let long = dir.join(&"x".repeat(200));
        let err = UnixStream::connect(long)
            .await
            .expect_err("too long for sun_path");
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    }));
}

#[test]
fn connect_to_a_closed_listener_is_refused() {
    let dir = TempDir::new("unix-refused");
    let path = dir.join("gone.sock");
    chronia::block_on(within("refused", async {
        drop(UnixListener::bind(&path)?);
        let err = UnixStream::connect(&path)
            .await
            .expect_err("the socket file is stale");
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
        io::Result::Ok(())
    }))
    .expect("bind works");
}

#[test]
fn datagram_bound_round_trip() {
    let dir = TempDir::new("unix-dgram");
    let (server_path, client_path) = (dir.join("server.sock"), dir.join("client.sock"));
    chronia::block_on(within("unix datagram", async {
        let server = UnixDatagram::bind(&server_path)?;
        let client = UnixDatagram::bind(&client_path)?;
        let echo = chronia::spawn(async move {
            let mut buf = [0; 64];
            let (n, from) = server.recv_from(&mut buf).await?;
            let from = from.as_pathname().expect("the client is bound").to_owned();
            server.send_to(&buf[..n], from).await
        });
        client.send_to(b"datagram", &server_path).await?;
        let mut buf = [0; 64];
        let (n, from) = client.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"datagram");
        assert_eq!(from.as_pathname(), Some(server_path.as_path()));
        echo.await.expect("no panic")?;
        io::Result::Ok(())
    }))
    .expect("the datagram comes back");
}

#[test]
fn datagram_connected_and_pair_round_trip() {
    let dir = TempDir::new("unix-dgram-conn");
    let path = dir.join("server.sock");
    chronia::block_on(within("connected datagrams", async {
        let server = UnixDatagram::bind(&path)?;
        let client = UnixDatagram::unbound()?;
        client.connect(&path)?;
        client.send(b"via connect").await?;
        let mut buf = [0; 64];
        let n = server.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"via connect");

        let (a, b) = UnixDatagram::pair()?;
        for msg in [&b"first"[..], b"second"] {
            a.send(msg).await?;
        }
        let n = b.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"first", "boundaries are kept");
        let n = b.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"second");
        io::Result::Ok(())
    }))
    .expect("datagrams arrive whole");
}

fn abstract_addr(tag: &str) -> std::os::unix::net::SocketAddr {
    use std::os::linux::net::SocketAddrExt;
    let name = format!("chronia-test-{tag}-{}", std::process::id());
    std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).expect("a short name")
}

#[test]
fn abstract_names_can_be_bound_and_connected() {
    // Before the fix both paths rejected the leading NUL byte.
    chronia::block_on(within("abstract", async {
        use std::os::linux::net::SocketAddrExt;
        let addr = abstract_addr("round-trip");
        let listener = UnixListener::bind_addr(&addr)?;
        assert_eq!(
            listener.local_addr()?.as_abstract_name(),
            addr.as_abstract_name()
        );
        let client = UnixStream::connect_addr(&addr).await?;
        let (server, _) = listener.accept().await?;
        client.write_all(b"abstract").await?;
        let mut buf = [0; 8];
        let mut got = 0;
        while got < buf.len() {
            got += server.read(&mut buf[got..]).await?;
        }
        assert_eq!(&buf, b"abstract");
        let err = UnixListener::bind_addr(&addr).expect_err("the name is taken");
        assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
        drop(listener);
        let err = UnixStream::connect_addr(&addr)
            .await
            .expect_err("gone with its listener");
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
        io::Result::Ok(())
    }))
    .expect("abstract names");
}

#[test]
fn a_path_with_a_leading_nul_is_invalid_input_that_says_why() {
    chronia::block_on(within("nul path", async {
        let err = UnixListener::bind("\0name").expect_err("not a path");
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        assert!(err.to_string().contains("bind_addr"), "{err}");
        let err = UnixStream::connect("\0name").await.expect_err("not a path");
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        assert!(err.to_string().contains("connect_addr"), "{err}");
        io::Result::Ok(())
    }))
    .expect("clear errors");
}

/// Sends `data` with `fd` attached (`SCM_RIGHTS`), which std cannot on
/// stable.
#[allow(
    unsafe_code,
    reason = "sendmsg with SCM_RIGHTS has no stable std wrapper"
)]
fn send_with_fd(sock: &std::os::unix::net::UnixStream, data: &[u8], fd: i32) {
    use std::os::fd::AsRawFd;
    #[repr(C)]
    struct Cmsg {
        hdr: libc::cmsghdr,
        fd: i32,
    }
    let mut iov = libc::iovec {
        iov_base: data.as_ptr().cast_mut().cast(),
        iov_len: data.len(),
    };
    // SAFETY: all-zero is a valid `msghdr` and `cmsghdr` (plain integers
    // and null pointers).
    let mut cmsg: Cmsg = unsafe { std::mem::zeroed() };
    // SAFETY: CMSG_LEN only computes a length.
    cmsg.hdr.cmsg_len = unsafe { libc::CMSG_LEN(4) } as usize;
    cmsg.hdr.cmsg_level = libc::SOL_SOCKET;
    cmsg.hdr.cmsg_type = libc::SCM_RIGHTS;
    cmsg.fd = fd;
    // SAFETY: as above.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &raw mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = (&raw mut cmsg).cast();
    msg.msg_controllen = std::mem::size_of::<Cmsg>();
    // SAFETY: `msg` points to `iov` and `cmsg`, which live across the call.
    let n = unsafe { libc::sendmsg(sock.as_raw_fd(), &raw const msg, 0) };
    assert_eq!(
        usize::try_from(n).ok(),
        Some(data.len()),
        "sendmsg: {}",
        io::Error::last_os_error()
    );
}

#[test]
fn a_read_cut_short_by_passed_fds_does_not_lose_the_data_behind_it() {
    // The kernel ends a read after a message that carried SCM_RIGHTS,
    // with more data queued. Before the fix that short read was taken for
    // "drained", readiness was cleared, and the queued bytes waited for an
    // edge that had already come: the second read hung.
    chronia::block_on(within("SCM_RIGHTS", async {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        let reader = UnixStream::from_std(a)?;
        let passed = std::fs::File::open("/dev/null")?;
        send_with_fd(&b, b"x", std::os::fd::AsRawFd::as_raw_fd(&passed));
        std::io::Write::write_all(&mut &b, b"yz")?;
        // A driver turn takes the kernel's one report for both messages.
        chronia::time::sleep(std::time::Duration::from_millis(5)).await;
        let mut buf = [0; 16];
        let n = reader.read(&mut buf).await?;
        assert_eq!(&buf[..n], b"x", "the read stops after the fds' message");
        let n = reader.read(&mut buf).await?;
        assert_eq!(&buf[..n], b"yz");
        io::Result::Ok(())
    }))
    .expect("no data is stranded");
}

#[test]
fn peer_cred_names_the_peer_process() {
    chronia::block_on(within("peer_cred", async {
        let (a, b) = UnixStream::pair()?;
        let cred = a.peer_cred()?;
        assert_eq!(cred.pid(), i32::try_from(std::process::id()).ok());
        let me = std::fs::metadata("/proc/self")?;
        assert_eq!(cred.uid(), std::os::unix::fs::MetadataExt::uid(&me));
        assert_eq!(b.peer_cred()?, cred, "both ends are this process");
        io::Result::Ok(())
    }))
    .expect("peer_cred");
}

#[test]
fn bind_addr_and_connect_addr_take_a_path_address_too() {
    let dir = TempDir::new("unix-addr");
    let path = dir.join("addr.sock");
    chronia::block_on(within("path address", async {
        let addr = std::os::unix::net::SocketAddr::from_pathname(&path)?;
        let listener = UnixListener::bind_addr(&addr)?;
        let client = UnixStream::connect_addr(&addr).await?;
        let (_server, _) = listener.accept().await?;
        assert_eq!(client.peer_addr()?.as_pathname(), Some(path.as_path()));
        let unnamed = client.local_addr()?;
        assert!(unnamed.is_unnamed());
        let err = UnixStream::connect_addr(&unnamed)
            .await
            .expect_err("unnamed");
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        let err = UnixListener::bind_addr(&unnamed).expect_err("unnamed");
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        io::Result::Ok(())
    }))
    .expect("path addresses");
}
