"""Weakness 4: --header-timeout and --body-timeout apply to HTTP/2 as to HTTP/1.1.

- body-timeout bounds the pause between DATA frames of a request stream: the stream
  is reset, or answered 408 if no response has started;
- header-timeout bounds a header block from its first frame to END_HEADERS, and the
  frames inside it do not restart it (RFC 9113 §6.10: nothing else may come between).

Short timeouts keep the tests fast; the keep-alive timeout is long and keep-alive
PINGs are off, so only the timeout under test can end what it ends.
"""
import time

import pytest

from h2raw import (CONTINUATION, Conn, DATA, HEADERS, frame, literal_plain, request_block)

pytestmark = pytest.mark.weakness4

TIMEOUT = 2.0
SLACK = 1.5
ARGS = ("--header-timeout", TIMEOUT, "--body-timeout", TIMEOUT,
        "--keep-alive-timeout", 60, "--h2-ping-interval", 0)


def test_weakness4_stalled_h2_uploads_end_at_the_body_timeout(server):
    """2 connections x 50 streams POST /echo send 100 octets each, then stall. Every
    stream must end (a reset, a final response, or the connection's end) within
    body-timeout + 1.5 s of its last DATA frame."""
    s = server(*ARGS)
    conns = [Conn(s.addr) for _ in range(2)]
    streams = [1 + 2 * i for i in range(50)]
    block = request_block(method=b"POST", path=b"/echo")
    for conn in conns:
        burst = b"".join(frame(HEADERS, 0x4, st, block) + frame(DATA, 0, st, b"d" * 100) for st in streams)
        assert conn.send(burst)
    stalled_at = time.monotonic()

    def ended(conn, st):
        return st in conn.resets or st in conn.ended or conn.closed_at is not None or conn.goaway is not None

    for conn in conns:
        conn.wait(lambda: all(ended(conn, st) for st in streams), TIMEOUT + SLACK + 1)
    late = []
    for conn in conns:
        for st in streams:
            times = [t for t in (conn.resets.get(st, (None, None))[1], conn.ended.get(st), conn.closed_at,
                                 conn.goaway and conn.goaway[2]) if t is not None]
            end = min(times) - stalled_at if times else None
            if end is None or end > TIMEOUT + SLACK:
                late.append(end)
            else:
                assert end >= TIMEOUT - 0.25, f"a stream ended {end:.2f} s after stalling, before the timeout"
    assert not late, (f"{len(late)} of {2 * len(streams)} stalled uploads still open "
                      f"{TIMEOUT + SLACK + 1:.1f} s after stalling (--body-timeout {TIMEOUT})")
    for conn in conns:
        conn.close()


def test_weakness4_dripped_header_block_ends_at_the_header_timeout(server):
    """20 connections each start a header block (HEADERS without END_HEADERS) and add
    a CONTINUATION every 0.7 s. Each connection must be ended (GOAWAY or close)
    within header-timeout + 1.5 s of the HEADERS frame."""
    s = server(*ARGS)
    conns = [Conn(s.addr) for _ in range(20)]
    for conn in conns:
        assert conn.wait(lambda: conn.settings_acked, 5)
    started = time.monotonic()
    for conn in conns:
        conn.send(frame(HEADERS, 0, 1, request_block()))
    deadline = started + TIMEOUT + SLACK + 1
    n = 0
    while time.monotonic() < deadline:
        time.sleep(0.7)
        n += 1
        for conn in conns:
            if conn.closed_at is None and conn.goaway is None:
                conn.send(frame(CONTINUATION, 0, 1, literal_plain(b"x-drip-%d" % n, b"v")))
    ends, how = [], []
    for conn in conns:
        times = [t for t in (conn.closed_at, conn.goaway and conn.goaway[2]) if t is not None]
        ends.append(min(times) - started if times else None)
        how.append(f"goaway {conn.goaway[1]:#x}" if conn.goaway else "closed" if conn.closed_at else "open")
    late = [e for e in ends if e is None or e > TIMEOUT + SLACK]
    assert not late, (f"{len(late)} of {len(conns)} connections dripping a header block still open "
                      f"{deadline - started:.1f} s after it began (--header-timeout {TIMEOUT}); ends: {ends}")
    assert all(e >= TIMEOUT - 0.25 for e in ends), f"ended before the timeout: {list(zip(ends, how))}"
    for conn in conns:
        conn.close()
