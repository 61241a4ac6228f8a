"""A well-behaved client beside an attack: a fresh HTTP/1.1 connection and one
`GET /` every INTERVAL_MS, until its standard input closes. Prints a JSON
object: the latency of every request in seconds and the failures.

It runs as its own process so that the attacker's work (and Python's global
interpreter lock) in the test process cannot delay it.
Usage: probe.py HOST:PORT INTERVAL_MS
"""
import json
import socket
import sys
import threading
import time

host, port = sys.argv[1].rsplit(":", 1)
interval = int(sys.argv[2]) / 1000
request = f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
stop = threading.Event()


def watch_stdin():
    sys.stdin.read()
    stop.set()


threading.Thread(target=watch_stdin, daemon=True).start()
latencies, failures = [], []
next_start = time.monotonic()
while not stop.is_set():
    start = time.monotonic()
    try:
        with socket.create_connection((host, int(port)), timeout=2) as sock:
            sock.sendall(request)
            answer = b""
            while True:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
        if not answer.startswith(b"HTTP/1.1 200") or not answer.endswith(b"Hello, World!"):
            failures.append(f"unexpected answer {answer[:60]!r}")
        else:
            latencies.append(time.monotonic() - start)
    except OSError as error:
        failures.append(f"{type(error).__name__}: {error}")
    next_start += interval
    stop.wait(max(0.0, next_start - time.monotonic()))
    next_start = max(next_start, time.monotonic() - interval)
print(json.dumps({"latencies": latencies, "failures": failures}))
