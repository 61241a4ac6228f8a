"""A minimal HTTP/3 server on aioquic, the reference peer of `conformance h3`.

    python conformance/peers/aioquic_server.py --port PORT

Answers GET with 200 and a short body, and POST with 200 and the request body once
the request has ended (trailers included). An extended CONNECT with `:protocol:
websocket` (RFC 9220) is answered 200 and its stream becomes a WebSocket echo of
unfragmented messages of up to 125 octets, enough for the catalogue's rfc9220 cases. It serves a self-signed certificate made at
start-up, so run the catalogue with --insecure. It prints `listening on HOST:PORT`
when ready. Its verdicts are aioquic's own: this file adds no protocol checks.
"""

import argparse
import asyncio
import datetime
import os
import tempfile

from aioquic.asyncio import QuicConnectionProtocol, serve
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import ProtocolNegotiated
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def self_signed(directory):
    """Writes a certificate for localhost and 127.0.0.1 and its key; returns the paths."""
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path = os.path.join(directory, "cert.pem")
    key_path = os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return cert_path, key_path


class Http3Server(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._http = None
        self._requests = {}
        self._sockets = {}

    def quic_event_received(self, event):
        if isinstance(event, ProtocolNegotiated) and event.alpn_protocol in H3_ALPN:
            self._http = H3Connection(self._quic)
        if self._http is None:
            return
        for h3_event in self._http.handle_event(event):
            self.http_event_received(h3_event)

    def http_event_received(self, event):
        if isinstance(event, HeadersReceived) and self.websocket(event):
            return
        if isinstance(event, DataReceived) and event.stream_id in self._sockets:
            self.echo(event.stream_id, event.data)
            return
        if isinstance(event, HeadersReceived):
            request = self._requests.setdefault(
                event.stream_id, {"headers": dict(event.headers), "body": b""}
            )
            if event.stream_ended:
                self.respond(event.stream_id, request)
        elif isinstance(event, DataReceived):
            request = self._requests.get(event.stream_id)
            if request is None:
                return
            request["body"] += event.data
            if event.stream_ended:
                self.respond(event.stream_id, request)

    def websocket(self, event):
        """Accepts an extended CONNECT for a WebSocket; aioquic has checked the fields."""
        headers = dict(event.headers)
        if headers.get(b":method") != b"CONNECT" or headers.get(b":protocol") != b"websocket":
            return False
        self._sockets[event.stream_id] = b""
        self._http.send_headers(event.stream_id, [(b":status", b"200")])
        self.transmit()
        return True

    def echo(self, stream_id, data):
        """Echoes each whole masked frame (RFC 6455 §5.2) unmasked, as a server sends it."""
        buffer = self._sockets[stream_id] + data
        while len(buffer) >= 6 and len(buffer) >= 6 + (buffer[1] & 0x7F):
            length = buffer[1] & 0x7F
            mask, payload = buffer[2:6], buffer[6 : 6 + length]
            unmasked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            self._http.send_data(stream_id, bytes([buffer[0], length]) + unmasked, end_stream=False)
            buffer = buffer[6 + length :]
        self._sockets[stream_id] = buffer
        self.transmit()

    def respond(self, stream_id, request):
        self._requests.pop(stream_id, None)
        if request["headers"].get(b":method") == b"POST":
            body = request["body"]
        else:
            body = b"Hello, World!\n"
        self._http.send_headers(
            stream_id,
            [
                (b":status", b"200"),
                (b"content-type", b"text/plain"),
                (b"content-length", str(len(body)).encode()),
            ],
        )
        self._http.send_data(stream_id, body, end_stream=True)
        self.transmit()


async def main(host, port):
    with tempfile.TemporaryDirectory() as directory:
        cert, key = self_signed(directory)
        config = QuicConfiguration(is_client=False, alpn_protocols=H3_ALPN)
        config.load_cert_chain(cert, key)
        await serve(host, port, configuration=config, create_protocol=Http3Server)
        print(f"listening on {host}:{port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    try:
        asyncio.run(main(args.host, args.port))
    except KeyboardInterrupt:
        pass
