//! [`JoinError`]: why a task gave no output.

use std::any::Any;
use std::fmt;
use std::sync::Mutex;

use crate::id::Id;

/// Why a task did not produce its output: it was cancelled, or it panicked.
///
/// Returned by awaiting a [`JoinHandle`](crate::JoinHandle). Shown as
/// tokio shows its `JoinError`: `task 7 was cancelled`,
/// `task 7 panicked with message "boom"`.
///
/// # Examples
///
/// ```
/// use chronia_executor::{JoinHandle, LocalExecutor, Park, Unpark};
/// # use std::{sync::Arc, time::Duration};
/// # struct Spin;
/// # impl Unpark for Spin { fn unpark(&self) {} }
/// # impl Park for Spin {
/// #     fn park(&mut self, _: Option<Duration>) {}
/// #     fn unparker(&self) -> Arc<dyn Unpark> { Arc::new(Spin) }
/// # }
/// let ex = LocalExecutor::new();
/// let handle: JoinHandle<()> = ex.spawn(async { panic!("boom") });
/// let err = ex.block_on(handle, &mut Spin).unwrap_err();
/// assert!(err.is_panic());
/// assert_eq!(err.to_string(), format!("task {} panicked with message \"boom\"", err.id()));
/// let payload = err.into_panic();
/// assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
/// ```
pub struct JoinError {
    id: Id,
    repr: Repr,
}

enum Repr {
    Cancelled,
    // The Mutex only makes the error `Sync` (so it converts into
    // `Box<dyn Error + Send + Sync>`); it is never contended.
    // Boxed: a panic is rare, and this keeps `JoinError` (and the room a
    // task keeps for its output) at two words.
    Panic(Box<Mutex<Box<dyn Any + Send + 'static>>>),
}

impl JoinError {
    pub(crate) fn cancelled(id: Id) -> Self {
        Self {
            id,
            repr: Repr::Cancelled,
        }
    }

    pub(crate) fn panic(id: Id, payload: Box<dyn Any + Send + 'static>) -> Self {
        Self {
            id,
            repr: Repr::Panic(Box::new(Mutex::new(payload))),
        }
    }

    /// A cancelled error made outside the executor, for a task whose
    /// outcome reaches its owner by another way than a [`JoinHandle`](crate::JoinHandle)
    /// (the facade's cross-thread join handle): `id` is the task's, or
    /// `None` for a task that was never spawned (its runtime was gone),
    /// which gets an id of its own, never reused.
    ///
    /// Hidden from the docs: it exists for the facade, which reports the
    /// outcome of a task it polls itself; a user has no task to report on.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = chronia_executor::JoinError::new_cancelled(None);
    /// assert!(e.is_cancelled());
    /// assert_ne!(e.id(), chronia_executor::JoinError::new_cancelled(None).id());
    /// ```
    #[doc(hidden)]
    pub fn new_cancelled(id: Option<Id>) -> Self {
        Self::cancelled(id.unwrap_or_else(Id::next))
    }

    /// A panic error made outside the executor, for the task `id` whose
    /// future panicked with `payload` (caught by the facade, which polls
    /// the future of a cross-thread spawn inside its one task). Hidden
    /// from the docs, as [`JoinError::new_cancelled`].
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_executor::JoinError;
    ///
    /// let id = JoinError::new_cancelled(None).id();
    /// let e = JoinError::new_panic(id, Box::new("boom"));
    /// assert!(e.is_panic());
    /// assert_eq!(e.to_string(), format!("task {id} panicked with message \"boom\""));
    /// ```
    #[doc(hidden)]
    pub fn new_panic(id: Id, payload: Box<dyn Any + Send + 'static>) -> Self {
        Self::panic(id, payload)
    }

    /// The id of the task that gave no output.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_executor::LocalExecutor;
    /// # use chronia_executor::{Park, Unpark};
    /// # use std::{sync::Arc, time::Duration};
    /// # struct Spin;
    /// # impl Unpark for Spin { fn unpark(&self) {} }
    /// # impl Park for Spin {
    /// #     fn park(&mut self, _: Option<Duration>) {}
    /// #     fn unparker(&self) -> Arc<dyn Unpark> { Arc::new(Spin) }
    /// # }
    /// let ex = LocalExecutor::new();
    /// let handle = ex.spawn(std::future::pending::<()>());
    /// let id = handle.id();
    /// handle.abort();
    /// assert_eq!(ex.block_on(handle, &mut Spin).unwrap_err().id(), id);
    /// ```
    pub fn id(&self) -> Id {
        self.id
    }

