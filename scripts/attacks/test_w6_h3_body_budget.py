"""Weakness 6: the per-connection budget for buffered request bodies holds over HTTP/3
as it does over HTTP/2 (--max-connection-body, RFC 9000 §4.1 flow control).

One QUIC connection opens STREAMS requests to POST /echo, each declaring a body of
--max-body and queueing UPLOAD bytes of it, while the client grants the server almost no
credit of its own (a 1 KiB stream window, 64 KiB for the connection): the echo can never
be sent, so nothing the server took is ever released. Without a connection-level bound,
every stream could fill its own window on both sides of the handler, about STREAMS times
what one stream may hold. With it:

    RSS growth <= 4 x max_connection_body + PER_H3_CONNECTION

(as for HTTP/2, a body chunk handed out without a copy may keep at most four times its
own length of receive buffer alive).
"""
import asyncio
import re
import signal
import ssl

import pytest

from conftest import KiB, MiB, check_memory

from aioquic.asyncio import connect
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.quic.configuration import QuicConfiguration

pytestmark = pytest.mark.weakness6

MAX_BODY = 4 * MiB
MAX_CONNECTION_BODY = 4 * MiB
STREAMS = 120
UPLOAD = 768 * KiB
STALL = 3.0

# What one QUIC connection holds besides request bodies: quinn-proto's connection
# (packet spaces, crypto, the sent-packet record, the stream table of STREAMS streams),
# HTTP/3 and QPACK state, and each stream's response head and pending echo chunk.
PER_H3_CONNECTION = 2 * MiB


