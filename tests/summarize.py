#!/usr/bin/env python3
"""Sum JUnit XML results from every kinfer test suite into one closing line.

Usage: summarize.py EXPECTED_SUITE... --results DIR

Each suite writes DIR/<suite>.xml. A suite whose file is missing or
unreadable counts as one failed test: a runner that crashed must not look
like a runner that passed. The last line printed is
``N passed, N failed`` (``, N skipped`` when any were skipped); the exit
status is 1 when anything failed.
"""
from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Counts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, other: "Counts") -> None:
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped


def count_junit(path: Path) -> Counts:
    counts = Counts()
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            counts.failed += 1
        elif "skipped" in tags:
            counts.skipped += 1
        else:
            counts.passed += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suites", nargs="+", help="suite names expected to report")
    parser.add_argument("--results", type=Path, required=True)
    args = parser.parse_args(argv)

    total = Counts()
    for suite in args.suites:
        path = args.results / f"{suite}.xml"
        try:
            counts = count_junit(path)
        except (OSError, ET.ParseError) as exc:
            print(f"{suite:>10}: no results ({exc}); counted as 1 failure")
            counts = Counts(failed=1)
        else:
            if counts.passed + counts.failed + counts.skipped == 0:
                print(f"{suite:>10}: ran no test; counted as 1 failure")
                counts = Counts(failed=1)
        line = f"{counts.passed} passed, {counts.failed} failed"
        if counts.skipped:
            line += f", {counts.skipped} skipped"
        print(f"{suite:>10}: {line}")
        total.add(counts)

    line = f"{total.passed} passed, {total.failed} failed"
    if total.skipped:
        line += f", {total.skipped} skipped"
    print(line)
    return 1 if total.failed else 0


if __name__ == "__main__":
    sys.exit(main())
