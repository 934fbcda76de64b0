"""A flat, call-free view of a jaxpr, ready to be lowered op by op.

``jax.make_jaxpr`` nests the computation: ``jit`` (``pjit``), ``closed_call``,
``custom_jvp_call`` (``jax.nn.relu``, softmax), ``custom_vjp_call`` and
``remat`` carry sub-jaxprs. For inference only the primal computation
matters, so :func:`flatten` inlines all of them into one list of
:class:`Eqn`, unrolls ``scan`` (``nn.RNN``, ``nn.scan``: the kernel runs
straight-line programs, and sequence lengths are static), renaming variables to integers (a sub-jaxpr that is called
twice is inlined twice with fresh ids), turning literals and closed-over
constants into :class:`Const` atoms, and joining name stacks so that every
equation knows the Flax module it came from. Equations whose results do
not reach the outputs are dropped.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
from jax import lax
from jax.extend.core import ClosedJaxpr, DropVar, Jaxpr, Literal, Primitive, Var

#: Primitives whose sub-jaxpr is inlined, and the param holding it.
CALL_PRIMITIVES: Mapping[str, str] = {
    "pjit": "jaxpr",
    "jit": "jaxpr",
    "closed_call": "call_jaxpr",
    "core_call": "call_jaxpr",
    "custom_jvp_call": "call_jaxpr",
    "custom_vjp_call": "call_jaxpr",
    "custom_vjp_call_jaxpr": "fun_jaxpr",
    "remat": "jaxpr",
    "remat2": "jaxpr",
    "checkpoint": "jaxpr",
}


@dataclass(frozen=True, eq=False)
class Const:
    """A value known at export time (a literal or a closed-over array)."""

    value: np.ndarray


Atom: TypeAlias = int | Const


@dataclass(frozen=True)
class Aval:
    shape: tuple[int, ...]
    #: ``None`` for values that are not arrays of numbers (PRNG keys);
    #: they may only appear in code that does not reach the outputs.
    dtype: np.dtype | None


@dataclass(frozen=True)
class Eqn:
    primitive: Primitive
    params: Mapping[str, Any]
    inputs: tuple[Atom, ...]
    outputs: tuple[int, ...]
    #: Name stack, e.g. ``"MLP/Dense_0"`` ("" outside any named scope).
    scope: str

    @property
    def name(self) -> str:
        return str(self.primitive.name)


@dataclass(frozen=True)
class Program:
    inputs: tuple[int, ...]
    outputs: tuple[Atom, ...]
    eqns: tuple[Eqn, ...]
    avals: Mapping[int, Aval]


def flatten(closed: ClosedJaxpr) -> Program:
    """Inline every call primitive of ``closed`` and drop dead equations."""
    ids = itertools.count()
    avals: dict[int, Aval] = {}
    eqns: list[Eqn] = []

    def fresh(var: Var) -> int:
        n = next(ids)
        aval: Any = var.aval  # a ShapedArray
        avals[n] = Aval(tuple(int(d) for d in aval.shape), _numeric_dtype(aval.dtype))
        return n

    def emit(primitive: Primitive, params: Mapping[str, Any], ins: Sequence[Atom],
             shape: tuple[int, ...], dtype: np.dtype | None, scope: str) -> int:
        n = next(ids)
        avals[n] = Aval(shape, dtype)
        eqns.append(Eqn(primitive, dict(params), tuple(ins), (n,), scope))
        return n

    def unroll(params: Mapping[str, Any], args: Sequence[Atom], scope: str) -> list[Atom]:
        body: ClosedJaxpr = params["jaxpr"]
        length, n_consts, n_carry = params["length"], params["num_consts"], params["num_carry"]
        consts, carry, xs = (
            list(args[:n_consts]),
            list(args[n_consts : n_consts + n_carry]),
            list(args[n_consts + n_carry :]),
        )
        steps = range(length - 1, -1, -1) if params["reverse"] else range(length)
        ys: list[list[Atom]] = []
        for t in steps:
            x_t = [step_slice(x, t, scope) for x in xs]
            out = inline(body.jaxpr, body.consts, [*consts, *carry, *x_t], scope)
            carry, y_t = out[:n_carry], out[n_carry:]
            ys.append(y_t)
        if params["reverse"]:
            ys.reverse()
        n_ys = len(body.jaxpr.outvars) - n_carry
        stacked = [stack([y[i] for y in ys], scope) for i in range(n_ys)]
        return [*carry, *stacked]

    def aval_of(atom: Atom) -> Aval:
        if isinstance(atom, Const):
            return Aval(tuple(atom.value.shape), _numeric_dtype(atom.value.dtype))
        return avals[atom]

    def step_slice(x: Atom, t: int, scope: str) -> Atom:
        if isinstance(x, Const):
            return Const(np.asarray(x.value[t]))
        aval = avals[x]
        rest = aval.shape[1:]
        start, limit = (t, *([0] * len(rest))), (t + 1, *rest)
        params = {"start_indices": start, "limit_indices": limit, "strides": None}
        row = emit(lax.slice_p, params, [x], (1, *rest), aval.dtype, scope)
        return emit(lax.squeeze_p, {"dimensions": (0,)}, [row], rest, aval.dtype, scope)

    def stack(items: Sequence[Atom], scope: str) -> Atom:
        if all(isinstance(y, Const) for y in items):
            return Const(np.stack([y.value for y in items if isinstance(y, Const)]))
        aval = aval_of(items[0])
        shape = (1, *aval.shape)
        dims = tuple(range(1, len(shape)))
        rows: list[Atom] = []
        for y in items:
            params = {"shape": shape, "broadcast_dimensions": dims, "sharding": None}
            rows.append(emit(lax.broadcast_in_dim_p, params, [y], shape, aval.dtype, scope))
        out_shape = (len(items), *aval.shape)
        return emit(lax.concatenate_p, {"dimension": 0}, rows, out_shape, aval.dtype, scope)

    def inline(jaxpr: Jaxpr, consts: Sequence[Any], args: Sequence[Atom], scope: str) -> list[Atom]:
        env: dict[Var, Atom] = {}
        for var, value in zip(jaxpr.constvars, consts, strict=True):
            env[var] = Const(np.asarray(value))
        for var, arg in zip(jaxpr.invars, args, strict=True):
            env[var] = arg

        def read(atom: Any) -> Atom:
            if isinstance(atom, Literal):
                return Const(np.asarray(atom.val, dtype=atom.aval.dtype))  # type: ignore[attr-defined]
            return env[atom]

        for eqn in jaxpr.eqns:
            inner_scope = _join_scope(scope, str(eqn.source_info.name_stack))
            ins = [read(v) for v in eqn.invars]
            if eqn.primitive.name == "scan":
                results = unroll(eqn.params, ins, inner_scope)
                for var, res in zip(eqn.outvars, results, strict=True):
                    if not isinstance(var, DropVar):
                        env[var] = res
                continue
            sub = _sub_jaxpr(eqn.primitive.name, eqn.params)
            if sub is not None:
                sub_jaxpr, sub_consts = sub
                results = inline(sub_jaxpr, sub_consts, ins, inner_scope)
                for var, res in zip(eqn.outvars, results, strict=True):
                    if not isinstance(var, DropVar):
                        env[var] = res
                continue
            outs = tuple(fresh(v) for v in eqn.outvars)
            for var, n in zip(eqn.outvars, outs, strict=True):
                if not isinstance(var, DropVar):
                    env[var] = n
            eqns.append(Eqn(eqn.primitive, dict(eqn.params), tuple(ins), outs, inner_scope))
        return [read(v) for v in jaxpr.outvars]

    inputs = tuple(fresh(v) for v in closed.jaxpr.invars)
    outputs = tuple(inline(closed.jaxpr, closed.consts, inputs, ""))
    return Program(inputs, outputs, live(eqns, outputs), avals)


def _numeric_dtype(dtype: Any) -> np.dtype | None:
    try:
        return np.dtype(dtype)
    except TypeError:
        return None  # e.g. key<fry>, a PRNG key


def _sub_jaxpr(name: str, params: Mapping[str, Any]) -> tuple[Jaxpr, Sequence[Any]] | None:
    key = CALL_PRIMITIVES.get(name)
    if key is None or key not in params:
        return None
    sub = params[key]
    if isinstance(sub, ClosedJaxpr):
        return sub.jaxpr, sub.consts
    if isinstance(sub, Jaxpr):
        return sub, ()
    return None


def _join_scope(outer: str, inner: str) -> str:
    if outer and inner:
        return f"{outer}/{inner}"
    return outer or inner


def live(eqns: Sequence[Eqn], outputs: Sequence[Atom]) -> tuple[Eqn, ...]:
    live = {a for a in outputs if isinstance(a, int)}
    kept: list[Eqn] = []
    for eqn in reversed(eqns):
        if any(o in live for o in eqn.outputs):
            kept.append(eqn)
            live.update(a for a in eqn.inputs if isinstance(a, int))
    kept.reverse()
    return tuple(kept)
