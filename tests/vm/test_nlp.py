"""Text pipelines in the kernel (in the VM).

Fixtures from tests/models/nlp_fixtures.py (make fixtures, on the host):

* a BPF program (bpf/selftests/pipeline_call.bpf.c) classifies texts
  through one call, kinfer_pipeline_call(), which `kinfer load
  --attach` replaced with the demo command-line classifier's pipeline
  (tokenizer, Flax model, softmax): label and score must equal JAX's on
  HF tokenizers' ids for 120 texts;
* all-MiniLM-L6-v2 fed by the in-kernel tokenizer: cosine >= 0.9999 to
  sentence-transformers' embeddings for 32 sentences.
"""
from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from bpf_run import PinnedProgram
from conftest import FIXTURES, ROOT, SYSFS, kinfer, module_for_file, run

NLP = FIXTURES / "nlp"
HOOK_DIR = Path("/sys/fs/bpf/kinfer-test")
HOOK = HOOK_DIR / "pcall"
HOOK_OBJ = ROOT / "build/bpf/pipeline_call.bpf.o"
TEXT_BYTES = 4096  # KINFER_CALL_TEXT_BYTES
ENOENT = 2
SCORE_TOL = 1e-5
COSINE_MIN = 0.9999


@pytest.fixture(scope="module", autouse=True)
def module():
    with module_for_file("cmdline", "minilm", "cmdline2", "cmdline3"):
        yield
        run("rm", "-rf", str(HOOK_DIR), check=False)


@pytest.fixture(scope="module")
def hook() -> PinnedProgram:
    run("rm", "-rf", str(HOOK_DIR), check=False)
    HOOK_DIR.mkdir(parents=True)
    run("bpftool", "prog", "load", str(HOOK_OBJ), str(HOOK))
    prog = PinnedProgram(str(HOOK))
    yield prog
    prog.close()


def call(prog: PinnedProgram, text: bytes) -> tuple[int, int, int, float]:
    """(return value, err, label, score) of kinfer_pipeline_call on text."""
    ctx = bytearray(16 + TEXT_BYTES)
    ctx[16 : 16 + len(text)] = text
    assert prog.run(ctx) == 0
    return struct.unpack("<iiif", bytes(ctx[:16]))


def test_call_without_a_pipeline_says_so(hook: PinnedProgram) -> None:
    assert call(hook, b"ls -la")[:2] == (-ENOENT, -ENOENT)


def test_pipeline_called_from_bpf_matches_jax(hook: PinnedProgram) -> None:
    expected = json.loads((NLP / "classifier/expected.json").read_text())
    kinfer("load", str(NLP / "classifier/pipeline.onnx"), "--name", "cmdline",
           "--attach", str(HOOK))
    mismatches, worst = [], 0.0
    for text, label, score in zip(expected["texts"], expected["label"], expected["score"],
                                  strict=True):
        ret, err, got_label, got_score = call(hook, bytes.fromhex(text))
        assert (ret, err) == (0, 0), f"{bytes.fromhex(text)!r}: returned {ret}, err {err}"
        if got_label != label:
            mismatches.append(bytes.fromhex(text))
        worst = max(worst, abs(got_score - score))
    n = len(expected["texts"])
    print(f"pipeline from BPF: {n - len(mismatches)}/{n} labels equal JAX, "
          f"worst score difference {worst:.2e}")
    assert n >= 100 and not mismatches, mismatches[:3]
    assert worst <= SCORE_TOL
    assert int((SYSFS / "models/cmdline/calls").read_text()) == n
    assert int((SYSFS / "models/cmdline/errors").read_text()) == 0


def test_unload_detaches(hook: PinnedProgram) -> None:
    kinfer("unload", "cmdline")
    assert call(hook, b"ls -la")[:2] == (-ENOENT, -ENOENT)


