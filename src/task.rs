//! Tasks: [`spawn`], [`yield_now`], [`JoinHandle`], [`JoinError`],
//! [`JoinSet`].

mod joinset;

pub use crate::runtime::spawn;
pub use chronia_executor::{JoinError, JoinHandle, yield_now};
pub use joinset::JoinSet;
