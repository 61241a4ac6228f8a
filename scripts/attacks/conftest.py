"""The attack suite: server-smol with one worker, one attack at a time, from loopback.

Every test starts its own server (`WEFT_SERVER_BIN`, set by scripts/test.d/45-attacks.sh),
measures its resident memory (VmRSS in /proc/PID/status) and, where the attack is about
fairness, the latency of a probe that opens a fresh connection every 20 ms. It asserts
bounds stated as formulas of the server's limits, then stops the server and checks it
did not panic.

Markers name the weakness each test shows (pytest.ini): `-m defended` runs the attacks
the server withstands today, `-m "not weakness1"` leaves out one weakness.
WEFT_ATTACKS_EXPECT_FAIL="idle weakness3_h2" marks the tests with that marker, or with
that text in their name, strict xfail: they run, must fail, and turn the suite red once
they pass, so the list shrinks as fixes land.
"""
import contextlib
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
KiB = 1024
MiB = 1024 * KiB

# What one connection may legitimately hold, from the server's limits (server-smol's
# defaults; the tests that change a limit say so):
#   the HTTP/2 header block being assembled   max_header_block_size   128 KiB
#   the receive buffer of the state machine   a few reads of 16 KiB    64 KiB
#   both HPACK tables, 4,096 counted octets each (RFC 7541 §4.1), with entry overhead
#                                                                       32 KiB
#   the write buffer before a flush           FLUSH_THRESHOLD          64 KiB
#   task, streams, timers and allocator slack                          96 KiB
# An HTTP/1.1 connection holds less (max_head 16 KiB instead of a header block).
PER_H2_CONNECTION = 384 * KiB
PER_H1_CONNECTION = 256 * KiB

# A fresh connection and request every PROBE_INTERVAL_MS; p99 must stay under this.
PROBE_INTERVAL_MS = 20
PROBE_P99 = 0.050


def pytest_collection_modifyitems(config, items):
    expected = os.environ.get("WEFT_ATTACKS_EXPECT_FAIL", "").split()
    for item in items:
        for name in expected:
            if item.get_closest_marker(name) or name in item.name:
                item.add_marker(pytest.mark.xfail(
                    strict=True, reason=f"{name} is not fixed yet (WEFT_ATTACKS_EXPECT_FAIL)"))


def server_binary():
    path = os.environ.get("WEFT_SERVER_BIN")
    if not path or not os.access(path, os.X_OK):
        pytest.fail("WEFT_SERVER_BIN must name the server-smol binary (scripts/test.d/45-attacks.sh)")
    return path


