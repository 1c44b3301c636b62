//! chronia beside tokio (`current_thread` runtime, `LocalSet` /
//! `spawn_local`) and smol (`LocalExecutor` + async-io) through the same
//! workloads in one run, printed as a markdown table with the ratios
//! chronia/tokio and chronia/smol, and drawn as a bar chart of those ratios
//! in `docs/compare.svg`.
//!
//! Run: `cargo bench --bench compare` (`-- --quick` for a shorter run with
//! smaller counts; `-- --rounds N` to run each figure N times per runtime,
//! the runtimes taking turns, and report the medians, which steadies a
//! figure on a shared machine; `-- --only NAME,NAME` for some figures, by
//! the short names printed in the first column of the progress lines;
//! `-- --svg PATH` to write the chart elsewhere, `--svg -` not at all). The
//! chart goes to `docs/compare.svg`, which the README shows, only from a
//! full run (neither `--quick` nor `--only`); a partial run writes one only
//! where `--svg PATH` says.
//!
//! Every figure is a cost, so lower is better and a ratio below 1 means
//! chronia is cheaper. Each figure of each runtime runs in a child process
//! of its own (this executable with `--child FIGURE RUNTIME`): a process's
//! peak RSS is its own, signal handlers that tokio and async-signal install
//! outlive their runtimes, and no runtime inherits another's heap. The
//! figures:
//!
//! - spawn + await: a task spawns an empty task and awaits it, ns per pair;
//! - wake hop: two tasks bounce a value through two one-slot `Rc` channels
//!   (a value cell and a waker cell), ns per hop;
//! - spawn 1 M then await all: ns per task;
//! - timer create + poll + drop: a 1 s sleep polled once (so that it is
//!   registered) and dropped, ns per timer;
//! - 100 k concurrent sleeps of 1 to 100 ms: spawn all, await all, wall ms;
//! - `sleep(100 µs)` and `sleep(1 ms)`: mean of the actual durations, µs;
//! - cross-thread wake: another thread wakes a task of a runtime parked in
//!   the kernel (300 µs after the task went to sleep), median µs from just
//!   before `wake()` to the task running;
//! - echo: 50 connections ping-pong 64 B messages with a server in a child
//!   process (one chronia client thread for the three servers), ns of wall
//!   time per request (the inverse of the throughput; `echo_compare` has
//!   CPU and syscall figures);
//! - signal: a task raises SIGUSR1 and awaits it, median ns;
//! - 1,000 `/bin/true`: spawned and awaited one at a time, and spawned all
//!   then awaited all, ms per 1,000;
//! - memory: bytes per task sleeping on its own timer with 1 M such tasks,
//!   and bytes per idle TCP connection with a task blocked in `read` on it
//!   (10 k connections; the client ends live in another process); peak RSS
//!   (`VmHWM`) minus the RSS before the first spawn, divided by the count.
//!
//! Timings are medians of a few runs inside the child (after a warm-up
//! run). Nothing is asserted; CI only builds this.

#[path = "compare/common.rs"]
mod common;
#[path = "compare/report.rs"]
mod report;
#[path = "compare/rt_chronia.rs"]
mod rt_chronia;
#[path = "compare/rt_smol.rs"]
mod rt_smol;
#[path = "compare/rt_tokio.rs"]
mod rt_tokio;
#[path = "support/mod.rs"]
mod support;

use std::process::Command;
use std::time::Duration;

use common::{Size, median, median_per_op};

const RUNTIMES: [&str; 3] = ["chronia", "tokio", "smol"];

/// The workloads of one runtime, as functions of their counts.
struct Runtime {
    spawn_await: fn(u32) -> Duration,
    wake_hop: fn(u32) -> Duration,
    spawn_many: fn(u32) -> Duration,
    timer_cancel: fn(u32) -> Duration,
    many_sleeps: fn(u32) -> Duration,
    precision: fn(Duration, usize) -> Vec<Duration>,
    cross_wake: fn(usize) -> Vec<Duration>,
    signal: fn(usize) -> Vec<Duration>,
    children: fn(u32, bool) -> Duration,
    mem_tasks: fn(u32) -> !,
    mem_conns: fn(u32) -> !,
    serve: fn() -> std::io::Result<()>,
}

