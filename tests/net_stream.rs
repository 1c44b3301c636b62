//! The stream methods tokio users expect, on `TcpStream` and `UnixStream`
//! alike (one implementation): readiness that waits, `try_*` that never
//! waits (on empty, full, half-closed and reset streams), `peek` leaving
//! data in place, split halves used from two tasks and reunited, and a
//! dropped owned write half giving the peer end-of-file.

mod util;

use std::io::{self, ErrorKind, IoSlice, IoSliceMut};
use std::net::Shutdown;
use std::time::Duration;

use chronia::io::Interest;
use chronia::net::{TcpListener, TcpStream, UnixStream};
use chronia::time::timeout;
use futures_lite::io::{AsyncReadExt, AsyncWriteExt};
use util::within;

/// How long "does not complete" is watched.
const NOT_YET: Duration = Duration::from_millis(20);

async fn tcp_pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let a = TcpStream::connect(listener.local_addr()?).await?;
    let (b, _) = listener.accept().await?;
    Ok((a, b))
}

/// Runs `body` on a TCP pair and on a Unix pair.
macro_rules! both {
    ($name:literal, |$a:ident, $b:ident| $body:expr) => {{
        chronia::block_on(within(concat!($name, " (tcp)"), async {
            let ($a, $b) = tcp_pair().await?;
            $body
        }))
        .expect(concat!($name, " (tcp)"));
        chronia::block_on(within(concat!($name, " (unix)"), async {
            let ($a, $b) = UnixStream::pair()?;
            $body
        }))
        .expect(concat!($name, " (unix)"));
    }};
}

fn would_block<T>(res: &io::Result<T>) -> bool {
    matches!(res, Err(e) if e.kind() == ErrorKind::WouldBlock)
}

#[test]
fn try_read_never_waits_and_readable_waits_for_data() {
    both!("empty", |a, b| {
        let mut buf = [0; 8];
        assert!(would_block(&a.try_read(&mut buf)), "nothing sent");
        assert!(
            timeout(NOT_YET, a.readable()).await.is_err(),
            "readable with nothing to read"
        );
        b.write_all(b"abc").await?;
        a.readable().await?;
        assert_eq!(a.try_read(&mut buf)?, 3);
        assert_eq!(&buf[..3], b"abc");
        assert!(would_block(&a.try_read(&mut buf)), "drained");
        assert!(timeout(NOT_YET, a.readable()).await.is_err());
        io::Result::Ok(())
    });
}

#[test]
fn try_write_never_waits_and_writable_waits_for_room() {
    both!("full", |a, b| {
        let chunk = vec![9u8; 64 * 1024];
        let mut sent = 0;
        // TCP may still move queued bytes to the peer after a `WouldBlock`
        // (and make room): fill again until the buffer stays full.
        for attempt in 0.. {
            loop {
                match a.try_write(&chunk) {
                    Ok(n) => sent += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
            if timeout(NOT_YET, a.writable()).await.is_err() {
                break;
            }
            assert!(attempt < 100, "the send buffer never stays full");
        }
        assert!(sent > 0);
        let mut sink = vec![0; sent];
        b.read_exact_all(&mut sink).await?;
        let ready = a.ready(Interest::WRITABLE).await?;
        assert!(ready.is_writable() && !ready.is_readable(), "{ready:?}");
        assert!(a.try_write(b"more")? > 0);
        io::Result::Ok(())
    });
}

#[test]
fn readiness_and_try_read_after_a_half_close_report_end_of_file() {
    both!("half-closed", |a, b| {
        b.shutdown(Shutdown::Write)?;
        a.readable().await?;
        let ready = a.ready(Interest::READABLE | Interest::WRITABLE).await?;
        assert!(ready.is_writable(), "{ready:?}");
        let mut buf = [0; 8];
        assert_eq!(a.try_read(&mut buf)?, 0, "end-of-file, not WouldBlock");
        // The other direction still works.
        assert_eq!(a.try_write(b"back")?, 4);
        assert_eq!(b.read(&mut buf).await?, 4);
        io::Result::Ok(())
    });
}

#[test]
fn try_read_after_a_reset_reports_the_reset() {
    chronia::block_on(within("reset", async {
        let (a, b) = tcp_pair().await?;
        b.set_linger(Some(Duration::ZERO))?;
        drop(b);
        a.readable().await?;
        let err = a.try_read(&mut [0; 8]).expect_err("reset");
        assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
        assert!(a.take_error()?.is_none(), "read took the error already");
        io::Result::Ok(())
    }))
    .expect("reset");
}

#[test]
fn vectored_try_read_and_write_move_every_buffer() {
    both!("vectored", |a, b| {
        let n = a.try_write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cde")])?;
        assert_eq!(n, 5);
        b.readable().await?;
        let (mut x, mut y) = ([0; 2], [0; 8]);
        let n = b.try_read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)])?;
        assert_eq!(n, 5);
        assert_eq!((&x, &y[..3]), (b"ab", &b"cde"[..]));
        io::Result::Ok(())
    });
}

