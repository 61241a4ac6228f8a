"""server-smol as seen by aioquic's HTTP/3 client: GET, a large POST, trailers both ways,
many concurrent streams, and (with --goaway-load) requests kept in flight while the
server shuts down gracefully."""
import argparse
import asyncio
import hashlib
import pathlib
import ssl
import sys

from aioquic.asyncio import connect
from aioquic.h3.connection import H3_ALPN
from aioquic.quic.configuration import QuicConfiguration

# The client is shared with the Python package's tests.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "testdata" / "peers"))
from h3_aioquic_client import H3Client  # noqa: E402


def configuration():
    config = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN)
    config.verify_mode = ssl.CERT_NONE
    return config


async def checks(host, port):
    async with connect(host, port, configuration=configuration(), create_protocol=H3Client) as c:
        r = await c.request(b"GET", b"/")
        assert r.status == 200 and bytes(r.body) == b"Hello, World!", (r.headers, r.body)
        r = await c.request(b"GET", b"/users/42")
        assert r.status == 200 and b'"id":42' in bytes(r.body).replace(b" ", b""), r.body
        print("h3 GET: ok")

        payload = bytes(range(256)) * 4096 * 4  # 4 MiB
        r = await c.request(b"POST", b"/echo", body=payload,
                            headers=[(b"content-length", str(len(payload)).encode())])
        assert r.status == 200, r.headers
        assert hashlib.sha256(r.body).digest() == hashlib.sha256(payload).digest(), len(r.body)
        print(f"h3 POST /echo {len(payload)} bytes: ok")

        r = await c.request(b"POST", b"/trailers", body=b"abcdef",
                            trailers=[(b"x-client-trailer", b"yes")])
        assert r.status == 200 and bytes(r.body) == b"abcdef", (r.headers, r.body)
        assert r.trailers and dict(r.trailers).get(b"x-body-length") == b"6", r.trailers
        print("h3 trailers both ways: ok")

        r = await c.request(b"GET", b"/static/hello.txt", headers=[(b"range", b"bytes=0-4")])
        assert r.status == 206 and bytes(r.body) == b"Hello", (r.headers, r.body)
        r = await c.request(b"DELETE", b"/")
        assert r.status == 405 and b"GET" in r.header(b"allow"), r.headers
        print("h3 static file and 405: ok")

        many = await asyncio.gather(*(c.request(b"GET", f"/users/{i}".encode()) for i in range(200)))
        for i, r in enumerate(many):
            assert r.status == 200 and f'"id":{i}'.encode() in bytes(r.body).replace(b" ", b""), r.body
        print(f"h3 {len(many)} concurrent streams: ok")


async def goaway_load(host, port, seconds):
    """Keeps 20 requests in flight until the server goes away; every request must get
    either its whole response or a clean refusal (a reset or the connection's end),
    never a truncated body."""
    done = refused = 0
    async with connect(host, port, configuration=configuration(), create_protocol=H3Client) as c:
        # The caller stops the server once this line is out: on a loaded machine the
        # client may take seconds to start, and a server gone before the handshake
        # would leave it waiting for an answer that never comes.
        r = await c.request(b"GET", b"/", timeout=10)
        assert r.status == 200, r.headers
        print("h3 GOAWAY load: running", flush=True)

        async def worker():
            nonlocal done, refused
            loop = asyncio.get_running_loop()
            end = loop.time() + seconds
            while loop.time() < end:
                try:
                    r = await c.request(b"GET", b"/", timeout=10)
                except (ConnectionError, asyncio.TimeoutError):
                    refused += 1
                    return
                assert r.status == 200 and bytes(r.body) == b"Hello, World!", (r.headers, r.body)
                done += 1
        await asyncio.gather(*(worker() for _ in range(20)))
    print(f"h3 GOAWAY under load: {done} complete, {refused} refused")
    assert done > 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("addr")
    parser.add_argument("--goaway-load", type=float, metavar="SECONDS")
    args = parser.parse_args()
    host, port = args.addr.rsplit(":", 1)
    if args.goaway_load:
        asyncio.run(goaway_load(host, int(port), args.goaway_load))
    else:
        asyncio.run(checks(host, int(port)))


if __name__ == "__main__":
    main()
