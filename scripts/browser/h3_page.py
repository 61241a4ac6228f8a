"""Headless Chromium loads a page with 50 resources (25 scripts, 25 images, served by
server-smol's static files) over HTTP/3, forced onto QUIC for the server's origin with
`--origin-to-force-quic-on`. Three witnesses must agree:

- the page: its load handler counts the scripts that ran and the images that decoded,
  and `--dump-dom` shows the count in the title;
- Chromium's net-log (`--log-net-log`): every request to the origin was bound to a QUIC
  session (RFC 9000 version 1, which Chromium speaks as h3) and sent its headers as
  HTTP/3, none over TCP;
- server-smol's access log: every one of those requests came as HTTP/3.

Chromium checks a QUIC server's certificate whatever `--ignore-certificate-errors`
says (it fails with ERR_CERT_AUTHORITY_INVALID and QUIC_SESSION_CERTIFICATE_VERIFY_FAILED
in the net-log), so the test makes its own certificate with openssl and names its key
with `--ignore-certificate-errors-spki-list`. On failure the QUIC errors of the net-log
are printed: they say why Chromium did not speak QUIC.

usage: h3_page.py SERVER_BINARY
"""

import base64
import hashlib
import json
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

SCRIPTS = 25
IMAGES = 25
DEADLINE = 60.0

# A 1x1 PNG.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)

LOADED = f"loaded scripts={SCRIPTS} images={IMAGES}"


def fail(message: str) -> None:
    raise SystemExit(f"h3-page: FAIL: {message}")


