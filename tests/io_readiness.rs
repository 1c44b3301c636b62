//! Readiness of real fds through the facade: `chronia::io::readable` and
//! `writable` on pipes and socketpairs (hang-ups included), `Async` with
//! `read_with`/`write_with`, the futures-io traits used generically, a
//! large transfer, and the errors for bad fds.

use std::fs::File;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::pin::Pin;

use chronia::io::{Async, readable, writable};
use chronia::time::{Duration, sleep, timeout};
use futures_io::{AsyncRead, AsyncWrite};

mod util;

/// Generous bound for anything that should be prompt ([`util::limit`]:
/// 10 s, longer under valgrind).
fn limit() -> Duration {
    util::limit()
}
/// How long "does not complete" is watched.
const NOT_YET: Duration = Duration::from_millis(20);

/// Runs `future` on a new runtime, failing if it takes longer than [`limit`].
fn run<T>(future: impl Future<Output = T>) -> T {
    chronia::block_on(async {
        timeout(limit(), future)
            .await
            .expect("the test hung: a wake was lost")
    })
}

fn pair() -> (UnixStream, UnixStream) {
    UnixStream::pair().expect("socketpair")
}

/// Fills the socket's send buffer; returns how many bytes it took.
fn fill(s: &UnixStream) -> usize {
    s.set_nonblocking(true).expect("O_NONBLOCK");
    let chunk = vec![0u8; 64 * 1024];
    let mut total = 0;
    loop {
        match (&*s).write(&chunk) {
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return total,
            Err(e) => panic!("write while filling: {e}"),
        }
    }
}

async fn write_all<W: AsyncWrite + Unpin>(w: &mut W, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        let n = poll_fn(|cx| Pin::new(&mut *w).poll_write(cx, buf)).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n..];
    }
    Ok(())
}

async fn read_to_end<R: AsyncRead + Unpin>(r: &mut R, out: &mut Vec<u8>) -> io::Result<usize> {
    let mut buf = vec![0u8; 64 * 1024];
    let start = out.len();
    loop {
        let n = poll_fn(|cx| Pin::new(&mut *r).poll_read(cx, &mut buf)).await?;
        if n == 0 {
            return Ok(out.len() - start);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Copies `reader` to `writer` until end of file; returns the byte count.
async fn copy<R, W>(reader: &mut R, writer: &mut W) -> io::Result<u64>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; 16 * 1024];
    let mut total = 0u64;
    loop {
        let n = poll_fn(|cx| Pin::new(&mut *reader).poll_read(cx, &mut buf)).await?;
        if n == 0 {
            poll_fn(|cx| Pin::new(&mut *writer).poll_flush(cx)).await?;
            return Ok(total);
        }
        write_all(writer, &buf[..n]).await?;
        total += u64::try_from(n).expect("a read fits in u64");
    }
}

/// Deterministic, non-repeating-per-chunk test data.
fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from((i * 7 + i / 4099) % 251).expect("below 251"))
        .collect()
}

#[test]
fn readable_on_a_socketpair_waits_for_data() {
    run(async {
        let (mut a, b) = pair();
        assert!(
            timeout(NOT_YET, readable(&b)).await.is_err(),
            "readable with nothing to read"
        );
        a.write_all(b"x").expect("write");
        readable(&b).await.expect("readable");
        let mut buf = [0u8; 1];
        (&b).read_exact(&mut buf).expect("read");
        assert_eq!(&buf, b"x");
    });
}

#[test]
fn readable_on_a_pipe_completes_when_another_task_writes() {
    run(async {
        let (reader, mut writer) = io::pipe().expect("pipe");
        let task = chronia::spawn(async move {
            sleep(Duration::from_millis(5)).await;
            writer.write_all(b"hello").expect("write");
            writer
        });
        readable(&reader).await.expect("readable");
        let mut buf = [0u8; 5];
        (&reader).read_exact(&mut buf).expect("read");
        assert_eq!(&buf, b"hello");
        drop(task.await.expect("no panic"));
    });
}

#[test]
fn readable_twice_on_the_same_fd_registers_it_afresh() {
    run(async {
        let (mut a, b) = pair();
        a.write_all(b"ab").expect("write");
        readable(&b).await.expect("first wait");
        readable(&b)
            .await
            .expect("second wait: the first one deregistered");
    });
}

#[test]
fn writable_on_a_fresh_socket_and_pipe_completes_at_once() {
    run(async {
        let (a, _b) = pair();
        timeout(Duration::from_secs(1), writable(&a))
            .await
            .expect("prompt")
            .expect("writable");
        let (_reader, writer) = io::pipe().expect("pipe");
        timeout(Duration::from_secs(1), writable(&writer))
            .await
            .expect("prompt")
            .expect("writable");
    });
}

