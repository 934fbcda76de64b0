"""Every model of the zoo (kinfer.examples.zoo) exports, compiles and matches JAX.

Each method is exported, run in ONNX Runtime and in kinfer's userspace
reference (the kernel's checks and math), and compared with the module
applied in JAX. The in-kernel run of the same exports is tests/vm.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

import kinfer.flax
from kinfer.examples import zoo
import jax.numpy as jnp

from kinfer_parity import (
    assert_close,
    assert_matches_everywhere,
    initializers,
    run_onnx_all,
    run_reference,
)

CASES = [
    (name, method)
    for name in zoo.ZOO
    if not zoo.build(name).mutable
    for method in zoo.build(name).methods
]


def _reference(entry: zoo.Entry, method: str) -> np.ndarray:
    if entry.variables is None:  # NNX: the model is its own apply
        return np.asarray(getattr(entry.module, method)(entry.example))
    return np.asarray(entry.module.apply(entry.variables, entry.example, method=method))


@pytest.mark.parametrize(("name", "method"), CASES)
def test_zoo_model_matches_jax(name: str, method: str) -> None:
    entry = zoo.build(name)
    if entry.variables is None:
        model = kinfer.flax.export(entry.module, entry.example, method=method)
    else:
        model = kinfer.flax.export(entry.module, entry.variables, entry.example, method=method)
    assert_matches_everywhere(model, entry.example, _reference(entry, method))

    # weights keep their Flax names and values
    if entry.variables is not None:
        flat = {
            "/".join(str(k.key) for k in path): np.asarray(leaf)
            for path, leaf in jax.tree_util.tree_flatten_with_path(entry.variables)[0]
        }
        named = {k: v for k, v in initializers(model).items() if not k.startswith("const/")}
        assert named and set(named) <= set(flat)
        for key, value in named.items():
            np.testing.assert_array_equal(value, flat[key])


def test_nnx_variables_are_named_by_collection_and_path() -> None:
    entry = zoo.build("nnx")
    model = kinfer.flax.export(entry.module, entry.example)
    names = {k for k in initializers(model) if not k.startswith("const/")}
    assert names == {
        f"params/{layer}/{p}"
        for layer, params in (("up", ("kernel", "bias")), ("norm", ("scale", "bias")),
                              ("out", ("kernel", "bias")))
        for p in params
    }  # fmt: skip
    np.testing.assert_array_equal(
        initializers(model)["params/up/kernel"], np.asarray(entry.module.up.kernel[...])
    )


def test_submodule_paths_name_the_nodes() -> None:
    entry = zoo.build("encoder")
    model = kinfer.flax.export(entry.module, entry.variables, entry.example, method="encode")
    prefixes = {n.name.split("/")[0] for n in model.graph.node}
    assert {"embed", "layers_0", "layers_1", "norm"} <= prefixes
    assert any(n.name.startswith("layers_1/attn/") for n in model.graph.node)


def test_mutable_collection_is_refused_until_declared() -> None:
    entry = zoo.build("counter")
    with pytest.raises(kinfer.flax.ExportError, match="tracing CountingDense.__call__ failed"):
        kinfer.flax.export(entry.module, entry.variables, entry.example)


def test_mutable_collection_becomes_declared_state() -> None:
    import json

    entry = zoo.build("counter")
    model = kinfer.flax.export(entry.module, entry.variables, entry.example, mutable=("counters",))
    assert [o.name for o in model.graph.output] == [
        "y", "counters/calls@next", "counters/input_sum@next",
    ]  # fmt: skip
    meta = {p.key: p.value for p in model.metadata_props}
    assert json.loads(meta["kinfer.state"]) == {
        "counters/calls@next": "counters/calls",
        "counters/input_sum@next": "counters/input_sum",
    }
    y, updated = entry.module.apply(entry.variables, entry.example, mutable=["counters"])
    counters = updated["counters"]
    expected = [np.asarray(y), np.asarray(counters["calls"]), np.asarray(counters["input_sum"])]
    for got, want in zip(run_onnx_all(model, entry.example), expected, strict=True):
        assert_close(got, want)
    # kinfer's reference: the state is not an output, y sees the updated counter
    (got,) = run_reference(model, entry.example)
    assert_close(got, np.asarray(y), rtol=1e-4)


def test_state_a_call_creates_is_refused() -> None:
    import flax.linen as nn

    class Lazy(nn.Module):
        @nn.compact
        def __call__(self, x):
            seen = self.variable("stats", "seen", lambda: jnp.zeros((), jnp.float32))
            seen.value = seen.value + 1.0
            return x * 2.0

    x = np.ones((1, 3), np.float32)
    params_only = {"params": {}}
    with pytest.raises(kinfer.flax.ExportError, match="creates the variable 'stats/seen'"):
        kinfer.flax.export(Lazy(), params_only, x, mutable=("stats",))


def test_submodule_exports_on_the_parents_names() -> None:
    from kinfer.flax.module import _Source

    entry = zoo.build("encoder")
    source = _Source(entry.module, (entry.variables, entry.example), {}, False)
    paths = [p for p, _ in source.calls("encode")]
    assert paths[:2] == ["embed", "layers_0"] and "layers_1/attn/query" in paths
    sub = source.submodule("layers_1", "encode")
    model = kinfer.flax.export(sub.module, *sub.args, method=sub.entry, module_path="layers_1")
    names = {k for k in initializers(model) if not k.startswith("const/")}
    assert names and all(k.startswith("params/layers_1/") for k in names)
    assert all(n.name.startswith("layers_1/") for n in model.graph.node)
    inputs = list(sub.args[1:])
    assert [x.shape for x in inputs] == [(2, 12, 32), (2, 1, 12, 12)]  # x and the attention mask
    assert_matches_everywhere(model, inputs, sub.module.apply(sub.args[0], *inputs))
    with pytest.raises(kinfer.flax.ExportError, match="calls no submodule 'layers_7'"):
        source.submodule("layers_7", "encode")


def test_restored_variables_equal_initialised_ones() -> None:
    from flax import serialization

    entry = zoo.build("cnn")
    restored = zoo.build("cnn", variables=serialization.to_bytes(entry.variables))
    for a, b in zip(jax.tree_util.tree_leaves(entry.variables),
                    jax.tree_util.tree_leaves(restored.variables), strict=True):  # fmt: skip
        np.testing.assert_array_equal(a, b)


def test_layout_transposes_collapse_and_nothing_dead_is_kept() -> None:
    entry = zoo.build("cnn")
    model = kinfer.flax.export(entry.module, entry.variables, entry.example)
    producers = {n.output[0]: n.op_type for n in model.graph.node}
    for node in model.graph.node:
        if node.op_type == "Transpose":
            assert producers.get(node.input[0]) != "Transpose", node.name
    used = {i for n in model.graph.node for i in n.input}
    assert {t.name for t in model.graph.initializer} <= used
    outputs = {o.name for o in model.graph.output}
    consumed = used | outputs
    assert all(n.output[0] in consumed for n in model.graph.node)
