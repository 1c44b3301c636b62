//! [`JoinWaker`]: the waker of whoever awaits a task's `JoinHandle`, in
//! one word of the task's header (an `Option<Waker>` takes two).
//!
//! # The word
//!
//! | value | awaiter | owns |
//! |---|---|---|
//! | null | none registered | nothing |
//! | a task's header pointer (low two bits clear) | a chronia task of the same executor, with a local reference left (the common case: one task awaits another) | one local reference of that task, as a `LocalRef` holds: no atomic operation to take or drop |
//! | a task's header pointer with tag `SHARED` (3) | a chronia task of another executor, or one of this executor whose local references are all gone (its waker outlived it): the waker's data pointer, its vtable ours (`waker::task_of`) | one shared reference of that task, as a `Waker` clone holds |
//! | `MAIN` (2, no address) | the main future of `block_on` of the task's own executor | nothing: waking it needs only the header's `remote` |
//! | a `Box<Waker>` pointer with tag `FOREIGN` (1) | anything else (futures-lite's `block_on`, a noop waker) | the box and the waker in it |
//!
//! Headers and boxed wakers are 8-byte aligned, so the low two bits of
//! their addresses are free for the tags. Only the rare foreign awaiter
//! allocates. The word is read and written on the executor's thread only
//! (by `JoinHandle` polls and drops and by the task's completion), like
//! the rest of the header's `Cell`s. A local reference in it is of a task
//! of the same executor, so it is taken and dropped on that task's own
//! thread, as local references must be; a shared reference in it is an
//! ordinary one, which its task may drop or wake on any thread.
//!
//! Registering the waker the word already holds (same task, the main
//! future again, or a foreign waker that `will_wake` the new one) changes
//! nothing: re-polling a `JoinHandle` neither clones nor allocates.

use std::cell::Cell;
use std::ptr::{self, NonNull};
use std::task::Waker;

use super::handle::LocalRef;
use super::header::Header;
use super::waker;
use crate::remote::Remote;

/// The tag of a boxed foreign waker.
const FOREIGN: usize = 1;
/// The main future of the task's own executor (the whole word).
const MAIN: usize = 2;
/// The tag of a task waker's data pointer with its shared reference.
const SHARED: usize = 3;
const TAGS: usize = 3;

// The tags need two free low bits in every pointer the word holds.
const _: () = assert!(align_of::<Waker>() > TAGS);
const _: () = assert!(align_of::<super::header::Header>() > TAGS);

/// The joiner's waker, one word (see the module docs).
pub(crate) struct JoinWaker {
    word: Cell<*mut ()>,
}

/// A waker taken out of the word.
pub(crate) enum Joiner {
    /// A task of the same executor, by a local reference.
    Task(LocalRef),
    /// A waker to wake or drop (another executor's task, or a foreign one).
    Waker(Waker),
    /// The main future of the task's own executor.
    Main,
}

impl Joiner {
    /// Wakes the joiner; `remote` is the task's executor's.
    pub(crate) fn wake(self, remote: &Remote) {
        match self {
            Joiner::Task(task) => task.wake(),
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
    /// of the task's own executor (whose waker `waker` is); `remote` is
    /// the task's executor's. Keeps what is there if it wakes the same.
    pub(crate) fn register(&self, waker: &Waker, main: bool, remote: &Remote) {
        let old = self.word.get();
        let new = if main {
            if old.addr() == MAIN {
                return;
            }
            ptr::without_provenance_mut(MAIN)
        } else if let Some(task) = waker::task_of(waker) {
            if untag(old) == task.as_ptr().cast::<()>() && old.addr() & TAGS != FOREIGN {
                return;
            }
            // SAFETY: `waker`, borrowed for this call, holds a reference
            // that keeps its task alive; shared access only.
            let awaiter: &Header = unsafe { task.as_ref() };
            // Same executor (so this thread is the awaiter's too), and a
            // local reference left to count one more on.
            if awaiter.remote.is(remote) && awaiter.local_refs.get() > 0 {
                awaiter.local_inc();
                task.as_ptr().cast::<()>()
            } else {
                // A new shared reference for the word.
                waker::shared_raw(task, awaiter)
                    .cast_mut()
                    .map_addr(|a| a | SHARED)
            }
        } else {
            if old.addr() & TAGS == FOREIGN {
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
        return None;
    }
    if word.addr() == MAIN {
        return Some(Joiner::Main);
    }
    match word.addr() & TAGS {
        FOREIGN => {
            // SAFETY: a FOREIGN word came from `Box::into_raw` (tag added),
            // and the caller makes this its only owner.
            let boxed = unsafe { Box::from_raw(untag(word).cast::<Waker>()) };
            Some(Joiner::Waker(*boxed))
        }
        SHARED => {
            // SAFETY: a SHARED word is a task's data pointer from
            // `waker::shared_raw` (tag added), with the reference it counted.
            let waker = unsafe { waker::from_shared_raw(untag(word).cast_const()) };
            Some(Joiner::Waker(waker))
        }
        // An untagged word: a task of the same executor, with the local
        // reference `register` counted for it.
        _ => Some(Joiner::Task(LocalRef::adopt(
            NonNull::new(word.cast::<Header>()).expect("a task pointer is not null"),
        ))),
    }
}
