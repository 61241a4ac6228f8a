"""Weakness 1: HPACK table entries must own their bytes (RFC 7541 §4.1 counts 4,096
octets of table; nothing else may stay alive because of an entry).

A decoder that keeps a literal as a slice of the header block, and a table that keeps
that slice, pins the whole block for as long as the entry lives: one small indexed
field per 120 KiB block pinned about 15 MB per connection.
"""
import pytest

from conftest import PER_H2_CONNECTION, MiB, report_memory
from h2raw import (ACK, Conn, END_HEADERS, END_STREAM, HEADERS, PING, SETTINGS, frame,
                   header_frames, literal_indexed, literal_plain, ping, request_block)

pytestmark = pytest.mark.weakness1

CONNECTIONS = 50


def test_weakness1_padded_blocks_pin_nothing(server):
    """50 connections; each sends 120 header blocks of about 120 KiB (under the
    128 KiB block limit, refused for their size) that each index one small field.
    Bound: 50 x PER_H2_CONNECTION (the per-connection worst case, conftest.py)."""
    s = server()
    # About 120 KiB of fields that are never indexed: the padding rides along.
    padding = b"".join(literal_plain(b"x-pad-%d" % i, b"p" * 4000) for i in range(30))
    before = s.settled_rss()
    conns = []
    for c in range(CONNECTIONS):
        conn = Conn(s.addr, reader=False)
        burst = bytearray()
        for i in range(120):
            block = request_block() + literal_indexed(b"x-i", b"%d.%d" % (c, i)) + padding
            burst += header_frames(1 + 2 * i, block)
        assert conn.send(bytes(burst)), "the server closed the connection"
        conns.append(conn)
    for conn in conns:
        drain_until_ping_ack(conn)
    after = s.settled_rss()
    bound = CONNECTIONS * PER_H2_CONNECTION
    report_memory("padded blocks", before, after, bound)
    assert after - before <= bound, (
        f"{CONNECTIONS} connections hold {(after - before) / MiB:.0f} MiB "
        f"({(after - before) / CONNECTIONS / MiB:.1f} MiB each): table entries pin their blocks")
    for conn in conns:
        conn.close()


def test_weakness1_valid_15k_requests_pin_nothing(server):
    """50 connections; each makes 200 valid requests whose ~15 KB of headers fit one
    HEADERS frame and index one small field. Every request is answered 200.
    Bound: 50 x PER_H2_CONNECTION."""
    s = server()
    padding = b"".join(literal_plain(b"x-pad-%d" % i, b"q" * 4900) for i in range(3))
    before = s.settled_rss()
    conns = []
    for c in range(CONNECTIONS):
        conn = Conn(s.addr)
        for batch in range(4):
            streams = [1 + 2 * (batch * 50 + i) for i in range(50)]
            burst = b"".join(
                frame(HEADERS, END_HEADERS | END_STREAM, stream,
                      request_block() + literal_indexed(b"x-i", b"%d.%d" % (c, stream)) + padding)
                for stream in streams)
            assert len(padding) + 100 < 16384
            assert conn.send(burst)
            assert conn.wait(lambda: all(st in conn.ended for st in streams), 30), \
                "requests were not answered"
            assert all(conn.status(st) == 200 for st in streams), \
                [conn.status(st) for st in streams][:5]
        conns.append(conn)
    after = s.settled_rss()
    bound = CONNECTIONS * PER_H2_CONNECTION
    report_memory("15 KB requests", before, after, bound)
    assert after - before <= bound, (
        f"{CONNECTIONS} connections hold {(after - before) / MiB:.0f} MiB "
        f"({(after - before) / CONNECTIONS / MiB:.1f} MiB each) after valid requests")
    for conn in conns:
        conn.close()


def drain_until_ping_ack(conn):
    """Reads (without a reader thread) until the server acknowledges a PING sent
    after everything else: it has decoded every block before it."""
    assert conn.send(frame(SETTINGS, ACK, 0) + ping(b"synced!!"))
    for kind, flags, _stream, payload in conn.read_frames():
        if kind == PING and flags & ACK and payload == b"synced!!":
            return
    raise AssertionError("the server closed the connection before the PING ACK")
