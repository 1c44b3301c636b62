//! Synchronization for tasks of one runtime: channels, locks, and
//! notifications, shaped like `tokio::sync`.
//!
//! Everything here is `!Send` and `!Sync`: the primitives live on the
//! runtime's thread and use `Rc`, `Cell` and `RefCell`, never an atomic or
//! a lock. tokio's documentation reads true for them otherwise, including
//! cancel safety (a dropped wait gives up its place without losing a wake:
//! the next waiter is woken instead) and FIFO fairness of [`Mutex`],
//! [`RwLock`] and [`Semaphore`].
//!
//! Waiters queue in a slab-backed list: a cancelled wait leaves in O(1),
//! and waking all of them is O(n).
//!
//! # Examples
//!
//! ```
//! use chronia::sync::{mpsc, oneshot};
//!
//! chronia::block_on(async {
//!     let (tx, mut rx) = mpsc::channel(8);
//!     let (done_tx, done_rx) = oneshot::channel();
//!     let _task = chronia::spawn(async move {
//!         let mut sum = 0;
//!         while let Some(n) = rx.recv().await {
//!             sum += n;
//!         }
//!         done_tx.send(sum).expect("main waits");
//!     });
//!     for n in 1..=10 {
//!         tx.send(n).await.expect("the task receives");
//!     }
//!     drop(tx);
//!     assert_eq!(done_rx.await, Ok(55));
//! });
//! ```

mod barrier;
mod batch_semaphore;
pub mod broadcast;
pub mod mpsc;
mod mutex;
mod notify;
pub mod oneshot;
mod rwlock;
mod semaphore;
mod wait_list;
pub mod watch;

pub use barrier::{Barrier, BarrierWait, BarrierWaitResult};
pub use mutex::{Mutex, MutexGuard, TryLockError};
pub use notify::{Notified, Notify};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{
    AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError,
};
