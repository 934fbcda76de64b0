"""Lower a flat jaxpr (:mod:`kinfer.export.ir`) to ONNX, one equation at a time.

Every jaxpr variable is bound to a *value*: a :class:`Tensor` (an ONNX
value: the graph input, a used weight, or a node's output), a
:class:`Weight` (a named initializer, added to the graph on first use), or
a :class:`~kinfer.export.ir.Const` (known at export time; equations whose
inputs are all constants are evaluated here, with JAX).

JAX broadcasts explicitly (``broadcast_in_dim`` before every elementwise
operation); ONNX broadcasts implicitly. A :class:`Tensor` may therefore be
*lazily broadcast*: its ONNX shape numpy-broadcasts to the jaxpr shape
(some dims are 1 where the jaxpr has more, leading dims may be missing). Elementwise rules consume such tensors as
they are; rules that need the full tensor call :meth:`Ctx.full`, which
adds an ``Expand`` only then. Weights stay in their Flax layout: a rule that
needs them transposed emits the Transpose, and the loader folds it, so the
initializers remain the Flax variables by name and shape.

The rules live in :mod:`kinfer.export.rules`, one file per family.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np
import onnx

from kinfer.errors import ExportError
from kinfer.export.graph import DTYPES, GraphBuilder, Shape
from kinfer.export.ir import Aval, Const, Eqn, Program

# --- values ------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Tensor:
    """An ONNX value; ``shape`` numpy-broadcasts to the jaxpr shape."""

    name: str
    shape: Shape
    dtype: np.dtype


@dataclass(frozen=True, eq=False)
class Weight:
    """A named initializer (a Flax variable); added to the graph when used."""

    name: str
    value: np.ndarray


@dataclass(frozen=True)
class GraphInput:
    """A graph input, bound to one jaxpr input."""

    name: str


Value: TypeAlias = Tensor | Weight | Const
Operand: TypeAlias = Value | str


# --- lowering context --------------------------------------------------------


@dataclass
class Ctx:
    """What a rule sees: the graph under construction and the jaxpr's avals."""

    builder: GraphBuilder
    avals: Mapping[int, Aval]
    strip_root_scope: bool
    entry: str
    _weights: dict[int, Tensor]
    scope_prefix: str = ""
    #: output name of each Transpose emitted -> (its input, its perm)
    _transposes: dict[str, tuple[Tensor, list[int]]] = field(default_factory=dict)

    def fail(self, eqn: Eqn, message: str) -> ExportError:
        return ExportError(f"cannot export '{eqn.name}' {self.where(eqn)}: {message}")

    def where(self, eqn: Eqn) -> str:
        scope = self.scope(eqn)
        module = f"in Flax module '{scope}'" if scope else "in the root module"
        return f"{module} (method {self.entry})"

    def scope(self, eqn: Eqn) -> str:
        scope = eqn.scope
        if self.strip_root_scope:
            scope = scope.partition("/")[2]
        if self.scope_prefix:
            scope = f"{self.scope_prefix}/{scope}" if scope else self.scope_prefix
        return scope

    def out(self, eqn: Eqn, i: int = 0) -> Aval:
        """The jaxpr aval of the equation's ``i``-th result."""
        return self.avals[eqn.outputs[i]]

    def arg_shape(self, eqn: Eqn, i: int) -> Shape:
        """The jaxpr shape of the equation's ``i``-th operand."""
        atom = eqn.inputs[i]
        if isinstance(atom, int):
            return self.avals[atom].shape
        return tuple(np.shape(atom.value))

    def full_arg(self, eqn: Eqn, args: Sequence[Value], i: int) -> Tensor:
        """Operand ``i`` materialised with its jaxpr shape."""
        return self.full(eqn, args[i], self.arg_shape(eqn, i))

    def out_dtype(self, eqn: Eqn, i: int = 0) -> np.dtype:
        dtype = self.out(eqn, i).dtype
        if dtype is None or dtype not in DTYPES:
            raise self.fail(eqn, f"its result has dtype {dtype}, which kinfer has no tensors of")
        return dtype

    # operands

    def tensor(self, value: Value) -> Tensor:
        """``value`` as an ONNX value, adding a weight or constant if needed."""
        if isinstance(value, Tensor):
            return value
        if isinstance(value, Weight):
            key = id(value)
            if key not in self._weights:
                name = self.builder.add_initializer(value.name, value.value)
                self._weights[key] = Tensor(name, tuple(value.value.shape), value.value.dtype)
            return self._weights[key]
        array = np.asarray(value.value)
        if array.dtype == np.float64:
            array = array.astype(np.float32)
        return Tensor(self.builder.add_const(array), tuple(array.shape), array.dtype)

    def shape(self, value: Value) -> Shape:
        return value.shape if isinstance(value, Tensor) else tuple(np.shape(value.value))

    def dtype(self, value: Value) -> np.dtype:
        return value.dtype if isinstance(value, Tensor) else np.asarray(value.value).dtype

    def full(self, eqn: Eqn, value: Value, shape: Shape) -> Tensor:
        """``value`` materialised with exactly ``shape`` (Expand if lazily broadcast)."""
        if isinstance(value, Const) and tuple(np.shape(value.value)) != shape:
            value = Const(np.broadcast_to(value.value, shape).copy())
        t = self.ranked(eqn, value, len(shape))
        if t.shape == shape:
            return t
        return self.node(eqn, "Expand", [t, self.i64(shape)], shape, t.dtype)

    def compact(self, value: Value) -> Value:
        """A constant whose elements are all equal, as a 1-element array of its rank."""
        if isinstance(value, Const) and value.value.size > 1:
            flat = np.ravel(value.value)
            if np.all(flat == flat[0]):
                return Const(np.full((1,) * value.value.ndim, flat[0], value.value.dtype))
        return value

    def i64(self, values: Sequence[int]) -> Tensor:
        """An int64 constant vector (shapes, axes, pads)."""
        return self.tensor(Const(np.asarray(list(values), dtype=np.int64)))

    # nodes

    def node(
        self,
        eqn: Eqn,
        op_type: str,
        operands: Sequence[Value],
        shape: Shape,
        dtype: np.dtype,
        attrs: Mapping[str, object] | None = None,
    ) -> Tensor:
        names = [self.tensor(v).name for v in operands]
        name = self.builder.add_node(
            op_type, names, shape, dtype, scope=self.scope(eqn), attrs=attrs
        )
        return Tensor(name, tuple(shape), np.dtype(dtype))

    def ranked(self, eqn: Eqn, value: Value, rank: int) -> Tensor:
        """``value`` with leading 1-dims added up to ``rank`` (still lazy)."""
        t = self.tensor(value)
        if len(t.shape) >= rank:
            return t
        return self.reshape(eqn, t, (1,) * (rank - len(t.shape)) + t.shape)

    def reshape(self, eqn: Eqn, value: Value, shape: Shape) -> Tensor:
        t = self.tensor(value)
        if t.shape == tuple(shape):
            return t
        if not shape:  # a scalar: kinfer has no empty tensors, so no empty shape vector
            axes = self.i64(range(len(t.shape)))
            return self.node(eqn, "Squeeze", [t, axes], (), t.dtype)
        return self.node(eqn, "Reshape", [t, self.i64(shape)], tuple(shape), t.dtype)

    def transpose(self, eqn: Eqn, value: Value, perm: Sequence[int]) -> Tensor:
        """Transpose ``value``; a transpose of a transpose becomes one (or none).

        Flax is NHWC and ONNX's Conv and pools are NCHW, so consecutive
        layers would otherwise transpose back and forth between them.
        """
        t = self.tensor(value)
        perm = list(perm)
        if t.name in self._transposes:
            source, first = self._transposes[t.name]
            t, perm = source, [first[p] for p in perm]
        if perm == list(range(len(perm))):
            return t
        shape = tuple(t.shape[p] for p in perm)
        out = self.node(eqn, "Transpose", [t], shape, t.dtype, {"perm": perm})
        self._transposes[out.name] = (t, perm)
        return out


