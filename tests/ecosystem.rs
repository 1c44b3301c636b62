//! The ecosystem recipes of the README, checked: thread-safe channels from
//! tokio and async-channel feeding a chronia task from other threads, and
//! futures-lite's `BufReader`/`lines`/`copy` and combinators over chronia's
//! sockets.

use std::time::Duration;

use chronia::net::{TcpListener, TcpStream, UnixStream};
use futures_lite::{AsyncBufReadExt, StreamExt, future, io};

#[test]
fn tokio_mpsc_carries_work_from_other_threads_into_a_chronia_task() {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(16);
    let senders: Vec<_> = (0..4)
        .map(|t| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for i in 0..250 {
                    tx.blocking_send(t * 1000 + i).expect("receiver alive");
                }
            })
        })
        .collect();
    drop(tx);
    let got = chronia::block_on(async {
        let mut got = Vec::new();
        while let Some(v) = rx.recv().await {
            got.push(v);
        }
        got
    });
    for s in senders {
        s.join().expect("sender thread");
    }
    assert_eq!(got.len(), 1000);
    let mut sorted = got.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 1000, "every value arrived exactly once");
}

#[test]
fn async_channel_wakes_a_parked_runtime_from_another_thread() {
    let (tx, rx) = async_channel::bounded::<&'static str>(1);
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        tx.send_blocking("from a thread").expect("receiver alive");
    });
    let got = chronia::block_on(async { rx.recv().await.expect("a value") });
    sender.join().expect("sender thread");
    assert_eq!(got, "from a thread");
}

#[test]
fn futures_lite_lines_and_copy_work_over_chronia_sockets() {
    chronia::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        // An echo server written with futures-lite's copy.
        let server = chronia::spawn(async move {
            let (stream, _) = listener.accept().await.expect("accept");
            let (reader, mut writer) = (&stream, &stream);
            io::copy(reader, &mut writer).await.expect("copy")
        });
        let client = TcpStream::connect(addr).await.expect("connect");
        client.write_all(b"one\ntwo\nthree\n").await.expect("write");
        client
            .shutdown(std::net::Shutdown::Write)
            .expect("half-close");
        let lines: Vec<String> = io::BufReader::new(&client)
            .lines()
            .map(|l| l.expect("line"))
            .collect()
            .await;
        assert_eq!(lines, ["one", "two", "three"]);
        assert_eq!(server.await.expect("server"), 14);
    });
}

#[test]
fn futures_lite_or_races_a_read_against_a_timer() {
    chronia::block_on(async {
        let (a, _b) = UnixStream::pair().expect("pair");
        let mut buf = [0u8; 8];
        let winner = future::or(
            async {
                let _ = a.read(&mut buf).await;
                "read"
            },
            async {
                chronia::time::sleep(Duration::from_millis(5)).await;
                "timer"
            },
        )
        .await;
        assert_eq!(winner, "timer");
    });
}
