"""WebSocket over HTTP/2 (RFC 8441), h2c and TLS: the ASGI host's websocket scope (a raw
app and a FastAPI endpoint) and the decorator API, from python-hyper's h2 and wsproto."""

import json
import ssl

import pytest
import trustme
from wsproto.events import CloseConnection

from h2_websocket_client import H2WebSocket

from .conftest import ServerProcess, free_port


def tls_context(ca):
    """A client context trusting `ca` (a trustme CA)."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    folder = tmp_path_factory.mktemp("tls")
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(certfile)
    cert.private_key_pem.write_to_path(keyfile)
    return ca, str(certfile), str(keyfile)


@pytest.fixture(scope="module", params=["h2c", "tls"])
def asgi(request, tls_files):
    """The raw ASGI app of tests/apps/asgi_ws.py, and the client context (None for h2c)."""
    ca, certfile, keyfile = tls_files
    port = free_port()
    args = ["-m", "weft", "tests.apps.asgi_ws:raw", "--port", str(port)]
    context = None
    if request.param == "tls":
        args += ["--certfile", certfile, "--keyfile", keyfile]
        context = tls_context(ca)
    with ServerProcess(args, port) as proc:
        yield proc, context


def test_asgi_echo_and_plain_requests_share_one_connection(asgi):
    server, context = asgi
    ws = H2WebSocket(server.port, "/echo", context, subprotocols=["one", "two"])
    assert ws.status == 200
    assert "content-length" not in ws.headers
    assert (ws.headers["sec-websocket-protocol"], ws.headers["x-accepted"]) == ("two", "yes")
    ws.send("hello over HTTP/2")
    assert ws.recv() == "hello over HTTP/2"
    status, _ = ws.get("/log")
    assert status == 200
    # Larger than a stream's flow-control window, both ways.
    big = bytes(i % 251 for i in range(200_000))
    ws.send(big)
    assert ws.recv() == big
    answer = ws.close(4010, "client done")
    assert answer.code == 4010
    other = H2WebSocket(server.port, "/echo", context)
    _, log = other.get("/log")
    assert ["echo disconnect", 4010] in json.loads(log)
    other.close()


def test_asgi_scope_over_http2(asgi):
    server, context = asgi
    ws = H2WebSocket(server.port, "/scope?a=1", context)
    scope = json.loads(ws.recv())
    assert scope["http_version"] == "2"
    assert scope["scheme"] == ("wss" if context else "ws")
    assert (scope["path"], scope["query_string"]) == ("/scope", "a=1")
    assert not scope["has_method"]
    # websocket.close from the app: a Close 1000, answered.
    close = ws.recv()
    assert isinstance(close, CloseConnection) and close.code == 1000
    ws.send_event(close.response())
    ws.sock.close()


def test_asgi_refusals_are_http_answers(asgi):
    server, context = asgi
    # websocket.http.response: the app's own response to the extended CONNECT.
    ws = H2WebSocket(server.port, "/deny", context)
    ws.pump(lambda: ws.stream in ws.ended, "the refusal's body")
    assert (ws.status, ws.responses[ws.stream][1]) == (401, b"no entry")
    ws.sock.close()
    ws = H2WebSocket(server.port, "/close-before-accept", context)
    assert ws.status == 403
    ws.sock.close()


def test_fastapi_endpoint_over_h2c():
    port = free_port()
    with ServerProcess(["-m", "weft", "tests.apps.asgi_ws:fastapi_app", "--port", str(port)], port):
        ws = H2WebSocket(port, "/items/7")
        ws.send(json.dumps({"a": 1}))
        assert json.loads(ws.recv()) == {"item": 7, "got": {"a": 1}}
        ws.close()


def test_fastapi_endpoint_over_tls(tls_files):
    ca, certfile, keyfile = tls_files
    port = free_port()
    args = ["-m", "weft", "tests.apps.asgi_ws:fastapi_app", "--port", str(port), "--certfile", certfile, "--keyfile", keyfile]
    with ServerProcess(args, port):
        ws = H2WebSocket(port, "/items/8", tls_context(ca))
        ws.send(json.dumps({"b": 2}))
        assert json.loads(ws.recv()) == {"item": 8, "got": {"b": 2}}
        ws.close()


@pytest.mark.parametrize("secure", [False, True], ids=["h2c", "tls"])
def test_decorator_routes_over_http2(secure, tls_files):
    ca, certfile, keyfile = tls_files
    port = free_port()
    args = ["-m", "tests.apps.ws_decorated", str(port)]
    context = None
    if secure:
        args += [certfile, keyfile]
        context = tls_context(ca)
    with ServerProcess(args, port):
        ws = H2WebSocket(port, "/echo/lobby?prefix=%3E", context)
        ws.send("hi")
        assert ws.recv() == ">lobby:hi"
        ws.send(b"\x01\x02")
        assert ws.recv() == b"\x02\x01"
        assert ws.close().code == 1000
        ws = H2WebSocket(port, "/typed", context, subprotocols=["superchat"])
        assert ws.headers["sec-websocket-protocol"] == "superchat"
        ws.send("text")
        ws.send(b"abc")
        assert ws.recv() == "text|3|superchat"
        assert ws.recv() == b"abc"
        # The handler returned: Close 1000.
        assert ws.recv().code == 1000
        ws.sock.close()