def inverse(perm: Sequence[int]) -> list[int]:
    """The permutation undoing ``perm``."""
    result = [0] * len(perm)
    for i, p in enumerate(perm):
        result[p] = i
    return result


# --- driver ------------------------------------------------------------------


def lower(
    program: Program,
    bindings: Sequence[GraphInput | Weight],
    output_names: Sequence[str],
    *,
    graph_name: str,
    entry: str = "__call__",
    strip_root_scope: bool = True,
    scope_prefix: str = "",
    doc_string: str = "",
    producer_version: str = "",
    metadata: Mapping[str, str] | None = None,
    state: Mapping[str, str] | None = None,
) -> onnx.ModelProto:
    """Build the ONNX model computing ``program``.

    ``bindings`` binds each program input to a graph input or a named
    weight; weights the computation does not use are left out.
    ``output_names`` names the program's outputs. With
    ``strip_root_scope`` node names drop the first name-stack component
    (the root Flax module's class name). ``entry`` (the method) appears in
    error messages. ``scope_prefix`` goes before every node's scope (the
    path of an exported submodule inside its parent). ``state`` maps
    output names to the weights they are the next value of (a mutable
    collection); it becomes the ``kinfer.state`` metadata.
    """
    from kinfer.export.rules import RULES, supported

    if len(bindings) != len(program.inputs):
        raise ExportError(f"{len(program.inputs)} jaxpr inputs but {len(bindings)} bindings")
    if len(output_names) != len(program.outputs):
        raise ExportError(
            f"the method returns {len(program.outputs)} arrays but {len(output_names)} "
            "output names were given"
        )
    names = [spec.name for spec in bindings] + list(output_names)
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ExportError(f"names used more than once: {', '.join(map(repr, dupes))}")

    builder = GraphBuilder(graph_name)
    for name in output_names:
        builder.reserve(name)
    builder.avoid(spec.name for spec in bindings)
    ctx = Ctx(builder, program.avals, strip_root_scope, entry, {}, scope_prefix)
    env: dict[int, Value] = {}
    for var, spec in zip(program.inputs, bindings, strict=True):
        aval = program.avals[var]
        if isinstance(spec, GraphInput):
            if aval.dtype is None or aval.dtype not in DTYPES:
                raise ExportError(f"input {spec.name!r} has dtype {aval.dtype}, not one of kinfer's")
            env[var] = Tensor(builder.add_input(spec.name, aval.shape, aval.dtype), aval.shape, aval.dtype)
        else:
            env[var] = spec

    for eqn in program.eqns:
        args = [env[a] if isinstance(a, int) else a for a in eqn.inputs]
        if all(isinstance(a, Const) for a in args):
            results = _fold(ctx, eqn, [a for a in args if isinstance(a, Const)])
        else:
            rule = RULES.get(eqn.name)
            if rule is None:
                raise ExportError(
                    f"unsupported primitive '{eqn.name}' {ctx.where(eqn)}; kinfer lowers "
                    f"{supported()}"
                )
            out = rule(ctx, eqn, args)
            results = list(out) if isinstance(out, list) else [out]
        for var, value in zip(eqn.outputs, results, strict=True):
            env[var] = value

    outputs = _outputs(ctx, program, env, output_names)
    state = dict(state or {})
    weights = {spec.name: spec for spec in bindings if isinstance(spec, Weight)}
    for next_name, weight in state.items():
        if weight not in weights or next_name not in output_names:
            raise ExportError(f"state {weight!r} -> {next_name!r} names no weight or output")
        ctx.tensor(weights[weight])  # the initial value, even if the call only writes it
    if state:
        metadata = {**(metadata or {}), "kinfer.state": json.dumps(state, sort_keys=True)}
    return builder.build(
        outputs,
        doc_string=doc_string,
        producer_version=producer_version,
        metadata=metadata,
        keep=state.values(),
    )


