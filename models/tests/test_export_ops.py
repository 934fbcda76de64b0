"""Export of hand-written modules: each supported pattern, and the errors."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kinfer.flax
from kinfer.flax import ExportError
from kinfer_parity import assert_close, initializers, op_types, run_onnx

X = np.random.default_rng(0).normal(size=(3, 6)).astype(np.float32)


def _export(module: nn.Module, x: np.ndarray = X, **kwargs):
    variables = module.init(jax.random.key(0), x, **kwargs.pop("init_kwargs", {}))
    model = kinfer.flax.export(module, variables, x, **kwargs)
    return model, variables


def _check(module: nn.Module, x: np.ndarray = X, **kwargs):
    model, variables = _export(module, x, **kwargs)
    method = kwargs.get("method")
    assert_close(run_onnx(model, x), module.apply(variables, x, method=method))
    return model, variables


class Branches(nn.Module):
    """Two Dense branches joined by add and mul (same-shape runtime operands)."""

    @nn.compact
    def __call__(self, x):
        a = nn.relu(nn.Dense(5, name="left")(x))
        b = nn.sigmoid(nn.Dense(5, name="right")(x))
        return nn.Dense(4, name="head")(a * b + a)


def test_two_branches_add_mul() -> None:
    model, _ = _check(Branches())
    assert op_types(model) == [
        "MatMul",
        "Add",
        "Relu",
        "MatMul",
        "Add",
        "Sigmoid",
        "Mul",
        "Add",
        "MatMul",
        "Add",
    ]
    names = [n.name for n in model.graph.node]
    assert names[:2] == ["left/MatMul", "left/Add"]
    assert "right/Sigmoid" not in names  # nn.sigmoid is called by the parent module


class Scaled(nn.Module):
    @nn.compact
    def __call__(self, x):
        y = nn.Dense(4)(x * 2.0)
        return nn.tanh(y) * jnp.array([1.0, -2.0, 0.5, 4.0]) + 0.25


def test_constants_become_const_initializers() -> None:
    model, _ = _check(Scaled())
    assert op_types(model) == ["Mul", "MatMul", "Add", "Tanh", "Mul", "Add"]
    inits = initializers(model)
    consts = {n: v for n, v in inits.items() if n.startswith("const/")}
    assert sorted(consts) == ["const/0", "const/1", "const/2"]
    np.testing.assert_array_equal(consts["const/0"], np.array([2.0], np.float32))
    np.testing.assert_array_equal(consts["const/1"], np.array([1, -2, 0.5, 4], np.float32))
    assert model.graph.node[0].input[1] == "const/0"


class Arith(nn.Module):
    """sub / neg / div-by-constant / integer_pow / a folded constant."""

    @nn.compact
    def __call__(self, x):
        shift = self.param("shift", nn.initializers.normal(1.0), (6,))
        y = (x - 1.5) / 4.0 - shift
        y = -y + jnp.arange(6.0) ** 2
        y = 3.0 - y
        return y - y**3 + y * y


def test_sub_neg_div_pow_fold() -> None:
    model, _ = _check(Arith())
    assert set(op_types(model)) == {"Add", "Mul"}
    assert "params/shift" in initializers(model)


class BatchStatsScale(nn.Module):
    """A non-"params" collection read in the forward pass."""

    @nn.compact
    def __call__(self, x):
        scale = self.variable("batch_stats", "scale", lambda: jnp.full((6,), 0.5))
        unused = self.variable("batch_stats", "count", lambda: jnp.zeros((), jnp.float32))
        del unused
        return nn.Dense(3)(x * scale.value)


def test_other_collections_are_exported_by_path() -> None:
    model, variables = _check(BatchStatsScale())
    inits = initializers(model)
    assert set(inits) == {"batch_stats/scale", "params/Dense_0/kernel", "params/Dense_0/bias"}
    np.testing.assert_array_equal(inits["batch_stats/scale"], variables["batch_stats"]["scale"])


class EncDec(nn.Module):
    def setup(self):
        self.enc = nn.Dense(4)
        self.dec = nn.Dense(6)

    def __call__(self, x):
        return self.dec(nn.relu(self.enc(x)))

    def encode(self, x):
        return nn.softmax(self.enc(x))


@pytest.mark.parametrize("method", ["encode", EncDec.encode])
def test_method_entry_point_exports_only_its_variables(method) -> None:
    model, _ = _check(EncDec(), method=method)
    assert op_types(model) == ["MatMul", "Add", "Softmax"]
    assert set(initializers(model)) == {"params/enc/kernel", "params/enc/bias"}
    assert model.graph.node[0].name == "enc/MatMul"


class Nested(nn.Module):
    @nn.compact
    def __call__(self, x):
        block = Block(name="block")
        x = jax.jit(nn.silu)(block(x))  # jit inside a module, inlined
        return jax.checkpoint(lambda y: jax.nn.softmax(y * 0.5))(x)


class Block(nn.Module):
    @nn.compact
    def __call__(self, x):
        return nn.relu(nn.Dense(4, name="inner")(x))


def test_nested_modules_and_call_primitives() -> None:
    model, _ = _check(Nested())
    assert op_types(model) == ["MatMul", "Add", "Relu", "Sigmoid", "Mul", "Mul", "Softmax"]
    assert [n.name for n in model.graph.node][:3] == [
        "block/inner/MatMul",
        "block/inner/Add",
        "block/Relu",
    ]
    assert "params/block/inner/kernel" in initializers(model)


def test_softmax_with_custom_jvp_config() -> None:
    module = nn.Sequential([nn.Dense(4), nn.softmax])
    jax.config.update("jax_softmax_custom_jvp", True)
    try:
        model, _ = _check(module)
    finally:
        jax.config.update("jax_softmax_custom_jvp", False)
    assert op_types(model) == ["MatMul", "Add", "Softmax"]


def test_handwritten_softmax() -> None:
    def softmax(y):
        e = jnp.exp(y - jnp.max(y, axis=-1, keepdims=True))
        return e / jnp.sum(e, axis=-1, keepdims=True)

    model, _ = _check(nn.Sequential([nn.Dense(4), softmax]))
    assert op_types(model) == ["MatMul", "Add", "Softmax"]


def test_tanh_gelu() -> None:
    model, _ = _check(nn.Sequential([nn.Dense(4), nn.gelu]))  # approximate=True
    assert set(op_types(model)) == {"MatMul", "Add", "Mul", "Tanh"}


def test_use_bias_false_and_batch_one() -> None:
    x = X[:1]
    model, _ = _check(nn.Sequential([nn.Dense(3, use_bias=False), nn.relu]), x)
    assert op_types(model) == ["MatMul", "Relu"]


# --- errors -------------------------------------------------------------------------


class Sin(nn.Module):
    @nn.compact
    def __call__(self, x):
        return jnp.sin(nn.Dense(3, name="proj")(x))


class Conv(nn.Module):
    @nn.compact
    def __call__(self, x):
        return nn.Conv(2, (3,), name="conv")(x)


@pytest.mark.parametrize(
    ("module", "x", "primitive", "where"),
    [
        (Sin(), X, "sin", "Sin"),
        (Conv(), X[:, :, None], "conv_general_dilated", "Conv/conv"),
        (
            nn.Sequential([nn.Dense(3), lambda y: nn.gelu(y, approximate=False)]),
            X,
            "erfc",
            "Sequential",
        ),
    ],
)
def test_unsupported_primitive(module, x, primitive, where) -> None:
    with pytest.raises(ExportError) as info:
        _export(module, x)
    message = str(info.value)
    assert f"unsupported primitive '{primitive}'" in message
    assert f"in Flax module '{where}" in message
    assert "kinfer supports: dot_general" in message


@pytest.mark.parametrize(
    ("fn", "match"),
    [
        (lambda y: jax.nn.softmax(y, axis=0), "reduce_max"),
        (lambda y: jnp.exp(y), "exp is supported only inside jax.nn.softmax"),
        (lambda y: jnp.maximum(y, 1.0), "max is supported only as ReLU"),
        (lambda y: y / (y + 1.0), "division is supported only by a constant"),
        (lambda y: y[None], "cannot add leading 1-dims to an output"),
        (lambda y: y.T, "unsupported primitive 'transpose'"),
        (lambda y: y @ y.T, "transpose"),
        (lambda y: (y, y), "must return a single array"),
    ],
)
def test_unsupported_patterns(fn, match) -> None:
    with pytest.raises(ExportError, match=match):
        _export(nn.Sequential([nn.Dense(3), fn]))


class ParamOnly(nn.Module):
    @nn.compact
    def __call__(self, x):
        gate = self.param("gate", nn.initializers.zeros, (6,))
        return x * nn.sigmoid(gate)


def test_computation_on_variables_is_rejected() -> None:
    with pytest.raises(ExportError, match="the variable 'params/gate'"):
        _export(ParamOnly())


class Rank3(nn.Module):
    @nn.compact
    def __call__(self, x):
        return nn.Dense(2)(x)


def test_matmul_needs_2d_input() -> None:
    with pytest.raises(ExportError, match=r"only x\[M,K\] @ W\[K,N\] is supported"):
        _export(Rank3(), X[None])


def test_identity_model_is_rejected() -> None:
    with pytest.raises(ExportError, match="at least one operation"):
        _export(nn.Sequential([lambda y: y]), X)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"input_name": "y"}, "distinct"),
        ({"output_name": ""}, "distinct"),
        ({"input_name": "params/kernel"}, "used more than once"),
        ({"method": "nope"}, "has no method 'nope'"),
    ],
)
def test_bad_arguments(kwargs, match) -> None:
    module = nn.Dense(3)
    variables = module.init(jax.random.key(0), X)
    with pytest.raises(ExportError, match=match):
        kinfer.flax.export(module, variables, X, **kwargs)


def test_integer_input_is_rejected() -> None:
    module = nn.Dense(3)
    variables = module.init(jax.random.key(0), X)
    with pytest.raises(ExportError, match="float array"):
        kinfer.flax.export(module, variables, X.astype(np.int32))


class ConstCollection(nn.Module):
    """A variable whose path looks like a generated constant name."""

    @nn.compact
    def __call__(self, x, *, double: bool = False):
        c = self.variable("const", "0", lambda: jnp.full((6,), 3.0))
        y = x * c.value * 2.0
        return y * 2.0 if double else y


def test_generated_names_avoid_variable_paths() -> None:
    model, variables = _check(ConstCollection())
    inits = initializers(model)
    assert set(inits) == {"const/0", "const/1"}
    np.testing.assert_array_equal(inits["const/0"], variables["const"]["0"])
    np.testing.assert_array_equal(inits["const/1"], [2.0])


def test_frozen_dict_variables_and_apply_kwargs() -> None:
    from flax.core import freeze

    module = ConstCollection()
    variables = freeze(module.init(jax.random.key(0), X))
    model = kinfer.flax.export(module, variables, X, apply_kwargs={"double": True})
    assert op_types(model) == ["Mul", "Mul", "Mul"]
    assert_close(run_onnx(model, X), module.apply(variables, X, double=True))
