"""Idle connections cost almost nothing: a connection that waits (an HTTP/1.1
keep-alive connection between requests, an HTTP/2 connection with no open stream)
holds no read or write buffer, only its state.

    RSS growth <= N x 1 KiB (HTTP/1.1), N x 2 KiB (HTTP/2)
"""
import resource
import socket

import pytest

from conftest import KiB, check_memory
from h2raw import ACK, PREFACE, SETTINGS, frame, settings_frame

pytestmark = pytest.mark.idle

# Enough connections that fixed costs (a per-worker buffer pool, the connection
# table's growth) weigh little per connection.
N = 5000


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < N + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, N + 1000), hard))
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= N + 100, "raise the fd limit (ulimit -n)"


def read_until(sock, marker):
    data = b""
    while marker not in data:
        chunk = sock.recv(4096)
        assert chunk, f"closed before {marker!r}"
        data += chunk
    return data


def hold_idle(s, open_one, per_connection, label):
    """Opens N connections with `open_one(sock)` and bounds the RSS they add."""
    raise_fd_limit()
    before = s.settled_rss()
    socks = []
    for _ in range(N):
        sock = socket.create_connection((s.host, s.port), timeout=10)
        open_one(sock)
        socks.append(sock)
    after = s.settled_rss()
    for sock in socks:
        sock.close()
    check_memory(f"{N} idle {label}", before, after, N * per_connection,
                 f"{(after - before) / N / KiB:.1f} KiB per connection, bound {per_connection / KiB:.0f} KiB")


def test_idle_http1_keep_alive_connections(server):
    """N connections each make one request, then wait with the connection open."""
    s = server("--keep-alive-timeout", 120)

    def open_one(sock):
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        read_until(sock, b"Hello, World!")

    hold_idle(s, open_one, 1 * KiB, "HTTP/1.1 keep-alive")


def test_idle_h2c_connections(server):
    """N h2c connections exchange SETTINGS (both acknowledged), open no stream, wait."""
    s = server("--keep-alive-timeout", 120, "--h2-ping-interval", 0)

    def open_one(sock):
        sock.sendall(PREFACE + settings_frame())
        # The server's SETTINGS, then its ACK of ours; ours acknowledges its SETTINGS.
        buf = b""
        seen_settings = seen_ack = False
        while not (seen_settings and seen_ack):
            while len(buf) >= 9 and len(buf) >= 9 + int.from_bytes(buf[:3], "big"):
                length, kind, flags = int.from_bytes(buf[:3], "big"), buf[3], buf[4]
                if kind == SETTINGS:
                    seen_ack |= bool(flags & ACK)
                    seen_settings |= not flags & ACK
                buf = buf[9 + length:]
            if not (seen_settings and seen_ack):
                chunk = sock.recv(4096)
                assert chunk, "closed during the SETTINGS exchange"
                buf += chunk
        sock.sendall(frame(SETTINGS, ACK, 0))

    hold_idle(s, open_one, 2 * KiB, "HTTP/2")
