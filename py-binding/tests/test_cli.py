"""``weft app:app`` with uvicorn's flags, each checked over real sockets, and the
flags weft cannot honour refused with status 2 and the reason."""

import json
import os
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx
import pytest

from .conftest import PACKAGE_DIR, ServerProcess, free_port

APP = "tests.apps.cli_app:app"


def weft(port, *flags, env=None):
    return ServerProcess(["-m", "weft", APP, "--port", str(port), *flags], port, env=env)


def refused(*flags):
    """Runs the command line, which must stop before serving: its status and stderr."""
    proc = subprocess.run(
        [sys.executable, "-m", "weft", APP, "--port", str(free_port()), *flags],
        cwd=PACKAGE_DIR,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return proc.returncode, proc.stderr


@pytest.mark.parametrize(
    "flags, reason",
    [
        (["--uds", "/tmp/weft.sock", "--fd", "3"], "give one"),
        (["--ssl-keyfile-password", "secret"], "unencrypted PEM"),
        (["--ssl-ciphers", "ECDHE+AESGCM"], "safe default cipher"),
        (["--ssl-version", "5"], "TLS 1.2 and 1.3"),
        (["--interface", "wsgi"], "ASGI 3"),
        (["--loop", "zuvloop"], "'auto', 'asyncio' or 'uvloop'"),
        (["--http", "zttp"], "its own parser"),
        (["--reset-contextvars"], "not supported yet"),
        (["--ws", "zws"], "invalid choice"),
        (["--ssl-cert-reqs", "2"], "needs --ssl-ca-certs"),
        (["--forwarded-allow-ips", "10.0.0.0/33"], "not a network"),
        (["--access-log-format", "%(zz)s"], "unknown atom"),
        (["--header", "no-colon"], "NAME:VALUE"),
        (["--no-such-flag"], "unrecognized arguments"),
    ],
)
def test_a_flag_weft_cannot_honour_stops_it_with_the_reason(flags, reason):
    code, stderr = refused(*flags)
    assert code == 2, stderr
    assert reason in stderr


def test_the_weft_command_and_version():
    script = Path(sys.executable).parent / "weft"
    assert script.exists(), "the console script is not installed"
    out = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.startswith("weft ")


def test_default_headers_server_date_and_custom_on_both_protocols(port):
    with weft(port, "--header", "x-team:blue", "--header", "X-Other: two words"):
        for http2 in (False, True):
            with httpx.Client(http1=not http2, http2=http2) as client:
                r = client.get(f"http://127.0.0.1:{port}/")
                assert r.http_version == ("HTTP/2" if http2 else "HTTP/1.1")
                assert r.headers["server"] == "weft"
                assert "date" in r.headers
                assert r.headers["x-team"] == "blue"
                assert r.headers["x-other"] == "two words"
                # The application's own server header wins, and is not doubled.
                r = client.get(f"http://127.0.0.1:{port}/own-server")
                assert r.headers.get_list("server") == ["mine"]


def test_no_server_and_no_date_header(port):
    with weft(port, "--no-server-header", "--no-date-header"):
        for http2 in (False, True):
            with httpx.Client(http1=not http2, http2=http2) as client:
                r = client.get(f"http://127.0.0.1:{port}/")
                assert r.status_code == 200
                assert "server" not in r.headers
                assert "date" not in r.headers


def test_proxy_headers_from_a_trusted_peer(port):
    with weft(port), httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        r = client.get("/", headers={"x-forwarded-for": "203.0.113.7, 127.0.0.1", "x-forwarded-proto": "https"})
        assert r.json()["client"] == ["203.0.113.7", 0]
        assert r.json()["scheme"] == "https"
        # RFC 7239: the nearest untrusted hop, with its port and protocol.
        r = client.get("/", headers={"forwarded": 'for=198.51.100.1;proto=http, for="[2001:db8::1]:4711";proto=https'})
        assert r.json()["client"] == ["2001:db8::1", 4711]
        assert r.json()["scheme"] == "https"
        # Forwarded takes precedence over X-Forwarded-*.
        r = client.get("/", headers={"forwarded": "for=192.0.2.9", "x-forwarded-for": "192.0.2.10"})
        assert r.json()["client"] == ["192.0.2.9", 0]


def test_proxy_headers_on_websocket_scopes(port):
    from websockets.sync.client import connect

    def who(headers):
        with connect(f"ws://127.0.0.1:{port}/ws", additional_headers=headers) as ws:
            return json.loads(ws.recv())

    with weft(port):
        assert who({"x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https"}) == {"client": ["203.0.113.7", 0], "scheme": "wss"}
        assert who({"forwarded": "for=198.51.100.2:5000;proto=wss"}) == {"client": ["198.51.100.2", 5000], "scheme": "wss"}
        assert who({"x-forwarded-proto": "http"})["scheme"] == "ws"


def test_proxy_headers_cost_no_middleware():
    """The proxy headers are read in Rust while the scope is built: with them on (the
    default, and every local client is a trusted peer) the application is called as it
    is, without a Python layer per request."""
    from weft._config import Config
    from weft._run import wrap

    async def app(scope, receive, send):
        pass

    config = Config(app=app, access_log=False)
    assert config.proxy_headers
    assert wrap(app, config, lambda: None) is app


def test_proxy_headers_from_an_untrusted_peer_or_when_off_are_ignored(port):
    forged = {"x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https", "forwarded": "for=192.0.2.1"}
    with weft(port, "--forwarded-allow-ips", "10.0.0.0/8"):
        r = httpx.get(f"http://127.0.0.1:{port}/", headers=forged)
        assert r.json()["client"][0] == "127.0.0.1"
        assert r.json()["scheme"] == "http"
    port = free_port()
    with weft(port, "--no-proxy-headers", "--forwarded-allow-ips", "*"):
        r = httpx.get(f"http://127.0.0.1:{port}/", headers=forged)
        assert r.json()["client"][0] == "127.0.0.1"
    port = free_port()
    with weft(port, env={"FORWARDED_ALLOW_IPS": "*"}):
        r = httpx.get(f"http://127.0.0.1:{port}/", headers=forged)
        assert r.json()["client"] == ["192.0.2.1", 0]


def test_limit_concurrency_answers_503_beyond(port):
    with weft(port, "--limit-concurrency", "1"):
        url = f"http://127.0.0.1:{port}/slow"
        results = []
        slow = threading.Thread(target=lambda: results.append(httpx.get(url, headers={"x-sleep": "1.0"}).status_code))
        slow.start()
        time.sleep(0.4)
        r = httpx.get(f"http://127.0.0.1:{port}/")
        assert r.status_code == 503
        assert r.text == "Service Unavailable"
        slow.join()
        assert results == [200]
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200


def test_timeout_keep_alive_closes_an_idle_connection(port):
    with weft(port, "--timeout-keep-alive", "1"):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
            started = time.monotonic()
            assert sock.recv(1) == b""
            assert 0.7 < time.monotonic() - started < 3.0


def test_h11_max_incomplete_event_size_bounds_the_head(port):
    with weft(port, "--h11-max-incomplete-event-size", "2048"):
        assert httpx.get(f"http://127.0.0.1:{port}/", headers={"x-pad": "a" * 1000}).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/", headers={"x-pad": "a" * 4000}).status_code == 431


def test_backlog_reaches_listen(port):
    with weft(port, "--backlog", "77"):
        out = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
        # For a listening socket, ss shows the backlog as Send-Q.
        assert out.split()[2] == "77", out


def test_fd_serves_an_inherited_socket():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    fd = sock.fileno()
    proc = subprocess.Popen(
        [sys.executable, "-m", "weft", APP, "--fd", str(fd)],
        cwd=PACKAGE_DIR,
        pass_fds=(fd,),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        r = httpx.get(f"http://127.0.0.1:{port}/", timeout=20)
        assert r.status_code == 200 and r.json()["pid"] == proc.pid
    finally:
        proc.terminate()
        assert proc.wait(20) == 0, proc.stdout.read().decode()
        sock.close()


def test_fd_and_host_together_are_refused():
    code, stderr = refused("--fd", "3", "--host", "0.0.0.0")
    assert code == 2 and "--fd" in stderr


def tls_context(pki, client_cert=None):
    context = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    if client_cert:
        context.load_cert_chain(str(pki / client_cert))
    return context


def test_tls_with_certfile_and_keyfile(port, pki):
    with weft(port, "--ssl-certfile", str(pki / "cert.pem"), "--ssl-keyfile", str(pki / "key.pem")):
        for http2 in (False, True):
            with httpx.Client(verify=tls_context(pki), http1=not http2, http2=http2) as client:
                r = client.get(f"https://127.0.0.1:{port}/")
                assert r.json()["scheme"] == "https"
                assert r.http_version == ("HTTP/2" if http2 else "HTTP/1.1")


def test_required_client_certificates(port, pki):
    flags = ["--ssl-certfile", str(pki / "cert.pem"), "--ssl-keyfile", str(pki / "key.pem")]
    flags += ["--ssl-ca-certs", str(pki / "ca.pem"), "--ssl-cert-reqs", "2"]
    with weft(port, *flags):
        url = f"https://127.0.0.1:{port}/"
        assert httpx.get(url, verify=tls_context(pki, "client.pem")).status_code == 200
        for refused_client in (None, "intruder.pem"):
            with pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)):
                httpx.get(url, verify=tls_context(pki, refused_client))


