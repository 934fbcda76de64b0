"""Elementwise primitives: arithmetic, comparisons, logic, activations, casts.

Operands may be lazily broadcast (see :mod:`kinfer.export.lower`); ONNX's
multidirectional broadcasting finishes the job, so the result's ONNX shape
is the numpy broadcast of the operands' shapes.
"""

from __future__ import annotations

import numpy as np

from kinfer.export.ir import Const, Eqn
from kinfer.export.graph import onnx_type
from kinfer.export.lower import Ctx, Tensor, Value
from kinfer.export.rules import rule

_F32 = np.dtype(np.float32)
_BOOL = np.dtype(np.bool_)

BINARY = {
    "add": "Add",
    "sub": "Sub",
    "mul": "Mul",
    "div": "Div",
    "max": "Max",
    "min": "Min",
    "pow": "Pow",
    "eq": "Equal",
    "lt": "Less",
    "le": "LessOrEqual",
    "gt": "Greater",
    "ge": "GreaterOrEqual",
}
LOGICAL = {"and": "And", "or": "Or", "xor": "Xor"}
UNARY = {
    "neg": "Neg",
    "exp": "Exp",
    "log": "Log",
    "tanh": "Tanh",
    "logistic": "Sigmoid",
    "sqrt": "Sqrt",
    "abs": "Abs",
    "sign": "Sign",
    "floor": "Floor",
    "ceil": "Ceil",
    "erf": "Erf",
}
IDENTITY = ("stop_gradient", "copy", "copy_p", "optimization_barrier")


def binary(ctx: Ctx, eqn: Eqn, op_type: str, a: Value, b: Value) -> Tensor:
    a, b = ctx.compact(a), ctx.compact(b)
    shape = tuple(np.broadcast_shapes(ctx.shape(a), ctx.shape(b)))
    return ctx.node(eqn, op_type, [a, b], shape, ctx.out_dtype(eqn))


def unary(ctx: Ctx, eqn: Eqn, op_type: str, x: Value, dtype: np.dtype | None = None) -> Tensor:
    return ctx.node(eqn, op_type, [x], ctx.shape(x), dtype or ctx.out_dtype(eqn))


def scalar(ctx: Ctx, x: Value, value: float) -> Const:
    """A constant of ``x``'s rank and dtype, for broadcasting against it."""
    return Const(np.full((1,) * len(ctx.shape(x)), value, ctx.dtype(x)))


@rule(*BINARY)
def _binary(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    if eqn.name == "max":  # jax.nn.relu is max(x, 0.0)
        for x, other in ((args[0], args[1]), (args[1], args[0])):
            if _is_zero(other) and ctx.shape(x) == ctx.out(eqn).shape:
                return unary(ctx, eqn, "Relu", x)
    return binary(ctx, eqn, BINARY[eqn.name], args[0], args[1])


def _is_zero(value: Value) -> bool:
    return isinstance(value, Const) and not np.any(value.value)


@rule("ne")
def _ne(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    equal = binary(ctx, eqn, "Equal", args[0], args[1])
    return unary(ctx, eqn, "Not", equal)


@rule(*LOGICAL)
def _logical(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    if ctx.out_dtype(eqn) != _BOOL:
        raise ctx.fail(eqn, "bitwise operations on integers are not supported, only on bool")
    return binary(ctx, eqn, LOGICAL[eqn.name], args[0], args[1])


@rule("not")
def _not(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    if ctx.out_dtype(eqn) != _BOOL:
        raise ctx.fail(eqn, "bitwise not of integers is not supported, only of bool")
    return unary(ctx, eqn, "Not", args[0])


@rule(*UNARY)
def _unary(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    return unary(ctx, eqn, UNARY[eqn.name], args[0])


@rule(*IDENTITY)
def _identity(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value | list[Value]:
    return list(args) if len(eqn.outputs) > 1 else args[0]


@rule("rsqrt")
def _rsqrt(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    return unary(ctx, eqn, "Reciprocal", unary(ctx, eqn, "Sqrt", args[0]))


@rule("square")
def _square(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    return binary(ctx, eqn, "Mul", args[0], args[0])


@rule("erfc")
def _erfc(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    x = args[0]
    return binary(ctx, eqn, "Sub", scalar(ctx, x, 1.0), unary(ctx, eqn, "Erf", x))


@rule("exp2")
def _exp2(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    x = args[0]
    return binary(ctx, eqn, "Pow", scalar(ctx, x, 2.0), x)


@rule("log1p")
def _log1p(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    x = args[0]
    return unary(ctx, eqn, "Log", binary(ctx, eqn, "Add", x, scalar(ctx, x, 1.0)))


@rule("expm1")
def _expm1(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    x = args[0]
    return binary(ctx, eqn, "Sub", unary(ctx, eqn, "Exp", x), scalar(ctx, x, 1.0))


@rule("integer_pow")
def _integer_pow(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    x, y = args[0], int(eqn.params["y"])
    if y == 1:
        return x
    if y in (2, 3):
        square = binary(ctx, eqn, "Mul", x, x)
        return square if y == 2 else binary(ctx, eqn, "Mul", square, x)
    return binary(ctx, eqn, "Pow", x, scalar(ctx, x, float(y)))


@rule("round")
def _round(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    method = int(eqn.params.get("rounding_method", 0))
    if method != 1:  # lax.RoundingMethod.TO_NEAREST_EVEN; ONNX Round is half-to-even
        raise ctx.fail(eqn, "only rounding half to even (jnp.round) is supported")
    return unary(ctx, eqn, "Round", args[0])


@rule("clamp")
def _clamp(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    lo, x, hi = args
    return binary(ctx, eqn, "Max", binary(ctx, eqn, "Min", x, hi), lo)


@rule("select_n")
def _select_n(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    pred, cases = args[0], args[1:]
    if len(cases) != 2:
        raise ctx.fail(eqn, f"select_n with {len(cases)} cases; kinfer lowers two (jnp.where)")
    pred_t = ctx.tensor(ctx.compact(pred))
    if pred_t.dtype != _BOOL:
        pred_t = unary(ctx, eqn, "Cast", pred_t, _BOOL)
    # select_n picks cases[1] where pred is true
    false_case, true_case = ctx.compact(cases[0]), ctx.compact(cases[1])
    shape = tuple(
        np.broadcast_shapes(pred_t.shape, ctx.shape(false_case), ctx.shape(true_case))
    )
    return ctx.node(eqn, "Where", [pred_t, true_case, false_case], shape, ctx.out_dtype(eqn))


@rule("convert_element_type")
def _convert(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    x = args[0]
    dtype = ctx.out_dtype(eqn)
    if ctx.dtype(x) == dtype:
        return x
    t = ctx.tensor(x)
    return ctx.node(eqn, "Cast", [t], t.shape, dtype, {"to": onnx_type(dtype)})


@rule("is_finite")
def _is_finite(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    """x - x is 0 exactly for finite x and NaN for inf and NaN, which equals nothing."""
    x = args[0]
    zero = ctx.node(eqn, "Sub", [x, x], ctx.shape(x), ctx.dtype(x))
    return ctx.node(eqn, "Equal", [zero, scalar(ctx, x, 0.0)], zero.shape, _BOOL)


@rule("reduce_precision")
def _reduce_precision(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    if (eqn.params.get("exponent_bits"), eqn.params.get("mantissa_bits")) != (8, 23):
        raise ctx.fail(eqn, "only float32 precision is supported")
    return args[0]

