"""The verdict must fail every report that is not a clean, complete run: these reports
are doctored from a passing one, one fault each."""

import contextlib
import io
import json
import os
import pathlib
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import verdict  # noqa: E402

CASES = [f"{section}.{n}" for section in range(1, 14) for n in range(1, 41)][:517]


def passing() -> dict:
    return {"weft": {case: {"behavior": "OK", "behaviorClose": "OK"} for case in CASES}}


class Verdict(unittest.TestCase):
    def run_verdict(self, index: dict, expected: int = 517) -> int:
        with tempfile.TemporaryDirectory() as work:
            path = os.path.join(work, "index.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(index, f)
            with contextlib.redirect_stdout(io.StringIO()):
                return verdict.main(["verdict.py", path, str(expected)])

    def test_a_clean_complete_run_passes(self):
        index = passing()
        index["weft"]["1.1"]["behavior"] = "INFORMATIONAL"
        self.assertEqual(self.run_verdict(index), 0)

    def test_any_other_behaviour_fails(self):
        for field in ("behavior", "behaviorClose"):
            for outcome in ("FAILED", "NON-STRICT", "UNIMPLEMENTED", "ERROR"):
                with self.subTest(field=field, outcome=outcome):
                    index = passing()
                    index["weft"]["9.7"][field] = outcome
                    self.assertEqual(self.run_verdict(index), 1)

    def test_a_missing_verdict_fails(self):
        index = passing()
        del index["weft"]["12.3"]["behaviorClose"]
        self.assertEqual(self.run_verdict(index), 1)

    def test_a_missing_case_fails(self):
        index = passing()
        del index["weft"]["13.5"]
        self.assertEqual(self.run_verdict(index), 1)

    def test_a_second_agent_does_not_make_up_for_missing_cases(self):
        index = passing()
        index["other"] = {"1.1": {"behavior": "OK", "behaviorClose": "OK"}}
        del index["weft"]["13.5"]
        self.assertEqual(self.run_verdict(index), 1)

    def test_an_empty_report_fails(self):
        self.assertEqual(self.run_verdict({}), 1)


if __name__ == "__main__":
    unittest.main()
