"""The socket of a decorator WebSocket route (``@app.websocket(path)``).

```python
@app.websocket("/chat/{room}")
async def chat(ws: weft.WebSocket, room: str):
    async for message in ws:          # str (text) or bytes (binary), until the peer closes
        await ws.send_text(f"{room}: {message}")
```

The upgrade is accepted before the handler runs, with the first of the route's
``subprotocols`` the client offered. When the handler returns, the connection is closed with 1000; when it raises,
with 1011 (RFC 6455 §7.4.1). ``receive_*`` raise ``WebSocketDisconnect`` (with the
peer's ``code`` and ``reason``) once the connection has ended, and ``send_*`` raise
``ClientDisconnected``.
"""

from __future__ import annotations

# The socket is the Rust class itself (its methods are documented there): between the
# handler and the connection, a message passes through no Python frame of weft's own.
from ._weft import ClientDisconnected, WebSocket


class WebSocketDisconnect(Exception):
    """The connection ended: ``code`` and ``reason`` are the peer's Close (1006 when
    there was none)."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


__all__ = ["WebSocket", "WebSocketDisconnect", "ClientDisconnected"]
