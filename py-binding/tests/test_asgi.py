"""The ASGI 3 host: a raw ASGI app and a real Starlette app, over httpx and curl."""

import json
import os
import shutil
import socket
import subprocess
import time

import httpx
import pytest

from .conftest import ServerProcess, free_port


@pytest.fixture(scope="module")
def raw():
    port = free_port()
    with ServerProcess(["-m", "weft", "tests.apps.asgi_raw:app", "--port", str(port)], port) as proc:
        yield proc


def test_scope(raw):
    r = httpx.get(raw.url + "/scope?x=1&y=%20", headers={"X-Custom": "Value"})
    scope = r.json()
    assert scope["method"] == "GET"
    assert scope["path"] == "/scope"
    assert scope["query_string"] == "x=1&y=%20"
    assert scope["http_version"] == "1.1"
    assert scope["scheme"] == "http"
    assert ["x-custom", "Value"] in scope["headers"]
    assert scope["state"] == {"started": "yes"}
    assert scope["client"][0] == "127.0.0.1"
    r = httpx.get(raw.url + "/scope/../scope%2Fx%20y")
    assert r.status_code in (200, 404)


def test_loop_thread_keeps_the_normal_scheduling_policy(raw):
    # The I/O threads wake the loop once per round of ready tasks (the bridge's round
    # hook), so it needs no scheduler-policy change to take requests in bursts.
    assert int(httpx.get(raw.url + "/sched").text) == os.SCHED_OTHER


def test_an_app_with_lifespan_stops_promptly(port):
    # SIGTERM: in-flight requests finish, then lifespan shutdown; nothing waits for the
    # lifespan task itself (which only ends after its shutdown message).
    args = ["-m", "weft", "tests.apps.asgi_raw:app", "--port", str(port)]
    with ServerProcess(args, port) as proc:
        assert httpx.get(proc.url + "/scope").status_code == 200
        start = time.monotonic()
        assert proc.stop() == 0
        took = time.monotonic() - start
    assert took < 3.0, f"the server took {took:.1f}s to stop"


def test_percent_decoded_path(raw):
    r = httpx.get(raw.url + "/sc%6Fpe")
    assert r.json()["path"] == "/scope"
    assert r.json()["raw_path"] == "/sc%6Fpe"


def test_request_body_streams_in(raw):
    payload = os.urandom(300_000)
    r = httpx.post(raw.url + "/echo", content=payload)
    assert r.content == payload

    def parts():
        for _ in range(20):
            yield b"z" * 10_000
            time.sleep(0.005)

    r = httpx.post(raw.url + "/echo", content=parts())
    assert r.content == b"z" * 200_000
    assert int(r.headers["x-chunks"]) > 1


def test_response_streams_out(raw):
    with httpx.stream("GET", raw.url + "/stream") as r:
        lines = [line for line in r.iter_lines()]
    assert lines == [f"line {i}" for i in range(100)]
    r = httpx.get(raw.url + "/big")
    assert len(r.content) == 64 * 65536


def test_app_errors_are_500(raw):
    assert httpx.get(raw.url + "/crash").status_code == 500
    assert httpx.get(raw.url + "/nothing").status_code == 500
    assert httpx.get(raw.url + "/").text == "Hello, world!"


def test_client_disconnect_is_reported(raw):
    with httpx.stream("GET", raw.url + "/forever") as r:
        for _ in r.iter_bytes():
            break
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if "disconnected" in httpx.get(raw.url + "/events").text:
            return
        time.sleep(0.1)
    pytest.fail("the app's send() never raised after the client went away")


def _wait_for_event(raw, event):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if event in httpx.get(raw.url + "/events").text.split(","):
            return
        time.sleep(0.05)
    pytest.fail(f"the app never recorded {event!r}")


def test_receive_reports_disconnect_when_the_client_goes(raw):
    with httpx.stream("GET", raw.url + "/watch-disconnect") as r:
        assert r.status_code == 200
        for chunk in r.iter_bytes():
            assert chunk.startswith(b"waiting")
            break
    _wait_for_event(raw, "receive:http.disconnect")


def test_receive_reports_disconnect_before_any_response(raw):
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(raw.url + "/long-poll", timeout=0.5)
    _wait_for_event(raw, "long-poll:http.disconnect")


@pytest.mark.parametrize("how", ["reset the stream", "close the connection"])
def test_receive_reports_disconnect_over_http2(raw, how):
    import socket

    import h2.config
    import h2.connection
    import h2.errors
    import h2.events

    events_before = httpx.get(raw.url + "/events").text.split(",").count("receive:http.disconnect")
    with socket.create_connection(("127.0.0.1", raw.port), timeout=10) as sock:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        conn.send_headers(
            1,
            [(":method", "GET"), (":path", "/watch-disconnect"), (":scheme", "http"), (":authority", "t")],
            end_stream=True,
        )
        sock.sendall(conn.data_to_send())
        started = False
        while not started:
            data = sock.recv(65535)
            assert data, "the server closed the connection"
            started = any(isinstance(e, h2.events.DataReceived) for e in conn.receive_data(data))
            sock.sendall(conn.data_to_send())
        if how == "reset the stream":
            conn.reset_stream(1, h2.errors.ErrorCodes.CANCEL)
            sock.sendall(conn.data_to_send())
            # The connection stays open: only the stream is gone.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                count = httpx.get(raw.url + "/events").text.split(",").count("receive:http.disconnect")
                if count > events_before:
                    return
                time.sleep(0.05)
            pytest.fail("receive() never reported the reset stream")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if httpx.get(raw.url + "/events").text.split(",").count("receive:http.disconnect") > events_before:
            return
        time.sleep(0.05)
    pytest.fail("receive() never reported the closed connection")


