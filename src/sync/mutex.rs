//! [`Mutex`]: a fair (FIFO) async mutual-exclusion lock.

use std::cell::{RefCell, RefMut};
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};

use super::batch_semaphore::{Release, Sem};

/// An async lock around a value; waiters get it in FIFO order.
///
/// Built on a one-permit semaphore and a `RefCell` (whose borrow can never
/// fail: only the holder of the permit borrows). Dropping a `lock` future
/// gives up its place in the queue; if the lock had just been handed to
/// it, the next waiter gets it instead.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use chronia::sync::Mutex;
///
/// chronia::block_on(async {
///     let count = Rc::new(Mutex::new(0));
///     let mut tasks = Vec::new();
///     for _ in 0..10 {
///         let count = Rc::clone(&count);
///         tasks.push(chronia::spawn(async move {
///             *count.lock().await += 1;
///         }));
///     }
///     for task in tasks {
///         task.await.expect("no panic");
///     }
///     assert_eq!(*count.lock().await, 10);
/// });
/// ```
pub struct Mutex<T: ?Sized> {
    sem: Sem,
    value: RefCell<T>,
}

/// The lock is held; [`Mutex::try_lock`] would have to wait.
///
/// # Examples
///
/// ```
/// let mutex = chronia::sync::Mutex::new(());
/// let _guard = mutex.try_lock().expect("free");
/// assert!(mutex.try_lock().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TryLockError(pub(crate) ());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("operation would block")
    }
}

impl std::error::Error for TryLockError {}

impl<T> Mutex<T> {
    /// A free lock around `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = chronia::sync::Mutex::new(5);
    /// assert_eq!(mutex.into_inner(), 5);
    /// ```
    pub const fn new(value: T) -> Self {
        Self {
            sem: Sem::new(1),
            value: RefCell::new(value),
        }
    }

    /// The value, taking the lock apart.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(chronia::sync::Mutex::new("v").into_inner(), "v");
    /// ```
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock. Cancel-safe, FIFO.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let mutex = chronia::sync::Mutex::new(1);
    ///     *mutex.lock().await += 1;
    ///     assert_eq!(*mutex.lock().await, 2);
    /// });
    /// ```
    pub fn lock(&self) -> impl Future<Output = MutexGuard<'_, T>> {
        self.sem.lock(1, || self.guard())
    }

    /// Takes the lock if it is free and nobody waits; never waits.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if it is held or others wait for it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = chronia::sync::Mutex::new(0);
    /// *mutex.try_lock().expect("free") = 3;
    /// assert_eq!(*mutex.try_lock().expect("free"), 3);
    /// ```
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        self.sem.try_acquire(1).map_err(|_| TryLockError(()))?;
        Ok(self.guard())
    }

    fn guard(&self) -> MutexGuard<'_, T> {
        MutexGuard {
            value: self.value.borrow_mut(),
            _release: Release {
                sem: &self.sem,
                permits: 1,
            },
        }
    }

    /// The value, through `&mut self` (no locking needed).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut mutex = chronia::sync::Mutex::new(1);
    /// *mutex.get_mut() = 2;
    /// assert_eq!(mutex.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// The held lock of a [`Mutex`]: derefs to the value; dropping it unlocks.
///
/// # Examples
///
/// ```
/// chronia::block_on(async {
///     let mutex = chronia::sync::Mutex::new(vec![1]);
///     mutex.lock().await.push(2);
///     assert_eq!(*mutex.lock().await, [1, 2]);
/// });
/// ```
#[must_use = "dropping the guard unlocks at once"]
pub struct MutexGuard<'a, T: ?Sized> {
    value: RefMut<'a, T>,
    /// Last: the borrow above ends first.
    _release: Release<'a>,
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.value, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.value, f)
    }
}
