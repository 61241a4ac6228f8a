"""The ASGI host against an application that gets things wrong (tests/apps/asgi_misuse.py).

Whatever the app does, the client gets a well-formed response, a well-formed 500, or a
clean end (HTTP/2 stream reset, HTTP/1.1 connection close): never malformed bytes or a
hang. Where the ASGI spec makes a message invalid, `send()` raises and changes nothing,
so the app can still answer.
"""

import json
import socket
import time

import h2.config
import h2.connection
import h2.events
import h11
import httpx
import pytest

from .conftest import ServerProcess, free_port

PROTOCOLS = ["http1", "http2"]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    with ServerProcess(["-m", "weft", "tests.apps.asgi_misuse:app", "--port", str(port)], port) as proc:
        yield proc


def client(server, protocol):
    return httpx.Client(base_url=server.url, http1=protocol == "http1", http2=protocol == "http2", timeout=10)


def get(server, protocol, path, method="GET"):
    with client(server, protocol) as c:
        r = c.request(method, path)
    assert r.http_version == ("HTTP/2" if protocol == "http2" else "HTTP/1.1")
    return r


def events(server, path):
    return httpx.get(server.url + "/events" + path, timeout=10).text


def wait_for_events(server, path, count):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = json.loads(events(server, path))
        if found is not None and len(found) >= count:
            return found
        time.sleep(0.05)
    pytest.fail(f"{path}: the app never got that far ({events(server, path)})")


