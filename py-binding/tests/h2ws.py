"""A WebSocket client over HTTP/2 (RFC 8441) from independent implementations: python-hyper's
`h2` speaks HTTP/2 (h2c with prior knowledge, or TLS with ALPN h2) and `wsproto` speaks
WebSocket on the extended-CONNECT stream. For the tests of the ASGI host and the decorator
API over HTTP/2."""

import socket
import ssl
import time

import h2.config
import h2.connection
import h2.events
from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Message, Ping, TextMessage

TIMEOUT = 10.0


class H2WebSocket:
    """One HTTP/2 connection carrying one WebSocket (and plain GETs beside it)."""

    def __init__(self, port, path, context=None, subprotocols=()):
        raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        if context is not None:
            context.set_alpn_protocols(["h2"])
            raw = context.wrap_socket(raw, server_hostname="127.0.0.1")
            assert raw.selected_alpn_protocol() == "h2"
        self.sock = raw
        self.scheme = "https" if context is not None else "http"
        self.authority = f"127.0.0.1:{port}"
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.h2.initiate_connection()
        self.flush()
        self.settings_seen = False
        self.responses = {}  # stream -> [status, body, headers]
        self.ended = set()
        self.ws = Connection(ConnectionType.CLIENT)
        self.events = []
        self.pump(lambda: self.settings_seen, "the server's SETTINGS")
        # RFC 8441 §3: extended CONNECT only where the server offers it.
        assert self.h2.remote_settings.enable_connect_protocol == 1
        self.stream = self.h2.get_next_available_stream_id()
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
        self.h2.send_headers(self.stream, fields)
        self.flush()
        self.pump(lambda: self.stream in self.responses, "the answer to the extended CONNECT")

    @property
    def status(self):
        return self.responses[self.stream][0]

    @property
    def headers(self):
        return self.responses[self.stream][2]

    def flush(self):
        data = self.h2.data_to_send()
        if data:
            self.sock.sendall(data)

    def pump(self, until, what):
        deadline = time.monotonic() + TIMEOUT
        while not until():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            data = self.sock.recv(65536)
            assert data, f"connection closed while waiting for {what}"
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
            self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            if event.stream_id == self.stream and self.status == 200:
                if event.data:
                    self.ws.receive_data(event.data)
                    self.take_ws_events()
            else:
                self.responses[event.stream_id][1] += event.data
        elif isinstance(event, h2.events.StreamEnded):
            self.ended.add(event.stream_id)
            if event.stream_id == self.stream and self.ws.state != ConnectionState.CLOSED:
                self.ws.receive_data(None)
                self.take_ws_events()
        elif isinstance(event, h2.events.StreamReset):
            raise AssertionError(f"stream {event.stream_id} reset: {event.error_code!r}")
        elif isinstance(event, h2.events.ConnectionTerminated):
            raise AssertionError(f"GOAWAY: {event.error_code!r}")

    def take_ws_events(self):
        for ws_event in self.ws.events():
            self.events.append(ws_event)
            if isinstance(ws_event, Ping):
                self.send_event(ws_event.response())

    def send_event(self, event):
        data = self.ws.send(event)
        while data:
            window = min(self.h2.local_flow_control_window(self.stream), self.h2.max_outbound_frame_size)
            if window <= 0:
                self.pump(lambda: self.h2.local_flow_control_window(self.stream) > 0, "send window")
                continue
            self.h2.send_data(self.stream, data[:window])
            data = data[window:]
            self.flush()

    def send(self, payload):
        self.send_event(Message(data=payload))

    def recv(self):
        """The next whole message (str or bytes), or the CloseConnection event."""
        parts = []
        while True:
            self.pump(lambda: self.events, "a WebSocket message")
            event = self.events.pop(0)
            if isinstance(event, CloseConnection):
                return event
            if isinstance(event, (TextMessage, BytesMessage)):
                parts.append(event.data)
                if event.message_finished:
                    return "".join(parts) if isinstance(event, TextMessage) else b"".join(parts)

    def get(self, path):
        """A plain GET on the same connection: (status, body)."""
        stream = self.h2.get_next_available_stream_id()
        fields = [(":method", "GET"), (":scheme", self.scheme), (":path", path), (":authority", self.authority)]
        self.h2.send_headers(stream, fields, end_stream=True)
        self.flush()
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


def tls_context(ca):
    """A client context trusting `ca` (a trustme CA)."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context
