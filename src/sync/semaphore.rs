//! [`Semaphore`]: a fair (FIFO) counting semaphore, with borrowed and
//! owned permits.

use std::fmt;
use std::future::Future;
use std::rc::Rc;

use super::batch_semaphore::{MAX_PERMITS, Sem, TryAcquire};

/// A counting semaphore; waiters are served in FIFO order.
///
/// An `acquire` that does not fit waits, and so does every acquire queued
/// after it (no barging). Dropping an acquire future gives up its place;
/// permits it had been granted go to the next waiter.
///
/// # Examples
///
/// ```
/// use chronia::sync::Semaphore;
///
/// chronia::block_on(async {
///     let semaphore = Semaphore::new(2);
///     let a = semaphore.acquire().await.expect("not closed");
///     let _b = semaphore.acquire().await.expect("not closed");
///     assert!(semaphore.try_acquire().is_err());
///     drop(a);
///     assert_eq!(semaphore.available_permits(), 1);
/// });
/// ```
pub struct Semaphore {
    sem: Sem,
}

/// The semaphore was closed.
///
/// # Examples
///
/// ```
/// chronia::block_on(async {
///     let semaphore = chronia::sync::Semaphore::new(0);
///     semaphore.close();
///     assert!(semaphore.acquire().await.is_err());
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcquireError(());

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("semaphore closed")
    }
}

impl std::error::Error for AcquireError {}

/// Why a `try_acquire` took nothing.
///
/// # Examples
///
/// ```
/// use chronia::sync::{Semaphore, TryAcquireError};
/// let semaphore = Semaphore::new(0);
/// assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
/// semaphore.close();
/// assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::Closed);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore was closed.
    Closed,
    /// Not enough permits free, or others wait before us.
    NoPermits,
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::Closed => f.write_str("semaphore closed"),
            TryAcquireError::NoPermits => f.write_str("no permits available"),
        }
    }
}

impl std::error::Error for TryAcquireError {}

impl From<TryAcquire> for TryAcquireError {
    fn from(error: TryAcquire) -> Self {
        match error {
            TryAcquire::Closed => TryAcquireError::Closed,
            TryAcquire::NoPermits => TryAcquireError::NoPermits,
        }
    }
}

impl Semaphore {
    /// The most permits a semaphore holds: `usize::MAX >> 3`, as tokio.
    pub const MAX_PERMITS: usize = MAX_PERMITS;

    /// A semaphore with `permits` permits.
    ///
    /// # Panics
    ///
    /// Panics if `permits` exceeds [`Semaphore::MAX_PERMITS`].
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = chronia::sync::Semaphore::new(3);
    /// assert_eq!(semaphore.available_permits(), 3);
    /// ```
    #[track_caller]
    pub const fn new(permits: usize) -> Self {
        Self {
            sem: Sem::new(permits),
        }
    }

