//! The one receiver implementation both flavours share.
//!
//! [`Receiver`](super::Receiver) and
//! [`UnboundedReceiver`](super::UnboundedReceiver) are two types, as in
//! tokio, over the same [`Chan`](super::chan::Chan); every method but the
//! bounded one's `capacity` and `max_capacity` is the same code. A macro
//! rather than a generic type, so that each keeps tokio's name and its own
//! docs: the doc examples are written once here and filled in with the
//! flavour's constructor and send call.

/// Defines a receiver type `$name` with its docs `$doc`; `$new` is a line
/// that makes a channel `(tx, mut rx)` with room for a few values, and
/// `$send` the sender's method that queues a value without waiting
/// (returning a `Result`).
macro_rules! receiver {
    ($(#[$doc:meta])* $name:ident, new: $new:literal, send: $send:literal) => {
        $(#[$doc])*
        pub struct $name<T> {
            chan: ::std::rc::Rc<super::chan::Chan<T>>,
        }

        impl<T> $name<T> {
            /// The next value; `None` once every sender dropped (or the
            /// channel was closed) and the queue is empty. Cancel-safe: a
            /// dropped `recv` loses no value.
            ///
            /// # Examples
            ///
            /// ```
            /// chronia::block_on(async {
            #[doc = concat!("    ", $new)]
            #[doc = concat!("    tx.", $send, "(1).expect(\"sent\");")]
            ///     drop(tx);
            ///     assert_eq!(rx.recv().await, Some(1));
            ///     assert_eq!(rx.recv().await, None);
            /// });
            /// ```
            pub async fn recv(&mut self) -> Option<T> {
                ::std::future::poll_fn(|cx| self.chan.poll_recv(cx)).await
            }

            /// Polls for the next value; registers the task's waker if
            /// none.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::task::{Context, Poll, Waker};
            #[doc = $new]
            /// let mut cx = Context::from_waker(Waker::noop());
            /// assert!(rx.poll_recv(&mut cx).is_pending());
            #[doc = concat!("tx.", $send, "(1).expect(\"sent\");")]
            /// assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(1)));
            /// ```
            pub fn poll_recv(
                &mut self,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<Option<T>> {
                self.chan.poll_recv(cx)
            }

            /// Waits for at least one value, then moves up to `limit` into
            /// `buffer`; returns how many. 0 means the channel is done (or
            /// `limit` is 0). Cancel-safe.
            ///
            /// # Examples
            ///
            /// ```
            /// chronia::block_on(async {
            #[doc = concat!("    ", $new)]
            ///     for n in 0..3 {
            #[doc = concat!("        tx.", $send, "(n).expect(\"sent\");")]
            ///     }
            ///     let mut buffer = Vec::new();
            ///     assert_eq!(rx.recv_many(&mut buffer, 2).await, 2);
            ///     assert_eq!(buffer, [0, 1]);
            /// });
            /// ```
            pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
                ::std::future::poll_fn(|cx| self.chan.poll_recv_many(cx, buffer, limit)).await
            }

            /// The next value if one is queued; never waits.
            ///
            /// # Errors
            ///
            /// [`TryRecvError::Empty`](crate::sync::mpsc::error::TryRecvError::Empty)
            /// while senders are left, or
            /// [`TryRecvError::Disconnected`](crate::sync::mpsc::error::TryRecvError::Disconnected)
            /// once they are gone (or the channel is closed) and the queue is
            /// empty.
            ///
            /// # Examples
            ///
            /// ```
            /// use chronia::sync::mpsc::error::TryRecvError;
            #[doc = $new]
            /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
            #[doc = concat!("tx.", $send, "(2).expect(\"sent\");")]
            /// assert_eq!(rx.try_recv(), Ok(2));
            /// ```
            pub fn try_recv(&mut self) -> Result<T, $crate::sync::mpsc::error::TryRecvError> {
                self.chan.try_recv()
            }

            /// Closes the channel: sends fail from now on, queued values can
            /// still be received.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = $new]
            #[doc = concat!("tx.", $send, "(1).expect(\"sent\");")]
            /// rx.close();
            #[doc = concat!("assert!(tx.", $send, "(2).is_err());")]
            /// assert_eq!(rx.try_recv(), Ok(1));
            /// ```
            pub fn close(&mut self) {
                self.chan.close();
            }

            /// Whether the channel is closed (by the receiver, or because
            /// every sender dropped).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = $new]
            #[doc = concat!("tx.", $send, "(1).expect(\"sent\");")]
            /// assert!(!rx.is_closed());
            /// drop(tx);
            /// assert!(rx.is_closed());
            /// ```
            pub fn is_closed(&self) -> bool {
                self.chan.is_closed() || self.chan.tx_count() == 0
            }

            /// Whether no value is queued.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = $new]
            /// assert!(rx.is_empty());
            #[doc = concat!("tx.", $send, "(()).expect(\"sent\");")]
            /// assert!(!rx.is_empty());
            /// ```
            pub fn is_empty(&self) -> bool {
                self.chan.len() == 0
            }

            /// How many values are queued.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = $new]
            #[doc = concat!("tx.", $send, "(()).expect(\"sent\");")]
            /// assert_eq!(rx.len(), 1);
            /// ```
            pub fn len(&self) -> usize {
                self.chan.len()
            }
        }

        impl<T> Drop for $name<T> {
            fn drop(&mut self) {
                self.chan.drop_rx();
            }
        }

        impl<T> ::std::fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("len", &self.len())
                    .finish_non_exhaustive()
            }
        }

        impl<T> futures_core::Stream for $name<T> {
            type Item = T;

            fn poll_next(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<Option<T>> {
                self.chan.poll_recv(cx)
            }
        }
    };
}
