# SPDX-License-Identifier: GPL-2.0
"""`kinfer tokenize` (the kernel's tokenizer source built for userspace)
against HuggingFace tokenizers on all-MiniLM-L6-v2's vocabulary.

The in-kernel run of the same corpus is tests/vm/test_tokenizer.py.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import tokenizer_corpus as corpus

ROOT = Path(__file__).resolve().parents[2]
KINFER = os.environ.get("KINFER_BIN", str(ROOT / "build/cmake/loader/kinfer"))
VOCAB_DIR = corpus.minilm_dir()


def tokenize(vocab: Path, texts: list[bytes], tmp_path: Path, max_len: int) -> list[list[int]]:
    rec = tmp_path / "texts.rec"
    corpus.write_records(rec, texts)
    r = subprocess.run(
        [KINFER, "tokenize", str(vocab), "--records", str(rec), "--json", "--max-len", str(max_len)],
        capture_output=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr.decode()
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(rows) == len(texts)
    out = []
    for row in rows:
        n = sum(row["mask"])
        assert row["mask"] == [1] * n + [0] * (max_len - n)
        assert row["ids"][n:] == [0] * (max_len - n)  # [PAD]
        out.append(row["ids"][:n])
    return out


def assert_same(texts: list[bytes], got: list[list[int]], want: list[list[int]]) -> None:
    bad = [(t, g, w) for t, g, w in zip(texts, got, want, strict=True) if g != w]
    assert not bad, f"{len(bad)} of {len(texts)} differ; first: {bad[0]!r}"


@pytest.mark.parametrize(
    ("vocab", "max_len"), [("tokenizer.json", 128), ("vocab.txt", 128), ("vocab.txt", 12)]
)
def test_corpus_matches_hf(vocab: str, max_len: int, tmp_path: Path) -> None:
    texts = corpus.corpus(6000)
    encode = corpus.hf_tokenizer(VOCAB_DIR / "tokenizer.json", max_len)
    got = tokenize(VOCAB_DIR / vocab, texts, tmp_path, max_len)
    assert_same(texts, got, [encode(t) for t in texts])


def test_every_code_point_matches_hf(tmp_path: Path) -> None:
    """Each code point inside a word and alone: the generated tables, whole."""
    from tokenizers import Tokenizer

    cps = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    texts = [f"x{chr(c)}y {chr(c)}".encode() for c in cps]
    got = tokenize(VOCAB_DIR / "vocab.txt", texts, tmp_path, 16)
    tok = Tokenizer.from_file(str(VOCAB_DIR / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(16)
    want = [list(e.ids) for e in tok.encode_batch([t.decode() for t in texts])]
    assert_same(texts, got, want)


BAD_INPUTS = {
    "empty": b"",
    "one MiB": b" ".join(b"word%d" % i for i in range(150_000))[: 1 << 20],
    "invalid UTF-8": bytes(range(128, 256)) * 8,
    "NUL inside": b"ab\x00cd\x00\x00 ef",
    "10,000-character word": b"x" * 10_000,
    "only punctuation": b"?!.,;:" * 500,
    "only combining marks": "\u0301\u0308\u0327".encode() * 1000,
    "mixed scripts": "Ελληνικά中文English한국어العربية😀".encode() * 50,
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_matches_hf(name: str, tmp_path: Path) -> None:
    text = BAD_INPUTS[name]
    encode = corpus.hf_tokenizer(VOCAB_DIR / "tokenizer.json", 128)
    assert tokenize(VOCAB_DIR / "vocab.txt", [text], tmp_path, 128) == [encode(text)]


def test_model_node_in_reference_matches_hf(tmp_path: Path) -> None:
    """The WordPieceTokenizer node through the compiled plan (TOKENIZE),
    in batches with texts cut to N bytes, as the in-kernel test runs it."""
    import numpy as np
    import onnx

    rows, nbytes, max_len = 250, 1024, 64
    texts = [t[:nbytes] for t in corpus.corpus(1000, seed=7)]
    model = tmp_path / "tok.onnx"
    onnx.save(corpus.tokenizer_model(rows, nbytes, max_len), model)
    encode = corpus.hf_tokenizer(VOCAB_DIR / "tokenizer.json", max_len)
    for b in range(0, len(texts), rows):
        batch = texts[b : b + rows]
        np.save(tmp_path / "text.npy", corpus.text_batch(batch, nbytes))
        r = run("run", "--reference", str(model), "-i", str(tmp_path / "text.npy"),
                "-o", str(tmp_path / "ids.npy"), "-o", str(tmp_path / "mask.npy"))
        assert r.returncode == 0, r.stderr
        ids, mask = np.load(tmp_path / "ids.npy"), np.load(tmp_path / "mask.npy")
        got = [ids[i, : mask[i].sum()].tolist() for i in range(rows)]
        assert_same(batch, got, [encode(t) for t in batch])


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KINFER, *args], capture_output=True, text=True, timeout=60)


def test_positional_texts_and_plain_output() -> None:
    r = run("tokenize", str(VOCAB_DIR / "vocab.txt"), "Héllo, wörld!", "a[MASK]b")
    assert r.returncode == 0, r.stderr
    encode = corpus.hf_tokenizer(VOCAB_DIR / "tokenizer.json", 128)
    want = [encode("Héllo, wörld!".encode()), encode(b"a[MASK]b")]
    assert r.stdout.splitlines() == [" ".join(map(str, ids)) for ids in want]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("hello\nworld\n", "the unknown token '[UNK]' is not in the vocabulary"),
        ("", "the vocabulary is empty"),
        ("[UNK]\n[CLS]\n[SEP]\n[PAD]\n" + "x" * 65 + "\n", "token 4 ('xxxx"),
    ],
)
def test_bad_vocab_txt(content: str, message: str, tmp_path: Path) -> None:
    f = tmp_path / "vocab.txt"
    f.write_text(content)
    r = run("tokenize", str(f), "text")
    assert r.returncode == 3
    assert message in r.stderr and str(f) in r.stderr


def _tokenizer_json(**changes: object) -> dict[str, object]:
    j: dict[str, object] = json.loads((VOCAB_DIR / "tokenizer.json").read_text())
    j.update(changes)
    return j


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"normalizer": {"type": "NFKC"}}, "only BertNormalizer is supported"),
        ({"pre_tokenizer": {"type": "Whitespace"}}, "only BertPreTokenizer is supported"),
        ({"model": {"type": "BPE", "vocab": {}}}, "only WordPiece is supported"),
        (
            {"added_tokens": [{"content": "[X]", "id": 5, "normalized": True}]},
            "added token '[X]': only normalized",
        ),
        ({"added_tokens": [{"content": "[X]", "id": 99999}]}, "outside the vocabulary"),
    ],
)
def test_bad_tokenizer_json(changes: dict[str, object], message: str, tmp_path: Path) -> None:
    f = tmp_path / "tokenizer.json"
    f.write_text(json.dumps(_tokenizer_json(**changes)))
    r = run("tokenize", str(f), "text")
    assert r.returncode == 3, r.stderr
    assert message in r.stderr and str(f) in r.stderr


def test_not_json(tmp_path: Path) -> None:
    f = tmp_path / "tokenizer.json"
    f.write_text("{")
    r = run("tokenize", str(f), "text")
    assert r.returncode == 3 and "not JSON" in r.stderr


def test_max_len_too_small() -> None:
    r = run("tokenize", str(VOCAB_DIR / "vocab.txt"), "--max-len", "1", "x")
    assert r.returncode == 2 and "--max-len" in r.stderr


def test_truncated_records(tmp_path: Path) -> None:
    f = tmp_path / "bad.rec"
    f.write_bytes(b"\x10\x00\x00\x00abc")
    r = run("tokenize", str(VOCAB_DIR / "vocab.txt"), "--records", str(f))
    assert r.returncode == 3 and "cut short" in r.stderr
