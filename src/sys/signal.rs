//! Signal syscalls of the facade. (Being written.)
#![allow(unsafe_code)]
