//! Signals. (Being written.)
use chronia_reactor::ReadyKey;
use std::task::Waker;
pub(crate) fn deliver(
    _inner: &mut crate::runtime::driver::Inner,
    _key: ReadyKey,
    _wakers: &mut Vec<Waker>,
) {
}
