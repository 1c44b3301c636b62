//! Name lookup on the blocking pool: `chronia::net::lookup_host` and
//! `TcpStream::connect("host:port")`.

mod util;

use std::cell::Cell;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chronia::net::{TcpListener, TcpStream, lookup_host};
use chronia::task::spawn_blocking;
use chronia::time::sleep;
use futures_lite::future;
use util::within;

/// Tests here share the process-wide pool, and one of them fills it: one at
/// a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn lookup_host_resolves_localhost_with_its_port() {
    let _serial = serial();
    chronia::block_on(async {
        let addrs: Vec<SocketAddr> = within("lookup", lookup_host("localhost:4242"))
            .await
            .expect("localhost resolves")
            .collect();
        assert!(!addrs.is_empty());
        assert!(
            addrs
                .iter()
                .all(|a| a.port() == 4242 && a.ip().is_loopback()),
            "{addrs:?}"
        );
        assert!(
            addrs.contains(&SocketAddr::from((Ipv4Addr::LOCALHOST, 4242))),
            "{addrs:?}"
        );

        let pair: Vec<SocketAddr> = within("lookup", lookup_host(("localhost", 4242)))
            .await
            .expect("localhost resolves")
            .collect();
        assert_eq!(pair, addrs);
    });
}

#[test]
fn lookup_host_takes_literals_as_they_are() {
    let _serial = serial();
    chronia::block_on(async {
        let v6: Vec<SocketAddr> = lookup_host("[::1]:9").await.expect("literal").collect();
        assert_eq!(
            v6,
            [SocketAddr::from((
                IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]),
                9
            ))]
        );
        let pair: Vec<SocketAddr> = lookup_host((Ipv4Addr::LOCALHOST, 9))
            .await
            .expect("literal")
            .collect();
        assert_eq!(pair, [SocketAddr::from((Ipv4Addr::LOCALHOST, 9))]);
    });
}

#[test]
fn lookup_host_refuses_a_string_without_a_port() {
    let _serial = serial();
    chronia::block_on(async {
        for bad in ["localhost", "localhost:port", "localhost:65536"] {
            let err = lookup_host(bad).await.err().expect("no port");
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad}: {err}");
            assert!(err.to_string().contains(bad), "{err}");
        }
    });
}

#[test]
fn lookup_host_reports_an_unknown_name() {
    let _serial = serial();
    chronia::block_on(async {
        // `.invalid` never resolves (RFC 2606).
        let result = within("lookup", lookup_host("no-such-host.invalid:80")).await;
        assert!(result.is_err(), "resolved an .invalid name");
    });
}

/// Fills all 64 pool threads with jobs that wait for `gate`, so that a
/// lookup queued behind them stays pending until the test opens it.
async fn fill_the_pool(gate: &Arc<AtomicBool>) -> Vec<chronia::task::JoinHandle<()>> {
    let running = Arc::new(AtomicUsize::new(0));
    let jobs = (0..64)
        .map(|_| {
            let (gate, running) = (gate.clone(), running.clone());
            spawn_blocking(move || {
                running.fetch_add(1, Ordering::SeqCst);
                let deadline = Instant::now() + util::limit();
                while !gate.load(Ordering::SeqCst) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
            })
        })
        .collect();
    let deadline = Instant::now() + util::limit();
    while running.load(Ordering::SeqCst) < 64 {
        assert!(
            Instant::now() < deadline,
            "the pool did not start 64 threads"
        );
        sleep(Duration::from_millis(2)).await;
    }
    jobs
}

#[test]
fn connect_by_name_does_not_block_other_tasks_while_it_resolves() {
    let _serial = serial();
    chronia::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let gate = Arc::new(AtomicBool::new(false));
        let jobs = fill_the_pool(&gate).await;

        // The lookup waits in the pool's queue; a connect that resolved on
        // the runtime's thread would be done at once.
        let connecting =
            chronia::spawn(async move { TcpStream::connect(("localhost", port)).await });
        let by_string =
            chronia::spawn(async move { TcpStream::connect(format!("localhost:{port}")).await });
        let ticks = Rc::new(Cell::new(0));
        let ticker = chronia::spawn({
            let ticks = ticks.clone();
            async move {
                for _ in 0..5 {
                    sleep(Duration::from_millis(5)).await;
                    ticks.set(ticks.get() + 1);
                }
            }
        });
        within("ticker", ticker).await.expect("no panic");
        assert_eq!(ticks.get(), 5, "the other task ran while the name resolved");
        assert!(
            !connecting.is_finished(),
            "connect finished before its lookup could run"
        );
        assert!(
            !by_string.is_finished(),
            "connect finished before its lookup could run"
        );

        gate.store(true, Ordering::SeqCst);
        for job in jobs {
            within("gated job", job).await.expect("no panic");
        }
        let mut clients = Vec::new();
        let mut accepted = Vec::new();
        for task in [connecting, by_string] {
            let stream = within("connect", task)
                .await
                .expect("no panic")
                .expect("connect");
            assert_eq!(stream.peer_addr().expect("peer").port(), port);
            clients.push(stream.local_addr().expect("local"));
            let (_server, from) = within("accept", listener.accept()).await.expect("accept");
            accepted.push(from);
        }
        clients.sort();
        accepted.sort();
        assert_eq!(clients, accepted);
        // And the runtime thread was never the one resolving:
        let pending = future::poll_once(lookup_host(("localhost", port))).await;
        assert!(
            pending.is_none(),
            "a name lookup finished within its first poll"
        );
    });
}