#[test]
fn writable_waits_until_the_peer_makes_room() {
    run(async {
        let (a, mut b) = pair();
        let filled = fill(&a);
        assert!(filled > 0);
        assert!(
            timeout(NOT_YET, writable(&a)).await.is_err(),
            "writable with a full send buffer"
        );
        let drain = chronia::spawn(async move {
            sleep(Duration::from_millis(5)).await;
            let mut buf = vec![0u8; filled];
            b.read_exact(&mut buf).expect("read what was written");
            b
        });
        writable(&a).await.expect("writable");
        assert!((&a).write(b"more").expect("room now") > 0);
        drop(drain.await.expect("no panic"));
    });
}

#[test]
fn readable_completes_when_the_socket_peer_hangs_up_and_read_returns_zero() {
    run(async {
        let (a, b) = pair();
        let closer = chronia::spawn(async move {
            sleep(Duration::from_millis(5)).await;
            drop(a);
        });
        readable(&b).await.expect("hang-up makes it readable");
        assert_eq!((&b).read(&mut [0u8; 8]).expect("read"), 0, "end of file");
        closer.await.expect("no panic");
    });
}

#[test]
fn readable_completes_when_the_pipe_writer_closes_and_read_returns_zero() {
    run(async {
        let (reader, writer) = io::pipe().expect("pipe");
        let closer = chronia::spawn(async move {
            sleep(Duration::from_millis(5)).await;
            drop(writer);
        });
        readable(&reader).await.expect("hang-up makes it readable");
        assert_eq!((&reader).read(&mut [0u8; 8]).expect("read"), 0);
        closer.await.expect("no panic");
    });
}

#[test]
fn writable_completes_when_the_pipe_reader_closes_and_write_reports_broken_pipe() {
    run(async {
        let (reader, writer) = io::pipe().expect("pipe");
        // Async::new makes the writer non-blocking; fill the pipe so that
        // only the reader's close can make it writable.
        let writer = Async::new(writer).expect("a pipe can be registered");
        let chunk = vec![0u8; 65_536];
        loop {
            match writer.get_ref().write(&chunk) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("filling the pipe: {e}"),
            }
        }
        let writer = writer.into_inner();
        assert!(timeout(NOT_YET, writable(&writer)).await.is_err());
        let closer = chronia::spawn(async move {
            sleep(Duration::from_millis(5)).await;
            drop(reader);
        });
        writable(&writer)
            .await
            .expect("the reader's close wakes the writer");
        let err = (&writer).write(b"x").expect_err("nobody reads");
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        closer.await.expect("no panic");
    });
}

#[test]
fn readable_on_an_fd_owned_by_an_async_is_already_exists() {
    run(async {
        let (a, _b) = pair();
        let a = Async::new(a).expect("register");
        let err = readable(&a).await.expect_err("the Async owns the fd");
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        let err = writable(a.get_ref())
            .await
            .expect_err("the Async owns the fd");
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        // The Async still works after the refused waits.
        a.writable().await.expect("writable");
        // And once it gives the fd back, the one-off waits accept it.
        let a = a.into_inner();
        writable(&a).await.expect("deregistered by into_inner");
    });
}

#[test]
fn a_second_async_on_the_same_fd_is_already_exists() {
    run(async {
        let (a, _b) = pair();
        let first = Async::new(a.as_fd()).expect("register");
        let err = Async::new(a.as_fd()).expect_err("registered already");
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        // A dup is another fd number, so it is a separate registration.
        let _dup = Async::new(a.try_clone().expect("dup")).expect("a dup is another fd");
        drop(first);
        let _again = Async::new(a.as_fd()).expect("free again once the first is dropped");
    });
}

#[test]
fn a_regular_file_gives_eperm_not_a_panic() {
    run(async {
        let file = File::open(std::env::current_exe().expect("test binary path")).expect("open");
        let err = readable(&file)
            .await
            .expect_err("epoll refuses regular files");
        assert_eq!(err.raw_os_error(), Some(libc::EPERM), "{err}");
        let err = writable(&file)
            .await
            .expect_err("epoll refuses regular files");
        assert_eq!(err.raw_os_error(), Some(libc::EPERM), "{err}");
        let err = Async::new(file).expect_err("epoll refuses regular files");
        assert_eq!(err.raw_os_error(), Some(libc::EPERM), "{err}");
    });
}