#[test]
fn peek_leaves_the_data_in_place() {
    both!("peek", |a, b| {
        let mut buf = [0; 8];
        assert!(
            timeout(NOT_YET, a.peek(&mut buf)).await.is_err(),
            "peek waits for data"
        );
        b.write_all(b"peek").await?;
        let n = a.peek(&mut buf).await?;
        assert_eq!(&buf[..n], &b"peek"[..n]);
        let n = std::future::poll_fn(|cx| a.poll_peek(cx, &mut buf)).await?;
        assert!(n > 0);
        let mut got = [0; 4];
        a.read_exact_all(&mut got).await?;
        assert_eq!(&got, b"peek", "the peeked bytes are read again");
        io::Result::Ok(())
    });
}

/// `read_exact` through the inherent `read` of either stream type.
trait ReadAll {
    async fn read_exact_all(&self, buf: &mut [u8]) -> io::Result<()>;
}

impl ReadAll for TcpStream {
    async fn read_exact_all(&self, buf: &mut [u8]) -> io::Result<()> {
        (&mut &*self).read_exact(buf).await
    }
}

impl ReadAll for UnixStream {
    async fn read_exact_all(&self, buf: &mut [u8]) -> io::Result<()> {
        (&mut &*self).read_exact(buf).await
    }
}

#[test]
fn owned_halves_work_from_two_tasks_and_reunite() {
    both!("into_split", |a, b| {
        let (mut reader, mut writer) = a.into_split();
        let echo = chronia::spawn(async move {
            let mut buf = [0; 5];
            reader.read_exact(&mut buf).await?;
            Ok::<_, io::Error>((buf, reader))
        });
        let send = chronia::spawn(async move {
            writer.write_all(b"world").await?;
            Ok::<_, io::Error>(writer)
        });
        b.write_all(b"hello").await?;
        let (got, reader) = echo.await.expect("no panic")?;
        assert_eq!(&got, b"hello");
        let writer = send.await.expect("no panic")?;
        let mut buf = [0; 5];
        b.read_exact_all(&mut buf).await?;
        assert_eq!(&buf, b"world");
        let a = reader.reunite(writer).expect("halves of one stream");
        a.write_all(b"!").await?;
        assert_eq!(b.read(&mut buf).await?, 1, "reunited and not shut down");
        io::Result::Ok(())
    });
}

#[test]
fn reuniting_halves_of_two_streams_gives_both_back() {
    chronia::block_on(within("reunite", async {
        let (a, b) = UnixStream::pair()?;
        let (ra, wa) = a.into_split();
        let (rb, wb) = b.into_split();
        let err = ra.reunite(wb).expect_err("different streams");
        assert_eq!(
            err.to_string(),
            "tried to reunite halves that are not from the same socket"
        );
        let chronia::net::split::ReuniteError(ra, wb) = err;
        ra.reunite(wa).expect("same stream");
        rb.reunite(wb).expect("same stream");
        io::Result::Ok(())
    }))
    .expect("reunite");
}

