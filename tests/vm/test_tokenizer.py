"""The tokenizer in the kernel against HuggingFace tokenizers (in the VM).

make fixtures writes tests/python/tokenizer_corpus.py's 5,000 texts
(accented Latin, combining marks, CJK, emoji, punctuation runs, control
characters, invalid UTF-8, long words, added tokens) in batches of 250,
each cut to 1,024 bytes, with HF's ids of each at 64 tokens.  Here a
model of one WordPieceTokenizer node runs them through the kernel's
TOKENIZE kfunc; every id must equal HF's.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import FIXTURES, SYSFS, kinfer, module_for_file

TOK = FIXTURES / "tokenizer"


@pytest.fixture(scope="module", autouse=True)
def module():
    with module_for_file("tok", "tok1m"):
        yield


def test_tokenizer_in_kernel_matches_hf(tmp_path: Path) -> None:
    assert (TOK / "model.onnx").exists(), "missing fixture; run 'make fixtures'"
    expected = json.loads((TOK / "expected.json").read_text())
    rows, max_len = expected["rows"], expected["max_len"]
    kinfer("load", str(TOK / "model.onnx"), "--name", "tok")
    batches = sorted(TOK.glob("text_*.npy"), key=lambda p: int(p.stem.split("_")[1]))
    checked = 0
    for b, batch in enumerate(batches):
        ids_file, mask_file = tmp_path / "ids.npy", tmp_path / "mask.npy"
        kinfer("run", "tok", "-i", str(batch), "-o", str(ids_file), "-o", str(mask_file))
        ids, mask = np.load(ids_file), np.load(mask_file)
        for r in range(rows):
            want = expected["ids"][b * rows + r]
            n = len(want)
            assert mask[r].tolist() == [1] * n + [0] * (max_len - n), f"text {b * rows + r}"
            assert ids[r, :n].tolist() == want, f"text {b * rows + r}"
            assert not ids[r, n:].any()
            checked += 1
    print(f"tokenizer: {checked} texts equal to HF in the kernel")
    assert checked == len(expected["ids"]) >= 5000
    assert int((SYSFS / "models" / "tok" / "errors").read_text()) == 0
    assert int((SYSFS / "models" / "tok" / "calls").read_text()) == len(batches)
    kinfer("unload", "tok")


def test_bad_inputs_in_kernel_match_hf(tmp_path: Path) -> None:
    """The issue's bad inputs, each alone in a 1 MiB row: exact ids, a
    clean kernel log (checked when the module is removed)."""
    import sys

    import onnx

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
    import tokenizer_corpus as corpus

    nbytes, max_len = 1 << 20, 128
    texts = {
        "empty": b"",
        "one MiB of words": b" ".join(b"word%d" % i for i in range(150_000))[:nbytes],
        "one MiB of spaces, then a word": b" " * (nbytes - 5) + b"hello",
        "invalid UTF-8": bytes(range(128, 256)) * 64,
        "NUL inside": b"ab\x00cd\x00\x00 ef",
        "10,000-character word": b"x" * 10_000,
        "only punctuation": b"?!.,;:" * 2000,
        "only combining marks": "\u0301\u0308\u0327".encode() * 3000,
        "mixed scripts": "Ελληνικά中文English한국어العربية😀".encode() * 200,
    }
    model = tmp_path / "tok1m.onnx"
    onnx.save(corpus.tokenizer_model(1, nbytes, max_len), model)
    kinfer("load", str(model), "--name", "tok1m")
    encode = corpus.hf_tokenizer(corpus.minilm_dir() / "tokenizer.json", max_len)
    for what, text in texts.items():
        np.save(tmp_path / "text.npy", corpus.text_batch([text], nbytes))
        kinfer("run", "tok1m", "-i", str(tmp_path / "text.npy"),
               "-o", str(tmp_path / "ids.npy"), "-o", str(tmp_path / "mask.npy"))
        ids, mask = np.load(tmp_path / "ids.npy"), np.load(tmp_path / "mask.npy")
        assert ids[0, : mask[0].sum()].tolist() == encode(text), what
    assert int((SYSFS / "models" / "tok1m" / "errors").read_text()) == 0
    kinfer("unload", "tok1m")
