"""A FastAPI endpoint (path and query parameters, a pydantic model returned) served by
weft, uvicorn (httptools, uvloop), granian (ASGI) and hypercorn (uvloop), one worker
each, with their default options but the access log (off everywhere). Same method as
servers.py: server on CPU 0, wrk on CPU 1, rounds interleaved, medians of the ratios
taken within each round.

Usage: fastapi_bench.py [ROUNDS] [SECONDS] [CONNECTIONS]  (prints JSON lines)
"""

import json
import os
import statistics
import sys

ARGS = sys.argv[1:]
sys.argv[1:] = []  # servers.py reads its own arguments when imported
import servers  # noqa: E402

ROUNDS = int(ARGS[0]) if ARGS else 3
servers.SECONDS = int(ARGS[1]) if len(ARGS) > 1 else 4
servers.CONNECTIONS = int(ARGS[2]) if len(ARGS) > 2 else 64
BIN = servers.BIN
APP = "fastapi_items:app"

servers.PATH = "/items/42?q=hello"
# A framework answers in tens of microseconds: on a loaded machine some answers take
# longer than wrk's default 2 s timeout, which would count as errors.
servers.WRK_ARGS = ["--timeout", "10s"]
servers.SERVERS = {
    "weft": lambda p: [sys.executable, "-m", "weft", APP, "--port", str(p), "--no-access-log"],
    "uvicorn (httptools, uvloop)": lambda p: [os.path.join(BIN, "uvicorn"), APP, "--http", "httptools", "--loop", "uvloop", "--no-access-log", "--log-level", "warning", "--port", str(p)],
    "granian ASGI": lambda p: [os.path.join(BIN, "granian"), "--interface", "asgi", "--workers", "1", "--runtime-threads", "1", "--no-ws", "--log-level", "warning", "--port", str(p), APP],
    "hypercorn (uvloop)": lambda p: [os.path.join(BIN, "hypercorn"), APP, "--workers", "1", "--worker-class", "uvloop", "--bind", f"127.0.0.1:{p}"],
}

rates = {name: [] for name in servers.SERVERS}
costs = {name: [] for name in servers.SERVERS}
load_before = os.getloadavg()
for _ in range(ROUNDS):
    for name in servers.SERVERS:
        rate, cost = servers.measure(name)
        print(f"{name}: {rate:.0f} req/s, {cost:.1f} us CPU/request", file=sys.stderr, flush=True)
        rates[name].append(rate)
        costs[name].append(cost)
print(json.dumps({"load_before": load_before, "load_after": os.getloadavg()}), flush=True)
for name, values in rates.items():
    row = {"name": name, "rounds": [round(v) for v in values], "median": round(statistics.median(values)), "cpu_us": round(statistics.median(costs[name]), 1)}
    for peer in ("uvicorn (httptools, uvloop)", "granian ASGI", "hypercorn (uvloop)"):
        row["vs " + peer] = round(statistics.median(a / b for a, b in zip(values, rates[peer])), 2)
        row["cpu vs " + peer] = round(statistics.median(b / a for a, b in zip(costs[name], costs[peer])), 2)
    print(json.dumps(row), flush=True)
