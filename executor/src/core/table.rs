//! [`Table`]: the executor's tasks by key, 8 bytes per slot.
//!
//! A slot is an `Option<LocalRef>` (a pointer, `None` its null), so a
//! listed task costs the table 8 bytes; `slab::Slab` spends 16, as its
//! vacant entries carry the next free key. The free keys live in a
//! separate stack instead, which holds only keys of vacant slots: empty
//! while every slot is in use. Its capacity follows that of `slots`
//! (reserved when `slots` grows), so a task's removal never allocates: a
//! warm runtime whose tasks end allocates nothing for it, as with slab.
//! The reserve is address space that stays untouched (not resident) until
//! tasks end.
//!
//! # Invariants
//!
//! - `free` holds each vacant key of `slots` exactly once, and no other.
//! - `len` is the number of `Some` slots.
//! - `free.capacity() >= slots.len()`: [`Table::remove`] never allocates.

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
        if let Some(key) = self.free.pop() {
            let slot = &mut self.slots[key];
            debug_assert!(slot.is_none(), "a free key names a vacant slot");
            *slot = Some(task);
        } else {
            self.slots.push(Some(task));
            if self.free.capacity() < self.slots.len() {
                self.grow_free();
            }
        }
    }

    /// Keeps room in `free` for every slot (out of line: it runs when
    /// `slots` has just grown).
    #[cold]
    fn grow_free(&mut self) {
        let room = self.slots.capacity() - self.free.len();
        self.free.reserve_exact(room);
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

#[cfg(test)]
mod tests {
    use super::Table;
    use crate::raw::LocalRef;

    #[test]
    fn a_slot_is_one_pointer() {
        assert_eq!(size_of::<Option<LocalRef>>(), size_of::<usize>());
    }

    #[test]
    fn keys_are_reused_last_freed_first_and_len_counts_tasks() {
        let ex = crate::LocalExecutor::new();
        let handles: Vec<_> = (0..3)
            .map(|_| ex.spawn(std::future::pending::<()>()))
            .collect();
        // The executor's own table listed them; a second table takes the
        // JoinHandles' tasks by reference clones.
        let mut table = Table::default();
        for (key, h) in handles.iter().enumerate() {
            assert_eq!(table.next_key(), key);
            table.insert(h.raw_task().clone());
        }
        assert_eq!(table.len(), 3);
        assert!(table.remove(1).is_some());
        assert!(table.remove(1).is_none(), "removed once");
        assert!(table.get(1).is_none());
        assert_eq!(table.len(), 2);
        assert_eq!(table.next_key(), 1, "the freed key comes back first");
        table.insert(handles[1].raw_task().clone());
        assert_eq!(table.next_key(), 3);
        let keys: Vec<usize> = table.iter().map(|(key, _)| key).collect();
        assert_eq!(keys, [0, 1, 2]);
        assert_eq!(table.drain().len(), 3);
        assert_eq!((table.len(), table.next_key()), (0, 0));
    }

    #[test]
    fn removing_never_needs_room_for_a_free_key() {
        let ex = crate::LocalExecutor::new();
        let handles: Vec<_> = (0..100)
            .map(|_| ex.spawn(std::future::pending::<()>()))
            .collect();
        let mut table = Table::default();
        for h in &handles {
            table.insert(h.raw_task().clone());
            assert!(table.free.capacity() >= table.slots.len());
        }
        let room = table.free.capacity();
        for key in 0..100 {
            assert!(table.remove(key).is_some());
        }
        assert_eq!(table.free.capacity(), room, "the free stack never grew");
    }
}
