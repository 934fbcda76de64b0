"""The three real models through the userspace executor, against ONNX Runtime.

The same models and tolerance as tests/vm/test_real_models.py (which runs
them in the kernel); here `kinfer run --reference` executes the compiled
plan with the kernel's own checks and math.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from test_cli import EXIT_OK, kinfer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
import real_models  # noqa: E402

REL_TOL = 1e-4


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("real")
    for name in real_models.MODELS:
        if name != "minilm_shaped":     # in the kernel test only: 85 MiB
            real_models.write(name, out / name, samples=2)
    return out


@pytest.mark.parametrize("model", ["bilstm", "resnet", "transformer"])
def test_reference_matches_onnxruntime(built: Path, model: str, tmp_path: Path) -> None:
    d = built / model
    info = json.loads(kinfer("inspect", d / "model.onnx", "--json", check=EXIT_OK).stdout)
    for i in range(2):
        args = ["run", "--reference", d / "model.onnx"]
        for p in sorted(d.glob(f"input_{i}_*.npy")):
            args += ["--input", p]
        outs = [tmp_path / f"o{k}.npy" for k in range(len(info["outputs"]))]
        for o in outs:
            args += ["--output", o]
        kinfer(*args, check=EXIT_OK)
        for k, o in enumerate(outs):
            got, want = np.load(o), np.load(d / f"expected_{i}_{k}.npy")
            assert got.shape == want.shape
            rel = float(np.max(np.abs(got - want))) / float(np.max(np.abs(want)))
            assert rel <= REL_TOL, f"{model} sample {i} output {k}: relative error {rel:.2e}"


def test_transformer_has_the_weights_the_issue_asks_for(built: Path) -> None:
    import onnx
    from onnx import numpy_helper

    sizes = [numpy_helper.to_array(t).nbytes
             for t in onnx.load(str(built / "transformer" / "model.onnx")).graph.initializer]
    assert sum(sizes) >= 20 * 2**20
    assert max(sizes) >= 16 * 2**20
