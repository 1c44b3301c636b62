//! The runtime's time: its clock ([`Clock`], real or paused) and its
//! timers ([`Timers`], one heap per runtime), kept together because the
//! driver arms the timerfd from both and advances paused time to the next
//! timer. A leaf that knows only std and `slab`.
//!
//! Filed under `runtime` and not `time`: both are driver state, and the
//! driver imports no capability; `time` is the user's API above the
//! driver, and reaches these only through the driver's API (apart from the
//! pure [`deadline_after`], and the [`Deadline`] and [`TimerKey`] a
//! `Sleep` holds).
//!
//! # Who may touch what
//!
//! Only the driver holds a [`Clock`] and a [`Timers`], and only the driver
//! calls their methods; `time` holds the [`TimerKey`]s, each owned by the
//! one `Sleep` that added it.

mod clock;
mod deadline;
mod heap;

pub(crate) use clock::{Clock, deadline_after};
pub(crate) use deadline::Deadline;
pub(crate) use heap::{TimerKey, Timers};
