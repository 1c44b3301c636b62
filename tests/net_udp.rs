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

fn would_block<T: std::fmt::Debug>(res: io::Result<T>) {
    match res {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        other => panic!("expected WouldBlock, got {other:?}"),
    }
}

#[test]
fn try_recv_on_an_empty_socket_is_would_block() {
    chronia::block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let mut buf = [0; 8];
        would_block(a.try_recv(&mut buf));
        would_block(a.try_recv_from(&mut buf));
        // Unconnected, try_send has no destination: a real error, not a wait.
        let err = a.try_send(b"x").expect_err("no peer");
        assert_ne!(err.kind(), io::ErrorKind::WouldBlock, "{err}");
    });
}

#[test]
fn readable_waits_for_a_datagram_sent_later() {
    chronia::block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let b = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        assert!(
            futures_lite::future::poll_once(b.readable())
                .await
                .is_none(),
            "readable() on an empty socket completed at once"
        );
        let to = b.local_addr().expect("addr");
        let delay = Duration::from_millis(50);
        let sender = chronia::spawn(async move {
            chronia::time::sleep(delay).await;
            a.try_send_to(b"late", to)
        });
        let start = std::time::Instant::now();
        within("readable", b.readable()).await.expect("readable");
        assert!(
            start.elapsed() >= delay,
            "readable after {:?}",
            start.elapsed()
        );
        let mut buf = [0; 8];
        let (n, _) = b.try_recv_from(&mut buf).expect("a datagram is there");
        assert_eq!(&buf[..n], b"late");
        assert_eq!(sender.await.expect("no panic").expect("sent"), 4);

        // Drained again: the next wait waits too.
        would_block(b.try_recv(&mut buf));
        assert!(
            futures_lite::future::poll_once(b.readable())
                .await
                .is_none()
        );
    });
}

#[test]
fn writable_is_ready_on_a_fresh_socket() {
    chronia::block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        within("writable", a.writable()).await.expect("writable");
        let to = a.local_addr().expect("addr");
        assert_eq!(a.try_send_to(b"self", to).expect("room"), 4);
    });
}

#[test]
fn poll_send_and_poll_recv_round_trip() {
    use std::future::poll_fn;
    chronia::block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let b = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        a.connect(b.local_addr().expect("addr"))
            .await
            .expect("connect");
        b.connect(a.local_addr().expect("addr"))
            .await
            .expect("connect");
        let mut buf = [0; 8];
        let recv = chronia::spawn(async move {
            let mut buf = [0; 8];
            let n = poll_fn(|cx| b.poll_recv(cx, &mut buf)).await?;
            Ok::<_, io::Error>(buf[..n].to_vec())
        });
        chronia::task::yield_now().await;
        assert_eq!(
            poll_fn(|cx| a.poll_send(cx, b"one")).await.expect("send"),
            3
        );
        assert_eq!(
            within("recv", recv).await.expect("no panic").expect("recv"),
            b"one"
        );
        // Unconnected, to itself.
        let c = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let to = c.local_addr().expect("addr");
        poll_fn(|cx| c.poll_send_to(cx, b"two", to))
            .await
            .expect("send_to");
        let (n, from) = within("recv_from", poll_fn(|cx| c.poll_recv_from(cx, &mut buf)))
            .await
            .expect("recv_from");
        assert_eq!((&buf[..n], from), (&b"two"[..], to));
    });
}

#[test]
fn peek_from_leaves_the_datagram_in_place() {
    chronia::block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let b = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        a.send_to(b"first", b.local_addr().expect("addr"))
            .await
            .expect("send");
        a.send_to(b"second", b.local_addr().expect("addr"))
            .await
            .expect("send");
        let mut buf = [0; 16];
        for _ in 0..2 {
            let (n, from) = within("peek", b.peek_from(&mut buf)).await.expect("peek");
            assert_eq!(
                (&buf[..n], from),
                (&b"first"[..], a.local_addr().expect("addr"))
            );
        }
        let (n, _) = b.recv_from(&mut buf).await.expect("recv");
        assert_eq!(&buf[..n], b"first");
        let (n, _) = within("peek", b.peek_from(&mut buf)).await.expect("peek");
        assert_eq!(&buf[..n], b"second");
    });
}

