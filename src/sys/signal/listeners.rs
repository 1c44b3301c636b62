//! The handler's data: which threads listen for each signal, how many
//! handlers are forwarding it right now, and the forwarding itself.
//!
//! # Who may touch what
//!
//! - [`claim`] and [`ListenerSlot::clear`] write the listener table; only
//!   the facade's signal registry calls them, under its lock, so there is
//!   one writer at a time.
//! - [`forward`] runs inside the signal handler (and on a runtime's thread
//!   for a delivery read from its signalfd): it only loads atomics and
//!   makes raw syscalls, so it is async-signal-safe.
//! - [`wait_in_flight`] lets a leaving thread wait until every forward
//!   that may have read its id has been sent.
//!
//! # Invariants
//!
//! - `LISTENERS[signo]` holds the ids of the threads that listen for
//!   `signo`, each once (0 marks a free slot). It is a chain of fixed
//!   chunks, grown by [`claim`] and never shrunk, so any number of threads
//!   may listen; the handler only loads from it (atomics,
//!   `OnceLock::get`).
//! - `IN_FLIGHT[signo]` counts forwards between reading `LISTENERS` and
//!   their last send.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

use super::{SIGNALS, forward_to, gettid};

/// Listening threads per chunk of `LISTENERS`.
const CHUNK: usize = 16;

/// A fixed run of listener slots, and the next one once it fills up.
struct Chunk {
    tids: [AtomicI32; CHUNK],
    next: OnceLock<Box<Chunk>>,
}

impl Chunk {
    const fn new() -> Chunk {
        Chunk {
            tids: [const { AtomicI32::new(0) }; CHUNK],
            next: OnceLock::new(),
        }
    }
}

static LISTENERS: [Chunk; SIGNALS] = [const { Chunk::new() }; SIGNALS];

/// Per signal, how many handlers are between reading `LISTENERS` and
/// finishing their forwards.
static IN_FLIGHT: [AtomicUsize; SIGNALS] = [const { AtomicUsize::new(0) }; SIGNALS];

fn chunks(head: &'static Chunk) -> impl Iterator<Item = &'static Chunk> {
    std::iter::successors(Some(head), |c| c.next.get().map(|b| &**b))
}

/// One thread's place in the listener table of one signal.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListenerSlot(&'static AtomicI32);

impl ListenerSlot {
    /// Takes the thread out of the table: no forward that starts from now
    /// on aims at it.
    pub(crate) fn clear(self) {
        self.0.store(0, Ordering::SeqCst);
    }
}

/// Puts thread `tid` in the listener table of `signo` (`1..SIGNALS`,
/// checked by the caller), growing the chain if every slot is taken.
/// The caller serialises calls (the registry's lock).
pub(crate) fn claim(signo: usize, tid: i32) -> ListenerSlot {
    let mut chunk = &LISTENERS[signo];
    loop {
        if let Some(slot) = chunk.tids.iter().find(|t| t.load(Ordering::Relaxed) == 0) {
            slot.store(tid, Ordering::SeqCst);
            return ListenerSlot(slot);
        }
        chunk = chunk.next.get_or_init(|| Box::new(Chunk::new()));
    }
}

/// Waits until no forward of `signo` is between reading the table and its
/// last send.
pub(crate) fn wait_in_flight(signo: usize) {
    while IN_FLIGHT[signo].load(Ordering::SeqCst) != 0 {
        std::thread::yield_now();
    }
}

// ---- handler path: nothing below up to the end marker may panic ----------

/// Sends `signo` to every listening thread but the calling one. Called from
/// the signal handler: async-signal-safe (atomic loads and raw syscalls).
pub(crate) fn forward(signo: i32) {
    let Some(i) = usize::try_from(signo).ok() else {
        return;
    };
    let (Some(head), Some(in_flight)) = (LISTENERS.get(i), IN_FLIGHT.get(i)) else {
        return;
    };
    let me = gettid();
    // Counted so that a leaving thread can wait for this forward to finish
    // (see the registry's docs).
    in_flight.fetch_add(1, Ordering::SeqCst);
    for chunk in chunks(head) {
        for slot in &chunk.tids {
            let tid = slot.load(Ordering::SeqCst);
            if tid != 0 && tid != me {
                // ESRCH: the thread is gone and its subscription about to be;
                // nothing to deliver to.
                let _ = forward_to(tid, signo);
            }
        }
    }
    in_flight.fetch_sub(1, Ordering::SeqCst);
}

// ---- end of the handler path ----------------------------------------------
