//! Tests of the timers: heap order, positions, removal, and the far list.

use super::{Deadline, TimerKey, Timers};
use std::task::Waker;
use std::time::{Duration, Instant};

/// Inserts a timer due `ms` milliseconds after `base` for each of `ms`.
fn insert_at(t: &mut Timers, base: Instant, ms: &[u64]) -> Vec<TimerKey> {
    ms.iter()
        .map(|&ms| {
            t.insert(
                Deadline::from_instant(base + Duration::from_millis(ms)),
                Waker::noop().clone(),
            )
        })
        .collect()
}

fn fire(t: &mut Timers, now: Instant) -> usize {
    let mut w = Vec::new();
    t.fire_due(now, &mut w);
    w.len()
}

#[test]
fn a_timer_costs_a_16_byte_item_a_16_byte_slot_and_a_4_byte_position() {
    use std::mem::size_of;
    // The shape of `slab`'s own (private) slot type: the waker's
    // non-null vtable pointer leaves room for the vacant case.
    #[expect(dead_code, reason = "only its size is looked at")]
    enum SlabSlot {
        Vacant(usize),
        Occupied(Waker),
    }
    fn element_size<T>(_: &[T]) -> usize {
        size_of::<T>()
    }
    assert_eq!(size_of::<super::Item>(), 16);
    assert_eq!(size_of::<SlabSlot>(), 16);
    // The position, in the parallel array: an entry `{ Waker, u32 }` in
    // the slab would be padded to 24.
    assert_eq!(element_size(&Timers::default().pos), 4);
    assert_eq!(size_of::<Option<TimerKey>>(), 4);
}

#[test]
fn ties_keep_insertion_order_across_the_wrap_of_the_insertion_number() {
    let base = Instant::now();
    let mut t = Timers {
        seq: u32::MAX - 1,
        ..Timers::default()
    };
    let at = base + Duration::from_millis(1);
    let keys: Vec<TimerKey> = (0..4)
        .map(|_| t.insert(Deadline::from_instant(at), Waker::noop().clone()))
        .collect();
    let mut order = Vec::new();
    for _ in 0..4 {
        let first = t.heap[0].key;
        order.push(keys.iter().position(|k| k.index() == first as usize));
        t.remove_at(0);
    }
    assert_eq!(order, vec![Some(0), Some(1), Some(2), Some(3)]);
}

#[test]
fn timers_fire_in_deadline_order_and_ties_in_insertion_order() {
    let base = Instant::now();
    let mut t = Timers::default();
    let keys = insert_at(&mut t, base, &[5, 1, 3, 1, 4]);
    let mut order = Vec::new();
    for ms in 0..=5 {
        let now = base + Duration::from_millis(ms);
        let mut w = Vec::new();
        t.fire_due(now, &mut w);
        for (i, &k) in keys.iter().enumerate() {
            if t.is_fired(k) && !order.contains(&i) {
                order.push(i);
            }
        }
    }
    assert_eq!(order, vec![1, 3, 2, 4, 0]);
}

#[test]
fn removed_timers_leave_the_heap_at_once() {
    let base = Instant::now();
    let mut t = Timers::default();
    let keys: Vec<TimerKey> = (0..100)
        .map(|i| {
            t.insert(
                Deadline::from_instant(base + Duration::from_millis(i)),
                Waker::noop().clone(),
            )
        })
        .collect();
    for &k in keys.iter().step_by(2) {
        t.remove(k);
    }
    assert_eq!(t.len(), 50);
    assert_eq!(t.next_deadline(), Some(base + Duration::from_millis(1)));
    assert_eq!(fire(&mut t, base + Duration::from_secs(1)), 50);
    assert_eq!(t.len(), 0);
}

