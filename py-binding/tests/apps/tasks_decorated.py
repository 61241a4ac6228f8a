"""The asyncio probes of ``tasks_asgi`` served by ``async def`` decorator handlers:
``python -m tests.apps.tasks_decorated PORT``.

Every probe has two routes, one per way the server runs an async handler:
``/probe/<name>?v=`` takes only the request, so the server calls it itself
(``Server.set_direct``); ``/q/<name>?v=`` takes a query parameter, so it goes through
``App._dispatch_async``.
"""

import sys
from urllib.parse import parse_qs

import weft
from tests.apps.tasks_asgi import PROBES, stream_chunks

app = weft.App()


def _register(name: str, probe) -> None:
    async def called_by_the_server(request: weft.Request):
        return await probe(parse_qs(request.query).get("v", [""])[-1])

    async def dispatched(v: str = ""):
        return await probe(v)

    app.get(f"/probe/{name}")(called_by_the_server)
    app.get(f"/q/{name}")(dispatched)


for _name, _probe in PROBES.items():
    _register(_name, _probe)


@app.get("/stream")
async def stream(v: str = ""):
    # The async iterator is consumed by the handler's own task after it returns.
    return weft.Response(stream_chunks(v), media_type="text/plain")


if __name__ == "__main__":
    app.run("127.0.0.1", int(sys.argv[1]), shutdown_timeout=5.0)
