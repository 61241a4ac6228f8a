"""WebSocket over HTTP/3 (RFC 9220) against server-smol's /ws echo, from independent
implementations: aioquic speaks QUIC and HTTP/3 (its H3 API sends the extended
CONNECT), wsproto speaks WebSocket over the request stream.

On one QUIC connection: the server must advertise SETTINGS_ENABLE_CONNECT_PROTOCOL = 1;
two extended CONNECT streams open WebSockets (200) while ordinary GETs are answered
beside them; text, binary and a 1 MiB message (larger than a QUIC stream window) are
echoed on both; each closes with the closing handshake (1000 both ways) and the stream
ends both ways (our FIN, or the server's STOP_SENDING with H3_NO_ERROR once it is
done with the socket); an extended CONNECT to a route without a WebSocket (400), one to a
protocol other than websocket (501), and a plain GET of the WebSocket route (400) are
answered with an HTTP status. Then, a socket left idle longer than the server's body
timeout (--body-timeout, given as IDLE seconds) still echoes.

With --shutdown instead of IDLE: a socket stays open until the server shuts down
gracefully, and must be closed with 1001.

Usage: h3_websocket.py ADDR [IDLE | --shutdown]   (host:port)
"""
import asyncio
import ssl
import sys

from aioquic.asyncio import connect
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.h3.connection import H3_ALPN, H3Connection, Setting
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import ConnectionTerminated, StopSendingReceived, StreamReset
from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Message, TextMessage

TIMEOUT = 20.0
H3_NO_ERROR = 0x100


class Stream:
    """One request stream: its response head, body, and (once accepted) a wsproto
    connection fed with the stream's DATA."""

    def __init__(self):
        self.headers = None
        self.body = bytearray()
        self.ended = False
        self.ws = None
        self.received = []
        self.changed = asyncio.Event()

    @property
    def status(self):
        return int(dict(self.headers)[b":status"])


