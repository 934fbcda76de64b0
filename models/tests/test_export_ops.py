"""Export of hand-written modules: each primitive family, names, and the errors.

Every parity case runs the exported model in ONNX Runtime and in kinfer's
userspace reference (the kernel's checks and math) and compares both with
``module.apply`` in JAX.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kinfer.flax
from kinfer.flax import ExportError
from kinfer_parity import assert_matches_everywhere, initializers, op_types

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 6)).astype(np.float32)
IMAGE = RNG.normal(size=(2, 9, 8, 4)).astype(np.float32)
SEQ = RNG.normal(size=(2, 5, 8)).astype(np.float32)
TOKENS = RNG.integers(0, 20, size=(2, 7)).astype(np.int32)


def _export(module: nn.Module, *xs: Any, **kwargs: Any):
    xs = xs or (X,)
    variables = module.init(jax.random.key(0), *xs, **kwargs.pop("init_kwargs", {}))
    model = kinfer.flax.export(module, variables, *xs, **kwargs)
    return model, variables


def _check(module: nn.Module, *xs: Any, **kwargs: Any):
    xs = xs or (X,)
    model, variables = _export(module, *xs, **kwargs)
    method = kwargs.get("method")
    extra = kwargs.get("apply_kwargs") or {}
    expected = module.apply(variables, *xs, method=method, **extra)
    assert_matches_everywhere(model, list(xs), expected)
    return model, variables


class Fn(nn.Module):
    """A Dense layer, then ``fn``: puts a computation on runtime tensors."""

    fn: Callable[..., Any]
    features: int = 6

    @nn.compact
    def __call__(self, x):
        return self.fn(nn.Dense(self.features, name="proj")(x))


# --- parity: one case per primitive family -----------------------------------

ELEMENTWISE = {
    "sub_neg_div": lambda y: 3.0 - (-y) / (jnp.abs(y) + 1.0),
    "pow_square_rsqrt": lambda y: y**3 + jnp.square(y) + jax.lax.rsqrt(y * y + 1.0),
    "exp_log_log1p_expm1": lambda y: jnp.log(jnp.exp(y) + 1.0) + jnp.log1p(y * y) + jnp.expm1(y),
    "erf_erfc": lambda y: jax.scipy.special.erf(y) + jax.scipy.special.erfc(y / 2),
    "gelu_exact_and_tanh": lambda y: nn.gelu(y, approximate=False) + nn.gelu(y),
    "silu_sigmoid_tanh": lambda y: nn.silu(y) + nn.sigmoid(y) * nn.tanh(y),
    "relu_leaky_elu": lambda y: nn.relu(y) + nn.leaky_relu(y) + nn.elu(y),
    "min_max_clip": lambda y: jnp.clip(y, -0.5, 0.5) + jnp.maximum(y, y * 2) - jnp.minimum(y, 1.0),
    "where_compare": lambda y: jnp.where(y > 0.1, y, -y) + jnp.where(y <= y * 2, 1.0, 0.0),
    "logic": lambda y: jnp.where((y > 0) & ~(y > 1) | (y < -1), y, 0.0),
    "floor_ceil_round_sign": lambda y: jnp.floor(y) + jnp.ceil(y) + jnp.round(y * 3) + jnp.sign(y),
    "cast": lambda y: (y * 4).astype(jnp.int32).astype(jnp.float32),
}
NORMS = {
    "layer_norm": lambda: nn.LayerNorm(),
    "rms_norm": lambda: nn.RMSNorm(),
    "group_norm": lambda: nn.GroupNorm(num_groups=2),
    "batch_norm": lambda: nn.BatchNorm(use_running_average=True),
}
REDUCTIONS = {
    "sum_mean": lambda y: jnp.sum(y, axis=-1) + jnp.mean(y, axis=0).sum(),
    "max_min_prod": lambda y: jnp.max(y, axis=1) * jnp.min(y, axis=1) + jnp.prod(y[:, :3], axis=1),
    "argmax_argmin": lambda y: (jnp.argmax(y, axis=-1) + jnp.argmin(y, axis=0)[0]).astype(
        jnp.float32
    ),
    "softmax_axis0": lambda y: jax.nn.softmax(y, axis=0),
    "log_softmax": lambda y: jax.nn.log_softmax(y),
    "cumsum": lambda y: jnp.cumsum(y, axis=-1) + jax.lax.cumsum(y, axis=0, reverse=True),
    "logsumexp": lambda y: jax.nn.logsumexp(y, axis=-1),
}
MOVEMENT = {
    "transpose_matmul": lambda y: y @ y.T,
    "reshape_concat": lambda y: jnp.concatenate([y.reshape(3, 2, 3), y.reshape(3, 2, 3)], axis=1),
    "slice_rev_stack": lambda y: jnp.stack([y[:, 1:5:2], y[:, ::-1][:, :2]], axis=1),
    "pad": lambda y: jnp.pad(y, ((1, 0), (2, 3))) + jax.lax.pad(y, 0.0, ((0, 1, 0), (-1, 3, 0))).sum(),
    "take_axis1": lambda y: jnp.take(y, jnp.array([4, 0, 2]), axis=1),
    "expand_dims_tuple": lambda y: (y[None], y[:, None, :2]),
    "identity": lambda y: y,
    "split": lambda y: jnp.split(y, [2, 5], axis=1)[1] * 2,
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise(name: str) -> None:
    _check(Fn(ELEMENTWISE[name]))


@pytest.mark.parametrize("name", sorted(NORMS))
def test_normalisation(name: str) -> None:
    class Norm(nn.Module):
        @nn.compact
        def __call__(self, x):
            return NORMS[name]()(nn.Dense(8)(x))

    _check(Norm())


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reductions(name: str) -> None:
    _check(Fn(REDUCTIONS[name]))


@pytest.mark.parametrize("name", sorted(MOVEMENT))
def test_movement(name: str) -> None:
    _check(Fn(MOVEMENT[name]))


CONVS = {
    "same": dict(features=5, kernel_size=(3, 3), padding="SAME"),
    "valid_strided": dict(features=3, kernel_size=(2, 3), strides=(2, 1), padding="VALID"),
    "dilated": dict(features=4, kernel_size=(3, 2), kernel_dilation=(2, 1)),
    "grouped": dict(features=4, kernel_size=(3, 3), feature_group_count=2),
    "explicit_pads": dict(features=2, kernel_size=(3, 3), padding=((1, 2), (0, 1))),
}


@pytest.mark.parametrize("name", sorted(CONVS))
def test_conv(name: str) -> None:
    class ConvNet(nn.Module):
        @nn.compact
        def __call__(self, x):
            return nn.Conv(**CONVS[name], name="conv")(x)

    model, _ = _check(ConvNet(), IMAGE)
    assert "params/conv/kernel" in initializers(model)  # Flax HWIO layout kept by name


def test_conv1d_and_pools() -> None:
    class Pools(nn.Module):
        @nn.compact
        def __call__(self, x):
            y = nn.Conv(6, (3,))(x)
            a = nn.max_pool(y, (2,), strides=(2,))
            b = nn.avg_pool(y, (3,), strides=(2,), padding="SAME")
            return a.sum(axis=1) + b.mean(axis=1)

    _check(Pools(), SEQ)


def test_dense_general_and_batched_dot() -> None:
    class Heads(nn.Module):
        @nn.compact
        def __call__(self, x):
            q = nn.DenseGeneral((2, 4), name="q")(x)
            k = nn.DenseGeneral((2, 4), name="k")(x)
            scores = jnp.einsum("bqhd,bkhd->bhqk", q, k)
            return nn.DenseGeneral(3, axis=(-2, -1), name="o")(jnp.einsum("bhqk,bkhd->bqhd",
                                                                          scores, q))

    model, _ = _check(Heads(), SEQ)
    assert initializers(model)["params/q/kernel"].shape == (8, 2, 4)


def test_attention_with_mask_and_dropout() -> None:
    class Attention(nn.Module):
        @nn.compact
        def __call__(self, tokens):
            x = nn.Embed(20, 8, name="embed")(tokens)
            mask = nn.make_attention_mask(tokens > 0, tokens > 0)
            y = nn.MultiHeadDotProductAttention(2, name="attn")(x, x, mask=mask)
            return nn.Dropout(0.5, deterministic=True)(y)

    tokens = TOKENS.copy()
    tokens[0, 4:] = 0
    model, _ = _check(Attention(), tokens)
    gathers = [n for n in model.graph.node if n.op_type == "Gather"]
    assert gathers and gathers[0].input[0] == "params/embed/embedding"


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_rnn_is_unrolled(cell: str) -> None:
    class Recurrent(nn.Module):
        @nn.compact
        def __call__(self, x):
            c = nn.LSTMCell(6) if cell == "lstm" else nn.GRUCell(6)
            return nn.RNN(c, reverse=True, keep_order=True)(x)

    model, _ = _check(Recurrent(), SEQ)
    assert "Loop" not in op_types(model)


def test_two_inputs_and_bool_input() -> None:
    class TwoInputs(nn.Module):
        @nn.compact
        def __call__(self, x, keep):
            return jnp.where(keep, nn.Dense(6)(x), 0.0)

    _check(TwoInputs(), X, X > 0)


# --- structure and names ----------------------------------------------------------


class Branches(nn.Module):
    """Two Dense branches joined by add and mul."""

    @nn.compact
    def __call__(self, x):
        a = nn.relu(nn.Dense(5, name="left")(x))
        b = nn.sigmoid(nn.Dense(5, name="right")(x))
        return nn.Dense(4, name="head")(a * b + a)


def test_two_branches_keep_module_paths() -> None:
    model, _ = _check(Branches())
    assert op_types(model) == [
        "MatMul", "Add", "Relu", "MatMul", "Add", "Sigmoid", "Mul", "Add", "MatMul", "Add",
    ]  # fmt: skip
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
    consts = {n: v for n, v in initializers(model).items() if n.startswith("const/")}
    assert sorted(consts) == ["const/0", "const/1", "const/2"]
    np.testing.assert_array_equal(consts["const/1"].ravel(), np.array([1, -2, 0.5, 4], np.float32))
    assert model.graph.node[0].input[1] == "const/0"


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
    assert {p.key: p.value for p in model.metadata_props} == {"kinfer.flax.method": "encode"}


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


def test_frozen_dict_variables_and_apply_kwargs() -> None:
    from flax.core import freeze

    module = ConstCollection()
    variables = freeze(module.init(jax.random.key(0), X))
    model = kinfer.flax.export(module, variables, X, apply_kwargs={"double": True})
    assert op_types(model) == ["Mul", "Mul", "Mul"]
    assert_matches_everywhere(model, X, module.apply(variables, X, double=True))


# --- errors -------------------------------------------------------------------------


class SortingAttention(nn.Module):
    """Attention whose scores go through jnp.sort, which kinfer cannot lower."""

    @nn.compact
    def __call__(self, x):
        q = nn.Dense(8, name="query")(x)
        scores = jnp.sort(q @ q.swapaxes(-1, -2), axis=-1)
        return jax.nn.softmax(scores) @ q


class Layer(nn.Module):
    @nn.compact
    def __call__(self, x):
        return x + SortingAttention(name="attn")(nn.LayerNorm(name="norm")(x))


class Stack(nn.Module):
    def setup(self):
        self.layers = [Layer(), Layer()]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def test_unsupported_primitive_names_primitive_module_path_and_method() -> None:
    with pytest.raises(ExportError) as info:
        _export(Stack(), SEQ)
    message = str(info.value)
    assert message.startswith(
        "unsupported primitive 'sort' in Flax module 'layers_0/attn' (method __call__); "
        "kinfer lowers "
    ), message
    assert "dot_general" in message and "conv_general_dilated" in message


def test_unsupported_primitive_in_a_method() -> None:
    class Sin(nn.Module):
        @nn.compact
        def __call__(self, x):
            return nn.Dense(3, name="proj")(x)

        @nn.compact
        def waves(self, x):
            return jnp.sin(nn.Dense(3, name="proj")(x))

    with pytest.raises(ExportError, match=r"'sin' in the root module \(method waves\)"):
        _export(Sin(), method="waves", init_kwargs={"method": "waves"})


@pytest.mark.parametrize(
    ("fn", "match"),
    [
        (lambda y: y.astype(jnp.float16), "dtype float16"),
        (
            lambda y: jax.lax.conv_transpose(y[None], jnp.ones((2, 6, 6)), (2,), "SAME"),
            "input dilation",
        ),
        (lambda y: jax.lax.dynamic_slice(y, (jnp.argmax(y[0]), 0), (1, 2)), "run time"),
        (lambda y: jnp.where(y > 0, y, jnp.where(y < -1, 2 * y, 0.0)) + jax.lax.select_n(
            (y > 0).astype(jnp.int32) + (y > 1).astype(jnp.int32), y, -y, y * 2), "select_n with 3 cases"),
    ],
)
def test_unsupported_patterns(fn, match) -> None:
    with pytest.raises(ExportError, match=match):
        _export(Fn(fn))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"input_names": ["y"]}, "used more than once"),
        ({"output_names": [""]}, "empty names"),
        ({"output_names": ["a", "b"]}, "2 names for 1 values"),
        ({"input_names": ["params/kernel"]}, "used more than once"),
        ({"method": "nope"}, "has no method 'nope'"),
    ],
)
def test_bad_arguments(kwargs, match) -> None:
    module = nn.Dense(3)
    variables = module.init(jax.random.key(0), X)
    with pytest.raises(ExportError, match=match):
        kinfer.flax.export(module, variables, X, **kwargs)


def test_bad_inputs() -> None:
    module = nn.Dense(3)
    variables = module.init(jax.random.key(0), X)
    with pytest.raises(ExportError, match="dtype uint8; use float32, int32 or bool"):
        kinfer.flax.export(module, variables, X.astype(np.uint8))
    with pytest.raises(ExportError, match="needs its variables"):
        kinfer.flax.export(module)
    with pytest.raises(ExportError, match="must be the variables of Dense"):
        kinfer.flax.export(module, X, X)
    with pytest.raises(ExportError, match="expected a flax.linen.Module or a flax.nnx.Module"):
        kinfer.flax.export(lambda x: x, X)
    with pytest.raises(ExportError, match="tracing Dense.__call__ failed"):
        kinfer.flax.export(module, variables, X[:, :2])
