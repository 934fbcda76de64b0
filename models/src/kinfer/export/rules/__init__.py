"""Lowering rules: one function per jaxpr primitive, grouped by family.

A rule takes the context, the equation and its operands (at least one is
not a constant: equations on constants are folded before rules run) and
returns the value of each result. Registering a primitive is one
``@rule("name")`` line on the function that lowers it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from kinfer.export.ir import Eqn
    from kinfer.export.lower import Ctx, Value

Rule: TypeAlias = "Callable[[Ctx, Eqn, list[Value]], Value | list[Value]]"

RULES: dict[str, Rule] = {}


def rule(*names: str) -> Callable[[Rule], Rule]:
    """Register ``fn`` as the lowering of the primitives ``names``."""

    def register(fn: Rule) -> Rule:
        for name in names:
            if name in RULES:
                raise RuntimeError(f"two rules for primitive {name!r}")
            RULES[name] = fn
        return fn

    return register


def supported() -> str:
    """The primitives with a rule, for error messages."""
    return ", ".join(sorted(RULES))


# Importing the families registers their rules.
from kinfer.export.rules import elementwise, linalg, reduce, shape  # noqa: E402, F401
