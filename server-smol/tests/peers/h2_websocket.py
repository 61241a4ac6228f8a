"""WebSocket over HTTP/2 (RFC 8441) against server-smol's /ws echo, from independent
implementations: python-hyper's h2 speaks HTTP/2 and wsproto speaks WebSocket.

Over h2c (prior knowledge) and over TLS (ALPN h2), on one HTTP/2 connection each:
the server must advertise SETTINGS_ENABLE_CONNECT_PROTOCOL = 1; two extended CONNECT
streams open WebSockets while ordinary GETs are answered beside them; text, binary
and messages larger than a flow-control window are echoed on both sockets; each
closes with the closing handshake (1000 both ways) and END_STREAM both ways; and an
extended CONNECT to a path without a WebSocket route is refused with an HTTP status.

Usage: h2_websocket.py PLAIN_ADDR TLS_ADDR   (host:port each)
"""
import socket
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.settings
from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Message, Ping, TextMessage

TIMEOUT = 20.0


class Failure(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failure(what)


class Client:
    """One HTTP/2 connection, with a wsproto connection per WebSocket stream."""

    def __init__(self, addr, tls):
        host, port = addr.rsplit(":", 1)
        raw = socket.create_connection((host, int(port)), timeout=TIMEOUT)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["h2"])
            raw = ctx.wrap_socket(raw, server_hostname="localhost")
            check(raw.selected_alpn_protocol() == "h2", "ALPN did not select h2")
        self.sock = raw
        self.scheme = "https" if tls else "http"
        self.authority = addr
        self.h2 = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        )
        self.h2.initiate_connection()
        self.flush()
        self.settings_seen = False
        # stream id -> state
        self.responses = {}  # status and body of ordinary requests, and of refusals
        self.ended = set()  # streams the server ended (END_STREAM)
        self.ws = {}  # stream id -> wsproto Connection
        self.received = {}  # stream id -> list of wsproto events

    def flush(self):
        data = self.h2.data_to_send()
        if data:
            self.sock.sendall(data)

    def pump(self, until, what):
        """Reads and handles events until `until()` holds."""
        deadline = time.monotonic() + TIMEOUT
        while not until():
            if time.monotonic() > deadline:
                raise Failure(f"timed out waiting for {what}")
            data = self.sock.recv(65536)
            if not data:
                raise Failure(f"connection closed while waiting for {what}")
            for event in self.h2.receive_data(data):
                self.on_event(event)
            self.flush()

    def on_event(self, event):
        if isinstance(event, h2.events.RemoteSettingsChanged):
            self.settings_seen = True
        elif isinstance(event, h2.events.ResponseReceived):
            headers = dict(event.headers)
            self.responses[event.stream_id] = [int(headers[":status"]), b"", headers]
        elif isinstance(event, h2.events.DataReceived):
            # The flow-control credit goes back as the bytes are consumed, here at once.
            self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            ws = self.ws.get(event.stream_id)
            if ws is not None and self.responses[event.stream_id][0] == 200:
                if not event.data:
                    return  # an empty DATA frame carrying END_STREAM
                check(ws.state != ConnectionState.CLOSED, f"bytes after the Close on stream {event.stream_id}")
                ws.receive_data(event.data)
                for ws_event in ws.events():
                    self.received[event.stream_id].append(ws_event)
                    if isinstance(ws_event, Ping):
                        self.send_ws(event.stream_id, ws_event.response())
            else:
                self.responses[event.stream_id][1] += event.data
        elif isinstance(event, h2.events.StreamEnded):
            self.ended.add(event.stream_id)
            ws = self.ws.get(event.stream_id)
            if ws is not None and self.responses[event.stream_id][0] == 200:
                if ws.state != ConnectionState.CLOSED:
                    ws.receive_data(None)
                    self.received[event.stream_id].extend(ws.events())
        elif isinstance(event, h2.events.StreamReset):
            raise Failure(f"stream {event.stream_id} reset by the server: {event.error_code!r}")
        elif isinstance(event, h2.events.ConnectionTerminated):
            raise Failure(f"GOAWAY from the server: {event.error_code!r} {event.additional_data!r}")

    def get(self, path):
        stream = self.h2.get_next_available_stream_id()
        self.h2.send_headers(
            stream,
            [
                (":method", "GET"),
                (":scheme", self.scheme),
                (":path", path),
                (":authority", self.authority),
            ],
            end_stream=True,
        )
        self.flush()
        return stream

    def open_ws(self, path):
        """Sends an extended CONNECT (RFC 8441 §4-5) for a WebSocket on `path`."""
        stream = self.h2.get_next_available_stream_id()
        self.h2.send_headers(
            stream,
            [
                (":method", "CONNECT"),
                (":protocol", "websocket"),
                (":scheme", self.scheme),
                (":path", path),
                (":authority", self.authority),
                ("sec-websocket-version", "13"),
            ],
        )
        self.flush()
        self.ws[stream] = Connection(ConnectionType.CLIENT)
        self.received[stream] = []
        return stream

    def send_ws(self, stream, event):
        """Sends a WebSocket frame as DATA, waiting for window where needed."""
        data = self.ws[stream].send(event)
        while data:
            window = min(
                self.h2.local_flow_control_window(stream), self.h2.max_outbound_frame_size
            )
            if window <= 0:
                self.pump(
                    lambda: self.h2.local_flow_control_window(stream) > 0,
                    f"send window on stream {stream}",
                )
                continue
            self.h2.send_data(stream, data[:window])
            data = data[window:]
            self.flush()

    def messages(self, stream):
        return [e for e in self.received[stream] if isinstance(e, (TextMessage, BytesMessage))]


