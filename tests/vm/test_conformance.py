"""A fixed slice of the ONNX conformance suite, in the kernel (in the VM).

tests/conformance/slice.txt names the cases: for every operator kinfer
compiles, up to two of its ONNX node test cases (chosen once, by
tests/conformance/slice.py, and committed so the slice does not drift).
Each runs in userspace and in the kernel, one process per mode
(kinfer_conformance); both must pass.  `make conformance` runs them all.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import MODULE, ROOT, SYSFS, dmesg_trouble, rmmod_with_retry, run

RUNNER = ROOT / "build/cmake/tests/conformance/kinfer_conformance"
DATA = ROOT / "build/onnx-node"
SLICE = [line.split()[0] for line in (ROOT / "tests/conformance/slice.txt").read_text().splitlines()
         if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, dict[str, dict]]:
    if not (SYSFS / "version").exists():
        run("insmod", str(MODULE))
    out = tmp_path_factory.mktemp("conformance")
    found: dict[str, dict[str, dict]] = {}
    for mode in ("reference", "kernel"):
        path = out / f"{mode}.jsonl"
        subprocess.run([str(RUNNER), "--mode", mode, "--out", str(path), str(DATA / "index.json"),
                        *SLICE], check=True, timeout=1800)
        found[mode] = {r["case"]: r for r in map(json.loads, path.read_text().splitlines())}
    yield found
    assert rmmod_with_retry().returncode == 0
    assert dmesg_trouble() == []


@pytest.mark.parametrize("case", SLICE)
def test_case_passes_in_userspace_and_kernel(results, case: str) -> None:
    for mode in ("reference", "kernel"):
        r = results[mode].get(case)
        assert r is not None, f"{mode}: no result for {case}"
        assert r["status"] == "pass", f"{mode}: {r.get('reason', '')} {r.get('detail', '')}"
