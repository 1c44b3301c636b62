//! [`RwLock`]: a fair (FIFO) async reader-writer lock.

use std::cell::{Ref, RefCell, RefMut};
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};

use super::batch_semaphore::{Release, Sem};
use super::mutex::TryLockError;

/// The most readers at once by default: `u32::MAX >> 3`, as tokio.
const MAX_READS: u32 = u32::MAX >> 3;

/// An async reader-writer lock; readers and writers queue in one FIFO.
///
/// A reader takes one of `max_readers` permits, a writer takes all of
/// them, so a waiting writer holds back the readers that come after it
/// (no writer starvation), as tokio's. Dropping a `read` or `write` future
/// gives up its place; the next waiter proceeds.
///
/// # Examples
///
/// ```
/// use chronia::sync::RwLock;
///
/// chronia::block_on(async {
///     let lock = RwLock::new(5);
///     {
///         let a = lock.read().await;
///         let b = lock.read().await;
///         assert_eq!(*a + *b, 10);
///     }
///     *lock.write().await += 1;
///     assert_eq!(*lock.read().await, 6);
/// });
/// ```
pub struct RwLock<T: ?Sized> {
    sem: Sem,
    max_readers: u32,
    value: RefCell<T>,
}

impl<T> RwLock<T> {
    /// A free lock around `value`, allowing `u32::MAX >> 3` readers.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = chronia::sync::RwLock::new(1);
    /// assert_eq!(lock.into_inner(), 1);
    /// ```
    pub const fn new(value: T) -> Self {
        Self::with_max_readers(value, MAX_READS)
    }

    /// A free lock around `value` that lets at most `max_readers` read at
    /// once.
    ///
    /// # Panics
    ///
    /// Panics if `max_readers` is 0 or above `u32::MAX >> 3`, as tokio.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = chronia::sync::RwLock::with_max_readers((), 1);
    /// let _a = lock.try_read().expect("free");
    /// assert!(lock.try_read().is_err());
    /// ```
    #[track_caller]
    pub const fn with_max_readers(value: T, max_readers: u32) -> Self {
        assert!(
            max_readers > 0 && max_readers <= MAX_READS,
            "a RwLock allows between 1 and u32::MAX >> 3 readers"
        );
        Self {
            sem: Sem::new(max_readers as usize),
            max_readers,
            value: RefCell::new(value),
        }
    }

    /// The value, taking the lock apart.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(chronia::sync::RwLock::new('x').into_inner(), 'x');
    /// ```
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits for shared access. Cancel-safe, FIFO.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let lock = chronia::sync::RwLock::new(2);
    ///     assert_eq!(*lock.read().await, 2);
    /// });
    /// ```
    pub fn read(&self) -> impl Future<Output = RwLockReadGuard<'_, T>> {
        self.sem.lock(1, || self.read_guard())
    }

    /// Waits for exclusive access. Cancel-safe, FIFO.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let lock = chronia::sync::RwLock::new(2);
    ///     *lock.write().await = 3;
    ///     assert_eq!(*lock.read().await, 3);
    /// });
    /// ```
    pub fn write(&self) -> impl Future<Output = RwLockWriteGuard<'_, T>> {
        self.sem
            .lock(self.max_readers as usize, || self.write_guard())
    }

    /// Takes shared access if nobody writes or waits; never waits.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if a writer holds the lock or anyone waits.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = chronia::sync::RwLock::new(0);
    /// let _read = lock.try_read().expect("free");
    /// assert!(lock.try_write().is_err());
    /// ```
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        self.sem.try_acquire(1).map_err(|_| TryLockError(()))?;
        Ok(self.read_guard())
    }

    /// Takes exclusive access if the lock is free and nobody waits; never
    /// waits.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if anyone holds or waits for the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = chronia::sync::RwLock::new(0);
    /// *lock.try_write().expect("free") = 1;
    /// assert_eq!(*lock.try_read().expect("free"), 1);
    /// ```
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        self.sem
            .try_acquire(self.max_readers as usize)
            .map_err(|_| TryLockError(()))?;
        Ok(self.write_guard())
    }

    fn read_guard(&self) -> RwLockReadGuard<'_, T> {
        RwLockReadGuard {
            value: self.value.borrow(),
            _release: Release {
                sem: &self.sem,
                permits: 1,
            },
        }
    }

    fn write_guard(&self) -> RwLockWriteGuard<'_, T> {
        RwLockWriteGuard {
            value: self.value.borrow_mut(),
            _release: Release {
                sem: &self.sem,
                permits: self.max_readers as usize,
            },
        }
    }

    /// The value, through `&mut self` (no locking needed).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lock = chronia::sync::RwLock::new(1);
    /// *lock.get_mut() += 1;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// Shared access to a [`RwLock`]'s value; dropping it releases.
///
/// # Examples
///
/// ```
/// let lock = chronia::sync::RwLock::new(3);
/// assert_eq!(*lock.try_read().expect("free"), 3);
/// ```
#[must_use = "dropping the guard releases the lock at once"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    value: Ref<'a, T>,
    _release: Release<'a>,
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.value, f)
    }
}

/// Exclusive access to a [`RwLock`]'s value; dropping it releases.
///
/// # Examples
///
/// ```
/// let lock = chronia::sync::RwLock::new(3);
/// *lock.try_write().expect("free") += 1;
/// assert_eq!(lock.into_inner(), 4);
/// ```
#[must_use = "dropping the guard releases the lock at once"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    value: RefMut<'a, T>,
    _release: Release<'a>,
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.value, f)
    }
}
