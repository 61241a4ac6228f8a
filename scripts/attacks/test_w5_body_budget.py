"""Weakness 5: a per-connection budget for buffered request bodies, across all of a
connection's streams, on top of --max-body (--max-connection-body; the HTTP/2 windows
are sized from it).

Two connections open 64 streams each to POST /echo and upload as fast as the
server's windows allow, under a zero window of their own (SETTINGS_INITIAL_WINDOW_SIZE
0: the echo can never be sent, so nothing the server took is ever released). With
--max-body 4 MiB and --max-connection-body 8 MiB:

    RSS growth <= connections x (4 x max_connection_body + PER_H2_CONNECTION)

A body chunk handed out without a copy may keep alive at most four times its own
length of read buffer (the rule that weakness 3's tests check with filler), so the
body bytes a connection holds cost at most four times the budget.
"""
import threading
import time

import pytest

from conftest import PER_H2_CONNECTION, MiB, check_memory
from h2raw import (Conn, DATA, HEADERS, SETTINGS_INITIAL_WINDOW_SIZE, frame, literal_static_name,
                   request_block)

pytestmark = pytest.mark.weakness5

MAX_BODY = 4 * MiB
MAX_CONNECTION_BODY = 8 * MiB
CONNECTIONS = 2
STREAMS = 64
STALL = 2.0


def upload_until_stalled(conn, sent):
    """Round-robin 16 KiB DATA frames over the streams while the windows allow;
    returns when every upload is complete or no window opened for STALL seconds."""
    streams = [1 + 2 * i for i in range(STREAMS)]
    block = request_block(method=b"POST", path=b"/echo") + literal_static_name(28, b"%d" % MAX_BODY)
    if not conn.send(b"".join(frame(HEADERS, 0x4, st, block) for st in streams)):
        return
    left = {st: MAX_BODY for st in streams}
    chunk = b"z" * 16384
    idle_since = time.monotonic()
    while left and time.monotonic() - idle_since < STALL:
        burst = bytearray()
        for st in list(left):
            n = min(16384, left[st], conn.send_window(st))
            if n <= 0:
                continue
            conn.take_window(st, n)
            burst += frame(DATA, 0x1 if n == left[st] else 0, st, chunk[:n])
            left[st] -= n
            if not left[st]:
                del left[st]
        if burst:
            if not conn.send(bytes(burst)):
                return
            sent[0] += len(burst)
            idle_since = time.monotonic()
        else:
            conn.wait(lambda: any(conn.send_window(st) > 0 for st in left), 0.2)


def test_weakness5_many_uploads_under_a_zero_window(server):
    s = server("--max-body", MAX_BODY, "--max-connection-body", MAX_CONNECTION_BODY)
    conns = [Conn(s.addr, settings_pairs=[(SETTINGS_INITIAL_WINDOW_SIZE, 0)], grant=False)
             for _ in range(CONNECTIONS)]
    for conn in conns:
        assert conn.wait(lambda: conn.settings_acked, 5)
    before = s.settled_rss()
    sent = [[0] for _ in conns]
    threads = [threading.Thread(target=upload_until_stalled, args=(c, n)) for c, n in zip(conns, sent)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    after = s.settled_rss()
    bound = CONNECTIONS * (4 * MAX_CONNECTION_BODY + PER_H2_CONNECTION)
    print(f"uploaded {sum(n[0] for n in sent) / MiB:.0f} MiB before the windows closed")
    check_memory("zero-window uploads", before, after, bound,
                 f"{CONNECTIONS} x {STREAMS} uploads, --max-connection-body {MAX_CONNECTION_BODY // MiB} MiB")
    for conn in conns:
        conn.close()