def whole(messages):
    """Joins fragments (wsproto may report a message in parts) into whole messages."""
    out, current = [], None
    for m in messages:
        current = m.data if current is None else current + m.data
        if m.message_finished:
            out.append(current)
            current = None
    return out


def exercise(addr, tls):
    label = "h2 over TLS" if tls else "h2c"
    c = Client(addr, tls)
    c.pump(lambda: c.settings_seen, "the server's SETTINGS")
    value = c.h2.remote_settings.enable_connect_protocol
    check(value == 1, f"SETTINGS_ENABLE_CONNECT_PROTOCOL is {value}, not 1")

    # Two WebSockets and ordinary requests, interleaved on the one connection.
    first = c.open_ws("/ws")
    before = c.get("/")
    second = c.open_ws("/ws")
    c.pump(
        lambda: all(s in c.responses for s in (first, second)) and before in c.ended,
        "the 200s and the first GET",
    )
    for s in (first, second):
        status, _, headers = c.responses[s]
        check(status == 200, f"extended CONNECT on stream {s} answered {status}")
        check("content-length" not in headers, "a 200 to CONNECT carries no content-length")
    check(c.responses[before][0] == 200, f"GET / answered {c.responses[before][0]}")
    check(c.responses[before][1] == b"Hello, World!", f"GET / body {c.responses[before][1]!r}")

    big = bytes(i * 7 % 256 for i in range(200_000))  # three windows and more
    plan = {
        first: [("text", "hello over HTTP/2"), ("bytes", bytes(range(256))), ("bytes", big)],
        second: [("text", "ünïcödé ✓"), ("text", "x" * 70_000), ("bytes", b"\x00\xff")],
    }
    for i in range(3):
        for s, items in plan.items():
            kind, payload = items[i]
            c.send_ws(s, Message(data=payload))
        during = c.get("/users/42")
        c.pump(lambda: during in c.ended, "a GET between messages")
        check(c.responses[during][0] == 200, "GET between WebSocket messages")
    for s, items in plan.items():
        expected = [payload for _, payload in items]
        c.pump(lambda: len(whole(c.messages(s))) >= len(expected), f"echoes on stream {s}")
        got = whole(c.messages(s))
        for (kind, payload), echoed in zip(items, got):
            check(type(echoed) is type(payload), f"{kind} came back as {type(echoed).__name__}")
            check(echoed == payload, f"stream {s}: echo of a {len(payload)}-long {kind} differs")

    # The closing handshake on each socket, then END_STREAM both ways.
    for s in (first, second):
        c.send_ws(s, CloseConnection(code=1000, reason="done"))
    for s in (first, second):
        c.pump(
            lambda: any(isinstance(e, CloseConnection) for e in c.received[s]),
            f"the server's Close on stream {s}",
        )
        close = next(e for e in c.received[s] if isinstance(e, CloseConnection))
        check(close.code == 1000, f"the server closed with {close.code}")
        c.h2.end_stream(s)
        c.flush()
    c.pump(lambda: first in c.ended and second in c.ended, "END_STREAM from the server")

    # An extended CONNECT to a path with no WebSocket route gets an HTTP answer.
    refused = c.open_ws("/")
    c.pump(lambda: refused in c.responses, "the refusal")
    status = c.responses[refused][0]
    check(400 <= status < 500, f"extended CONNECT to / answered {status}, not a 4xx")

    after = c.get("/")
    c.pump(lambda: after in c.ended, "a GET after the WebSockets")
    check(c.responses[after][1] == b"Hello, World!", "GET / after the WebSockets")
    c.h2.close_connection()
    c.flush()
    c.sock.close()
    print(f"h2 + wsproto over {label} via {addr}: ok")


def main():
    plain, tls = sys.argv[1], sys.argv[2]
    try:
        exercise(plain, tls=False)
        exercise(tls, tls=True)
    except Failure as failure:
        print(f"h2_websocket: FAIL: {failure}")
        sys.exit(1)


if __name__ == "__main__":
    main()
