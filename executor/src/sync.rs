//! The synchronisation primitives the executor uses across threads, from
//! `std` normally and from `loom` when built with `--cfg loom`, so that the
//! loom models (`tests/loom_*.rs`) explore every interleaving of the real
//! code. [`Arc`] is loom's for the `Remote` only (so a model reports a
//! task block that leaks: each holds one); an `Arc<dyn Unpark>` stays
//! `std`'s, as loom's cannot hold an unsized value.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering, fence};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex, MutexGuard};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering, fence};
#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};

/// `thread_local!` of `std`, or of `loom` under `--cfg loom` (loom runs
/// its threads on one OS thread, so `std`'s slots would be shared).
macro_rules! thread_local_slot {
    ($(static $name:ident: $t:ty = $init:expr;)*) => {
        #[cfg(not(loom))]
        std::thread_local! { $(static $name: $t = const { $init };)* }
        #[cfg(loom)]
        loom::thread_local! { $(static $name: $t = $init;)* }
    };
}
pub(crate) use thread_local_slot;
