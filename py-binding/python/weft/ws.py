"""WebSocket (RFC 6455, RFC 7692) as a sans-IO state machine, with wsproto's names.

Code written for wsproto runs after changing its imports to ``weft.ws``::

    from weft.ws import WSConnection, ConnectionType
    from weft.ws import Request, AcceptConnection, TextMessage, CloseConnection

    ws = WSConnection(ConnectionType.SERVER)
    ws.receive_data(handshake_bytes)
    for event in ws.events():
        if isinstance(event, Request):
            out = ws.send(AcceptConnection())
        elif isinstance(event, TextMessage):
            out = ws.send(TextMessage(data=event.data))
        elif isinstance(event, CloseConnection):
            out = ws.send(event.response())

The frames are read and written by the Rust ``ws-proto`` crate; the opening handshake
is parsed by ``weft.http1`` and checked by ws-proto's handshake helpers.

As in wsproto, nothing is sent on the application's behalf: answer a ``Ping`` with
``event.response()`` and a ``CloseConnection`` with ``event.response()``. Where weft
differs from wsproto:

- A frame is reported once it has arrived whole, so ``frame_finished`` is always true;
  a frame split across reads is one event, not one per read.
- Received messages are bounded (16 MiB, close code 1009), and so are the bytes held
  between ``receive_data`` and ``events()`` (1 MiB, close code 1008).
- Sending a close code RFC 6455 §7.4 forbids on the wire raises ``LocalProtocolError``.
- permessage-deflate is negotiated by ws-proto: a server names only the parameters that
  differ from the defaults, where wsproto repeats the client's window sizes.
"""

from __future__ import annotations

from abc import ABC
from collections import deque
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Generator, List, Optional, Sequence, Tuple, Union

from . import http1 as _http1
from ._weft import WeftError
from ._weft import ws as _native

Headers = List[Tuple[bytes, bytes]]

Connection = _native.Connection
TextMessage = _native.TextMessage
BytesMessage = _native.BytesMessage
Ping = _native.Ping
Pong = _native.Pong
CloseConnection = _native.CloseConnection


class ConnectionState(Enum):
    """RFC 6455 §4: where the connection is."""

    CONNECTING = 0
    OPEN = 1
    REMOTE_CLOSING = 2
    LOCAL_CLOSING = 3
    CLOSED = 4
    REJECTING = 5


class ConnectionType(Enum):
    """Which end this is."""

    CLIENT = 1
    SERVER = 2


CLIENT = ConnectionType.CLIENT
SERVER = ConnectionType.SERVER


class CloseReason(IntEnum):
    """The close codes of RFC 6455 §7.4.1 and the IANA registry."""

    NORMAL_CLOSURE = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    NO_STATUS_RCVD = 1005
    ABNORMAL_CLOSURE = 1006
    INVALID_FRAME_PAYLOAD_DATA = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXT = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    TLS_HANDSHAKE_FAILED = 1015


class ProtocolError(WeftError):
    """Base class of the WebSocket protocol errors."""


class LocalProtocolError(ProtocolError):
    """We tried to do something the protocol or the state does not allow."""


class RemoteProtocolError(ProtocolError):
    """The peer broke the opening handshake; ``event_hint`` is the rejection to send."""

    def __init__(self, message: str, event_hint: Optional[Event] = None) -> None:
        self.event_hint = event_hint
        super().__init__(message)


class Event(ABC):
    """Base class of the events."""


class Message(Event):
    """Base class of ``TextMessage`` and ``BytesMessage``."""


for _cls in (TextMessage, BytesMessage):
    Message.register(_cls)
for _cls in (Ping, Pong, CloseConnection):
    Event.register(_cls)


@dataclass(frozen=True)
class Request(Event):
    """The opening handshake's request (RFC 6455 §4.1): received by a server, sent by a client."""

    host: str
    target: str
    extensions: Union[Sequence[Extension], Sequence[str]] = field(default_factory=list)
    extra_headers: Headers = field(default_factory=list)
    subprotocols: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class AcceptConnection(Event):
    """The handshake's acceptance: sent by a server, received by a client."""

    subprotocol: Optional[str] = None
    extensions: List[Extension] = field(default_factory=list)
    extra_headers: Headers = field(default_factory=list)


