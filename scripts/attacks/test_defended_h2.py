"""HTTP/2 attacks the server withstands today; these must stay green.

Each runs one attacking connection beside the probe and bounds the server's peak
RSS growth by ONE_CONNECTION (conftest.py) unless it says otherwise.
"""
import socket
import time

import pytest

from conftest import ONE_CONNECTION, PER_H2_CONNECTION, MiB, RssSampler, check_memory, send_until_blocked
from h2raw import (CONTINUATION, Conn, DATA, END_HEADERS, END_STREAM, HEADERS, PREFACE, PROTOCOL_ERROR,
                   REFUSED_STREAM, SETTINGS, SETTINGS_INITIAL_WINDOW_SIZE, frame, header_frames, indexed,
                   literal_indexed, literal_plain, ping, request_block, rst_stream, settings_frame)

pytestmark = pytest.mark.defended

ATTACK_SECONDS = 3


def repeat(seconds, one_round):
    """Runs attack rounds, each on a fresh connection, until `seconds` have passed:
    a server that ends an attacker's connection quickly is attacked again at once.
    Returns the number of rounds."""
    rounds = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        one_round(deadline)
        rounds += 1
    return rounds


def flood(s, probe, label, one_round):
    """Attack rounds for ATTACK_SECONDS beside the probe; then the memory bound and
    the probe's latency."""
    before = s.settled_rss()
    with probe(s) as p, RssSampler(s) as rss:
        rounds = repeat(ATTACK_SECONDS, one_round)
    print(f"{label}: {rounds} connections")
    check_memory(label, before, rss.peak, ONE_CONNECTION)
    p.check(ATTACK_SECONDS)


def expect_goaway(conn):
    assert conn.wait(lambda: conn.goaway is not None, 10), "no GOAWAY"
    assert conn.goaway[1] != 0, "GOAWAY without an error code"
    conn.close()


def test_defended_rapid_reset(server, probe):
    """CVE-2023-44487: 5,000 streams opened and reset at once on each connection; the
    server answers each connection with a GOAWAY carrying an error code."""
    s = server()

    def one_round(_deadline):
        conn = Conn(s.addr)
        burst = bytearray()
        for i in range(5000):
            stream = 1 + 2 * i
            burst += header_frames(stream, request_block()) + rst_stream(stream, 0x8)
            if len(burst) > 64 * 1024:
                if not conn.send(bytes(burst)):
                    break
                burst.clear()
        conn.send(bytes(burst))
        expect_goaway(conn)

    flood(s, probe, "rapid reset", one_round)


def test_defended_continuation_flood(server, probe):
    """CVE-2024-28182: a header block that never ends; the server ends each such
    connection with an error long before 20,000 CONTINUATION frames."""
    s = server()
    filler = frame(CONTINUATION, 0, 1, literal_plain(b"x-flood", b"a" * 1000))

    def one_round(_deadline):
        conn = Conn(s.addr)
        assert conn.wait(lambda: conn.settings_acked, 5)
        conn.send(frame(HEADERS, 0, 1, request_block()))
        for _ in range(200):
            if conn.goaway or not conn.send(filler * 100):
                break
        expect_goaway(conn)

    flood(s, probe, "CONTINUATION flood", one_round)


def test_defended_hpack_bomb(server):
    """CVE-2016-6581: a 16 KiB block of references to a 4,000-octet entry decodes to
    64 MB. The stream is refused, the connection lives and serves the next request."""
    s = server()
    conn = Conn(s.addr)
    before = s.settled_rss()
    with RssSampler(s) as rss:
        conn.send(header_frames(1, request_block() + literal_indexed(b"x-big", b"b" * 4000)))
        conn.send(frame(HEADERS, END_HEADERS | END_STREAM, 3, request_block() + indexed(62) * 16000))
        conn.send(header_frames(5, request_block()))
        assert conn.wait(lambda: 5 in conn.ended, 10), "the next request was not answered"
    assert conn.resets.get(3, (None,))[0] == REFUSED_STREAM, f"stream 3: {conn.resets.get(3)}"
    assert conn.status(5) == 200 and conn.goaway is None
    check_memory("HPACK bomb", before, rss.peak, ONE_CONNECTION)
    conn.close()


