//! [`JoinWaker`]: the waker of whoever awaits a task's `JoinHandle`, in
//! one word of the task's header (an `Option<Waker>` takes two).
//!
//! # The word
//!
//! | value | awaiter | owns |
//! |---|---|---|
//! | null | none registered | nothing |
//! | a task's header pointer (low two bits clear) | a chronia task: the waker's data pointer, its vtable ours (`waker::task_of`) | one shared reference of that task, as a `Waker` clone holds |
//! | `MAIN` (2, no address) | the main future of `block_on` of the task's own executor | nothing: waking it needs only the header's `remote` |
//! | a `Box<Waker>` pointer with bit 0 set | anything else (another executor, futures-lite's `block_on`, a noop waker) | the box and the waker in it |
//!
//! Headers and boxed wakers are 8-byte aligned, so the low two bits of
//! their addresses are free for the tags. Only the rare foreign awaiter
//! allocates. The word is read and written on the executor's thread only
//! (by `JoinHandle` polls and drops and by the task's completion), like
//! the rest of the header's `Cell`s; the task reference it may hold is an
//! ordinary shared reference, which its task may drop or wake on any
//! thread.
//!
//! Registering the waker the word already holds (same task, the main
//! future again, or a foreign waker that `will_wake` the new one) changes
//! nothing: re-polling a `JoinHandle` neither clones nor allocates.

use std::cell::Cell;
use std::ptr;
use std::task::Waker;

use super::waker;
use crate::remote::Remote;
use crate::sync::Arc;

/// Bit 0: the word is a boxed foreign waker.
const FOREIGN: usize = 1;
/// The main future of the task's own executor.
const MAIN: usize = 2;
const TAGS: usize = FOREIGN | MAIN;

// The tags need two free low bits in every pointer the word holds.
const _: () = assert!(align_of::<Waker>() > TAGS);
const _: () = assert!(align_of::<super::header::Header>() > TAGS);

/// The joiner's waker, one word (see the module docs).
pub(crate) struct JoinWaker {
    word: Cell<*mut ()>,
}

/// A waker taken out of the word.
pub(crate) enum Joiner {
    /// A waker to wake or drop (a task's, or a foreign one).
    Waker(Waker),
    /// The main future of the task's own executor.
    Main,
}

impl Joiner {
    /// Wakes the joiner; `remote` is the task's executor's.
    pub(crate) fn wake(self, remote: &Arc<Remote>) {
        match self {
            Joiner::Waker(waker) => waker.wake(),
            Joiner::Main => crate::waker::wake_main(remote),
        }
    }
}

impl JoinWaker {
    pub(crate) const fn new() -> Self {
        Self {
            word: Cell::new(ptr::null_mut()),
        }
    }

    /// Registers `waker` as the joiner's, or with `main`, the main future
    /// of the task's own executor (whose waker `waker` is). Keeps what is
    /// there if it wakes the same.
    pub(crate) fn register(&self, waker: &Waker, main: bool) {
        let old = self.word.get();
        let new = if main {
            if old.addr() == MAIN {
                return;
            }
            ptr::without_provenance_mut(MAIN)
        } else if let Some(task) = waker::task_of(waker) {
            if old == task.as_ptr().cast::<()>() {
                return;
            }
            // The clone's reference moves into the word.
            waker::into_raw(waker.clone()).cast_mut()
        } else {
            if old.addr() & FOREIGN != 0 {
                // SAFETY: a FOREIGN word is a `Box<Waker>` from below, owned
                // by the word and alive until taken out of it.
                let boxed = unsafe { &*untag(old).cast::<Waker>() };
                if boxed.will_wake(waker) {
                    return;
                }
            }
            let boxed = Box::into_raw(Box::new(waker.clone()));
            boxed.map_addr(|a| a | FOREIGN).cast()
        };
        self.word.set(new);
        // The old waker drops after the word holds the new one.
        // SAFETY: `old` was the word's, and the word no longer holds it.
        drop(unsafe { decode(old) });
    }

    /// Takes the joiner's waker out, leaving none.
    pub(crate) fn take(&self) -> Option<Joiner> {
        let old = self.word.replace(ptr::null_mut());
        // SAFETY: `old` was the word's, and the word no longer holds it.
        unsafe { decode(old) }
    }
}

/// The pointer of a tagged word, its tag bits cleared.
fn untag(word: *mut ()) -> *mut () {
    word.map_addr(|a| a & !TAGS)
}

/// What a word owned, as values that own it.
///
/// # Safety
///
/// `word` was the word of a `JoinWaker`, set by `register`, and is taken
/// out of it: this is its only owner.
unsafe fn decode(word: *mut ()) -> Option<Joiner> {
    if word.is_null() {
        None
    } else if word.addr() == MAIN {
        Some(Joiner::Main)
    } else if word.addr() & FOREIGN != 0 {
        // SAFETY: a FOREIGN word came from `Box::into_raw` (tag added),
        // and the caller makes this its only owner.
        let boxed = unsafe { Box::from_raw(untag(word).cast::<Waker>()) };
        Some(Joiner::Waker(*boxed))
    } else {
        // SAFETY: an untagged word is a task waker's data pointer from
        // `waker::into_raw`, with the reference it held.
        Some(Joiner::Waker(unsafe { waker::from_raw(word.cast_const()) }))
    }
}
