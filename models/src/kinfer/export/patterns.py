"""Recognise composite functions in a flat program and replace them by one equation.

``jax.nn.softmax`` and ``jax.nn.log_softmax`` reach the jaxpr as their
numerically stable expansions (reduce_max, stop_gradient, sub, exp,
reduce_sum, div or log/sub). Kept as one ONNX Softmax or LogSoftmax node,
they become one kernel op instead of six, with one pass over the data and
no intermediate tensors in the arena.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace

import numpy as np
from jax.extend.core import Primitive

from kinfer.export.ir import Atom, Const, Eqn, Program, live

softmax_p = Primitive("kinfer_softmax")
log_softmax_p = Primitive("kinfer_log_softmax")

_TRANSPARENT = ("stop_gradient", "broadcast_in_dim")


def fuse(program: Program) -> Program:
    """``program`` with every softmax and log-softmax as one equation."""
    producer = {out: eqn for eqn in program.eqns for out in eqn.outputs}
    uses = Counter(a for eqn in program.eqns for a in eqn.inputs if isinstance(a, int))
    uses.update(a for a in program.outputs if isinstance(a, int))
    eqns = []
    for eqn in program.eqns:
        fused = _softmax(eqn, producer, uses) or _log_softmax(eqn, producer, uses)
        eqns.append(fused or eqn)
    return replace(program, eqns=live(eqns, program.outputs))


def _softmax(eqn: Eqn, producer: Mapping[int, Eqn], uses: Counter[int]) -> Eqn | None:
    """div(e, bcast(reduce_sum(e))) with e = exp(sub(x, bcast(reduce_max(x))))."""
    if eqn.name != "div":
        return None
    e, s = eqn.inputs
    exp = _made_by(e, "exp", producer)
    total = _made_by(_through(s, producer), "reduce_sum", producer)
    if exp is None or total is None or total.inputs[0] != e or uses[e] != 2:
        return None
    found = _shifted(exp.inputs[0], producer, uses, 1)
    if found is None or tuple(total.params["axes"]) != found[1]:
        return None
    x, axes = found
    return _composite(softmax_p, eqn, x, axes)


def _log_softmax(eqn: Eqn, producer: Mapping[int, Eqn], uses: Counter[int]) -> Eqn | None:
    """sub(g, log(bcast(reduce_sum(exp(g))))) with g = sub(x, bcast(reduce_max(x)))."""
    if eqn.name != "sub":
        return None
    g, lse = eqn.inputs
    log = _made_by(_through(lse, producer), "log", producer)
    if log is None:
        return None
    total = _made_by(_through(log.inputs[0], producer), "reduce_sum", producer)
    exp = _made_by(total.inputs[0], "exp", producer) if total else None
    if total is None or exp is None or exp.inputs[0] != g:
        return None
    found = _shifted(g, producer, uses, 2)
    if found is None or tuple(total.params["axes"]) != found[1]:
        return None
    x, axes = found
    return _composite(log_softmax_p, eqn, x, axes)


def _shifted(
    g: Atom, producer: Mapping[int, Eqn], uses: Counter[int], expected_uses: int
) -> tuple[int, tuple[int, ...]] | None:
    """``(x, axes)`` if ``g`` is sub(x, bcast(reduce_max(x, axes))), used as expected."""
    sub = _made_by(g, "sub", producer)
    if sub is None or uses[g] != expected_uses:  # type: ignore[index]
        return None
    x, m = sub.inputs
    peak = _made_by(_through(m, producer), "reduce_max", producer)
    if peak is None or peak.inputs[0] != x or not isinstance(x, int):
        return None
    axes = tuple(int(a) for a in peak.params["axes"])
    return (x, axes) if len(axes) == 1 else None


def _through(atom: Atom, producer: Mapping[int, Eqn]) -> Atom:
    """Follow broadcasts, stop_gradient and max(-inf, .) back to their source."""
    while isinstance(atom, int) and atom in producer:
        eqn = producer[atom]
        if eqn.name in _TRANSPARENT:
            atom = eqn.inputs[0]
        elif eqn.name == "max" and _is_minus_inf(eqn.inputs[0]):
            atom = eqn.inputs[1]
        elif eqn.name == "max" and _is_minus_inf(eqn.inputs[1]):
            atom = eqn.inputs[0]
        else:
            break
    return atom


def _made_by(atom: Atom, name: str, producer: Mapping[int, Eqn]) -> Eqn | None:
    if not isinstance(atom, int):
        return None
    eqn = producer.get(atom)
    return eqn if eqn is not None and eqn.name == name else None


def _is_minus_inf(atom: Atom) -> bool:
    return isinstance(atom, Const) and bool(np.all(np.isneginf(atom.value)))


def _composite(primitive: Primitive, eqn: Eqn, x: int, axes: tuple[int, ...]) -> Eqn:
    return Eqn(primitive, {"axis": axes[0]}, (x,), eqn.outputs, eqn.scope)
