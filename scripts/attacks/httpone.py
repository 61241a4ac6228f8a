"""Raw HTTP/1.1 for attackers: a response reader that decodes what the server
sends (RFC 9112 §6, §7.1) so a test can check the echo of what it sent."""


def read_response(sock):
    """Reads one response: (status, headers dict, body bytes)."""
    buf = bytearray()
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError(f"closed before a response head: {bytes(buf[:80])!r}")
        buf += data
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    buf = bytearray(rest)

    def fill(n):
        while len(buf) < n:
            data = sock.recv(65536)
            if not data:
                raise ConnectionError("closed inside a response body")
            buf.extend(data)

    if "content-length" in headers:
        n = int(headers["content-length"])
        fill(n)
        return status, headers, bytes(buf[:n])
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            while b"\r\n" not in buf:
                fill(len(buf) + 1)
            line, _, _ = bytes(buf).partition(b"\r\n")
            size = int(line.split(b";")[0], 16)
            del buf[:len(line) + 2]
            fill(size + 2)
            body += buf[:size]
            del buf[:size + 2]
            if size == 0:
                return status, headers, bytes(body)
    return status, headers, bytes(buf)
