//! Fair turns between the connections of one worker.
//!
//! A connection loop does everything that can progress without waiting
//! before it returns to the executor. A peer that keeps its socket full
//! would then never let the loop wait, and every other connection on the
//! worker would wait instead. So each loop charges its work to a [`Turn`]
//! and yields once the turn is spent: the executor runs the other ready
//! tasks and polls this one again after them.
//!
//! Work is measured in bytes read and response body bytes queued, plus a
//! fixed charge per protocol event and per stream polled. Bytes read are
//! what every kind of peer-caused work grows with, including work that
//! yields no event at all: HPACK decoding of header blocks, streams refused
//! or reset inside the protocol crate, ignored frames.

use std::task::{Context, Poll};

/// Work units one turn may spend: about four full reads.
pub(crate) const TURN_BUDGET: usize = 64 * 1024;
/// The charge for one protocol event (a request started, a body chunk
/// handed over, a response queued), in the units of one byte read.
pub(crate) const EVENT_COST: usize = 256;

/// Work done since the connection's task last gave the executor a turn.
#[derive(Debug, Default)]
pub(crate) struct Turn {
    spent: usize,
}

impl Turn {
    /// Records `units` of work.
    pub(crate) fn charge(&mut self, units: usize) {
        self.spent = self.spent.saturating_add(units);
    }

    /// `Pending`, with a wake-up already arranged, once the budget is
    /// spent: the caller returns it so that the executor polls the other
    /// ready tasks first, and (on a per-core worker) the tasks that new
    /// I/O and timers wake. The next turn starts with a full budget.
    pub(crate) fn poll_yield(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.spent < TURN_BUDGET {
            return Poll::Ready(());
        }
        self.spent = 0;
        crate::runtime::yield_turn(cx.waker());
        Poll::Pending
    }

    /// The task is about to wait for something: that is a turn given up.
    pub(crate) fn end(&mut self) {
        self.spent = 0;
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use bytes::BytesMut;
    use futures_lite::{AsyncRead, AsyncWrite};

    use super::*;
    use crate::context::ConnContext;
    use crate::scratch::{READ_BUFFER, WS_READ_BUFFER};
    use crate::{App, ServerConfig};

    /// A peer that never stops sending: `prefix`, then `pattern` over and
    /// over, as fast as it is read. It takes whatever is written to it.
    /// Past a few MiB it fails the read, so a loop that never yields ends
    /// the test instead of hanging it.
    struct Flood {
        prefix: Vec<u8>,
        pattern: Vec<u8>,
        offset: usize,
        served: Arc<AtomicUsize>,
    }

    const FLOOD_LIMIT: usize = 4 * 1024 * 1024;

    impl AsyncRead for Flood {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            let this = &mut *self;
            let mut served = this.served.load(Ordering::Relaxed);
            if served >= FLOOD_LIMIT {
                return Poll::Ready(Err(io::Error::other("the loop never yielded")));
            }
            let mut n = 0;
            while n < buf.len() {
                let source = match this.prefix.get(served..) {
                    Some(rest) if !rest.is_empty() => rest,
                    _ => &this.pattern[this.offset..],
                };
                let take = source.len().min(buf.len() - n);
                buf[n..n + take].copy_from_slice(&source[..take]);
                if served >= this.prefix.len() {
                    this.offset = (this.offset + take) % this.pattern.len();
                }
                n += take;
                served += take;
            }
            this.served.store(served, Ordering::Relaxed);
            Poll::Ready(Ok(n))
        }
    }