    /// The permits free now.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = chronia::sync::Semaphore::new(1);
    /// let _permit = semaphore.try_acquire().expect("one free");
    /// assert_eq!(semaphore.available_permits(), 0);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.sem.available()
    }

    /// Adds `n` permits, waking waiters that now fit.
    ///
    /// # Panics
    ///
    /// Panics if the total would exceed [`Semaphore::MAX_PERMITS`].
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = chronia::sync::Semaphore::new(0);
    /// semaphore.add_permits(2);
    /// assert_eq!(semaphore.available_permits(), 2);
    /// ```
    #[track_caller]
    pub fn add_permits(&self, n: usize) {
        self.sem.release(n);
    }

    /// Takes up to `n` free permits away for good; returns how many.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = chronia::sync::Semaphore::new(3);
    /// assert_eq!(semaphore.forget_permits(5), 3);
    /// ```
    pub fn forget_permits(&self, n: usize) -> usize {
        self.sem.forget(n)
    }

    /// Waits for one permit.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is or gets closed.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let semaphore = chronia::sync::Semaphore::new(1);
    ///     let permit = semaphore.acquire().await.expect("not closed");
    ///     assert_eq!(permit.num_permits(), 1);
    /// });
    /// ```
    pub fn acquire(&self) -> impl Future<Output = Result<SemaphorePermit<'_>, AcquireError>> {
        self.acquire_many(1)
    }

    /// Waits for `n` permits at once.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is or gets closed.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let semaphore = chronia::sync::Semaphore::new(5);
    ///     let permit = semaphore.acquire_many(3).await.expect("not closed");
    ///     assert_eq!(semaphore.available_permits(), 2);
    ///     drop(permit);
    ///     assert_eq!(semaphore.available_permits(), 5);
    /// });
    /// ```
    pub fn acquire_many(
        &self,
        n: u32,
    ) -> impl Future<Output = Result<SemaphorePermit<'_>, AcquireError>> {
        // A plain future, not an `async fn`: one state machine less on the
        // uncontended path. It behaves as tokio's `async fn`.
        let permits = n as usize;
        self.sem
            .acquire_then(permits, move |acquired| match acquired {
                Ok(()) => Ok(SemaphorePermit {
                    semaphore: self,
                    permits,
                }),
                Err(_) => Err(AcquireError(())),
            })
    }

    /// Takes one permit if it is free and nobody waits; never waits.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::NoPermits`] or [`TryAcquireError::Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = chronia::sync::Semaphore::new(1);
    /// let _permit = semaphore.try_acquire().expect("free");
    /// assert!(semaphore.try_acquire().is_err());
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if they are free and nobody waits; never waits.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::NoPermits`] or [`TryAcquireError::Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = chronia::sync::Semaphore::new(2);
    /// assert!(semaphore.try_acquire_many(3).is_err());
    /// assert!(semaphore.try_acquire_many(2).is_ok());
    /// ```
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        let permits = n as usize;
        self.sem.try_acquire(permits)?;
        Ok(SemaphorePermit {
            semaphore: self,
            permits,
        })
    }

    /// Waits for one permit that owns an `Rc` of the semaphore.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is or gets closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// chronia::block_on(async {
    ///     let semaphore = Rc::new(chronia::sync::Semaphore::new(1));
    ///     let permit = Rc::clone(&semaphore).acquire_owned().await.expect("open");
    ///     let _task = chronia::spawn(async move { drop(permit) });
    /// });
    /// ```
    pub async fn acquire_owned(self: Rc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many_owned(1).await
    }

    /// Waits for `n` permits that own an `Rc` of the semaphore.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is or gets closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// chronia::block_on(async {
    ///     let semaphore = Rc::new(chronia::sync::Semaphore::new(4));
    ///     let permit = Rc::clone(&semaphore).acquire_many_owned(4).await.expect("open");
    ///     assert_eq!(permit.num_permits(), 4);
    /// });
    /// ```
    pub async fn acquire_many_owned(
        self: Rc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        let permits = n as usize;
        self.sem
            .acquire(permits)
            .await
            .map_err(|_| AcquireError(()))?;
        Ok(OwnedSemaphorePermit {
            semaphore: self,
            permits,
        })
    }

    /// Takes one owned permit if free and nobody waits; never waits.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::NoPermits`] or [`TryAcquireError::Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// let semaphore = Rc::new(chronia::sync::Semaphore::new(1));
    /// let _permit = Rc::clone(&semaphore).try_acquire_owned().expect("free");
    /// assert!(semaphore.try_acquire_owned().is_err());
    /// ```
    pub fn try_acquire_owned(self: Rc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// Takes `n` owned permits if free and nobody waits; never waits.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::NoPermits`] or [`TryAcquireError::Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// let semaphore = Rc::new(chronia::sync::Semaphore::new(2));
    /// assert!(Rc::clone(&semaphore).try_acquire_many_owned(2).is_ok());
    /// ```
    pub fn try_acquire_many_owned(
        self: Rc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        let permits = n as usize;
        self.sem.try_acquire(permits)?;
        Ok(OwnedSemaphorePermit {
            semaphore: self,
            permits,
        })
    }

    /// Closes the semaphore: every waiter fails with [`AcquireError`], and
    /// so does every later acquire. Permits already out keep working.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = chronia::sync::Semaphore::new(1);
    /// semaphore.close();
    /// assert!(semaphore.is_closed());
    /// ```
    pub fn close(&self) {
        self.sem.close();
    }

    /// Whether [`close`](Semaphore::close) was called.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!chronia::sync::Semaphore::new(1).is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.sem.is_closed()
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.available_permits())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Permits borrowed from a [`Semaphore`]; dropping them gives them back.
///
/// # Examples
///
/// ```
/// let semaphore = chronia::sync::Semaphore::new(1);
/// let permit = semaphore.try_acquire().expect("free");
/// permit.forget();
/// assert_eq!(semaphore.available_permits(), 0);
/// ```
#[must_use = "dropping the permit gives it back at once"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
    permits: usize,
}

impl SemaphorePermit<'_> {
    /// Keeps the permits out of the semaphore for good.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = chronia::sync::Semaphore::new(2);
    /// semaphore.try_acquire().expect("free").forget();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// How many permits this holds.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = chronia::sync::Semaphore::new(2);
    /// assert_eq!(semaphore.try_acquire_many(2).expect("free").num_permits(), 2);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits
    }
}

impl Drop for SemaphorePermit<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.permits > 0 {
            self.semaphore.sem.release(self.permits);
        }
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.permits)
            .finish()
    }
}

/// Permits that own an `Rc` of their [`Semaphore`]; dropping them gives
/// them back.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// let semaphore = Rc::new(chronia::sync::Semaphore::new(1));
/// let permit = Rc::clone(&semaphore).try_acquire_owned().expect("free");
/// drop(permit);
/// assert_eq!(semaphore.available_permits(), 1);
/// ```
#[must_use = "dropping the permit gives it back at once"]
pub struct OwnedSemaphorePermit {
    semaphore: Rc<Semaphore>,
    permits: usize,
}

impl OwnedSemaphorePermit {
    /// Keeps the permits out of the semaphore for good.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// let semaphore = Rc::new(chronia::sync::Semaphore::new(1));
    /// Rc::clone(&semaphore).try_acquire_owned().expect("free").forget();
    /// assert_eq!(semaphore.available_permits(), 0);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// How many permits this holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// let semaphore = Rc::new(chronia::sync::Semaphore::new(1));
    /// let permit = Rc::clone(&semaphore).try_acquire_owned().expect("free");
    /// assert_eq!(permit.num_permits(), 1);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// The semaphore the permits belong to.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// let semaphore = Rc::new(chronia::sync::Semaphore::new(1));
    /// let permit = Rc::clone(&semaphore).try_acquire_owned().expect("free");
    /// assert!(Rc::ptr_eq(permit.semaphore(), &semaphore));
    /// ```
    pub fn semaphore(&self) -> &Rc<Semaphore> {
        &self.semaphore
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        if self.permits > 0 {
            self.semaphore.sem.release(self.permits);
        }
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("permits", &self.permits)
            .finish_non_exhaustive()
    }
}
