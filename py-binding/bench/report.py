"""Turns the JSON lines of micro.py and servers.py into the BENCHMARKS.md tables."""

import json
import sys

micro = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
servers = [json.loads(line) for line in open(sys.argv[2]) if line.strip()]
load = [row for row in servers if "load_before" in row]
servers = [row for row in servers if "name" in row]

print("| sans-IO workload (from Python) | weft | peer | weft / peer |")
print("|---|---:|---:|---:|")
for row in micro:
    print(f"| {row['name']} | {row['weft']:,} {row['unit']} | {row['peer']:,} {row['unit']} | **{row['ratio']}x** |")
print()
print(
    "| hello world, 1 worker, wrk | req/s (median) | req/s per round | vs granian ASGI (median of per-round ratios)"
    " | vs uvicorn (same) | CPU µs per request (median) | uvicorn's CPU per request / this one's |"
)
print("|---|---:|---|---:|---:|---:|---:|")
for row in servers:
    rounds = ", ".join(f"{r:,}" for r in row["rounds"])
    print(
        f"| {row['name']} | {row['median']:,} | {rounds} | {row['vs_granian_asgi']}x | {row['vs_uvicorn']}x"
        f" | {row['cpu_us']} | {row['cpu_vs_uvicorn']}x |"
    )
for row in load:
    before = ", ".join(f"{x:.2f}" for x in row["load_before"])
    after = ", ".join(f"{x:.2f}" for x in row["load_after"])
    print()
    print(f"Load average (1, 5, 15 min) before the server runs: {before}; after: {after}.")
