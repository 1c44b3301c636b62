//! Tasks: [`spawn`], [`yield_now`], [`JoinHandle`], [`JoinError`].

pub use crate::blocking::spawn_blocking;
pub use crate::runtime::spawn;
pub use chronia_executor::{JoinError, JoinHandle, yield_now};
