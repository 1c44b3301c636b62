//! The blocking pool: `chronia::task::spawn_blocking`.
//!
//! `harness = false`: the checks count this process's threads, so they run
//! one after another on the main thread, with no test-harness threads
//! around. Set `CHRONIA_SLOW_TESTS=1` to also wait the pool's real 10 s
//! keep-alive (the unit tests in `src/blocking.rs` check it with a short one).

mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chronia::task::spawn_blocking;
use chronia::time::sleep;
use util::{blocked_mask, within};

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task is readable on Linux")
        .count()
}

fn bit(signo: i32) -> u64 {
    1 << (signo - 1)
}

/// Waits (on the runtime) until `cond` holds, failing after a generous limit.
async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + util::limit();
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        sleep(Duration::from_millis(2)).await;
    }
}

fn no_thread_before_first_use(base: usize) {
    chronia::block_on(async {
        let task = chronia::spawn(async { 5 });
        sleep(Duration::from_millis(5)).await;
        let listener = chronia::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        drop(listener);
        assert_eq!(task.await.expect("no panic"), 5);
    });
    assert_eq!(
        threads(),
        base,
        "chronia started a thread before spawn_blocking"
    );
}

fn results_come_back_and_threads_appear(base: usize) {
    let main_mask = blocked_mask();
    chronia::block_on(async {
        let handle = spawn_blocking(|| {
            std::thread::sleep(Duration::from_millis(20));
            "from the pool".to_string()
        });
        let got = within("spawn_blocking", handle).await.expect("no panic");
        assert_eq!(got, "from the pool");
    });
    assert!(threads() > base, "the pool has a thread now");
    assert_eq!(
        blocked_mask(),
        main_mask,
        "the runtime thread's mask is as before"
    );
}

fn pool_threads_block_every_signal() {
    let mask = chronia::block_on(async {
        within("mask job", spawn_blocking(blocked_mask))
            .await
            .expect("no panic")
    });
    let mut unblockable = bit(libc::SIGKILL) | bit(libc::SIGSTOP);
    // glibc keeps 32 and 33 (SIGCANCEL, SIGSETXID) to itself.
    for signo in 32..libc::SIGRTMIN() {
        unblockable |= bit(signo);
    }
    let all = u64::MAX;
    assert_eq!(
        mask | unblockable,
        all,
        "SigBlk {mask:016x}: some signal is not blocked in a pool thread"
    );
    assert_eq!(
        mask & (bit(libc::SIGINT) | bit(libc::SIGCHLD)),
        bit(libc::SIGINT) | bit(libc::SIGCHLD)
    );
}

fn a_panic_becomes_the_join_error() {
    chronia::block_on(async {
        let err = within(
            "panicking job",
            spawn_blocking(|| -> u32 { panic!("boom") }),
        )
        .await
        .expect_err("the job panicked");
        assert!(err.is_panic());
        assert_eq!(err.into_panic().downcast_ref::<&str>(), Some(&"boom"));
        // The pool goes on.
        let ok = within("next job", spawn_blocking(|| 7)).await;
        assert_eq!(ok.expect("no panic"), 7);
    });
}

fn a_thousand_jobs_run_on_at_most_64_threads(base: usize) {
    let active = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Mutex::new(false));
    let most_threads = Arc::new(AtomicUsize::new(0));
    chronia::block_on(async {
        let handles: Vec<_> = (0..1000u64)
            .map(|i| {
                let (active, most, gate) = (active.clone(), most.clone(), gate.clone());
                let most_threads = most_threads.clone();
                spawn_blocking(move || {
                    let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    most_threads.fetch_max(threads(), Ordering::SeqCst);
                    let deadline = Instant::now() + util::limit();
                    while !*gate.lock().expect("gate") && Instant::now() < deadline {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    active.fetch_sub(1, Ordering::SeqCst);
                    i * 2
                })
            })
            .collect();
        wait_until("64 jobs running at once", || {
            active.load(Ordering::SeqCst) == 64
        })
        .await;
        // Jobs are still queued; give the pool every chance to overshoot.
        sleep(Duration::from_millis(50)).await;
        assert_eq!(active.load(Ordering::SeqCst), 64);
        *gate.lock().expect("gate") = true;
        for (i, handle) in handles.into_iter().enumerate() {
            let got = within("job", handle).await.expect("no panic");
            assert_eq!(got, i as u64 * 2);
        }
    });
    assert_eq!(
        most.load(Ordering::SeqCst),
        64,
        "the cap is 64 and it was reached"
    );
    let seen = most_threads.load(Ordering::SeqCst);
    assert!(seen <= base + 64, "{seen} threads, more than {base} + 64");
}

fn idle_threads_exit_after_about_ten_seconds(base: usize) {
    let last_job = Instant::now();
    chronia::block_on(async {
        within("last job", spawn_blocking(|| ()))
            .await
            .expect("no panic");
    });
    assert!(threads() > base);
    let deadline = Instant::now() + Duration::from_secs(30);
    while threads() != base {
        assert!(
            Instant::now() < deadline,
            "pool threads still alive after 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let idle = last_job.elapsed();
    assert!(
        idle >= Duration::from_secs(9),
        "threads left after {idle:?}, before the keep-alive"
    );
}

fn main() {
    let base = threads();
    assert_eq!(base, 1, "a harness = false test starts with one thread");
    let checks: [(&str, &dyn Fn()); 5] = [
        ("no_thread_before_first_use", &|| {
            no_thread_before_first_use(base);
        }),
        ("results_come_back_and_threads_appear", &|| {
            results_come_back_and_threads_appear(base);
        }),
        (
            "pool_threads_block_every_signal",
            &pool_threads_block_every_signal,
        ),
        (
            "a_panic_becomes_the_join_error",
            &a_panic_becomes_the_join_error,
        ),
        ("a_thousand_jobs_run_on_at_most_64_threads", &|| {
            a_thousand_jobs_run_on_at_most_64_threads(base);
        }),
    ];
    for (name, check) in checks {
        check();
        println!("test {name} ... ok");
    }
    if std::env::var_os("CHRONIA_SLOW_TESTS").is_some() {
        idle_threads_exit_after_about_ten_seconds(base);
        println!("test idle_threads_exit_after_about_ten_seconds ... ok");
    } else {
        println!(
            "test idle_threads_exit_after_about_ten_seconds ... skipped (set CHRONIA_SLOW_TESTS=1)"
        );
    }
}
