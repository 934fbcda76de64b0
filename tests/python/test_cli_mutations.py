# SPDX-License-Identifier: GPL-2.0
"""Mutated models and tensors: kinfer refuses them cleanly.

A deterministic slice of the mutation smoke-fuzz (random byte flips,
deletions, insertions and extreme 32-bit values in a valid model and a
valid .npy input). Every run must end with exit 0 (the mutation was
harmless) or 3 (invalid model or input), never a signal or another code,
and stderr must be printable text: names from the file are not echoed raw.
"""
import random
import subprocess

import numpy as np
import pytest

from test_cli import EXIT_INVALID, EXIT_OK, KINFER, mlp_model, save

CASES = 150


def mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(b))
        r = rng.random()
        if r < 0.5:
            b[i] = rng.randrange(256)
        elif r < 0.7:
            del b[i:i + rng.randint(1, 16)]
        elif r < 0.85:
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        else:
            b[i:i + 4] = rng.choice([b"\xff\xff\xff\x7f", b"\x00\x00\x00\x80", b"\xff\xff\xff\xff"])
    return bytes(b)


def printable(text: str) -> bool:
    return all(ch in "\n\t" or (ord(ch) >= 32 and ord(ch) != 127) for ch in text)


@pytest.mark.parametrize("target", ["model", "input"])
def test_mutated_files_are_refused_cleanly(tmp_path, target):
    rng = random.Random(f"kinfer-{target}")
    model = save(tmp_path, mlp_model()).read_bytes()
    x = tmp_path / "x.npy"
    np.save(x, np.ones((2, 5), np.float32))
    clean_input = x.read_bytes()
    codes = {}
    for i in range(CASES):
        m, inp = tmp_path / "m.onnx", tmp_path / "in.npy"
        m.write_bytes(mutate(model, rng) if target == "model" else model)
        inp.write_bytes(mutate(clean_input, rng) if target == "input" else clean_input)
        r = subprocess.run([KINFER, "run", "--reference", str(m), "--input", str(inp),
                            "--output", str(tmp_path / "y.npy")], capture_output=True, timeout=60)
        codes[r.returncode] = codes.get(r.returncode, 0) + 1
        assert r.returncode in (EXIT_OK, EXIT_INVALID), f"case {i}: exit {r.returncode}: {r.stderr!r}"
        text = r.stderr.decode("utf-8", errors="replace")
        assert "\ufffd" not in text and printable(text), f"case {i}: raw bytes in {r.stderr!r}"
    assert codes.get(EXIT_INVALID, 0) > CASES // 2, codes  # most mutations must be caught
