"""Handler tasks are collected when they end up in reference cycles (their exception's
traceback, or their suspended coroutine, referring back to them), as asyncio tasks are:
weft's handler tasks take part in garbage collection."""

import httpx
import pytest

from .conftest import ServerProcess, free_port

SERVERS = {
    "asgi": ["-m", "weft", "tests.apps.tasks_gc:app", "--port"],
    "decorated": ["-m", "tests.apps.tasks_gc"],
}


@pytest.mark.parametrize("kind", sorted(SERVERS))
@pytest.mark.parametrize("path", ["/raise", "/suspend-raise"])
def test_failed_tasks_in_cycles_are_collected(kind, path):
    port = free_port()
    with ServerProcess([*SERVERS[kind], str(port)], port) as server:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            for _ in range(20):
                assert client.get(path).status_code == 500
            alive, watched = client.get("/alive").text.split("/")
    assert int(watched) == 20
    assert int(alive) == 0, f"{alive} of {watched} failed handler tasks were never freed"