#[test]
fn dropping_the_owned_write_half_gives_the_peer_end_of_file() {
    both!("drop write half", |a, b| {
        let (reader, writer) = a.into_split();
        drop(writer);
        let mut buf = [0; 4];
        assert_eq!(b.read(&mut buf).await?, 0, "end-of-file");
        b.write_all(b"late").await?;
        reader.as_ref().read_exact_all(&mut buf).await?;
        assert_eq!(&buf, b"late", "the read side stays open");
        io::Result::Ok(())
    });
}

#[test]
fn a_forgotten_write_half_leaves_the_stream_open() {
    both!("forget", |a, b| {
        let (reader, writer) = a.into_split();
        writer.forget();
        assert!(timeout(NOT_YET, b.readable()).await.is_err(), "no EOF");
        reader.as_ref().write_all(b"x").await?;
        assert_eq!(b.read(&mut [0; 1]).await?, 1);
        io::Result::Ok(())
    });
}

#[test]
fn borrowed_halves_read_and_write_one_stream() {
    both!("split", |a, b| {
        let mut a = a;
        let (mut reader, mut writer) = a.split();
        writer.write_all(b"ping").await?;
        let mut buf = [0; 4];
        b.read_exact_all(&mut buf).await?;
        b.write_all(b"pong").await?;
        reader.read_exact(&mut buf).await?;
        assert_eq!(&buf, b"pong");
        writer.close().await?;
        assert_eq!(
            b.read(&mut buf).await?,
            0,
            "closing the write half shuts down"
        );
        io::Result::Ok(())
    });
}

#[test]
fn ttl_is_read_back() {
    chronia::block_on(within("ttl", async {
        let (a, _b) = tcp_pair().await?;
        a.set_ttl(17)?;
        assert_eq!(a.ttl()?, 17);
        let err = a.set_ttl(0).expect_err("0 hops");
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        io::Result::Ok(())
    }))
    .expect("ttl");
}

#[test]
fn try_read_buf_appends_into_spare_capacity() {
    both!("try_read_buf", |a, b| {
        let mut buf = Vec::new();
        assert!(would_block(&a.try_read_buf(&mut buf)), "nothing sent");
        assert!(buf.is_empty());
        b.write_all(&[7; 100]).await?;
        a.readable().await?;
        let mut got = 0;
        while got < 100 {
            match a.try_read_buf(&mut buf) {
                Ok(n) => got += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => a.readable().await?,
                Err(e) => return Err(e),
            }
        }
        assert_eq!(buf, vec![7; 100], "appended, grown as needed");
        io::Result::Ok(())
    });
}

/// One `poll_read_uninit` of `a` into a fresh 16-byte buffer.
macro_rules! read_uninit {
    ($a:expr) => {{
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 16];
        std::future::poll_fn(|cx| $a.poll_read_uninit(cx, &mut buf).map_ok(|got| got.to_vec()))
            .await
    }};
}

#[test]
fn uninit_reads_give_data_then_end_of_file() {
    // TCP reads go through recv(2), Unix ones through read(2): the same
    // answers either way.
    both!("uninit", |a, b| {
        b.write_all(b"hello").await?;
        assert_eq!(read_uninit!(a)?, b"hello");
        let mut none: [std::mem::MaybeUninit<u8>; 0] = [];
        let empty =
            std::future::poll_fn(|cx| a.poll_read_uninit(cx, &mut none).map_ok(|g| g.len()));
        assert_eq!(empty.await?, 0, "an empty buffer reads nothing");
        b.write_all(b"more").await?;
        b.shutdown(Shutdown::Write)?;
        assert_eq!(read_uninit!(a)?, b"more", "the data before the end");
        assert_eq!(read_uninit!(a)?, b"", "end-of-file");
        assert_eq!(read_uninit!(a)?, b"", "end-of-file again");
        io::Result::Ok(())
    });
}

#[test]
fn an_uninit_read_after_a_reset_reports_the_reset() {
    chronia::block_on(within("uninit reset", async {
        let (a, b) = tcp_pair().await?;
        b.set_linger(Some(Duration::ZERO))?;
        drop(b);
        let err = read_uninit!(a).expect_err("reset");
        assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
        io::Result::Ok(())
    }))
    .expect("uninit reset");
}
