//! A FIFO list of waiting tasks, kept in a slab so that a waiter leaves in
//! O(1) from anywhere in the queue.
//!
//! # Invariants
//!
//! - A waiter owns its key from [`WaitList::push_back`] until it calls
//!   [`WaitList::remove`]; nobody else removes a node. Whoever wakes a waiter
//!   only *unlinks* it (the node stays in the slab, marked unlinked), so a key
//!   is never reused while its waiter may still look at it.
//! - `head`..`tail` link exactly the nodes whose `linked` is true, in the
//!   order they were linked.
//! - Wakers are taken out of the list before they are woken, and woken after
//!   the caller released its borrow of the list (a waker may re-enter).

use std::task::Waker;

use slab::Slab;

/// No node: the end of the list.
const NIL: usize = usize::MAX;

/// One waiter: its place in the list, its waker, and what the primitive
/// keeps about it.
#[derive(Debug)]
struct Node<T> {
    prev: usize,
    next: usize,
    linked: bool,
    waker: Option<Waker>,
    value: T,
}

/// A FIFO of waiters, each carrying a `T`.
#[derive(Debug)]
pub(crate) struct WaitList<T> {
    nodes: Slab<Node<T>>,
    head: usize,
    tail: usize,
}

impl<T> WaitList<T> {
    /// An empty list; allocates nothing until the first waiter.
    pub(crate) const fn new() -> Self {
        Self {
            nodes: Slab::new(),
            head: NIL,
            tail: NIL,
        }
    }

    /// Whether no waiter is linked.
    pub(crate) fn is_empty(&self) -> bool {
        self.head == NIL
    }

    /// Adds a waiter at the back; returns its key.
    pub(crate) fn push_back(&mut self, value: T, waker: &Waker) -> usize {
        let key = self.nodes.insert(Node {
            prev: NIL,
            next: NIL,
            linked: false,
            waker: Some(waker.clone()),
            value,
        });
        self.link_back(key);
        key
    }

    /// Links an unlinked node at the back again.
    pub(crate) fn link_back(&mut self, key: usize) {
        let tail = self.tail;
        let node = &mut self.nodes[key];
        debug_assert!(!node.linked, "a node is linked once");
        node.linked = true;
        node.prev = tail;
        node.next = NIL;
        if tail == NIL {
            self.head = key;
        } else {
            self.nodes[tail].next = key;
        }
        self.tail = key;
    }

    /// Takes a node out of the list (it stays in the slab, owned by its waiter).
    pub(crate) fn unlink(&mut self, key: usize) {
        let node = &mut self.nodes[key];
        if !node.linked {
            return;
        }
        node.linked = false;
        let (prev, next) = (node.prev, node.next);
        if prev == NIL {
            self.head = next;
        } else {
            self.nodes[prev].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.nodes[next].prev = prev;
        }
    }

    /// The waiter leaves for good; gives back its value.
    pub(crate) fn remove(&mut self, key: usize) -> T {
        self.unlink(key);
        self.nodes.remove(key).value
    }

    /// Whether the node is still queued (not yet woken).
    pub(crate) fn is_linked(&self, key: usize) -> bool {
        self.nodes[key].linked
    }

    /// The first linked waiter.
    pub(crate) fn front(&self) -> Option<usize> {
        (self.head != NIL).then_some(self.head)
    }

    /// The value a waiter carries.
    pub(crate) fn value(&self, key: usize) -> &T {
        &self.nodes[key].value
    }

    /// The value a waiter carries, to change.
    pub(crate) fn value_mut(&mut self, key: usize) -> &mut T {
        &mut self.nodes[key].value
    }

    /// Keeps `waker` as the one to wake for `key` (no clone if it is the same).
    pub(crate) fn register(&mut self, key: usize, waker: &Waker) {
        let slot = &mut self.nodes[key].waker;
        match slot {
            Some(old) if old.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }

    /// Unlinks the front waiter and takes its waker (to wake once the list
    /// is released).
    pub(crate) fn pop_front(&mut self) -> Option<(usize, Option<Waker>)> {
        let key = self.front()?;
        self.unlink(key);
        Some((key, self.nodes[key].waker.take()))
    }

    /// Unlinks every waiter and takes their wakers: O(n) in all.
    pub(crate) fn take_all(&mut self) -> Vec<Waker> {
        let mut wakers = Vec::new();
        let mut key = self.head;
        while key != NIL {
            let node = &mut self.nodes[key];
            node.linked = false;
            key = node.next;
            wakers.extend(node.waker.take());
        }
        self.head = NIL;
        self.tail = NIL;
        wakers
    }
}

#[cfg(test)]
mod tests {
    use super::WaitList;
    use std::task::Waker;

    fn order(list: &WaitList<u32>) -> Vec<u32> {
        let mut out = Vec::new();
        let mut key = list.head;
        while key != super::NIL {
            out.push(list.nodes[key].value);
            key = list.nodes[key].next;
        }
        out
    }

    #[test]
    fn waiters_leave_from_anywhere_and_keep_fifo_order() {
        let waker = Waker::noop();
        let mut list = WaitList::new();
        let keys: Vec<usize> = (0..5).map(|i| list.push_back(i, waker)).collect();
        list.remove(keys[2]);
        list.remove(keys[0]);
        list.remove(keys[4]);
        assert_eq!(order(&list), [1, 3]);
        let (front, _) = list.pop_front().expect("two left");
        assert_eq!(*list.value(front), 1);
        assert!(!list.is_linked(front));
        list.link_back(front);
        list.register(front, waker);
        assert_eq!(order(&list), [3, 1]);
        assert_eq!(list.take_all().len(), 2);
        assert!(list.is_empty());
        assert_eq!(list.remove(keys[1]), 1);
    }
}
