//! CPU affinity of threads (`sched_getaffinity(2)`, `sched_setaffinity(2)`),
//! for pinning the shards of a thread-per-core runtime.
//!
//! Both calls work on the calling thread (pid 0) and on a `cpu_set_t` of
//! `CPU_SETSIZE` (1024) CPUs; a machine with more CPUs than that gets
//! `EINVAL` from the kernel, passed through.
#![allow(unsafe_code)]

use std::io;
use std::mem::MaybeUninit;

use super::cvt;

/// How many CPUs a `cpu_set_t` holds.
const SET_SIZE: usize = libc::CPU_SETSIZE as usize;

/// The CPUs the calling thread may run on, in increasing order.
pub(crate) fn allowed_cpus() -> io::Result<Vec<usize>> {
    let mut set = MaybeUninit::<libc::cpu_set_t>::zeroed();
    // SAFETY: `set` is a writable cpu_set_t of the size passed, live across
    // the call; pid 0 is the calling thread.
    cvt(unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), set.as_mut_ptr()) })?;
    // SAFETY: zeroed (a valid empty set), then filled by the kernel.
    let set = unsafe { set.assume_init() };
    Ok((0..SET_SIZE).filter(|&cpu| is_set(cpu, &set)).collect())
}

fn is_set(cpu: usize, set: &libc::cpu_set_t) -> bool {
    // SAFETY: `set` is an initialised cpu_set_t and `cpu` is below
    // CPU_SETSIZE, so the bit read lies inside it.
    unsafe { libc::CPU_ISSET(cpu, set) }
}

/// Lets the calling thread run on `cpu` only.
///
/// `InvalidInput` naming `cpu` if it is not below `CPU_SETSIZE`; the
/// kernel's error otherwise (`EINVAL` for a CPU outside the thread's cpuset).
pub(crate) fn pin_current_thread(cpu: usize) -> io::Result<()> {
    if cpu >= SET_SIZE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("CPU {cpu} is beyond the {SET_SIZE} CPUs a cpu_set_t holds"),
        ));
    }
    // SAFETY: an all-zero cpu_set_t is a valid, empty set (plain integers).
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is an initialised cpu_set_t and `cpu` is below
    // CPU_SETSIZE (checked above), so the bit written lies inside it.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is an initialised cpu_set_t of the size passed, live
    // across the call; pid 0 is the calling thread.
    cvt(unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &raw const set) })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_pinned_to_an_allowed_cpu_may_run_there_only() {
        let cpus = allowed_cpus().expect("sched_getaffinity");
        assert!(!cpus.is_empty());
        let last = *cpus.last().expect("not empty");
        std::thread::spawn(move || {
            pin_current_thread(last).expect("an allowed CPU");
            assert_eq!(allowed_cpus().expect("sched_getaffinity"), vec![last]);
        })
        .join()
        .expect("the pinned thread does not panic");
    }

    #[test]
    fn a_cpu_beyond_the_set_is_invalid_input() {
        let e = pin_current_thread(SET_SIZE).expect_err("out of range");
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("1024"), "{e}");
    }
}
