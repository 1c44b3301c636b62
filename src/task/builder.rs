//! [`Builder`]: spawns a task with options (a name).

use std::future::Future;

use chronia_executor::JoinHandle;

/// Spawns a task with a name, which task dumps
/// ([`chronia::runtime::dump`](crate::runtime::dump())) and slow-poll reports show.
///
/// As tokio's `task::Builder`, except that [`spawn`](Builder::spawn)
/// returns the [`JoinHandle`] itself rather than an `io::Result` of it:
/// spawning on a chronia runtime cannot fail.
///
/// # Examples
///
/// ```
/// chronia::block_on(async {
///     let task = chronia::task::Builder::new()
///         .name("accept loop")
///         .spawn(std::future::pending::<()>());
///     let dump = chronia::runtime::dump();
///     assert_eq!(dump.tasks[0].name.as_deref(), Some("accept loop"));
///     task.abort();
/// });
/// ```
#[derive(Clone, Debug, Default)]
pub struct Builder<'a> {
    name: Option<&'a str>,
}

impl<'a> Builder<'a> {
    /// A builder with no name set.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = chronia::task::Builder::new();
    /// ```
    pub fn new() -> Builder<'a> {
        Builder { name: None }
    }

    /// The name of the task to spawn.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = chronia::task::Builder::new().name("worker");
    /// ```
    #[must_use]
    pub fn name(self, name: &'a str) -> Builder<'a> {
        Builder { name: Some(name) }
    }

    /// Spawns `future` on the current runtime, as [`spawn`](crate::spawn),
    /// with this builder's name; the spawn location is the caller's.
    ///
    /// # Panics
    ///
    /// Outside a runtime, with a message that says so.
    ///
    /// # Examples
    ///
    /// ```
    /// chronia::block_on(async {
    ///     let task = chronia::task::Builder::new().name("two").spawn(async { 2 });
    ///     assert_eq!(task.await.expect("no panic"), 2);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        match self.name {
            None => crate::spawn(future),
            Some(name) => {
                crate::runtime::assert_inside("chronia::task::Builder::spawn");
                chronia_executor::spawn_named(name, future)
            }
        }
    }
}
