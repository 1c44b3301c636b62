//! A seeded op-sequence fuzzer of the [`Selector`] against a model.
//!
//! Each seed drives one selector through a random sequence of operations on
//! real fds: register, update and unregister pipe and socketpair ends (with
//! every mix of `READ`, `WRITE`, `ONESHOT`, `EDGE`), bytes written and read,
//! fds closed before their registration goes and reopened on the same
//! numbers, timers (short and long, oneshot and periodic, re-armed and
//! disarmed), user events and their triggers, real-time signals and
//! `select(0)` with large and small buffers, plus misuse of every kind. The
//! model predicts the result kind of each call (`Ok`, or the error kind the
//! docs promise) and, for each select, which reports must come, which may,
//! and with exactly which events; it checks that no report names an ident
//! that is not registered and that the data of every live registration is
//! intact.
//!
//! Signals: the test harness runs this test on a thread of its own, and its
//! main thread does not block the signals the selector listens for. A
//! process-directed signal (`kill`) could be handed to that thread and take
//! its default action (death, for a real-time signal). So the fuzzer sends
//! each signal to its own thread (`tgkill`), and only while it is
//! registered: the selector blocks it in this thread then (see the
//! reactor's mask handling), so every instance waits in the signalfd, and
//! real-time signals queue, so each send is exactly one report.
//!
//! Timing is never asserted: a short timer *may* fire at any select; a long
//! one (an hour) must not; every short oneshot must have fired by the end
//! (within a generous deadline).
//!
//! `CHRONIA_FUZZ_SEEDS=N` runs seeds 1..=N (default 4), `CHRONIA_FUZZ_SEED=S`
//! replays seed S alone, `CHRONIA_FUZZ_OPS=N` sets the ops per seed (default
//! 100,000, in debug builds too: the default run takes about two seconds
//! there). A failure names its seed and op index and lists the ops before
//! it; `CHRONIA_FUZZ_TRACE=1` prints every op and report of a replay.

mod util;

// The crate root of a test looks for modules beside it; these belong to
// this test alone.
#[path = "model_fuzz/misuse.rs"]
mod misuse;
#[path = "model_fuzz/registrations.rs"]
mod registrations;
#[path = "model_fuzz/select.rs"]
mod select;
#[path = "model_fuzz/world.rs"]
mod world;

use std::collections::{HashMap, VecDeque};
use std::io::{self, ErrorKind};
use std::time::{Duration, Instant};

use chronia_reactor::{Ident, SelectEvent, Selector};

use world::{Channel, Kind, Live, Op, Rng};

const CHANNELS: usize = 12;
const TIMERS: usize = 6;
const EVENTS: usize = 6;
const SIGNALS: usize = 8;
/// At most this many undelivered instances of one signal.
const QUEUED_SIGNALS: u32 = 3;
/// At most this many unread bytes towards one end: far below any buffer.
const QUEUED_BYTES: usize = 4096;
/// Room of a full select; the pools cannot make this many reports at once.
const ROOM: usize = 256;
const LONG: Duration = Duration::from_secs(3600);
const SI_TKILL: i32 = -6;

struct Fuzz {
    seed: u64,
    op: usize,
    history: VecDeque<Op>,
    rng: Rng,
    selector: Selector<u64>,
    model: HashMap<Ident, Live>,
    channels: Vec<Channel>,
    events: Vec<SelectEvent>,
    /// The event's counter is non-zero (`Some(true)`): its next select
    /// while registered reports it once. `None`: unknown, since a report
    /// that had read the counter was purged by an unregister.
    triggered: Vec<Option<bool>>,
    event_ids: Vec<Option<Ident>>,
    signals: Vec<i32>,
    signal_ids: Vec<Option<Ident>>,
    outstanding: Vec<u32>,
    next_tag: u64,
    /// Reports judged, by kind: handle, timer, user event, signal.
    reports: [u64; 4],
    /// Calls refused as the model said they would be.
    refusals: u64,
    /// `CHRONIA_FUZZ_TRACE` set: print every op and every report.
    trace: bool,
}

