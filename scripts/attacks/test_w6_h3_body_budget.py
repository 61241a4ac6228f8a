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