#[test]
fn async_read_with_and_write_with_round_trip() {
    run(async {
        let (a, b) = pair();
        let (a, b) = (Async::new(a).expect("a"), Async::new(b).expect("b"));
        // The reader starts first and must wait for the writer.
        let reader = chronia::spawn(async move {
            let mut buf = [0u8; 4];
            let n = b.read_with(|s| (&*s).read(&mut buf)).await.expect("read");
            (n, buf)
        });
        sleep(Duration::from_millis(5)).await;
        assert!(!reader.is_finished(), "read before anything was written");
        let n = a.write_with(|s| (&*s).write(b"ping")).await.expect("write");
        assert_eq!(n, 4);
        let (n, buf) = reader.await.expect("no panic");
        assert_eq!(&buf[..n], &b"ping"[..n]);
        assert!(n > 0);
    });
}

#[test]
fn async_read_with_mut_and_write_with_mut_round_trip() {
    run(async {
        let (a, b) = pair();
        let (mut a, mut b) = (Async::new(a).expect("a"), Async::new(b).expect("b"));
        a.write_with_mut(|s| s.write_all(b"mut"))
            .await
            .expect("write");
        let mut buf = [0u8; 3];
        b.read_with_mut(|s| s.read_exact(&mut buf))
            .await
            .expect("read");
        assert_eq!(&buf, b"mut");
    });
}

#[test]
fn async_read_with_returns_zero_after_the_peer_hangs_up() {
    run(async {
        let (a, b) = pair();
        let b = Async::new(b).expect("b");
        let reader =
            chronia::spawn(async move { b.read_with(|s| (&*s).read(&mut [0u8; 8])).await });
        sleep(Duration::from_millis(5)).await;
        drop(a);
        assert_eq!(reader.await.expect("no panic").expect("read"), 0);
    });
}

#[test]
fn end_of_file_reported_with_the_last_data_is_not_lost() {
    // The hang-up comes in the same edge-triggered report as the last
    // bytes; a short read drains the bytes but not the end of file, so the
    // next read must still run (and return 0) rather than wait for an edge
    // that never comes.
    run(async {
        let (mut a, b) = pair();
        let mut b = Async::new(b).expect("b");
        sleep(Duration::from_millis(1)).await; // the runtime takes the first report
        a.write_all(b"last").expect("write");
        drop(a);
        sleep(Duration::from_millis(1)).await; // and the data-and-hang-up one
        let mut buf = [0u8; 64];
        let n = poll_fn(|cx| Pin::new(&mut b).poll_read(cx, &mut buf))
            .await
            .expect("read");
        assert_eq!(&buf[..n], b"last");
        let eof = timeout(
            Duration::from_secs(1),
            poll_fn(|cx| Pin::new(&mut b).poll_read(cx, &mut buf)),
        )
        .await
        .expect("the end of file was lost: the read waits for an edge that never comes");
        assert_eq!(eof.expect("read"), 0);
    });
}

#[test]
fn futures_io_traits_work_through_a_generic_copy() {
    run(async {
        let data = pattern(1 << 20);
        let (p1a, p1b) = pair();
        let (p2a, p2b) = pair();
        let mut source = Async::new(p1a).expect("p1a");
        let mut relay_in = Async::new(p1b).expect("p1b");
        let mut relay_out = Async::new(p2a).expect("p2a");
        let mut sink = Async::new(p2b).expect("p2b");

        let sent = data.clone();
        let producer = chronia::spawn(async move {
            write_all(&mut source, &sent).await.expect("produce");
            // Dropping `source` closes it: the relay sees end of file.
        });
        let relay = chronia::spawn(async move {
            let n = copy(&mut relay_in, &mut relay_out).await.expect("copy");
            drop(relay_out);
            n
        });
        let mut got = Vec::new();
        read_to_end(&mut sink, &mut got).await.expect("consume");
        producer.await.expect("no panic");
        assert_eq!(
            relay.await.expect("no panic"),
            u64::try_from(data.len()).expect("fits")
        );
        assert!(got == data, "the relayed bytes differ from the sent ones");
    });
}

#[test]
fn futures_io_traits_work_on_a_shared_reference() {
    run(async {
        let (a, b) = pair();
        let (a, b) = (Async::new(a).expect("a"), Async::new(b).expect("b"));
        write_all(&mut &a, b"by ref").await.expect("write");
        drop(a);
        let mut got = Vec::new();
        read_to_end(&mut &b, &mut got).await.expect("read");
        assert_eq!(got, b"by ref");
    });
}

