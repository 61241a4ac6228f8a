"""The decorator API served by weft's Rust server, exercised with httpx, curl and
raw sockets."""

import asyncio
import concurrent.futures
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time

import httpx
import pytest
import trustme

from .apps.decorated import SLOW
from .conftest import ServerProcess, free_port


@pytest.fixture(scope="module")
def server():
    port = free_port()
    with ServerProcess(["-m", "tests.apps.decorated", str(port)], port) as proc:
        yield proc


def test_text_json_params_and_query(server):
    with httpx.Client(base_url=server.url) as client:
        r = client.get("/")
        assert r.status_code == 200
        assert r.text == "hello"
        assert r.headers["content-type"] == "text/plain; charset=utf-8"
        r = client.get("/users/42", params={"verbose": "true"}, headers={"user-agent": "weft-test"})
        assert r.json() == {"id": 42, "verbose": True, "agent": "weft-test", "version": "1.1"}
        assert client.get("/users/7").json()["verbose"] is False
        r = client.get("/users/not-a-number")
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == ["path", "id"]
        assert client.get("/files/a/b%20c.txt").text == "file a/b c.txt"


def test_bodies(server):
    with httpx.Client(base_url=server.url) as client:
        payload = os.urandom(200_000)
        r = client.post("/echo", content=payload)
        assert r.status_code == 200
        assert r.content == payload
        assert r.headers["x-length"] == str(len(payload))
        assert r.headers["content-type"] == "application/octet-stream"
        # A chunked upload (unknown length).
        r = client.post("/echo", content=iter([b"ab", b"cd", b"ef"]))
        assert r.content == b"abcdef"
        r = client.post("/json", json={"a": [1, 2]})
        assert r.json() == {"got": {"a": [1, 2]}, "type": "dict"}


def test_a_body_that_is_not_what_the_handler_reads_is_a_400(server):
    with httpx.Client(base_url=server.url) as client:
        r = client.post("/json", content=b"{not json")
        assert r.status_code == 400
        assert "not valid JSON" in r.json()["detail"]
        assert client.post("/json", content=b"\xff\xfe").status_code == 400
        r = client.post("/text", content=b"caf\xc3\xa9")
        assert (r.status_code, r.text) == (200, "caf\u00e9")
        r = client.post("/text", content=b"\xff")
        assert r.status_code == 400
        assert "not valid UTF-8" in r.json()["detail"]
        r = client.post("/json-or-default", content=b"nope")
        assert r.json() == {"default": True, "bad_request": True}


def test_streamed_responses(server):
    with httpx.Client(base_url=server.url) as client:
        r = client.get("/stream")
        assert r.text == "chunk0;chunk1;chunk2;chunk3;chunk4;"
        assert r.headers.get("transfer-encoding") == "chunked"
        assert client.get("/astream").text == "a0;a1;a2;"


def test_status_errors_and_none(server):
    with httpx.Client(base_url=server.url) as client:
        r = client.get("/status")
        assert (r.status_code, r.text, r.headers["x-extra"]) == (201, "created", "1")
        r = client.get("/teapot")
        assert r.status_code == 418
        assert r.json() == {"detail": "short and stout"}
        assert client.get("/boom").status_code == 500
        assert client.get("/aboom").status_code == 500
        assert client.get("/none").status_code == 204
        assert client.get("/missing").status_code == 404
        r = client.put("/")
        assert r.status_code == 405
        assert "GET" in r.headers["allow"]
        r = client.head("/")
        assert r.status_code == 200 and r.content == b""
        # Still serving after handler failures.
        assert client.get("/").text == "hello"


def test_handler_threads_keep_the_normal_scheduling_policy(server):
    # Like the loop thread (test_asgi): woken once per I/O round, no policy change.
    assert int(httpx.get(server.url + "/sched").text) == os.SCHED_OTHER


def test_results_the_server_answers_without_python_help(server):
    # Handlers taking nothing or only the request are called by the server itself,
    # which answers str / bytes / dict / list / None results; the rest goes back to
    # Python. Both halves must give the same answers as the dispatcher.
    with httpx.Client(base_url=server.url) as client:
        r = client.get("/bytes")
        assert (r.content, r.headers["content-type"]) == (b"raw", "application/octet-stream")
        r = client.get("/list")
        assert (r.json(), r.headers["content-type"]) == ([1, "two"], "application/json")
        assert client.get("/method").json() == {"method": "GET", "path": "/method"}
        assert client.get("/keyword").text == "GET"
        # Conversion errors are handler errors: 500, and the server keeps serving.
        assert client.get("/not-json").status_code == 500
        assert client.get("/surrogate").status_code == 500
        assert client.get("/").text == "hello"


