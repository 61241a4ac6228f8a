"""ASGI and decorator applications the tests serve (`python -m weft tests.apps.<module>:app`)."""


async def complete_lifespan(receive, send):
    """Answers a `lifespan` scope: completes startup, then shutdown, and returns."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
