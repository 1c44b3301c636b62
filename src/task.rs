//! Tasks: [`spawn`], [`yield_now`], [`JoinHandle`], [`JoinError`],
//! [`JoinSet`], and [`Builder`] to spawn a named task.

mod builder;
mod joinset;

pub use crate::blocking::spawn_blocking;
pub use crate::runtime::spawn;
pub use builder::Builder;
pub use chronia_executor::{AbortHandle, Id, JoinError, JoinHandle, id, try_id, yield_now};
pub use joinset::JoinSet;
