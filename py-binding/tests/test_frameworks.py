"""Five frameworks served by ``weft app:app`` and by uvicorn in the same test: every
response (status, header fields in order but ``date`` and ``server``, and body) must be
the same, over HTTP/1.1, and over HTTP/2 for weft (uvicorn serves HTTP/1.1 only, so
the HTTP/2 answers are compared with its HTTP/1.1 ones, less the fields that only
HTTP/1.1 has)."""

import subprocess
import sys
import time

import httpx
import pytest

from .conftest import PACKAGE_DIR, ServerProcess, free_port

FRAMEWORKS = ["fastapi", "starlette", "django", "litestar", "quart"]
#: Django has neither ASGI lifespan nor background tasks of its own.
WITHOUT_LIFESPAN = {"django"}

UPLOAD = ("report.txt", b"0123456789" * 10_000, "text/plain")
REQUESTS = [
    ("GET", "/items/42?q=hello%20world", {}),
    ("GET", "/items/not-a-number", {}),
    ("POST", "/json", {"json": {"a": [1, 2, {"b": None}], "c": "é"}}),
    ("POST", "/form", {"data": {"name": "weft & co"}}),
    ("POST", "/upload", {"files": {"file": UPLOAD}}),
    ("GET", "/stream", {}),
    ("GET", "/file", {}),
    # A sync endpoint: the framework's worker threads (anyio, asgiref, executors).
    ("GET", "/sync/7", {}),
    ("GET", "/error", {}),
    ("GET", "/teapot", {}),
    ("GET", "/missing", {}),
]
#: Fields that belong to one HTTP/1.1 connection (RFC 9113 §8.2.2 forbids them).
HTTP1_ONLY = {b"connection", b"keep-alive", b"transfer-encoding"}


class Uvicorn(ServerProcess):
    """uvicorn re-raises SIGTERM once it has shut down gracefully, so it exits with
    -15 rather than 0."""

    def __exit__(self, *exc):
        code = self.stop()
        if exc[0] is None:
            assert code in (0, -15), f"uvicorn exited with {code}:\n{self.output()}"


def uvicorn(app: str, port: int, env: dict) -> ServerProcess:
    assert subprocess.run([sys.executable, "-m", "uvicorn", "--version"], capture_output=True).returncode == 0
    args = ["-m", "uvicorn", app, "--port", str(port), "--no-access-log", "--http", "h11"]
    return Uvicorn(args, port, env=env)


# Fields an application fills from the clock (Quart's `send_file` sets `expires` to now
# plus the cache age): two servers answering a second apart differ there, so only their
# presence and place are compared.
FROM_THE_CLOCK = {b"expires"}


def comparable(response: httpx.Response, drop=frozenset()) -> tuple:
    fields = [
        (name.lower(), b"<clock>" if name.lower() in FROM_THE_CLOCK else value)
        for name, value in response.headers.raw
        if name.lower() not in {b"date", b"server"} | drop
    ]
    return response.status_code, fields, response.content


def same_framing(ours: tuple, theirs: tuple, theirs_chunked: bool) -> "tuple[tuple, tuple]":
    """A body the application sent in one message without a length: uvicorn (h11)
    chunks it, weft states its length. Both frame the same bytes; the framing fields
    are left out of the comparison in that case only."""
    length = (b"content-length", str(len(ours[2])).encode())
    if theirs_chunked and length in ours[1] and length not in theirs[1]:
        chunked = (b"transfer-encoding", b"chunked")
        ours = (ours[0], [f for f in ours[1] if f != length], ours[2])
        theirs = (theirs[0], [f for f in theirs[1] if f != chunked], theirs[2])
    return ours, theirs


def exchange(client: httpx.Client, base: str, method: str, target: str, options: dict) -> httpx.Response:
    return client.request(method, base + target, **options)


def background_result(client: httpx.Client, base: str):
    assert client.get(base + "/background", params={"value": "v1"}).text == "scheduled"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done = client.get(base + "/background-done").json()["done"]
        if done:
            return done
        time.sleep(0.05)
    return None


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_weft_answers_like_uvicorn(framework, tmp_path):
    app = f"tests.apps.frameworks.{framework}_app:app"
    weft_log, uvicorn_log = tmp_path / "weft.log", tmp_path / "uvicorn.log"
    weft_port, uvicorn_port = free_port(), free_port()
    weft = ServerProcess(
        ["-m", "weft", app, "--port", str(weft_port), "--no-access-log"],
        weft_port,
        env={"WEFT_FRAMEWORK_LOG": str(weft_log)},
    )
    reference = uvicorn(app, uvicorn_port, {"WEFT_FRAMEWORK_LOG": str(uvicorn_log)})
    with weft, reference:
        ours, theirs = weft.url, reference.url
        with httpx.Client(timeout=20) as h1, httpx.Client(http1=False, http2=True, timeout=20) as h2:
            for method, target, options in REQUESTS:
                reference = exchange(h1, theirs, method, target, options)
                chunked = reference.headers.get("transfer-encoding") == "chunked"
                got = exchange(h1, ours, method, target, options)
                assert got.http_version == "HTTP/1.1"
                got, expected = same_framing(comparable(got), comparable(reference), chunked)
                assert got == expected, (method, target)
                got = exchange(h2, ours, method, target, options)
                assert got.http_version == "HTTP/2"
                got, expected = same_framing(comparable(got, HTTP1_ONLY), comparable(reference, HTTP1_ONLY), chunked)
                assert got == expected, ("h2", method, target)
            if framework not in WITHOUT_LIFESPAN:
                assert background_result(h1, ours) == background_result(h1, theirs) == ["v1"]
                r = h1.get(ours + "/items/1")
                assert r.json()["started"] is True
    if framework not in WITHOUT_LIFESPAN:
        assert weft_log.read_text().split() == ["startup", "shutdown"]
        assert uvicorn_log.read_text().split() == ["startup", "shutdown"]
