# SPDX-License-Identifier: GPL-2.0
"""A Flax CNN (NHWC, Conv + BatchNorm + ReLU6, as kinfer.flax exports it:
Transposes around every Conv, BatchNorm as Sub/Mul/Add over the last axis,
ReLU6 as Relu then Min) compiles to one CONV per convolution, and
`kinfer run --reference` still matches ONNX Runtime.

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
REL_TOL = 1e-4


def kinfer(*args: object) -> subprocess.CompletedProcess[str]:
    r = subprocess.run([KINFER, *map(str, args)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"exit {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    return r


def _cnn() -> Any:
    import flax.linen as nn
    import jax
    import jax.numpy as jnp

    class Cnn(nn.Module):
        """A strided 3x3 stem, a depthwise-separable block, global average pool, Dense."""

        @nn.compact
        def __call__(self, x: jax.Array) -> jax.Array:
            for features, kernel, stride, groups in ((8, 3, 2, 1), (8, 3, 1, 8), (16, 1, 1, 1)):
                x = nn.Conv(features, (kernel, kernel), strides=stride, padding="SAME",
                            feature_group_count=groups, use_bias=False)(x)
                x = nn.relu6(nn.BatchNorm(use_running_average=True)(x))
            return nn.Dense(4)(jnp.mean(x, axis=(1, 2)))

    return Cnn()


@pytest.fixture(scope="module")
def cnn(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    import jax

    import kinfer.flax

    module = _cnn()
    rng = np.random.default_rng(7)
    image = rng.standard_normal((1, 20, 18, 3)).astype(np.float32)
    variables = module.init(jax.random.key(7), image)
    # Non-trivial statistics, as a trained model has.
    stats = jax.tree_util.tree_map_with_path(
        lambda p, v: (rng.uniform(0.5, 2.0, v.shape) if p[-1].key == "var"
                      else rng.normal(0.0, 0.5, v.shape)).astype(np.float32),
        variables["batch_stats"])
    variables = {**variables, "batch_stats": stats}
    model = kinfer.flax.export(module, variables, image, input_names=["image"],
                               output_names=["logits"], model_name="cnn")
    path = tmp_path_factory.mktemp("layout") / "cnn.onnx"
    onnx.save(model, str(path))
    return path, image


def test_flax_cnn_is_a_chain_of_convs(cnn: tuple[Path, np.ndarray]) -> None:
    path, _ = cnn
    ops = [n.op_type for n in onnx.load(str(path)).graph.node]
    # What the exporter wrote: the test is about undoing it.
    assert ops.count("Transpose") >= 6 and "Sub" in ops and "Min" in ops, ops
    plan = json.loads(kinfer("inspect", path, "--json").stdout)
    kops = [n["op"] for n in plan["nodes"]]
    # The input's Transpose (a COPY) stays; every other kernel op is a CONV
    # up to the average pool and the Dense.
    assert kops[:5] == ["INPUT", "COPY", "CONV", "CONV", "CONV"], kops
    assert kops.count("COPY") == 1 and kops.count("CONV") == 3, kops
    for op in ("SUB", "MUL", "ADD", "RELU", "MIN"):
        assert op not in kops, kops
    for node in plan["nodes"][2:5]:
        fused = node["onnx_nodes"]
        assert any("/Sub" in f for f in fused) and any(f.split("/")[-1].startswith("Min") for f in fused), fused


def test_flax_cnn_matches_onnxruntime(cnn: tuple[Path, np.ndarray], tmp_path: Path) -> None:
    path, image = cnn
    np.save(tmp_path / "image.npy", image)
    kinfer("run", "--reference", path, "--input", tmp_path / "image.npy",
           "--output", tmp_path / "out.npy")
    got = np.load(tmp_path / "out.npy")
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (want,) = sess.run(None, {"image": image})
    assert got.shape == want.shape
    rel = float(np.max(np.abs(got - want))) / float(np.max(np.abs(want)))
    assert rel <= REL_TOL, f"relative error {rel:.2e}"
