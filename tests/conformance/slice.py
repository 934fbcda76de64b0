#!/usr/bin/env python3
"""Choose the conformance slice `make test` runs: tests/conformance/slice.txt.

For every operator kinfer compiles, the first two of its ONNX node test
cases (by name) that pass in the userspace reference, so the slice covers
every operator and nothing known to be unsupported.  Run once when
operators are added; the output is committed so that make test runs a
fixed slice.

Usage: slice.py INDEX OPS_JSON REFERENCE.jsonl > tests/conformance/slice.txt
"""
from __future__ import annotations

import collections
import json
import sys


def main(argv: list[str]) -> int:
    index = json.load(open(argv[0]))
    supported = set(json.load(open(argv[1]))["onnx"])
    passed = {r["case"] for r in map(json.loads, open(argv[2])) if r["status"] == "pass"}
    chosen: dict[str, list[str]] = collections.defaultdict(list)
    for case in sorted(index, key=lambda c: c["name"]):
        op = case["op"]
        if op in supported and case["name"] in passed and len(chosen[op]) < 2:
            chosen[op].append(case["name"])
    print("# The conformance slice make test runs (tests/vm/test_conformance.py).")
    print("# Chosen by tests/conformance/slice.py: two passing cases per operator.")
    for op in sorted(chosen):
        for name in chosen[op]:
            print(f"{name} {op}")
    missing = sorted(supported - set(chosen))
    if missing:
        print("# operators without a passing case: " + ", ".join(missing))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
