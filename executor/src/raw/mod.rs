//! Tasks as single allocations: the executor's one unsafe module.
//!
//! A task is one heap block ([`task::RawTask`]): a [`Header`](header::Header) (two state
//! words, a vtable, id, table key, the executor's remote queue, the
//! joiner's waker, and for observation the spawn location, poll count,
//! spawn time and wait note), then the future; the output takes the future's place
//! once it is gone. Its `Waker` points at the block itself.
//!
//! # Header layout (64 bytes on 64-bit targets)
//!
//! | offset | field | bytes |
//! |---|---|---|
//! | 0 | `shared` (atomic `u32`) | 4 |
//! | 4 | `key` | 4 |
//! | 8 | `vtable` | 8 |
//! | 16 | `state` (flags, poll count) | 4 |
//! | 20 | `local_refs` | 4 |
//! | 24 | `wait` | 4 |
//! | 28 | `spawned_ms` | 4 |
//! | 32 | `id` | 8 |
//! | 40 | `location` | 8 |
//! | 48 | `remote` ([`RemoteRef`](remote_hold::RemoteRef), a pointer) | 8 |
//! | 56 | `join_waker` ([`JoinWaker`](join_waker::JoinWaker), one word) | 8 |
//!
//! With a 32-byte future (today's `Sleep`) the block is 96 bytes, a
//! 112-byte chunk of glibc's malloc (8 bytes of size word, rounded up to
//! 16); with a 24-byte future that leaves the stage a niche for its tag
//! (an `Instant` in it does), 88 bytes, a 96-byte chunk.
//!
//! # The joiner's waker (`Header::join_waker`, executor's thread only)
//!
//! One word: none, a chronia task's header pointer holding one local
//! reference (an awaiter of the same executor, the common case) or, tagged,
//! one shared reference (a task waker of another executor, or of a task
//! with no local reference left), a tag for the main future of `block_on`
//! of the task's own executor (woken through `remote`, no reference), or a
//! tagged boxed foreign `Waker`; see [`join_waker`]. Set by `JoinHandle` polls (a poll with a waker
//! that wakes the same keeps the word), taken and woken by the task's
//! completion, taken and dropped by the `JoinHandle`'s drop; so it is
//! empty once the task is complete and its handle gone, before the free.
//!
//! # The local state (`Header::state`, executor's thread only)
//!
//! Read and written only on the executor's thread (every holder of it,
//! [`LocalRef`] and [`JoinRef`], is `!Send`; wakes from other threads
//! never read it), so it is a `Cell`, no atomics. The low 8 bits are the
//! flags below; the 24 above count the polls of the future (`poll` adds
//! one in the same store that sets `RUNNING`; the count stays at 2^24 - 1
//! once there).
//!
//! | bit | set by | cleared by |
//! |---|---|---|
//! | `SCHEDULED` | a wake that finds the task listed and not queued (it pushes a [`LocalRef`] to the local run queue); spawn | the run loop's `poll`, as it takes the task off the queue |
//! | `RUNNING` | `poll`, for the poll; `complete`, while the future drops | the same, when that returns |
//! | `COMPLETE` | `complete`: the future returned, panicked, or was cancelled (abort, executor drop), and is dropped | never |
//! | `ABORT` | `cancel` while `RUNNING` (an abort from the task's own poll or drop) | never; `poll` completes the task as cancelled when the poll returns |
//! | `DETACHED` | the drop of the [`JoinRef`] | never |
//! | `LISTED` | spawn | the executor, as it removes the task from its table (when the task completed, or at its drop) |
//! | `PANICKED`, `CANCELLED` | `complete`, with `COMPLETE`, by how the task ended | never |
//!
//! Invariants: the future is polled only with `RUNNING` and `COMPLETE`
//! clear, so a wake during a poll queues the task for later, never a
//! recursive poll, and no two `&mut` to the stage ever exist; the stage is
//! touched only by `poll` and `complete` (under `RUNNING`) and by
//! `take_output`/`drop_output` (once `COMPLETE`). `COMPLETE` implies the
//! future was dropped exactly once. A task not `LISTED` is `COMPLETE`.
//!
//! # Observation fields (executor's thread only)
//!
//! The poll count is in the local state word (above); `wait` is the task's wait note
//! (see [`Wait`](crate::Wait)): cleared by `poll` before each poll of the
//! future, set by the runtime's wait points through the current-task slot
//! ([`current`]) while that poll runs. `location` and `spawned_ms` never
//! change after spawn.
//!
//! # The shared word (`Header::shared`, a `u32`, any thread)
//!
//! | part | set by | cleared by |
//! |---|---|---|
//! | bit 0 `QUEUED` | a wake off the executor's thread (or while it is not current) that finds it clear; that wake pushes a [`Notified`] to the remote queue | the executor, as it takes that `Notified` from the queue (`Owner::schedule_remote`), before scheduling the task; never, if the queue refused or dropped it because the executor is gone |
//! | bit 1 `CONVERTED` | the first local operation on the task after its executor closed: it adds the frozen local count (less the one reference the local ones held) to the count | never |
//! | bits 2..32 reference count | `+1` per `SHARED` waker and per `Notified`; the local references together hold 1 (after `CONVERTED`, each counts here); a count past 2^29 aborts the process, as `Arc` does | `-1` per drop of each; the one that takes it to 0 frees the block (a drop that reads a count of 1, Acquire, is the only reference left and frees it without writing: no other reference exists to change the count) |
//!
//! A wake RMWs the word even when `QUEUED` is already set, and the
//! executor clears `QUEUED` with an Acquire RMW, so writes a thread made
//! before waking are visible to the poll it caused.
//!
//! # References and where the block is freed
//!
//! `Header::local_refs` counts the table entry, run queue entries, the
//! `JoinHandle`, `AbortHandle`s, the popped task being run, the join
//! words of the tasks it awaits (an awaiter of the same executor), its
//! `LOCAL` wakers (see [`waker`]) and their [`LocalDrop`]s on the way
//! back; it only falls once at 0 (nothing makes a local reference to a
//! task without one). It is written on the executor's thread only, while
//! the executor lives; a `LOCAL` waker dropped on another thread sends its
//! reference back through the remote queue. Once the executor has closed
//! its remote queue (its drop), nobody writes it again: the first local
//! operation after that folds it into the shared word (`CONVERTED`), and
//! every local reference counts there, on any thread. At 0 the table has
//! forgotten the task (so it is `COMPLETE`: the future is dropped) and the
//! `JoinHandle` is gone (so the output was taken or dropped): the stage is
//! empty. So whichever thread drops the last
//! reference (a `Waker` held by a timer thread, say) frees a block that
//! holds nothing `!Send`; the free never drops the stage
//! (`ManuallyDrop`), so a leaked `JoinHandle` leaks its output rather
//! than dropping it on a foreign thread.
//!
//! The header's `remote` is a plain pointer: the executor's blocks hold
//! its `Remote` alive together, with one count of its `Arc`, counted down
//! without an atomic operation for a block freed on the executor's thread
//! while it lives, and given back by the last block's free (see
//! [`remote_hold`]). So neither a spawn nor a free touches an atomic
//! counter in the common case.
//!
//! # What a run returns
//!
//! The vtable's `poll` returns a [`Ran`]: whether it polled the future,
//! whether the task is complete now, and how it ended (returned,
//! panicked, cancelled), read from the state word as `poll` leaves it. The
//! run loop counts polls and endings from it, without reading the task.
//!
//! # Ownership of wakes
//!
//! A wake on the thread where the task's executor is current schedules it
//! locally; any other wake goes through the remote queue of the
//! executor's [`Remote`](crate::remote::Remote). When the executor drops,
//! its remote queue refuses pushes, so a later wake only drops its
//! `Notified`: nothing runs, nothing leaks.

#![expect(
    unsafe_code,
    reason = "the executor's one unsafe module: task allocations"
)]

mod current;
mod handle;
mod header;
mod join_waker;
mod remote_hold;
mod state;
mod task;
mod waker;

pub(crate) use current::{current_id, note_wait};
pub(crate) use handle::{JoinRef, LocalDrop, LocalRef, Notified, Owner};
pub(crate) use header::Meta;
pub(crate) use remote_hold::Blocks;
pub(crate) use state::{Ending, Ran};
