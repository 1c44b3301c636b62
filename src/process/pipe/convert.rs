//! Handing a child's pipe on: to another child as its [`Stdio`]
//! (`child_a | child_b`), or out as an [`OwnedFd`].
//!
//! The pipe is deregistered from the runtime and put back in blocking
//! mode first: `O_NONBLOCK` lives in the open file description, which the
//! next owner shares, and a child whose stdin says `EAGAIN` would take it
//! for an error.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::process::Stdio;

use super::{ChildReader, ChildStdin, Stream};
use crate::sys::fd::set_blocking;

fn into_blocking(fd: OwnedFd) -> io::Result<OwnedFd> {
    set_blocking(fd.as_fd())?;
    Ok(fd)
}

macro_rules! convert {
    ($ty:ident $(<$s:ident: $bound:ident>)?, $example:literal) => {
        impl$(<$s: $bound>)? $ty$(<$s>)? {
            /// Deregisters the pipe from the runtime and gives its fd, in
            /// blocking mode (as tokio's `into_owned_fd`).
            ///
            /// # Errors
            ///
            /// The kernel's error from `ioctl(FIONBIO)`; the fd is closed
            /// then.
            ///
            /// # Examples
            ///
            #[doc = $example]
            pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
                into_blocking(OwnedFd::from(self.inner.into_inner()))
            }
        }

        impl$(<$s: $bound>)? TryFrom<$ty$(<$s>)?> for Stdio {
            type Error = io::Error;

            /// Makes the pipe a standard stream of another child (as
            /// tokio's `TryInto<Stdio>`), in blocking mode.
            fn try_from(pipe: $ty$(<$s>)?) -> io::Result<Stdio> {
                pipe.into_owned_fd().map(Stdio::from)
            }
        }
    };
}

convert!(
    ChildStdin,
    "```
use chronia::process::{Command, Stdio};
chronia::block_on(async {
    let mut child = Command::new(\"cat\").stdin(Stdio::piped()).spawn()?;
    let fd = child.stdin.take().expect(\"piped\").into_owned_fd()?;
    drop(fd); // cat reads end of file
    assert!(child.wait().await?.success());
    Ok::<(), std::io::Error>(())
})?;
# Ok::<(), std::io::Error>(())
```"
);

convert!(
    ChildReader<S: Stream>,
    "```
use chronia::process::{Command, Stdio};
chronia::block_on(async {
    // echo hi | tr a-z A-Z
    let mut echo = Command::new(\"echo\").arg(\"hi\").stdout(Stdio::piped()).spawn()?;
    let pipe: Stdio = echo.stdout.take().expect(\"piped\").try_into()?;
    let out = Command::new(\"tr\").args([\"a-z\", \"A-Z\"]).stdin(pipe).output().await?;
    assert_eq!(out.stdout, b\"HI\\n\");
    echo.wait().await?;
    Ok::<(), std::io::Error>(())
})?;
# Ok::<(), std::io::Error>(())
```"
);