def test_optional_client_certificates(port, pki):
    flags = ["--ssl-certfile", str(pki / "cert.pem"), "--ssl-keyfile", str(pki / "key.pem")]
    flags += ["--ssl-ca-certs", str(pki / "ca.pem"), "--ssl-cert-reqs", "1"]
    with weft(port, *flags):
        url = f"https://127.0.0.1:{port}/"
        assert httpx.get(url, verify=tls_context(pki)).status_code == 200
        assert httpx.get(url, verify=tls_context(pki, "client.pem")).status_code == 200
        with pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)):
            httpx.get(url, verify=tls_context(pki, "intruder.pem"))


def test_env_file_app_dir_factory_and_root_path(port, tmp_path):
    (tmp_path / "elsewhere.py").write_text(
        textwrap.dedent(
            """
            import os
            from tests.apps.cli_app import app as inner

            def create():
                return inner
            """
        )
    )
    (tmp_path / "vars.env").write_text("WEFT_TEST_VALUE=from-the-file\n")
    args = ["-m", "weft", "elsewhere:create", "--factory", "--app-dir", str(tmp_path)]
    args += ["--env-file", str(tmp_path / "vars.env"), "--root-path", "/api", "--port", str(port)]
    env = {"PYTHONPATH": str(PACKAGE_DIR)}
    with ServerProcess(args, port, env=env):
        body = httpx.get(f"http://127.0.0.1:{port}/").json()
        assert body["env"] == "from-the-file"
        assert body["root_path"] == "/api"
        assert body["lifespan"] is True


