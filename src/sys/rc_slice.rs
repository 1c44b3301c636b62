//! [`RcSlice`]: a header and a slice of run-time length behind one
//! reference count, in one heap allocation (what `Rc<(H, [E])>` would be,
//! if std could build one whose length is known only at run time).
//!
//! The broadcast channel keeps its shared state and its ring here, so a
//! channel is one allocation instead of an `Rc` plus a `Box<[_]>`.
//!
//! # Invariants
//!
//! - `ptr` points to a live block of `layout(len)`: a [`Head`] at offset 0
//!   and `len` initialized elements from [`elems_offset`] on. Nobody but
//!   this module writes the block after [`RcSlice::new`] returns; the rest
//!   of the crate sees it through `&H` and `&[E]` only (interior mutability
//!   is the caller's, with `Cell`s in `H` and `E`).
//! - `count` is the number of `RcSlice` values pointing to the block,
//!   never 0 while one exists. The one that takes it to 0 drops the header
//!   and the elements and frees the block.
//! - `RcSlice` is neither `Send` nor `Sync` (`NonNull` is neither, and the
//!   count is a plain `Cell`).

use std::alloc::{self, Layout};
use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

/// What comes first in the block.
struct Head<H> {
    count: Cell<usize>,
    len: usize,
    header: H,
}

/// The layout of a block of `len` elements.
///
/// # Panics
///
/// Panics if the size overflows `isize`, as `Vec::with_capacity` does.
fn layout<H, E>(len: usize) -> Layout {
    Layout::array::<E>(len)
        .and_then(|elems| Layout::new::<Head<H>>().extend(elems))
        .map(|(layout, offset)| {
            debug_assert_eq!(offset, elems_offset::<H, E>());
            layout.pad_to_align()
        })
        .expect("an RcSlice fits in isize::MAX bytes")
}

/// Where the elements start: after the head, rounded up to their
/// alignment (what [`Layout::extend`] computes, without the length).
const fn elems_offset<H, E>() -> usize {
    size_of::<Head<H>>().next_multiple_of(align_of::<E>())
}

/// A reference-counted header `H` and `[E]` in one allocation (the unit
/// tests below show its use).
pub(crate) struct RcSlice<H, E> {
    ptr: NonNull<Head<H>>,
    /// The block owns an `H` and `E`s (for drop check).
    _owns: PhantomData<(Head<H>, E)>,
}

impl<H, E> RcSlice<H, E> {
    /// One allocation holding `header` and `len` elements, element `i`
    /// made by `elem(i)`.
    ///
    /// # Panics
    ///
    /// Panics if the block would exceed `isize::MAX` bytes. If `elem`
    /// panics, the elements made so far are dropped and the block freed.
    pub(crate) fn new(header: H, len: usize, mut elem: impl FnMut(usize) -> E) -> Self {
        let layout = layout::<H, E>(len);
        // SAFETY: `layout` is not zero-sized: it holds a `Head`, which has
        // a `usize` count.
        let block = unsafe { alloc::alloc(layout) };
        let Some(block) = NonNull::new(block) else {
            alloc::handle_alloc_error(layout)
        };
        let mut building = Building::<E> {
            block,
            layout,
            elems: block.as_ptr().wrapping_add(elems_offset::<H, E>()).cast(),
            made: 0,
        };
        while building.made < len {
            let slot = building.elems.wrapping_add(building.made);
            let value = elem(building.made);
            // SAFETY: `slot` is in the block (`made < len`, and `layout`
            // has room for `len` elements from `elems_offset`), aligned for
            // `E` (the offset is a multiple of its alignment, the block is
            // aligned for it) and not yet written.
            unsafe { slot.write(value) };
            building.made += 1;
        }
        std::mem::forget(building);
        let head = block.cast::<Head<H>>();
        // SAFETY: offset 0 of the block is aligned for `Head<H>` (the
        // layout's alignment is at least its) and has room for it.
        unsafe {
            head.write(Head {
                count: Cell::new(1),
                len,
                header,
            });
        }
        Self {
            ptr: head,
            _owns: PhantomData,
        }
    }

    fn head(&self) -> &Head<H> {
        // SAFETY: `ptr` points to an initialized `Head` that lives as long
        // as any `RcSlice` of it (invariants), so as long as `&self`; it is
        // only ever shared, never written through, after `new`.
        unsafe { self.ptr.as_ref() }
    }

    /// The header.
    pub(crate) fn header(&self) -> &H {
        &self.head().header
    }

    /// The elements.
    pub(crate) fn slice(&self) -> &[E] {
        let len = self.head().len;
        let elems = self.elems();
        // SAFETY: `elems` is the start of `len` initialized, aligned `E`s
        // in the block, which lives as long as `&self` and is only shared.
        unsafe { std::slice::from_raw_parts(elems, len) }
    }

    fn elems(&self) -> *mut E {
        self.ptr
            .as_ptr()
            .cast::<u8>()
            .wrapping_add(elems_offset::<H, E>())
            .cast::<E>()
    }

    /// Whether both point to the same block.
    pub(crate) fn ptr_eq(&self, other: &Self) -> bool {
        self.ptr == other.ptr
    }
}

