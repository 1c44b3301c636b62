//! `futures_core::Stream` impls, used through futures-lite's `StreamExt`:
//! mpsc, broadcast and watch receivers, `Signal`, `Interval`, and the
//! listeners' `incoming()`.
#![allow(unsafe_code)]

mod util;

use chronia::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use chronia::sync::{broadcast, mpsc, watch};
use chronia::task::yield_now;
use chronia::time::{Duration, Instant, interval};
use futures_lite::StreamExt;
use util::within;

#[test]
fn mpsc_receivers_are_streams_that_end_with_the_senders() {
    chronia::block_on(async {
        let (tx, rx) = mpsc::channel(2);
        let _producer = chronia::spawn(async move {
            for n in 0..10 {
                tx.send(n).await.expect("rx is alive");
            }
        });
        let all: Vec<i32> = within("collect", rx.collect()).await;
        assert_eq!(all, (0..10).collect::<Vec<_>>());

        let (tx, rx) = mpsc::unbounded_channel();
        for n in 0..5 {
            tx.send(n).expect("rx is alive");
        }
        drop(tx);
        let doubled: Vec<i32> = rx.map(|n| n * 2).collect().await;
        assert_eq!(doubled, [0, 2, 4, 6, 8]);
    });
}

#[test]
fn broadcast_receiver_stream_reports_lag_and_ends_on_close() {
    chronia::block_on(async {
        let (tx, rx) = broadcast::channel(2);
        for n in 0..4 {
            tx.send(n).expect("rx is alive");
        }
        drop(tx);
        let items: Vec<_> = within("collect", rx.collect()).await;
        assert_eq!(
            items,
            [Err(broadcast::error::RecvError::Lagged(2)), Ok(2), Ok(3)]
        );
    });
}

#[test]
fn watch_receiver_stream_yields_changes_until_the_sender_drops() {
    chronia::block_on(async {
        let (tx, rx) = watch::channel(0);
        let task = chronia::spawn(rx.collect::<Vec<i32>>());
        for n in 1..=3 {
            yield_now().await;
            tx.send(n).expect("rx is alive");
            for _ in 0..5 {
                yield_now().await;
            }
        }
        drop(tx);
        assert_eq!(within("collect", task).await.expect("no panic"), [1, 2, 3]);
    });
}

#[test]
fn interval_stream_ticks_at_its_period() {
    chronia::block_on(async {
        let start = Instant::now();
        let ticks: Vec<Instant> = within(
            "ticks",
            interval(Duration::from_millis(5)).take(3).collect(),
        )
        .await;
        assert_eq!(ticks.len(), 3);
        assert!(ticks[2] - ticks[0] >= Duration::from_millis(10));
        assert!(start.elapsed() >= Duration::from_millis(10));
    });
}

#[test]
fn signal_stream_yields_a_delivery() {
    chronia::block_on(async {
        let signo = libc::SIGRTMIN() + 5;
        let mut deliveries = chronia::signal::signal(signo).expect("a real-time signal");
        // SAFETY: raise has no memory-safety preconditions; the signal is
        // one chronia listens to.
        let rc = unsafe { libc::raise(signo) };
        assert_eq!(rc, 0);
        assert_eq!(within("delivery", deliveries.next()).await, Some(()));
    });
}

#[test]
fn tcp_incoming_yields_each_connection() {
    chronia::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("bound");
        let _clients = (
            TcpStream::connect(addr).await.expect("connect"),
            TcpStream::connect(addr).await.expect("connect"),
            TcpStream::connect(addr).await.expect("connect"),
        );
        let accepted: Vec<_> = within("accept", listener.incoming().take(3).collect()).await;
        assert_eq!(accepted.len(), 3);
        assert!(accepted.iter().all(Result::is_ok));
    });
}

#[test]
fn unix_incoming_yields_each_connection() {
    let dir = std::env::temp_dir().join(format!("chronia-streams-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("sock");
    chronia::block_on(async {
        let listener = UnixListener::bind(&path).expect("bind");
        let _clients = (
            UnixStream::connect(&path).await.expect("connect"),
            UnixStream::connect(&path).await.expect("connect"),
        );
        let mut incoming = listener.incoming();
        for _ in 0..2 {
            let stream = within("accept", incoming.next()).await.expect("never ends");
            stream.expect("accepted");
        }
    });
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