def test_an_answer_is_not_held_behind_a_slow_handler_on_the_same_thread(port):
    # One handler thread: answers wait for their wake-up until the thread runs out of
    # work, but never behind a call to a route that was slow before (or never ran).
    def body(sock):
        data = b""
        while b"\r\n\r\n" not in data or not data.split(b"\r\n\r\n", 1)[1]:
            chunk = sock.recv(4096)
            assert chunk, "connection closed early"
            data += chunk
        head, rest = data.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 200")
        return int(rest)

    checked = 0
    with ServerProcess(["-m", "tests.apps.decorated", str(port)], port, env={"WEFT_TEST_THREADS": "1"}):
        host = ("127.0.0.1", port)
        for _ in range(8):
            fast = socket.create_connection(host)
            slow = socket.create_connection(host)
            fast.settimeout(5)
            slow.settimeout(5)
            try:
                start = time.monotonic()
                # Sent together so that both usually reach the handler thread in one batch.
                fast.sendall(b"GET /seq HTTP/1.1\r\nhost: x\r\n\r\n")
                slow.sendall(b"GET /slow-seq HTTP/1.1\r\nhost: x\r\n\r\n")
                fast_started = body(fast)
                waited = time.monotonic() - start
                slow_started = body(slow)
            finally:
                fast.close()
                slow.close()
            if fast_started < slow_started:
                # The fast handler ran first: its answer must not wait for /slow-seq.
                assert waited < 0.4, f"the fast answer waited {waited:.2f}s behind /slow-seq"
                checked += 1
            if checked >= 3:
                break
    assert checked, "the fast request never ran first; the test checked nothing"


def test_slow_handlers_do_not_block_other_connections(server):
    # A handler that sleeps on a handler thread (`def`) or on the loop (`async def`)
    # holds up no other connection: the fast request is answered while all five slow
    # ones still sleep. Judged by order, not by a time limit a loaded machine could miss.
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        started = time.monotonic()
        slow = pool.submit(httpx.get, server.url + "/slow", timeout=30)
        slow_async = [pool.submit(httpx.get, server.url + "/slow-async", timeout=30) for _ in range(4)]
        time.sleep(0.2)
        r = httpx.get(server.url + "/users/1", timeout=10)
        finished = [f.done() for f in [slow, *slow_async]]
        assert r.status_code == 200
        assert not any(finished), f"the fast request was answered after slow handlers: {finished}"
        assert [f.result().text for f in slow_async] == ["slow async"] * 4
        # The four async sleeps overlap on the loop: one after another they would take
        # four times as long.
        assert time.monotonic() - started < 2 * SLOW
        assert slow.result().text == "slow"


def test_a_burst_handed_over_in_one_io_round_is_answered_in_full(server):
    # Requests that arrive together reach Python as one hand-off per I/O round (the
    # wake-up is sent once, when the round ends): each of them must still be answered,
    # on both the handler threads (`def`) and the loop (`async def`).
    socks = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(32)]
    try:
        paths = [f"/users/{i}" if i % 2 else f"/files/{i}" for i in range(len(socks))]
        for sock, path in zip(socks, paths):
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        for i, sock in enumerate(socks):
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
            assert reply.startswith(b"HTTP/1.1 200"), reply
            expected = f'"id":{i}'.encode() if i % 2 else f"file {i}".encode()
            assert expected in reply.partition(b"\r\n\r\n")[2], reply
    finally:
        for sock in socks:
            sock.close()


def test_curl(server):
    curl = shutil.which("curl")
    assert curl, "curl is required (scripts/apt-packages.txt)"
    out = subprocess.run([curl, "-sS", "-i", server.url + "/users/5"], capture_output=True, check=True)
    assert out.stdout.startswith(b"HTTP/1.1 200")
    assert b'"id":5' in out.stdout
    out = subprocess.run([curl, "-sS", "--data-binary", "hello curl", server.url + "/echo"], capture_output=True, check=True)
    assert out.stdout == b"hello curl"


