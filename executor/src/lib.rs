//! The local task executor of chronia: tasks, thread-safe wakers,
//! [`JoinHandle`], cancellation and panics.
//!
//! A [`LocalExecutor`] runs futures that need not be `Send` on one thread.
//! It knows nothing about I/O: [`LocalExecutor::block_on`] takes a [`Park`],
//! which it calls when no task is ready (and, with a zero timeout, every
//! [`POLL_BUDGET`] polls while tasks stay ready), and whose [`Unpark`] other
//! threads' wakes call.
//!
//! - A task is one allocation holding its state, its future and then its
//!   output; its `Waker` points at that allocation (see `src/raw/`, the
//!   crate's one unsafe module, for the protocol of its state words).
//! - Wakers are `Send + Sync`. A wake on the executor's thread is a push to
//!   a local queue (no lock, no atomic, no syscall); a wake from another
//!   thread goes through a mutex-guarded queue and one unpark per park.
//! - Memory: one task costs, beyond its future (or its output or a
//!   `JoinError`, whichever is largest, plus a tag unless a niche holds
//!   it), a 64-byte header and
//!   an 8-byte slot of the task table (see `benches/task_size.rs`).
//! - A panic in a task is caught and reported through its [`JoinHandle`] as
//!   a [`JoinError`]; the executor goes on.
//! - Each poll of a task gets a cooperative budget ([`coop`]) that the
//!   runtime's resources spend, so a task whose I/O stays ready still yields.
//! - Observation, always on: exact counters ([`LocalExecutor::stats`]), a
//!   task dump with spawn locations, names and wait notes
//!   ([`LocalExecutor::tasks`], [`note_wait`]), and an optional slow-poll
//!   alarm ([`LocalExecutor::set_slow_poll`]).
//!
//! # Examples
//!
//! ```
//! use chronia_executor::{LocalExecutor, Park, Unpark};
//! use std::{sync::Arc, time::Duration};
//!
//! // A park that never sleeps; the facade's parks sleep in epoll.
//! struct Spin;
//! impl Unpark for Spin { fn unpark(&self) {} }
//! impl Park for Spin {
//!     fn park(&mut self, _: Option<Duration>) {}
//!     fn unparker(&self) -> Arc<dyn Unpark> { Arc::new(Spin) }
//! }
//!
//! let ex = LocalExecutor::new();
//! let answer = ex.block_on(async {
//!     let task = chronia_executor::spawn(async { 40 });
//!     chronia_executor::yield_now().await;
//!     task.await.expect("the task did not panic") + 2
//! }, &mut Spin);
//! assert_eq!(answer, 42);
//! ```

mod context;
pub mod coop;
mod core;
mod error;
mod executor;
mod id;
mod join;
mod observe;
mod park;
mod raw;
mod remote;
mod sync;
mod wait;
mod waker;
mod yield_now;

pub use context::{current_stats, current_tasks, is_inside_runtime, spawn, spawn_named};
pub use error::JoinError;
pub use executor::{LocalExecutor, POLL_BUDGET};
pub use id::{Id, id, try_id};
pub use join::{AbortHandle, JoinHandle};
pub use observe::{ExecutorStats, SlowPoll, TaskInfo, TaskState};
pub use park::{Park, Unpark};
pub use wait::{Wait, note_wait};
pub use yield_now::{YieldNow, yield_now};
