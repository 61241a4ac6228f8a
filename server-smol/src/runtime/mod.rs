//! The per-core workers' runtime: smol's `LocalExecutor` for tasks, driven
//! by a reactor each worker owns (see [`reactor`] for why not async-io's).
//!
//! Only the per-core layout uses it. Its tasks never leave their thread,
//! so sockets and timers need no locks; wake-ups from other threads (a
//! Python handler, a blocking file read, a shutdown) reach the worker
//! through the reactor's eventfd.

mod io;
mod reactor;
mod timer;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use crate::clock;

pub(crate) use io::{EtListener, EtStream};
pub(crate) use reactor::Reactor;
pub(crate) use timer::Timer;

/// Runs `future` to completion on this thread with a fresh reactor, which
/// is the current one (for [`EtStream`], [`EtListener`] and [`Timer`]) until
/// it returns. `future` is usually a `LocalExecutor::run`: polling it runs
/// every ready task, and it yields after a batch so that I/O is polled
/// between batches. A task that yields with [`yield_turn`] is not ready
/// again until then, so one busy task cannot fill a batch by itself. `round_end` runs after each such poll, before the wait.
pub(crate) fn block_on<T>(
    future: impl Future<Output = T>,
    round_end: Option<&(dyn Fn() + Send + Sync)>,
) -> std::io::Result<T> {
    let reactor = Reactor::new()?;
    let _current = reactor::enter(reactor.clone());
    clock::set_loop_time(true);
    let _clock = ClockGuard;
    let notifier = reactor.notifier().clone();
    let waker = Waker::from(notifier.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        // Consume the wake-up before polling, so one that arrives while the
        // future runs is seen by the wait below.
        notifier.take();
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return Ok(output);
        }
        if let Some(hook) = round_end {
            hook();
        }
        // `wait` checks for a wake-up that arrived during the poll and
        // does not block then.
        reactor.wait()?;
    }
}

/// Puts the thread back on the precise clock when the worker ends.
struct ClockGuard;

impl Drop for ClockGuard {
    fn drop(&mut self) {
        clock::set_loop_time(false);
    }
}

/// Gives up the current task's turn: it is woken again after the worker
/// has looked for I/O and timers, behind the tasks that look wakes. On a
/// thread without this runtime (the shared layout, tests) it is woken at
/// once, which puts it at the back of its executor's queue.
pub(crate) fn yield_turn(waker: &Waker) {
    match reactor::current() {
        Some(reactor) => reactor.wake_after_wait(waker),
        None => waker.wake_by_ref(),
    }
}

/// The reactor of this thread, if it is a per-core worker.
pub(crate) fn current() -> Option<std::rc::Rc<Reactor>> {
    reactor::current()
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::time::{Duration, Instant};

    use futures_lite::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    fn run<T>(future: impl Future<Output = T>) -> std::io::Result<T> {
        block_on(future, None)
    }

    #[test]
    fn the_round_hook_runs_after_each_round_before_waiting() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let rounds = Arc::new(AtomicUsize::new(0));
        let seen = rounds.clone();
        let hook = move || {
            seen.fetch_add(1, Ordering::SeqCst);
        };
        let during = block_on(
            async {
                // Each sleep ends a round: the hook has run before it returns.
                let mut during = Vec::new();
                for _ in 0..3 {
                    let before = rounds.load(Ordering::SeqCst);
                    Timer::after(Duration::from_millis(5)).await;
                    during.push(rounds.load(Ordering::SeqCst) - before);
                }
                during
            },
            Some(&hook),
        )
        .unwrap();
        assert!(during.iter().all(|&n| n >= 1), "{during:?}");
    }

    fn listener() -> TcpListener {
        crate::listener::bind("127.0.0.1:0".parse().unwrap(), false, 64).unwrap()
    }

    #[test]
    fn timers_fire_in_order_and_can_be_moved_or_dropped() {
        run(async {
            let start = clock::now();
            let mut late = Timer::after(Duration::from_secs(3600));
            // A dropped timer must not keep the worker from sleeping or fire.
            drop(Timer::after(Duration::from_millis(1)));
            let short = Timer::after(Duration::from_millis(20));
            let fired = short.await;
            assert!(fired >= start + Duration::from_millis(20));
            late.set_at(clock::now() + Duration::from_millis(10));
            late.await;
            let elapsed = clock::now() - start;
            assert!(elapsed >= Duration::from_millis(30), "{elapsed:?}");
            assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
            let reactor = current().unwrap();
            assert_eq!(
                reactor.timers_pending(),
                0,
                "fired and dropped timers are gone"
            );
        })
        .unwrap();
    }

    #[test]
    fn a_wake_from_another_thread_ends_the_sleep() {
        let (tx, rx) = smol::channel::bounded::<Instant>(1);
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            smol::block_on(tx.send(clock::now())).unwrap();
        });
        let latency = run(async move {
            // No timer and no socket: only the eventfd can wake this worker.
            let sent = rx.recv().await.unwrap();
            clock::now() - sent
        })
        .unwrap();
        sender.join().unwrap();
        assert!(latency < Duration::from_secs(1), "{latency:?}");
    }

    #[test]
    fn streams_move_more_than_the_socket_buffers_both_ways() {
        // 8 MiB is far beyond the loopback socket buffers, so the writer
        // meets EAGAIN and must be woken by an EPOLLOUT edge, and the reader
        // goes through many short reads and read edges.
        const LEN: usize = 8 << 20;
        let listener = listener();
        let addr = listener.local_addr().unwrap();
        let peer = std::thread::spawn(move || {
            let mut stream = TcpStream::connect(addr).unwrap();
            let mut got = vec![0u8; LEN];
            stream.read_exact(&mut got).unwrap();
            // Echo it back, then close.
            stream.write_all(&got).unwrap();
            stream.shutdown(std::net::Shutdown::Write).unwrap();
            got
        });
        let payload: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
        let expected = payload.clone();
        let echoed = run(async move {
            let reactor = current().unwrap();
            let listener = EtListener::new(listener, &reactor).unwrap();
            let (mut stream, _) = listener.accept().await.unwrap();
            stream.write_all(&payload).await.unwrap();
            let mut back = Vec::new();
            stream.read_to_end(&mut back).await.unwrap();
            back
        })
        .unwrap();
        assert_eq!(peer.join().unwrap(), expected);
        assert!(echoed == expected, "echo differs");
    }

    #[test]
    fn a_reader_is_woken_by_data_sent_later_and_sees_the_end() {
        let listener = listener();
        let addr = listener.local_addr().unwrap();
        let peer = std::thread::spawn(move || {
            let mut stream = TcpStream::connect(addr).unwrap();
            for chunk in [&b"first"[..], b"second"] {
                std::thread::sleep(Duration::from_millis(30));
                stream.write_all(chunk).unwrap();
            }
        });
        let got = run(async move {
            let reactor = current().unwrap();
            let listener = EtListener::new(listener, &reactor).unwrap();
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 64];
            loop {
                let n = stream.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            got
        })
        .unwrap();
        peer.join().unwrap();
        assert_eq!(got, b"firstsecond");
    }
}