#[test]
fn reset_moves_a_timer_and_revives_a_fired_one() {
    let base = Instant::now();
    let mut t = Timers::default();
    let a = t.insert(
        Deadline::from_instant(base + Duration::from_millis(10)),
        Waker::noop().clone(),
    );
    let b = t.insert(
        Deadline::from_instant(base + Duration::from_millis(20)),
        Waker::noop().clone(),
    );
    t.reset(b, Deadline::from_instant(base + Duration::from_millis(5)));
    assert_eq!(t.next_deadline(), Some(base + Duration::from_millis(5)));
    assert_eq!(fire(&mut t, base + Duration::from_millis(5)), 1);
    assert!(t.is_fired(b) && !t.is_fired(a));
    t.reset(b, Deadline::from_instant(base + Duration::from_millis(30)));
    assert!(!t.is_fired(b));
    assert_eq!(t.len(), 2);
}

/// Heap order holds and every entry knows its item's position.
fn assert_consistent(t: &Timers) {
    for (i, item) in t.heap.iter().enumerate() {
        assert_eq!(t.pos[item.key as usize] as usize, i, "position of item {i}");
        if i > 0 {
            assert!(
                !item.before(&t.heap[(i - 1) / 2]),
                "item {i} is before its parent"
            );
        }
    }
}

#[test]
fn removing_anywhere_keeps_order_and_positions_also_when_the_last_item_rises() {
    let base = Instant::now();
    let mut t = Timers::default();
    // Deadlines that make the moved last item smaller than the
    // removed one's parent for some positions, larger for others.
    let keys = insert_at(
        &mut t,
        base,
        &[1, 50, 2, 60, 70, 3, 4, 80, 90, 95, 99, 5, 6, 7, 8],
    );
    assert_consistent(&t);
    for &k in &[keys[3], keys[1], keys[8], keys[0], keys[12]] {
        t.remove(k);
        assert_consistent(&t);
    }
    assert_eq!(t.len(), 10);
    let mut last = base;
    while let Some(d) = t.next_deadline() {
        assert!(d >= last);
        last = d;
        assert_eq!(fire(&mut t, d), 1);
        assert_consistent(&t);
    }
}

#[test]
fn random_inserts_and_removes_keep_heap_order() {
    let base = Instant::now();
    let mut t = Timers::default();
    let mut live = Vec::new();
    let mut x: u64 = 12345;
    for _ in 0..2000 {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        if x.is_multiple_of(3) && !live.is_empty() {
            let k = live.swap_remove(usize::try_from(x / 3).unwrap_or(0) % live.len());
            t.remove(k);
        } else {
            live.push(t.insert(
                Deadline::from_instant(base + Duration::from_micros(x % 10_000)),
                Waker::noop().clone(),
            ));
        }
    }
    let mut last = base;
    while let Some(d) = t.next_deadline() {
        assert!(d >= last);
        last = d;
        let mut w = Vec::new();
        t.fire_due(d, &mut w);
    }
}

mod far {
    use super::super::{Deadline, IN_FAR, TimerKey, Timers};
    use std::task::Waker;
    use std::time::{Duration, Instant};

    fn add(t: &mut Timers, at: Instant) -> TimerKey {
        t.insert(Deadline::from_instant(at), Waker::noop().clone())
    }

    #[test]
    fn far_timers_are_added_and_removed_without_the_heap() {
        let mut t = Timers::default();
        let base = Instant::now();
        let near = add(&mut t, base + Duration::from_millis(5));
        let far: Vec<TimerKey> = (1..=3)
            .map(|s| add(&mut t, base + Duration::from_secs(10 * s)))
            .collect();
        assert_eq!((t.heap.len(), t.far.len(), t.len()), (1, 3, 4));
        assert_eq!(t.next_deadline(), Some(base + Duration::from_millis(5)));
        t.remove(far[1]);
        assert_eq!((t.heap.len(), t.far.len()), (1, 2));
        assert_eq!(t.pos[far[2].index()] & !IN_FAR, 1, "moved into the hole");
        t.remove(near);
        assert_eq!(t.next_deadline(), Some(base + Duration::from_secs(10)));
        t.remove(far[0]);
        t.remove(far[2]);
        assert_eq!((t.len(), t.next_deadline()), (0, None));
    }

