//! What the fuzzer drives and what its model says about it: the random
//! source, the fd channels, the model of each registration, and the ops.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use chronia_reactor::{Events, Ident};

/// xorshift64*: small, fast, and the same sequence for a seed everywhere.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        let n = u64::try_from(n).expect("small");
        usize::try_from((self.next() >> 32) % n).expect("below n")
    }

    pub(crate) fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub(crate) fn handle_events(&mut self) -> Events {
        let bits = [Events::READ, Events::WRITE, Events::ONESHOT, Events::EDGE];
        let pick = self.below(16);
        bits.iter()
            .enumerate()
            .filter(|(i, _)| pick & (1 << i) != 0)
            .fold(Events::empty(), |set, (_, &e)| set | e)
    }

    pub(crate) fn short(&mut self) -> Duration {
        Duration::from_micros(u64::try_from(self.below(300)).expect("small"))
    }
}

/// A pipe (`[read end, write end]`) or a socketpair.
pub(crate) struct Channel {
    pub(crate) pipe: bool,
    pub(crate) ends: [File; 2],
    /// Unread bytes waiting at each end.
    pub(crate) queued: [usize; 2],
    /// Bumped on every read or write: an edge-triggered end may report a
    /// new edge after it (each write to a socket wakes its reader).
    pub(crate) activity: u64,
}

impl Channel {
    pub(crate) fn open(pipe: bool) -> Channel {
        let ends: [OwnedFd; 2] = if pipe {
            let (r, w) = io::pipe().expect("pipe");
            [r.into(), w.into()]
        } else {
            let (a, b) = UnixStream::pair().expect("socketpair");
            [a.into(), b.into()]
        };
        Channel {
            pipe,
            ends: ends.map(File::from),
            queued: [0, 0],
            activity: 0,
        }
    }

    pub(crate) fn fd(&self, end: usize) -> RawFd {
        self.ends[end].as_raw_fd()
    }

    /// What end `end` is ready for now.
    pub(crate) fn ready(&self, end: usize) -> Events {
        let mut ready = Events::empty();
        if self.queued[end] > 0 {
            ready |= Events::READ;
        }
        if !self.pipe || end == 1 {
            ready |= Events::WRITE;
        }
        ready
    }

    /// The end that bytes written at `end` reach.
    pub(crate) fn peer(&self, end: usize) -> Option<usize> {
        match (self.pipe, end) {
            (true, 0) => None,
            (true, _) => Some(0),
            (false, e) => Some(1 - e),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Fires {
    /// A short periodic timer: any number of reports.
    Any,
    /// This many reports at most, and, for a short arming, exactly this
    /// many by the end.
    Left(u32),
}

#[derive(Debug)]
pub(crate) enum Kind {
    Handle {
        chan: usize,
        end: usize,
        interest: Events,
        /// Not yet disabled by a `ONESHOT` report.
        armed: bool,
        /// An edge the kernel owes an `EDGE` registration.
        edge_due: bool,
        /// The channel's activity count when it last reported.
        seen_activity: u64,
    },
    Timer {
        oneshot: bool,
        fires: Fires,
        /// One stale expiry may still be read after a disarm.
        grace: bool,
    },
    User(usize),
    Signal(usize),
}

pub(crate) struct Live {
    pub(crate) kind: Kind,
    pub(crate) tag: u64,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Op {
    RegisterHandle(usize, usize, Events),
    UpdateHandle(usize, usize, Events),
    Unregister(Ident),
    Write(usize, usize, usize),
    Read(usize, usize, usize),
    CloseAndReopen(usize),
    RegisterTimer(Duration, bool),
    SetTimer(Ident, Option<Duration>),
    RegisterEvent(usize),
    Trigger(usize),
    RegisterSignal(usize),
    Send(usize),
    Select,
    SelectSmall(usize),
    Retag(Ident),
    Misuse(usize),
}
