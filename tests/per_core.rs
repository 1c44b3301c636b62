//! Thread-per-core (`chronia::runtime::PerCore`), end to end: shards start,
//! finish and take their threads with them; pinning; stop signals; panics
//! reported; `SO_REUSEPORT` listeners sharing connections; and a hundred
//! shards with children and a signal, leaving the process as it was.
//!
//! `harness = false`: the scenarios count the threads of the process and
//! change its signal state, so they run one after another on the main
//! thread, which is the only other thread. Every wait is bounded (a shard
//! awaits under a `timeout`, a plain thread polls up to a deadline), so a
//! defect fails a scenario instead of hanging it.

mod stress_util;

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chronia::net::{TcpListener, TcpSocket};
use chronia::process::Command;
use chronia::runtime::{PerCore, ShardPanic};
use chronia::signal::{SIGUSR1, signal};
use chronia::time::timeout;
use stress_util::{self as s, Snapshot};

/// How long any one wait may take before it counts as a hang.
const LIMIT: Duration = Duration::from_secs(30);

fn main() {
    let scenarios: [(&str, fn()); 8] = [
        (
            "shards_all_start_and_finish_and_their_threads_go_with_them",
            shards_all_start_and_finish_and_their_threads_go_with_them,
        ),
        (
            "shard_threads_block_every_signal_but_the_faults",
            shard_threads_block_every_signal_but_the_faults,
        ),
        (
            "pinned_shards_run_on_their_cpu_only",
            pinned_shards_run_on_their_cpu_only,
        ),
        ("bad_input_is_invalid_input", bad_input_is_invalid_input),
        (
            "a_stopper_stops_one_shard_or_all_from_another_thread",
            a_stopper_stops_one_shard_or_all_from_another_thread,
        ),
        (
            "a_panicking_shard_is_reported_and_the_others_are_told_to_stop",
            a_panicking_shard_is_reported_and_the_others_are_told_to_stop,
        ),
        (
            "a_shard_without_fds_fails_with_emfile_and_the_others_are_told_to_stop",
            a_shard_without_fds_fails_with_emfile_and_the_others_are_told_to_stop,
        ),
        (
            "reuseport_listeners_spread_connections_across_shards",
            reuseport_listeners_spread_connections_across_shards,
        ),
    ];
    for (name, scenario) in scenarios {
        scenario();
        println!("per_core: {name} ... ok");
    }
    a_hundred_shards_reap_their_children_see_one_signal_and_leave_no_trace();
    println!(
        "per_core: a_hundred_shards_reap_their_children_see_one_signal_and_leave_no_trace ... ok"
    );
}

/// Waits (on a plain thread) until the process has `n` threads: an ended
/// thread leaves `/proc/self/task` a moment after `join` returns.
fn wait_for_threads(n: usize) {
    s::wait_until(
        &format!("{n} thread(s)"),
        LIMIT,
        || s::threads() == n,
        || format!("{} threads", s::threads()),
    );
}

/// Names of this process's threads that are shards.
fn shard_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("procfs")
        .filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
        .filter(|comm| comm.starts_with("chronia-shard-"))
        .count()
}

fn shards_all_start_and_finish_and_their_threads_go_with_them() {
    const N: usize = 4;
    assert_eq!(s::threads(), 1, "harness = false: the main thread alone");
    let started = AtomicUsize::new(0);
    let threads_seen = AtomicUsize::new(0);
    let names_seen = AtomicUsize::new(0);
    let out = PerCore::new(N)
        .block_on_all(|shard| {
            let (started, threads_seen, names_seen) = (&started, &threads_seen, &names_seen);
            async move {
                started.fetch_add(1, Ordering::SeqCst);
                // All shards run at once: each waits for the others.
                s::wait_for(
                    "every shard started",
                    LIMIT,
                    || started.load(Ordering::SeqCst) == N,
                    || format!("{started:?} started"),
                )
                .await;
                if shard.index() == 0 {
                    threads_seen.store(s::threads(), Ordering::SeqCst);
                    names_seen.store(shard_threads(), Ordering::SeqCst);
                } else {
                    // ...and none ends before shard 0 has counted.
                    s::wait_for(
                        "shard 0 counted the threads",
                        LIMIT,
                        || names_seen.load(Ordering::SeqCst) != 0,
                        || "not yet".to_owned(),
                    )
                    .await;
                }
                shard.index() * 10 + shard.shards()
            }
        })
        .expect("four shards run");
    assert_eq!(out, [4, 14, 24, 34], "each output in shard order");
    assert_eq!(
        threads_seen.load(Ordering::SeqCst),
        N + 1,
        "the caller's thread and one per shard"
    );
    assert_eq!(names_seen.load(Ordering::SeqCst), N);
    wait_for_threads(1);
}

