"""A minimal HTTP/3 server on aioquic, the peer of scripts/bench-h3.

    python aioquic_server.py HOST PORT CERT KEY STATIC_DIR

GET / answers "Hello, World!" as text/plain; GET /static/NAME the file NAME of
STATIC_DIR (read once, on first request). Anything else is a 404. Prints
"listening HOST:PORT" once bound. One process, one event loop: one worker.
"""

import asyncio
import os
import sys

from aioquic.asyncio import QuicConnectionProtocol, serve
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import ProtocolNegotiated

HELLO = b"Hello, World!"
FILES = {}


def body_for(static_dir, path):
    if path == b"/":
        return 200, HELLO
    if path.startswith(b"/static/"):
        name = os.path.basename(path[len(b"/static/"):].decode())
        if name not in FILES:
            try:
                with open(os.path.join(static_dir, name), "rb") as f:
                    FILES[name] = f.read()
            except OSError:
                return 404, b"not found"
        return 200, FILES[name]
    return 404, b"not found"


class Http3Server(QuicConnectionProtocol):
    static_dir = "."

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.h3 = None

    def quic_event_received(self, event):
        if isinstance(event, ProtocolNegotiated) and event.alpn_protocol in H3_ALPN:
            self.h3 = H3Connection(self._quic)
        if self.h3 is None:
            return
        for h3_event in self.h3.handle_event(event):
            if isinstance(h3_event, HeadersReceived):
                path = dict(h3_event.headers).get(b":path", b"/")
                status, body = body_for(self.static_dir, path)
                self.h3.send_headers(
                    h3_event.stream_id,
                    [
                        (b":status", str(status).encode()),
                        (b"content-type", b"text/plain"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                )
                self.h3.send_data(h3_event.stream_id, body, end_stream=True)
        self.transmit()


async def main():
    host, port, cert, key, static_dir = sys.argv[1:6]
    Http3Server.static_dir = static_dir
    config = QuicConfiguration(is_client=False, alpn_protocols=H3_ALPN)
    config.load_cert_chain(cert, key)
    server = await serve(host, int(port), configuration=config, create_protocol=Http3Server)
    sock = server._transport.get_extra_info("socket")
    print("listening %s:%d" % sock.getsockname()[:2], flush=True)
    await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
