//! UDP through the facade: `UdpSocket` end to end.

mod util;

use std::io;
use std::time::Duration;

use chronia::net::UdpSocket;
use util::within;

#[test]
fn send_to_and_recv_from_round_trip() {
    chronia::block_on(within("udp round trip", async {
        let server = UdpSocket::bind("127.0.0.1:0").await?;
        let client = UdpSocket::bind("127.0.0.1:0").await?;
        let server_addr = server.local_addr()?;

        let echo = chronia::spawn(async move {
            let mut buf = [0; 64];
            for _ in 0..3 {
                let (n, from) = server.recv_from(&mut buf).await?;
                server.send_to(&buf[..n], from).await?;
            }
            io::Result::Ok(())
        });
        for msg in [&b"one"[..], b"two", b"three"] {
            assert_eq!(client.send_to(msg, server_addr).await?, msg.len());
            let mut buf = [0; 64];
            let (n, from) = client.recv_from(&mut buf).await?;
            assert_eq!(&buf[..n], msg);
            assert_eq!(from, server_addr);
        }
        echo.await.expect("no panic")?;
        io::Result::Ok(())
    }))
    .expect("datagrams go both ways");
}

#[test]
fn connected_send_and_recv_round_trip() {
    chronia::block_on(within("connected udp", async {
        let a = UdpSocket::bind("127.0.0.1:0").await?;
        let b = UdpSocket::bind("127.0.0.1:0").await?;
        a.connect(b.local_addr()?).await?;
        b.connect(a.local_addr()?).await?;
        assert_eq!(a.peer_addr()?, b.local_addr()?);

        a.send(b"ping").await?;
        let mut buf = [0; 16];
        let n = b.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"ping");
        b.send(b"pong").await?;
        let n = a.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"pong");
        io::Result::Ok(())
    }))
    .expect("connected sockets talk");
}

#[test]
fn recv_waits_for_a_datagram_sent_later() {
    chronia::block_on(within("udp wait", async {
        let a = UdpSocket::bind("127.0.0.1:0").await?;
        let b = UdpSocket::bind("127.0.0.1:0").await?;
        let to = a.local_addr()?;
        let sender = chronia::spawn(async move {
            chronia::time::sleep(Duration::from_millis(20)).await;
            b.send_to(b"late", to).await
        });
        let mut buf = [0; 16];
        let (n, _) = a.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"late");
        sender.await.expect("no panic")?;
        io::Result::Ok(())
    }))
    .expect("the receiver is woken");
}

#[test]
fn connected_socket_reports_refused_datagrams() {
    chronia::block_on(within("udp refused", async {
        let closed = UdpSocket::bind("127.0.0.1:0").await?.local_addr()?;
        let a = UdpSocket::bind("127.0.0.1:0").await?;
        a.connect(closed).await?;
        a.send(b"anyone?").await?;
        // The ICMP port-unreachable comes back as an error on the socket.
        let err = a
            .recv(&mut [0; 16])
            .await
            .expect_err("nobody answers on a closed port");
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
        io::Result::Ok(())
    }))
    .expect("setup works");
}