def test_receive_after_the_response_reports_disconnect(raw):
    assert httpx.get(raw.url + "/after-response").text == "done"
    _wait_for_event(raw, "after:http.disconnect")


def test_curl_against_asgi(raw):
    curl = shutil.which("curl")
    assert curl, "curl is required"
    out = subprocess.run([curl, "-sS", raw.url + "/"], capture_output=True, check=True)
    assert out.stdout == b"Hello, world!"


def test_starlette_app(tmp_path):
    port = free_port()
    log = tmp_path / "lifespan.log"
    env = {"WEFT_TEST_LOG": str(log)}
    proc = ServerProcess(["-m", "weft", "tests.apps.starlette_app:app", "--port", str(port)], port, env=env)
    with proc:
        with httpx.Client(base_url=proc.url) as client:
            assert client.get("/").text == "Hello from Starlette"
            assert client.get("/users/12", params={"q": "a b"}).json() == {"id": 12, "q": "a b"}
            assert client.get("/users/x").status_code == 404
            assert client.get("/greeting").text == "hi from lifespan"
            r = client.post("/upload", content=iter([b"a" * 50_000] * 4))
            assert r.json() == {"received": 200_000}
            assert client.get("/stream").text == "".join(f"{i}\n" for i in range(10))
            assert client.post("/json", json={"k": [1, "2"]}).json() == {"echo": {"k": [1, "2"]}}
        with httpx.Client(base_url=proc.url, http1=False, http2=True) as client:
            r = client.get("/users/5", params={"q": "h2"})
            assert r.http_version == "HTTP/2"
            assert r.json() == {"id": 5, "q": "h2"}
            assert client.get("/stream").text == "".join(f"{i}\n" for i in range(10))
    assert log.read_text().split() == ["startup", "shutdown"]


def test_serve_function_and_workers(tmp_path):
    port = free_port()
    script = tmp_path / "serve_it.py"
    script.write_text(
        "import sys, weft\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "weft.serve('tests.apps.asgi_raw:app', '127.0.0.1', int(sys.argv[1]), workers=2)\n"
    )
    from .conftest import PACKAGE_DIR

    with ServerProcess([str(script), str(port), str(PACKAGE_DIR)], port) as proc:
        for _ in range(10):
            assert httpx.get(proc.url + "/", headers={"connection": "close"}).text == "Hello, world!"


def test_asgi_over_http2(raw):
    with httpx.Client(base_url=raw.url, http1=False, http2=True) as client:
        scope = client.get("/scope").json()
        assert scope["http_version"] == "2"
        assert scope["method"] == "GET"
        payload = os.urandom(200_000)
        assert client.post("/echo", content=payload).content == payload
        r = client.get("/stream")
        assert r.http_version == "HTTP/2"
        assert r.text.splitlines() == [f"line {i}" for i in range(100)]
        assert len(client.get("/big").content) == 64 * 65536


@pytest.mark.parametrize("http2", [False, True])
def test_a_header_that_cannot_be_sent_is_a_500(raw, http2):
    with httpx.Client(base_url=raw.url, http1=not http2, http2=http2) as client:
        r = client.get("/bad-header")
        assert r.http_version == ("HTTP/2" if http2 else "HTTP/1.1")
        assert r.status_code == 500
        assert "x-bad" not in r.headers and "x-injected" not in r.headers


def test_command_line_server_limits(port):
    # The server limits reach server-smol from `python -m weft`'s flags.
    args = [
        "-m", "weft", "tests.apps.asgi_raw:app", "--port", str(port),
        "--max-body", "16", "--keep-alive-timeout", "0.5", "--no-h2c", "--io-threads", "2",
    ]
    with ServerProcess(args, port) as proc:
        assert httpx.post(proc.url + "/echo", content=b"x" * 16).content == b"x" * 16
        assert httpx.post(proc.url + "/echo", content=b"x" * 17).status_code == 413
        with socket.create_connection(("127.0.0.1", port), timeout=5) as idle:
            idle.sendall(b"GET /scope HTTP/1.1\r\nhost: x\r\n\r\n")
            assert idle.recv(65536).startswith(b"HTTP/1.1 200")
            # Idle past the keep-alive timeout: the server closes the connection.
            time.sleep(1.5)
            assert idle.recv(65536) == b""
        with socket.create_connection(("127.0.0.1", port), timeout=5) as h2c:
            # HTTP/2 with prior knowledge is refused: no SETTINGS frame comes back.
            h2c.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            assert h2c.recv(65536).startswith(b"HTTP/1.1 ")
