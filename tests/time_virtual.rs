//! Virtual time through the facade (`chronia::time::pause`): timer order,
//! auto-advance, `advance`, the missed-tick behaviours of `Interval`, and
//! `timeout`. Paused tests run in no real time and always in one order, so
//! their assertions are exact.

mod util;

use std::cell::RefCell;
use std::rc::Rc;
use std::thread;
use util::within_thread as within;

use chronia::task::yield_now;
use chronia::time::{
    self, Duration, Instant, MissedTickBehavior, interval, sleep, sleep_until, timeout,
};

/// Runs `future` on a new runtime with its clock paused, with a watchdog.
fn paused<T: Send + 'static, F: Future<Output = T> + 'static>(
    make: impl FnOnce() -> F + Send + 'static,
) -> T {
    within(Duration::from_secs(20), move || {
        chronia::block_on(async move {
            time::pause();
            make().await
        })
    })
}

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn timers_fire_in_deadline_order_and_ties_in_creation_order() {
    let order = paused(|| async {
        let order = Rc::new(RefCell::new(Vec::new()));
        let delays = [50, 10, 30, 10, 40, 10, 30];
        let tasks: Vec<_> = delays
            .iter()
            .enumerate()
            .map(|(i, &d)| {
                let order = order.clone();
                chronia::spawn(async move {
                    sleep(ms(d)).await;
                    order.borrow_mut().push(i);
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("no panic");
        }
        order.take()
    });
    assert_eq!(order, vec![1, 3, 5, 2, 6, 4, 0]);
}

#[test]
fn each_timer_completes_at_its_own_virtual_instant() {
    paused(|| async {
        let start = time::now();
        let seen = Rc::new(RefCell::new(Vec::new()));
        let tasks: Vec<_> = [30u64, 10, 20]
            .into_iter()
            .map(|d| {
                let seen = seen.clone();
                chronia::spawn(async move {
                    sleep(ms(d)).await;
                    seen.borrow_mut().push((d, time::now() - start));
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("no panic");
        }
        assert_eq!(seen.take(), vec![(10, ms(10)), (20, ms(20)), (30, ms(30))]);
    });
}

#[test]
fn an_hour_long_sleep_auto_advances_in_no_real_time() {
    paused(|| async {
        let real = Instant::now();
        let start = time::now();
        sleep(Duration::from_secs(3600)).await;
        assert_eq!(time::now() - start, Duration::from_secs(3600));
        assert!(
            real.elapsed() < Duration::from_secs(1),
            "auto-advance took {:?} of real time",
            real.elapsed()
        );
    });
}

#[test]
fn paused_time_stands_still_while_no_timer_is_pending() {
    paused(|| async {
        let start = time::now();
        thread::sleep(ms(5));
        assert_eq!(time::now(), start);
        yield_now().await;
        assert_eq!(time::now(), start);
    });
}

#[test]
fn virtual_time_does_not_auto_advance_while_a_task_is_busy() {
    // Auto-advance is for a runtime whose tasks are all idle. A task that
    // keeps yielding is not idle, even when the executor checks the reactor
    // between its polls.
    paused(|| async {
        let start = time::now();
        let sleeper = chronia::spawn(sleep(Duration::from_secs(3600)));
        for _ in 0..1_000 {
            yield_now().await;
        }
        assert_eq!(
            time::now() - start,
            Duration::ZERO,
            "the clock jumped to a pending timer while the main task was busy"
        );
        assert!(!sleeper.is_finished());
    });
}

#[test]
fn advance_fires_exactly_the_timers_that_are_due() {
    paused(|| async {
        let fired = Rc::new(RefCell::new(Vec::new()));
        let _tasks: Vec<_> = (1..=5u64)
            .map(|s| {
                let fired = fired.clone();
                chronia::spawn(async move {
                    sleep(Duration::from_secs(s)).await;
                    fired.borrow_mut().push(s);
                })
            })
            .collect();
        yield_now().await; // every task registers its sleep
        assert!(fired.borrow().is_empty());

        time::advance(Duration::from_secs(3)).await;
        assert_eq!(*fired.borrow(), [1, 2, 3], "deadline at exactly now is due");

        time::advance(ms(999)).await;
        assert_eq!(*fired.borrow(), [1, 2, 3], "one ms short of the fourth");

        time::advance(ms(1)).await;
        assert_eq!(*fired.borrow(), [1, 2, 3, 4]);

        time::advance(Duration::from_secs(10)).await;
        assert_eq!(*fired.borrow(), [1, 2, 3, 4, 5]);
    });
}

#[test]
fn advance_moves_now_by_exactly_its_argument() {
    paused(|| async {
        let start = time::now();
        time::advance(ms(1500)).await;
        time::advance(Duration::from_nanos(1)).await;
        assert_eq!(time::now() - start, ms(1500) + Duration::from_nanos(1));
    });
}

/// Ticks `ticks` until one that waited, recording `(scheduled, now)` for
/// each, relative to `start`.
async fn drain_ticks(ticks: &mut time::Interval, start: Instant, n: usize) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for _ in 0..n {
        let scheduled = ticks.tick().await;
        let as_ms = |t: Instant| u64::try_from((t - start).as_millis()).expect("small");
        out.push((as_ms(scheduled), as_ms(time::now())));
    }
    out
}

/// An interval of 10 ms that ticks once at 0, then is blocked for 35 ms:
/// the task does not poll it while time moves.
async fn stalled_interval(behavior: MissedTickBehavior) -> (time::Interval, Instant) {
    let start = time::now();
    let mut ticks = interval(ms(10));
    ticks.set_missed_tick_behavior(behavior);
    assert_eq!(ticks.tick().await, start, "the first tick is immediate");
    time::advance(ms(35)).await;
    (ticks, start)
}

#[test]
fn interval_burst_fires_missed_ticks_at_once_then_keeps_the_schedule() {
    let ticks = paused(|| async {
        let (mut ticks, start) = stalled_interval(MissedTickBehavior::Burst).await;
        drain_ticks(&mut ticks, start, 5).await
    });
    // (scheduled, seen at), in ms.
    assert_eq!(
        ticks,
        vec![(10, 35), (20, 35), (30, 35), (40, 40), (50, 50)]
    );
}

#[test]
fn interval_delay_fires_one_late_tick_then_waits_a_full_period() {
    let ticks = paused(|| async {
        let (mut ticks, start) = stalled_interval(MissedTickBehavior::Delay).await;
        drain_ticks(&mut ticks, start, 3).await
    });
    assert_eq!(ticks, vec![(10, 35), (45, 45), (55, 55)]);
}

#[test]
fn interval_skip_fires_one_late_tick_then_rejoins_the_schedule() {
    let ticks = paused(|| async {
        let (mut ticks, start) = stalled_interval(MissedTickBehavior::Skip).await;
        drain_ticks(&mut ticks, start, 3).await
    });
    assert_eq!(ticks, vec![(10, 35), (40, 40), (50, 50)]);
}

#[test]
fn ticks_seen_a_little_late_keep_the_schedule() {
    // Each tick is looked at 3 ms after it was due: wake-up latency, not a
    // missed tick. The schedule must not drift by 3 ms a tick.
    let ticks = paused(|| async {
        let start = time::now();
        let mut ticks = interval(ms(10));
        assert_eq!(ticks.tick().await, start);
        time::advance(ms(3)).await;
        let mut seen = Vec::new();
        for _ in 0..4 {
            time::advance(ms(10)).await;
            let scheduled = ticks.tick().await;
            seen.push(u64::try_from((scheduled - start).as_millis()).expect("small"));
        }
        seen
    });
    assert_eq!(ticks, vec![10, 20, 30, 40]);
}

#[test]
fn interval_default_is_delay() {
    paused(|| async {
        let ticks = interval(ms(10));
        assert_eq!(ticks.missed_tick_behavior(), MissedTickBehavior::Delay);
    });
}

#[test]
fn interval_reset_starts_a_full_period_from_now() {
    paused(|| async {
        let start = time::now();
        let mut ticks = interval(ms(10));
        ticks.tick().await;
        time::advance(ms(4)).await;
        ticks.reset();
        assert_eq!(ticks.tick().await, start + ms(14));
        assert_eq!(time::now() - start, ms(14));
    });
}

#[test]
fn timeout_in_virtual_time_elapses_at_exactly_its_deadline() {
    paused(|| async {
        let start = time::now();
        let out = timeout(Duration::from_secs(10), sleep(Duration::from_secs(20))).await;
        assert!(out.is_err());
        assert_eq!(time::now() - start, Duration::from_secs(10));

        let start = time::now();
        let out = timeout(Duration::from_secs(20), async {
            sleep(Duration::from_secs(10)).await;
            "inner"
        })
        .await;
        assert_eq!(out, Ok("inner"));
        assert_eq!(time::now() - start, Duration::from_secs(10));
    });
}

#[test]
fn timeout_and_inner_timer_with_the_same_deadline_gives_the_output() {
    // The inner future is polled first, so it wins a tie.
    paused(|| async {
        let out = timeout(Duration::from_secs(5), async {
            sleep(Duration::from_secs(5)).await;
            1
        })
        .await;
        assert_eq!(out, Ok(1));
    });
}

#[test]
fn sleep_until_uses_the_virtual_clock() {
    paused(|| async {
        let at = time::now() + Duration::from_secs(7);
        sleep_until(at).await;
        assert_eq!(time::now(), at);
    });
}

#[test]
fn resume_makes_the_clock_follow_real_time_again() {
    within(Duration::from_secs(10), || {
        chronia::block_on(async {
            time::pause();
            time::advance(Duration::from_secs(60)).await;
            time::resume();
            let real = Instant::now();
            sleep(ms(2)).await;
            assert!(real.elapsed() >= ms(2), "a real sleep after resume");
            let now = time::now();
            assert!(now >= real + ms(2) && now <= Instant::now());
        });
    });
}
