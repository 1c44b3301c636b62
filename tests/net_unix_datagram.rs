//! `chronia::net::UnixDatagram`: readiness, `try_*` and `poll_*`.

mod util;

use std::future::poll_fn;
use std::io;
use std::time::{Duration, Instant};

use chronia::net::UnixDatagram;
use futures_lite::future::poll_once;
use util::within;

fn would_block<T: std::fmt::Debug>(res: io::Result<T>) {
    match res {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        other => panic!("expected WouldBlock, got {other:?}"),
    }
}

#[test]
fn try_recv_on_an_empty_socket_is_would_block() {
    chronia::block_on(async {
        let (a, _b) = UnixDatagram::pair().expect("pair");
        let mut buf = [0; 8];
        would_block(a.try_recv(&mut buf));
        would_block(a.try_recv_from(&mut buf));
    });
}

#[test]
fn try_send_on_a_full_queue_is_would_block_and_writable_waits() {
    chronia::block_on(async {
        let (a, b) = UnixDatagram::pair().expect("pair");
        let mut sent = 0;
        loop {
            match a.try_send(&[0; 512]) {
                Ok(_) => sent += 1,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("try_send: {e}"),
            }
            assert!(sent < 1_000_000, "the queue never filled");
        }
        assert!(sent > 0);
        assert!(
            poll_once(a.writable()).await.is_none(),
            "writable() on a full queue completed"
        );
        let reader = chronia::spawn(async move {
            chronia::time::sleep(Duration::from_millis(20)).await;
            let mut buf = [0; 512];
            for _ in 0..sent {
                b.try_recv(&mut buf).expect("queued");
            }
            b
        });
        within("writable", a.writable()).await.expect("writable");
        assert!(a.try_send(b"room").is_ok());
        drop(within("reader", reader).await.expect("no panic"));
    });
}

#[test]
fn readable_waits_for_a_datagram_sent_later() {
    chronia::block_on(async {
        let (a, b) = UnixDatagram::pair().expect("pair");
        assert!(
            poll_once(b.readable()).await.is_none(),
            "readable() on an empty socket completed"
        );
        let delay = Duration::from_millis(50);
        let sender = chronia::spawn(async move {
            chronia::time::sleep(delay).await;
            a.try_send(b"late")
        });
        let start = Instant::now();
        within("readable", b.readable()).await.expect("readable");
        assert!(
            start.elapsed() >= delay,
            "readable after {:?}",
            start.elapsed()
        );
        let mut buf = [0; 8];
        assert_eq!(b.try_recv(&mut buf).expect("there"), 4);
        assert_eq!(&buf[..4], b"late");
        assert_eq!(sender.await.expect("no panic").expect("sent"), 4);
        would_block(b.try_recv(&mut buf));
        assert!(poll_once(b.readable()).await.is_none());
    });
}