class Server:
    """One server-smol process with one worker."""

    def __init__(self, log_path, args, tls):
        self.log_path = log_path
        command = [server_binary(), "--bind", "127.0.0.1:0", "--workers", "1", "--log", "compact"]
        command += ["--tls-bind", "127.0.0.1:0"] if tls else ["--no-tls"]
        command += [str(a) for a in args]
        # The access log would cost the single worker a write per request.
        env = dict(os.environ, RUST_LOG="info,weft::access=off")
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=self.log, env=env)
        deadline = time.monotonic() + 20
        while True:
            text = log_path.read_text()
            if "serving" in text:
                break
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"server did not start: {text[-2000:]}")
            time.sleep(0.02)
        self.addr = re.search(r"http=Some\(([0-9.]+:[0-9]+)\)", text).group(1)
        self.tls_addr = None
        if tls:
            self.tls_addr = re.search(r"https=Some\(([0-9.]+:[0-9]+)\)", text).group(1)
        self.host, port = self.addr.rsplit(":", 1)
        self.port = int(port)
        self.warm_up()

    def warm_up(self):
        """One request, so that what a first connection sets up once (thread-locals,
        pools) is in every test's baseline."""
        with socket.create_connection((self.host, self.port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            answer = b""
            while data := sock.recv(4096):
                answer += data
        assert answer.startswith(b"HTTP/1.1 200"), answer[:80]

    @property
    def pid(self):
        return self.process.pid

    def rss(self):
        """Resident memory in bytes."""
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * KiB
        raise AssertionError("no VmRSS")

    def settled_rss(self, timeout=3.0):
        """RSS once two samples 200 ms apart agree within 64 KiB (the worker has
        finished what it was given)."""
        deadline = time.monotonic() + timeout
        last = self.rss()
        while time.monotonic() < deadline:
            time.sleep(0.2)
            now = self.rss()
            if abs(now - last) <= 64 * KiB:
                return now
            last = now
        return last

    def alive(self):
        return self.process.poll() is None

    def stop(self):
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.log_path.read_text()


@pytest.fixture
def server(tmp_path):
    """`server(*args, tls=False)` starts a server with extra command-line args."""
    started = []

    def start(*args, tls=False):
        s = Server(tmp_path / f"server-{len(started)}.log", args, tls)
        started.append(s)
        return s

    yield start
    for s in started:
        was_alive = s.alive()
        log = s.stop()
        assert "panicked" not in log, f"the server panicked:\n{log[-3000:]}"
        assert was_alive, f"the server died during the test:\n{log[-3000:]}"


class RssSampler:
    """Samples a server's RSS every 25 ms on a thread; `peak` is the highest."""

    def __init__(self, server):
        self.server = server
        self.peak = server.rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.025):
            with contextlib.suppress(OSError, AssertionError):
                self.peak = max(self.peak, self.server.rss())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


class Probe:
    """The probe process (probe.py) for the length of a `with` block."""

    def __init__(self, server):
        self.server = server
        self.latencies = []
        self.failures = []

    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "probe.py"), self.server.addr, str(PROBE_INTERVAL_MS)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        # Its first request tells the server is answering before the attack starts.
        time.sleep(0.1)
        return self

    def __exit__(self, *exc):
        out, _ = self.process.communicate("", timeout=30)
        result = json.loads(out)
        self.latencies = sorted(result["latencies"])
        self.failures = result["failures"]

    def percentile(self, p):
        if not self.latencies:
            return math.inf
        return self.latencies[max(0, math.ceil(p * len(self.latencies)) - 1)]

    def check(self, seconds):
        """The probe's p99 stayed under PROBE_P99 and none of its requests failed,
        over an attack of `seconds`."""
        expected = seconds / (PROBE_INTERVAL_MS / 1000)
        summary = (f"{len(self.latencies)} probes, p50 {self.percentile(0.5) * 1000:.1f} ms, "
                   f"p90 {self.percentile(0.9) * 1000:.1f} ms, p99 {self.percentile(0.99) * 1000:.1f} ms, "
                   f"max {self.percentile(1.0) * 1000:.1f} ms")
        print(f"probe: {summary}")
        assert not self.failures, f"probe requests failed: {self.failures[:5]} ({summary})"
        # A probe held up for long makes fewer requests; too few samples hide the tail.
        assert len(self.latencies) >= expected / 4, f"the probe barely ran: {summary}"
        assert self.percentile(0.99) < PROBE_P99, f"probe p99 over {PROBE_P99 * 1000:.0f} ms: {summary}"


@pytest.fixture
def probe():
    return Probe


def check_memory(label, before, after, bound, detail=""):
    """Prints the RSS growth and asserts it is within `bound`."""
    print(f"{label}: RSS {before / MiB:.1f} -> {after / MiB:.1f} MiB, "
          f"delta {(after - before) / MiB:.2f} MiB, bound {bound / MiB:.2f} MiB")
    assert after - before <= bound, (f"{label}: RSS grew {(after - before) / MiB:.1f} MiB, "
                                     f"over the bound of {bound / MiB:.2f} MiB. {detail}")


# One attacking connection may cost the server its own worst case plus the probe's
# short-lived connections and allocator arenas warming up.
ONE_CONNECTION = PER_H2_CONNECTION + 4 * MiB


def send_until_blocked(sock, data, seconds):
    """Writes `data` over and over for `seconds`, never reading. Returns how many
    octets the server took and whether it closed the connection."""
    sock.settimeout(0.1)
    sent, closed = 0, False
    deadline = time.monotonic() + seconds
    view = memoryview(data)
    offset = 0
    while time.monotonic() < deadline:
        try:
            n = sock.send(view[offset:])
        except (socket.timeout, BlockingIOError):
            continue
        except OSError:
            closed = True
            break
        sent += n
        offset = (offset + n) % len(data)
    return sent, closed