macro_rules! runtime {
    ($m:ident) => {
        Runtime {
            spawn_await: $m::spawn_await,
            wake_hop: $m::wake_hop,
            spawn_many: $m::spawn_many,
            timer_cancel: $m::timer_cancel,
            many_sleeps: $m::many_sleeps,
            precision: $m::precision,
            cross_wake: $m::cross_wake,
            signal: $m::signal,
            children: $m::children,
            mem_tasks: $m::mem_tasks,
            mem_conns: $m::mem_conns,
            serve: $m::serve,
        }
    };
}

fn runtime(name: &str) -> Runtime {
    match name {
        "chronia" => runtime!(rt_chronia),
        "tokio" => runtime!(rt_tokio),
        "smol" => runtime!(rt_smol),
        other => panic!("unknown runtime {other:?}; expected one of {RUNTIMES:?}"),
    }
}

/// A figure: its short name, what the table calls it, its unit.
const FIGURES: [(&str, &str, &str); 14] = [
    ("spawn", "spawn + await, awaiter a task", "ns"),
    ("wake", "task-to-task wake, one-slot Rc channel", "ns/hop"),
    ("spawn1m", "spawn 1 M tasks, then await all", "ns/task"),
    ("timer", "timer create + poll + drop", "ns"),
    ("sleeps", "100 k concurrent sleeps of 1-100 ms", "wall ms"),
    ("sleep100us", "sleep(100 µs), actual mean", "µs"),
    ("sleep1ms", "sleep(1 ms), actual mean", "µs"),
    (
        "xwake",
        "cross-thread wake of a parked runtime, median",
        "µs",
    ),
    ("echo", "echo ping-pong, 50 conns x 64 B", "ns/request"),
    ("signal", "signal raise -> awaiting task, median", "ns"),
    ("children", "1,000 /bin/true, one at a time", "ms"),
    ("children_conc", "1,000 /bin/true, concurrently", "ms"),
    ("mem_task", "memory per sleeping task (1 M tasks)", "bytes"),
    (
        "mem_conn",
        "memory per idle TCP connection + reading task (10 k)",
        "bytes",
    ),
];

/// Measures `figure` on `rt` in this process; its value in the figure's unit.
fn measure(figure: &str, name: &str, size: Size) -> f64 {
    let rt = runtime(name);
    let runs = size.pick(5, 2);
    match figure {
        "spawn" => {
            let n = size.pick(200_000, 20_000);
            median_per_op(runs, n, || (rt.spawn_await)(n))
        }
        "wake" => {
            let n = size.pick(500_000, 50_000);
            median_per_op(runs, 2 * n, || (rt.wake_hop)(n))
        }
        "spawn1m" => {
            let n = size.pick(1_000_000, 100_000);
            median_per_op(size.pick(3, 1), n, || (rt.spawn_many)(n))
        }
        "timer" => {
            let n = size.pick(1_000_000, 100_000);
            median_per_op(runs, n, || (rt.timer_cancel)(n))
        }
        "sleeps" => median_per_op(size.pick(3, 1), 1, || (rt.many_sleeps)(100_000)) / 1e6,
        "sleep100us" | "sleep1ms" => {
            let (d, n) = if figure == "sleep100us" {
                (Duration::from_micros(100), size.pick(2000, 300))
            } else {
                (Duration::from_millis(1), size.pick(500, 100))
            };
            (rt.precision)(d, n / 10);
            common::mean(&(rt.precision)(d, n)) / 1e3
        }
        "xwake" => {
            let samples = (rt.cross_wake)(size.pick(2000, 300));
            median(
                samples[samples.len() / 10..]
                    .iter()
                    .map(|d| common::as_f64(*d))
                    .collect(),
            ) / 1e3
        }
        "echo" => common::echo_client(name, size),
        "signal" => {
            let samples = (rt.signal)(size.pick(11_000, 1_100));
            median(
                samples[samples.len() / 11..]
                    .iter()
                    .map(|d| common::as_f64(*d))
                    .collect(),
            )
        }
        "children" | "children_conc" => {
            let n = size.pick(1000, 200);
            let concurrent = figure == "children_conc";
            median_per_op(size.pick(3, 1), n, || (rt.children)(n, concurrent)) * 1000.0 / 1e6
        }
        "mem_task" => (rt.mem_tasks)(size.pick(1_000_000, 200_000)),
        "mem_conn" => (rt.mem_conns)(size.pick(10_000, 2_000)),
        other => panic!("unknown figure {other:?}"),
    }
}

