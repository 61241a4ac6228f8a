"""HTTP/1.1 attacks the server withstands today; these must stay green."""
import socket
import time

import pytest

from conftest import ONE_CONNECTION, PER_H1_CONNECTION, MiB, RssSampler, check_memory, send_until_blocked

pytestmark = pytest.mark.defended

HEADER_TIMEOUT = 2.0
SLACK = 1.5


def test_defended_slowloris(server, probe):
    """200 connections send a request line, then one header byte every 0.5 s. Each is
    closed (after a 408) within --header-timeout + 1.5 s; the probe stays fast.
    Bound: 200 x PER_H1_CONNECTION."""
    s = server("--header-timeout", HEADER_TIMEOUT)
    before = s.settled_rss()
    socks = []
    with probe(s) as p, RssSampler(s) as rss:
        started = time.monotonic()
        for _ in range(200):
            sock = socket.create_connection((s.host, s.port))
            sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            sock.setblocking(False)
            socks.append(sock)
        ended = {}
        while len(ended) < len(socks) and time.monotonic() - started < HEADER_TIMEOUT + SLACK + 1:
            time.sleep(0.5)
            for i, sock in enumerate(socks):
                if i in ended:
                    continue
                try:
                    sock.recv(4096)  # a 408, or the end of the connection
                    ended[i] = time.monotonic() - started
                except BlockingIOError:
                    try:
                        sock.send(b"x")
                    except OSError:
                        ended[i] = time.monotonic() - started
                except OSError:
                    ended[i] = time.monotonic() - started
        elapsed = time.monotonic() - started
    for sock in socks:
        sock.close()
    late = len(socks) - sum(1 for t in ended.values() if t <= HEADER_TIMEOUT + SLACK)
    assert not late, f"{late} of {len(socks)} slow heads outlived --header-timeout {HEADER_TIMEOUT}"
    bound = 200 * PER_H1_CONNECTION
    check_memory("slowloris", before, rss.peak, bound)
    p.check(elapsed)


def test_defended_pipelining_without_reading(server, probe):
    """One connection pipelines GET requests for 3 s and never reads an answer. The
    server stops reading once its answers back up; its memory stays bounded."""
    s = server()
    sock = socket.create_connection((s.host, s.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    before = s.settled_rss()
    with probe(s) as p, RssSampler(s) as rss:
        sent, _closed = send_until_blocked(sock, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n" * 2000, 3)
    print(f"pipelining: {sent / MiB:.1f} MiB of requests written")
    check_memory("pipelining without reading", before, rss.peak, ONE_CONNECTION)
    p.check(3)
    sock.close()