class Client(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.h3 = H3Connection(self._quic)
        self.streams = {}
        self.stopped = {}
        self.authority = b"localhost"

    def quic_event_received(self, event):
        if isinstance(event, StopSendingReceived):
            self.stopped[event.stream_id] = event.error_code
        if isinstance(event, (ConnectionTerminated, StreamReset)):
            for sid, s in self.streams.items():
                if isinstance(event, ConnectionTerminated) or sid == event.stream_id:
                    s.ended = True
                    s.received.append(event)
                    s.changed.set()
        for e in self.h3.handle_event(event):
            s = self.streams.get(getattr(e, "stream_id", None))
            if s is None:
                continue
            if isinstance(e, HeadersReceived) and s.headers is None:
                s.headers = e.headers
                if s.ws is not None and s.status != 200:
                    s.ws = None
            elif isinstance(e, DataReceived) and e.data:
                if s.ws is not None:
                    s.ws.receive_data(e.data)
                    s.received.extend(s.ws.events())
                else:
                    s.body += e.data
            if e.stream_ended:
                s.ended = True
                # After the closing handshake wsproto takes no more input, not even
                # the end of it.
                if s.ws is not None and s.ws.state is not ConnectionState.CLOSED:
                    s.ws.receive_data(None)
                    s.received.extend(s.ws.events())
            s.changed.set()

    async def wait(self, s, until, what):
        async def loop():
            while not until():
                s.changed.clear()
                await s.changed.wait()

        try:
            await asyncio.wait_for(loop(), TIMEOUT)
        except asyncio.TimeoutError:
            raise AssertionError(f"timed out waiting for {what}") from None

    def open(self, fields, end_stream=False):
        sid = self._quic.get_next_available_stream_id()
        s = self.streams[sid] = Stream()
        self.h3.send_headers(sid, fields, end_stream=end_stream)
        self.transmit()
        return sid, s

    async def get(self, path):
        fields = [(b":method", b"GET"), (b":scheme", b"https"), (b":authority", self.authority), (b":path", path)]
        _, s = self.open(fields, end_stream=True)
        await self.wait(s, lambda: s.ended, f"GET {path}")
        return s

    async def connect_ws(self, path, protocol=b"websocket"):
        fields = [
            (b":method", b"CONNECT"),
            (b":protocol", protocol),
            (b":scheme", b"https"),
            (b":authority", self.authority),
            (b":path", path),
            (b"sec-websocket-version", b"13"),
        ]
        sid, s = self.open(fields)
        s.ws = Connection(ConnectionType.CLIENT)
        await self.wait(s, lambda: s.headers is not None or s.ended, f"the answer to CONNECT {path}")
        return sid, s

    def send_ws(self, sid, event):
        s = self.streams[sid]
        self.h3.send_data(sid, s.ws.send(event), end_stream=False)
        self.transmit()

    async def echo(self, sid, event):
        s = self.streams[sid]
        assert not s.ended, f"the stream ended before the message: {s.received[-1:]}"
        before = len(whole(s.received))
        self.send_ws(sid, event)
        await self.wait(s, lambda: len(whole(s.received)) > before, "an echo")
        got = whole(s.received)[before]
        assert type(got) is type(event) and got.data == event.data, (type(got), len(got.data))


def whole(events):
    """The complete messages among `events` (wsproto may hand a message in pieces)."""
    messages, parts = [], []
    for e in events:
        if isinstance(e, Message):
            parts.append(e)
            if e.message_finished:
                data = (b"" if isinstance(e, BytesMessage) else "").join(p.data for p in parts)
                messages.append(type(e)(data=data))
                parts = []
    return messages


async def exercise(host, port, idle):
    config = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN)
    config.verify_mode = ssl.CERT_NONE
    async with connect(host, port, configuration=config, create_protocol=Client) as c:
        # The server's SETTINGS arrive on its control stream early; a GET makes sure.
        r = await c.get(b"/")
        assert r.status == 200 and bytes(r.body) == b"Hello, World!", (r.headers, r.body)
        settings = c.h3.received_settings or {}
        assert settings.get(Setting.ENABLE_CONNECT_PROTOCOL) == 1, settings
        print("h3 websocket: SETTINGS_ENABLE_CONNECT_PROTOCOL = 1")

        first, s1 = await c.connect_ws(b"/ws")
        second, s2 = await c.connect_ws(b"/ws")
        for s in (s1, s2):
            assert s.status == 200, s.headers
        r = await c.get(b"/users/7")
        assert r.status == 200 and b'"id":7' in bytes(r.body).replace(b" ", b""), r.body
        for sid in (first, second):
            await c.echo(sid, TextMessage(data="hello over QUIC ✓"))
            await c.echo(sid, BytesMessage(data=bytes(range(256)) * 4))
        await c.echo(first, BytesMessage(data=b"\x5a" * (1 << 20)))
        print("h3 websocket: text, binary and 1 MiB echoed on two streams beside a GET: ok")

        for sid, s in ((first, s1), (second, s2)):
            c.send_ws(sid, CloseConnection(code=1000, reason="done"))
            await c.wait(s, lambda: s.ended, "the server's end of the stream")
            close = [e for e in s.received if isinstance(e, CloseConnection)]
            assert close and close[0].code == 1000, s.received
            assert s.ws.state is ConnectionState.CLOSED, s.ws.state
            # The server, done with the socket, may stop our direction (STOP_SENDING
            # with H3_NO_ERROR, RFC 9114 §4.1) rather than wait for our FIN.
            stopped = c.stopped.get(sid)
            if stopped is None:
                # aioquic forgets a stream's HTTP/3 state once its peer ended it, so
                # our end goes straight to QUIC: a FIN with no more DATA.
                c._quic.send_stream_data(sid, b"", end_stream=True)
                c.transmit()
            else:
                assert stopped == H3_NO_ERROR, hex(stopped)
        print("h3 websocket: closing handshake 1000 both ways, stream ended: ok")

        _, s = await c.connect_ws(b"/users/1")
        assert s.status == 400, s.headers
        _, s = await c.connect_ws(b"/ws", protocol=b"webtransport")
        assert s.status == 501, s.headers
        r = await c.get(b"/ws")
        assert r.status == 400, r.headers
        print("h3 websocket: refusals (400 no WebSocket route, 501 other protocol, 400 plain GET): ok")

        if idle:
            sid, s = await c.connect_ws(b"/ws")
            assert s.status == 200, s.headers
            await asyncio.sleep(idle)
            await c.echo(sid, TextMessage(data="still here"))
            print(f"h3 websocket: idle {idle} s, longer than the body timeout, then an echo: ok")


async def shutdown(host, port):
    """Opens a WebSocket, says so on stdout, and waits for the server to go away: its
    Close must be 1001 (going away, RFC 6455 §7.4.1) and the stream must end."""
    config = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN)
    config.verify_mode = ssl.CERT_NONE
    async with connect(host, port, configuration=config, create_protocol=Client) as c:
        sid, s = await c.connect_ws(b"/ws")
        assert s.status == 200, s.headers
        await c.echo(sid, TextMessage(data="before the shutdown"))
        print("h3 websocket: open, waiting for the shutdown", flush=True)
        await c.wait(s, lambda: any(isinstance(e, CloseConnection) for e in s.received), "the server's Close")
        close = next(e for e in s.received if isinstance(e, CloseConnection))
        assert close.code == 1001, close
        c.send_ws(sid, close.response())
        await c.wait(s, lambda: s.ended, "the end of the stream")
    print("h3 websocket: the shutdown closed it with 1001: ok")


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    if sys.argv[2:] == ["--shutdown"]:
        asyncio.run(shutdown(host, int(port)))
        return
    idle = float(sys.argv[2]) if len(sys.argv) > 2 else 0
    asyncio.run(exercise(host, int(port), idle))


if __name__ == "__main__":
    main()
