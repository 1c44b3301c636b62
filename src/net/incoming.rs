//! `incoming()`: a listener's accepted connections as a
//! [`futures_core::Stream`].

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{TcpListener, TcpStream, UnixListener, UnixStream};

/// One accept in flight, kept across polls until it completes.
type Accept<'a, S> = Pin<Box<dyn Future<Output = io::Result<S>> + 'a>>;

/// The connections a [`TcpListener`] accepts, from [`TcpListener::incoming`].
///
/// Yields `Ok(stream)` per connection and `Err(e)` when an accept fails
/// (the stream goes on after an error, as `std`'s `incoming`); never ends.
/// Dropping it between polls loses no connection: one not yet accepted
/// stays in the kernel's queue.
///
/// # Examples
///
/// ```
/// use chronia::net::{TcpListener, TcpStream};
/// use futures_lite::StreamExt;
///
/// chronia::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let _client = TcpStream::connect(listener.local_addr()?).await?;
///     let mut incoming = listener.incoming();
///     let _server_side = incoming.next().await.expect("never ends")?;
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpIncoming<'a> {
    listener: &'a TcpListener,
    accept: Option<Accept<'a, TcpStream>>,
}

impl TcpListener {
    /// The connections this listener accepts, as a stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::{TcpListener, TcpStream};
    /// use futures_lite::StreamExt;
    ///
    /// chronia::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     let _clients = (TcpStream::connect(addr).await?, TcpStream::connect(addr).await?);
    ///     let two: Vec<_> = listener.incoming().take(2).collect().await;
    ///     assert!(two.iter().all(Result::is_ok));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn incoming(&self) -> TcpIncoming<'_> {
        TcpIncoming {
            listener: self,
            accept: None,
        }
    }
}

impl futures_core::Stream for TcpIncoming<'_> {
    type Item = io::Result<TcpStream>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let listener = self.listener;
        let accept = self
            .accept
            .get_or_insert_with(|| Box::pin(async move { Ok(listener.accept().await?.0) }));
        let out = std::task::ready!(accept.as_mut().poll(cx));
        self.accept = None;
        Poll::Ready(Some(out))
    }
}

impl fmt::Debug for TcpIncoming<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpIncoming")
            .field("listener", self.listener)
            .finish_non_exhaustive()
    }
}

/// The connections a [`UnixListener`] accepts, from
/// [`UnixListener::incoming`]; as [`TcpIncoming`].
///
/// # Examples
///
/// ```
/// use chronia::net::{UnixListener, UnixStream};
/// use futures_lite::StreamExt;
///
/// let dir = std::env::temp_dir().join(format!("chronia-doc-incoming-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("sock");
/// chronia::block_on(async {
///     let listener = UnixListener::bind(&path)?;
///     let _client = UnixStream::connect(&path).await?;
///     let _server_side = listener.incoming().next().await.expect("never ends")?;
///     Ok::<(), std::io::Error>(())
/// })?;
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixIncoming<'a> {
    listener: &'a UnixListener,
    accept: Option<Accept<'a, UnixStream>>,
}

impl UnixListener {
    /// The connections this listener accepts, as a stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia::net::{UnixListener, UnixStream};
    /// use futures_lite::StreamExt;
    ///
    /// let dir = std::env::temp_dir().join(format!("chronia-doc-uincoming-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("sock");
    /// chronia::block_on(async {
    ///     let listener = UnixListener::bind(&path)?;
    ///     let _client = UnixStream::connect(&path).await?;
    ///     let mut incoming = listener.incoming();
    ///     assert!(incoming.next().await.expect("never ends").is_ok());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn incoming(&self) -> UnixIncoming<'_> {
        UnixIncoming {
            listener: self,
            accept: None,
        }
    }
}

impl futures_core::Stream for UnixIncoming<'_> {
    type Item = io::Result<UnixStream>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let listener = self.listener;
        let accept = self
            .accept
            .get_or_insert_with(|| Box::pin(async move { Ok(listener.accept().await?.0) }));
        let out = std::task::ready!(accept.as_mut().poll(cx));
        self.accept = None;
        Poll::Ready(Some(out))
    }
}

impl fmt::Debug for UnixIncoming<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixIncoming")
            .field("listener", self.listener)
            .finish_non_exhaustive()
    }
}
