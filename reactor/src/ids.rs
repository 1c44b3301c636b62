//! Virtual ids for registrations that have no fd of their own (signals,
//! processes).
//!
//! # Invariant
//!
//! Ids are negative and never -1 (the seed's `InvalidIdent`): the first is
//! -2, then -3, ... down to `floor`. A freed id is handed out again before a
//! new one is made, so the range stays dense; when it is exhausted, `alloc`
//! fails instead of wrapping around into fds.

use std::io;

#[derive(Debug)]
pub(crate) struct VirtualIds {
    /// The next never-used id.
    next: i32,
    /// The lowest id that may be handed out.
    floor: i32,
    /// Freed ids, reused last-in first-out.
    holes: Vec<i32>,
}

impl VirtualIds {
    pub(crate) fn new() -> VirtualIds {
        VirtualIds::with_floor(i32::MIN)
    }

    pub(crate) fn with_floor(floor: i32) -> VirtualIds {
        VirtualIds {
            next: -2,
            floor,
            holes: Vec::new(),
        }
    }

    pub(crate) fn alloc(&mut self) -> io::Result<i32> {
        if let Some(id) = self.holes.pop() {
            return Ok(id);
        }
        if self.next < self.floor {
            return Err(io::Error::new(
                io::ErrorKind::OutOfMemory,
                "virtual ids exhausted: too many signal and process registrations",
            ));
        }
        let id = self.next;
        self.next = self.next.saturating_sub(1);
        if id == i32::MIN {
            // Saturated: make the next call fail rather than hand out MIN twice.
            self.floor = 0;
        }
        Ok(id)
    }

    pub(crate) fn free(&mut self, id: i32) {
        debug_assert!(id < -1, "only virtual ids are freed");
        self.holes.push(id);
    }

    /// Index of a virtual id in a dense table: -2 is 0, -3 is 1, ...
    pub(crate) fn index(id: i32) -> usize {
        usize::try_from(-(i64::from(id)) - 2).expect("virtual ids are below -1")
    }
}

#[cfg(test)]
mod tests {
    use super::VirtualIds;

    #[test]
    fn ids_start_below_minus_one_and_descend() {
        let mut ids = VirtualIds::new();
        assert_eq!(ids.alloc().expect("free"), -2);
        assert_eq!(ids.alloc().expect("free"), -3);
        assert_eq!(VirtualIds::index(-2), 0);
        assert_eq!(VirtualIds::index(-3), 1);
    }

    #[test]
    fn freed_ids_are_reused_before_new_ones() {
        let mut ids = VirtualIds::new();
        let a = ids.alloc().expect("free");
        let b = ids.alloc().expect("free");
        ids.free(a);
        assert_eq!(ids.alloc().expect("reused"), a);
        assert_eq!(ids.alloc().expect("new"), b - 1);
    }

    #[test]
    fn exhaustion_is_an_error_not_a_wrap() {
        let mut ids = VirtualIds::with_floor(-4);
        assert_eq!(ids.alloc().expect("free"), -2);
        assert_eq!(ids.alloc().expect("free"), -3);
        assert_eq!(ids.alloc().expect("free"), -4);
        let err = ids.alloc().expect_err("exhausted");
        assert_eq!(err.kind(), std::io::ErrorKind::OutOfMemory);
        ids.free(-3);
        assert_eq!(ids.alloc().expect("hole"), -3);
    }

    #[test]
    fn the_lowest_id_is_handed_out_once() {
        let mut ids = VirtualIds {
            next: i32::MIN,
            floor: i32::MIN,
            holes: Vec::new(),
        };
        assert_eq!(ids.alloc().expect("free"), i32::MIN);
        assert!(ids.alloc().is_err());
    }
}
