//! What the comparison benches share: a server child that announces its
//! port, a process's CPU time from `/proc`, `perf` counting a process's
//! syscalls, and the median. Included with `#[path]` by `compare`,
//! `echo_compare` and `http_compare`; each uses only part of it.
#![allow(dead_code, reason = "each bench binary uses part of this module")]

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, ChildStderr, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// Clock ticks per second of `/proc/PID/stat` (`USER_HZ`, 100 on Linux).
const CLOCK_TICKS: f64 = 100.0;
/// perf's reporting interval; its first report says that it has attached.
pub const PERF_INTERVAL_MS: u32 = 100;

// --- server children -----------------------------------------------------------

/// In a server child: prints the port for the parent, and exits when the
/// parent closes stdin (or dies): a thread blocked in `read(2)`, idle
/// during the load.
pub fn announce(port: u16) -> io::Result<()> {
    let mut stdout = io::stdout();
    writeln!(stdout, "{port}")?;
    stdout.flush()?;
    std::thread::spawn(|| {
        // Any result, EOF or error, means the parent is done.
        let _ = io::copy(&mut io::stdin(), &mut io::sink());
        std::process::exit(0);
    });
    Ok(())
}

/// A server child (this executable with `--server NAME`): its pid, its
/// port, and its stdin (closing it ends it; the drop waits for it).
pub struct Server {
    pub name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    pub addr: SocketAddr,
}

impl Server {
    /// Starts the server `name` and reads the port it announces; with
    /// `cpu`, pinned to that CPU through `taskset`.
    pub fn start(name: &str, cpu: Option<&str>) -> Server {
        let exe = std::env::current_exe().expect("this executable");
        let mut cmd = match cpu {
            Some(cpu) => {
                let mut c = Command::new("taskset");
                c.args(["-c", cpu]).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        let mut child = cmd
            .args(["--server", name])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("the server prints its port");
        let port: u16 = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} server: no port in {line:?}"));
        Server {
            name: name.to_owned(),
            stdin: child.stdin.take(),
            child,
            addr: (Ipv4Addr::LOCALHOST, port).into(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stdin.take());
        if self.child.wait().is_err() {
            let _ = self.child.kill();
        }
    }
}

// --- CPU time ------------------------------------------------------------------

/// On-CPU time of a process (`"self"` or a pid) so far: the sum over its
/// threads of the first field of `/proc/PID/task/TID/schedstat` (the
/// scheduler's own run time, in ns), or, where schedstat is missing, user +
/// system time from `/proc/PID/stat` (in clock ticks of 10 ms: at a server
/// load of 10 %, a 3 s window is only 30 ticks, so a 3 % step).
pub fn cpu_time(pid: &str) -> Duration {
    schedstat(pid).map_or_else(|| cpu_ticks(pid), |(ns, _)| Duration::from_nanos(ns))
}

/// How many times the threads of a process were scheduled onto a CPU so
/// far (the third field of schedstat): for a server that sleeps in
/// `epoll_wait` when idle, its wake-ups (plus preemptions). 0 without
/// schedstat.
pub fn times_run(pid: &str) -> u64 {
    schedstat(pid).map_or(0, |(_, runs)| runs)
}

/// Run time (ns) and times run, summed over the threads of `pid`.
fn schedstat(pid: &str) -> Option<(u64, u64)> {
    let threads = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = None;
    for thread in threads.flatten() {
        let stat = std::fs::read_to_string(thread.path().join("schedstat")).unwrap_or_default();
        let mut fields = stat.split_whitespace().map(|f| f.parse::<u64>().ok());
        if let (Some(Some(ns)), Some(_), Some(Some(runs))) =
            (fields.next(), fields.next(), fields.next())
        {
            let (t, r) = total.get_or_insert((0, 0));
            *t += ns;
            *r += runs;
        }
    }
    total
}

/// User + system CPU time of a process so far, from `/proc/PID/stat`.
fn cpu_ticks(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name: state is the 3rd field overall,
    // utime the 14th, stime the 15th.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .map(|t| t.parse::<u64>().unwrap_or(0))
        .sum();
    #[expect(clippy::cast_precision_loss, reason = "ticks of a bench run")]
    Duration::from_secs_f64(ticks as f64 / CLOCK_TICKS)
}

// --- perf ----------------------------------------------------------------------

/// Whether `perf` can count syscalls here (installed, and allowed to read
/// the tracepoint).
pub fn perf_usable() -> bool {
    Command::new("perf")
        .args(["stat", "-e", "raw_syscalls:sys_enter", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `perf stat` counting the syscalls of a process, once it has attached.
pub struct PerfStat {
    child: Child,
    lines: io::Lines<BufReader<ChildStderr>>,
    count: u64,
}

impl PerfStat {
    /// Starts perf on `pid` and waits for its first interval report, so
    /// that it counts from now on. `None` if it fails to start or attach.
    pub fn attach(pid: u32) -> Option<PerfStat> {
        let mut child = Command::new("perf")
            .args(["stat", "-x,", "-e", "raw_syscalls:sys_enter"])
            .args(["-I", &PERF_INTERVAL_MS.to_string(), "-p", &pid.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .ok()?;
        let mut perf = PerfStat {
            lines: BufReader::new(child.stderr.take()?).lines(),
            child,
            count: 0,
        };
        loop {
            match perf.lines.next() {
                Some(Ok(line)) if perf.add(&line) => return Some(perf),
                Some(Ok(_)) => {}
                _ => {
                    let _ = perf.child.wait();
                    return None;
                }
            }
        }
    }

    /// Adds the count of one report line (`time,count,unit,event,...`);
    /// whether it was one. `<not counted>` means the process did not run.
    fn add(&mut self, line: &str) -> bool {
        let fields: Vec<&str> = line.trim().split(',').collect();
        if fields.len() < 4 || fields[3] != "raw_syscalls:sys_enter" {
            return false;
        }
        self.count += fields[1].parse::<u64>().unwrap_or(0);
        true
    }

    /// Stops perf (SIGINT makes it print its last partial interval) and
    /// returns the syscalls counted since `attach`.
    pub fn stop(mut self) -> Option<u64> {
        let stopped = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        // perf exits within milliseconds of SIGINT; if it does not (the
        // signal failed, or was ignored), give up on the count rather
        // than wait forever.
        let deadline = Instant::now() + Duration::from_secs(5);
        while stopped && Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            let _ = self.child.kill();
            let _ = self.child.wait();
            return None;
        }
        while let Some(Ok(line)) = self.lines.next() {
            self.add(&line);
        }
        let _ = self.child.wait();
        Some(self.count)
    }
}

// --- statistics ----------------------------------------------------------------

/// The median of `values` (the upper one of an even count); NaN-safe order.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
