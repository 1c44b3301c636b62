//! `chronia::net::TcpSocket`: options set before connect or listen.

mod util;

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use chronia::net::{TcpListener, TcpSocket};
use util::within;

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().expect("literal")
}

#[test]
fn options_read_back() -> io::Result<()> {
    let socket = TcpSocket::new_v4()?;
    assert!(!socket.reuseaddr()? && !socket.reuseport()? && !socket.keepalive()?);
    assert!(!socket.nodelay()?);
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.set_keepalive(true)?;
    socket.set_nodelay(true)?;
    assert!(socket.reuseaddr()? && socket.reuseport()? && socket.keepalive()? && socket.nodelay()?);
    socket.set_keepalive(false)?;
    assert!(!socket.keepalive()?);

    socket.set_send_buffer_size(64 * 1024)?;
    socket.set_recv_buffer_size(48 * 1024)?;
    // Linux doubles what it is given.
    assert_eq!(socket.send_buffer_size()?, 128 * 1024);
    assert_eq!(socket.recv_buffer_size()?, 96 * 1024);
    Ok(())
}

#[test]
fn sub_second_linger_rounds_up_instead_of_resetting() -> io::Result<()> {
    let socket = TcpSocket::new_v4()?;
    assert_eq!(socket.linger()?, None);
    socket.set_linger(Some(Duration::from_millis(200)))?;
    assert_eq!(socket.linger()?, Some(Duration::from_secs(1)));
    socket.set_linger(Some(Duration::from_millis(2500)))?;
    assert_eq!(socket.linger()?, Some(Duration::from_secs(3)));
    socket.set_linger(Some(Duration::ZERO))?;
    assert_eq!(socket.linger()?, Some(Duration::ZERO));
    socket.set_linger(None)?;
    assert_eq!(socket.linger()?, None);
    Ok(())
}

#[test]
fn out_of_range_values_are_invalid_input() -> io::Result<()> {
    let socket = TcpSocket::new_v4()?;
    let err = socket.set_send_buffer_size(u32::MAX).expect_err("too big");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains(&u32::MAX.to_string()), "{err}");
    let err = socket.set_recv_buffer_size(u32::MAX).expect_err("too big");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    chronia::block_on(async {
        let err = socket.listen(u32::MAX).expect_err("too big");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains(&u32::MAX.to_string()), "{err}");
    });
    Ok(())
}

#[test]
fn binding_an_address_of_the_other_family_passes_the_kernel_error() -> io::Result<()> {
    let socket = TcpSocket::new_v4()?;
    let err = socket
        .bind("[::1]:0".parse().expect("literal"))
        .expect_err("v6 address on a v4 socket");
    assert!(err.raw_os_error().is_some(), "{err:?}");
    Ok(())
}

#[test]
fn reuseport_lets_two_listeners_share_a_port() -> io::Result<()> {
    chronia::block_on(async {
        let first = TcpSocket::new_v4()?;
        first.set_reuseport(true)?;
        first.bind(loopback())?;
        let addr = first.local_addr()?;
        let first = first.listen(16)?;

        // Without the option the port is taken.
        let plain = TcpSocket::new_v4()?;
        let err = plain.bind(addr).expect_err("port in use");
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);

        let second = TcpSocket::new_v4()?;
        second.set_reuseport(true)?;
        second.bind(addr)?;
        let second = second.listen(16)?;
        assert_eq!(second.local_addr()?, addr);

        // Both accept: the kernel hashes connections over the two, so
        // connect until each has taken one.
        let mut clients = Vec::new();
        let (mut on_first, mut on_second) = (0, 0);
        for _ in 0..200 {
            if on_first > 0 && on_second > 0 {
                break;
            }
            clients.push(TcpSocket::new_v4()?.connect(addr).await?);
            let accepted = within(
                "accept on either listener",
                futures_lite::future::or(async { first.accept().await.map(|_| 1) }, async {
                    second.accept().await.map(|_| 2)
                }),
            )
            .await?;
            if accepted == 1 {
                on_first += 1;
            } else {
                on_second += 1;
            }
        }
        assert!(on_first > 0 && on_second > 0, "{on_first} / {on_second}");
        Ok(())
    })
}

#[test]
fn listen_passes_the_backlog_to_the_kernel() -> io::Result<()> {
    chronia::block_on(async {
        // Linux queues backlog + 1 finished handshakes; then it drops SYNs.
        let small = TcpSocket::new_v4()?;
        small.bind(loopback())?;
        let small = small.listen(0)?;
        let addr = small.local_addr()?;
        let _queued = within("first connect", TcpSocket::new_v4()?.connect(addr)).await?;
        let blocked = chronia::time::timeout(
            Duration::from_millis(300),
            TcpSocket::new_v4()?.connect(addr),
        )
        .await;
        assert!(
            blocked.is_err(),
            "a connect beyond the backlog completed: {blocked:?}"
        );

        let large = TcpSocket::new_v4()?;
        large.bind(loopback())?;
        let large = large.listen(64)?;
        let addr = large.local_addr()?;
        let mut clients = Vec::new();
        for _ in 0..8 {
            clients.push(within("connect", TcpSocket::new_v4()?.connect(addr)).await?);
        }
        Ok(())
    })
}

#[test]
fn connect_gives_a_stream_with_the_options_set() -> io::Result<()> {
    chronia::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let socket = TcpSocket::new_v4()?;
        socket.set_nodelay(true)?;
        socket.set_keepalive(true)?;
        socket.bind(loopback())?;
        let bound = socket.local_addr()?;
        let client = within("connect", socket.connect(listener.local_addr()?)).await?;
        let (server, peer) = within("accept", listener.accept()).await?;
        assert_eq!(peer, bound);
        assert_eq!(client.local_addr()?, bound);
        assert!(client.nodelay()?);

        client.write_all(b"ping").await?;
        let mut buf = [0; 4];
        let mut got = 0;
        while got < 4 {
            got += within("read", server.read(&mut buf[got..])).await?;
        }
        assert_eq!(&buf, b"ping");

        let back = TcpSocket::from_std_stream(client.into_std());
        assert!(back.keepalive()?);
        assert_eq!(back.local_addr()?, bound);
        Ok(())
    })
}

#[test]
fn connect_to_a_closed_port_is_refused() -> io::Result<()> {
    chronia::block_on(async {
        let addr = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            listener.local_addr()?
        };
        let err = within("connect", TcpSocket::new_v4()?.connect(addr))
            .await
            .expect_err("nothing listens");
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
        Ok(())
    })
}
