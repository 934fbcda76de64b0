"""The Flax model zoo in the kernel, against JAX (in the VM).

`kinfer-models export-zoo` (make fixtures, on the host) exports every model
and method of kinfer.examples.zoo (MLP, CNN with BatchNorm and pooling, an
NNX model, LSTM and GRU classifiers through nn.RNN, a transformer encoder
with a masked MultiHeadDotProductAttention and both GELUs, an embedding-bag
classifier, a module with two methods) with an input and the output of
`module.apply` under jax.jit. Here each is loaded into kinfer.ko, run and
compared: max |kernel - JAX| <= 1e-4 * max |JAX|.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import BPFFS, FIXTURES, SYSFS, kinfer, module_for_file

ZOO = FIXTURES / "zoo"
REL_TOL = 1e-4
# Every directory make-fixtures.sh writes; a missing one fails, not skips.
MODELS = [
    "mlp_call", "cnn_call", "nnx_call", "lstm_call", "gru_call", "encoder_call",
    "encoder_encode", "embedding_bag_call", "two_methods_call", "two_methods_encode",
]  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def module():
    with module_for_file(*MODELS):
        yield


@pytest.mark.parametrize("model", MODELS)
def test_zoo_model_in_kernel_matches_jax(model: str, tmp_path: Path) -> None:
    path = ZOO / model / "model.onnx"
    assert path.exists(), f"missing fixture {path}; run 'make fixtures'"
    kinfer("load", str(path), "--name", model)
    info = json.loads(kinfer("show", model, "--json").stdout)
    out = tmp_path / "out.npy"
    kinfer("run", model, "--input", str(ZOO / model / "input_0.npy"), "--output", str(out))
    got, want = np.load(out), np.load(ZOO / model / "expected_0.npy")
    assert got.shape == want.shape and got.dtype == want.dtype
    rel = float(np.max(np.abs(got - want))) / float(np.max(np.abs(want)))
    print(f"{model}: {len(info['nodes'])} kernel nodes, relative error {rel:.2e}")
    assert rel <= REL_TOL
    assert int((SYSFS / "models" / model / "errors").read_text()) == 0
    kinfer("unload", model)
    assert not (BPFFS / model).exists()