#[test]
fn poll_calls_and_paths_round_trip() {
    let dir = std::env::temp_dir().join(format!("chronia-unix-dgram-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("rx.sock");
    let _ = std::fs::remove_file(&path);
    chronia::block_on(async {
        let rx = UnixDatagram::bind(&path).expect("bind");
        let tx = UnixDatagram::unbound().expect("unbound");
        assert_eq!(tx.try_send_to(b"one", &path).expect("send"), 3);
        assert_eq!(
            poll_fn(|cx| tx.poll_send_to(cx, b"two", &path))
                .await
                .expect("send"),
            3
        );
        let mut buf = [0; 8];
        let (n, from) = within("recv", poll_fn(|cx| rx.poll_recv_from(cx, &mut buf)))
            .await
            .expect("recv");
        assert_eq!(&buf[..n], b"one");
        assert!(from.is_unnamed());
        let n = within("recv", poll_fn(|cx| rx.poll_recv(cx, &mut buf)))
            .await
            .expect("recv");
        assert_eq!(&buf[..n], b"two");

        let (a, b) = UnixDatagram::pair().expect("pair");
        assert_eq!(
            poll_fn(|cx| a.poll_send(cx, b"pair")).await.expect("send"),
            4
        );
        b.readable().await.expect("readable");
        let (n, _) = b.try_recv_from(&mut buf).expect("there");
        assert_eq!(&buf[..n], b"pair");
    });
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn try_send_to_a_missing_path_is_not_found() {
    chronia::block_on(async {
        let tx = UnixDatagram::unbound().expect("unbound");
        let err = tx
            .try_send_to(b"x", "/nonexistent/chronia/none.sock")
            .expect_err("nothing bound");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    });
}

#[test]
fn ready_waits_for_the_interest_and_says_what_is_ready() {
    use chronia::io::Interest;
    chronia::block_on(async {
        let (a, b) = UnixDatagram::pair().expect("pair");
        assert!(poll_once(b.ready(Interest::READABLE)).await.is_none());
        let ready = within("ready", b.ready(Interest::READABLE | Interest::WRITABLE))
            .await
            .expect("ready");
        assert!(ready.is_writable() && !ready.is_readable(), "{ready:?}");
        a.try_send(b"x").expect("send");
        let ready = within("ready", b.ready(Interest::READABLE))
            .await
            .expect("ready");
        assert!(ready.is_readable(), "{ready:?}");
    });
}

#[test]
fn peek_from_leaves_the_datagram_and_names_the_sender() {
    use std::os::linux::net::SocketAddrExt;
    let dir = std::env::temp_dir().join(format!("chronia-unix-peek-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (rx_path, tx_path) = (dir.join("rx.sock"), dir.join("tx.sock"));
    chronia::block_on(async {
        let rx = UnixDatagram::bind(&rx_path).expect("bind");
        let by_path = UnixDatagram::bind(&tx_path).expect("bind");
        let unnamed = UnixDatagram::unbound().expect("unbound");
        let name = format!("chronia-peek-{}", std::process::id());
        let abstract_addr =
            std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).expect("name");
        let by_name = UnixDatagram::from_std(
            std::os::unix::net::UnixDatagram::bind_addr(&abstract_addr).expect("abstract bind"),
        )
        .expect("register");

        by_path
            .send_to(b"from a path", &rx_path)
            .await
            .expect("send");
        unnamed.send_to(b"unnamed", &rx_path).await.expect("send");
        by_name.send_to(b"abstract", &rx_path).await.expect("send");

        let mut buf = [0; 32];
        for _ in 0..2 {
            let (n, from) = within("peek", rx.peek_from(&mut buf)).await.expect("peek");
            assert_eq!(&buf[..n], b"from a path");
            assert_eq!(from.as_pathname(), Some(tx_path.as_path()));
        }
        let (n, _) = rx.recv_from(&mut buf).await.expect("recv");
        assert_eq!(&buf[..n], b"from a path");

        let (n, from) = within("peek", rx.peek_from(&mut buf)).await.expect("peek");
        assert_eq!(&buf[..n], b"unnamed");
        assert!(from.is_unnamed());
        rx.recv(&mut buf).await.expect("recv");

        // A short buffer: the peek truncates, the datagram stays whole.
        let mut short = [0; 3];
        let (n, from) = within("peek", rx.peek_from(&mut short))
            .await
            .expect("peek");
        assert_eq!(&short[..n], b"abs");
        assert_eq!(from.as_abstract_name(), Some(name.as_bytes()));
        let n = rx.recv(&mut buf).await.expect("recv");
        assert_eq!(&buf[..n], b"abstract");
    });
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn recv_buf_reads_whole_datagrams_into_spare_capacity() {
    chronia::block_on(async {
        let (a, b) = UnixDatagram::pair().expect("pair");
        would_block(b.try_recv_buf(&mut Vec::with_capacity(8)));
        a.send(b"one").await.expect("send");
        a.send(b"two!").await.expect("send");
        let mut buf = Vec::with_capacity(32);
        assert_eq!(b.recv_buf(&mut buf).await.expect("recv_buf"), 3);
        b.readable().await.expect("readable");
        assert_eq!(b.try_recv_buf(&mut buf).expect("try_recv_buf"), 4);
        assert_eq!(buf, b"onetwo!");
        would_block(b.try_recv_buf(&mut buf));
    });
}