@pytest.mark.parametrize("kind", ["settings", "ping"])
def test_defended_ack_flood_with_reading(server, probe, kind):
    """CVE-2019-9515 / CVE-2019-9512: 100,000 SETTINGS or PING frames per connection from
    a client that reads every acknowledgement. The server may answer them all or end
    the connection (ENHANCE_YOUR_CALM); either way memory stays bounded and the probe
    fast."""
    s = server()
    one = frame(SETTINGS, 0, 0) if kind == "settings" else ping(b"flood!!!")

    def one_round(deadline):
        conn = Conn(s.addr)
        for _ in range(100):
            if time.monotonic() > deadline or not conn.send(one * 1000):
                break
        conn.wait(lambda: conn.goaway is not None, 0.2)
        conn.close()

    flood(s, probe, f"{kind} flood, reading", one_round)


@pytest.mark.parametrize("kind", ["settings", "ping"])
def test_defended_ack_flood_without_reading(server, probe, kind):
    """The same flood from a client that never reads: the acknowledgements back up, and
    the server must stop taking frames or end the connection (max_pending_acks), not
    queue acknowledgements without end."""
    s = server()
    one = frame(SETTINGS, 0, 0) if kind == "settings" else ping(b"flood!!!")
    taken = []

    def one_round(deadline):
        sock = socket.create_connection((s.host, s.port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(PREFACE + settings_frame())
        taken.append(send_until_blocked(sock, one * 4096, deadline - time.monotonic()))
        sock.close()

    flood(s, probe, f"{kind} flood, not reading", one_round)
    closed = sum(1 for _, c in taken if c)
    print(f"{kind} flood without reading: {closed} of {len(taken)} connections closed by the server, "
          f"{sum(n for n, _ in taken) / MiB:.1f} MiB written")


def test_defended_zero_window(server, probe):
    """A client that grants no window (SETTINGS_INITIAL_WINDOW_SIZE 0) uploads 100
    complete 16 KiB bodies to /echo: no echo can be sent. The server holds what it
    accepted: growth <= PER_H2_CONNECTION + 2 x 100 x 16 KiB + 4 MiB."""
    s = server()
    conn = Conn(s.addr, settings_pairs=[(SETTINGS_INITIAL_WINDOW_SIZE, 0)], grant=False)
    assert conn.wait(lambda: conn.settings_acked, 5)
    before = s.settled_rss()
    block = request_block(method=b"POST", path=b"/echo")
    with probe(s) as p, RssSampler(s) as rss:
        for i in range(100):
            st = 1 + 2 * i
            conn.send(frame(HEADERS, END_HEADERS, st, block) + frame(DATA, END_STREAM, st, b"w" * 16384))
            # The connection window (65,535) is the server's; wait for it to grant more.
            conn.take_window(st, 16384)
            conn.wait(lambda: conn.conn_window >= 16384, 5)
        assert conn.sync(), "no PING ACK"
        assert conn.wait(lambda: len(conn.responses) == 100, 5), f"{len(conn.responses)} responses started"
        time.sleep(1)
    bound = PER_H2_CONNECTION + 2 * 100 * 16384 + 4 * MiB
    check_memory("zero window", before, rss.peak, bound)
    p.check(2)
    conn.close()


def test_defended_stream_exhaustion(server, probe):
    """RFC 9113 §5.1.2: 128 streams held open (the server's
    SETTINGS_MAX_CONCURRENT_STREAMS), then 64 more. The extra streams are refused
    (REFUSED_STREAM or PROTOCOL_ERROR) and the held ones stay open."""
    s = server()
    conn = Conn(s.addr)
    assert conn.wait(lambda: conn.settings_acked, 5)
    before = s.settled_rss()
    block = request_block(method=b"POST", path=b"/echo")
    with probe(s) as p, RssSampler(s) as rss:
        conn.send(b"".join(frame(HEADERS, END_HEADERS, 1 + 2 * i, block) for i in range(128)))
        assert conn.sync()
        extra = [1 + 2 * i for i in range(128, 192)]
        conn.send(b"".join(frame(HEADERS, END_HEADERS, st, block) for st in extra))
        conn.wait(lambda: conn.goaway is not None or all(st in conn.resets for st in extra), 5)
        time.sleep(1)
    refused = [conn.resets[st][0] for st in extra if st in conn.resets]
    assert conn.goaway is not None and conn.goaway[1] != 0 or (
        len(refused) == len(extra) and set(refused) <= {REFUSED_STREAM, PROTOCOL_ERROR}), \
        f"extra streams: {len(refused)} reset ({set(refused)}), goaway {conn.goaway}"
    assert not any(1 + 2 * i in conn.resets for i in range(128)), "a held stream was reset"
    check_memory("stream exhaustion", before, rss.peak, ONE_CONNECTION)
    p.check(1)
    conn.close()
