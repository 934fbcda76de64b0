"""Parity and structure of exported example MLPs (kinfer.examples.mlp)."""

from __future__ import annotations

import itertools

import jax
import numpy as np
import onnx
import pytest

import kinfer.flax
from kinfer.examples import make_mlp
from kinfer.export.graph import IR_VERSION, OPSET
from kinfer_parity import (
    assert_close,
    assert_matches_everywhere,
    initializers,
    op_types,
    run_onnx,
)

LAYERS = (12, 32, 16, 5)


def _build(style: str, activation: str, softmax: bool, batch: int, layers=LAYERS):
    module = make_mlp(layers, activation, style, softmax)
    x = jax.random.normal(jax.random.key(7), (batch, layers[0]))
    variables = module.init(jax.random.key(3), x)
    return module, variables, np.asarray(x)


@pytest.mark.parametrize(
    ("style", "activation", "softmax", "batch"),
    list(
        itertools.product(("setup", "compact"), ("relu", "sigmoid", "tanh"), (False, True), (1, 8))
    ),
)
def test_parity_with_jax(style: str, activation: str, softmax: bool, batch: int) -> None:
    module, variables, x = _build(style, activation, softmax, batch)
    model = kinfer.flax.export(module, variables, x)

    # Check on fresh inputs too: the example input is only traced.
    for xs in (x, np.random.default_rng(batch).normal(size=x.shape).astype(np.float32) * 3):
        assert_matches_everywhere(model, xs, module.apply(variables, xs))

    act = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}[activation]
    expected = ["MatMul", "Add", act] * 2 + ["MatMul", "Add"] + (["Softmax"] if softmax else [])
    assert op_types(model) == expected


@pytest.mark.parametrize("style", ["setup", "compact"])
def test_initializers_are_flax_paths_with_flax_values(style: str) -> None:
    module, variables, x = _build(style, "relu", False, 2)
    model = kinfer.flax.export(module, variables, x)

    prefix = "layers_" if style == "setup" else "Dense_"
    flat = {
        "/".join(str(k.key) for k in path): np.asarray(leaf)
        for path, leaf in jax.tree_util.tree_flatten_with_path(variables)[0]
    }
    inits = initializers(model)
    assert (
        set(inits)
        == set(flat)
        == {f"params/{prefix}{i}/{p}" for i in range(3) for p in ("kernel", "bias")}
    )
    for name, value in inits.items():
        assert value.dtype == np.float32
        np.testing.assert_array_equal(value, flat[name])
    # Flax layouts: kernel [in, out], bias [out].
    assert inits[f"params/{prefix}0/kernel"].shape == (12, 32)
    assert inits[f"params/{prefix}0/bias"].shape == (32,)


def test_graph_interface_and_node_names() -> None:
    module, variables, x = _build("compact", "relu", True, 4)
    model = kinfer.flax.export(module, variables, x)
    onnx.checker.check_model(model, full_check=True)

    assert model.ir_version == IR_VERSION
    assert [(o.domain, o.version) for o in model.opset_import] == [("", OPSET)]
    assert model.graph.name == "CompactMLP"
    (inp,) = model.graph.input
    (out,) = model.graph.output
    assert inp.name == "x" and out.name == "y"
    for vi, shape in ((inp, [4, 12]), (out, [4, 5])):
        assert vi.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
        assert [d.dim_value for d in vi.type.tensor_type.shape.dim] == shape

    names = [n.name for n in model.graph.node]
    assert names[:3] == ["Dense_0/MatMul", "Dense_0/Add", "Relu"]
    assert len(set(names)) == len(names)
    # Every MatMul is followed by an Add of its layer's bias: the loader fuses them.
    nodes = list(model.graph.node)
    for mm, add in itertools.pairwise(nodes):
        if mm.op_type == "MatMul":
            assert add.op_type == "Add" and add.input[0] == mm.output[0]
            assert add.input[1] == mm.input[1].replace("kernel", "bias")


def test_three_layer_relu_counts() -> None:
    module, variables, x = _build("setup", "relu", False, 1, layers=(4, 8, 8, 2))
    ops = op_types(kinfer.flax.export(module, variables, x))
    assert (ops.count("MatMul"), ops.count("Add"), ops.count("Relu")) == (3, 3, 2)
    assert len(ops) == 8


def test_names_path_and_model_name(tmp_path) -> None:
    module, variables, x = _build("compact", "tanh", False, 3)
    path = tmp_path / "m.onnx"
    model = kinfer.flax.export(
        module,
        variables,
        x,
        input_names=["features"],
        output_names=["logits"],
        model_name="tiny",
        path=path,
    )
    loaded = onnx.load(str(path))
    assert loaded == model
    assert loaded.graph.name == "tiny"
    assert loaded.graph.input[0].name == "features"
    assert loaded.graph.output[0].name == "logits"
    assert_close(run_onnx(loaded, x, "features"), module.apply(variables, x))
