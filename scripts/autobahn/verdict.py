"""Reads an Autobahn report index (index.json) and fails unless every case passed:
behaviour and closing behaviour OK or INFORMATIONAL for every agent (none FAILED,
NON-STRICT, UNIMPLEMENTED or ERROR, and none missing), and exactly the expected number
of distinct cases, so that a run cut short fails too. Every autobahn stage reads its
report through this one check.

usage: verdict.py INDEX_JSON EXPECTED_CASES
"""

import collections
import json
import sys

PASSING = {"OK", "INFORMATIONAL"}


def main(argv: list) -> int:
    index_path, expected = argv[1], int(argv[2])
    with open(index_path, encoding="utf-8") as f:
        index = json.load(f)
    counts = collections.Counter()
    bad = []
    cases = set()
    for agent, results in index.items():
        for case, result in results.items():
            cases.add(case)
            behaviour = result.get("behavior")
            closing = result.get("behaviorClose")
            counts[behaviour] += 1
            if behaviour not in PASSING or closing not in PASSING:
                bad.append((agent, case, behaviour, closing))
    summary = ", ".join(f"{n} {name}" for name, n in sorted(counts.items(), key=str))
    print(f"autobahn: {len(cases)} cases: {summary}")
    for agent, case, behaviour, closing in sorted(bad, key=lambda b: case_key(b[1])):
        print(f"autobahn: {case} ({agent}): {behaviour}, closing {closing}")
    if len(cases) != expected:
        print(f"autobahn: expected {expected} cases, the report has {len(cases)}")
        return 1
    return 1 if bad else 0


def case_key(case: str) -> list:
    return [(0, int(part)) if part.isdigit() else (1, part) for part in case.split(".")]


if __name__ == "__main__":
    sys.exit(main(sys.argv))
