//! Spawn-and-wait cost: 1,000 `/bin/true` children, spawned and waited one
//! at a time, with chronia and with blocking `std::process::Command` (the
//! floor: the same fork or `posix_spawn` and exec, with no runtime).
//!
//! `cargo bench --bench process_spawn` (prints wall times and the ratio).

use std::time::{Duration, Instant};

use chronia::process::Command;

const CHILDREN: u32 = 1_000;

fn chronia_run() -> Duration {
    chronia::block_on(async {
        let start = Instant::now();
        for _ in 0..CHILDREN {
            let status = Command::new("/bin/true")
                .status()
                .await
                .expect("spawn /bin/true");
            assert!(status.success());
        }
        start.elapsed()
    })
}

fn std_run() -> Duration {
    let start = Instant::now();
    for _ in 0..CHILDREN {
        let status = std::process::Command::new("/bin/true")
            .status()
            .expect("spawn /bin/true");
        assert!(status.success());
    }
    start.elapsed()
}

fn main() {
    // Warm up the page cache and the allocator.
    chronia_run();
    let mut chronia = Vec::new();
    let mut std = Vec::new();
    for _ in 0..5 {
        chronia.push(chronia_run());
        std.push(std_run());
    }
    chronia.sort();
    std.sort();
    let (c, s) = (chronia[2], std[2]);
    println!("{CHILDREN} x /bin/true, spawned and waited one at a time (median of 5):");
    println!("  chronia::process  {:>8.1} ms", c.as_secs_f64() * 1e3);
    println!("  std::process      {:>8.1} ms", s.as_secs_f64() * 1e3);
    println!(
        "  ratio             {:>8.2}",
        c.as_secs_f64() / s.as_secs_f64()
    );
}
