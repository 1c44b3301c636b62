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
