//! A TLS echo server and client with futures-rustls on chronia: chronia's
//! streams are `futures_io` streams, so futures-rustls needs no glue.
//!
//! The server makes a self-signed certificate for `localhost` at start
//! (rcgen), writes it (DER) to a file for clients to trust, and echoes
//! every connection until the client closes; SIGINT or SIGTERM stops it.
//! rustls runs on the `ring` provider.
//!
//! ```text
//! cargo run --example tls_echo -- server [ADDR] [CERT_FILE]   # default 127.0.0.1:7443, ./tls_echo.der
//! cargo run --example tls_echo -- client ADDR CERT_FILE MESSAGE
//! ```

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;

use chronia::net::{TcpListener, TcpStream};
use futures_lite::{AsyncReadExt, AsyncWriteExt, FutureExt};
use futures_rustls::{TlsAcceptor, TlsConnector};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("server") => {
            let addr = args.get(1).map_or("127.0.0.1:7443", String::as_str);
            let cert = args
                .get(2)
                .map_or_else(|| PathBuf::from("tls_echo.der"), PathBuf::from);
            chronia::block_on(server(addr, cert))
        }
        Some("client") if args.len() == 4 => {
            chronia::block_on(client(&args[1], PathBuf::from(&args[2]), &args[3]))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "usage: tls_echo server [ADDR] [CERT_FILE] | tls_echo client ADDR CERT_FILE MESSAGE",
        )),
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

async fn server(addr: &str, cert_file: PathBuf) -> io::Result<()> {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".into()]).map_err(io::Error::other)?;
    std::fs::write(&cert_file, cert.cert.der())?;
    let key = PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .map_err(io::Error::other)?;
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind(addr).await?;
    say(&format!(
        "listening on {} cert {}",
        listener.local_addr()?,
        cert_file.display()
    ));
    let accept = async {
        loop {
            let (stream, peer) = listener.accept().await?;
            let acceptor = acceptor.clone();
            drop(chronia::spawn(async move {
                if let Err(e) = echo(&acceptor, stream).await {
                    eprintln!("{peer}: {e}");
                }
            }));
        }
    };
    let stop = async {
        let mut int = chronia::signal::signal(chronia::signal::SIGINT)?;
        let mut term = chronia::signal::signal(chronia::signal::SIGTERM)?;
        int.recv().or(term.recv()).await;
        say("signal: bye");
        Ok(())
    };
    accept.or(stop).await
}

async fn echo(acceptor: &TlsAcceptor, stream: TcpStream) -> io::Result<()> {
    let tls = acceptor.accept(stream).await?;
    let (mut r, mut w) = futures_lite::io::split(tls);
    futures_lite::io::copy(&mut r, &mut w).await?;
    w.close().await
}

async fn client(addr: &str, cert_file: PathBuf, message: &str) -> io::Result<()> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(std::fs::read(&cert_file)?))
        .map_err(io::Error::other)?;
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = TlsConnector::from(Arc::new(config));
    let stream = TcpStream::connect(addr).await?;
    let name = ServerName::try_from("localhost").map_err(io::Error::other)?;
    let mut tls = connector.connect(name, stream).await?;
    tls.write_all(message.as_bytes()).await?;
    tls.flush().await?;
    let mut back = vec![0; message.len()];
    tls.read_exact(&mut back).await?;
    tls.close().await?;
    say(&format!("echoed: {}", String::from_utf8_lossy(&back)));
    Ok(())
}

/// Prints a line and flushes, so that a supervisor (or a test) sees it now.
fn say(line: &str) {
    let mut stdout = io::stdout();
    // Nothing useful to do if stdout is gone.
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}
