//! The epoll selector of chronia: a Rust port of the epoll selector of
//! nim-chronos, with the seed's known bugs fixed.
//!
//! One [`Selector`] owns one epoll instance and reports readiness of
//! registered fds, timers (one timerfd each), user events ([`SelectEvent`],
//! an eventfd any thread can trigger), signals (one signalfd for all) and
//! child processes (`SIGCHLD` and a `waitid` sweep; no pidfd). It knows
//! nothing about futures; the runtime stores its wakers in the data `T` of
//! each registration.
//!
//! ```
//! use chronia_reactor::{Events, Selector};
//! use std::time::Duration;
//!
//! let mut selector = Selector::new()?;
//! let timer = selector.register_timer(Duration::from_micros(250), false, "tick")?;
//! let mut ticks = 0;
//! while ticks < 3 {
//!     for key in selector.select(None)? {
//!         assert_eq!(key.ident(), timer);
//!         assert!(key.events().contains(Events::TIMER));
//!         ticks += 1;
//!     }
//! }
//! # Ok::<(), std::io::Error>(())
//! ```

mod event;
mod events;
mod ids;
mod mask;
mod selector;
mod sys;

pub use event::SelectEvent;
pub use events::{Events, Ident, ReadyKey, SignalInfo};
pub use selector::{Selector, SignalUse, check_signal};
