//! Signals. (Being written.)

use std::io;
use std::task::Waker;

use chronia_reactor::ReadyKey;

/// While alive, deliveries of one signal that land on a thread which does
/// not block it are forwarded to this thread. (Being written.)
#[derive(Debug)]
pub(crate) struct Subscription {
    _signo: i32,
}

/// Subscribes this thread to forwarded deliveries of `signo`.
pub(crate) fn subscribe(signo: i32) -> io::Result<Subscription> {
    Ok(Subscription { _signo: signo })
}

pub(crate) fn deliver(_inner: &mut crate::runtime::driver::Inner, _key: ReadyKey, _wakers: &mut Vec<Waker>) {}
