"""HTTP/2 (RFC 9113) as a sans-IO state machine, with python h2's names.

``Connection(H2Configuration(client_side=False))``, ``initiate_connection()``,
``receive_data(bytes) -> [events]``, ``send_headers``, ``send_data``, ``end_stream``,
``reset_stream``, ``push_stream``, ``ping``, ``close_connection``,
``acknowledge_received_data``, ``data_to_send()``, ``local_flow_control_window``.
Errors carry ``error_code``. The state machine is the Rust ``http2-proto`` crate.

Differences from h2: SETTINGS are queued when the connection is created
(``initiate_connection()`` is a no-op kept for compatibility); ``WindowUpdated.delta``
is ``None``; ``changed_settings`` maps setting codes to new values.
"""

import enum

from ._weft import http2 as _native

Connection = _native.Connection
H2Connection = _native.Connection
H2Configuration = _native.H2Configuration
RequestReceived = _native.RequestReceived
ResponseReceived = _native.ResponseReceived
TrailersReceived = _native.TrailersReceived
InformationalResponseReceived = _native.InformationalResponseReceived
DataReceived = _native.DataReceived
StreamEnded = _native.StreamEnded
StreamReset = _native.StreamReset
WindowUpdated = _native.WindowUpdated
RemoteSettingsChanged = _native.RemoteSettingsChanged
SettingsAcknowledged = _native.SettingsAcknowledged
PingAckReceived = _native.PingAckReceived
ConnectionTerminated = _native.ConnectionTerminated
PushedStreamReceived = _native.PushedStreamReceived
H2Error = _native.H2Error
ProtocolError = _native.ProtocolError
FrameTooLargeError = _native.FrameTooLargeError
TooManyStreamsError = _native.TooManyStreamsError
FlowControlError = _native.FlowControlError
NoSuchStreamError = _native.NoSuchStreamError
StreamClosedError = _native.StreamClosedError
DenialOfServiceError = _native.DenialOfServiceError


class ErrorCodes(enum.IntEnum):
    """HTTP/2 error codes (RFC 9113 §7)."""

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
    """SETTINGS identifiers (RFC 9113 §6.5.2, RFC 8441)."""

    HEADER_TABLE_SIZE = 0x1
    ENABLE_PUSH = 0x2
    MAX_CONCURRENT_STREAMS = 0x3
    INITIAL_WINDOW_SIZE = 0x4
    MAX_FRAME_SIZE = 0x5
    MAX_HEADER_LIST_SIZE = 0x6
    ENABLE_CONNECT_PROTOCOL = 0x8


__all__ = [name for name in dir() if not name.startswith("_") and name != "enum"]
