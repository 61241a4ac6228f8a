"""An HTTP/3 client from an independent implementation: aioquic's HTTP/3 layer on its
QUIC connection, one request per stream.

The one client of both test suites: server-smol's peer check
(server-smol/tests/peers/h3_client.py) and the Python package's HTTP/3 tests
(py-binding/tests/test_h3.py), each with the QUIC configuration it trusts the server by.
"""

import asyncio

from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.h3.connection import H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.events import ConnectionTerminated, StreamReset


class Response:
    """What came back on one request stream."""

    def __init__(self):
        #: The final response head's fields (after any 1xx heads), by name.
        self.headers = {}
        self.body = bytearray()
        #: The size of each DATA payload as it arrived.
        self.pieces = []
        #: The trailer section's fields, if one came.
        self.trailers = None
        self.done = asyncio.get_running_loop().create_future()
        #: Set whenever something arrives on the stream.
        self.arrived = asyncio.Event()

    @property
    def status(self):
        return int(self.headers[b":status"])

    def header(self, name):
        return self.headers.get(name)


class H3Client(QuicConnectionProtocol):
    """aioquic's HTTP/3 layer on its QUIC connection: one request per stream, its
    `Response` in `responses` by stream id."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.h3 = H3Connection(self._quic)
        self.responses = {}
        self.authority = b"localhost"

    def quic_event_received(self, event):
        if isinstance(event, StreamReset) and event.stream_id in self.responses:
            r = self.responses[event.stream_id]
            if not r.done.done():
                r.done.set_exception(ConnectionError(f"stream reset {event.error_code:#x}"))
        if isinstance(event, ConnectionTerminated):
            for r in self.responses.values():
                if not r.done.done():
                    reason = f"{event.error_code:#x} {event.reason_phrase!r}"
                    r.done.set_exception(ConnectionError(f"connection closed {reason}"))
        for e in self.h3.handle_event(event):
            r = self.responses.get(getattr(e, "stream_id", None))
            if r is None:
                continue
            if isinstance(e, HeadersReceived):
                # A head after the final one is the trailer section (RFC 9114 §4.1).
                if not r.headers or r.status < 200:
                    r.headers = dict(e.headers)
                else:
                    r.trailers = e.headers
            elif isinstance(e, DataReceived) and e.data:
                r.body += e.data
                r.pieces.append(len(e.data))
            r.arrived.set()
            if e.stream_ended and not r.done.done():
                r.done.set_result(r)

    def open(self, fields, end_stream):
        """Sends a request head on a new stream: its id and `Response`."""
        sid = self._quic.get_next_available_stream_id()
        r = self.responses[sid] = Response()
        self.h3.send_headers(sid, fields, end_stream=end_stream)
        return sid, r

    async def request(self, method, path, body=b"", headers=(), trailers=None, timeout=30):
        """Sends a request and waits for the whole response."""
        fields = [(b":method", method), (b":scheme", b"https"), (b":authority", self.authority), (b":path", path)]
        sid, r = self.open([*fields, *headers], end_stream=not body and trailers is None)
        if body:
            # In pieces, so the body spans many DATA frames and QUIC packets.
            step = 64 * 1024
            for at in range(0, len(body), step):
                last = at + step >= len(body) and trailers is None
                self.h3.send_data(sid, body[at : at + step], end_stream=last)
        if trailers is not None:
            self.h3.send_headers(sid, trailers, end_stream=True)
        self.transmit()
        return await asyncio.wait_for(r.done, timeout)