    impl AsyncWrite for Flood {
        fn poll_write(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    impl crate::io::Io for Flood {}

    fn context() -> ConnContext {
        let mut app = App::new();
        app.get("/", |_req| async { crate::Response::text("hello") });
        ConnContext::for_tests(app, ServerConfig::default())
    }

    /// Polls a connection's task once against a flooding peer: it must
    /// give the executor its turn back after a bounded number of bytes: the
    /// budget and one read of `read_size`.
    fn assert_yields<F>(
        serve: impl FnOnce(Flood) -> F,
        prefix: &[u8],
        pattern: &[u8],
        read_size: usize,
    ) where
        F: std::future::Future<Output = io::Result<()>>,
    {
        let served = Arc::new(AtomicUsize::new(0));
        let flood = Flood {
            prefix: prefix.to_vec(),
            pattern: pattern.to_vec(),
            offset: 0,
            served: served.clone(),
        };
        let outcome = smol::block_on(futures_lite::future::poll_once(serve(flood)));
        assert!(outcome.is_none(), "the task did not yield: {outcome:?}");
        let read = served.load(Ordering::Relaxed);
        assert!(
            read <= prefix.len() + TURN_BUDGET + read_size,
            "one turn read {read} bytes"
        );
    }

    /// A connection that spends every turn must let the worker look for
    /// I/O and timers between its turns, not only after the executor's
    /// whole batch of polls (up to 200 turns, hundreds of milliseconds of
    /// header decoding for a peer that keeps its socket full).
    #[test]
    fn a_busy_connection_lets_timers_through_between_turns() {
        use std::cell::Cell;
        use std::rc::Rc;
        use std::time::Duration;

        let executor = smol::LocalExecutor::new();
        let stop = Rc::new(Cell::new(false));
        let late = crate::runtime::block_on(
            executor.run(async {
                let busy = executor.spawn({
                    let stop = stop.clone();
                    async move {
                        let mut turn = Turn::default();
                        while !stop.get() {
                            // A spent turn: a millisecond of work.
                            let start = crate::clock::precise_now();
                            while crate::clock::precise_now() - start < Duration::from_millis(1) {}
                            turn.charge(TURN_BUDGET);
                            std::future::poll_fn(|cx| turn.poll_yield(cx)).await;
                        }
                    }
                });
                let start = crate::clock::precise_now();
                crate::runtime::Timer::after(Duration::from_millis(1)).await;
                let late = crate::clock::precise_now() - start;
                stop.set(true);
                busy.await;
                late
            }),
            None,
        )
        .expect("the runtime starts");
        assert!(
            late < Duration::from_millis(50),
            "a 1 ms timer fired after {late:?}"
        );
    }

    #[test]
    fn http1_pipelining_peer_gets_bounded_turns() {
        let request = b"GET / HTTP/1.1\r\nhost: a\r\n\r\n";
        assert_yields(
            |flood| crate::h1::serve(flood, BytesMut::new(), context()),
            b"",
            request,
            READ_BUFFER,
        );
    }

    #[test]
    fn websocket_flooding_peer_gets_bounded_turns() {
        let mut app = App::new();
        // Reads everything and answers nothing: the flood is all input.
        app.ws_accept("/ws", |socket, _req| async move {
            while socket.recv().await.is_some() {}
        });
        let mut config = ServerConfig::default();
        config.ws.compression = false;
        let context = ConnContext::for_tests(app, config);
        let upgrade = b"GET /ws HTTP/1.1\r\nhost: a\r\nupgrade: websocket\r\n\
            connection: upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
            sec-websocket-version: 13\r\n\r\n";
        // A masked 16-byte text message (RFC 6455 §5.2), over and over: the upgrade's
        // turn and the session's are one turn of one task.
        let mut frame = vec![0x81, 0x80 | 16, 1, 2, 3, 4];
        frame.extend((0..16u8).map(|i| b'a' ^ [1, 2, 3, 4][usize::from(i % 4)]));
        assert_yields(
            |flood| crate::h1::serve(flood, BytesMut::new(), context),
            upgrade,
            &frame,
            WS_READ_BUFFER,
        );
    }

    #[test]
    fn http2_flooding_peer_gets_bounded_turns() {
        let mut prefix = http2_proto::PREFACE.to_vec();
        // An empty SETTINGS frame (RFC 9113 §6.5).
        prefix.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
        // Frames of an unknown type are ignored (RFC 9113 §5.5): they cost
        // the server the reading and nothing else, and produce no event.
        let mut frame = vec![0x00, 0x40, 0x00, 0xfa, 0, 0, 0, 0, 0];
        frame.resize(9 + 0x4000, 0);
        assert_yields(
            |flood| crate::h2::serve(flood, BytesMut::new(), context()),
            &prefix,
            &frame,
            READ_BUFFER,
        );
    }
}