/// The blocked mask ([`s::blocked_mask`]) of a thread that blocks all it can but the faults:
/// signals 1 to 64 but `SIGKILL` and `SIGSTOP` (never blocked), the C
/// library's two internal ones (32, 33), and the fault signals.
fn all_but_faults() -> u64 {
    let never = [libc::SIGKILL, libc::SIGSTOP, 32, 33];
    let faults = [
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGFPE,
        libc::SIGILL,
        libc::SIGTRAP,
        libc::SIGSYS,
    ];
    (1..=64)
        .filter(|signo| !never.contains(signo) && !faults.contains(signo))
        .fold(0, |mask, signo| mask | s::bit(signo))
}

fn shard_threads_block_every_signal_but_the_faults() {
    let main_mask = s::blocked_mask();
    let masks = PerCore::new(2)
        .block_on_all(|_shard| async {
            let before = s::blocked_mask();
            // A listener blocks its signal anyway; dropping it gives the
            // bit back as the thread had it: still blocked.
            drop(signal(SIGUSR1).expect("listen"));
            (before, s::blocked_mask())
        })
        .expect("two shards run");
    let expected = all_but_faults();
    for (shard, (before, after)) in masks.into_iter().enumerate() {
        assert_eq!(
            before, expected,
            "shard {shard}: {before:x} != {expected:x}"
        );
        assert_eq!(after, expected, "shard {shard} after a listener: {after:x}");
    }
    assert_eq!(
        s::blocked_mask(),
        main_mask,
        "the caller's mask is given back"
    );
}

/// The CPUs of a `Cpus_allowed_list:` line ("0-2,4").
fn cpu_list(line: &str) -> Vec<usize> {
    let mut cpus = Vec::new();
    for part in line.trim().split(',') {
        let (lo, hi) = part.split_once('-').unwrap_or((part, part));
        let (lo, hi): (usize, usize) = (
            lo.parse().expect("a CPU number"),
            hi.parse().expect("a CPU number"),
        );
        cpus.extend(lo..=hi);
    }
    cpus
}

fn allowed_cpus_of(which: &str) -> Vec<usize> {
    let status = std::fs::read_to_string(format!("/proc/{which}/status")).expect("procfs");
    cpu_list(
        status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .expect("a Cpus_allowed_list line"),
    )
}

fn pinned_shards_run_on_their_cpu_only() {
    let allowed = allowed_cpus_of("thread-self");
    // One more shard than CPUs: the last wraps around to the first CPU.
    let n = allowed.len() + 1;
    let out = PerCore::new(n)
        .pin_to_cpus(true)
        .block_on_all(|shard| async move { (shard.cpu(), allowed_cpus_of("thread-self")) })
        .expect("pinned shards run");
    for (i, (cpu, runs_on)) in out.into_iter().enumerate() {
        let expected = allowed[i % allowed.len()];
        assert_eq!(cpu, Some(expected), "shard {i}");
        assert_eq!(runs_on, [expected], "shard {i} may run on its CPU only");
    }
    assert_eq!(
        allowed_cpus_of("thread-self"),
        allowed,
        "the caller is not pinned"
    );
    let unpinned = PerCore::new(1)
        .block_on_all(|shard| async move { (shard.cpu(), allowed_cpus_of("thread-self")) })
        .expect("a shard runs");
    assert_eq!(unpinned, [(None, allowed)]);
}

fn bad_input_is_invalid_input() {
    let e = PerCore::new(0)
        .block_on_all(|_| async {})
        .expect_err("zero shards");
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert!(e.to_string().contains("PerCore::new(0)"), "{e}");

    let per_core = PerCore::new(2);
    let e = per_core.stopper().stop_shard(2).expect_err("no shard 2");
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert!(e.to_string().contains("no shard 2"), "{e}");
}

