"""Reads an Autobahn report index (index.json) and fails unless every case of every
agent passed: behaviour and closing behaviour OK or INFORMATIONAL, none FAILED,
NON-STRICT or UNIMPLEMENTED, and exactly the expected number of cases.

usage: verdict.py INDEX_JSON EXPECTED_CASES
"""

import collections
import json
import sys

PASSING = {"OK", "INFORMATIONAL"}


def main() -> int:
    index_path, expected = sys.argv[1], int(sys.argv[2])
    with open(index_path, encoding="utf-8") as f:
        index = json.load(f)
    counts = collections.Counter()
    bad = []
    cases = 0
    for agent, results in index.items():
        for case, result in results.items():
            cases += 1
            behaviour = result.get("behavior")
            closing = result.get("behaviorClose")
            counts[behaviour] += 1
            if behaviour not in PASSING or closing not in PASSING:
                bad.append((agent, case, behaviour, closing))
    summary = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
    print(f"autobahn: {cases} cases: {summary}")
    for agent, case, behaviour, closing in sorted(bad, key=lambda b: case_key(b[1])):
        print(f"autobahn: {case} ({agent}): {behaviour}, closing {closing}")
    if cases != expected:
        print(f"autobahn: expected {expected} cases, the report has {cases}")
        return 1
    return 1 if bad else 0


def case_key(case: str) -> list:
    return [int(part) if part.isdigit() else part for part in case.split(".")]


if __name__ == "__main__":
    sys.exit(main())
