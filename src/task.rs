//! Tasks: [`spawn`], [`yield_now`], [`JoinHandle`], [`JoinError`], and
//! [`Builder`] to spawn a named task.

mod builder;

pub use crate::blocking::spawn_blocking;
pub use crate::runtime::spawn;
pub use builder::Builder;
pub use chronia_executor::{JoinError, JoinHandle, yield_now};
