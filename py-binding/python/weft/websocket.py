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

from typing import Any, Awaitable, Optional, Tuple, Union

from ._weft import ClientDisconnected


class WebSocketDisconnect(Exception):
    """The connection ended: ``code`` and ``reason`` are the peer's Close (1006 when
    there was none)."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class WebSocket:
    """A WebSocket connection, as a route handler sees it."""

    __slots__ = ("_raw",)

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    @property
    def path(self) -> str:
        return self._raw.path

    @property
    def query(self) -> str:
        return self._raw.query

    @property
    def path_params(self) -> dict:
        return self._raw.path_params

    @property
    def headers(self) -> "list[Tuple[bytes, bytes]]":
        return self._raw.headers

    @property
    def subprotocol(self) -> Optional[str]:
        return self._raw.subprotocol

    @property
    def close_status(self) -> Optional[Tuple[int, str]]:
        """``(code, reason)`` once the connection has ended, else ``None``."""
        return self._raw.close_status

    def receive(self) -> "Awaitable[Union[str, bytes]]":
        """The next message: ``str`` for text, ``bytes`` for binary."""
        # Not a coroutine of its own: the socket's awaitable is handed back as is, so
        # a message costs no extra frame (the same for the sends and ``__anext__``).
        return self._raw.receive()

    async def receive_text(self) -> str:
        """The next message, which must be text."""
        message = await self.receive()
        if not isinstance(message, str):
            raise TypeError("expected a text message, got a binary one")
        return message

    async def receive_bytes(self) -> bytes:
        """The next message, which must be binary."""
        message = await self.receive()
        if not isinstance(message, bytes):
            raise TypeError("expected a binary message, got a text one")
        return message

    def send_text(self, data: str) -> "Awaitable[None]":
        """Sends a text message; waits while the peer is behind."""
        if not isinstance(data, str):
            raise TypeError("send_text() takes a str")
        return self._raw.send(data)

    def send_bytes(self, data: Union[bytes, bytearray, memoryview]) -> "Awaitable[None]":
        """Sends a binary message; waits while the peer is behind."""
        if isinstance(data, str):
            raise TypeError("send_bytes() takes bytes")
        return self._raw.send(data)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Starts the closing handshake; what the peer sent before its answer can still
        be received."""
        await self._raw.close(code, reason)

    def __aiter__(self) -> "WebSocket":
        return self

    def __anext__(self) -> "Awaitable[Union[str, bytes]]":
        return self._raw.next()


__all__ = ["WebSocket", "WebSocketDisconnect", "ClientDisconnected"]