    /// Whether the task was cancelled by [`JoinHandle::abort`](crate::JoinHandle::abort)
    /// or by the drop of its executor.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_executor::LocalExecutor;
    /// # use chronia_executor::{Park, Unpark};
    /// # use std::{sync::Arc, time::Duration};
    /// # struct Spin;
    /// # impl Unpark for Spin { fn unpark(&self) {} }
    /// # impl Park for Spin {
    /// #     fn park(&mut self, _: Option<Duration>) {}
    /// #     fn unparker(&self) -> Arc<dyn Unpark> { Arc::new(Spin) }
    /// # }
    /// let ex = LocalExecutor::new();
    /// let handle = ex.spawn(std::future::pending::<()>());
    /// handle.abort();
    /// assert!(ex.block_on(handle, &mut Spin).unwrap_err().is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// Whether the task panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_executor::LocalExecutor;
    /// # use chronia_executor::{Park, Unpark};
    /// # use std::{sync::Arc, time::Duration};
    /// # struct Spin;
    /// # impl Unpark for Spin { fn unpark(&self) {} }
    /// # impl Park for Spin {
    /// #     fn park(&mut self, _: Option<Duration>) {}
    /// #     fn unparker(&self) -> Arc<dyn Unpark> { Arc::new(Spin) }
    /// # }
    /// let ex = LocalExecutor::new();
    /// let handle = ex.spawn(async { panic!("boom") });
    /// assert!(ex.block_on(handle, &mut Spin).unwrap_err().is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic payload of a task that panicked.
    ///
    /// # Panics
    ///
    /// Panics if the task was cancelled rather than panicking; see
    /// [`JoinError::try_into_panic`] for the non-panicking form.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_executor::LocalExecutor;
    /// # use chronia_executor::{Park, Unpark};
    /// # use std::{sync::Arc, time::Duration};
    /// # struct Spin;
    /// # impl Unpark for Spin { fn unpark(&self) {} }
    /// # impl Park for Spin {
    /// #     fn park(&mut self, _: Option<Duration>) {}
    /// #     fn unparker(&self) -> Arc<dyn Unpark> { Arc::new(Spin) }
    /// # }
    /// let ex = LocalExecutor::new();
    /// let handle = ex.spawn(async { std::panic::panic_any(42_u32) });
    /// let payload = ex.block_on(handle, &mut Spin).unwrap_err().into_panic();
    /// assert_eq!(payload.downcast_ref::<u32>(), Some(&42));
    /// ```
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic()
            .expect("`JoinError::into_panic` called on a cancelled task, not a panicked one")
    }

    /// The panic payload if the task panicked, or this error back if it
    /// was cancelled.
    ///
    /// # Errors
    ///
    /// Returns `Err(self)` if the task was cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// use chronia_executor::LocalExecutor;
    /// # use chronia_executor::{Park, Unpark};
    /// # use std::{sync::Arc, time::Duration};
    /// # struct Spin;
    /// # impl Unpark for Spin { fn unpark(&self) {} }
    /// # impl Park for Spin {
    /// #     fn park(&mut self, _: Option<Duration>) {}
    /// #     fn unparker(&self) -> Arc<dyn Unpark> { Arc::new(Spin) }
    /// # }
    /// let ex = LocalExecutor::new();
    /// let handle = ex.spawn(std::future::pending::<()>());
    /// handle.abort();
    /// let err = ex.block_on(handle, &mut Spin).unwrap_err();
    /// assert!(err.try_into_panic().unwrap_err().is_cancelled());
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(payload) => Ok((*payload)
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner)),
            Repr::Cancelled => Err(self),
        }
    }
}

/// The message of a panic payload, when it is a string as `panic!` makes it.
fn panic_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = self.id;
        match &self.repr {
            Repr::Cancelled => write!(f, "task {id} was cancelled"),
            Repr::Panic(payload) => {
                let payload = payload
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match panic_message(&**payload) {
                    Some(message) => write!(f, "task {id} panicked with message {message:?}"),
                    None => write!(f, "task {id} panicked"),
                }
            }
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = self.id;
        match &self.repr {
            Repr::Cancelled => write!(f, "JoinError::Cancelled({id:?})"),
            Repr::Panic(payload) => {
                let payload = payload
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match panic_message(&**payload) {
                    Some(message) => write!(f, "JoinError::Panic({id:?}, {message:?}, ...)"),
                    None => write!(f, "JoinError::Panic({id:?}, ...)"),
                }
            }
        }
    }
}

impl std::error::Error for JoinError {}

#[cfg(test)]
mod tests {
    use super::JoinError;
    use crate::id::Id;

    #[test]
    fn cancelled_error_says_so_with_its_id() {
        let id = Id::next();
        let e = JoinError::cancelled(id);
        assert!(e.is_cancelled() && !e.is_panic());
        assert_eq!(e.id(), id);
        assert_eq!(e.to_string(), format!("task {id} was cancelled"));
        assert_eq!(format!("{e:?}"), format!("JoinError::Cancelled(Id({id}))"));
        assert!(e.try_into_panic().is_err());
    }

    #[test]
    fn panic_error_shows_string_messages_like_tokio() {
        let id = Id::next();
        let e = JoinError::panic(id, Box::new(String::from("oops")));
        assert_eq!(
            e.to_string(),
            format!("task {id} panicked with message \"oops\"")
        );
        assert_eq!(
            format!("{e:?}"),
            format!("JoinError::Panic(Id({id}), \"oops\", ...)")
        );
        let e = JoinError::panic(id, Box::new(7_i32));
        assert_eq!(e.to_string(), format!("task {id} panicked"));
        assert_eq!(format!("{e:?}"), format!("JoinError::Panic(Id({id}), ...)"));
        assert_eq!(*e.into_panic().downcast::<i32>().expect("an i32"), 7);
    }

    #[test]
    fn join_error_is_send_and_sync() {
        fn check<T: Send + Sync + std::error::Error + 'static>() {}
        check::<JoinError>();
    }
}
