//! Stress scenario 5, runtime churn: many runtimes in sequence on one
//! thread, each spawning and awaiting a child, listening for a signal and
//! receiving it, and binding a listener that accepts one connection. After
//! every tenth runtime and at the end the process must be as it was at the
//! start: the same fds (pointing at the same things), threads, signal
//! mask, ignored and caught signals, no zombie; and RSS bounded.
//!
//! `harness = false`: those are the process's; nothing else may change
//! them meanwhile. `CHRONIA_STRESS=full` multiplies the runtimes.

mod stress_util;

use std::io;
use std::time::{Duration, Instant};

use chronia::Runtime;
use chronia::net::{TcpListener, TcpStream};
use chronia::process::Command;
use chronia::signal::{SIGUSR1, signal};
use chronia::time::timeout;
use stress_util::{self as s, Counters, Snapshot, Watchdog};

/// RSS may grow this much after the first tenth of the runtimes.
const RSS_SLACK_KIB: u64 = 8 * 1024;

fn main() {
    let runtimes = s::scaled(300);
    println!(
        "stress_runtime_churn: {runtimes} runtimes in sequence, each with a child, a signal and a listener"
    );
    let counters = Counters::new(&["runtimes", "children", "signals", "accepts"]);
    let dog = counters.clone();
    let _watchdog = Watchdog::start(
        "stress_runtime_churn",
        Duration::from_secs(60) * u32::try_from(s::scaled(1)).expect("small"),
        move || dog.describe(),
    );
    let before = Snapshot::take();
    let start = Instant::now();
    let mut warm_rss = 0;
    for i in 0..runtimes {
        let rt = Runtime::new().expect("a runtime");
        rt.block_on(async {
            timeout(Duration::from_secs(30), one_life(&counters))
                .await
                .unwrap_or_else(|_| panic!("runtime {i} hung: {}", counters.describe()))
                .unwrap_or_else(|e| panic!("runtime {i}: {e}"));
        });
        drop(rt);
        counters.add("runtimes");
        if i % 10 == 9 {
            before.assert_same(&Snapshot::take(), &format!("after runtime {i}"));
        }
        if i == runtimes / 10 {
            warm_rss = s::rss_kib();
        }
    }
    let wall = start.elapsed();
    before.assert_same(&Snapshot::take(), "after the last runtime");
    let end_rss = s::rss_kib();
    assert!(
        end_rss <= warm_rss + s::rss_slack_kib(RSS_SLACK_KIB),
        "RSS grew from {warm_rss} KiB to {end_rss} KiB"
    );
    println!(
        "stress_runtime_churn: ok in {wall:.2?}; {}; RSS {warm_rss} KiB after a tenth, {end_rss} KiB at the end",
        counters.describe()
    );
}

async fn one_life(counters: &Counters) -> io::Result<()> {
    let mut usr1 = signal(SIGUSR1)?;
    let mut child = Command::new("/bin/sh").args(["-c", "exit 7"]).spawn()?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let client = TcpStream::connect(listener.local_addr()?).await?;
    let (server, peer) = listener.accept().await?;
    assert_eq!(peer, client.local_addr()?);
    counters.add("accepts");
    drop((server, client));
    s::raise(SIGUSR1);
    usr1.recv().await;
    counters.add("signals");
    assert_eq!(child.wait().await?.code(), Some(7));
    counters.add("children");
    Ok(())
}
