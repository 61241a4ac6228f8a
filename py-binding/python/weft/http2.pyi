"""HTTP/2 (RFC 9113) sans-IO, with python h2's names."""

import enum
from typing import Any, Iterable, Optional, Tuple, Union

from ._weft import WeftError

_Bytes = Union[bytes, bytearray, memoryview, str]
_Headers = Iterable[Union[Tuple[_Bytes, _Bytes], Tuple[_Bytes, _Bytes, bool]]]

class ErrorCodes(enum.IntEnum):
    NO_ERROR = 0x0
    PROTOCOL_ERROR = 0x1
    INTERNAL_ERROR = 0x2
    FLOW_CONTROL_ERROR = 0x3
    SETTINGS_TIMEOUT = 0x4
    STREAM_CLOSED = 0x5
    FRAME_SIZE_ERROR = 0x6
    REFUSED_STREAM = 0x7
    CANCEL = 0x8
    COMPRESSION_ERROR = 0x9
    CONNECT_ERROR = 0xA
    ENHANCE_YOUR_CALM = 0xB
    INADEQUATE_SECURITY = 0xC
    HTTP_1_1_REQUIRED = 0xD

class SettingCodes(enum.IntEnum):
    HEADER_TABLE_SIZE = 0x1
    ENABLE_PUSH = 0x2
    MAX_CONCURRENT_STREAMS = 0x3
    INITIAL_WINDOW_SIZE = 0x4
    MAX_FRAME_SIZE = 0x5
    MAX_HEADER_LIST_SIZE = 0x6
    ENABLE_CONNECT_PROTOCOL = 0x8

class H2Error(WeftError): ...
class ProtocolError(H2Error):
    error_code: int
class FrameTooLargeError(ProtocolError): ...
class TooManyStreamsError(ProtocolError): ...
class FlowControlError(ProtocolError): ...
class NoSuchStreamError(ProtocolError): ...
class StreamClosedError(NoSuchStreamError): ...
class DenialOfServiceError(ProtocolError): ...

class H2Configuration:
    client_side: bool
    header_encoding: Optional[str]
    def __init__(self, client_side: bool = True, header_encoding: Optional[str] = None, **ignored: Any) -> None: ...

class StreamEnded:
    stream_id: int

class RequestReceived:
    stream_id: int
    headers: list[Tuple[Any, Any]]
    stream_ended: Optional[StreamEnded]
    priority_updated: None

class ResponseReceived(RequestReceived): ...
class TrailersReceived(RequestReceived): ...

class InformationalResponseReceived:
    stream_id: int
    headers: list[Tuple[Any, Any]]
    priority_updated: None

class DataReceived:
    stream_id: int
    data: bytes
    flow_controlled_length: int
    stream_ended: Optional[StreamEnded]

class StreamReset:
    stream_id: int
    error_code: int
    remote_reset: bool

class WindowUpdated:
    stream_id: int
    delta: Optional[int]

class RemoteSettingsChanged:
    changed_settings: dict[int, int]

class SettingsAcknowledged:
    changed_settings: dict[int, int]

class PingAckReceived:
    ping_data: bytes

class ConnectionTerminated:
    error_code: int
    last_stream_id: Optional[int]
    additional_data: Optional[bytes]

class PushedStreamReceived:
    pushed_stream_id: int
    parent_stream_id: int
    headers: list[Tuple[Any, Any]]

Event = Union[
    RequestReceived, ResponseReceived, TrailersReceived, InformationalResponseReceived, DataReceived,
    StreamEnded, StreamReset, WindowUpdated, RemoteSettingsChanged, SettingsAcknowledged,
    PingAckReceived, ConnectionTerminated, PushedStreamReceived,
]

class Connection:
    """One HTTP/2 connection (client by default, as in h2)."""
    def __init__(self, config: Optional[H2Configuration] = None) -> None: ...
    @property
    def config(self) -> H2Configuration: ...
    def initiate_connection(self) -> None: ...
    def receive_data(self, data: _Bytes) -> list[Event]: ...
    def get_next_available_stream_id(self) -> int: ...
    def send_headers(self, stream_id: int, headers: _Headers, end_stream: bool = False, **priority: Any) -> None: ...
    def send_data(self, stream_id: int, data: _Bytes, end_stream: bool = False, pad_length: Optional[int] = None) -> None: ...
    def end_stream(self, stream_id: int) -> None: ...
    def reset_stream(self, stream_id: int, error_code: int = 0) -> None: ...
    def push_stream(self, stream_id: int, promised_stream_id: int, request_headers: _Headers) -> None: ...
    def ping(self, opaque_data: bytes) -> None: ...
    def close_connection(self, error_code: int = 0, additional_data: Optional[bytes] = None, last_stream_id: Optional[int] = None) -> None: ...
    def acknowledge_received_data(self, acknowledged_size: int, stream_id: int) -> None: ...
    def local_flow_control_window(self, stream_id: int) -> int: ...
    def remote_flow_control_window(self, stream_id: int) -> int: ...
    def data_to_send(self, amount: Optional[int] = None) -> bytes: ...
    def clear_outbound_data_buffer(self) -> None: ...
    def update_settings(self, new_settings: dict[int, int]) -> None: ...
    def handle_timeout(self) -> None: ...
    def next_timeout(self) -> Optional[float]: ...
    @property
    def remote_settings(self) -> dict[int, int]: ...
    @property
    def local_settings(self) -> dict[int, int]: ...
    @property
    def max_outbound_frame_size(self) -> int: ...
    @property
    def open_outbound_streams(self) -> int: ...
    @property
    def open_inbound_streams(self) -> int: ...
    @property
    def is_closed(self) -> bool: ...

H2Connection = Connection
