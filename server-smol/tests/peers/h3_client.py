"""server-smol as seen by aioquic's HTTP/3 client: GET, a large POST, trailers both ways,
many concurrent streams, and (with --goaway-load) requests kept in flight while the
server shuts down gracefully."""
import argparse
import asyncio
import hashlib
import ssl

from aioquic.asyncio import connect
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import ConnectionTerminated, StreamReset


class Response:
    def __init__(self):
        self.headers = None
        self.body = bytearray()
        self.trailers = None
        self.done = asyncio.get_running_loop().create_future()

    @property
    def status(self):
        return int(dict(self.headers)[b":status"])

    def header(self, name):
        return dict(self.headers).get(name)


class Client(QuicConnectionProtocol):
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
                    r.done.set_exception(ConnectionError(f"connection closed {event.error_code:#x}"))
        for e in self.h3.handle_event(event):
            r = self.responses.get(getattr(e, "stream_id", None))
            if r is None:
                continue
            if isinstance(e, HeadersReceived):
                if r.headers is None or int(dict(r.headers)[b":status"]) < 200:
                    r.headers = e.headers
                else:
                    r.trailers = e.headers
            elif isinstance(e, DataReceived):
                r.body += e.data
            if e.stream_ended and not r.done.done():
                r.done.set_result(r)

    async def request(self, method, path, body=b"", headers=(), trailers=None, timeout=30):
        sid = self._quic.get_next_available_stream_id()
        fields = [
            (b":method", method),
            (b":scheme", b"https"),
            (b":authority", self.authority),
            (b":path", path),
            *headers,
        ]
        r = Response()
        self.responses[sid] = r
        self.h3.send_headers(sid, fields, end_stream=not body and trailers is None)
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


def configuration():
    config = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN)
    config.verify_mode = ssl.CERT_NONE
    return config


async def checks(host, port):
    async with connect(host, port, configuration=configuration(), create_protocol=Client) as c:
        r = await c.request(b"GET", b"/")
        assert r.status == 200 and bytes(r.body) == b"Hello, World!", (r.headers, r.body)
        r = await c.request(b"GET", b"/users/42")
        assert r.status == 200 and b'"id":42' in bytes(r.body).replace(b" ", b""), r.body
        print("h3 GET: ok")

        payload = bytes(range(256)) * 4096 * 4  # 4 MiB
        r = await c.request(b"POST", b"/echo", body=payload,
                            headers=[(b"content-length", str(len(payload)).encode())])
        assert r.status == 200, r.headers
        assert hashlib.sha256(r.body).digest() == hashlib.sha256(payload).digest(), len(r.body)
        print(f"h3 POST /echo {len(payload)} bytes: ok")

        r = await c.request(b"POST", b"/trailers", body=b"abcdef",
                            trailers=[(b"x-client-trailer", b"yes")])
        assert r.status == 200 and bytes(r.body) == b"abcdef", (r.headers, r.body)
        assert r.trailers and dict(r.trailers).get(b"x-body-length") == b"6", r.trailers
        print("h3 trailers both ways: ok")

        r = await c.request(b"GET", b"/static/hello.txt", headers=[(b"range", b"bytes=0-4")])
        assert r.status == 206 and bytes(r.body) == b"Hello", (r.headers, r.body)
        r = await c.request(b"DELETE", b"/")
        assert r.status == 405 and b"GET" in r.header(b"allow"), r.headers
        print("h3 static file and 405: ok")

        many = await asyncio.gather(*(c.request(b"GET", f"/users/{i}".encode()) for i in range(200)))
        for i, r in enumerate(many):
            assert r.status == 200 and f'"id":{i}'.encode() in bytes(r.body).replace(b" ", b""), r.body
        print(f"h3 {len(many)} concurrent streams: ok")


async def goaway_load(host, port, seconds):
    """Keeps 20 requests in flight until the server goes away; every request must get
    either its whole response or a clean refusal (a reset or the connection's end),
    never a truncated body."""
    done = refused = 0
    async with connect(host, port, configuration=configuration(), create_protocol=Client) as c:
        async def worker():
            nonlocal done, refused
            loop = asyncio.get_running_loop()
            end = loop.time() + seconds
            while loop.time() < end:
                try:
                    r = await c.request(b"GET", b"/", timeout=10)
                except (ConnectionError, asyncio.TimeoutError):
                    refused += 1
                    return
                assert r.status == 200 and bytes(r.body) == b"Hello, World!", (r.headers, r.body)
                done += 1
        await asyncio.gather(*(worker() for _ in range(20)))
    print(f"h3 GOAWAY under load: {done} complete, {refused} refused")
    assert done > 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("addr")
    parser.add_argument("--goaway-load", type=float, metavar="SECONDS")
    args = parser.parse_args()
    host, port = args.addr.rsplit(":", 1)
    if args.goaway_load:
        asyncio.run(goaway_load(host, int(port), args.goaway_load))
    else:
        asyncio.run(checks(host, int(port)))


if __name__ == "__main__":
    main()
