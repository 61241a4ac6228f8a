"""server-smol as seen by httpx (HTTP/1.1, h2c prior knowledge, h2 over TLS by ALPN)."""
import hashlib
import sys

import httpx

plain, tls = sys.argv[1], sys.argv[2]
payload = bytes(range(256)) * 4096  # 1 MiB

def check(client, base, version):
    r = client.get(f"{base}/")
    assert r.status_code == 200 and r.text == "Hello, World!", (r.status_code, r.text)
    assert r.http_version == version, (r.http_version, version)
    r = client.get(f"{base}/users/42")
    assert r.json() == {"id": 42, "name": "user 42"}, r.text
    r = client.post(f"{base}/echo", content=payload)
    assert r.status_code == 200, r.status_code
    assert hashlib.sha256(r.content).digest() == hashlib.sha256(payload).digest()
    r = client.get(f"{base}/static/hello.txt", headers={"Range": "bytes=0-4"})
    assert r.status_code == 206 and r.content == b"Hello", (r.status_code, r.content)
    r = client.delete(f"{base}/")
    assert r.status_code == 405 and "GET" in r.headers["allow"], r.headers
    with client.stream("GET", f"{base}/sse?count=3&interval_ms=20") as r:
        events = [line for line in r.iter_lines() if line.startswith("event:")]
    assert events == ["event: tick"] * 3, events
    print(f"httpx {version} via {base}: ok")

with httpx.Client() as c:
    check(c, f"http://{plain}", "HTTP/1.1")
with httpx.Client(http1=False, http2=True) as c:
    check(c, f"http://{plain}", "HTTP/2")
with httpx.Client(http2=True, verify=False) as c:
    check(c, f"https://{tls}", "HTTP/2")
with httpx.Client(verify=False) as c:
    check(c, f"https://{tls}", "HTTP/1.1")
