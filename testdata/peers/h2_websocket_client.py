"""A WebSocket client over HTTP/2 (RFC 8441) from independent implementations:
python-hyper's `h2` speaks HTTP/2 (h2c with prior knowledge, or TLS with ALPN h2) and
`wsproto` speaks WebSocket on each extended-CONNECT stream.

The one client of both test suites: server-smol's peer check
(server-smol/tests/peers/h2_websocket.py) drives `H2Client` directly, several sockets
and plain GETs on one connection; the Python package's tests use `H2WebSocket`, one
socket with blocking `send`/`recv`/`close`.
"""

import socket
import time

import h2.config
import h2.connection
import h2.events
from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Message, Ping, TextMessage

TIMEOUT = 20.0


class Failure(AssertionError):
    """The server did something a correct one does not (or not in time)."""


def check(condition, what):
    if not condition:
        raise Failure(what)


class H2Client:
    """One HTTP/2 connection, with a wsproto connection per WebSocket stream.

    `context` (an `ssl.SSLContext`) makes it TLS with ALPN h2, else h2c with prior
    knowledge (RFC 9113 §3.3).
    """

    def __init__(self, host, port, context=None, server_hostname=None):
        raw = socket.create_connection((host, int(port)), timeout=TIMEOUT)
        if context is not None:
            context.set_alpn_protocols(["h2"])
            raw = context.wrap_socket(raw, server_hostname=server_hostname or host)
            check(raw.selected_alpn_protocol() == "h2", "ALPN did not select h2")
        self.sock = raw
        self.scheme = "https" if context is not None else "http"
        self.authority = f"{host}:{port}"
        self.h2 = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        )
        self.h2.initiate_connection()
        self.flush()
        self.settings_seen = False
        self.responses = {}  # stream id -> [status, body, headers]; the body of non-WebSocket answers
        self.ended = set()  # streams the server ended (END_STREAM)
        self.ws = {}  # stream id -> wsproto Connection
        self.received = {}  # stream id -> wsproto events not taken yet

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

    def accepted(self, stream):
        """Whether `stream` is a WebSocket the server accepted (200, RFC 8441 §5)."""
        return stream in self.ws and self.responses[stream][0] == 200

    def on_event(self, event):
        if isinstance(event, h2.events.RemoteSettingsChanged):
            self.settings_seen = True
        elif isinstance(event, h2.events.ResponseReceived):
            headers = dict(event.headers)
            self.responses[event.stream_id] = [int(headers[":status"]), b"", headers]
        elif isinstance(event, h2.events.DataReceived):
            # The flow-control credit goes back as the bytes are consumed, here at once.
            self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            if not self.accepted(event.stream_id):
                self.responses[event.stream_id][1] += event.data
            elif event.data:  # (an empty DATA frame carries END_STREAM)
                ws = self.ws[event.stream_id]
                check(ws.state != ConnectionState.CLOSED, f"bytes after the Close on stream {event.stream_id}")
                ws.receive_data(event.data)
                for ws_event in ws.events():
                    self.received[event.stream_id].append(ws_event)
                    if isinstance(ws_event, Ping):
                        self.send_ws(event.stream_id, ws_event.response())
        elif isinstance(event, h2.events.StreamEnded):
            self.ended.add(event.stream_id)
            if self.accepted(event.stream_id):
                ws = self.ws[event.stream_id]
                if ws.state != ConnectionState.CLOSED:
                    ws.receive_data(None)
                    self.received[event.stream_id].extend(ws.events())
        elif isinstance(event, h2.events.StreamReset):
            raise Failure(f"stream {event.stream_id} reset by the server: {event.error_code!r}")
        elif isinstance(event, h2.events.ConnectionTerminated):
            raise Failure(f"GOAWAY from the server: {event.error_code!r} {event.additional_data!r}")

    def get(self, path):
        """Sends a GET for `path`; its answer lands in `responses` once `ended` has it."""
        stream = self.h2.get_next_available_stream_id()
        fields = [(":method", "GET"), (":scheme", self.scheme), (":path", path), (":authority", self.authority)]
        self.h2.send_headers(stream, fields, end_stream=True)
        self.flush()
        return stream

    def open_ws(self, path, subprotocols=()):
        """Sends an extended CONNECT (RFC 8441 §4-5) for a WebSocket on `path`."""
        stream = self.h2.get_next_available_stream_id()
        fields = [
            (":method", "CONNECT"),
            (":protocol", "websocket"),
            (":scheme", self.scheme),
            (":path", path),
            (":authority", self.authority),
            ("sec-websocket-version", "13"),
        ]
        if subprotocols:
            fields.append(("sec-websocket-protocol", ", ".join(subprotocols)))
        self.h2.send_headers(stream, fields)
        self.flush()
        self.ws[stream] = Connection(ConnectionType.CLIENT)
        self.received[stream] = []
        return stream

    def send_ws(self, stream, event):
        """Sends a WebSocket frame as DATA, waiting for window where needed."""
        data = self.ws[stream].send(event)
        while data:
            window = min(self.h2.local_flow_control_window(stream), self.h2.max_outbound_frame_size)
            if window <= 0:
                self.pump(lambda: self.h2.local_flow_control_window(stream) > 0, f"send window on stream {stream}")
                continue
            self.h2.send_data(stream, data[:window])
            data = data[window:]
            self.flush()

    def messages(self, stream):
        return [e for e in self.received[stream] if isinstance(e, (TextMessage, BytesMessage))]


class H2WebSocket(H2Client):
    """One HTTP/2 connection carrying one WebSocket (and plain GETs beside it); the
    constructor waits for the answer to the extended CONNECT (`status`, `headers`)."""

    def __init__(self, port, path, context=None, subprotocols=()):
        super().__init__("127.0.0.1", port, context)
        self.pump(lambda: self.settings_seen, "the server's SETTINGS")
        # RFC 8441 §3: extended CONNECT only where the server offers it.
        assert self.h2.remote_settings.enable_connect_protocol == 1
        self.stream = self.open_ws(path, subprotocols)
        self.pump(lambda: self.stream in self.responses, "the answer to the extended CONNECT")

    @property
    def status(self):
        return self.responses[self.stream][0]

    @property
    def headers(self):
        return self.responses[self.stream][2]

    def send_event(self, event):
        self.send_ws(self.stream, event)

    def send(self, payload):
        self.send_event(Message(data=payload))

    def recv(self):
        """The next whole message (str or bytes), or the CloseConnection event."""
        events = self.received[self.stream]
        parts = []
        while True:
            self.pump(lambda: events, "a WebSocket message")
            event = events.pop(0)
            if isinstance(event, CloseConnection):
                return event
            if isinstance(event, (TextMessage, BytesMessage)):
                parts.append(event.data)
                if event.message_finished:
                    return "".join(parts) if isinstance(event, TextMessage) else b"".join(parts)

    def get(self, path):
        """A plain GET on the same connection: (status, body)."""
        stream = super().get(path)
        self.pump(lambda: stream in self.ended, f"the answer to GET {path}")
        return self.responses[stream][0], self.responses[stream][1]

    def close(self, code=1000, reason=""):
        """The closing handshake (RFC 6455 §7), then END_STREAM both ways; the server's
        CloseConnection."""
        self.send_event(CloseConnection(code=code, reason=reason))
        answer = self.recv()
        assert isinstance(answer, CloseConnection), answer
        self.h2.end_stream(self.stream)
        self.flush()
        self.pump(lambda: self.stream in self.ended, "END_STREAM")
        self.sock.close()
        return answer
