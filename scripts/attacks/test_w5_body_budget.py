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
body bytes a connection holds cost at most four times what it holds:

    the budget, max_connection_body
  + the oldest upload, which proceeds past a full budget (max_body bounds it), so that
    uploads that together exceed the budget finish one after another instead of each
    waiting for another to end until the body timeout
  + what the other streams may send of the connection-level credit lent to that
    oldest upload: HTTP/2 credit is per connection as well as per stream (RFC 9113
    §5.2), so the peer may spend it on any stream whose own window is still open, at
    most one stream window each.

The second test is the reason for the last two terms: eight 4 MiB uploads on one
connection, twice the budget, all complete.
"""
import shutil
import subprocess
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
# server-smol's initial stream window (http2-proto's default, within the budget).
STREAM_WINDOW = 256 * 1024


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
    held = MAX_CONNECTION_BODY + MAX_BODY + STREAMS * STREAM_WINDOW
    bound = CONNECTIONS * (4 * held + PER_H2_CONNECTION)
    print(f"uploaded {sum(n[0] for n in sent) / MiB:.0f} MiB before the windows closed")
    check_memory("zero-window uploads", before, after, bound,
                 f"{CONNECTIONS} x {STREAMS} uploads, --max-connection-body {MAX_CONNECTION_BODY // MiB} MiB")
    for conn in conns:
        conn.close()


def test_weakness5_uploads_past_the_budget_finish(server, tmp_path):
    """Eight concurrent 4 MiB uploads to /echo on one connection, 32 MiB against a
    budget of 8 MiB: each completes, well inside the body timeout that a stalled
    upload would meet."""
    nghttp = shutil.which("nghttp")
    assert nghttp, "nghttp missing (Debian's nghttp2-client, scripts/apt-packages.txt)"
    s = server("--max-body", MAX_BODY, "--max-connection-body", MAX_CONNECTION_BODY,
               "--body-timeout", "60")
    body = tmp_path / "body"
    body.write_bytes(b"u" * MAX_BODY)
    run = subprocess.run([nghttp, "-n", "-s", "-m", "8", "-d", str(body), f"http://{s.addr}/echo"],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr[-2000:]
    answers = [line.split() for line in run.stdout.splitlines() if line.rstrip().endswith("/echo")]
    assert len(answers) == 8, run.stdout
    assert all(a[-3:-1] == ["200", "4M"] for a in answers), run.stdout