impl Fuzz {
    fn new(seed: u64) -> Fuzz {
        let first = libc::SIGRTMIN() + 1;
        Fuzz {
            seed,
            op: 0,
            history: VecDeque::new(),
            rng: Rng::new(seed),
            selector: Selector::new().expect("selector"),
            model: HashMap::new(),
            channels: (0..CHANNELS).map(|i| Channel::open(i % 2 == 0)).collect(),
            events: (0..EVENTS)
                .map(|_| SelectEvent::new().expect("eventfd"))
                .collect(),
            triggered: vec![Some(false); EVENTS],
            event_ids: vec![None; EVENTS],
            signals: (0..SIGNALS)
                .map(|i| first + i32::try_from(i).expect("small"))
                .collect(),
            signal_ids: vec![None; SIGNALS],
            outstanding: vec![0; SIGNALS],
            next_tag: 1,
            reports: [0; 4],
            refusals: 0,
            trace: std::env::var_os("CHRONIA_FUZZ_TRACE").is_some(),
        }
    }

    #[track_caller]
    fn fail(&self, what: &str) -> ! {
        let recent: Vec<String> = self.history.iter().map(|op| format!("{op:?}")).collect();
        panic!(
            "model_fuzz seed {} op {}: {what}\nlast ops, oldest first:\n  {}\nreplay: CHRONIA_FUZZ_SEED={} cargo test -p chronia-reactor --test model_fuzz",
            self.seed,
            self.op,
            recent.join("\n  "),
            self.seed,
        );
    }

    #[track_caller]
    fn ok<V>(&self, result: io::Result<V>, what: &str) -> V {
        result.unwrap_or_else(|e| self.fail(&format!("{what}: unexpected error {e}")))
    }

    #[track_caller]
    fn refused<V: std::fmt::Debug>(&mut self, result: io::Result<V>, kind: ErrorKind, what: &str) {
        match result {
            Err(e) if e.kind() == kind => self.refusals += 1,
            other => self.fail(&format!("{what}: expected {kind:?}, got {other:?}")),
        }
    }

    fn tag(&mut self) -> u64 {
        self.next_tag += 1;
        self.next_tag
    }

    fn handle_id(&self, chan: usize, end: usize) -> Option<Ident> {
        let id = Ident::from(self.channels[chan].fd(end));
        self.model.contains_key(&id).then_some(id)
    }

    fn pick_live(&mut self, want: fn(&Kind) -> bool) -> Option<Ident> {
        let mut ids: Vec<Ident> = self
            .model
            .iter()
            .filter(|(_, l)| want(&l.kind))
            .map(|(&id, _)| id)
            .collect();
        ids.sort_unstable();
        (!ids.is_empty()).then(|| ids[self.rng.below(ids.len())])
    }