fn a_stopper_stops_one_shard_or_all_from_another_thread() {
    const N: usize = 3;
    let per_core = PerCore::new(N);
    let stopper = per_core.stopper();
    let waiting = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let out = std::thread::scope(|scope| {
        let (waiting, finished) = (&waiting, &finished);
        let stopper = stopper.clone();
        let outside = scope.spawn(move || {
            s::wait_until(
                "every shard waits",
                LIMIT,
                || waiting.load(Ordering::SeqCst) == N,
                || format!("{waiting:?} waiting"),
            );
            stopper.stop_shard(1).expect("shard 1 exists");
            s::wait_until(
                "shard 1 finished",
                LIMIT,
                || finished.load(Ordering::SeqCst) == 1,
                || format!("{finished:?} finished"),
            );
            // Only shard 1 went.
            std::thread::sleep(Duration::from_millis(20));
            assert_eq!(finished.load(Ordering::SeqCst), 1, "one shard finished");
            stopper.stop();
        });
        let out = per_core.block_on_all(|shard| async move {
            // Two waiters on one flag, both woken.
            let (a, b) = (shard.stopped(), shard.stopped());
            waiting.fetch_add(1, Ordering::SeqCst);
            let woke = timeout(LIMIT, futures_lite::future::zip(a, b)).await;
            let order = finished.fetch_add(1, Ordering::SeqCst);
            (woke.is_ok(), order)
        });
        outside.join().expect("the outside thread does not panic");
        out
    })
    .expect("three shards run");
    assert!(out.iter().all(|&(woke, _)| woke), "{out:?}");
    assert_eq!(out[1].1, 0, "shard 1 finished first: {out:?}");
}

fn a_panicking_shard_is_reported_and_the_others_are_told_to_stop() {
    const N: usize = 3;
    let told = AtomicUsize::new(0);
    let e = PerCore::new(N)
        .block_on_all(|shard| {
            let told = &told;
            async move {
                assert!(shard.index() != 1, "shard {} gives up", shard.index());
                timeout(LIMIT, shard.stopped())
                    .await
                    .expect("told to stop, not left waiting");
                told.fetch_add(1, Ordering::SeqCst);
            }
        })
        .expect_err("a panic is an error");
    assert_eq!(e.kind(), io::ErrorKind::Other);
    assert_eq!(e.to_string(), "shard 1 panicked: shard 1 gives up");
    let panic = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ShardPanic>())
        .expect("a ShardPanic inside");
    assert_eq!((panic.shard(), panic.message()), (1, "shard 1 gives up"));
    assert_eq!(told.load(Ordering::SeqCst), N - 1, "the others were told");
    wait_for_threads(1);
}

/// The soft `RLIMIT_NOFILE` of this process, from `/proc/self/limits`.
fn fd_limit() -> u64 {
    let limits = std::fs::read_to_string("/proc/self/limits").expect("procfs");
    limits
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|soft| soft.parse().ok())
        .expect("a numeric soft limit of open files")
}