#[test]
fn options_read_back() {
    chronia::block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        assert!(!a.broadcast().expect("get"));
        a.set_broadcast(true).expect("set");
        assert!(a.broadcast().expect("get"));
        a.set_ttl(7).expect("set");
        assert_eq!(a.ttl().expect("get"), 7);
        let err = a.set_ttl(256).expect_err("ttl above 255");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(a.multicast_loop_v4().expect("get"));
        a.set_multicast_loop_v4(false).expect("set");
        assert!(!a.multicast_loop_v4().expect("get"));
        a.set_multicast_ttl_v4(3).expect("set");
        assert_eq!(a.multicast_ttl_v4().expect("get"), 3);
        let err = a
            .join_multicast_v4(
                std::net::Ipv4Addr::LOCALHOST,
                std::net::Ipv4Addr::UNSPECIFIED,
            )
            .expect_err("not a group");
        assert!(err.raw_os_error().is_some(), "the kernel's error: {err:?}");
    });
}

#[test]
fn bind_and_send_to_resolve_host_names() {
    chronia::block_on(async {
        let a = within("bind", UdpSocket::bind("localhost:0"))
            .await
            .expect("bind");
        let port = a.local_addr().expect("addr").port();
        let b = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        within("send_to", b.send_to(b"named", ("localhost", port)))
            .await
            .expect("send_to");
        let mut buf = [0; 8];
        let (n, _) = within("recv", a.recv_from(&mut buf)).await.expect("recv");
        assert_eq!(&buf[..n], b"named");
    });
}

#[test]
fn multicast_on_loopback_reaches_a_member() {
    use std::net::{Ipv4Addr, SocketAddr};
    chronia::block_on(async {
        let group = Ipv4Addr::new(239, 255, 73, 12);
        let member = UdpSocket::bind("0.0.0.0:0").await.expect("bind");
        let port = member.local_addr().expect("addr").port();
        if let Err(e) = member.join_multicast_v4(group, Ipv4Addr::UNSPECIFIED) {
            println!("skipped: the kernel refuses to join {group}: {e}");
            return;
        }
        let sender = UdpSocket::bind("0.0.0.0:0").await.expect("bind");
        sender.set_multicast_loop_v4(true).expect("loop");
        if let Err(e) = sender
            .send_to(b"to the group", SocketAddr::from((group, port)))
            .await
        {
            println!("skipped: the kernel refuses to send to {group}: {e}");
            return;
        }
        let mut buf = [0; 32];
        let (n, _) = within("multicast datagram", member.recv_from(&mut buf))
            .await
            .expect("recv");
        assert_eq!(&buf[..n], b"to the group");
        member
            .leave_multicast_v4(group, Ipv4Addr::UNSPECIFIED)
            .expect("leave");
        let err = member
            .leave_multicast_v4(group, Ipv4Addr::UNSPECIFIED)
            .expect_err("left already");
        assert!(err.raw_os_error().is_some(), "{err:?}");
    });
}

#[test]
fn ready_waits_for_the_interest_and_says_what_is_ready() {
    use chronia::io::{Interest, Ready};
    chronia::block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        assert!(
            futures_lite::future::poll_once(a.ready(Interest::READABLE))
                .await
                .is_none(),
            "ready(READABLE) on an empty socket completed at once"
        );
        let both = within("ready", a.ready(Interest::READABLE | Interest::WRITABLE))
            .await
            .expect("ready");
        assert!(both.is_writable() && !both.is_readable(), "{both:?}");
        assert_eq!(both & Ready::READABLE, Ready::EMPTY);

        let to = a.local_addr().expect("addr");
        let sender = chronia::spawn(async move {
            chronia::time::sleep(Duration::from_millis(20)).await;
            let b = UdpSocket::bind("127.0.0.1:0").await?;
            b.send_to(b"x", to).await
        });
        let ready = within("ready", a.ready(Interest::READABLE))
            .await
            .expect("ready");
        assert!(ready.is_readable() && !ready.is_writable(), "{ready:?}");
        sender.await.expect("no panic").expect("sent");
    });
}

#[test]
fn recv_buf_fills_spare_capacity_and_keeps_what_was_there() {
    chronia::block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.expect("bind a");
        let b = UdpSocket::bind("127.0.0.1:0").await.expect("bind b");
        would_block(b.try_recv_buf(&mut Vec::with_capacity(8)));
        a.send_to(b"first", b.local_addr().expect("addr"))
            .await
            .expect("send");
        a.send_to(b"second", b.local_addr().expect("addr"))
            .await
            .expect("send");
        let mut buf = b"kept:".to_vec();
        buf.reserve(64);
        assert_eq!(b.recv_buf(&mut buf).await.expect("recv_buf"), 5);
        assert_eq!(buf, b"kept:first");
        b.readable().await.expect("readable");
        assert_eq!(b.try_recv_buf(&mut buf).expect("try_recv_buf"), 6);
        assert_eq!(buf, b"kept:firstsecond");
        would_block(b.try_recv_buf(&mut buf));
    });
}
