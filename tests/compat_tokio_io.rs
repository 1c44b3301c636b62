//! tokio's I/O traits on chronia's streams and child pipes (feature
//! `tokio-io`): `tokio::io::copy`, and tokio-rustls straight over a
//! chronia `TcpStream`, with no tokio runtime.

use std::sync::Arc;

use chronia::net::{TcpListener, TcpStream, UnixStream};
use chronia::process::{Command, Stdio};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

fn payload() -> Vec<u8> {
    (0..300_000u32).map(|i| (i % 253) as u8).collect()
}

/// Echoes `stream` back to itself with `tokio::io::copy`, then shuts down.
async fn echo<S: AsyncRead + AsyncWrite + Unpin>(stream: S) -> u64 {
    let (mut r, mut w) = tokio::io::split(stream);
    let n = tokio::io::copy(&mut r, &mut w).await.expect("copy");
    w.shutdown().await.expect("shutdown");
    n
}

/// Sends `data` through `stream` and reads back all it returns.
async fn round_trip<S: AsyncRead + AsyncWrite + Unpin + 'static>(
    stream: S,
    data: Vec<u8>,
) -> Vec<u8> {
    let (mut r, mut w) = tokio::io::split(stream);
    let writer = chronia::spawn(async move {
        w.write_all(&data).await.expect("write");
        w.shutdown().await.expect("shutdown");
    });
    let mut got = Vec::new();
    r.read_to_end(&mut got).await.expect("read back");
    writer.await.expect("the writer does not panic");
    got
}

#[test]
fn tokio_copy_echoes_over_tcp() {
    chronia::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = chronia::spawn(async move {
            let (stream, _) = listener.accept().await.expect("accept");
            echo(stream).await
        });
        let data = payload();
        let got = round_trip(
            TcpStream::connect(addr).await.expect("connect"),
            data.clone(),
        )
        .await;
        assert!(got == data, "echo differs: {} bytes back", got.len());
        assert_eq!(server.await.expect("no panic"), data.len() as u64);
    });
}

#[test]
fn tokio_copy_echoes_over_unix() {
    chronia::block_on(async {
        let (a, b) = UnixStream::pair().expect("pair");
        let server = chronia::spawn(echo(a));
        let data = payload();
        let got = round_trip(b, data.clone()).await;
        assert!(got == data, "echo differs: {} bytes back", got.len());
        assert_eq!(server.await.expect("no panic"), data.len() as u64);
    });
}

#[test]
fn tokio_copy_through_child_pipes() {
    chronia::block_on(async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("cat");
        let mut stdin = child.stdin.take().expect("piped");
        let mut stdout = child.stdout.take().expect("piped");
        let data = payload();
        let input = data.clone();
        let writer = chronia::spawn(async move {
            tokio::io::copy(&mut &input[..], &mut stdin)
                .await
                .expect("copy in");
            stdin.shutdown().await.expect("close stdin");
        });
        let mut got = Vec::new();
        tokio::io::copy(&mut stdout, &mut got)
            .await
            .expect("copy out");
        writer.await.expect("no panic");
        assert!(got == data, "cat returned {} bytes", got.len());
        assert!(child.wait().await.expect("wait").success());
    });
}

#[test]
fn tokio_rustls_runs_over_a_chronia_tcp_stream() {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("cert");
    let cert_der = cert.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    let server_config = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert_der.clone()], key)
        .expect("server config");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert_der).expect("root");
    let client_config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config));
    chronia::block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = chronia::spawn(async move {
            let (stream, _) = listener.accept().await.expect("accept");
            let tls = acceptor.accept(stream).await.expect("TLS accept");
            echo(tls).await
        });
        let stream = TcpStream::connect(addr).await.expect("connect");
        let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
        let tls = connector.connect(name, stream).await.expect("TLS connect");
        let data = payload();
        let got = round_trip(tls, data.clone()).await;
        assert!(got == data, "TLS echo differs: {} bytes back", got.len());
        assert_eq!(server.await.expect("no panic"), data.len() as u64);
    });
}