def test_attach_refuses_a_model_that_is_not_a_pipeline(tmp_path: Path) -> None:
    r = kinfer("load", str(NLP / "minilm/pipeline.onnx"), "--name", "cmdline2",
               "--attach", str(HOOK), check=False)
    assert r.returncode == 3
    assert "cannot be called from BPF" in r.stderr
    r = kinfer("load", str(NLP / "classifier/pipeline.onnx"), "--name", "cmdline2",
               "--attach", f"{HOOK}:no_such_function", check=False)
    assert r.returncode == 1 and "no function 'no_such_function'" in r.stderr
    assert not (Path("/sys/fs/bpf/kinfer") / "cmdline2").exists()


def test_minilm_in_kernel_fed_by_kernel_tokenizer(tmp_path: Path) -> None:
    expected = json.loads((NLP / "minilm/expected.json").read_text())
    batch, max_bytes = expected["batch"], expected["max_bytes"]
    sentences, want = expected["sentences"], np.asarray(expected["embeddings"], np.float32)
    kinfer("load", str(NLP / "minilm/pipeline.onnx"), "--name", "minilm")
    outputs = [o["name"] for o in json.loads(kinfer("show", "minilm", "--json").stdout)["outputs"]]
    got = []
    for b in range(0, len(sentences), batch):
        text = np.zeros((batch, max_bytes), np.uint8)
        for r, s in enumerate(sentences[b : b + batch]):
            raw = s.encode()[:max_bytes]
            text[r, : len(raw)] = np.frombuffer(raw, np.uint8)
        np.save(tmp_path / "text.npy", text)
        outs = [tmp_path / f"{o}.npy" for o in outputs]
        np.save(tmp_path / "max_tokens.npy", np.zeros(1, np.int32))  # the pipeline's length
        args = ["run", "minilm", "-i", str(tmp_path / "text.npy"),
                "-i", str(tmp_path / "max_tokens.npy")]
        for o in outs:
            args += ["-o", str(o)]
        kinfer(*args)
        got.append(np.load(tmp_path / "scores.npy"))
    emb = np.concatenate(got)[: len(sentences)]
    cos = np.sum(emb * want, axis=1) / (np.linalg.norm(emb, axis=1) * np.linalg.norm(want, axis=1))
    print(f"MiniLM in the kernel: {len(sentences)} sentences, min cosine {cos.min():.7f}")
    assert len(sentences) >= 32
    assert cos.min() >= COSINE_MIN, sentences[int(cos.argmin())]
    kinfer("unload", "minilm")


def test_pipeline_load_and_classify_from_the_shell() -> None:
    expected = json.loads((NLP / "classifier/expected.json").read_text())
    kinfer("pipeline", "load", str(NLP / "classifier/pipeline.json"), "--name", "cmdline2")
    picked = [i for i, t in enumerate(expected["texts"]) if b"\x00" not in bytes.fromhex(t)][:12]
    texts = [bytes.fromhex(expected["texts"][i]).decode("utf-8", "surrogateescape") for i in picked]
    out = kinfer("classify", "cmdline2", "--json", *texts).stdout.splitlines()
    assert len(out) == len(picked)
    for i, line in zip(picked, out, strict=True):
        got = json.loads(line)
        assert got["index"] == expected["label"][i]
        assert got["label"] == expected["labels"][expected["label"][i]]
        assert abs(got["score"] - expected["score"][i]) <= SCORE_TOL
    kinfer("unload", "cmdline2")


def test_load_pipeline_from_python() -> None:
    """kinfer.nlp.load_pipeline: the saved pipeline through libkinfer, no JAX."""
    from kinfer.nlp import load_pipeline

    expected = json.loads((NLP / "classifier/expected.json").read_text())
    with load_pipeline(NLP / "classifier", name="cmdline3") as clf:
        for i in range(20):
            result = clf.classify(bytes.fromhex(expected["texts"][i]))
            assert result.index == expected["label"][i]
            assert abs(result.score - expected["score"][i]) <= SCORE_TOL
    assert not (Path("/sys/fs/bpf/kinfer") / "cmdline3").exists()
