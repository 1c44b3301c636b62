//! The README's ecosystem rows for servers, checked end to end on chronia:
//! an axum `Router` served by hyper through hyper-util's
//! `TowerToHyperService`, a WebSocket echo with async-tungstenite over
//! chronia's `TcpStream` (futures-io, no glue), and an h2 server and
//! client over the `tokio-io` feature (no tokio runtime anywhere).

use std::net::SocketAddr;

use bytes::Bytes;
use chronia::compat::hyper::{Io, Timer};
use chronia::net::{TcpListener, TcpStream};
use futures_lite::StreamExt;
use http_body_util::{BodyExt, Full};

/// Binds a local port and runs `serve` on every accepted connection, each
/// in its own task.
async fn listen<F, Fut>(serve: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(chronia::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.expect("accept");
            drop(chronia::spawn(serve(stream)));
        }
    }));
    addr
}

fn router() -> axum::Router {
    use axum::extract::Path;
    use axum::routing::{get, post};

    axum::Router::new()
        .route("/", get(|| async { "hello from axum" }))
        .route(
            "/greet/{name}",
            get(|Path(name): Path<String>| async move { format!("hello, {name}") }),
        )
        .route("/echo", post(|body: String| async move { body }))
}

#[test]
fn an_axum_router_answers_through_tower_to_hyper_service() {
    chronia::block_on(async {
        let addr = listen(|stream| async move {
            let service = hyper_util::service::TowerToHyperService::new(router());
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(Timer::new())
                .keep_alive(true)
                .serve_connection(Io::new(stream), service)
                .await;
        })
        .await;
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (mut sender, conn) = hyper::client::conn::http1::handshake(Io::new(stream))
            .await
            .expect("handshake");
        drop(chronia::spawn(conn));
        // One keep-alive connection: each route, then a miss.
        let cases = [
            ("GET", "/", "", 200, "hello from axum"),
            ("GET", "/greet/chronia", "", 200, "hello, chronia"),
            ("POST", "/echo", "a body for axum", 200, "a body for axum"),
            ("GET", "/nowhere", "", 404, ""),
        ];
        for (method, path, body, status, expected) in cases {
            let req = hyper::Request::builder()
                .method(method)
                .uri(path)
                .header("host", "t")
                .header("content-type", "text/plain")
                .body(Full::new(Bytes::from(body)))
                .expect("request");
            let res = sender.send_request(req).await.expect("response");
            assert_eq!(res.status().as_u16(), status, "{method} {path}");
            let got = res.into_body().collect().await.expect("body").to_bytes();
            assert_eq!(got, expected, "{method} {path}");
        }
    });
}

#[test]
fn async_tungstenite_echoes_websocket_messages_over_a_chronia_tcp_stream() {
    use async_tungstenite::tungstenite::Message;

    chronia::block_on(async {
        let addr = listen(|stream| async move {
            let mut ws = async_tungstenite::accept_async(stream)
                .await
                .expect("server handshake");
            while let Some(message) = ws.next().await {
                let message = message.expect("a frame");
                if message.is_text() || message.is_binary() {
                    ws.send(message).await.expect("echo");
                }
                // A close is answered by tungstenite itself; the stream
                // then ends.
            }
        })
        .await;
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (mut ws, response) = async_tungstenite::client_async(format!("ws://{addr}/"), stream)
            .await
            .expect("client handshake");
        assert_eq!(response.status().as_u16(), 101);
        let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let sent = [
            Message::text("hello, websocket"),
            Message::binary(big),
            Message::text("again"),
        ];
        for message in &sent {
            ws.send(message.clone()).await.expect("send");
            let echoed = ws.next().await.expect("an echo").expect("a frame");
            assert_eq!(&echoed, message);
        }
        ws.close(None).await.expect("close");
        // The server's close frame, then the end of the stream.
        while let Some(frame) = ws.next().await {
            let frame = frame.expect("a frame");
            assert!(frame.is_close(), "only the close follows: {frame:?}");
        }
    });
}

/// An h2 server: answers each request with "h2 echo: " and its body.
async fn h2_echo_server(stream: TcpStream) {
    let mut conn = h2::server::handshake(stream)
        .await
        .expect("server handshake");
    while let Some(request) = conn.accept().await {
        let (request, mut respond) = request.expect("a request");
        drop(chronia::spawn(async move {
            let mut got = Vec::from(&b"h2 echo: "[..]);
            got.extend(read_h2_body(request.into_body()).await);
            let response = http::Response::new(());
            let mut send = respond.send_response(response, false).expect("head");
            send.send_data(Bytes::from(got), true).expect("data");
        }));
    }
}

/// Reads an h2 body to its end, giving the flow-control capacity back.
async fn read_h2_body(mut body: h2::RecvStream) -> Vec<u8> {
    let mut got = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.expect("a data frame");
        body.flow_control()
            .release_capacity(chunk.len())
            .expect("capacity");
        got.extend_from_slice(&chunk);
    }
    got
}

#[test]
fn an_h2_server_serves_an_h2_client_through_the_tokio_io_feature() {
    chronia::block_on(async {
        let addr = listen(h2_echo_server).await;
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (client, conn) = h2::client::handshake(stream)
            .await
            .expect("client handshake");
        drop(chronia::spawn(async move {
            let _ = conn.await;
        }));
        // Two streams at once on the one connection.
        let mut responses = Vec::new();
        for i in 0..2 {
            let mut client = client.clone().ready().await.expect("ready");
            let request = http::Request::post(format!("http://{addr}/"))
                .body(())
                .expect("request");
            let (response, mut send) = client.send_request(request, false).expect("send");
            send.send_data(Bytes::from(format!("stream {i}")), true)
                .expect("body");
            responses.push(response);
        }
        for (i, response) in responses.into_iter().enumerate() {
            let response = response.await.expect("a response");
            assert_eq!(response.status().as_u16(), 200);
            assert_eq!(response.version(), http::Version::HTTP_2);
            let got = read_h2_body(response.into_body()).await;
            assert_eq!(got, format!("h2 echo: stream {i}").as_bytes());
        }
    });
}