def _outputs(
    ctx: Ctx, program: Program, env: Mapping[int, Value], output_names: Sequence[str]
) -> list[tuple[str, str]]:
    outputs: list[tuple[str, str]] = []
    used: set[str] = set()
    for atom, name in zip(program.outputs, output_names, strict=True):
        value = env[atom] if isinstance(atom, int) else atom
        if isinstance(atom, int):
            shape = program.avals[atom].shape
        else:
            shape = tuple(np.shape(atom.value))
        t = ctx.tensor(value)
        if t.shape != shape:
            t = _materialise(ctx, t, shape)
        if not ctx.builder.is_node_output(t.name) or t.name in used:
            t = Tensor(ctx.builder.add_identity(t.name), t.shape, t.dtype)
        used.add(t.name)
        outputs.append((t.name, name))
    return outputs


def _materialise(ctx: Ctx, t: Tensor, shape: Shape) -> Tensor:
    name = ctx.builder.add_node("Expand", [t.name, ctx.i64(shape).name], shape, t.dtype)
    return Tensor(name, shape, t.dtype)


def _fold(ctx: Ctx, eqn: Eqn, args: list[Const]) -> list[Value]:
    """Evaluate an equation whose inputs are all constants."""
    import jax.numpy as jnp

    arrays = [jnp.asarray(a.value) for a in args]
    try:
        out = eqn.primitive.bind(*arrays, **eqn.params)  # type: ignore[no-untyped-call]
    except Exception as e:
        raise ctx.fail(eqn, f"constant folding failed: {e}") from e
    outs = out if eqn.primitive.multiple_results else [out]
    return [Const(np.asarray(o)) for o in outs]
