//! The hyper glue (`compat::hyper`) against hyper's own client and raw
//! sockets: keep-alive, pipelining, 1 MiB bodies both ways, chunked
//! encoding, and a stalled half request closed at the header timeout.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chronia::compat::hyper::{Executor, Io, Timer};
use chronia::net::{TcpListener, TcpStream};
use futures_lite::AsyncReadExt;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};

type Body = UnsyncBoxBody<Bytes, hyper::Error>;

/// GET: "hello"; POST: the request body, streamed back (chunked).
async fn handle(req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let body = if req.method() == hyper::Method::POST {
        req.into_body().boxed_unsync()
    } else {
        Full::new(Bytes::from_static(b"hello"))
            .map_err(|never| match never {})
            .boxed_unsync()
    };
    Ok(Response::new(body))
}

/// Serves HTTP/1.1 on a local port with the given header timeout.
async fn serve(header_timeout: Duration) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(chronia::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.expect("accept");
            drop(chronia::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(Timer::new())
                    .header_read_timeout(header_timeout)
                    .keep_alive(true)
                    .serve_connection(Io::new(stream), hyper::service::service_fn(handle))
                    .await;
            }));
        }
    }));
    addr
}

async fn client(addr: SocketAddr) -> hyper::client::conn::http1::SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (sender, conn) = hyper::client::conn::http1::handshake(Io::new(stream))
        .await
        .expect("handshake");
    drop(chronia::spawn(conn));
    sender
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    chronia::block_on(async {
        let addr = serve(Duration::from_secs(10)).await;
        let mut sender = client(addr).await;
        for _ in 0..20 {
            sender.ready().await.expect("the connection stays open");
            let req = Request::get("/").body(Full::default()).expect("request");
            let res = sender.send_request(req).await.expect("response");
            assert_eq!(res.status(), 200);
            let body = res.into_body().collect().await.expect("body").to_bytes();
            assert_eq!(&body[..], b"hello");
        }
    });
}

#[test]
fn one_mebibyte_goes_both_ways() {
    chronia::block_on(async {
        let addr = serve(Duration::from_secs(10)).await;
        let mut sender = client(addr).await;
        let payload: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
        for _ in 0..2 {
            sender.ready().await.expect("ready");
            let req = Request::post("/echo")
                .body(Full::new(Bytes::from(payload.clone())))
                .expect("request");
            let res = sender.send_request(req).await.expect("response");
            assert_eq!(res.status(), 200);
            let body = res.into_body().collect().await.expect("body").to_bytes();
            assert_eq!(body.len(), payload.len());
            assert!(body[..] == payload[..], "the echo differs");
        }
    });
}

/// Reads from `stream` until `buf` holds `count` copies of `needle`.
async fn read_until_count(stream: &mut TcpStream, needle: &[u8], count: usize) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while buf.windows(needle.len()).filter(|w| *w == needle).count() < count {
        let n = stream.read(&mut chunk).await.expect("read");
        assert!(
            n > 0,
            "closed early; got {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    }
    buf
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    chronia::block_on(async {
        let addr = serve(Duration::from_secs(10)).await;
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let mut requests = Vec::new();
        for i in 0..5 {
            requests.extend_from_slice(
                format!("POST /{i} HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nr{i}!")
                    .as_bytes(),
            );
        }
        stream.write_all(&requests).await.expect("write");
        let got = read_until_count(&mut stream, b"!", 5).await;
        let text = String::from_utf8_lossy(&got);
        assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 5, "{text}");
        let order: Vec<usize> = (0..5)
            .map(|i| text.find(&format!("r{i}!")).expect("each body echoed"))
            .collect();
        assert!(
            order.windows(2).all(|w| w[0] < w[1]),
            "out of order: {text}"
        );
    });
}

#[test]
fn chunked_request_body_is_decoded_and_echoed_chunked() {
    chronia::block_on(async {
        let addr = serve(Duration::from_secs(10)).await;
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(
                b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
                  5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n",
            )
            .await
            .expect("write");
        let got = read_until_count(&mut stream, b"0\r\n\r\n", 1).await;
        let text = String::from_utf8_lossy(&got).to_ascii_lowercase();
        assert!(text.starts_with("http/1.1 200 ok"), "{text}");
        assert!(text.contains("transfer-encoding: chunked"), "{text}");
        let body = &text[text.find("\r\n\r\n").expect("head") + 4..];
        let decoded: String = body
            .split("\r\n")
            .collect::<Vec<_>>()
            .chunks(2)
            .filter_map(|c| c.get(1).copied())
            .collect();
        assert_eq!(decoded, "hello, world", "{body:?}");
    });
}

#[test]
fn a_client_that_stalls_mid_header_is_closed_at_the_header_timeout() {
    chronia::block_on(async {
        let timeout = Duration::from_millis(300);
        let addr = serve(timeout).await;
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let start = Instant::now();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: t\r\n")
            .await
            .expect("write half a request");
        let mut buf = Vec::new();
        let read = chronia::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buf))
            .await
            .expect("the server closes the connection; before the timer, it never did");
        let took = start.elapsed();
        // hyper answers 408 or just closes; either way the connection ends.
        let _ = read;
        assert!(took >= timeout, "closed before the timeout: {took:?}");
        let text = String::from_utf8_lossy(&buf);
        assert!(
            text.is_empty() || text.starts_with("HTTP/1.1 408"),
            "{text}"
        );
    });
}

#[test]
fn http2_runs_on_the_local_executor() {
    chronia::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(chronia::spawn(async move {
            let (stream, _) = listener.accept().await.expect("accept");
            let _ = hyper::server::conn::http2::Builder::new(Executor::new())
                .timer(Timer::new())
                .serve_connection(Io::new(stream), hyper::service::service_fn(handle))
                .await;
        }));
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (mut sender, conn) =
            hyper::client::conn::http2::handshake(Executor::new(), Io::new(stream))
                .await
                .expect("handshake");
        drop(chronia::spawn(conn));
        for i in 0..3 {
            let req = Request::post("/")
                .body(Full::new(Bytes::from(format!("h2 #{i}"))))
                .expect("request");
            let res = sender.send_request(req).await.expect("response");
            assert_eq!(res.version(), hyper::Version::HTTP_2);
            let body = res.into_body().collect().await.expect("body").to_bytes();
            assert_eq!(body, format!("h2 #{i}"));
        }
    });
}

#[test]
fn the_glue_works_over_unix_streams() {
    chronia::block_on(async {
        let (a, b) = chronia::net::UnixStream::pair().expect("pair");
        drop(chronia::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(Io::new(a), hyper::service::service_fn(handle))
                .await;
        }));
        let (mut sender, conn) = hyper::client::conn::http1::handshake(Io::new(b))
            .await
            .expect("handshake");
        drop(chronia::spawn(conn));
        let req = Request::post("/")
            .body(Full::new(Bytes::from_static(b"over unix")))
            .expect("request");
        let res = sender.send_request(req).await.expect("response");
        let body = res.into_body().collect().await.expect("body").to_bytes();
        assert_eq!(&body[..], b"over unix");
    });
}
