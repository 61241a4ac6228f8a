"""Raw HTTP/2 for attackers: frames and HPACK representations built by hand, so a
test can send exactly the bytes it means (RFC 9113 §4.1, RFC 7541 §6), and a
connection with an optional reader thread that answers SETTINGS, grants the
server window for what it sends, and records what arrives.
"""
import queue
import socket
import struct
import threading
import time

from hpack import Decoder

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS = 0x0, 0x1, 0x2, 0x3, 0x4
PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0x5, 0x6, 0x7, 0x8, 0x9
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
SETTINGS_INITIAL_WINDOW_SIZE = 0x4
PROTOCOL_ERROR, REFUSED_STREAM = 0x1, 0x7
MAX_FRAME = 16384


def frame(kind, flags, stream, payload=b""):
    """One frame: 24-bit length, type, flags, 31-bit stream identifier (RFC 9113 §4.1)."""
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def settings_frame(pairs=()):
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


def window_update(stream, increment):
    return frame(WINDOW_UPDATE, 0, stream, struct.pack(">I", increment))


def ping(data=b"\0" * 8, ack=False):
    return frame(PING, ACK if ack else 0, 0, data)


def rst_stream(stream, code):
    return frame(RST_STREAM, 0, stream, struct.pack(">I", code))


def header_frames(stream, block, end_stream=True):
    """A header block as HEADERS plus CONTINUATION frames of at most MAX_FRAME."""
    pieces = [block[i:i + MAX_FRAME] for i in range(0, len(block), MAX_FRAME)] or [b""]
    out = []
    for i, piece in enumerate(pieces):
        flags = END_HEADERS if i == len(pieces) - 1 else 0
        if i == 0:
            out.append(frame(HEADERS, flags | (END_STREAM if end_stream else 0), stream, piece))
        else:
            out.append(frame(CONTINUATION, flags, stream, piece))
    return b"".join(out)


# --- HPACK representations (RFC 7541 §5.1, §6) --------------------------------------------

def hpack_int(value, prefix_bits, first=0):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = bytearray([first | limit])
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def hpack_string(data):
    """A string literal without Huffman coding (§5.2): the decoder may keep it as a
    slice of the block, which is what the pinning attacks need."""
    return hpack_int(len(data), 7) + data


def indexed(index):
    """An indexed field (§6.1)."""
    return hpack_int(index, 7, 0x80)


def literal_indexed(name, value):
    """A literal field with incremental indexing and a new name (§6.2.1)."""
    return b"\x40" + hpack_string(name) + hpack_string(value)


def literal_plain(name, value):
    """A literal field without indexing and a new name (§6.2.2)."""
    return b"\x00" + hpack_string(name) + hpack_string(value)


def literal_static_name(index, value):
    """A literal field without indexing whose name is table entry `index` (§6.2.2);
    content-length is static entry 28."""
    return hpack_int(index, 4) + hpack_string(value)


def request_block(method=b"GET", path=b"/", authority=b"localhost"):
    """Pseudo-header fields of a request; :method GET and POST, :scheme http and
    :path / are static-table entries 2, 3, 6 and 4 (Appendix A)."""
    out = indexed(2 if method == b"GET" else 3) + indexed(6)
    out += indexed(4) if path == b"/" else b"\x04" + hpack_string(path)
    return out + b"\x01" + hpack_string(authority)


# --- a connection -----------------------------------------------------------------------

