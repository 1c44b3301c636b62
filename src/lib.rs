//! chronia: a single-threaded async runtime for Linux.
//!
//! An epoll reactor ([`chronia_reactor`]) and a local task executor
//! ([`chronia_executor`]) joined on one thread: [`block_on`] runs a future,
//! [`spawn`] adds `!Send` tasks, [`time`] gives precise timers, [`io`] and
//! [`net`] give non-blocking I/O, [`signal`] and [`process`] give signals
//! and child processes. chronia starts no thread unless you ask for one:
//! [`task::spawn_blocking`] and [`net::lookup_host`] use a pool of threads
//! that exists only once one of them is first called, and
//! [`runtime::PerCore`] runs one runtime per thread. [`sync`] has tokio's
//! primitives for the tasks of one runtime, without atomics.
//!
//! ```
//! use chronia::time::{sleep, Duration};
//!
//! chronia::block_on(async {
//!     let task = chronia::spawn(async {
//!         sleep(Duration::from_millis(1)).await;
//!         "slept"
//!     });
//!     assert_eq!(task.await.expect("no panic"), "slept");
//! });
//! ```

mod blocking;
pub mod compat;
pub mod io;
pub mod net;
pub mod process;
pub mod runtime;
pub mod signal;
pub mod sync;
mod sys;
pub mod task;
pub mod time;

pub use runtime::{Runtime, block_on, spawn};

/// The README's examples, compiled as doc tests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
