# SPDX-License-Identifier: GPL-2.0
"""A small Flax transformer feed-forward block (Dense, exact GELU, Dense,
residual, LayerNorm), as kinfer.flax exports it: GELU as
0.5x * (1 - erf(-x / sqrt 2)) and LayerNorm as E[x^2] - E[x]^2 through
ReduceSum, Relu, Sqrt and Reciprocal.  The NLP passes leave one GELU and
one LAYER_NORM kernel op, and `kinfer run --reference` still matches ONNX
Runtime.

The binary is $KINFER_BIN, default build/cmake/loader/kinfer.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest

ROOT = Path(__file__).resolve().parents[2]
KINFER = os.environ.get("KINFER_BIN", str(ROOT / "build/cmake/loader/kinfer"))
REL_TOL = 1e-5


def kinfer(*args: object) -> subprocess.CompletedProcess[str]:
    r = subprocess.run([KINFER, *map(str, args)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"exit {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    return r


def _block() -> Any:
    import flax.linen as nn
    import jax

    class Block(nn.Module):
        @nn.compact
        def __call__(self, x: jax.Array) -> jax.Array:
            h = nn.gelu(nn.Dense(48)(x), approximate=False)
            return nn.LayerNorm(epsilon=1e-6)(x + nn.Dense(16)(h))

    return Block()


@pytest.fixture(scope="module")
def block(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    import jax

    import kinfer.flax

    module = _block()
    rng = np.random.default_rng(3)
    x = (2.0 * rng.standard_normal((1, 9, 16))).astype(np.float32)
    variables = module.init(jax.random.key(3), x)
    # A trained LayerNorm's scale and bias are not 1 and 0.
    variables = jax.tree_util.tree_map_with_path(
        lambda p, v: (rng.normal(1.0 if p[-1].key == "scale" else 0.0, 0.3, v.shape).astype(np.float32)
                      if "LayerNorm" in p[-2].key else v), variables)
    model = kinfer.flax.export(module, variables, x, input_names=["x"], output_names=["y"],
                               model_name="ffn")
    path = tmp_path_factory.mktemp("nlp") / "ffn.onnx"
    onnx.save(model, str(path))
    return path, x


def test_flax_block_fuses_gelu_and_layer_norm(block: tuple[Path, np.ndarray]) -> None:
    path, _ = block
    ops = [n.op_type for n in onnx.load(str(path)).graph.node]
    # What the exporter wrote: the test is about undoing it.
    assert "Erf" in ops and "ReduceSum" in ops and "Reciprocal" in ops, ops
    plan = json.loads(kinfer("inspect", path, "--json").stdout)
    kops = [n["op"] for n in plan["nodes"]]
    assert kops == ["INPUT", "MATMUL", "GELU", "MATMUL", "ADD", "LAYER_NORM", "OUTPUT"], kops
    gelu = next(n for n in plan["nodes"] if n["op"] == "GELU")
    assert any(f.endswith("Erf") for f in gelu["onnx_nodes"]), gelu["onnx_nodes"]


def test_flax_block_matches_onnxruntime(block: tuple[Path, np.ndarray], tmp_path: Path) -> None:
    path, x = block
    np.save(tmp_path / "x.npy", x)
    kinfer("run", "--reference", path, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")
    got = np.load(tmp_path / "y.npy")
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (want,) = sess.run(None, {"x": x})
    assert got.shape == want.shape
    rel = float(np.max(np.abs(got - want))) / float(np.max(np.abs(want)))
    assert rel <= REL_TOL, f"relative error {rel:.2e}"