    fn step(&mut self) {
        let op = match self.rng.below(100) {
            0..=13 => Op::RegisterHandle(
                self.rng.below(CHANNELS),
                self.rng.below(2),
                self.rng.handle_events(),
            ),
            14..=23 => Op::UpdateHandle(
                self.rng.below(CHANNELS),
                self.rng.below(2),
                self.rng.handle_events(),
            ),
            24..=33 => match self.pick_live(|_| true) {
                Some(id) => Op::Unregister(id),
                None => Op::Select,
            },
            34..=43 => Op::Write(
                self.rng.below(CHANNELS),
                self.rng.below(2),
                1 + self.rng.below(64),
            ),
            44..=50 => Op::Read(
                self.rng.below(CHANNELS),
                self.rng.below(2),
                1 + self.rng.below(64),
            ),
            51 => Op::CloseAndReopen(self.rng.below(CHANNELS)),
            52..=54 => {
                let after = if self.rng.one_in(2) {
                    LONG
                } else {
                    self.rng.short()
                };
                Op::RegisterTimer(after, self.rng.one_in(2))
            }
            55..=57 => match self.pick_live(|k| matches!(k, Kind::Timer { .. })) {
                Some(id) => {
                    let after = match self.rng.below(3) {
                        0 => None,
                        1 => Some(LONG),
                        _ => Some(self.rng.short()),
                    };
                    Op::SetTimer(id, after)
                }
                None => Op::Select,
            },
            58..=61 => Op::RegisterEvent(self.rng.below(EVENTS)),
            62..=66 => Op::Trigger(self.rng.below(EVENTS)),
            67..=70 => Op::RegisterSignal(self.rng.below(SIGNALS)),
            71..=75 => Op::Send(self.rng.below(SIGNALS)),
            76..=87 => Op::Select,
            88..=90 => Op::SelectSmall(1 + self.rng.below(4)),
            91..=93 => match self.pick_live(|_| true) {
                Some(id) => Op::Retag(id),
                None => Op::Select,
            },
            _ => Op::Misuse(self.rng.below(14)),
        };
        if self.history.len() == 24 {
            self.history.pop_front();
        }
        self.history.push_back(op);
        if self.trace {
            println!("op {}: {op:?}", self.op);
        }
        self.apply(op);
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::RegisterHandle(chan, end, events) => self.register_handle(chan, end, events),
            Op::UpdateHandle(chan, end, events) => self.update_handle(chan, end, events),
            Op::Unregister(id) => self.unregister(id),
            Op::Write(chan, end, len) => self.write(chan, end, len),
            Op::Read(chan, end, len) => self.read(chan, end, len),
            Op::CloseAndReopen(chan) => self.close_and_reopen(chan),
            Op::RegisterTimer(after, oneshot) => self.register_timer(after, oneshot),
            Op::SetTimer(id, after) => self.set_timer(id, after),
            Op::RegisterEvent(i) => self.register_event(i),
            Op::Trigger(i) => {
                let r = self.events[i].trigger();
                self.ok(r, "trigger");
                self.triggered[i] = Some(true);
            }
            Op::RegisterSignal(i) => self.register_signal(i),
            Op::Send(i) => {
                if self.signal_ids[i].is_some() && self.outstanding[i] < QUEUED_SIGNALS {
                    util::tgkill_self(self.signals[i]);
                    self.outstanding[i] += 1;
                }
            }
            Op::Select => self.select_all(Duration::ZERO),
            Op::SelectSmall(room) => self.select_small(room),
            Op::Retag(id) => self.retag(id),
            Op::Misuse(which) => self.misuse(which),
        }
    }
}

fn main_loop(seed: u64, ops: usize) {
    let mut fuzz = Fuzz::new(seed);
    while fuzz.op < ops {
        fuzz.step();
        if fuzz.op.is_multiple_of(64) {
            fuzz.check_table();
        }
        fuzz.op += 1;
    }
    fuzz.finish();
}

#[test]
fn selector_agrees_with_the_model() {
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .map(|v| v.parse::<u64>().expect(name))
    };
    let ops = env("CHRONIA_FUZZ_OPS").map_or(100_000, |n| usize::try_from(n).expect("ops"));
    let seeds: Vec<u64> = match env("CHRONIA_FUZZ_SEED") {
        Some(seed) => vec![seed],
        None => (1..=env("CHRONIA_FUZZ_SEEDS").unwrap_or(4)).collect(),
    };
    let fds = util::fd_count();
    let start = Instant::now();
    for &seed in &seeds {
        main_loop(seed, ops);
    }
    let elapsed = start.elapsed();
    let total = ops * seeds.len();
    println!(
        "model_fuzz: {} seeds x {ops} ops in {elapsed:.2?}: {:.0} ops/s",
        seeds.len(),
        f64::from(u32::try_from(total).expect("ops fit")) / elapsed.as_secs_f64()
    );
    assert_eq!(util::fd_count(), fds, "fds leaked across the seeds");
}
