//! Timers in real time through the facade: precision, `sleep_until`,
//! `timeout` both ways, `Sleep::reset`, cancelled sleeps, `Duration::MAX`,
//! and `interval`.
//!
//! Lower bounds are strict (a timer never fires early); upper bounds are
//! generous, since the machine is shared. How precise a sleep is belongs
//! in `benches/timers.rs`; the 100 µs test only prints its median.

mod util;

use std::cell::Cell;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::thread;
use util::within_thread as within;

use chronia::time::{
    Duration, Elapsed, Instant, interval, interval_at, sleep, sleep_until, timeout, timeout_at,
};

/// Upper bound for anything that should take "no time" or a few ms: only a
/// hang or a lost wake-up exceeds it, not a loaded machine.
const PROMPT: Duration = Duration::from_secs(5);

/// Polls `future` once with a no-op waker.
fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    std::pin::Pin::new(future).poll(&mut Context::from_waker(Waker::noop()))
}

/// Sets its flag when dropped.
struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

#[test]
fn sleep_of_100_us_is_never_early() {
    let mut took = within(Duration::from_secs(30), || {
        chronia::block_on(async {
            let mut took = Vec::new();
            for _ in 0..21 {
                let start = Instant::now();
                sleep(Duration::from_micros(100)).await;
                took.push(start.elapsed());
            }
            took
        })
    });
    for t in &took {
        assert!(
            *t >= Duration::from_micros(100),
            "a sleep ended early: {t:?}"
        );
    }
    took.sort();
    // Speed is measured, never asserted, here (see benches/timers.rs).
    println!("median sleep of 100 µs: {:?}", took[took.len() / 2]);
}

#[test]
fn sleep_of_a_few_ms_is_never_early() {
    within(Duration::from_secs(30), || {
        chronia::block_on(async {
            for ms in [1, 3, 7] {
                let d = Duration::from_millis(ms);
                let start = Instant::now();
                sleep(d).await;
                let took = start.elapsed();
                assert!(took >= d, "sleep({d:?}) took {took:?}");
                assert!(took < d + PROMPT, "sleep({d:?}) took {took:?}");
            }
        });
    });
}

#[test]
fn sleep_until_a_past_instant_is_ready_at_the_first_poll() {
    within(Duration::from_secs(10), || {
        chronia::block_on(async {
            let past = Instant::now();
            sleep(Duration::from_millis(1)).await;
            let mut s = pin!(sleep_until(past));
            assert!(s.is_elapsed());
            assert!(poll_once(&mut s).is_ready());
            let mut zero = pin!(sleep(Duration::ZERO));
            assert!(poll_once(&mut zero).is_ready());
        });
    });
}

#[test]
fn timeout_returns_the_output_when_the_inner_future_wins() {
    chronia::block_on(async {
        let start = Instant::now();
        let out = timeout(Duration::from_secs(5), async {
            sleep(Duration::from_millis(2)).await;
            "inner"
        })
        .await;
        assert_eq!(out, Ok("inner"));
        assert!(start.elapsed() < Duration::from_secs(5));
        assert_eq!(timeout(Duration::ZERO, async { 3 }).await, Ok(3));
    });
}

#[test]
fn timeout_that_elapses_gives_elapsed_and_drops_the_inner_future() {
    chronia::block_on(async {
        let dropped = Rc::new(Cell::new(false));
        let flag = DropFlag(dropped.clone());
        let start = Instant::now();
        let out = timeout(Duration::from_millis(5), async move {
            let _flag = flag;
            sleep(Duration::from_secs(3600)).await;
        })
        .await;
        let took = start.elapsed();
        let err: Elapsed = out.expect_err("the inner future sleeps for an hour");
        assert_eq!(err.to_string(), "deadline has elapsed");
        assert!(dropped.get(), "the inner future outlived its timeout");
        assert!(
            took >= Duration::from_millis(5),
            "timed out early: {took:?}"
        );
        assert!(took < PROMPT, "timed out late: {took:?}");
    });
}

#[test]
fn reset_to_an_earlier_deadline_completes_the_sleep_early() {
    within(Duration::from_secs(10), || {
        chronia::block_on(async {
            let mut s = pin!(sleep(Duration::from_secs(3600)));
            // Registered in the heap at the 1 h deadline first.
            assert!(poll_once(&mut s).is_pending());
            let start = Instant::now();
            let at = start + Duration::from_millis(3);
            s.as_mut().reset(at);
            assert_eq!(s.deadline(), at);
            s.await;
            let took = start.elapsed();
            assert!(Instant::now() >= at);
            assert!(took < PROMPT, "reset earlier took {took:?}");
        });
    });
}

