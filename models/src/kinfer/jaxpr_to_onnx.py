"""Lower a flat jaxpr (:mod:`kinfer.jaxpr_ir`) to kinfer's ONNX subset.

The kernel side (kmod/uapi/kinfer.h) implements few ops, so this lowering
is deliberately strict: every ONNX node it emits is one the loader can map
to a kfunc, and everything else is an :class:`~kinfer.errors.ExportError`
that names the primitive and the Flax module it came from.

================================  ==========================================
jaxpr                             ONNX
================================  ==========================================
dot_general x[M,K] . W[K,N]       MatMul (W a variable or constant)
add, mul                          Add, Mul (2nd operand: same shape, a
                                  trailing-suffix broadcast, or a constant)
sub, neg                          Add / Mul by -1 (exact in IEEE arithmetic)
div by a constant                 Mul by the float32 reciprocal
integer_pow y >= 1                chain of Mul
max(x, 0)                         Relu
logistic, tanh                    Sigmoid, Tanh
jax.nn.softmax over the last      Softmax(axis=-1), recognised from its
axis                              reduce_max/sub/exp/reduce_sum/div pattern
reshape / broadcast_in_dim /      elided when they only add or remove
squeeze / expand_dims             leading 1-dims (numpy broadcasting makes
                                  that a no-op for the consumers)
convert_element_type f32->f32,    elided
stop_gradient, copy
anything on constants only        folded at export time
================================  ==========================================

Each jaxpr variable is bound to a *value*: a runtime :class:`Tensor`
(computed from the graph input, lives in the kernel arena), a
:class:`Weight` (a named initializer, added to the graph on first use), a
:class:`~kinfer.jaxpr_ir.Const`, or one of the softmax pattern values that
exist only between ``reduce_max`` and the final ``div``. A value's ONNX
shape may lack leading 1-dims that the jaxpr shape has; consumers that do
not broadcast (MatMul, the graph output) insist the two agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TypeAlias

import numpy as np
import onnx

from kinfer.errors import ExportError
from kinfer.jaxpr_ir import Aval, Const, Eqn, Program
from kinfer.onnx_builder import GraphBuilder, Shape

SUPPORTED = (
    "dot_general as x[M,K] @ W[K,N] (MatMul), add, sub, mul, neg, div by a constant, "
    "integer_pow, max(x, 0) (ReLU), logistic (sigmoid), tanh, jax.nn.softmax over the "
    "last axis, reshapes that only add or remove leading 1-dims, stop_gradient, "
    "convert_element_type to float32, and jit/custom_jvp/custom_vjp/remat calls of those"
)

_F32 = np.dtype(np.float32)


# --- values ------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Tensor:
    """A runtime tensor, computed from the graph input."""

    name: str
    shape: Shape


@dataclass(frozen=True, eq=False)
class Weight:
    """A named initializer (a Flax variable); added to the graph when used."""

    name: str
    value: np.ndarray


@dataclass(frozen=True)
class GraphInput:
    """The graph input, bound to one jaxpr input."""

    name: str


@dataclass(frozen=True, eq=False)
class _Softmax:
    """A partial softmax over the last axis of ``src``."""

    stage: str  # "max" | "shifted" | "exp" | "sum"
    src: Tensor
    src_shape: Shape  # jaxpr shape of src
    keepdims: bool
    origin: str  # primitive and location, for error messages


Value: TypeAlias = Tensor | Weight | Const | _Softmax
Operand: TypeAlias = Tensor | Weight | Const


# --- lowering context -------------------------------------------------------


@dataclass
class _Ctx:
    builder: GraphBuilder
    avals: Mapping[int, Aval]
    strip_root_scope: bool
    _weights: dict[int, str]

    def aval(self, var: int) -> Aval:
        return self.avals[var]

    def out_shape(self, eqn: Eqn) -> Shape:
        return self.avals[eqn.outputs[0]].shape

    def fail(self, eqn: Eqn, message: str) -> ExportError:
        return ExportError(f"cannot export '{eqn.name}' {_where(eqn)}: {message}")

    def operand(self, eqn: Eqn, value: Value) -> Operand:
        if isinstance(value, _Softmax):
            raise self.fail(
                eqn,
                f"it uses the result of {value.origin}, which kinfer supports only "
                "inside jax.nn.softmax over the last axis",
            )
        return value

    def runtime(self, eqn: Eqn, value: Value, what: str = "its operand") -> Tensor:
        value = self.operand(eqn, value)
        if isinstance(value, Weight):
            raise self.fail(
                eqn,
                f"{what} is the variable {value.name!r}, but kinfer computes only on "
                "tensors derived from the input (variables can be the second operand "
                "of add/mul or the weight of a matmul)",
            )
        if isinstance(value, Const):  # pragma: no cover - folded before rules run
            raise self.fail(eqn, f"{what} is a constant")
        return value

    def onnx_shape(self, value: Operand) -> Shape:
        if isinstance(value, Tensor):
            return value.shape
        if isinstance(value, Weight):
            return tuple(value.value.shape)
        return _strip_leading_ones(value.value.shape) or (1,)

    def ref(self, value: Operand, *, exact: bool = False) -> str:
        """The ONNX name of ``value``, adding it to the graph if needed."""
        if isinstance(value, Tensor):
            return value.name
        if isinstance(value, Weight):
            key = id(value)
            if key not in self._weights:
                self._weights[key] = self.builder.add_initializer(value.name, value.value)
            return self._weights[key]
        array = np.asarray(value.value, dtype=_F32)
        if not exact:
            array = array.reshape(self.onnx_shape(value))
        return self.builder.add_const(array)

    def emit(
        self,
        eqn: Eqn,
        op_type: str,
        operands: Sequence[Operand],
        out_shape: Shape,
        *,
        attrs: Mapping[str, object] | None = None,
        exact: Sequence[bool] = (),
    ) -> Tensor:
        names = [self.ref(v, exact=i < len(exact) and exact[i]) for i, v in enumerate(operands)]
        scope = eqn.scope
        if self.strip_root_scope:
            scope = scope.partition("/")[2]
        name = self.builder.add_node(op_type, names, out_shape, scope=scope, attrs=attrs)
        return Tensor(name, tuple(out_shape))


def _where(eqn: Eqn) -> str:
    return f"in Flax module '{eqn.scope}'" if eqn.scope else "outside any Flax module"


def _strip_leading_ones(shape: Sequence[int]) -> Shape:
    shape = tuple(shape)
    i = 0
    while i < len(shape) and shape[i] == 1:
        i += 1
    return shape[i:]


def _adds_leading_ones(outer: Shape, inner: Shape) -> bool:
    """Whether ``outer`` is ``inner`` with zero or more 1-dims prepended."""
    k = len(outer) - len(inner)
    return k >= 0 and outer[k:] == inner and all(d == 1 for d in outer[:k])


# --- rules --------------------------------------------------------------------

Rule: TypeAlias = Callable[[_Ctx, Eqn, list[Value]], Value]
RULES: dict[str, Rule] = {}


def _rule(*names: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        for name in names:
            RULES[name] = fn
        return fn

    return register


def _elementwise(ctx: _Ctx, eqn: Eqn, op_type: str, a: Value, b: Value) -> Tensor:
    """Add or Mul, as the kernel does them: in0 full-size, in1 a broadcast suffix."""
    a, b = ctx.operand(eqn, a), ctx.operand(eqn, b)
    sa, sb = ctx.onnx_shape(a), ctx.onnx_shape(b)
    try:
        out = tuple(np.broadcast_shapes(sa, sb))
    except ValueError as e:  # pragma: no cover - jax already checked shapes
        raise ctx.fail(eqn, f"shapes {sa} and {sb} do not broadcast") from e
    if not _adds_leading_ones(ctx.out_shape(eqn), out):
        raise ctx.fail(eqn, f"broadcast of {sa} and {sb} is not supported")

    def full(v: Operand) -> bool:
        return isinstance(v, Tensor) and v.shape == out

    if not full(a):
        if not full(b):
            raise ctx.fail(
                eqn,
                f"operand shapes {sa} and {sb}: kinfer needs one operand computed from the "
                f"input with the full result shape {out}",
            )
        a, b = b, a  # add and mul commute
    suffix = _strip_leading_ones(ctx.onnx_shape(b))
    if suffix and out[len(out) - len(suffix) :] != suffix:
        raise ctx.fail(
            eqn,
            f"second operand of shape {ctx.onnx_shape(b)} does not broadcast as a trailing "
            f"suffix of {out}; kinfer repeats it along the flattened first operand",
        )
    return ctx.emit(eqn, op_type, [a, b], out)


def _negate(ctx: _Ctx, eqn: Eqn, value: Value) -> Tensor | Const:
    value = ctx.operand(eqn, value)
    if isinstance(value, Const):
        return Const(-value.value)
    t = ctx.runtime(eqn, value)
    return ctx.emit(eqn, "Mul", [t, Const(np.array(-1, _F32))], t.shape)


@_rule("add")
def _add(ctx: _Ctx, eqn: Eqn, args: list[Value]) -> Value:
    return _elementwise(ctx, eqn, "Add", *args)


@_rule("mul")
def _mul(ctx: _Ctx, eqn: Eqn, args: list[Value]) -> Value:
    return _elementwise(ctx, eqn, "Mul", *args)


@_rule("neg")
def _neg(ctx: _Ctx, eqn: Eqn, args: list[Value]) -> Value:
    return _negate(ctx, eqn, args[0])


@_rule("sub")
def _sub(ctx: _Ctx, eqn: Eqn, args: list[Value]) -> Value:
    a, b = args
    if isinstance(b, _Softmax) and b.stage == "max":
        if not (b.keepdims and a is b.src):
            raise ctx.fail(eqn, "only x - max(x, axis=-1, keepdims=True) is supported")
        return replace(b, stage="shifted", origin=f"'sub' {_where(eqn)}")
    if isinstance(b, Weight) and isinstance(a, Tensor):
        # a - w == -((-a) + w), exactly: negation is exact and rounding symmetric.
        return _negate(ctx, eqn, _elementwise(ctx, eqn, "Add", _negate(ctx, eqn, a), b))
    return _elementwise(ctx, eqn, "Add", a, _negate(ctx, eqn, b))


@_rule("div")
def _div(ctx: _Ctx, eqn: Eqn, args: list[Value]) -> Value:
    a, b = args
    if isinstance(a, _Softmax) and isinstance(b, _Softmax):
        if not (a.stage == "exp" and b.stage == "sum" and b.keepdims and a.src is b.src):
            raise ctx.fail(eqn, "only exp(x - max) / sum(exp(x - max)) is supported")
        src = a.src
        if not _adds_leading_ones(ctx.out_shape(eqn), src.shape):  # pragma: no cover
            raise ctx.fail(eqn, "softmax result shape mismatch")
        return ctx.emit(eqn, "Softmax", [src], src.shape, attrs={"axis": -1})
    if isinstance(b, Const):
        with np.errstate(divide="ignore"):
            reciprocal = (np.float32(1) / b.value.astype(_F32)).astype(_F32)
        return _elementwise(ctx, eqn, "Mul", a, Const(reciprocal))
    raise ctx.fail(eqn, "division is supported only by a constant (and inside softmax)")


@_rule("integer_pow")
def _integer_pow(ctx: _Ctx, eqn: Eqn, args: list[Value]) -> Value:
    y = int(eqn.params["y"])
    base = ctx.runtime(eqn, args[0])
    if y < 1:
        raise ctx.fail(eqn, f"only positive integer powers are supported, got {y}")
    result: Tensor | None = None
    square = base
    while True:  # exponentiation by squaring
        if y & 1:
            result = (
                square if result is None else ctx.emit(eqn, "Mul", [result, square], base.shape)
            )
        y >>= 1
        if not y:
            break
        square = ctx.emit(eqn, "Mul", [square, square], base.shape)
    assert result is not None
    return result


@_rule("max")
def _max(ctx: _Ctx, eqn: Eqn, args: list[Value]) -> Value:
    a, b = args
    if isinstance(a, Const):
        a, b = b, a
    if (
        isinstance(a, _Softmax)
        and a.stage == "max"
        and isinstance(b, Const)
        and np.all(b.value == -np.inf)  # jax.nn.softmax's `initial=-inf`
    ):
        return a
    if isinstance(b, Const) and np.all(b.value == 0):
        x = ctx.runtime(eqn, a)
        if tuple(np.broadcast_shapes(x.shape, ctx.onnx_shape(b))) == x.shape:
            return ctx.emit(eqn, "Relu", [x], x.shape)
    raise ctx.fail(eqn, "max is supported only as ReLU, max(x, 0)")


def _unary(op_type: str) -> Rule:
    def rule(ctx: _Ctx, eqn: Eqn, args: list[Value]) -> Value:
        x = ctx.runtime(eqn, args[0])
        return ctx.emit(eqn, op_type, [x], x.shape)

    return rule


_rule("logistic")(_unary("Sigmoid"))
_rule("tanh")(_unary("Tanh"))


@_rule("dot_general")
def _dot_general(ctx: _Ctx, eqn: Eqn, args: list[Value]) -> Value:
    (lhs_c, rhs_c), (lhs_b, rhs_b) = eqn.params["dimension_numbers"]
    lhs_aval, rhs_aval = (
        ctx.aval(a) if isinstance(a, int) else Aval(a.value.shape, a.value.dtype)
        for a in eqn.inputs
    )
    if not (
        len(lhs_aval.shape) == 2
        and len(rhs_aval.shape) == 2
        and tuple(lhs_c) == (1,)
        and tuple(rhs_c) == (0,)
        and not tuple(lhs_b)
        and not tuple(rhs_b)
    ):
        raise ctx.fail(
            eqn,
            f"only x[M,K] @ W[K,N] is supported, got lhs {lhs_aval.shape}, rhs "
            f"{rhs_aval.shape}, dimension_numbers {eqn.params['dimension_numbers']}",
        )
    pet = eqn.params.get("preferred_element_type")
    if pet is not None and np.dtype(pet) != _F32:
        raise ctx.fail(eqn, f"preferred_element_type {pet} is not float32")
    x = ctx.runtime(eqn, args[0], "the left operand")
    if x.shape != lhs_aval.shape:
        raise ctx.fail(eqn, f"left operand has shape {x.shape}, expected {lhs_aval.shape}")
    w = ctx.operand(eqn, args[1])
    if isinstance(w, Tensor):
        raise ctx.fail(eqn, "the right operand (the weight) must be a variable or a constant")
    if isinstance(w, Weight) and w.value.shape != rhs_aval.shape:
        raise ctx.fail(eqn, f"weight {w.name!r} has shape {w.value.shape}, not {rhs_aval.shape}")
    out = (lhs_aval.shape[0], rhs_aval.shape[1])
    return ctx.emit(eqn, "MatMul", [x, w], out, exact=(False, True))


@_rule("reduce_max", "reduce_sum")
def _reduce(ctx: _Ctx, eqn: Eqn, args: list[Value]) -> Value:
    (x,) = args
    in_var = eqn.inputs[0]
    assert isinstance(in_var, int)
    rank = len(ctx.aval(in_var).shape)
    last_axis = tuple(eqn.params["axes"]) == (rank - 1,)
    origin = f"'{eqn.name}' {_where(eqn)}"
    if eqn.name == "reduce_max" and last_axis and isinstance(x, Tensor):
        return _Softmax("max", x, ctx.aval(in_var).shape, False, origin)
    if eqn.name == "reduce_sum" and last_axis and isinstance(x, _Softmax) and x.stage == "exp":
        return replace(x, stage="sum", keepdims=False, origin=origin)
    raise ctx.fail(eqn, "reductions are supported only inside jax.nn.softmax over the last axis")


@_rule("exp")
def _exp(ctx: _Ctx, eqn: Eqn, args: list[Value]) -> Value:
    (x,) = args
    if isinstance(x, _Softmax) and x.stage == "shifted":
        return replace(x, stage="exp", origin=f"'exp' {_where(eqn)}")
    raise ctx.fail(eqn, "exp is supported only inside jax.nn.softmax over the last axis")


@_rule("stop_gradient", "copy", "copy_p", "optimization_barrier")
def _identity(ctx: _Ctx, eqn: Eqn, args: list[Value]) -> Value:
    return args[0]


@_rule("convert_element_type")
def _convert(ctx: _Ctx, eqn: Eqn, args: list[Value]) -> Value:
    in_var = eqn.inputs[0]
    src = ctx.aval(in_var).dtype if isinstance(in_var, int) else _F32
    if src != _F32 or np.dtype(eqn.params["new_dtype"]) != _F32:
        raise ctx.fail(eqn, f"only float32 is supported, got {src} -> {eqn.params['new_dtype']}")
    return args[0]


@_rule("reshape", "broadcast_in_dim", "squeeze", "expand_dims")
def _relayout(ctx: _Ctx, eqn: Eqn, args: list[Value]) -> Value:
    (x,) = args
    out = ctx.out_shape(eqn)
    in_var = eqn.inputs[0]
    assert isinstance(in_var, int)
    in_shape = ctx.aval(in_var).shape
    if eqn.name == "reshape" and eqn.params.get("dimensions") is not None:
        raise ctx.fail(eqn, "reshape with a transposition is not supported")
    if isinstance(x, _Softmax):
        # keepdims=True of softmax's max/sum: [..., N] -> [..., 1]
        keep = (*x.src_shape[:-1], 1)
        ok = x.stage in ("max", "sum") and out == keep
        if eqn.name == "broadcast_in_dim":
            ok = ok and tuple(eqn.params["broadcast_dimensions"]) == tuple(range(len(out) - 1))
        if not ok:
            raise ctx.fail(eqn, f"cannot reshape the result of {x.origin}")
        return replace(x, keepdims=True)
    x = ctx.operand(eqn, x)
    inner = ctx.onnx_shape(x)  # x is a Tensor or Weight: all-Const equations are folded
    ok = _adds_leading_ones(out, inner)
    if ok and eqn.name == "broadcast_in_dim":
        j, k = len(in_shape) - len(inner), len(out) - len(inner)
        ok = tuple(eqn.params["broadcast_dimensions"])[j:] == tuple(range(k, len(out)))
    if not ok:
        raise ctx.fail(
            eqn,
            f"{in_shape} -> {out}: kinfer elides reshapes that only add or remove leading "
            "1-dims; others are not supported",
        )
    return x


# --- driver -------------------------------------------------------------------


def lower(
    program: Program,
    inputs: Sequence[GraphInput | Weight],
    *,
    graph_name: str,
    output_name: str,
    strip_root_scope: bool = True,
    doc_string: str = "",
    producer_version: str = "",
) -> onnx.ModelProto:
    """Build the ONNX model computing ``program``.

    ``inputs`` binds each program input to the graph input or a named
    weight. Weights that the computation does not use are left out.
    With ``strip_root_scope`` node names drop the first name-stack
    component (the root Flax module's class name).
    """
    if len(inputs) != len(program.inputs):
        raise ExportError(f"{len(program.inputs)} jaxpr inputs but {len(inputs)} bindings")
    names = [spec.name for spec in inputs] + [output_name]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ExportError(f"names used more than once: {', '.join(map(repr, dupes))}")

    builder = GraphBuilder(graph_name)
    builder.reserve(output_name)
    builder.avoid(spec.name for spec in inputs)
    ctx = _Ctx(builder, program.avals, strip_root_scope, {})
    env: dict[int, Value] = {}
    for var, spec in zip(program.inputs, inputs, strict=True):
        aval = program.avals[var]
        if isinstance(spec, GraphInput):
            if aval.dtype != _F32:
                raise ExportError(f"input {spec.name!r} must be float32, got {aval.dtype}")
            env[var] = Tensor(builder.add_input(spec.name, aval.shape), aval.shape)
        else:
            env[var] = spec

    for eqn in program.eqns:
        args = [env[a] if isinstance(a, int) else a for a in eqn.inputs]
        if all(isinstance(a, Const) for a in args):
            results = _fold(ctx, eqn, args)
        else:
            rule = RULES.get(eqn.name)
            if rule is None:
                raise ExportError(
                    f"unsupported primitive '{eqn.name}' {_where(eqn)}. kinfer supports: "
                    f"{SUPPORTED}"
                )
            results = [rule(ctx, eqn, args)]
        for var, value in zip(eqn.outputs, results, strict=True):
            if not isinstance(value, Const) and program.avals[var].dtype != _F32:
                raise ctx.fail(eqn, f"result is {program.avals[var].dtype}, not float32")
            env[var] = value

    if len(program.outputs) != 1:
        raise ExportError(f"the model must return one array, got {len(program.outputs)}")
    (out_atom,) = program.outputs
    out = env[out_atom] if isinstance(out_atom, int) else out_atom
    if not isinstance(out, Tensor):
        what = "a partial softmax" if isinstance(out, _Softmax) else "a variable or constant"
        raise ExportError(
            "the model output must be computed from the input by at least one operation; "
            f"it is {what}"
        )
    assert isinstance(out_atom, int)
    if out.shape != program.avals[out_atom].shape:
        raise ExportError(
            f"the model output has shape {program.avals[out_atom].shape} but is computed as "
            f"{out.shape}; kinfer cannot add leading 1-dims to an output"
        )
    return builder.build(
        out.name, output_name, doc_string=doc_string, producer_version=producer_version
    )


def _fold(ctx: _Ctx, eqn: Eqn, args: list[Value]) -> list[Value]:
    """Evaluate an equation whose inputs are all constants."""
    import jax.numpy as jnp

    arrays = [jnp.asarray(a.value) for a in args if isinstance(a, Const)]
    try:
        out = eqn.primitive.bind(*arrays, **eqn.params)  # type: ignore[no-untyped-call]
    except Exception as e:
        raise ctx.fail(eqn, f"constant folding failed: {e}") from e
    outs = out if eqn.primitive.multiple_results else [out]
    return [Const(np.asarray(o)) for o in outs]
