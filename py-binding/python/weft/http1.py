"""HTTP/1.1 (RFC 9112) as a sans-IO state machine, with h11's names.

``Connection(our_role)``, ``receive_data(bytes)`` (``b""`` is EOF), ``next_event()``
(an event, ``NEED_DATA`` or ``PAUSED``), ``send(event) -> bytes``,
``start_next_cycle()``, ``our_state`` / ``their_state``. Peer errors raise
``RemoteProtocolError`` with ``error_status_hint``; misuse raises
``LocalProtocolError``. The state machine is the Rust ``http1-proto`` crate.
"""

from . import _weft
from ._weft import http1 as _native

Connection = _native.Connection
Request = _native.Request
Response = _native.Response
InformationalResponse = _native.InformationalResponse
Data = _native.Data
EndOfMessage = _native.EndOfMessage
ConnectionClosed = _native.ConnectionClosed
ProtocolError = _native.ProtocolError
LocalProtocolError = _native.LocalProtocolError
RemoteProtocolError = _native.RemoteProtocolError

CLIENT = _weft.CLIENT
SERVER = _weft.SERVER
NEED_DATA = _weft.NEED_DATA
PAUSED = _weft.PAUSED
IDLE = _weft.IDLE
SEND_RESPONSE = _weft.SEND_RESPONSE
SEND_BODY = _weft.SEND_BODY
DONE = _weft.DONE
MUST_CLOSE = _weft.MUST_CLOSE
CLOSED = _weft.CLOSED
ERROR = _weft.ERROR
MIGHT_SWITCH_PROTOCOL = _weft.MIGHT_SWITCH_PROTOCOL
SWITCHED_PROTOCOL = _weft.SWITCHED_PROTOCOL

__all__ = [
    "Connection",
    "Request",
    "Response",
    "InformationalResponse",
    "Data",
    "EndOfMessage",
    "ConnectionClosed",
    "ProtocolError",
    "LocalProtocolError",
    "RemoteProtocolError",
    "CLIENT",
    "SERVER",
    "NEED_DATA",
    "PAUSED",
    "IDLE",
    "SEND_RESPONSE",
    "SEND_BODY",
    "DONE",
    "MUST_CLOSE",
    "CLOSED",
    "ERROR",
    "MIGHT_SWITCH_PROTOCOL",
    "SWITCHED_PROTOCOL",
]
