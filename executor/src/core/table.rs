//! [`Table`]: the executor's tasks by key, 8 bytes per slot.
//!
//! A slot is an `Option<LocalRef>` (a pointer, `None` its null), so a
//! listed task costs the table 8 bytes; `slab::Slab` spends 16, as its
//! vacant entries carry the next free key. The free keys live in a
//! separate stack instead, which holds only keys of vacant slots: empty
//! while every slot is in use.
//!
//! # Invariants
//!
//! - `free` holds each vacant key of `slots` exactly once, and no other.
//! - `len` is the number of `Some` slots.

use crate::raw::LocalRef;

#[derive(Default)]
pub(super) struct Table {
    slots: Vec<Option<LocalRef>>,
    /// Vacant keys; the last one is used first.
    free: Vec<usize>,
    len: usize,
}

impl Table {
    /// The key the next [`insert`](Self::insert) uses.
    #[inline]
    pub(super) fn next_key(&self) -> usize {
        self.free.last().map_or(self.slots.len(), |&key| key)
    }

    /// Puts `task` at [`next_key`](Self::next_key), which it was made with.
    #[inline]
    pub(super) fn insert(&mut self, task: LocalRef) {
        self.len += 1;
        match self.free.pop() {
            Some(key) => {
                let slot = &mut self.slots[key];
                debug_assert!(slot.is_none(), "a free key names a vacant slot");
                *slot = Some(task);
            }
            None => self.slots.push(Some(task)),
        }
    }

    #[inline]
    pub(super) fn get(&self, key: usize) -> Option<&LocalRef> {
        self.slots.get(key)?.as_ref()
    }

    /// Takes the task at `key` out, if there is one.
    #[inline]
    pub(super) fn remove(&mut self, key: usize) -> Option<LocalRef> {
        let task = self.slots.get_mut(key)?.take()?;
        self.len -= 1;
        self.free.push(key);
        Some(task)
    }

    /// Takes every task out.
    #[inline]
    pub(super) fn drain(&mut self) -> Vec<LocalRef> {
        self.len = 0;
        self.free.clear();
        self.slots.drain(..).flatten().collect()
    }

    /// The tasks with their keys, in key order.
    #[inline]
    pub(super) fn iter(&self) -> impl Iterator<Item = (usize, &LocalRef)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(key, slot)| Some((key, slot.as_ref()?)))
    }

    #[inline]
    pub(super) fn len(&self) -> usize {
        self.len
    }
}
