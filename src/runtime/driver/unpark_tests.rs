//! The driver's unpark event, edge-triggered and never read: an unpark
//! from another thread ends a park, many cost one return, and a full
//! counter does not swallow one.

use std::fs::File;
use std::io::Write;
use std::os::fd::AsFd;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::Driver;

/// Generous bound for "at once" on a shared machine.
const PATIENCE: Duration = Duration::from_secs(10);

/// Runs `f` on a thread of its own with a new driver, and gives back what
/// it returns; fails the test if it does not return within [`PATIENCE`]
/// (a lost unpark blocks a park forever).
fn with_driver<R: Send + 'static>(f: impl FnOnce(&Driver) -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let driver = Driver::new().expect("driver");
        let _ = tx.send(f(&driver));
    });
    rx.recv_timeout(PATIENCE)
        .expect("a park was not unparked: the wake was lost")
}

/// How many reports the selector gave the driver so far.
fn events(driver: &Driver) -> u64 {
    driver.state.borrow().counters.events.get()
}

#[test]
fn an_unpark_from_another_thread_ends_a_park_with_no_deadline() {
    let took = with_driver(|driver| {
        let unparker = driver.unparker();
        let start = Instant::now();
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            unparker.unpark();
        });
        driver.turn(None, &mut Vec::new());
        thread.join().expect("no panic");
        start.elapsed()
    });
    assert!(
        took >= Duration::from_millis(50),
        "unparked early: {took:?}"
    );
}

#[test]
fn many_unparks_before_a_park_cost_one_return() {
    let (first, second, quiet) = with_driver(|driver| {
        let unparker = driver.unparker();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let unparker = std::sync::Arc::clone(&unparker);
                std::thread::spawn(move || {
                    for _ in 0..250 {
                        unparker.unpark();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("no panic");
        }
        let before = events(driver);
        driver.turn(None, &mut Vec::new());
        let first = events(driver) - before;
        let start = Instant::now();
        driver.turn(Some(Duration::from_millis(50)), &mut Vec::new());
        (first, events(driver) - before - first, start.elapsed())
    });
    assert_eq!(first, 1, "1,000 unparks, one report");
    assert_eq!(second, 0, "the unpark event was reported twice");
    assert!(
        quiet >= Duration::from_millis(50),
        "the second park returned early: {quiet:?}"
    );
}

#[test]
fn an_unpark_on_a_full_counter_still_ends_the_park() {
    let took = with_driver(|driver| {
        // The eventfd's largest value: a plain write of 1 now fails.
        File::from(driver.unpark.as_fd().try_clone_to_owned().expect("dup"))
            .write_all(&(u64::MAX - 1).to_ne_bytes())
            .expect("fill the counter");
        driver.turn(Some(Duration::ZERO), &mut Vec::new());
        let unparker = driver.unparker();
        let start = Instant::now();
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            unparker.unpark();
        });
        driver.turn(None, &mut Vec::new());
        thread.join().expect("no panic");
        start.elapsed()
    });
    assert!(
        took >= Duration::from_millis(20),
        "unparked early: {took:?}"
    );
}