/// Runs `figure` on `runtime` in a child process; the number it printed.
fn in_child(figure: &str, runtime: &str, size: Size) -> f64 {
    let exe = std::env::current_exe().expect("the path of this bench binary");
    let mut cmd = Command::new(exe);
    cmd.args(["--child", figure, runtime]);
    if size.quick {
        cmd.arg("--quick");
    }
    let out = cmd.output().expect("running the bench's child process");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{figure} on {runtime} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("{figure} on {runtime} printed {text:?}, not a number"))
}

struct Options {
    size: Size,
    /// Child runs per figure and runtime, taken in turns; the median is
    /// reported.
    rounds: usize,
    only: Option<Vec<String>>,
    svg: Option<String>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let size = Size { quick };
    let flag = |name: &str, i: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|p| args.get(p + i))
            .map(String::as_str)
    };
    if let (Some(figure), Some(rt)) = (flag("--child", 1), flag("--child", 2)) {
        println!("{}", measure(figure, rt, size));
        return;
    }
    if let Some(rt) = flag("--server", 1) {
        (runtime(rt).serve)().expect("the echo server");
        return;
    }
    if let (Some(port), Some(n)) = (flag("--conn-client", 1), flag("--conn-client", 2)) {
        common::conn_client(
            port.parse().expect("a port"),
            n.parse().expect("a connection count"),
        );
        return;
    }
    let o = Options {
        size,
        only: flag("--only", 1).map(|s| s.split(',').map(str::to_owned).collect()),
        svg: flag("--svg", 1).map(str::to_owned),
        rounds: flag("--rounds", 1)
            .map_or(1, |r| r.parse().expect("a number of rounds"))
            .max(1),
    };
    let mut rows = Vec::new();
    for (short, what, unit) in FIGURES {
        if o.only
            .as_ref()
            .is_some_and(|only| !only.iter().any(|f| f == short))
        {
            continue;
        }
        let mut samples: [Vec<f64>; 3] = Default::default();
        for _ in 0..o.rounds {
            for (rt, samples) in RUNTIMES.iter().zip(&mut samples) {
                samples.push(in_child(short, rt, o.size));
            }
        }
        let values = samples.map(median);
        eprintln!(
            "{short:<14} chronia {:>10.2}  tokio {:>10.2}  smol {:>10.2}  {unit}",
            values[0], values[1], values[2]
        );
        rows.push(report::Row { what, unit, values });
    }
    // The flags of this run, as typed after `--` (cargo adds `--bench`).
    let flags: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--bench")
        .collect();
    let caption = format!(
        "cargo bench --bench compare{}; {}; {} CPUs",
        if flags.is_empty() {
            String::new()
        } else {
            format!(" -- {}", flags.join(" "))
        },
        kernel(),
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );
    println!();
    println!("{caption}");
    println!();
    print!("{}", report::table(&rows));
    // A partial run must not replace the README's chart of a full one.
    let full = !quick && o.only.is_none();
    let svg = o.svg.or_else(|| {
        full.then(|| concat!(env!("CARGO_MANIFEST_DIR"), "/docs/compare.svg").to_owned())
    });
    if let Some(svg) = svg.filter(|s| s != "-" && !rows.is_empty()) {
        std::fs::write(&svg, report::svg(&rows, &caption)).expect("writing the chart");
        println!("\nchart: {svg}");
    }
}

/// The kernel release, for the caption.
fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or_else(|_| "Linux".to_owned(), |r| format!("Linux {}", r.trim()))
}
