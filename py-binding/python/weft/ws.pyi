"""WebSocket (RFC 6455, RFC 7692) sans-IO, with wsproto's names."""

from abc import ABC
from enum import Enum, IntEnum
from typing import Generator, Iterator, List, Optional, Sequence, Tuple, Union

from ._weft import WeftError

Headers = List[Tuple[bytes, bytes]]
_Payload = Union[bytes, bytearray, memoryview]

class ConnectionState(Enum):
    CONNECTING = 0
    OPEN = 1
    REMOTE_CLOSING = 2
    LOCAL_CLOSING = 3
    CLOSED = 4
    REJECTING = 5

class ConnectionType(Enum):
    CLIENT = 1
    SERVER = 2

CLIENT: ConnectionType
SERVER: ConnectionType

class CloseReason(IntEnum):
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

class ProtocolError(WeftError): ...
class LocalProtocolError(ProtocolError): ...

class RemoteProtocolError(ProtocolError):
    event_hint: Optional[Event]
    def __init__(self, message: str, event_hint: Optional[Event] = None) -> None: ...

class Event(ABC): ...
class Message(Event): ...

class Extension:
    name: str
    def enabled(self) -> bool: ...

class PerMessageDeflate(Extension):
    client_no_context_takeover: bool
    server_no_context_takeover: bool
    client_max_window_bits: int
    server_max_window_bits: int
    def __init__(
        self,
        client_no_context_takeover: bool = False,
        client_max_window_bits: Optional[int] = None,
        server_no_context_takeover: bool = False,
        server_max_window_bits: Optional[int] = None,
    ) -> None: ...

class Request(Event):
    host: str
    target: str
    extensions: Union[Sequence[Extension], Sequence[str]]
    extra_headers: Headers
    subprotocols: List[str]
    def __init__(
        self,
        host: str,
        target: str,
        extensions: Union[Sequence[Extension], Sequence[str]] = ...,
        extra_headers: Headers = ...,
        subprotocols: List[str] = ...,
    ) -> None: ...

class AcceptConnection(Event):
    subprotocol: Optional[str]
    extensions: List[Extension]
    extra_headers: Headers
    def __init__(
        self, subprotocol: Optional[str] = None, extensions: List[Extension] = ..., extra_headers: Headers = ...
    ) -> None: ...

class RejectConnection(Event):
    status_code: int
    headers: Headers
    has_body: bool
    def __init__(self, status_code: int = 400, headers: Headers = ..., has_body: bool = False) -> None: ...

class RejectData(Event):
    data: bytes
    body_finished: bool
    def __init__(self, data: bytes, body_finished: bool = True) -> None: ...

class TextMessage(Message):
    data: Union[str, bytes]
    frame_finished: bool
    message_finished: bool
    def __init__(self, data: Union[str, bytes], frame_finished: bool = True, message_finished: bool = True) -> None: ...

class BytesMessage(Message):
    data: Union[bytes, bytearray, str]
    frame_finished: bool
    message_finished: bool
    def __init__(
        self, data: Union[bytes, bytearray, str], frame_finished: bool = True, message_finished: bool = True
    ) -> None: ...

class Ping(Event):
    payload: bytes
    def __init__(self, payload: _Payload = b"") -> None: ...
    def response(self) -> Pong: ...

class Pong(Event):
    payload: bytes
    def __init__(self, payload: _Payload = b"") -> None: ...

class CloseConnection(Event):
    code: int
    reason: Optional[str]
    def __init__(self, code: Optional[int], reason: Optional[str] = None) -> None: ...
    def response(self) -> CloseConnection: ...

class Connection:
    """The connection after the handshake."""
    def __init__(
        self,
        connection_type: ConnectionType,
        extensions: Optional[Sequence[Extension]] = None,
        trailing_data: Optional[bytes] = None,
    ) -> None: ...
    @property
    def state(self) -> ConnectionState: ...
    @property
    def client(self) -> bool: ...
    def receive_data(self, data: Optional[_Payload]) -> None: ...
    def events(self) -> Iterator[Event]: ...
    def send(self, event: Event) -> bytes: ...

class H11Handshake:
    client: bool
    def __init__(self, connection_type: ConnectionType) -> None: ...
    @property
    def state(self) -> ConnectionState: ...
    @property
    def connection(self) -> Optional[Connection]: ...
    def initiate_upgrade_connection(self, headers: Headers, path: Union[bytes, str]) -> None: ...
    def send(self, event: Event) -> bytes: ...
    def receive_data(self, data: Optional[bytes]) -> None: ...
    def events(self) -> Generator[Event, None, None]: ...

class WSConnection:
    client: bool
    handshake: H11Handshake
    connection: Optional[Connection]
    def __init__(self, connection_type: ConnectionType) -> None: ...
    @property
    def state(self) -> ConnectionState: ...
    def initiate_upgrade_connection(self, headers: Headers, path: Union[bytes, str]) -> None: ...
    def send(self, event: Event) -> bytes: ...
    def receive_data(self, data: Optional[bytes]) -> None: ...
    def events(self) -> Generator[Event, None, None]: ...