    #[test]
    fn a_removed_far_timer_leaves_an_early_bound_that_one_firing_corrects() {
        let mut t = Timers::default();
        let base = Instant::now();
        let x = add(&mut t, base + Duration::from_secs(10));
        let y = add(&mut t, base + Duration::from_secs(20));
        t.remove(x);
        assert_eq!(t.next_deadline(), Some(base + Duration::from_secs(10)));
        let mut w = Vec::new();
        t.fire_due(base + Duration::from_secs(10), &mut w);
        assert!(w.is_empty() && !t.is_fired(y));
        assert_eq!(t.next_deadline(), Some(base + Duration::from_secs(20)));
        assert_eq!(t.far.len(), 1, "not within the horizon yet");
        t.fire_due(base + Duration::from_secs(20), &mut w);
        assert_eq!(w.len(), 1);
        assert!(t.is_fired(y));
    }

    #[test]
    fn resets_move_timers_between_near_and_far_and_ties_keep_their_order() {
        let mut timers = Timers::default();
        let base = Instant::now();
        let at = base + Duration::from_secs(30);
        let first = add(&mut timers, base + Duration::from_millis(1));
        let second = add(&mut timers, at);
        // Near to far, and now after `second` among equal deadlines.
        timers.reset(first, Deadline::from_instant(at));
        assert_eq!((timers.heap.len(), timers.far.len()), (0, 2));
        let third = add(&mut timers, base + Duration::from_millis(2));
        // Far to near.
        timers.reset(
            second,
            Deadline::from_instant(base + Duration::from_millis(3)),
        );
        assert_eq!((timers.heap.len(), timers.far.len()), (2, 1));
        let mut woken = Vec::new();
        timers.fire_due(base + Duration::from_millis(3), &mut woken);
        assert_eq!(woken.len(), 2);
        assert!(timers.is_fired(second) && timers.is_fired(third) && !timers.is_fired(first));
        // Fired to far: all three due at `at`, in the order of the resets.
        timers.reset(second, Deadline::from_instant(at));
        timers.reset(third, Deadline::from_instant(at));
        assert_eq!(timers.far.len(), 3);
        timers.gather_far(Deadline::from_instant(at));
        let mut order = Vec::new();
        while let Some(key) = timers.heap.first().map(|item| item.key) {
            order.push(
                [first, second, third]
                    .iter()
                    .position(|k| k.index() == key as usize),
            );
            timers.remove_at(0);
        }
        assert_eq!(order, vec![Some(0), Some(1), Some(2)]);
    }

    #[test]
    fn random_timers_near_and_far_fire_exactly_when_due() {
        let mut t = Timers::default();
        let base = Instant::now();
        let mut live: Vec<(TimerKey, Instant)> = Vec::new();
        let mut x: u64 = 99;
        let mut now = base;
        for step in 0..3000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let r = x >> 33;
            match r % 4 {
                0 | 1 => {
                    // From 0 to 5 s ahead: both sides of the horizon.
                    let at = now + Duration::from_micros(r % 5_000_000);
                    live.push((add(&mut t, at), at));
                }
                2 if !live.is_empty() => {
                    let i = usize::try_from(r).unwrap_or(0) % live.len();
                    if r % 8 < 4 {
                        t.remove(live.swap_remove(i).0);
                    } else {
                        let at = now + Duration::from_micros(r % 3_000_000);
                        t.reset(live[i].0, Deadline::from_instant(at));
                        live[i].1 = at;
                    }
                }
                _ => {
                    now += Duration::from_micros(r % 400_000);
                    let next = t.next_deadline();
                    let earliest = live.iter().map(|&(_, at)| at).min();
                    assert!(
                        next <= earliest,
                        "step {step}: next {next:?} after {earliest:?}"
                    );
                    let mut w = Vec::new();
                    t.fire_due(now, &mut w);
                    let due = live.iter().filter(|&&(_, at)| at <= now).count();
                    assert_eq!(w.len(), due, "step {step}: fired what is due");
                    for &(k, at) in &live {
                        assert_eq!(t.is_fired(k), at <= now, "step {step}");
                    }
                    for (k, _) in live.iter().filter(|&&(_, at)| at <= now) {
                        t.remove(*k);
                    }
                    live.retain(|&(_, at)| at > now);
                    assert_eq!(t.len(), live.len());
                }
            }
        }
        assert!(
            !t.far.is_empty() || live.is_empty(),
            "the far list was used"
        );
    }
}