/// A block being filled by [`RcSlice::new`]: if an element's maker
/// panics, the elements made so far are dropped and the block freed.
struct Building<E> {
    block: NonNull<u8>,
    layout: Layout,
    elems: *mut E,
    made: usize,
}

impl<E> Drop for Building<E> {
    fn drop(&mut self) {
        let made = ptr::slice_from_raw_parts_mut(self.elems, self.made);
        // SAFETY: the first `made` elements were written and nobody else
        // has the block; each is dropped once, here.
        unsafe { ptr::drop_in_place(made) };
        // SAFETY: the block came from `alloc` with `layout`; its head was
        // never written, and nothing in it is used again.
        unsafe { alloc::dealloc(self.block.as_ptr(), self.layout) };
    }
}

/// Moving the pointer moves nothing in the block, as for `Rc`.
impl<H, E> Unpin for RcSlice<H, E> {}

impl<H, E> Clone for RcSlice<H, E> {
    fn clone(&self) -> Self {
        let count = &self.head().count;
        // Past `usize::MAX` clones (only reachable by forgetting them) a
        // wrap would free the block under live pointers: refuse instead.
        count.set(count.get().checked_add(1).expect("RcSlice count overflow"));
        Self {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<H, E> Drop for RcSlice<H, E> {
    fn drop(&mut self) {
        let head = self.head();
        let count = head.count.get() - 1;
        head.count.set(count);
        if count > 0 {
            return;
        }
        let len = head.len;
        let elems = ptr::slice_from_raw_parts_mut(self.elems(), len);
        // SAFETY: this was the last `RcSlice` of the block: nobody else
        // can reach the elements, which are initialized and dropped once,
        // here. (If one's drop panics, the rest are still dropped and the
        // block leaks: memory-safe.)
        unsafe { ptr::drop_in_place(elems) };
        // SAFETY: as above for the head, initialized, dropped once, here.
        unsafe { ptr::drop_in_place(self.ptr.as_ptr()) };
        // SAFETY: the block came from `alloc` with this very layout (`len`
        // is the one it was made with), and nothing in it is used again.
        unsafe { alloc::dealloc(self.ptr.as_ptr().cast(), layout::<H, E>(len)) };
    }
}

impl<H: fmt::Debug, E: fmt::Debug> fmt::Debug for RcSlice<H, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RcSlice")
            .field("header", self.header())
            .field("slice", &self.slice())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::RcSlice;
    use std::cell::Cell;
    use std::rc::Rc;

    /// Counts its drops in the shared cell.
    struct Counted(Rc<Cell<u32>>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    #[repr(align(64))]
    #[derive(Debug, PartialEq)]
    struct Wide(u8);

    #[test]
    fn header_and_elements_are_what_new_made() {
        let block = RcSlice::new(7u8, 5, |i| u64::try_from(i).expect("small") * 10);
        assert_eq!(*block.header(), 7);
        assert_eq!(block.slice(), [0, 10, 20, 30, 40]);
    }

    #[test]
    fn clones_share_one_block_and_the_last_drop_drops_everything_once() {
        let drops = Rc::new(Cell::new(0));
        let block = RcSlice::new(Counted(Rc::clone(&drops)), 3, |_| {
            Counted(Rc::clone(&drops))
        });
        let other = block.clone();
        assert!(block.ptr_eq(&other));
        drop(block);
        assert_eq!(drops.get(), 0, "a clone is alive");
        assert_eq!(other.slice().len(), 3);
        drop(other);
        assert_eq!(drops.get(), 4, "the header and three elements");
    }

    #[test]
    fn cells_inside_are_shared_between_clones() {
        let block = RcSlice::new(Cell::new(0u32), 2, |_| Cell::new(0u16));
        let other = block.clone();
        block.header().set(5);
        other.slice()[1].set(9);
        assert_eq!(other.header().get(), 5);
        assert_eq!(block.slice()[1].get(), 9);
    }

    #[test]
    fn empty_zero_sized_and_overaligned_layouts_work() {
        let empty = RcSlice::new((), 0, |_| 0u8);
        assert!(empty.slice().is_empty());
        let unit = RcSlice::new(1u64, 4, |_| ());
        assert_eq!(unit.slice().len(), 4);
        let wide = RcSlice::new(3u8, 3, |i| Wide(u8::try_from(i).expect("small")));
        assert_eq!(wide.slice(), [Wide(0), Wide(1), Wide(2)]);
        assert_eq!(wide.slice().as_ptr().addr() % 64, 0);
        assert_eq!(*wide.header(), 3);
    }

    #[test]
    fn a_panic_while_building_drops_what_was_made_and_frees_the_block() {
        let made = Rc::new(Cell::new(0));
        let dropped = Rc::new(Cell::new(0));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            RcSlice::new(String::from("h"), 4, |i| {
                assert!(i < 2, "the third element fails");
                made.set(made.get() + 1);
                Counted(Rc::clone(&dropped))
            })
        }));
        assert!(result.is_err());
        assert_eq!((made.get(), dropped.get()), (2, 2));
    }
}
