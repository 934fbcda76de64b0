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
    with module_for_file("tok"):
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