def write_site(site: Path) -> None:
    """index.html and the 50 resources it loads, each under its own URL."""
    site.mkdir()
    head = []
    for i in range(SCRIPTS):
        (site / f"s{i}.js").write_text("window.ran = (window.ran || 0) + 1;\n")
        head.append(f'<script src="s{i}.js"></script>')
    body = []
    for i in range(IMAGES):
        (site / f"i{i}.png").write_bytes(PIXEL)
        body.append(f'<img src="i{i}.png" width="1" height="1">')
    count = (
        "addEventListener('load', () => {"
        "const images = [...document.images].filter(i => i.complete && i.naturalWidth > 0).length;"
        "document.title = `loaded scripts=${window.ran || 0} images=${images}`; });"
    )
    (site / "index.html").write_text(
        "<!doctype html><html><head><title>loading</title>\n"
        + "\n".join(head)
        + f"\n<script>{count}</script></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def certificate(folder: Path) -> tuple[Path, Path, str]:
    """A self-signed certificate for 127.0.0.1, its key, and the base64 SHA-256 of its
    SubjectPublicKeyInfo (what --ignore-certificate-errors-spki-list takes)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    pubkey = subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-pubkey", "-noout"], check=True, capture_output=True
    ).stdout
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-outform", "der"], input=pubkey, check=True, capture_output=True
    ).stdout
    return cert, key, base64.b64encode(hashlib.sha256(der).digest()).decode()


def start_server(binary: str, folder: Path, cert: Path, key: Path, log: Path):
    server = subprocess.Popen(
        [binary, "--bind", "127.0.0.1:0", "--tls-bind", "127.0.0.1:0", "--workers", "1",
         "--tls-cert", str(cert), "--tls-key", str(key), "--static-dir", str(folder / "site"),
         "--log", "compact"],
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    until = time.monotonic() + 10
    while time.monotonic() < until:
        match = re.search(r"h3=Some\((127\.0\.0\.1:\d+)\)", log.read_text())
        if match:
            return server, match.group(1)
        if server.poll() is not None:
            fail("server exited at start:\n" + log.read_text()[-2000:])
        time.sleep(0.1)
    server.kill()
    fail("server did not report its HTTP/3 address")


def load_page(address: str, spki: str, folder: Path) -> tuple[str, Path]:
    net_log = folder / "net-log.json"
    page = subprocess.run(
        ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", f"--user-data-dir={folder / 'profile'}",
         f"--origin-to-force-quic-on={address}",
         f"--ignore-certificate-errors-spki-list={spki}",
         f"--log-net-log={net_log}", "--net-log-capture-mode=Default",
         "--dump-dom", f"https://{address}/static/index.html"],
        capture_output=True, text=True, timeout=DEADLINE,
    )
    return page.stdout, net_log


def net_log_requests(net_log: Path, origin: str):
    """Per request to `origin`: its URL and the names of its net-log events; and the
    QUIC errors of the log (what to show when QUIC did not happen)."""
    log = json.loads(net_log.read_text())
    constants = log["constants"]
    event_name = {v: k for k, v in constants["logEventTypes"].items()}
    source_name = {v: k for k, v in constants["logSourceType"].items()}
    by_source = defaultdict(list)
    quic_errors = []
    for event in log["events"]:
        name = event_name.get(event["type"], str(event["type"]))
        source = event["source"]
        by_source[source["id"]].append((source_name.get(source["type"]), name, event.get("params") or {}))
        if name in ("QUIC_SESSION_CLOSED", "QUIC_SESSION_CERTIFICATE_VERIFY_FAILED") or (
            name == "QUIC_SESSION_POOL_JOB_CONNECT" and (event.get("params") or {}).get("net_error")
        ):
            quic_errors.append((name, event.get("params")))
    requests = {}
    for events in by_source.values():
        if events[0][0] != "URL_REQUEST":
            continue
        url = next((p["url"] for _, n, p in events if n == "URL_REQUEST_START_JOB" and "url" in p), "")
        if url.startswith(origin):
            requests[url] = {n for _, n, _ in events}
    return requests, quic_errors


def main() -> None:
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_site(folder / "site")
        cert, key, spki = certificate(folder)
        log = folder / "server.log"
        server, address = start_server(binary, folder, cert, key, log)
        try:
            dom, net_log = load_page(address, spki, folder)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                fail("server still running 15 s after SIGTERM")
        origin = f"https://{address}/"
        requests, quic_errors = net_log_requests(net_log, origin)
        title = re.search(r"<title>(.*?)</title>", dom)
        if not title or title.group(1) != LOADED:
            for error in quic_errors[:5]:
                print("h3-page: net-log:", error)
            fail(f"the page did not load all its resources: title {title and title.group(1)!r}")

        wanted = {f"{origin}static/index.html"}
        wanted |= {f"{origin}static/s{i}.js" for i in range(SCRIPTS)}
        wanted |= {f"{origin}static/i{i}.png" for i in range(IMAGES)}
        missing = wanted - set(requests)
        if missing:
            fail(f"{len(missing)} requests absent from the net-log, e.g. {sorted(missing)[:3]}")
        for url, events in requests.items():
            over_quic = {"HTTP_STREAM_REQUEST_BOUND_TO_QUIC_SESSION", "HTTP_TRANSACTION_QUIC_SEND_REQUEST_HEADERS"}
            over_tcp = {"HTTP_TRANSACTION_SEND_REQUEST_HEADERS", "HTTP_TRANSACTION_HTTP2_SEND_REQUEST_HEADERS"}
            if not over_quic <= events or events & over_tcp:
                for error in quic_errors[:5]:
                    print("h3-page: net-log:", error)
                fail(f"{url} did not go over HTTP/3: {sorted(events & (over_quic | over_tcp))}")

        served = re.findall(r'target="(/static/[^"]*)" version=(\w+)', log.read_text())
        versions = {version for _, version in served}
        if len(served) < len(wanted) or versions != {"H3"}:
            fail(f"the server logged {len(served)} static requests, versions {versions}")
    print(f"h3-page: {len(requests)} requests, every one over HTTP/3 in the net-log and the "
          f"server's log; the page ran {SCRIPTS} scripts and decoded {IMAGES} images")


if __name__ == "__main__":
    main()
