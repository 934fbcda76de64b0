"""kinfer.examples.cmdline_guard: the shipped exec command-line classifier.

One build (corpus, training, pipeline, held-out predictions, task manifest)
into a temporary directory serves the module; the corpus is checked on its
own (split, balance, families, determinism), and the held-out predictions
are recomputed from a second training with the same seed. The pipeline
itself cannot run in ONNX Runtime (it does not know the tokenizer node);
with the kinfer binary, :meth:`Pipeline.reference_batch` (the kernel's
tokenizer built for userspace) is compared with the predictions on Hugging
Face's ids that ``heldout.json`` holds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest

from kinfer.examples import cmdline_guard as cg
from kinfer.nlp import Pipeline, encode_text
from kinfer_parity import KINFER_BIN

Heldout = list[dict[str, Any]]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("cmdline-guard")
    return out, cg.build(out, seed=0)


@pytest.fixture(scope="module")
def heldout(built: tuple[Path, dict[str, Any]]) -> Heldout:
    rows: Heldout = json.loads((built[0] / "heldout.json").read_text(encoding="utf-8"))
    return rows


@pytest.fixture(scope="module")
def data() -> cg.Corpus:
    return cg.corpus(0)


@pytest.fixture(scope="module")
def retrained(data: cg.Corpus) -> Pipeline:
    module, variables = cg.train(data.train, 0)
    return cg.pipeline(module, variables)


def test_heldout_accuracy(built: tuple[Path, dict[str, Any]], heldout: Heldout) -> None:
    labels = np.asarray([row["label"] for row in heldout])
    predicted = np.asarray([row["flax_label"] for row in heldout])
    accuracy = float(np.mean(labels == predicted))
    assert accuracy >= 0.95, f"held-out accuracy {accuracy:.4f}"
    for label in (0, 1):  # a model answering one class only would fail here
        recall = float(np.mean(predicted[labels == label] == label))
        assert recall >= 0.9, f"{cg.LABELS[label]} recall {recall:.4f}"
    summary = built[1]
    assert summary["heldout_accuracy"] == pytest.approx(accuracy)
    assert summary["heldout"] == len(heldout)
    assert summary["train"] == 2 * cg.TRAIN_PER_CLASS
    scores = np.asarray([row["flax_score"] for row in heldout])
    assert np.all((scores >= 0.5) & (scores <= 1.0))


def test_heldout_is_disjoint_balanced_and_what_was_written(
    data: cg.Corpus, heldout: Heldout
) -> None:
    train_texts = {s.text for s in data.train}
    held_texts = [s.text for s in data.heldout]
    assert len(held_texts) >= 600
    assert len(set(held_texts)) == len(held_texts)
    assert len(train_texts) == len(data.train)
    assert not train_texts & set(held_texts)
    malicious = sum(s.label for s in data.heldout) / len(data.heldout)
    assert 0.45 <= malicious <= 0.55
    assert [(r["argv"], r["text"], r["label"]) for r in heldout] == [
        (list(s.argv), s.text, s.label) for s in data.heldout
    ]
    for row in heldout:
        assert row["text"] == " ".join(row["argv"])
        assert all(isinstance(a, str) and a for a in row["argv"])


def test_corpus_covers_the_families_and_sh_c(data: cg.Corpus) -> None:
    benign = [s.text for s in data.train if s.label == 0]
    malicious = [s.text for s in data.train if s.label == 1]
    for marker in ("nc -z", "curl -o", "base64 ", "bash ", "/etc/hostname", ".pub", "crontab -l",
                   "docker run", "systemctl", "git ", "openssl x509", "useradd"):  # fmt: skip
        assert any(marker in t for t in benign), f"no benign command with {marker!r}"
    for marker in ("/dev/tcp/", "nc -e", "mkfifo", "socket", "socat", "| sh", "base64 -d",
                   "xxd -r", "/etc/shadow", "unshadow", "/.ssh/id_", "/mem", "mimipenguin",
                   "history", "authorized_keys", "ld.so.preload", "rc.local", ".service",
                   "NOPASSWD", "setcap", "chroot /host", "u+s", "/bin/sh -p"):  # fmt: skip
        assert any(marker in t for t in malicious), f"no malicious command with {marker!r}"
    for label in (0, 1):
        samples = [s for s in data.train if s.label == label]
        wrapped = [s for s in samples if len(s.argv) == 3 and s.argv[1] == "-c"]
        assert 0.2 <= len(wrapped) / len(samples) <= 0.4
        assert any(s.argv[0] == "sh" for s in wrapped)
    assert all(len(encode_text(s.text, 10**6)) <= cg.MAX_BYTES for s in data.train)


def test_corpus_is_deterministic_per_seed(data: cg.Corpus) -> None:
    assert cg.corpus(0) == data
    other = cg.corpus(1)
    assert other.train != data.train
    assert other.heldout != data.heldout


def test_parameter_count(built: tuple[Path, dict[str, Any]]) -> None:
    model = onnx.load(str(built[0] / "pipeline.onnx"))
    weights = [t for t in model.graph.initializer if t.name.startswith("model/params/")]
    counted = sum(int(np.prod(t.dims)) for t in weights)
    assert counted == built[1]["parameters"]
    assert counted <= 2_000_000


def test_saved_pipeline(built: tuple[Path, dict[str, Any]]) -> None:
    out = built[0]
    manifest = json.loads((out / "pipeline.json").read_text(encoding="utf-8"))
    assert manifest == {
        "name": "cmdline-guard",
        "kind": "classifier",
        "model": "pipeline.onnx",
        "labels": ["benign", "malicious"],
        "threshold": 0.5,
        "max_bytes": 512,
        "max_length": 64,
    }
    model = onnx.load(str(out / "pipeline.onnx"))
    text, cap = model.graph.input
    dims = [d.dim_value for d in text.type.tensor_type.shape.dim]
    assert (text.name, dims) == ("text", [1, 512])
    assert (cap.name, [d.dim_value for d in cap.type.tensor_type.shape.dim]) == ("max_tokens", [1])
    (tokenizer,) = [n for n in model.graph.node if n.op_type == "WordPieceTokenizer"]
    assert {a.name: a for a in tokenizer.attribute}["max_length"].i == 64


def test_task_manifest(built: tuple[Path, dict[str, Any]]) -> None:
    task = json.loads((built[0] / "cmdline-guard.task.json").read_text(encoding="utf-8"))
    assert task == {
        "name": "cmdline-guard",
        "pipeline": "pipeline.json",
        "hook": "exec",
        "mode": "enforce",
        "threshold": 0.5,
        "on_error": "allow",
        "sample_rate": 1,
        "flag_labels": ["malicious"],
        "enabled": True,
    }
    assert (built[0] / task["pipeline"]).is_file()
    assert set(task["flag_labels"]) <= set(cg.LABELS)


def test_reference_predictions_are_deterministic(retrained: Pipeline, heldout: Heldout) -> None:
    again = cg.reference(retrained, [row["text"] for row in heldout])
    assert [label for label, _ in again] == [row["flax_label"] for row in heldout]
    np.testing.assert_array_equal(
        np.asarray([score for _, score in again], np.float32),
        np.asarray([row["flax_score"] for row in heldout], np.float32),
    )


@pytest.mark.skipif(not KINFER_BIN.exists(), reason=f"the kinfer binary {KINFER_BIN} is missing")
def test_capped_answers_are_the_kernel_tokenizers_at_that_cap(
    built: tuple[Path, dict[str, Any]], retrained: Pipeline, heldout: Heldout
) -> None:
    capped = json.loads((built[0] / "capped.json").read_text(encoding="utf-8"))
    assert capped["max_tokens"] == cg.PROBE_MAX_TOKENS
    rows = capped["rows"]
    assert [r["text"] for r in rows] == [r["text"] for r in heldout]
    got = retrained.reference_batch([r["text"] for r in rows], cg.PROBE_MAX_TOKENS)
    assert [label for label, _ in got] == [cg.LABELS[r["flax_label"]] for r in rows]
    np.testing.assert_allclose([score for _, score in got], [r["flax_score"] for r in rows],
                               atol=1e-6)  # fmt: skip
    # the cap changes answers: a test setting it live can tell it was applied
    changed = sum(a["flax_label"] != b["flax_label"] for a, b in zip(rows, heldout, strict=True))
    assert changed >= 10, changed


@pytest.mark.skipif(not KINFER_BIN.exists(), reason=f"the kinfer binary {KINFER_BIN} is missing")
def test_kernel_tokenizer_reference_agrees(retrained: Pipeline, heldout: Heldout) -> None:
    got = retrained.reference_batch([row["text"] for row in heldout])
    assert [label for label, _ in got] == [cg.LABELS[row["flax_label"]] for row in heldout]
    np.testing.assert_allclose([score for _, score in got],
                               [row["flax_score"] for row in heldout], atol=1e-6)  # fmt: skip


BAD_ARGUMENTS = [
    [],
    ["a", "b"],
    ["{out}", "--seed", "x"],
    ["{out}", "--seed", "-1"],
    ["{file}"],
    ["{out}", "--bogus"],
]


@pytest.mark.parametrize("argv", BAD_ARGUMENTS)
def test_main_rejects_bad_arguments(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "a-file"
    file.write_text("x")
    out = tmp_path / "out"
    args = [a.format(out=out, file=file) for a in argv]
    assert cg.main(args) == 2
    captured = capsys.readouterr()
    assert "error" in captured.err
    assert captured.out == ""
    assert not out.exists()
