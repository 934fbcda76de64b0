# SPDX-License-Identifier: GPL-2.0
"""`kinfer task` and `kinfer events` on the host: a task manifest is
checked, field by field, before the kernel is needed; the tasks
themselves run in tests/vm/test_tasks.py."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KINFER = os.environ.get("KINFER_BIN", str(ROOT / "build/cmake/loader/kinfer"))
PIPELINE = ROOT / "build/fixtures/nlp/classifier/pipeline.json"  # labels benign, suspicious


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KINFER, *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def manifest() -> dict[str, object]:
    assert PIPELINE.exists(), "missing fixture; run 'make fixtures'"
    return {"name": "guard", "pipeline": str(PIPELINE), "hook": "exec", "mode": "enforce",
            "threshold": 0.5, "on_error": "allow", "sample_rate": 1,
            "flag_labels": ["suspicious"], "enabled": True}


def add(tmp_path: Path, m: object) -> subprocess.CompletedProcess[str]:
    f = tmp_path / "task.json"
    f.write_text(m if isinstance(m, str) else json.dumps(m))
    return run("task", "add", str(f))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "red"}, "colour: unknown field"),
        ({"name": None}, "name: "),
        ({"name": "bad name"}, 'name: "bad name" is not'),
        ({"name": "x" * 32}, "is not 1..31 characters"),
        ({"hook": "kprobe"}, 'hook: unknown hook "kprobe" (kinfer has: exec, file, log)'),
        ({"mode": "block"}, 'mode: "block" is neither audit nor enforce'),
        ({"on_error": "panic"}, 'on_error: "panic" is neither allow nor deny'),
        ({"threshold": 1.5}, "threshold: 1.500000 is outside [-1, 1]"),
        ({"threshold": "high"}, "threshold: "),
        ({"sample_rate": 0}, "sample_rate: 0 is outside 1..1000000"),
        ({"max_tokens": 1}, "max_tokens: 1 is neither 0 (the pipeline's length) nor 2..65536"),
        ({"max_tokens": 65537}, "max_tokens: 65537 is neither"),
        ({"max_tokens": -2}, "max_tokens: -2 is neither"),
        ({"max_tokens": "8"}, "max_tokens: "),
        ({"enabled": "yes"}, "enabled: "),
        ({"flag_labels": []}, "flag_labels: name at least one label"),
        ({"flag_labels": ["evil"]}, 'flag_labels: "evil" is not a label of'),
        ({"scope": {"gid": 3}}, "scope.gid: unknown field"),
        ({"scope": {"uid": -1}}, "scope.uid: a user id"),
        ({"hook": "log"}, 'mode: hook "log" classifies after the event'),
        ({"pipeline": "/nonexistent/pipeline.json"}, "/nonexistent/pipeline.json: cannot read"),
    ],
)
def test_bad_manifest(manifest: dict[str, object], change: dict[str, object], message: str,
                      tmp_path: Path) -> None:
    manifest.update(change)
    if change.get("name", "") is None:
        del manifest["name"]
    r = add(tmp_path, manifest)
    assert r.returncode == 3, r.stderr
    assert message in r.stderr
    assert str(tmp_path / "task.json") in r.stderr


def test_missing_field_is_named(manifest: dict[str, object], tmp_path: Path) -> None:
    for field in ("name", "pipeline", "hook"):
        m = dict(manifest)
        del m[field]
        r = add(tmp_path, m)
        assert r.returncode == 3 and f"{field}: missing" in r.stderr


def test_manifest_not_json_or_not_an_object(tmp_path: Path) -> None:
    r = add(tmp_path, "{")
    assert r.returncode == 3 and "not JSON" in r.stderr
    r = add(tmp_path, "[1, 2]")
    assert r.returncode == 3 and "a task manifest is a JSON object" in r.stderr


@pytest.mark.no_module
def test_valid_manifest_needs_the_module(manifest: dict[str, object], tmp_path: Path) -> None:
    r = add(tmp_path, manifest)
    assert r.returncode == 1 and "kinfer.ko is not loaded" in r.stderr
    for args in (("task", "list"), ("task", "show", "guard"), ("task", "remove", "guard"),
                 ("task", "set", "guard", "mode=audit"), ("task", "enable", "guard"),
                 ("events",)):
        r = run(*args)
        assert r.returncode == 1 and "kinfer.ko is not loaded" in r.stderr, args


def test_task_set_needs_key_value() -> None:
    r = run("task", "set", "guard")
    assert r.returncode == 2


def test_pipeline_without_max_tokens_is_refused(manifest: dict[str, object],
                                                 tmp_path: Path) -> None:
    """A pipeline saved before it had the max_tokens input: the task's cap
    could not reach it, so add refuses it (before the kernel is needed)."""
    import onnx

    pipeline = json.loads(PIPELINE.read_text())
    model = onnx.load(str(PIPELINE.parent / pipeline["model"]))
    assert [i.name for i in model.graph.input] == ["text", "max_tokens"]
    del model.graph.input[1]
    (tokenizer,) = [n for n in model.graph.node if n.op_type == "WordPieceTokenizer"]
    del tokenizer.input[1]
    onnx.save_model(model, str(tmp_path / "old.onnx"))
    pipeline["model"] = str(tmp_path / "old.onnx")
    (tmp_path / "old.json").write_text(json.dumps(pipeline))
    manifest["pipeline"] = str(tmp_path / "old.json")
    r = add(tmp_path, manifest)
    assert r.returncode == 3, r.stderr
    assert "the pipeline has no max_tokens input" in r.stderr