def test_bad_input_gets_400_and_server_survives(server):
    # A bad request that is still HTTP/1.x gets 400; a first line that is
    # neither HTTP/1.x nor the HTTP/2 preface is closed unanswered, because the
    # cleartext port also speaks h2c (RFC 9113 section 3.4).
    cases = [
        (b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", b"HTTP/1.1 400"),
        (b"GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", b"HTTP/1.1 400"),
        (b"GARBAGE\r\n\r\n", b""),
        (b"\x00\xff" * 100 + b"\r\n\r\n", b""),
    ]
    for garbage, expected in cases:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(garbage)
            reply = s.recv(4096)
            if expected:
                assert reply.startswith(expected), reply
            else:
                assert reply == b"", reply
    assert httpx.get(server.url + "/").text == "hello"


def test_keep_alive_and_pipelining(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /users/3 HTTP/1.1\r\nHost: a\r\n\r\n")
        data = b""
        deadline = time.monotonic() + 5
        while data.count(b"HTTP/1.1 200") < 2 and time.monotonic() < deadline:
            data += s.recv(65536)
        assert data.count(b"HTTP/1.1 200") == 2
        assert data.index(b"hello") < data.index(b'"id":3')


def test_workers_share_the_port_and_stop_together():
    port = free_port()
    proc = ServerProcess(["-m", "tests.apps.decorated", str(port), "2"], port)
    with proc:
        pids = set()
        deadline = time.monotonic() + 20
        while len(pids) < 2 and time.monotonic() < deadline:
            # A new connection each time, so SO_REUSEPORT spreads them.
            pids.add(int(httpx.get(proc.url + "/pid", headers={"connection": "close"}).text))
        assert len(pids) == 2, f"requests reached only {pids}"
        assert proc.proc.pid not in pids
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_http2_prior_knowledge_with_httpx_and_curl(server):
    with httpx.Client(base_url=server.url, http1=False, http2=True) as client:
        r = client.get("/users/9")
        assert r.http_version == "HTTP/2"
        assert r.json()["id"] == 9 and r.json()["version"] == "2"
        payload = os.urandom(150_000)
        assert client.post("/echo", content=payload).content == payload
        assert client.get("/stream").text == "chunk0;chunk1;chunk2;chunk3;chunk4;"

    async def concurrent_streams():
        async with httpx.AsyncClient(base_url=server.url, http1=False, http2=True) as client:
            responses = await asyncio.gather(*(client.get(f"/files/f{i}") for i in range(20)))
            slow = await asyncio.gather(*(client.get("/slow-async") for _ in range(4)))
            return [r.text for r in responses], [r.text for r in slow]

    # Streams on one connection run concurrently: four slow handlers take about as long
    # as one, where one after another they would take four times as long.
    started = time.monotonic()
    texts, slow = asyncio.run(concurrent_streams())
    assert texts == [f"file f{i}" for i in range(20)]
    assert slow == ["slow async"] * 4
    assert time.monotonic() - started < 2 * SLOW
    curl = shutil.which("curl")
    out = subprocess.run([curl, "-sS", "--http2-prior-knowledge", "-i", server.url + "/"], capture_output=True, check=True)
    assert out.stdout.startswith(b"HTTP/2 200")
    assert out.stdout.endswith(b"hello")


def test_tls_with_alpn(tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile, cafile = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.private_key_pem.write_to_path(str(keyfile))
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    ca.cert_pem.write_to_path(str(cafile))
    port = free_port()
    with ServerProcess(["-m", "tests.apps.decorated", str(port), "1", str(certfile), str(keyfile)], port):
        url = f"https://127.0.0.1:{port}"
        with httpx.Client(verify=ssl.create_default_context(cafile=str(cafile)), http2=True) as client:
            r = client.get(url + "/users/3")
            assert r.http_version == "HTTP/2"
            assert r.json()["id"] == 3
        with httpx.Client(verify=ssl.create_default_context(cafile=str(cafile))) as client:
            r = client.get(url + "/")
            assert r.http_version == "HTTP/1.1"
            assert r.text == "hello"
        out = subprocess.run([shutil.which("curl"), "-sS", "--cacert", str(cafile), url + "/"], capture_output=True, check=True)
        assert out.stdout == b"hello"


def test_a_killed_worker_is_replaced():
    port = free_port()
    proc = ServerProcess(["-m", "tests.apps.decorated", str(port), "2"], port)
    with proc:
        def pids_seen(tries=60):
            seen = set()
            for _ in range(tries):
                seen.add(int(httpx.get(proc.url + "/pid", headers={"connection": "close"}).text))
            return seen

        first = pids_seen()
        assert len(first) == 2
        victim = sorted(first)[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 20
        current = set()
        while time.monotonic() < deadline:
            try:
                current = pids_seen(20)
            except httpx.TransportError:
                continue  # a connection the dying worker had accepted
            if len(current) == 2 and victim not in current:
                break
            time.sleep(0.2)
        assert victim not in current and len(current) == 2, current
    for pid in current:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
