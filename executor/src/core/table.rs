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
    free: Vec<u32>,
    len: usize,
}

impl Table {
    /// The key the next [`insert`](Self::insert) uses.
    pub(super) fn next_key(&self) -> usize {
        self.free
            .last()
            .map_or(self.slots.len(), |&key| key as usize)
    }

    /// Puts `task` at [`next_key`](Self::next_key), which it was made with.
    pub(super) fn insert(&mut self, task: LocalRef) {
        self.len += 1;
        match self.free.pop() {
            Some(key) => {
                let slot = &mut self.slots[key as usize];
                debug_assert!(slot.is_none(), "a free key names a vacant slot");
                *slot = Some(task);
            }
            None => self.slots.push(Some(task)),
        }
    }

    pub(super) fn get(&self, key: usize) -> Option<&LocalRef> {
        self.slots.get(key)?.as_ref()
    }

    /// Takes the task at `key` out, if there is one.
    pub(super) fn remove(&mut self, key: usize) -> Option<LocalRef> {
        let task = self.slots.get_mut(key)?.take()?;
        self.len -= 1;
        // `key` indexes `slots`, whose keys fit in u32 (see `Core::spawn`).
        self.free
            .push(u32::try_from(key).expect("table keys fit in u32"));
        Some(task)
    }

    /// Takes every task out.
    pub(super) fn drain(&mut self) -> Vec<LocalRef> {
        self.len = 0;
        self.free.clear();
        self.slots.drain(..).flatten().collect()
    }

    /// The tasks with their keys, in key order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (usize, &LocalRef)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(key, slot)| Some((key, slot.as_ref()?)))
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }
}