@dataclass(frozen=True)
class RejectConnection(Event):
    """The handshake's refusal, an HTTP response; a body follows as ``RejectData`` when ``has_body``."""

    status_code: int = 400
    headers: Headers = field(default_factory=list)
    has_body: bool = False


@dataclass(frozen=True)
class RejectData(Event):
    """A piece of a refusal's body."""

    data: bytes
    body_finished: bool = True


class Extension:
    """Base class of the extensions."""

    name: str

    def enabled(self) -> bool:
        return False


class PerMessageDeflate(Extension):
    """permessage-deflate (RFC 7692). Pass one in ``Request.extensions`` (client) or
    ``AcceptConnection.extensions`` (server); after the handshake it holds what was
    agreed. Negotiation is ws-proto's."""

    name = "permessage-deflate"

    DEFAULT_CLIENT_MAX_WINDOW_BITS = 15
    DEFAULT_SERVER_MAX_WINDOW_BITS = 15

    def __init__(
        self,
        client_no_context_takeover: bool = False,
        client_max_window_bits: Optional[int] = None,
        server_no_context_takeover: bool = False,
        server_max_window_bits: Optional[int] = None,
    ) -> None:
        self.client_no_context_takeover = client_no_context_takeover
        self.server_no_context_takeover = server_no_context_takeover
        self.client_max_window_bits = client_max_window_bits or self.DEFAULT_CLIENT_MAX_WINDOW_BITS
        self.server_max_window_bits = server_max_window_bits or self.DEFAULT_SERVER_MAX_WINDOW_BITS
        for bits in (self.client_max_window_bits, self.server_max_window_bits):
            if not 9 <= bits <= 15:
                raise ValueError("Window size must be between 9 and 15 inclusive")
        self._enabled = False

    def enabled(self) -> bool:
        return self._enabled

    def _wanted(self) -> Tuple[bool, bool, int, int]:
        return (
            self.server_no_context_takeover,
            self.client_no_context_takeover,
            self.server_max_window_bits,
            self.client_max_window_bits,
        )

    def _agree(self, agreed: Tuple[bool, bool, int, int]) -> None:
        (
            self.server_no_context_takeover,
            self.client_no_context_takeover,
            self.server_max_window_bits,
            self.client_max_window_bits,
        ) = agreed
        self._enabled = True

    def __repr__(self) -> str:
        return (
            f"PerMessageDeflate(client_no_context_takeover={self.client_no_context_takeover}, "
            f"client_max_window_bits={self.client_max_window_bits}, "
            f"server_no_context_takeover={self.server_no_context_takeover}, "
            f"server_max_window_bits={self.server_max_window_bits})"
        )


def _deflate_in(extensions: Sequence[object]) -> Optional[PerMessageDeflate]:
    for ext in extensions:
        if isinstance(ext, PerMessageDeflate):
            return ext
    return None


def _split_comma_header(value: bytes) -> List[str]:
    return [piece.decode("ascii").strip() for piece in value.split(b",")]