class Conn:
    """A client connection. With `reader=True` a thread reads every frame: it
    acknowledges SETTINGS and PING, grants window for received DATA (unless
    `grant=False`), decodes response headers and records stream ends."""

    def __init__(self, addr, settings_pairs=(), reader=True, grant=True, timeout=10, rcvbuf=None):
        host, port = addr.rsplit(":", 1)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            # Before connect, so the window the kernel advertises stays small.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((host, int(port)))
        self.reading = True
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.lock = threading.Lock()
        self.cond = threading.Condition()
        self.grant = grant
        # Our send windows, as the server grants them (RFC 9113 §6.9).
        self.conn_window = 65535
        self.initial_window = 65535
        self.stream_windows = {}
        self.settings_acked = False
        self.ping_acks = []
        self.goaway = None
        self.closed_at = None
        self.resets = {}        # stream -> (error code, time)
        self.responses = {}     # stream -> list of decoded header fields
        self.bodies = {}        # stream -> bytearray
        self.ended = {}         # stream -> time END_STREAM arrived
        self.frames_in = 0
        self.decoder = Decoder()
        self.decoder.max_allowed_table_size = 65536
        self.send(PREFACE + settings_frame(settings_pairs))
        # The reader never writes itself: a reader blocked on a full socket would stop
        # reading, and a server waiting for us to read would stop reading in turn.
        self.control = queue.SimpleQueue()
        self.thread = None
        if reader:
            self.thread = threading.Thread(target=self._read, daemon=True)
            self.thread.start()
            threading.Thread(target=self._write_control, daemon=True).start()

    def _write_control(self):
        while (item := self.control.get()) is not None:
            data, then = item if isinstance(item, tuple) else (item, None)
            self.send(data)
            if then:
                then()

    def _settings_acknowledged(self):
        # Only once our ACK is out may a test start a header block: a SETTINGS ACK
        # inside one would be a connection error (RFC 9113 §6.10).
        with self.cond:
            self.settings_acked = True
            self.cond.notify_all()

    def send(self, data):
        """Sends; False once the server has closed the connection."""
        try:
            with self.lock:
                self.sock.sendall(data)
            return True
        except OSError:
            return False

    def close(self):
        with self.lock:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
        if self.thread:
            self.thread.join(5)
            self.control.put(None)

    # -- reading --
    def read_frames(self):
        """Yields (type, flags, stream, payload) until end of input."""
        buf = bytearray()
        while True:
            while len(buf) >= 9:
                length = int.from_bytes(buf[0:3], "big")
                if len(buf) < 9 + length:
                    break
                kind, flags = buf[3], buf[4]
                stream = int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
                payload = bytes(buf[9:9 + length])
                del buf[:9 + length]
                yield kind, flags, stream, payload
            try:
                data = self.sock.recv(1 << 16)
            except (OSError, ValueError):
                data = b""
            if not data or not self.reading:
                return
            buf += data

    def _read(self):
        for kind, flags, stream, payload in self.read_frames():
            self.handle(kind, flags, stream, payload)
        with self.cond:
            self.closed_at = time.monotonic()
            self.cond.notify_all()

    def handle(self, kind, flags, stream, payload):
        now = time.monotonic()
        with self.cond:
            self.frames_in += 1
            if kind == SETTINGS and not flags & ACK:
                for i in range(0, len(payload), 6):
                    key, value = struct.unpack(">HI", payload[i:i + 6])
                    if key == SETTINGS_INITIAL_WINDOW_SIZE:
                        delta = value - self.initial_window
                        self.initial_window = value
                        for s in self.stream_windows:
                            self.stream_windows[s] += delta
                self.control.put((frame(SETTINGS, ACK, 0), self._settings_acknowledged))
            elif kind == PING and not flags & ACK:
                self.control.put(ping(payload, ack=True))
            elif kind == PING:
                self.ping_acks.append(payload)
            elif kind == WINDOW_UPDATE:
                increment = struct.unpack(">I", payload)[0] & 0x7FFFFFFF
                if stream == 0:
                    self.conn_window += increment
                else:
                    window = self.stream_windows.get(stream, self.initial_window)
                    self.stream_windows[stream] = window + increment
            elif kind == GOAWAY:
                last, code = struct.unpack(">II", payload[:8])
                self.goaway = (last & 0x7FFFFFFF, code, now)
            elif kind == RST_STREAM:
                self.resets[stream] = (struct.unpack(">I", payload)[0], now)
            elif kind in (HEADERS, CONTINUATION):
                # The server sends neither padding nor priority nor split blocks.
                self.responses.setdefault(stream, []).extend(self.decoder.decode(payload, raw=True))
            elif kind == DATA:
                self.bodies.setdefault(stream, bytearray()).extend(payload)
                if payload and self.grant:
                    self.control.put(window_update(0, len(payload)) + window_update(stream, len(payload)))
            if kind in (HEADERS, DATA) and flags & END_STREAM:
                self.ended[stream] = now
            self.cond.notify_all()

    def wait(self, predicate, timeout):
        """Waits until predicate() holds (under the lock) or the connection closes."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0 or self.closed_at is not None:
                    return predicate()
                self.cond.wait(left)
            return True

    def sync(self, timeout=30):
        """Sends a PING and waits for its ACK: the server has read all before it."""
        token = struct.pack(">d", time.monotonic())
        if not self.send(ping(token)):
            return False
        return self.wait(lambda: token in self.ping_acks, timeout)

    def status(self, stream):
        for name, value in self.responses.get(stream, []):
            if name == b":status":
                return int(value)
        return None

    def send_window(self, stream):
        with self.cond:
            return min(self.conn_window, self.stream_windows.get(stream, self.initial_window))

    def take_window(self, stream, n):
        with self.cond:
            self.conn_window -= n
            self.stream_windows[stream] = self.stream_windows.get(stream, self.initial_window) - n