class RawH2:
    """One HTTP/2 connection driven by hand, to see frames httpx would hide."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.sock.sendall(self.conn.data_to_send())

    def request(self, method, path, headers=()):
        """Status, headers, body and how the stream ended ("end" or "reset")."""
        stream = self.conn.get_next_available_stream_id()
        self.conn.send_headers(
            stream,
            [(":method", method), (":path", path), (":scheme", "http"), (":authority", "t"), *headers],
            end_stream=True,
        )
        self.sock.sendall(self.conn.data_to_send())
        status, fields, body = None, [], b""
        while True:
            data = self.sock.recv(65535)
            if not data:
                return status, fields, body, "closed"
            for event in self.conn.receive_data(data):
                if getattr(event, "stream_id", stream) != stream:
                    continue
                if isinstance(event, h2.events.ResponseReceived):
                    fields = [(bytes(k), bytes(v)) for k, v in event.headers]
                    status = int(dict(fields)[b":status"])
                elif isinstance(event, h2.events.DataReceived):
                    body += event.data
                    self.conn.acknowledge_received_data(event.flow_controlled_length, stream)
                elif isinstance(event, h2.events.StreamEnded):
                    self.sock.sendall(self.conn.data_to_send())
                    return status, fields, body, "end"
                elif isinstance(event, h2.events.StreamReset):
                    return status, fields, body, "reset"
                elif isinstance(event, h2.events.ConnectionTerminated):
                    return status, fields, body, "goaway"
            self.sock.sendall(self.conn.data_to_send())

    def close(self):
        self.sock.close()


def raw_http1(port, *requests, read_for=1.0):
    """Sends the requests on one connection and returns every byte that came back
    before the server closed it or went quiet for `read_for` seconds."""
    with socket.create_connection(("127.0.0.1", port), timeout=read_for) as sock:
        sock.sendall(b"".join(requests))
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except TimeoutError:
            pass
    return data


def h11_responses(data, methods):
    """Parses `data` as the responses to requests with `methods`, strictly."""
    conn = h11.Connection(h11.CLIENT)
    out = []
    for method in methods:
        conn.send(h11.Request(method=method, target="/", headers=[("host", "t")]))
        conn.send(h11.EndOfMessage())
        response, body = None, b""
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                if not data:
                    raise AssertionError(f"response to {method} is incomplete: {out}")
                conn.receive_data(data)
                data = b""
                continue
            if isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                break
        out.append((response.status_code, dict(response.headers), body))
        if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
            break
        conn.start_next_cycle()
    if data:
        conn.receive_data(data)
    assert conn.next_event() in (h11.NEED_DATA, h11.PAUSED), "bytes after the last response"
    return out


# -- http.response.start ---------------------------------------------------------

BAD_STARTS = {
    "type-missing": "ValueError",
    "type-bytes": "TypeError",
    "type-unknown": "ValueError",
    "type-websocket": "ValueError",
    "status-str": "TypeError",
    "status-float": "TypeError",
    "status-bool": "TypeError",
    "status-none": "TypeError",
    "status-missing": "ValueError",
    "status-negative": "ValueError",
    "status-huge": "ValueError",
    "status-1000": "ValueError",
    "status-42": "ValueError",
    "status-0": "ValueError",
    "status-101": "ValueError",
    "status-103": "ValueError",
    "headers-none": "TypeError",
    "headers-dict-bytes": "TypeError",
    "headers-dict-str": "TypeError",
    "headers-str": "TypeError",
    "headers-str-items": "TypeError",
    "headers-bytes-items": "TypeError",
    "headers-str-pair": "TypeError",
    "headers-triple": "ValueError",
    "headers-single": "ValueError",
    "headers-int-value": "TypeError",
    "headers-list-of-ints": "TypeError",
    "name-space": "ValueError",
    "name-colon": "ValueError",
    "name-empty": "ValueError",
    "name-nonascii": "ValueError",
    "name-crlf": "ValueError",
    "value-crlf": "ValueError",
    "value-nul": "ValueError",
    "message-list": "TypeError",
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("case", sorted(BAD_STARTS))
def test_a_malformed_start_raises_and_changes_nothing(server, protocol, case):
    r = get(server, protocol, "/start/" + case)
    # The app saw the exception and could still answer normally.
    assert (r.status_code, r.text.split(":")[0]) == (200, BAD_STARTS[case]), r.text


GOOD_STARTS = ["list-of-lists", "tuple-of-tuples", "generator", "iterator-pairs", "intenum-status", "bytearray-items", "uppercase-name", "extra-keys"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("case", GOOD_STARTS)
def test_valid_start_forms_are_taken(server, protocol, case):
    r = get(server, protocol, "/good-start/" + case)
    assert (r.status_code, r.text, r.headers.get("x-a")) == (200, "ok", "1")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_start_without_headers_is_taken(server, protocol):
    r = get(server, protocol, "/good-start/no-headers")
    assert (r.status_code, r.text) == (200, "ok")


def test_uppercase_header_names_go_out_lowercased_over_http2(server):
    # RFC 9113 §8.2.1: an uppercase name makes the response malformed.
    h2c = RawH2(server.port)
    try:
        status, fields, body, end = h2c.request("GET", "/good-start/uppercase-name")
    finally:
        h2c.close()
    assert (status, body, end) == (200, b"ok", "end")
    assert (b"x-a", b"1") in fields


# -- http.response.body ----------------------------------------------------------

BAD_BODIES = {
    "str": "TypeError",
    "none": "TypeError",
    "int": "TypeError",
    "list-of-ints": "TypeError",
    "more-body-raises": "ZeroDivisionError",
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_a_malformed_body_raises_and_sends_nothing(server, protocol, case):
    r = get(server, protocol, "/body/" + case)
    assert r.status_code == 200
    assert r.text.startswith(" | " + BAD_BODIES[case] + ":"), r.text


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(
    "case", ["bytearray", "memoryview", "bytes-subclass", "more-body-truthy", "more-body-int", "extra-keys", "empty-message"]
)
def test_valid_body_forms_are_taken(server, protocol, case):
    r = get(server, protocol, "/good-body/" + case)
    assert (r.status_code, r.text) == (200, "ok")


# -- ordering --------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(
    "case, status, body",
    [
        ("body-before-start", 200, "after"),
        ("start-twice", 200, "once"),
        ("start-after-body", 200, "done"),
        ("body-after-end", 200, "done"),
        ("body-after-streamed-end", 200, "ab"),
    ],
)
def test_out_of_order_messages_raise(server, protocol, case, status, body):
    path = f"/order/{case}"
    r = get(server, protocol, path)
    assert (r.status_code, r.text) == (status, body)
    found = wait_for_events(server, path, 1)
    assert found[-1].startswith("RuntimeError:"), found


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("case", ["nothing", "start-only", "raise-before-start", "raise-after-start"])
def test_an_app_that_sends_no_complete_head_gets_a_500(server, protocol, case):
    r = get(server, protocol, "/order/" + case)
    assert r.status_code == 500
    assert r.text.startswith("500 Internal Server Error")


@pytest.mark.parametrize("case", ["raise-mid-stream", "return-mid-stream"])
def test_a_stream_left_unfinished_is_cut_over_http1(server, case):
    with pytest.raises(httpx.RemoteProtocolError):
        get(server, "http1", "/order/" + case)


@pytest.mark.parametrize("case", ["raise-mid-stream", "return-mid-stream"])
def test_a_stream_left_unfinished_is_reset_over_http2(server, case):
    h2c = RawH2(server.port)
    try:
        status, _, body, end = h2c.request("GET", "/order/" + case)
        assert (status, body, end) == (200, b"partial", "reset")
        # Only the stream is gone: the connection still serves requests.
        assert h2c.request("GET", "/good-start/no-headers")[2:] == (b"ok", "end")
    finally:
        h2c.close()


# -- the scope and the extensions ------------------------------------------------


def test_the_scope_advertises_the_extensions_weft_implements(server):
    assert get(server, "http1", "/scope/").text == (
        "['http.response.early_hint', 'http.response.pathsend', 'http.response.trailers']"
    )


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("case", ["zerocopysend", "push"])
def test_unadvertised_extensions_raise(server, protocol, case):
    r = get(server, protocol, "/extension/" + case)
    assert r.status_code == 200
    assert r.text.startswith("body ValueError: unsupported ASGI message type"), r.text


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(
    "case, error",
    [
        ("trailers", "RuntimeError: http.response.trailers before the last http.response.body"),
        ("pathsend", "RuntimeError: http.response.pathsend after http.response.body"),
        ("early-hint", "RuntimeError: http.response.early_hint after http.response.start"),
    ],
)
def test_extension_messages_out_of_order_raise(server, protocol, case, error):
    r = get(server, protocol, "/extension/" + case)
    assert r.status_code == 200
    assert r.text == "body " + error, r.text


# -- bodies that must not go on the wire -----------------------------------------


def _request(method, path, extra=b""):
    return f"{method} {path} HTTP/1.1\r\nhost: t\r\n".encode() + extra + b"\r\n"


@pytest.mark.parametrize("case", ["full", "full-no-length", "streamed"])
def test_a_body_sent_for_head_is_dropped_over_http1(server, case):
    # The second request on the connection shows where the first response ended.
    data = raw_http1(server.port, _request("HEAD", "/head/" + case), _request("GET", "/good-start/no-headers"))
    (head_status, _, head_body), (status, _, body) = h11_responses(data, ["HEAD", "GET"])
    assert (head_status, head_body, status, body) == (200, b"", 200, b"ok")


@pytest.mark.parametrize("case", ["full", "full-no-length", "streamed"])
def test_a_body_sent_for_head_is_dropped_over_http2(server, case):
    h2c = RawH2(server.port)
    try:
        status, _, body, end = h2c.request("HEAD", "/head/" + case)
    finally:
        h2c.close()
    assert (status, body, end) == (200, b"", "end")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_streamed_body_for_head_is_taken_without_error(server, protocol):
    # The app streams as it would for GET; send() must not fail because the
    # server has nothing to send.
    if protocol == "http1":
        raw_http1(server.port, _request("HEAD", "/head/streamed"), read_for=0.5)
    else:
        h2c = RawH2(server.port)
        try:
            h2c.request("HEAD", "/head/streamed")
        finally:
            h2c.close()
    assert wait_for_events(server, "/head/streamed", 4) == ["accepted"] * 4


@pytest.mark.parametrize("case", ["204", "304", "204-streamed", "304-streamed", "204-with-length", "204-with-chunked"])
def test_no_body_for_204_and_304_over_http1(server, case):
    data = raw_http1(server.port, _request("GET", "/head/" + case), _request("GET", "/good-start/no-headers"))
    (first, fields, first_body), (status, _, body) = h11_responses(data, ["GET", "GET"])
    assert (first, first_body, status, body) == (int(case[:3]), b"", 200, b"ok")
    if first == 204:
        # RFC 9110 §8.6, RFC 9112 §6.1: no Content-Length or Transfer-Encoding in a 204.
        assert b"content-length" not in fields and b"transfer-encoding" not in fields


@pytest.mark.parametrize("case", ["204", "304", "204-streamed", "304-streamed", "204-with-length", "204-with-chunked"])
def test_no_body_for_204_and_304_over_http2(server, case):
    h2c = RawH2(server.port)
    try:
        status, fields, body, end = h2c.request("GET", "/head/" + case)
    finally:
        h2c.close()
    assert (status, body, end) == (int(case[:3]), b"", "end")
    if status == 204:
        assert b"content-length" not in dict(fields) and b"transfer-encoding" not in dict(fields)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("case", ["204-streamed", "304-streamed"])
def test_a_streamed_body_for_204_and_304_is_taken_without_error(server, protocol, case):
    get(server, protocol, "/head/" + case)
    assert wait_for_events(server, "/head/" + case, 2) == ["accepted"] * 2


# -- the client goes away --------------------------------------------------------


def test_receive_and_send_after_the_client_left(server):
    # The client hangs up as soon as it has the head. Whether the server sees that
    # before or after the app's next step is a race, so it is run several times.
    for attempt in range(20):
        path = f"/order/receive-after-disconnect/{attempt}"
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(_request("GET", path))
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
        found = wait_for_events(server, path, 5)
        # The send() that put the head on the wire succeeded: the client read it.
        assert found[0] == "accepted", (attempt, found)
        # receive() keeps saying the client is gone; send() raises an OSError.
        assert found[1:3] == ["http.disconnect", "http.disconnect"], (attempt, found)
        assert all(o.split(":")[0] in ("OSError", "ClientDisconnected") for o in found[3:]), (attempt, found)


def test_send_before_any_response_after_the_client_left(server):
    path = "/order/send-after-disconnect"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(_request("GET", path))
        time.sleep(0.2)
    found = wait_for_events(server, path, 3)
    assert found[0] == "http.disconnect"
    # ASGI 2.4: send() on a closed connection raises an OSError (ClientDisconnected is one).
    assert found[1].split(":")[0] == "ClientDisconnected", found
    # The start was refused, so the body has no head to follow.
    assert found[2] != "accepted", found


def test_an_app_that_never_returns_does_not_hold_up_shutdown(port):
    args = ["-m", "weft", "tests.apps.asgi_misuse:app", "--port", str(port), "--shutdown-timeout", "1"]
    with ServerProcess(args, port) as proc:
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(proc.url + "/order/never-returns", timeout=0.5)
        # A second one still waiting when the server is told to stop.
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(_request("GET", "/order/never-returns"))
        start = time.monotonic()
        assert proc.stop() == 0
        took = time.monotonic() - start
        # The waiting client got a clean end (a 5xx or the connection closed), not silence.
        sock.settimeout(5)
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            data = b""
        finally:
            sock.close()
        assert data == b"" or data.startswith(b"HTTP/1.1 5"), data
    # --shutdown-timeout covers the connections and the app's pending calls; then the
    # calls are cancelled, with a second to clean up.
    assert took < 3.5, f"the server took {took:.1f}s to stop"


# -- websocket upgrade requests --------------------------------------------------

UPGRADE = b"connection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n"


def test_an_app_that_fails_a_websocket_scope_answers_500(server):
    # This app knows only `http` scopes (it asserts so): an upgrade now reaches it as a
    # `websocket` scope, and an app that raises before accepting gets 500 (ASGI 2.4),
    # with the connection never switched.
    data = raw_http1(server.port, _request("GET", "/upgrade/", UPGRADE))
    responses = h11_responses(data, ["GET"])
    assert responses[0][0] == 500
    assert b"upgrade" not in responses[0][1]


# -- BaseExceptions from the app -------------------------------------------------

# Whenever the app raises them (first step, a later one, mid-stream), SystemExit and
# KeyboardInterrupt end only that request, as uvicorn's run_asgi does; an asyncio.Task
# would pass them on and stop the loop, taking every other request with it.


@pytest.mark.parametrize(
    "name, when",
    [
        ("systemexit", "now"),
        ("keyboardinterrupt", "now"),
        ("cancelled", "now"),
        ("generatorexit", "now"),
        ("custom", "now"),
        ("cancelled", "later"),
        ("generatorexit", "later"),
        ("custom", "later"),
        ("custom", "streaming"),
        ("systemexit", "later"),
        ("keyboardinterrupt", "later"),
        ("systemexit", "streaming"),
    ],
)
def test_a_base_exception_from_the_app_ends_only_its_request(port, name, when):
    args = ["-m", "weft", "tests.apps.asgi_misuse:app", "--port", str(port)]
    proc = ServerProcess(args, port)
    with proc:
        path = f"/order/base-exception/{name}/{when}"
        if when == "streaming":
            with pytest.raises(httpx.RemoteProtocolError):
                httpx.get(proc.url + path, timeout=5)
        else:
            assert httpx.get(proc.url + path, timeout=5).status_code == 500
        time.sleep(0.2)
        assert proc.proc.poll() is None, "the server exited"
        assert httpx.get(proc.url + "/good-start/no-headers", timeout=5).text == "ok"


# -- fields the server owns or that belong to one connection ----------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_date_the_app_set_is_the_only_date(server, protocol):
    r = get(server, protocol, "/hop-by-hop/date")
    # RFC 9110 §6.6.1: one value (httpx joins repeated fields with ", ").
    assert (r.text, r.headers["date"]) == ("hello", "Tue, 01 Jan 2030 00:00:00 GMT")


@pytest.mark.parametrize("case", ["connection-close", "keep-alive", "chunked", "upgrade", "proxy-connection"])
def test_connection_specific_fields_stay_off_http2(server, case):
    # RFC 9113 §8.2.2: they would make the response malformed.
    h2c = RawH2(server.port)
    try:
        status, fields, body, end = h2c.request("GET", "/hop-by-hop/" + case)
    finally:
        h2c.close()
    assert (status, body, end) == (200, b"hello", "end")
    names = {name for name, _ in fields}
    assert not names & {b"connection", b"keep-alive", b"transfer-encoding", b"upgrade", b"proxy-connection"}


@pytest.mark.parametrize("case", ["4/stream", "9/stream"])
def test_a_streamed_body_off_its_declared_length_is_cut(server, case):
    data = raw_http1(server.port, _request("GET", "/framing/" + case), _request("GET", "/good-start/no-headers"))
    with pytest.raises(AssertionError, match="incomplete|bytes after"):
        h11_responses(data, ["GET", "GET"])
    # The connection closed mid-body: the second request was never answered.
    assert data.count(b"HTTP/1.1 ") == 1
    h2c = RawH2(server.port)
    try:
        assert h2c.request("GET", "/framing/" + case)[3] == "reset"
    finally:
        h2c.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("case", ["4/full", "abc/full", "abc/stream", "-1/stream"])
def test_a_declared_length_that_cannot_hold_is_a_500(server, protocol, case):
    assert get(server, protocol, "/framing/" + case).status_code == 500


def test_ws_none_answers_upgrades_as_plain_http_without_a_warning(port):
    # `--ws none` (uvicorn's flag): an upgrade is a plain HTTP request, and nothing is
    # logged about it (the access log, which names the path, is off).
    args = ["-m", "weft", "tests.apps.asgi_misuse:app", "--port", str(port), "--ws", "none", "--no-access-log"]
    with ServerProcess(args, port) as proc:
        for _ in range(2):
            data = raw_http1(port, _request("GET", "/upgrade/", UPGRADE.replace(b"websocket", b"WebSocket")))
            assert data.startswith(b"HTTP/1.1 200 ")
            assert b"plain http 1.1" in data
        assert httpx.get(proc.url + "/good-start/no-headers").text == "ok"
        proc.stop()
        output = proc.output()
    assert "upgrade" not in output.lower(), output


def test_malformed_websocket_requests_over_http2_are_refused_cleanly(server):
    # An ASGI app may open WebSockets, so weft offers extended CONNECT (RFC 8441 §3):
    # one without Sec-WebSocket-Version gets an HTTP answer (RFC 8441 §5 keeps RFC 6455's
    # checks), a connection-specific 'upgrade' field is malformed (RFC 9113 §8.2.2): a
    # stream reset, and the connection carries on.
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    config = h2.config.H2Configuration(client_side=True, validate_outbound_headers=False, normalize_outbound_headers=False)
    conn = h2.connection.H2Connection(config)
    conn.initiate_connection()
    base = [(":scheme", "http"), (":authority", "t"), (":path", "/upgrade/")]
    conn.send_headers(1, [(":method", "CONNECT"), (":protocol", "websocket"), *base], end_stream=False)
    conn.send_headers(3, [(":method", "GET"), *base, ("upgrade", "websocket")], end_stream=True)
    conn.send_headers(5, [(":method", "GET"), *base], end_stream=True)
    sock.sendall(conn.data_to_send())
    resets, body, status = set(), b"", None
    try:
        while status is None or not resets or not body:
            data = sock.recv(65535)
            assert data, "the server closed the connection"
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.StreamReset):
                    resets.add(event.stream_id)
                elif isinstance(event, h2.events.ResponseReceived) and event.stream_id == 1:
                    status = int(dict(event.headers)[b":status"])
                elif isinstance(event, h2.events.DataReceived) and event.stream_id == 5:
                    body += event.data
            sock.sendall(conn.data_to_send())
    finally:
        sock.close()
    assert conn.remote_settings.enable_connect_protocol == 1
    assert (status, resets, body) == (400, {3}, b"plain http 2")
