# SPDX-License-Identifier: GPL-2.0
"""`kinfer pipeline load` and `kinfer classify` on the host: manifests are
checked before the kernel is needed; the in-kernel runs are in
tests/vm/test_nlp.py."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KINFER = os.environ.get("KINFER_BIN", str(ROOT / "build/cmake/loader/kinfer"))
FIXTURE = ROOT / "build/fixtures/nlp/classifier"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KINFER, *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def manifest(tmp_path: Path) -> dict[str, object]:
    assert (FIXTURE / "pipeline.json").exists(), "missing fixture; run 'make fixtures'"
    m: dict[str, object] = json.loads((FIXTURE / "pipeline.json").read_text())
    m["model"] = str(FIXTURE / "pipeline.onnx")
    return m


def write(tmp_path: Path, m: object) -> str:
    f = tmp_path / "pipeline.json"
    f.write_text(m if isinstance(m, str) else json.dumps(m))
    return str(f)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "regression"}, 'kind must be "classifier" or "similarity"'),
        ({"labels": []}, "no labels"),
        ({"max_bytes": 0}, "max_bytes 0 is outside"),
        ({"max_bytes": 128}, "the text, uint8 [1, 128] (max_bytes)"),
        ({"labels": ["a", "b", "c"]}, "'scores' has 2 values for 3 labels"),
        ({"model": "/nonexistent.onnx"}, "/nonexistent.onnx"),
    ],
)
def test_bad_manifest(manifest: dict[str, object], change: dict[str, object], message: str,
                      tmp_path: Path) -> None:
    manifest.update(change)
    r = run("pipeline", "load", write(tmp_path, manifest))
    assert r.returncode == 3, r.stderr
    assert message in r.stderr


def test_manifest_not_json(tmp_path: Path) -> None:
    r = run("pipeline", "load", write(tmp_path, "{"))
    assert r.returncode == 3 and "not JSON" in r.stderr


@pytest.mark.no_module
def test_valid_manifest_needs_the_module(manifest: dict[str, object], tmp_path: Path) -> None:
    r = run("pipeline", "load", write(tmp_path, manifest))
    assert r.returncode == 1 and "kinfer.ko is not loaded" in r.stderr
    r = run("classify", "cmdline", "ls -la")
    assert r.returncode == 1 and "kinfer.ko is not loaded" in r.stderr


@pytest.mark.parametrize("value", ["1", "-1", "x"])
def test_classify_refuses_a_bad_max_tokens(value: str) -> None:
    r = run("classify", "cmdline", "--max-tokens", value, "--", "ls -la")
    assert r.returncode == 2, r.stderr
    assert "--max-tokens" in r.stderr