#[test]
fn reset_to_a_later_deadline_delays_the_sleep() {
    within(Duration::from_secs(10), || {
        chronia::block_on(async {
            let mut s = pin!(sleep(Duration::from_millis(2)));
            assert!(poll_once(&mut s).is_pending());
            let at = Instant::now() + Duration::from_millis(40);
            s.as_mut().reset(at);
            s.as_mut().await;
            assert!(Instant::now() >= at, "completed at the old deadline");
            // A completed sleep can be reset and awaited again.
            let again = Instant::now() + Duration::from_millis(5);
            s.as_mut().reset(again);
            assert!(!s.is_elapsed());
            s.await;
            assert!(Instant::now() >= again);
        });
    });
}

#[test]
fn cancelled_sleeps_leave_the_timer_heap() {
    within(Duration::from_secs(60), || {
        chronia::block_on(async {
            // 10,000 sleeps registered (polled once) and dropped.
            for _ in 0..10_000 {
                let mut s = pin!(sleep(Duration::from_secs(3600)));
                assert!(poll_once(&mut s).is_pending());
            }
            // 10,000 tasks asleep for an hour, aborted.
            let tasks: Vec<_> = (0..10_000)
                .map(|_| chronia::spawn(sleep(Duration::from_secs(3600))))
                .collect();
            chronia::task::yield_now().await;
            for t in &tasks {
                t.abort();
            }
            for t in tasks {
                assert!(t.await.expect_err("aborted").is_cancelled());
            }

            let start = Instant::now();
            sleep(Duration::from_millis(1)).await;
            let took = start.elapsed();
            assert!(took >= Duration::from_millis(1));
            assert!(took < PROMPT, "a 1 ms sleep took {took:?}");

            // With virtual time, a runtime that waits on something else
            // than a timer jumps to the next pending timer. If a cancelled
            // sleep had stayed in the heap, the clock would jump an hour.
            chronia::time::pause();
            let before = chronia::time::now();
            wait_for_other_thread(Duration::from_millis(20)).await;
            assert_eq!(
                chronia::time::now(),
                before,
                "virtual time moved: a cancelled sleep is still in the heap"
            );
        });
    });
}

/// Completes when another thread wakes it after `after`.
async fn wait_for_other_thread(after: Duration) {
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut sent = false;
    poll_fn(|cx| {
        if done.load(std::sync::atomic::Ordering::Acquire) {
            return Poll::Ready(());
        }
        if !sent {
            sent = true;
            let (done, waker) = (done.clone(), cx.waker().clone());
            thread::spawn(move || {
                thread::sleep(after);
                done.store(true, std::sync::atomic::Ordering::Release);
                waker.wake();
            });
        }
        Poll::Pending
    })
    .await;
}

#[test]
fn sleep_of_duration_max_is_valid_and_does_not_complete() {
    within(Duration::from_secs(10), || {
        chronia::block_on(async {
            let s = sleep(Duration::MAX);
            assert!(s.deadline() > Instant::now() + Duration::from_secs(86_400 * 365));
            let start = Instant::now();
            assert!(timeout(Duration::from_millis(20), s).await.is_err());
            assert!(start.elapsed() >= Duration::from_millis(20));
            // The runtime still serves other timers after arming "forever".
            let forever = chronia::spawn(sleep(Duration::MAX));
            sleep(Duration::from_millis(1)).await;
            assert!(!forever.is_finished());
        });
    });
}

#[test]
fn sleep_deadlines_are_exact_and_instants_beyond_292_years_clamp() {
    within(Duration::from_secs(10), || {
        chronia::block_on(async {
            let now = Instant::now();
            let year = Duration::from_secs(365 * 86_400);
            for at in [
                now + Duration::from_nanos(1),
                now + 100 * year + Duration::from_nanos(3),
                now.checked_sub(Duration::from_nanos(7)).unwrap_or(now),
            ] {
                assert_eq!(sleep_until(at).deadline(), at);
                let mut s = sleep(Duration::from_secs(60));
                s.reset(at);
                assert_eq!(s.deadline(), at, "after reset");
            }
            // Out of range: the deadline clamps to ~292 years from the
            // process's first sleep, and the sleep waits as "never".
            let far = now + 400 * year;
            let s = sleep_until(far);
            assert!(s.deadline() < far && s.deadline() > now + 290 * year);
            assert!(!s.is_elapsed());
            assert!(timeout(Duration::from_millis(5), s).await.is_err());
        });
    });
}

#[test]
fn interval_ticks_at_once_then_every_period() {
    within(Duration::from_secs(10), || {
        chronia::block_on(async {
            let period = Duration::from_millis(10);
            let start = Instant::now();
            let mut ticks = interval(period);
            assert_eq!(ticks.period(), period);
            let first = ticks.tick().await;
            assert!(start.elapsed() < PROMPT, "the first tick was not immediate");
            let mut last = first;
            for n in 1..=4u32 {
                let scheduled = ticks.tick().await;
                let now = Instant::now();
                assert!(
                    scheduled >= last + period,
                    "tick {n} too close: {scheduled:?}"
                );
                assert!(now >= first + period * n, "tick {n} came early");
                last = scheduled;
            }
            assert!(start.elapsed() >= period * 4);
        });
    });
}

