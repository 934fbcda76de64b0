"""Three real models in the kernel against ONNX Runtime (in the VM).

tests/models/real_models.py builds a ResNet-style CNN, a 2-layer
bidirectional LSTM, a 4-layer transformer encoder (28 MiB of weights,
one 16 MiB tensor) and an encoder of all-MiniLM-L6-v2's shape at 128 tokens
(85 MiB, run with the module's default arena and work budget), with
inputs and ONNX Runtime's outputs, on the host (make fixtures). Here each is loaded into kinfer.ko, run on every sample
and compared: max |kernel - ORT| <= 1e-4 * max |ORT| per output.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import BPFFS, FIXTURES, SYSFS, kinfer, module_for_file

REAL = FIXTURES / "real"
MODELS = ["resnet", "bilstm", "transformer", "minilm_shaped"]
REL_TOL = 1e-4


@pytest.fixture(scope="module", autouse=True)
def module():
    with module_for_file(*MODELS):
        yield


def samples(model: str) -> list[int]:
    return sorted({int(p.name.split("_")[1]) for p in (REAL / model).glob("expected_*_0.npy")})


@pytest.mark.parametrize("model", MODELS)
def test_real_model_in_kernel_matches_onnxruntime(model: str, tmp_path: Path) -> None:
    path = REAL / model / "model.onnx"
    assert path.exists(), f"missing fixture {path}; run 'make fixtures'"
    kinfer("load", str(path), "--name", model)
    info = json.loads(kinfer("show", model, "--json").stdout)
    print(f"{model}: {len(info['nodes'])} kernel nodes, weights {info['weights_bytes'] / 2**20:.1f} "
          f"MiB, arena {info['arena_bytes']} bytes (naive {info['arena_naive_bytes']}), "
          f"work {info['work']} units")
    worst = 0.0
    for i in samples(model):
        inputs = sorted((REAL / model).glob(f"input_{i}_*.npy"))
        outs = [tmp_path / f"out_{i}_{k}.npy" for k in range(len(info["outputs"]))]
        args = ["run", model]
        for p in inputs:
            args += ["--input", str(p)]
        for o in outs:
            args += ["--output", str(o)]
        kinfer(*args)
        for k, o in enumerate(outs):
            got = np.load(o)
            want = np.load(REAL / model / f"expected_{i}_{k}.npy")
            assert got.shape == want.shape and got.dtype == want.dtype
            rel = float(np.max(np.abs(got - want))) / float(np.max(np.abs(want)))
            worst = max(worst, rel)
            assert rel <= REL_TOL, f"sample {i} output {k}: relative error {rel:.2e}"
    print(f"{model}: worst relative error {worst:.2e} over {len(samples(model))} samples")
    assert int((SYSFS / "models" / model / "errors").read_text()) == 0
    kinfer("unload", model)
    assert not (BPFFS / model).exists()
