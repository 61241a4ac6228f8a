"""HTTP/1.1 (RFC 9112) sans-IO, with h11's names."""

from typing import Iterable, Optional, Tuple, Union

from ._weft import Sentinel, WeftError

_Bytes = Union[bytes, bytearray, memoryview, str]
_Headers = Iterable[Tuple[_Bytes, _Bytes]]

CLIENT: Sentinel
SERVER: Sentinel
NEED_DATA: Sentinel
PAUSED: Sentinel
IDLE: Sentinel
SEND_RESPONSE: Sentinel
SEND_BODY: Sentinel
DONE: Sentinel
MUST_CLOSE: Sentinel
CLOSED: Sentinel
ERROR: Sentinel
MIGHT_SWITCH_PROTOCOL: Sentinel
SWITCHED_PROTOCOL: Sentinel

class ProtocolError(WeftError):
    error_status_hint: int

class LocalProtocolError(ProtocolError): ...
class RemoteProtocolError(ProtocolError): ...

class Request:
    method: bytes
    target: bytes
    headers: list[Tuple[bytes, bytes]]
    http_version: bytes
    def __init__(self, *, method: _Bytes, target: _Bytes, headers: _Headers, http_version: _Bytes = b"1.1") -> None: ...

class Response:
    status_code: int
    headers: list[Tuple[bytes, bytes]]
    reason: bytes
    http_version: bytes
    def __init__(self, *, status_code: int, headers: _Headers, reason: _Bytes = b"", http_version: _Bytes = b"1.1") -> None: ...

class InformationalResponse:
    status_code: int
    headers: list[Tuple[bytes, bytes]]
    reason: bytes
    http_version: bytes
    def __init__(self, *, status_code: int, headers: _Headers, reason: _Bytes = b"", http_version: _Bytes = b"1.1") -> None: ...

class Data:
    data: bytes
    chunk_start: bool
    chunk_end: bool
    def __init__(self, *, data: _Bytes, chunk_start: bool = False, chunk_end: bool = False) -> None: ...

class EndOfMessage:
    headers: list[Tuple[bytes, bytes]]
    def __init__(self, *, headers: Optional[_Headers] = None) -> None: ...

class ConnectionClosed:
    def __init__(self) -> None: ...

Event = Union[Request, Response, InformationalResponse, Data, EndOfMessage, ConnectionClosed]

class Connection:
    """One HTTP/1.1 connection; ``receive_data(b"")`` is EOF."""
    def __init__(self, our_role: Sentinel, max_incomplete_event_size: int = 16384) -> None: ...
    @property
    def our_role(self) -> Sentinel: ...
    @property
    def their_role(self) -> Sentinel: ...
    @property
    def our_state(self) -> Sentinel: ...
    @property
    def their_state(self) -> Sentinel: ...
    @property
    def states(self) -> dict[Sentinel, Sentinel]: ...
    @property
    def their_http_version(self) -> Optional[bytes]: ...
    @property
    def client_is_waiting_for_100_continue(self) -> bool: ...
    @property
    def they_are_waiting_for_100_continue(self) -> bool: ...
    @property
    def trailing_data(self) -> Tuple[bytes, bool]: ...
    def receive_data(self, data: _Bytes) -> None: ...
    def next_event(self) -> Union[Event, Sentinel]: ...
    def send(self, event: Event) -> Optional[bytes]: ...
    def send_with_data_passthrough(self, event: Event) -> Optional[list[bytes]]: ...
    def send_failed(self) -> None: ...
    def start_next_cycle(self) -> None: ...
