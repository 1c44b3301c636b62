//! Task dumps: spawn locations, names, states, and what each task waits on.

#![allow(unsafe_code)]

use std::time::{Duration, Instant};

use chronia::Runtime;
use chronia::net::{TcpListener, TcpStream};
use chronia::process::Command;
use chronia::runtime::{TaskState, Wait};
use chronia::signal::{SIGUSR1, signal};
use chronia::time::sleep;

#[test]
fn a_dump_shows_where_each_task_waits() {
    let rt = Runtime::new().expect("runtime");
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let client = TcpStream::connect(addr).await.expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        let server_fd = std::os::fd::AsRawFd::as_raw_fd(&server);

        let reader_line = line!() + 1;
        let reader = chronia::spawn(async move {
            let mut buf = [0; 8];
            server.read(&mut buf).await
        });
        let due = Instant::now() + Duration::from_secs(60);
        let sleeper = chronia::task::Builder::new()
            .name("sleeper")
            .spawn(chronia::time::sleep_until(due));
        let mut usr1 = signal(SIGUSR1).expect("listen");
        let listener_task = chronia::spawn(async move { usr1.recv().await });
        let mut child = Command::new("sleep")
            .arg("60")
            .spawn()
            .expect("spawn sleep");
        let pid = child.id().expect("running");
        let waiter = chronia::spawn(async move {
            let _ = child.wait().await;
        });
        // Every task polls once and parks.
        sleep(Duration::from_millis(5)).await;

        let dump = chronia::runtime::dump();
        let find = |id| {
            dump.tasks
                .iter()
                .find(|t| t.id == id)
                .unwrap_or_else(|| panic!("task {id} is in the dump: {dump}"))
        };
        let r = find(reader.id());
        assert_eq!(r.location.file(), file!());
        assert_eq!(r.location.line(), reader_line);
        assert_eq!((r.state, r.polls), (TaskState::Idle, 1));
        assert_eq!(r.wait, Some(Wait::Read { fd: server_fd }));

        let s = find(sleeper.id());
        assert_eq!(s.name.as_deref(), Some("sleeper"));
        match s.wait {
            Some(Wait::Timer {
                due: noted,
                later: false,
            }) => {
                assert!(noted >= due, "rounded up, never early");
                assert!(
                    noted - due < Duration::from_millis(2),
                    "{noted:?} vs {due:?}"
                );
            }
            other => panic!("a timer wait, not {other:?}"),
        }
        assert_eq!(
            find(listener_task.id()).wait,
            Some(Wait::Signal { signo: SIGUSR1 })
        );
        assert_eq!(find(waiter.id()).wait, Some(Wait::Child { pid }));
        assert!(s.age >= Duration::ZERO);

        assert_eq!(
            dump.peer(r),
            Some(client.local_addr().expect("client addr"))
        );
        let table = dump.to_string();
        let peer = client.local_addr().expect("client addr");
        assert!(
            table.contains(&format!("fd {server_fd} read (peer {peer})")),
            "{table}"
        );
        assert!(table.contains("sleeper"), "{table}");
        assert!(table.contains(&format!("child pid {pid}")), "{table}");
        assert!(
            table.contains(&format!("{}:{reader_line}", file!())),
            "{table}"
        );

        // A wake clears the note as the task is polled again.
        drop(client);
        assert!(reader.await.is_ok());
        // SAFETY: kill(2) on our own child; it is reaped by `waiter`.
        unsafe { libc::kill(pid.cast_signed(), libc::SIGKILL) };
        waiter.await.expect("no panic");
        sleeper.abort();
        listener_task.abort();
    });
}

#[test]
fn the_dump_of_a_runtime_from_outside_shows_scheduled_and_idle_tasks() {
    let rt = Runtime::new().expect("runtime");
    let idle = rt.spawn(std::future::pending::<()>());
    let dump = rt.tasks();
    assert_eq!(dump.tasks.len(), 1);
    assert_eq!(dump.tasks[0].state, TaskState::Scheduled);
    assert_eq!(dump.tasks[0].polls, 0);
    rt.block_on(chronia::task::yield_now());
    let dump = rt.tasks();
    assert_eq!(
        (dump.tasks[0].id, dump.tasks[0].state),
        (idle.id(), TaskState::Idle)
    );
    assert_eq!(
        dump.tasks[0].wait, None,
        "pending() is nothing the runtime owns"
    );
}
