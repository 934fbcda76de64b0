"""Reductions: over axes, arg-reductions, windows (pooling) and cumulative sums."""

from __future__ import annotations

import math

import numpy as np

from kinfer.export.ir import Const, Eqn
from kinfer.export.graph import onnx_type
from kinfer.export.lower import Ctx, Tensor, Value, inverse
from kinfer.export.rules import rule

REDUCE = {
    "reduce_sum": "ReduceSum",
    "reduce_max": "ReduceMax",
    "reduce_min": "ReduceMin",
    "reduce_prod": "ReduceProd",
}


@rule(*REDUCE)
def _reduce(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    x = ctx.full_arg(eqn, args, 0)
    axes = [int(a) for a in eqn.params["axes"]]
    if not axes:
        return x
    shape, dtype = ctx.out(eqn).shape, ctx.out_dtype(eqn)
    op_type = REDUCE[eqn.name]
    if op_type == "ReduceSum":  # axes became an input in opset 13, the others in 18
        return ctx.node(eqn, op_type, [x, ctx.i64(axes)], shape, dtype, {"keepdims": 0})
    return ctx.node(eqn, op_type, [x], shape, dtype, {"axes": axes, "keepdims": 0})


@rule("argmax", "argmin")
def _arg_reduce(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    x = ctx.full_arg(eqn, args, 0)
    (axis,) = eqn.params["axes"]
    shape = ctx.out(eqn).shape
    op_type = "ArgMax" if eqn.name == "argmax" else "ArgMin"
    index = ctx.node(eqn, op_type, [x], shape, np.dtype(np.int64), {"axis": int(axis), "keepdims": 0})
    dtype = ctx.out_dtype(eqn)
    if dtype == np.int64:
        return index
    return ctx.node(eqn, "Cast", [index], shape, dtype, {"to": onnx_type(dtype)})


@rule("reduce_window_max", "reduce_window_sum")
def _pool(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    """Flax's max_pool and avg_pool (a window sum, divided afterwards)."""
    p = eqn.params
    window = [int(w) for w in p["window_dimensions"]]
    strides = [int(s) for s in p["window_strides"]]
    padding = [tuple(int(v) for v in pair) for pair in p["padding"]]
    if any(d != 1 for d in (*p["base_dilation"], *p["window_dilation"])):
        raise ctx.fail(eqn, "dilated pooling windows are not supported")
    if any(lo < 0 or hi < 0 for lo, hi in padding):
        raise ctx.fail(eqn, f"negative padding {padding} is not supported")
    x = ctx.full_arg(eqn, args, 0)
    rank = len(x.shape)
    spatial = [d for d in range(rank) if window[d] != 1 or strides[d] != 1 or padding[d] != (0, 0)]
    if not spatial:
        return x
    if len(spatial) > 3:
        raise ctx.fail(eqn, f"pooling over {len(spatial)} dims; kinfer pools over 1 to 3")
    others = [d for d in range(rank) if d not in spatial]
    perm = others + spatial
    # pool as (N, C, spatial...): the two other dims (NHWC's N and C), or
    # the other dims flattened into N with C = 1
    lead = tuple(x.shape[d] for d in others)
    if len(lead) != 2:
        lead = (math.prod(lead), 1)
    t = ctx.transpose(eqn, x, perm)
    t = ctx.reshape(eqn, t, (*lead, *(x.shape[d] for d in spatial)))
    out = ctx.out(eqn)
    out_spatial = tuple(out.shape[d] for d in spatial)
    attrs: dict[str, object] = {
        "kernel_shape": [window[d] for d in spatial],
        "strides": [strides[d] for d in spatial],
        "pads": [padding[d][0] for d in spatial] + [padding[d][1] for d in spatial],
    }
    dtype = ctx.out_dtype(eqn)
    if eqn.name == "reduce_window_max":
        pooled = ctx.node(eqn, "MaxPool", [t], (*lead, *out_spatial), dtype, attrs)
    else:
        attrs["count_include_pad"] = 1
        mean = ctx.node(eqn, "AveragePool", [t], (*lead, *out_spatial), dtype, attrs)
        window_size = math.prod(window[d] for d in spatial)
        size = Const(np.full((1, 1, *(1 for _ in spatial)), window_size, dtype))
        pooled = ctx.node(eqn, "Mul", [mean, size], mean.shape, dtype)
    pooled = ctx.reshape(eqn, pooled, tuple(out.shape[d] for d in perm))
    return ctx.transpose(eqn, pooled, inverse(perm))


@rule("cumsum")
def _cumsum(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    """A product with a triangular matrix of ones (kinfer has no scan kernel)."""
    x = ctx.full_arg(eqn, args, 0)
    axis, n = int(eqn.params["axis"]), 0
    n = x.shape[axis]
    if n > 1024:
        raise ctx.fail(eqn, f"cumsum over {n} elements; kinfer lowers it to an n*n product, n <= 1024")
    if x.dtype != np.float32:
        raise ctx.fail(eqn, f"cumsum of {x.dtype}; only float32 is supported")
    ones = np.triu(np.ones((n, n), np.float32))  # out[j] = sum_{i <= j} x[i]
    if eqn.params.get("reverse"):
        ones = ones.T.copy()
    last = len(x.shape) - 1
    perm = [d for d in range(len(x.shape)) if d != axis] + [axis]
    t = ctx.transpose(eqn, x, perm)
    summed: Tensor = ctx.node(eqn, "MatMul", [t, Const(ones)], t.shape, x.dtype)
    if axis == last:
        return summed
    return ctx.transpose(eqn, summed, inverse(perm))



@rule("kinfer_softmax", "kinfer_log_softmax")
def _softmax(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    """jax.nn.softmax / log_softmax, recognised by kinfer.export.patterns."""
    x = ctx.full_arg(eqn, args, 0)
    op_type = "Softmax" if eqn.name == "kinfer_softmax" else "LogSoftmax"
    axis = int(eqn.params["axis"])
    return ctx.node(eqn, op_type, [x], x.shape, ctx.out_dtype(eqn), {"axis": axis})