#[test]
fn eight_mib_through_a_socketpair_between_two_tasks_arrive_intact() {
    run(async {
        // 8 MiB, 512 KiB under valgrind (still many socket buffers' worth).
        let len = util::scaled_for_valgrind(8 << 20, 16);
        let data = pattern(len);
        let (a, b) = pair();
        let (mut a, mut b) = (Async::new(a).expect("a"), Async::new(b).expect("b"));
        let sent = data.clone();
        let writer = chronia::spawn(async move {
            // Uneven chunks, so writes end at every possible offset.
            let mut rest = &sent[..];
            let mut chunk = 1;
            while !rest.is_empty() {
                let n = chunk.min(rest.len());
                write_all(&mut a, &rest[..n]).await.expect("write");
                rest = &rest[n..];
                chunk = chunk * 3 % 200_003 + 1;
            }
        });
        let reader = chronia::spawn(async move {
            let mut got = Vec::with_capacity(len);
            read_to_end(&mut b, &mut got).await.expect("read");
            got
        });
        writer.await.expect("no panic");
        let got = reader.await.expect("no panic");
        assert_eq!(got.len(), len);
        assert!(got == data, "the received bytes differ from the sent ones");
    });
}

/// A `SOCK_SEQPACKET` pair: each read returns one message, however many are
/// queued. `socketpair` has no std wrapper for this type.
#[allow(
    unsafe_code,
    reason = "socketpair has no std wrapper for SOCK_SEQPACKET"
)]
fn seqpacket_pair() -> (File, File) {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: `fds` is two writable ints that live across the call.
    let rc = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    assert_eq!(rc, 0, "{}", io::Error::last_os_error());
    // SAFETY: both fds were just created and are owned by nobody else.
    let a = unsafe { File::from_raw_fd(fds[0]) };
    // SAFETY: as above.
    let b = unsafe { File::from_raw_fd(fds[1]) };
    (a, b)
}

#[test]
fn a_message_per_read_fd_is_read_to_the_last_message() {
    // The generic `AsyncRead` of `Async` must not take a short read for
    // "drained": here the second message is still queued after the first
    // short read, and no new edge would come for it.
    chronia::block_on(async {
        let (a, mut b) = seqpacket_pair();
        let mut a = Async::new(a)?;
        let reader = async move {
            let mut buf = [0; 64];
            let n = poll_fn(|cx| Pin::new(&mut a).poll_read(cx, &mut buf)).await?;
            let first = buf[..n].to_vec();
            let n = poll_fn(|cx| Pin::new(&mut a).poll_read(cx, &mut buf)).await?;
            Ok::<_, io::Error>((first, buf[..n].to_vec()))
        };
        let writer = async {
            // Let the reader wait first, so the messages come as one edge.
            sleep(Duration::from_millis(20)).await;
            b.write_all(b"first")?;
            b.write_all(b"second")?;
            Ok::<_, io::Error>(())
        };
        let reader = chronia::spawn(async move { timeout(Duration::from_secs(5), reader).await });
        writer.await?;
        let (first, second) = reader.await.expect("no panic").expect("no hang")?;
        assert_eq!(first, b"first");
        assert_eq!(second, b"second");
        Ok::<(), io::Error>(())
    })
    .expect("round trip");
}

#[test]
fn cancelled_waits_do_not_pile_up_wakers() {
    use std::sync::Arc;
    use std::task::{Context, Wake, Waker};
    struct Counted;
    impl Wake for Counted {
        fn wake(self: Arc<Self>) {}
    }
    chronia::block_on(async {
        let (a, _b) = UnixStream::pair()?;
        let a = Async::new(a)?;
        let mut probes = Vec::new();
        for i in 0..10_000 {
            if i % 100 == 0 {
                // A fresh cooperative budget: without it the reads below
                // would stop at `coop` and never reach the waiter lists.
                chronia::task::yield_now().await;
            }
            let probe = Arc::new(Counted);
            let waker = Waker::from(probe.clone());
            let mut cx = Context::from_waker(&waker);
            let mut buf = [0; 8];
            let mut read = std::pin::pin!(a.read_with(|s| (&*s).read(&mut buf)));
            assert!(read.as_mut().poll(&mut cx).is_pending(), "nothing to read");
            probes.push(probe);
        }
        // Each probe is held here once; more means the driver still holds it.
        let held = probes.iter().filter(|p| Arc::strong_count(p) > 1).count();
        assert!(
            held <= 64,
            "{held} wakers of cancelled reads are still held"
        );
        Ok::<(), io::Error>(())
    })
    .expect("round trip");
}
