"""Two builds of weft side by side, with uvicorn as the yardstick: the A/B behind the
"what changed" tables in BENCHMARKS.md.

Usage: ab.py OLD_PYTHON NEW_PYTHON [ROUNDS] [SECONDS] [CONNECTIONS]

OLD_PYTHON and NEW_PYTHON are the interpreters of two virtual environments, each with a
build of weft installed (and uvloop); uvicorn comes from the environment running this
script. WHICH=def,async,asgi (the default) picks the servers; NEW_ARGS adds flags
to the new build's commands. ASGI_APP and URL_PATH serve another ASGI app (say
ASGI_APP=fastapi_items:app URL_PATH='/items/42?q=hello', the FastAPI endpoint of
fastapi_bench.py) instead of hello_asgi:app at /. Same method as servers.py:
server on CPU 0, wrk on CPU 1, rounds interleaved, medians of per-round ratios.
"""

import os
import statistics
import sys

ARGS = sys.argv[1:]
sys.argv[1:] = []  # servers.py reads its own arguments when imported
import servers  # noqa: E402

OLD, NEW = ARGS[0], ARGS[1]
ROUNDS = int(ARGS[2]) if len(ARGS) > 2 else 3
servers.SECONDS = int(ARGS[3]) if len(ARGS) > 3 else 3
servers.CONNECTIONS = int(ARGS[4]) if len(ARGS) > 4 else 64
WHICH = os.environ.get("WHICH", "def,async,asgi").split(",")
ASGI_APP = os.environ.get("ASGI_APP", "hello_asgi:app")
servers.PATH = os.environ.get("URL_PATH", "/")
# A framework answers in tens of microseconds; on a loaded machine some answers take
# longer than wrk's default 2 s timeout.
servers.WRK_ARGS = ["--timeout", "10s"]
# Flags only the new build's servers get (say, options the old one did not have).
NEW_ARGS = os.environ.get("NEW_ARGS", "").split()

COMMANDS = {
    "def": lambda py: lambda p: [py, "hello_decorator.py", str(p)],
    "async": lambda py: lambda p: [py, "hello_decorator_async.py", str(p)],
    "asgi": lambda py: lambda p: [py, "-m", "weft", ASGI_APP, "--port", str(p), "--log-level", "warning"],
}
table = {}
for tag, python in (("old", OLD), ("new", NEW)):
    for kind in WHICH:
        command = COMMANDS[kind](python)
        extra = NEW_ARGS if tag == "new" else []
        table[f"{tag} {kind}"] = lambda p, command=command, extra=extra: command(p) + extra
uvicorn_command = servers.SERVERS["uvicorn (httptools, uvloop)"]
table["uvicorn"] = lambda p: [ASGI_APP if arg == "hello_asgi:app" else arg for arg in uvicorn_command(p)]
servers.SERVERS = table

rates = {name: [] for name in table}
costs = {name: [] for name in table}
for _ in range(ROUNDS):
    for name in table:
        rate, cost = servers.measure(name)
        rates[name].append(rate)
        costs[name].append(cost)
uvicorn = rates["uvicorn"]
for name in table:
    ratio = statistics.median(a / b for a, b in zip(rates[name], uvicorn))
    print(
        f"{name:10s} {statistics.median(rates[name]):9.0f} req/s  {ratio:.2f}x uvicorn  "
        f"{statistics.median(costs[name]):5.1f} CPU us/request  rounds {[round(r) for r in rates[name]]}"
    )
print("load average after:", os.getloadavg())
