"""The Flax model zoo kinfer is tested on.

Each entry builds a module, its variables and an example input from a
seed, so that tests, the exporter comparison in ``docs/flax.md`` and the
in-kernel tests all see the same models. Together they use every Flax layer
``kinfer.flax`` claims to export: Dense, DenseGeneral, Conv, BatchNorm
(inference), LayerNorm, RMSNorm, GroupNorm, Embed,
MultiHeadDotProductAttention with a mask, Dropout (deterministic), nn.RNN
with LSTMCell and GRUCell, pooling, both forms of GELU, SiLU, softmax and
log-softmax; one entry is an NNX model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["ZOO", "Entry", "build"]


@dataclass(frozen=True)
class Entry:
    """A zoo model: module, variables (``None`` for NNX) and example input."""

    name: str
    module: Any
    variables: Any
    example: np.ndarray
    methods: tuple[str, ...] = ("__call__",)
    mutable: tuple[str, ...] = ()
    submodules: tuple[str, ...] = field(default=())


class ConvNet(nn.Module):
    """Conv + BatchNorm + pooling blocks declared in ``setup`` as a list."""

    channels: Sequence[int] = (8, 16)
    classes: int = 10

    def setup(self) -> None:
        self.convs = [nn.Conv(c, (3, 3), padding="SAME") for c in self.channels]
        self.norms = [nn.BatchNorm(use_running_average=True) for _ in self.channels]
        self.head = nn.Dense(self.classes)

    def __call__(self, x: jax.Array) -> jax.Array:
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms, strict=True)):
            x = nn.relu(norm(conv(x)))
            if i % 2 == 0:
                x = nn.max_pool(x, (2, 2), strides=(2, 2))
            else:
                x = nn.avg_pool(x, (2, 2), strides=(2, 2))
        x = jnp.mean(x, axis=(1, 2))
        return nn.log_softmax(self.head(x))


class RecurrentClassifier(nn.Module):
    """An ``nn.RNN`` over an LSTM or GRU cell, classifying the last state."""

    cell: str = "lstm"
    hidden: int = 16
    classes: int = 4

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        cell = nn.LSTMCell(self.hidden) if self.cell == "lstm" else nn.GRUCell(self.hidden)
        h = nn.RNN(cell)(x)
        return nn.Dense(self.classes)(h[:, -1])


class EncoderBlock(nn.Module):
    """A pre-norm transformer encoder block with a padding mask."""

    dim: int = 32
    heads: int = 4
    approximate_gelu: bool = False

    @nn.compact
    def __call__(self, x: jax.Array, mask: jax.Array | None = None) -> jax.Array:
        y = nn.LayerNorm(name="ln_attn")(x)
        y = nn.MultiHeadDotProductAttention(self.heads, name="attn")(y, y, mask=mask)
        x = x + nn.Dropout(0.1, deterministic=True)(y)
        y = nn.LayerNorm(name="ln_mlp")(x)
        y = nn.Dense(self.dim * 2, name="up")(y)
        y = nn.gelu(y, approximate=self.approximate_gelu)
        return x + nn.Dense(self.dim, name="down")(y)


class Encoder(nn.Module):
    """Two encoder blocks (exact and approximate GELU) over token ids."""

    vocab: int = 64
    dim: int = 32
    heads: int = 4
    classes: int = 3

    def setup(self) -> None:
        self.embed = nn.Embed(self.vocab, self.dim)
        self.layers = [
            EncoderBlock(self.dim, self.heads, approximate_gelu=False),
            EncoderBlock(self.dim, self.heads, approximate_gelu=True),
        ]
        self.norm = nn.RMSNorm()
        self.head = nn.DenseGeneral(self.classes)

    def encode(self, tokens: jax.Array) -> jax.Array:
        mask = nn.make_attention_mask(tokens > 0, tokens > 0)
        x = self.embed(tokens)
        for layer in self.layers:
            x = layer(x, mask)
        return self.norm(x)

    def __call__(self, tokens: jax.Array) -> jax.Array:
        x = self.encode(tokens)
        valid = (tokens > 0)[..., None].astype(x.dtype)
        pooled = jnp.sum(x * valid, axis=1) / jnp.maximum(jnp.sum(valid, axis=1), 1.0)
        return nn.softmax(self.head(pooled))


class EmbeddingBag(nn.Module):
    """Mean of token embeddings, GroupNorm, then a SiLU MLP."""

    vocab: int = 128
    dim: int = 16
    classes: int = 2

    @nn.compact
    def __call__(self, tokens: jax.Array) -> jax.Array:
        x = jnp.mean(nn.Embed(self.vocab, self.dim)(tokens), axis=1)
        x = nn.GroupNorm(num_groups=4)(x)
        x = nn.silu(nn.Dense(32)(x))
        return nn.Dense(self.classes)(x)


class TwoMethods(nn.Module):
    """``encode`` maps inputs to features; ``__call__`` classifies them."""

    def setup(self) -> None:
        self.encoder = nn.Dense(8)
        self.classifier = nn.Dense(3)

    def encode(self, x: jax.Array) -> jax.Array:
        return nn.tanh(self.encoder(x))

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.classifier(self.encode(x))


class CountingDense(nn.Module):
    """A Dense layer that counts its calls and keeps a running input sum."""

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        calls = self.variable("counters", "calls", lambda: jnp.zeros((), jnp.float32))
        total = self.variable("counters", "input_sum", lambda: jnp.zeros(x.shape[1:], x.dtype))
        if not self.is_initializing():
            calls.value = calls.value + 1.0
            total.value = total.value + jnp.sum(x, axis=0)
        return nn.Dense(4)(x) + calls.value


def _linen(
    name: str,
    module: nn.Module,
    example: np.ndarray,
    seed: int,
    **extra: Any,
) -> Entry:
    if _RESTORE is not None:  # no computation: the shapes, then the saved values
        from flax import serialization

        template = jax.eval_shape(module.init, jax.random.PRNGKey(seed), jnp.asarray(example))
        variables = serialization.from_bytes(template, _RESTORE)
        return Entry(name, module, variables, example, **extra)
    variables = module.init(jax.random.PRNGKey(seed), jnp.asarray(example))
    variables = _randomise_stats(variables, seed)
    return Entry(name, module, variables, example, **extra)


_RESTORE: bytes | None = None


def _randomise_stats(variables: Any, seed: int) -> Any:
    """Give BatchNorm non-trivial statistics, as a trained model has."""
    if "batch_stats" not in variables:
        return variables
    rng = np.random.default_rng(seed)

    def perturb(path: Any, leaf: Any) -> Any:
        name = str(path[-1].key)
        shape = np.shape(leaf)
        if name == "var":
            return jnp.asarray(rng.uniform(0.5, 2.0, shape), jnp.float32)
        return jnp.asarray(rng.normal(0.0, 0.5, shape), jnp.float32)

    stats = jax.tree_util.tree_map_with_path(perturb, variables["batch_stats"])
    return {**variables, "batch_stats": stats}


def _tokens(rng: np.random.Generator, batch: int, length: int, vocab: int) -> np.ndarray:
    tokens = rng.integers(1, vocab, size=(batch, length)).astype(np.int32)
    tokens[0, length // 2 :] = 0  # padding, so the mask matters
    return tokens


def _nnx_model(seed: int) -> Any:
    from flax import nnx

    class NnxClassifier(nnx.Module):
        def __init__(self, rngs: nnx.Rngs) -> None:
            self.up = nnx.Linear(12, 24, rngs=rngs)
            self.norm = nnx.LayerNorm(24, rngs=rngs)
            self.dropout = nnx.Dropout(0.2, rngs=rngs)
            self.out = nnx.Linear(24, 5, rngs=rngs)

        def __call__(self, x: jax.Array) -> jax.Array:
            x = nnx.gelu(self.norm(self.up(x)))
            return nnx.softmax(self.out(self.dropout(x)))

    model = NnxClassifier(nnx.Rngs(seed))
    model.eval()
    return model


def _build_all(seed: int) -> dict[str, Callable[[], Entry]]:
    rng = np.random.default_rng(seed)

    def floats(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape).astype(np.float32)

    return {
        "mlp": lambda: _linen(
            "mlp",
            nn.Sequential([nn.Dense(32), nn.relu, nn.Dense(10), nn.softmax]),
            floats(2, 16),
            seed,
        ),
        "cnn": lambda: _linen("cnn", ConvNet(), floats(2, 16, 16, 3), seed),
        "nnx": lambda: Entry("nnx", _nnx_model(seed), None, floats(3, 12)),
        "lstm": lambda: _linen("lstm", RecurrentClassifier("lstm"), floats(2, 7, 5), seed),
        "gru": lambda: _linen("gru", RecurrentClassifier("gru"), floats(2, 7, 5), seed),
        "encoder": lambda: _linen(
            "encoder",
            Encoder(),
            _tokens(rng, 2, 12, 64),
            seed,
            methods=("__call__", "encode"),
            submodules=("layers_0", "layers_1"),
        ),
        "embedding_bag": lambda: _linen(
            "embedding_bag", EmbeddingBag(), _tokens(rng, 3, 10, 128), seed
        ),
        "two_methods": lambda: _linen(
            "two_methods", TwoMethods(), floats(2, 6), seed, methods=("__call__", "encode")
        ),
        "counter": lambda: _linen(
            "counter", CountingDense(), floats(2, 6), seed, mutable=("counters",)
        ),
    }


#: Names of the zoo's models.
ZOO: tuple[str, ...] = (
    "mlp",
    "cnn",
    "nnx",
    "lstm",
    "gru",
    "encoder",
    "embedding_bag",
    "two_methods",
    "counter",
)


def build(name: str, seed: int = 0, variables: bytes | None = None) -> Entry:
    """Build the zoo model ``name`` with weights drawn from ``seed``.

    ``variables`` (Linen models): the ``flax.serialization.to_bytes`` of an
    earlier build's variables, restored instead of running ``init``, which
    is slow where JAX runs emulated (the test VM).
    """
    global _RESTORE
    builders = _build_all(seed)
    if name not in builders:
        raise KeyError(f"no zoo model {name!r}; the zoo has {', '.join(ZOO)}")
    _RESTORE = variables
    try:
        return builders[name]()
    finally:
        _RESTORE = None
