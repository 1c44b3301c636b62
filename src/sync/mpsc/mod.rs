//! A multi-producer, single-consumer queue: [`channel`] (bounded, with
//! [`Permit`]s) and [`unbounded_channel`].
//!
//! tokio's `mpsc` for one thread: no atomics. A send after the receiver
//! dropped or closed gives the value back in the error. `recv` is
//! cancel-safe: a dropped `recv` loses no value. Senders waiting for room
//! are served in FIFO order.
//!
//! # Examples
//!
//! ```
//! use chronia::sync::mpsc;
//!
//! chronia::block_on(async {
//!     let (tx, mut rx) = mpsc::unbounded_channel();
//!     tx.send("a").expect("rx is alive");
//!     drop(tx);
//!     assert_eq!(rx.recv().await, Some("a"));
//!     assert_eq!(rx.recv().await, None);
//! });
//! ```

#[macro_use]
mod receiver;
mod bounded;
mod chan;
pub mod error;
mod unbounded;

pub use bounded::{Permit, Receiver, Sender, channel};
pub use unbounded::{UnboundedReceiver, UnboundedSender, unbounded_channel};