/// With room for three new fds (one runtime's epoll fd, timerfd and eventfd),
/// at most one of two shards makes its runtime; a shard that cannot gets
/// `EMFILE`, passed through, and the shard that could is told to stop.
fn a_shard_without_fds_fails_with_emfile_and_the_others_are_told_to_stop() {
    let fds = s::open_fds();
    // The lowest limit below which exactly three fd numbers are free
    // (inherited fds leave holes).
    let limit = (0..i32::MAX)
        .find(|&limit: &i32| (0..limit).filter(|fd| !fds.contains_key(fd)).count() == 3)
        .expect("some limit leaves three fds free");
    let old = fd_limit();
    let ran = AtomicUsize::new(0);
    let told = AtomicUsize::new(0);
    s::set_fd_limit(u64::try_from(limit).expect("not negative"));
    let result = PerCore::new(2).block_on_all(|shard| {
        let (ran, told) = (&ran, &told);
        async move {
            ran.fetch_add(1, Ordering::SeqCst);
            if timeout(LIMIT, shard.stopped()).await.is_ok() {
                told.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    s::set_fd_limit(old);
    let e = result.expect_err("two runtimes do not fit in three fds");
    assert_eq!(e.raw_os_error(), Some(libc::EMFILE), "{e}");
    assert!(ran.load(Ordering::SeqCst) <= 1);
    println!(
        "per_core: {} of 2 shards made a runtime in three fds",
        ran.load(Ordering::SeqCst)
    );
    assert_eq!(told.load(Ordering::SeqCst), ran.load(Ordering::SeqCst));
    assert_eq!(s::open_fds(), fds, "every fd is given back");
}

fn reuseport_listeners_spread_connections_across_shards() {
    const N: usize = 2;
    const CONNECTIONS: usize = 200;
    let reserved = TcpSocket::new_v4().expect("socket");
    reserved.set_reuseport(true).expect("SO_REUSEPORT");
    reserved
        .bind("127.0.0.1:0".parse().expect("literal"))
        .expect("bind");
    let addr: SocketAddr = reserved.local_addr().expect("bound");

    let per_core = PerCore::new(N);
    let stopper = per_core.stopper();
    let bound = AtomicUsize::new(0);
    let accepted = AtomicUsize::new(0);
    let counts = std::thread::scope(|scope| {
        let (bound, accepted) = (&bound, &accepted);
        let clients = scope.spawn(move || {
            s::wait_until(
                "every shard listens",
                LIMIT,
                || bound.load(Ordering::SeqCst) == N,
                || format!("{bound:?} bound"),
            );
            let streams: Vec<std::net::TcpStream> = (0..CONNECTIONS)
                .map(|_| std::net::TcpStream::connect(addr).expect("connect"))
                .collect();
            s::wait_until(
                "every connection accepted",
                LIMIT,
                || accepted.load(Ordering::SeqCst) == CONNECTIONS,
                || format!("{accepted:?} accepted"),
            );
            stopper.stop();
            drop(streams);
        });
        let counts = per_core.block_on_all(|shard| async move {
            let listener = TcpListener::bind_reuseport(addr)?;
            assert_eq!(listener.local_addr()?, addr, "the reserved port");
            bound.fetch_add(1, Ordering::SeqCst);
            let mut mine = 0;
            let mut kept = Vec::new();
            loop {
                let next =
                    futures_lite::future::or(async { Some(listener.accept().await) }, async {
                        shard.stopped().await;
                        None
                    });
                match timeout(LIMIT, next).await {
                    Ok(Some(stream)) => {
                        kept.push(stream?);
                        mine += 1;
                        accepted.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(None) => return Ok::<usize, io::Error>(mine),
                    Err(elapsed) => panic!("shard {}: {elapsed}", shard.index()),
                }
            }
        });
        clients.join().expect("the client thread does not panic");
        counts
    })
    .expect("two shards run");
    drop(reserved);
    let counts: Vec<usize> = counts
        .into_iter()
        .map(|c| c.expect("a shard listens and accepts"))
        .collect();
    println!("per_core: {CONNECTIONS} connections over {N} shards: {counts:?}");
    assert_eq!(counts.iter().sum::<usize>(), CONNECTIONS);
    assert!(
        counts.iter().all(|&c| c > 0),
        "each shard accepts some: {counts:?}"
    );
}

/// A hundred shards, each listening for `SIGUSR1` and spawning children;
/// shard 0 sends the process one `SIGUSR1` once all listen. Every child is
/// reaped by its own shard with its own code (and once: a second `wait`
/// gives the same status), every shard sees the signal, the process has
/// 101 threads during the run, and afterwards it is as it was: fds,
/// threads, mask, dispositions, no zombie.
fn a_hundred_shards_reap_their_children_see_one_signal_and_leave_no_trace() {
    const N: usize = 100;
    const CHILDREN: usize = 2;
    let before = Snapshot::take();
    let listening = AtomicUsize::new(0);
    let threads_seen = AtomicUsize::new(0);
    let out = PerCore::new(N)
        .block_on_all(|shard| {
            let (listening, threads_seen) = (&listening, &threads_seen);
            async move {
                let mut usr1 = signal(SIGUSR1)?;
                let mut children = Vec::new();
                for k in 0..CHILDREN {
                    let code = (shard.index() * 7 + k) % 256;
                    let child = Command::new("/bin/sh")
                        .args(["-c", &format!("exit {code}")])
                        .spawn()?;
                    children.push((code, child));
                }
                listening.fetch_add(1, Ordering::SeqCst);
                if shard.index() == 0 {
                    s::wait_for(
                        "every shard listens",
                        LIMIT,
                        || listening.load(Ordering::SeqCst) == N,
                        || format!("{listening:?} listening"),
                    )
                    .await;
                    threads_seen.store(s::threads(), Ordering::SeqCst);
                    s::kill_process(SIGUSR1);
                }
                for (code, mut child) in children {
                    let status = timeout(LIMIT, child.wait())
                        .await
                        .map_err(io::Error::other)??;
                    assert_eq!(status.code(), Some(i32::try_from(code).expect("small")));
                    assert_eq!(child.wait().await?, status, "reaped once, remembered");
                }
                timeout(LIMIT, usr1.recv())
                    .await
                    .map_err(|e| io::Error::other(format!("shard {}: {e}", shard.index())))?;
                Ok::<(), io::Error>(())
            }
        })
        .expect("a hundred shards run");
    for (shard, result) in out.into_iter().enumerate() {
        result.unwrap_or_else(|e| panic!("shard {shard}: {e}"));
    }
    assert_eq!(threads_seen.load(Ordering::SeqCst), N + 1);
    wait_for_threads(before.threads);
    before.assert_same(&Snapshot::take(), "after a hundred shards");
    assert_eq!(s::zombies(), 0);
}