class H11Handshake:
    """The opening handshake over HTTP/1.1 (RFC 6455 §4), on ``weft.http1``."""

    def __init__(self, connection_type: ConnectionType) -> None:
        self.client = connection_type is ConnectionType.CLIENT
        self._state = ConnectionState.CONNECTING
        self._http = _http1.Connection(_http1.CLIENT if self.client else _http1.SERVER)
        self._connection: Optional[Connection] = None
        self._events: deque = deque()
        self._initiating_request: Optional[Request] = None
        self._request_fields: Headers = []
        self._client_handshake: Optional[_native.ClientHandshake] = None

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def connection(self) -> Optional[Connection]:
        return self._connection

    def initiate_upgrade_connection(self, headers: Headers, path: Union[bytes, str]) -> None:
        """Starts a server from a request already read by another HTTP layer."""
        if self.client:
            raise LocalProtocolError("Cannot initiate an upgrade connection when acting as the client")
        client = _http1.Connection(_http1.CLIENT)
        self.receive_data(client.send(_http1.Request(method=b"GET", target=path, headers=headers)))

    def send(self, event: Event) -> bytes:
        if isinstance(event, Request):
            return self._initiate_connection(event)
        if isinstance(event, AcceptConnection):
            return self._accept(event)
        if isinstance(event, RejectConnection):
            return self._reject(event)
        if isinstance(event, RejectData):
            return self._send_reject_data(event)
        raise LocalProtocolError(f"Event {event} cannot be sent during the handshake")

    def receive_data(self, data: Optional[bytes]) -> None:
        self._http.receive_data(data or b"")
        while True:
            try:
                event = self._http.next_event()
            except _http1.RemoteProtocolError:
                raise RemoteProtocolError("Bad HTTP message", event_hint=RejectConnection()) from None
            if event is _http1.NEED_DATA or event is _http1.PAUSED or isinstance(event, _http1.ConnectionClosed):
                break
            if not self.client:
                if isinstance(event, _http1.Request):
                    self._events.append(self._process_connection_request(event))
            elif isinstance(event, _http1.InformationalResponse):
                if event.status_code == 101:
                    self._events.append(self._establish_client_connection(event))
                else:
                    self._events.append(
                        RejectConnection(headers=list(event.headers), status_code=event.status_code, has_body=False)
                    )
                    self._state = ConnectionState.CLOSED
            elif isinstance(event, _http1.Response):
                self._state = ConnectionState.REJECTING
                self._events.append(
                    RejectConnection(headers=list(event.headers), status_code=event.status_code, has_body=True)
                )
            elif isinstance(event, _http1.Data):
                self._events.append(RejectData(data=event.data, body_finished=False))
            elif isinstance(event, _http1.EndOfMessage):
                self._events.append(RejectData(data=b"", body_finished=True))
                self._state = ConnectionState.CLOSED

    def events(self) -> Generator[Event, None, None]:
        while self._events:
            yield self._events.popleft()

    # ----- server -----

    def _process_connection_request(self, event: _http1.Request) -> Request:
        headers = list(event.headers)
        try:
            _native.accept_upgrade(event.method, headers, [])
        except ValueError as e:
            message, status = e.args
            hint_headers = [(b"Sec-WebSocket-Version", b"13")] if status == 426 else []
            raise RemoteProtocolError(
                message, event_hint=RejectConnection(status_code=status, headers=hint_headers)
            ) from None
        host = None
        extensions: List[str] = []
        subprotocols: List[str] = []
        extra: Headers = []
        for name, value in headers:
            if name == b"host":
                host = value.decode("idna")
                continue
            if name == b"sec-websocket-extensions":
                extensions.extend(_split_comma_header(value))
                continue
            if name == b"sec-websocket-protocol":
                subprotocols.extend(_split_comma_header(value))
                continue
            extra.append((name, value))
        if host is None:
            raise RemoteProtocolError("Missing header, 'Host'", event_hint=RejectConnection())
        self._request_fields = headers
        self._initiating_request = Request(
            host=host,
            target=event.target.decode("ascii"),
            extensions=extensions,
            extra_headers=extra,
            subprotocols=subprotocols,
        )
        return self._initiating_request

    def _accept(self, event: AcceptConnection) -> bytes:
        if self._initiating_request is None or self._state is not ConnectionState.CONNECTING:
            raise LocalProtocolError(f"Connection cannot be accepted in state {self._state}")
        if event.subprotocol is not None and event.subprotocol not in self._initiating_request.subprotocols:
            raise LocalProtocolError(f"unexpected subprotocol {event.subprotocol}")
        deflate = _deflate_in(event.extensions)
        protocols = [event.subprotocol] if event.subprotocol is not None else []
        _, agreed, fields = _native.accept_upgrade(
            b"GET", self._request_fields, protocols, deflate._wanted() if deflate else None
        )
        extensions: List[Extension] = []
        if deflate is not None and agreed is not None:
            deflate._agree(agreed)
            extensions.append(deflate)
        response = _http1.InformationalResponse(
            status_code=101, headers=list(fields) + list(event.extra_headers), reason=b"Switching Protocols"
        )
        data = self._http.send(response) or b""
        self._connection = Connection(ConnectionType.SERVER, extensions, self._http.trailing_data[0])
        self._state = ConnectionState.OPEN
        return data

    def _reject(self, event: RejectConnection) -> bytes:
        if self._state is not ConnectionState.CONNECTING:
            raise LocalProtocolError(f"Connection cannot be rejected in state {self._state}")
        headers = list(event.headers)
        if not event.has_body:
            headers.append((b"content-length", b"0"))
        data = self._http.send(_http1.Response(status_code=event.status_code, headers=headers)) or b""
        self._state = ConnectionState.REJECTING
        if not event.has_body:
            data += self._http.send(_http1.EndOfMessage()) or b""
            self._state = ConnectionState.CLOSED
        return data

    def _send_reject_data(self, event: RejectData) -> bytes:
        if self._state is not ConnectionState.REJECTING:
            raise LocalProtocolError(f"Cannot send rejection data in state {self._state}")
        data = self._http.send(_http1.Data(data=event.data)) or b""
        if event.body_finished:
            data += self._http.send(_http1.EndOfMessage()) or b""
            self._state = ConnectionState.CLOSED
        return data

    # ----- client -----

    def _initiate_connection(self, request: Request) -> bytes:
        if not self.client or self._initiating_request is not None:
            raise LocalProtocolError("Only a client sends the Request, once")
        self._initiating_request = request
        deflate = _deflate_in(request.extensions)
        self._client_handshake = _native.ClientHandshake(
            list(request.subprotocols), deflate._wanted() if deflate else None
        )
        headers = [(b"host", request.host.encode("idna"))]
        headers += self._client_handshake.upgrade_headers()
        headers += list(request.extra_headers)
        upgrade = _http1.Request(method=b"GET", target=request.target.encode("ascii"), headers=headers)
        return self._http.send(upgrade) or b""

    def _establish_client_connection(self, event: _http1.InformationalResponse) -> AcceptConnection:
        assert self._initiating_request is not None and self._client_handshake is not None
        try:
            subprotocol, agreed = self._client_handshake.finish_upgrade(event.status_code, list(event.headers))
        except ValueError as e:
            raise RemoteProtocolError(e.args[0], event_hint=RejectConnection()) from None
        skip = {b"connection", b"sec-websocket-extensions", b"sec-websocket-accept", b"sec-websocket-protocol", b"upgrade"}
        extra = [(n, v) for n, v in event.headers if n not in skip]
        extensions: List[Extension] = []
        deflate = _deflate_in(self._initiating_request.extensions)
        if deflate is not None and agreed is not None:
            deflate._agree(agreed)
            extensions.append(deflate)
        self._connection = Connection(ConnectionType.CLIENT, extensions, self._http.trailing_data[0])
        self._state = ConnectionState.OPEN
        return AcceptConnection(extensions=extensions, extra_headers=extra, subprotocol=subprotocol)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(client={self.client}, state={self.state})"