def test_access_log_format_and_log_config(port, tmp_path):
    log_file = tmp_path / "access.log"
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(name)s %(message)s"}},
        "handlers": {"file": {"class": "logging.FileHandler", "filename": str(log_file), "formatter": "plain"}},
        "loggers": {"weft.access": {"handlers": ["file"], "level": "INFO", "propagate": False}},
    }
    (tmp_path / "log.json").write_text(json.dumps(config))
    fmt = '%(h)s "%(r)s" %(s)s %(B)s "%(a)s" %({x-trace}i)s %({content-type}o)s'
    with weft(port, "--log-config", str(tmp_path / "log.json"), "--access-log-format", fmt):
        r = httpx.get(f"http://127.0.0.1:{port}/?q=1", headers={"user-agent": "probe/1", "x-trace": "t-9"})
        length = len(r.content)
    line = log_file.read_text().strip()
    assert line == f'weft.access 127.0.0.1 "GET /?q=1 HTTP/1.1" 200 {length} "probe/1" t-9 application/json'


def test_access_log_on_by_default_and_off(port):
    with weft(port) as server:
        httpx.get(f"http://127.0.0.1:{port}/logged")
    assert '"GET /logged HTTP/1.1" 200' in server.output()
    port = free_port()
    with weft(port, "--no-access-log") as server:
        httpx.get(f"http://127.0.0.1:{port}/logged")
    assert "/logged" not in server.output()


def test_weft_run_takes_uvicorn_run_keywords(port):
    code = textwrap.dedent(
        f"""
        import weft
        weft.run("{APP}", host="127.0.0.1", port={port}, server_header=False,
                 headers=[("x-run", "yes")], timeout_keep_alive=2, access_log=False)
        """
    )
    with ServerProcess(["-c", code], port):
        r = httpx.get(f"http://127.0.0.1:{port}/")
        assert r.headers["x-run"] == "yes"
        assert "server" not in r.headers


def test_weft_run_refuses_what_it_cannot_honour():
    import weft

    with pytest.raises(weft.UnsupportedOption, match="import string"):
        weft.run(lambda scope, receive, send: None, workers=2)
