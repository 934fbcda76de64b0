"""Example Flax models used by the tests, the demo and ``kinfer-models``.

Importing this package imports Flax.
"""

from kinfer.examples.mlp import ACTIVATIONS, STYLES, CompactMLP, SetupMLP, make_mlp

__all__ = ["ACTIVATIONS", "STYLES", "CompactMLP", "SetupMLP", "make_mlp"]
