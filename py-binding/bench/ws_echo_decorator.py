"""WebSocket echo in weft's decorator API (the same work as ws_echo_asgi.py)."""

import sys

import weft

app = weft.App()


@app.websocket("/")
async def echo(ws: weft.WebSocket):
    async for message in ws:
        if isinstance(message, str):
            await ws.send_text(message)
        else:
            await ws.send_bytes(message)


if __name__ == "__main__":
    app.run("127.0.0.1", int(sys.argv[1]), threads=1)
