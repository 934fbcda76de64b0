"""Multi-layer perceptrons in both Flax Linen styles.

``layers`` lists every width including the input: ``(16, 64, 10)`` is
16 inputs, one hidden layer of 64 and 10 outputs, i.e. two Dense layers.
The activation follows every Dense layer but the last; ``softmax`` adds a
softmax over the outputs.

* :class:`SetupMLP` declares its layers in ``setup``; their variables are
  ``params/layers_<i>/{kernel,bias}``.
* :class:`CompactMLP` creates them inline under ``@nn.compact``; their
  variables are ``params/Dense_<i>/{kernel,bias}``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import flax.linen as nn
import jax

Activation = Literal["relu", "sigmoid", "tanh"]
Style = Literal["setup", "compact"]

ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "relu": nn.relu,
    "sigmoid": nn.sigmoid,
    "tanh": nn.tanh,
}
STYLES: tuple[str, ...] = ("setup", "compact")


class SetupMLP(nn.Module):
    """Dense layers declared in ``setup`` (variables ``params/layers_<i>``)."""

    features: Sequence[int]
    activation: str = "relu"
    softmax: bool = False

    def setup(self) -> None:
        self.layers = [nn.Dense(f) for f in self.features]

    def __call__(self, x: jax.Array) -> jax.Array:
        act = ACTIVATIONS[self.activation]
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = act(x)
        return nn.softmax(x) if self.softmax else x


class CompactMLP(nn.Module):
    """Dense layers created inline (variables ``params/Dense_<i>``)."""

    features: Sequence[int]
    activation: str = "relu"
    softmax: bool = False

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        act = ACTIVATIONS[self.activation]
        for i, f in enumerate(self.features):
            x = nn.Dense(f)(x)
            if i < len(self.features) - 1:
                x = act(x)
        return nn.softmax(x) if self.softmax else x


def make_mlp(
    layers: Sequence[int],
    activation: str = "relu",
    style: str = "compact",
    softmax: bool = False,
) -> SetupMLP | CompactMLP:
    """Build an MLP from its widths, input width first."""
    if len(layers) < 2 or any(int(n) < 1 for n in layers):
        raise ValueError(f"layers needs at least two positive widths, got {list(layers)}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    features = tuple(int(n) for n in layers[1:])
    if style == "setup":
        return SetupMLP(features, activation, softmax)
    if style == "compact":
        return CompactMLP(features, activation, softmax)
    raise ValueError(f"style must be one of {STYLES}, got {style!r}")
