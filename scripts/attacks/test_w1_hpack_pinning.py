"""Weakness 1: HPACK table entries must own their bytes (RFC 7541 §4.1 counts 4,096
octets of table; nothing else may stay alive because of an entry).

A decoder that keeps a literal as a slice of the header block, and a table that keeps
that slice, pins the whole block for as long as the entry lives: one small indexed
field per 120 KiB block pinned about 15 MB per connection.
"""
import pytest

from conftest import PER_H2_CONNECTION, MiB, check_memory
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

    def load(c):
        conn = Conn(s.addr, reader=False)
        burst = bytearray()
        for i in range(120):
            block = request_block() + literal_indexed(b"x-i", b"%d.%d" % (c, i)) + padding
            burst += header_frames(1 + 2 * i, block)
        assert conn.send(bytes(burst)), "the server closed the connection"
        drain_until_ping_ack(conn)
        return conn

    hold_connections(s, "padded blocks", load, "table entries pin their blocks")


def test_weakness1_valid_15k_requests_pin_nothing(server):
    """50 connections; each makes 200 valid requests whose ~15 KB of headers fit one
    HEADERS frame and index one small field. Every request is answered 200.
    Bound: 50 x PER_H2_CONNECTION."""
    s = server()
    padding = b"".join(literal_plain(b"x-pad-%d" % i, b"q" * 4900) for i in range(3))
    assert len(padding) + 100 < 16384, "one HEADERS frame"

    def load(c):
        conn = Conn(s.addr)
        for batch in range(4):
            streams = [1 + 2 * (batch * 50 + i) for i in range(50)]
            burst = b"".join(
                frame(HEADERS, END_HEADERS | END_STREAM, stream,
                      request_block() + literal_indexed(b"x-i", b"%d.%d" % (c, stream)) + padding)
                for stream in streams)
            assert conn.send(burst)
            assert conn.wait(lambda: all(st in conn.ended for st in streams), 30), \
                "requests were not answered"
            assert all(conn.status(st) == 200 for st in streams), \
                [conn.status(st) for st in streams][:5]
        return conn

    hold_connections(s, "15 KB requests", load, "after valid requests")


def hold_connections(s, label, load, why):
    """Loads CONNECTIONS connections with `load(index)`, keeps them all open, and
    bounds the RSS they add by CONNECTIONS x PER_H2_CONNECTION."""
    before = s.settled_rss()
    conns = [load(c) for c in range(CONNECTIONS)]
    after = s.settled_rss()
    for conn in conns:
        conn.close()
    check_memory(label, before, after, CONNECTIONS * PER_H2_CONNECTION,
                 f"{(after - before) / CONNECTIONS / MiB:.1f} MiB per connection: {why}")


def drain_until_ping_ack(conn):
    """Reads (without a reader thread) until the server acknowledges a PING sent
    after everything else: it has decoded every block before it."""
    assert conn.send(frame(SETTINGS, ACK, 0) + ping(b"synced!!"))
    for kind, flags, _stream, payload in conn.read_frames():
        if kind == PING and flags & ACK and payload == b"synced!!":
            return
    raise AssertionError("the server closed the connection before the PING ACK")