#[test]
fn interval_at_first_ticks_at_its_start() {
    within(Duration::from_secs(10), || {
        chronia::block_on(async {
            let start = Instant::now() + Duration::from_millis(5);
            let mut ticks = interval_at(start, Duration::from_secs(3600));
            assert_eq!(ticks.tick().await, start);
            assert!(Instant::now() >= start);
        });
    });
}

#[test]
#[should_panic(expected = "period must be above zero")]
fn interval_with_a_zero_period_panics_with_a_message() {
    chronia::block_on(async {
        let _ = interval(Duration::ZERO);
    });
}

#[test]
#[should_panic(expected = "inside a chronia runtime")]
fn sleep_outside_a_runtime_panics_with_a_message() {
    drop(sleep(Duration::from_millis(1)));
}

#[test]
fn reset_to_a_past_deadline_is_ready_at_the_next_poll() {
    // Before the fix the timer stayed in the heap and the sleep `Pending`
    // until a driver turn fired it, although `is_elapsed()` said true.
    chronia::block_on(async {
        let mut s = pin!(sleep(Duration::from_secs(3600)));
        assert!(poll_once(&mut s).is_pending());
        let past = Instant::now();
        thread::sleep(std::time::Duration::from_millis(1));
        s.as_mut().reset(past);
        assert!(
            poll_once(&mut s).is_ready(),
            "reset to the past, yet pending"
        );
        assert!(s.is_elapsed());
    });
}

#[test]
fn interval_polled_outside_any_runtime_uses_its_own_clock() {
    // Before the fix `poll_tick` read the current runtime's clock and
    // panicked outside one.
    let rt = chronia::Runtime::new().expect("runtime");
    let mut ticks = rt.block_on(async { interval(Duration::from_secs(3600)) });
    let first = poll_fn(|cx| ticks.poll_tick(cx));
    let mut first = pin!(first);
    assert!(
        poll_once(&mut first).is_ready(),
        "the first tick is due at once"
    );
    let mut second = pin!(poll_fn(|cx| ticks.poll_tick(cx)));
    assert!(poll_once(&mut second).is_pending());
}

#[test]
fn interval_under_another_runtime_keeps_ticking() {
    within(Duration::from_secs(10), || {
        let a = chronia::Runtime::new().expect("runtime");
        let mut ticks = a.block_on(async { interval(Duration::from_millis(2)) });
        let b = chronia::Runtime::new().expect("runtime");
        b.block_on(async {
            let first = ticks.tick().await;
            let second = ticks.tick().await;
            assert!(second >= first + Duration::from_millis(2));
            assert!(Instant::now() >= second);
        });
    });
}

#[test]
fn timeout_at_gives_the_output_or_elapsed_at_the_deadline() {
    within(Duration::from_secs(10), || {
        chronia::block_on(async {
            let deadline = Instant::now() + Duration::from_millis(5);
            assert_eq!(timeout_at(deadline, async { 3 }).await, Ok(3));
            let slow = sleep(Duration::from_secs(3600));
            assert!(timeout_at(deadline, slow).await.is_err());
            assert!(Instant::now() >= deadline, "elapsed early");
            let past = Instant::now();
            let never = std::future::pending::<()>();
            assert!(timeout_at(past, never).await.is_err());
        });
    });
}

#[test]
fn interval_resets_move_the_next_tick_as_tokio_does() {
    within(Duration::from_secs(10), || {
        chronia::block_on(async {
            let period = Duration::from_millis(20);
            let mut ticks = interval(period);
            ticks.tick().await;

            let before = Instant::now();
            ticks.reset();
            let t = ticks.tick().await;
            assert!(t >= before + period, "reset: one period from now");
            assert!(Instant::now() >= t);

            let before = Instant::now();
            ticks.reset_after(Duration::from_millis(3));
            let after = Instant::now();
            let t = ticks.tick().await;
            assert!(t >= before + Duration::from_millis(3));
            assert!(
                t <= after + Duration::from_millis(3),
                "reset_after: not a period"
            );
            assert!(Instant::now() >= t);

            let at = Instant::now() + Duration::from_millis(4);
            ticks.reset_at(at);
            assert_eq!(ticks.tick().await, at);
            assert!(Instant::now() >= at);
            // The schedule goes on from the reset tick.
            let next = ticks.tick().await;
            assert!(next >= at + period);

            ticks.reset_immediately();
            let start = Instant::now();
            ticks.tick().await;
            assert!(start.elapsed() < PROMPT, "reset_immediately ticks at once");
        });
    });
}
