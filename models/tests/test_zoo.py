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
from kinfer_parity import assert_matches_everywhere, initializers

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