class WSConnection:
    """The local end of a WebSocket connection: the handshake, then the frames."""

    def __init__(self, connection_type: ConnectionType) -> None:
        self.client = connection_type is ConnectionType.CLIENT
        self.handshake = H11Handshake(connection_type)
        self.connection: Optional[Connection] = None

    @property
    def state(self) -> ConnectionState:
        if self.connection is None:
            return self.handshake.state
        return self.connection.state

    def initiate_upgrade_connection(self, headers: Headers, path: Union[bytes, str]) -> None:
        self.handshake.initiate_upgrade_connection(headers, path)

    def send(self, event: Event) -> bytes:
        """The bytes to write for ``event``."""
        if self.connection is None:
            data = self.handshake.send(event)
            self.connection = self.handshake.connection
            return data
        return self.connection.send(event)

    def receive_data(self, data: Optional[bytes]) -> None:
        """Bytes from the peer; ``None`` when the transport has ended."""
        if self.connection is None:
            self.handshake.receive_data(data)
            self.connection = self.handshake.connection
        else:
            self.connection.receive_data(data)

    def events(self) -> Generator[Event, None, None]:
        """The events the received bytes make."""
        yield from self.handshake.events()
        if self.connection is not None:
            yield from self.connection.events()


__all__ = [
    "WSConnection",
    "Connection",
    "ConnectionState",
    "ConnectionType",
    "CLIENT",
    "SERVER",
    "H11Handshake",
    "Event",
    "Message",
    "Request",
    "AcceptConnection",
    "RejectConnection",
    "RejectData",
    "TextMessage",
    "BytesMessage",
    "Ping",
    "Pong",
    "CloseConnection",
    "CloseReason",
    "Extension",
    "PerMessageDeflate",
    "ProtocolError",
    "LocalProtocolError",
    "RemoteProtocolError",
]
