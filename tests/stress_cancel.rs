//! Stress scenario 4, a cancellation storm: many tasks race reads of
//! shared Unix socket pairs against random 0–2 ms timeouts for seconds,
//! while a writer trickles bytes into random pairs. Most reads are
//! cancelled (their future dropped with a waker registered); none may lose
//! a byte (every byte written is read exactly once), RSS must stay flat
//! after warm-up, and a 1 ms interval must keep ticking throughout.
//!
//! `harness = false`: RSS and the fd table are the process's.
//! `CHRONIA_STRESS=full` multiplies the tasks and the duration.

mod stress_util;

use std::cell::Cell;
use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

use chronia::net::UnixStream;
use chronia::time::{interval, sleep, timeout};
use stress_util::{self as s, Counters, Rng, Snapshot, Watchdog};

/// Readers per socket pair.
const READERS_PER_PAIR: usize = 4;
/// Bytes the writer sends per millisecond.
const BYTES_PER_MS: usize = 8;
/// RSS may grow this much after warm-up.
const RSS_SLACK_KIB: u64 = 8 * 1024;

fn main() {
    let tasks = s::scaled(1_000);
    let pairs = tasks.div_ceil(READERS_PER_PAIR);
    let run_for = Duration::from_secs(2) * u32::try_from(s::scaled(1)).expect("small");
    println!(
        "stress_cancel: {tasks} tasks reading {pairs} socket pairs with 0-2 ms timeouts for \
         {run_for:?}, a writer sending {BYTES_PER_MS} bytes/ms, a 1 ms interval"
    );
    let counters = Counters::new(&["reads", "timeouts", "written", "ticks"]);
    let dog = counters.clone();
    let _watchdog = Watchdog::start(
        "stress_cancel",
        run_for + Duration::from_secs(60),
        move || dog.describe(),
    );
    let before = Snapshot::take();
    let start = Instant::now();
    let (warm, end, max_gap) =
        chronia::block_on(storm(tasks, pairs, run_for, &counters)).expect("the storm runs");
    let wall = start.elapsed();
    before.assert_same(&Snapshot::take(), "after the runtime dropped");
    println!(
        "stress_cancel: ok in {wall:.2?}; {}; RSS {warm} KiB after warm-up, {end} KiB at the end; \
         longest gap between ticks {max_gap:.2?}",
        counters.describe()
    );
}

/// Returns RSS after warm-up and at the end (KiB) and the longest gap
/// between two ticks of the interval.
async fn storm(
    tasks: usize,
    pairs: usize,
    run_for: Duration,
    counters: &std::sync::Arc<Counters>,
) -> io::Result<(u64, u64, Duration)> {
    let pairs: Vec<(Rc<UnixStream>, UnixStream)> = (0..pairs)
        .map(|_| UnixStream::pair().map(|(r, w)| (Rc::new(r), w)))
        .collect::<io::Result<_>>()?;
    let stop = Rc::new(Cell::new(false));
    // Bytes written and read, for the readers to know when all are in.
    let written = Rc::new(Cell::new(0usize));
    let read = Rc::new(Cell::new(0usize));

    let ticker = {
        let (stop, counters) = (stop.clone(), counters.clone());
        chronia::spawn(async move {
            let mut every = interval(Duration::from_millis(1));
            let mut last = every.tick().await;
            let mut max_gap = Duration::ZERO;
            while !stop.get() {
                let now = every.tick().await;
                max_gap = max_gap.max(now.duration_since(last));
                last = now;
                counters.add("ticks");
            }
            max_gap
        })
    };

    let readers: Vec<_> = (0..tasks)
        .map(|i| {
            let reader = pairs[i % pairs.len()].0.clone();
            let (stop, written, read) = (stop.clone(), written.clone(), read.clone());
            let counters = counters.clone();
            let mut rng = Rng::new(0xCA9C_0000 + i as u64);
            chronia::spawn(async move {
                let mut buf = [0u8; 4];
                while !(stop.get() && read.get() == written.get()) {
                    let wait = Duration::from_micros(rng.below(2_001));
                    match timeout(wait, reader.read(&mut buf)).await {
                        Ok(Ok(0)) => panic!("reader {i}: end of file while the writer lives"),
                        Ok(Ok(n)) => {
                            assert!(buf[..n].iter().all(|&b| b == b'x'), "reader {i}: bytes");
                            read.set(read.get() + n);
                            counters.add("reads");
                        }
                        Ok(Err(e)) => panic!("reader {i}: {e}"),
                        Err(_) => counters.add("timeouts"),
                    }
                }
            })
        })
        .collect();

    let start = Instant::now();
    let mut rng = Rng::new(0x3717);
    let mut warm_rss = None;
    while start.elapsed() < run_for {
        for _ in 0..BYTES_PER_MS {
            let pick = usize::try_from(rng.below(pairs.len() as u64)).expect("an index");
            pairs[pick].1.write_all(b"x").await?;
            written.set(written.get() + 1);
            counters.add("written");
        }
        if warm_rss.is_none() && start.elapsed() >= run_for / 4 {
            warm_rss = Some(s::rss_kib());
        }
        sleep(Duration::from_millis(1)).await;
    }
    let end_rss = s::rss_kib();
    stop.set(true);
    for reader in readers {
        reader.await.expect("a reader does not panic");
    }
    let max_gap = ticker.await.expect("the ticker does not panic");
    let warm_rss = warm_rss.expect("measured after a quarter of the run");
    assert_eq!(read.get(), written.get(), "every byte written is read once");
    assert!(
        counters.get("timeouts") > counters.get("reads"),
        "most reads are cancelled"
    );
    assert!(
        end_rss <= warm_rss + s::rss_slack_kib(RSS_SLACK_KIB),
        "RSS grew from {warm_rss} KiB after warm-up to {end_rss} KiB"
    );
    // A 1 ms interval under this load: generous bounds, this is no
    // benchmark, but a starved timer would tick a handful of times. Under
    // valgrind ten times more generous (`s::slowdown`).
    let ticks = counters.get("ticks");
    let least =
        usize::try_from(run_for.as_millis() / 20 / u128::from(s::slowdown())).expect("small");
    assert!(
        ticks >= least,
        "the 1 ms interval ticked {ticks} times in {run_for:?}"
    );
    assert!(
        max_gap < Duration::from_secs(1) * s::slowdown(),
        "the 1 ms interval stopped for {max_gap:?}"
    );
    Ok((warm_rss, end_rss, max_gap))
}