class Uploader(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.h3 = H3Connection(self._quic)

    def quic_event_received(self, event):
        self.h3.handle_event(event)

    def start_uploads(self):
        chunk = b"z" * (64 * KiB)
        for _ in range(STREAMS):
            sid = self._quic.get_next_available_stream_id()
            self.h3.send_headers(sid, [
                (b":method", b"POST"),
                (b":scheme", b"https"),
                (b":authority", b"localhost"),
                (b":path", b"/echo"),
                (b"content-length", b"%d" % MAX_BODY),
            ])
            for _ in range(UPLOAD // len(chunk)):
                self.h3.send_data(sid, chunk, end_stream=False)
        self.transmit()

    def unsent(self):
        """Bytes the client has queued and the server's windows have not let out."""
        return sum(r.stop - r.start
                   for s in self._quic._streams.values()
                   for r in s.sender._pending)


async def upload(host, port):
    config = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN)
    config.verify_mode = ssl.CERT_NONE
    config.max_stream_data = 1 * KiB
    config.max_data = 64 * KiB
    async with connect(host, port, configuration=config, create_protocol=Uploader) as client:
        client.start_uploads()
        # Until the server's windows stop opening: the client's queue stops shrinking.
        last, still = None, 0.0
        while still < STALL:
            await asyncio.sleep(0.25)
            client.transmit()
            left = client.unsent()
            still = still + 0.25 if left == last else 0.0
            last = left
        return STREAMS * UPLOAD - last, client


def test_weakness6_h3_uploads_that_are_never_answered(server):
    s = server("--max-body", MAX_BODY, "--max-connection-body", MAX_CONNECTION_BODY, tls=True)
    h3 = re.search(r"h3=Some\(([0-9.]+):([0-9]+)\)", s.log_path.read_text())
    assert h3, "the server has no HTTP/3 listener"
    before = s.settled_rss()

    async def run():
        sent, client = await upload(h3.group(1), int(h3.group(2)))
        after = s.settled_rss()
        client.close()
        return sent, after

    sent, after = asyncio.run(run())
    bound = 4 * MAX_CONNECTION_BODY + PER_H3_CONNECTION
    check_memory("unanswered HTTP/3 uploads", before, after, bound,
                 f"{sent / MiB:.1f} MiB taken by the server over {STREAMS} streams")


# -- The QPACK encoder stream is read while request bodies fill the budget -------------
#
# A client that keeps the budget full must still get its next request answered when that
# request's head refers to dynamic-table entries (RFC 9204 §2.1.2): the server has to read
# the encoder stream whatever the budget holds, or the head waits forever for inserts
# that sit unread in QUIC. The client here writes HTTP/3 and QPACK by hand, so it controls
# exactly what goes on the encoder stream.

INSERTS = 64
INSERT_VALUE = 1000  # bytes: the encoder stream carries about INSERTS KiB


def varint(v):
    """A QUIC variable-length integer (RFC 9000 §16)."""
    for prefix, size in ((0x00, 1), (0x40, 2), (0x80, 4)):
        if v < 1 << (8 * size - 2):
            return (v | prefix << (8 * size - 8)).to_bytes(size, "big")
    return (v | 0xC0 << 56).to_bytes(8, "big")


def prefixed(v, bits, flags=0):
    """An integer with an N-bit prefix (RFC 7541 §5.1, as QPACK uses it)."""
    top = (1 << bits) - 1
    if v < top:
        return bytes([flags | v])
    out, v = bytearray([flags | top]), v - top
    while v >= 0x80:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    return bytes(out + bytes([v]))


def frame(kind, payload):
    return varint(kind) + varint(len(payload)) + payload


def literal(static_name_index, value):
    """Literal field line with a static name reference (RFC 9204 §4.5.4)."""
    return prefixed(static_name_index, 4, 0x50) + prefixed(len(value), 7) + value


def head(fields, required_insert_count=0, max_entries=1):
    """A header block: its prefix (RFC 9204 §4.5.1) with Base = Required Insert Count."""
    encoded = required_insert_count % (2 * max_entries) + 1 if required_insert_count else 0
    return frame(0x01, prefixed(encoded, 8) + b"\x00" + b"".join(fields))


class RawH3(QuicConnectionProtocol):
    """HTTP/3 without aioquic's H3 layer: no QPACK encoder of its own to interfere."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.received = {}
        self.server_settings = asyncio.get_event_loop().create_future()

    def quic_event_received(self, event):
        from aioquic.quic.events import StreamDataReceived
        if not isinstance(event, StreamDataReceived):
            return
        data = self.received.setdefault(event.stream_id, bytearray())
        data += event.data
        if event.stream_id % 4 == 3 and data[:1] == b"\x00" and not self.server_settings.done():
            settings = parse_settings(bytes(data[1:]))
            if settings is not None:
                self.server_settings.set_result(settings)

    def uni(self, kind):
        sid = self._quic.get_next_available_stream_id(is_unidirectional=True)
        self._quic.send_stream_data(sid, varint(kind))
        return sid


def read_varint(data, at):
    size = 1 << (data[at] >> 6)
    return int.from_bytes(data[at:at + size], "big") & ((1 << (8 * size - 2)) - 1), at + size


def parse_settings(data):
    """The server's SETTINGS (RFC 9114 §7.2.4), once the whole frame has arrived."""
    try:
        kind, at = read_varint(data, 0)
        length, at = read_varint(data, at)
    except IndexError:
        return None
    if kind != 0x04 or len(data) < at + length:
        return None
    settings, end = {}, at + length
    while at < end:
        key, at = read_varint(data, at)
        settings[key], at = read_varint(data, at)
    return settings


def test_weakness6_qpack_encoder_stream_is_read_while_bodies_fill_the_budget(server):
    # The budget is the larger of the two limits: 1 MiB, which two uploads of 768 KiB fill.
    s = server("--max-body", 1 * MiB, "--max-connection-body", 1 * MiB, tls=True)
    h3 = re.search(r"h3=Some\(([0-9.]+):([0-9]+)\)", s.log_path.read_text())
    assert h3, "the server has no HTTP/3 listener"

    async def run():
        config = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN)
        config.verify_mode = ssl.CERT_NONE
        config.max_stream_data = 1 * KiB  # the echoes cannot leave: bodies stay held
        async with connect(h3.group(1), int(h3.group(2)), configuration=config,
                           create_protocol=RawH3) as client:
            quic = client._quic
            quic.send_stream_data(client.uni(0x00), frame(0x04, b""))
            encoder = client.uni(0x02)
            client.uni(0x03)
            settings = await asyncio.wait_for(client.server_settings, 5)
            capacity = settings.get(0x01, 0)
            assert capacity >= 2 * (INSERT_VALUE + 64), f"server's QPACK table: {settings}"

            # Request bodies that fill the budget: two uploads of 768 KiB of a declared
            # 1 MiB, which their handlers hold while the rest never comes.
            chunk = frame(0x00, b"z" * (64 * KiB))
            for _ in range(2):
                sid = quic.get_next_available_stream_id()
                quic.send_stream_data(sid, head([
                    b"\xd4",                   # :method POST (static 20)
                    b"\xd7",                   # :scheme https (static 23)
                    literal(0, b"localhost"),  # :authority
                    literal(1, b"/echo"),      # :path
                    literal(4, b"%d" % MiB),   # content-length
                ]))
                for _ in range(12):
                    quic.send_stream_data(sid, chunk)
            client.transmit()
            await asyncio.sleep(1.5)

            # Fill the encoder stream in one burst, then ask for / with the last insert.
            # The server is paused meanwhile, so the burst waits in its socket and
            # arrives as one read, as it would at a busy server.
            s.process.send_signal(signal.SIGSTOP)
            inserts = prefixed(capacity, 5, 0x20)  # Set Dynamic Table Capacity
            for i in range(INSERTS):
                value = (b"%04d" % i) * (INSERT_VALUE // 4)
                inserts += prefixed(6, 5, 0x40) + b"x-fill" + prefixed(len(value), 7) + value
            quic.send_stream_data(encoder, inserts)
            get = quic.get_next_available_stream_id()
            quic.send_stream_data(get, head([
                b"\xd1",                   # :method GET (static 17)
                b"\xd7",
                literal(0, b"localhost"),
                b"\xc1",                   # :path / (static 1)
                b"\x80",                   # x-fill: the newest dynamic entry
            ], required_insert_count=INSERTS, max_entries=capacity // 32), end_stream=True)
            client.transmit()
            await asyncio.sleep(0.5)
            s.process.send_signal(signal.SIGCONT)
            deadline = asyncio.get_event_loop().time() + 5
            while asyncio.get_event_loop().time() < deadline:
                if client.received.get(get, b"")[:1] == b"\x01":
                    return True
                await asyncio.sleep(0.05)
                client.transmit()
            return False

    answered = asyncio.run(run())
    assert answered, ("a request whose head needs QPACK inserts was not answered within 5 s "
                      "while other requests' bodies filled the budget")
