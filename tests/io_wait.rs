//! `Async::readable` / `writable` wait for real after the caller's own
//! syscall said `WouldBlock` (they consume the readiness they report), and
//! never wait for an edge that already came; the cooperative budget lets a
//! timer fire while a task reads a peer that keeps its buffer full; a
//! failed `Async::new` leaves the fd as it found it.

mod util;

use std::cell::Cell;
use std::io::{self, ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::time::Instant;

use chronia::io::Async;
use chronia::time::{Duration, sleep, timeout};
use util::within_thread;

/// The loop of issue 9: `readable()`, then the inner object's own `read`.
async fn read_by_hand(a: &Async<UnixStream>, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        a.readable().await?;
        match a.get_ref().read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
}

#[test]
fn readable_waits_after_the_callers_own_read_would_block() {
    // Before the fix `readable()` kept reporting the optimistic readiness
    // of a fresh `Async`, so this loop spun: with the writer a task of the
    // same runtime, it hung the thread (the budget now bounds the spin, so
    // the loop's turns are counted).
    within_thread(Duration::from_secs(10), || {
        chronia::block_on(async {
            let (a, b) = UnixStream::pair()?;
            let a = Async::new(a)?;
            let writer = chronia::spawn(async move {
                sleep(Duration::from_millis(50)).await;
                (&b).write_all(b"late")?;
                Ok::<_, io::Error>(b)
            });
            let mut buf = [0; 16];
            let mut turns = 0;
            let n = loop {
                turns += 1;
                a.readable().await?;
                match a.get_ref().read(&mut buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e),
                }
            };
            assert_eq!(&buf[..n], b"late");
            assert!(
                turns <= 3,
                "readable() completed {turns} times for one write"
            );
            let _b = writer.await.expect("no panic")?;
            Ok::<(), io::Error>(())
        })
    })
    .expect("the late write is read");
}

#[test]
fn readable_completes_at_once_while_data_is_left_after_a_partial_read() {
    // Consuming must not mean "wait for the next edge": the data already
    // queued came with an edge that is gone.
    within_thread(Duration::from_secs(10), || {
        chronia::block_on(async {
            let (a, mut b) = UnixStream::pair()?;
            let a = Async::new(a)?;
            b.write_all(b"abcdef")?;
            let mut buf = [0; 2];
            for want in [&b"ab"[..], b"cd", b"ef"] {
                let n = timeout(Duration::from_secs(5), read_by_hand(&a, &mut buf))
                    .await
                    .expect("data is queued: no wait")?;
                assert_eq!(&buf[..n], want);
            }
            assert!(
                timeout(Duration::from_millis(20), a.readable())
                    .await
                    .is_err(),
                "drained: readable must wait"
            );
            Ok::<(), io::Error>(())
        })
    })
    .expect("partial reads");
}

#[test]
fn writable_waits_after_the_callers_own_write_would_block() {
    within_thread(Duration::from_secs(10), || {
        chronia::block_on(async {
            let (a, mut b) = UnixStream::pair()?;
            let a = Async::new(a)?;
            let chunk = vec![7u8; 64 * 1024];
            // Fill the buffer by hand: chronia never sees the WouldBlock.
            let mut sent = 0;
            loop {
                match a.get_ref().write(&chunk) {
                    Ok(n) => sent += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
            assert!(
                timeout(Duration::from_millis(20), a.writable())
                    .await
                    .is_err(),
                "full: writable must wait"
            );
            let reader = std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(30));
                let mut buf = vec![0; sent];
                b.read_exact(&mut buf)?;
                Ok::<_, io::Error>(b)
            });
            timeout(Duration::from_secs(5), a.writable())
                .await
                .expect("the peer made room")?;
            let _b = reader.join().expect("no panic")?;
            Ok::<(), io::Error>(())
        })
    })
    .expect("writable");
}

#[test]
fn a_reader_of_a_peer_that_keeps_its_buffer_full_lets_a_sleep_wake_on_time() {
    // Without the cooperative budget every read is `Ready` (a full-length
    // read keeps readiness) and the reading task never yields: the sleep
    // of the other task never fires while the peer writes.
    within_thread(Duration::from_secs(20), || {
        chronia::block_on(async {
            let (a, mut b) = UnixStream::pair()?;
            let a = chronia::net::UnixStream::from_std(a)?;
            let writer = std::thread::spawn(move || {
                let chunk = vec![1u8; 64 * 1024];
                // Ends when the reader drops its end (EPIPE; Rust ignores
                // SIGPIPE).
                while b.write_all(&chunk).is_ok() {}
            });
            let woke = Rc::new(Cell::new(None));
            let start = Instant::now();
            let sleeper = chronia::spawn({
                let woke = Rc::clone(&woke);
                async move {
                    sleep(Duration::from_millis(10)).await;
                    woke.set(Some(start.elapsed()));
                }
            });
            // One byte per read: the peer's thread refills the buffer far
            // faster than it drains, so every read finds data.
            let mut buf = [0; 1];
            let mut bytes = 0u64;
            while woke.get().is_none() && start.elapsed() < Duration::from_secs(5) {
                bytes += a.read(&mut buf).await? as u64;
            }
            drop(a);
            writer.join().expect("no panic");
            let woke = woke.get().expect("the sleep fired while the reader read");
            assert!(woke >= Duration::from_millis(10), "never early: {woke:?}");
            assert!(woke < Duration::from_secs(2), "late: {woke:?}");
            println!("sleep woke after {woke:?}; {bytes} bytes read meanwhile");
            sleeper.await.expect("no panic");
            Ok::<(), io::Error>(())
        })
    })
    .expect("budget");
}

/// `O_NONBLOCK` of `fd` as `/proc/self/fdinfo` shows it.
fn is_nonblocking(fd: i32) -> bool {
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).expect("fdinfo");
    let flags = info
        .lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .expect("a flags line");
    let flags = u32::from_str_radix(flags.trim(), 8).expect("octal flags");
    flags & 0o4000 != 0
}

#[test]
fn a_failed_async_new_leaves_the_fd_blocking() {
    chronia::block_on(async {
        let null = std::fs::File::open("/dev/null").expect("/dev/null");
        let fd = null.as_raw_fd();
        assert!(!is_nonblocking(fd));
        // epoll refuses /dev/null (it cannot be polled): EPERM.
        let err = Async::new(null.try_clone().expect("dup")).expect_err("EPERM");
        assert_eq!(err.raw_os_error(), Some(libc::EPERM), "{err}");
        assert!(
            !is_nonblocking(fd),
            "the failed Async::new left O_NONBLOCK set"
        );
    });
}
