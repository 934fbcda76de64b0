"""Contractions: ``dot_general`` (Dense, DenseGeneral, attention) and convolution."""

from __future__ import annotations

import math
from collections.abc import Sequence

from kinfer.export.ir import Eqn
from kinfer.export.lower import Ctx, Value, inverse
from kinfer.export.rules import rule


@rule("dot_general")
def _dot_general(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    lhs, rhs = ctx.full_arg(eqn, args, 0), ctx.full_arg(eqn, args, 1)
    lhs_shape, rhs_shape = lhs.shape, rhs.shape
    out = ctx.out(eqn)
    dtype = ctx.out_dtype(eqn)
    if not lb and tuple(lc) == (len(lhs_shape) - 1,) and tuple(rc) == (0,) and len(rhs_shape) == 2:
        return ctx.node(eqn, "MatMul", [lhs, rhs], out.shape, dtype)  # x[..., K] @ W[K, N]

    lfree = [d for d in range(len(lhs_shape)) if d not in lc and d not in lb]
    rfree = [d for d in range(len(rhs_shape)) if d not in rc and d not in rb]
    batch = [lhs_shape[d] for d in lb]
    m = math.prod(lhs_shape[d] for d in lfree)
    n = math.prod(rhs_shape[d] for d in rfree)
    k = math.prod(lhs_shape[d] for d in lc)
    a = ctx.transpose(eqn, lhs, [*lb, *lfree, *lc])
    a = ctx.reshape(eqn, a, (*batch, m, k))
    b = ctx.transpose(eqn, rhs, [*rb, *rc, *rfree])
    b = ctx.reshape(eqn, b, (*batch, k, n))
    product = ctx.node(eqn, "MatMul", [a, b], (*batch, m, n), dtype)
    return ctx.reshape(eqn, product, out.shape)


@rule("conv_general_dilated")
def _conv(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    p = eqn.params
    if any(d != 1 for d in p["lhs_dilation"]):
        raise ctx.fail(eqn, "input dilation (transposed convolution) is not supported")
    if p["batch_group_count"] != 1:
        raise ctx.fail(eqn, "batch_group_count > 1 is not supported")
    padding = [tuple(int(v) for v in pair) for pair in p["padding"]]
    if any(lo < 0 or hi < 0 for lo, hi in padding):
        raise ctx.fail(eqn, f"negative padding {padding} is not supported")
    dn = p["dimension_numbers"]
    lhs, rhs = ctx.full_arg(eqn, args, 0), ctx.full_arg(eqn, args, 1)
    x = ctx.transpose(eqn, lhs, dn.lhs_spec)  # N, C, spatial...
    w = ctx.transpose(eqn, rhs, dn.rhs_spec)  # O, I, spatial...
    out = ctx.out(eqn)
    y_shape = tuple(out.shape[d] for d in dn.out_spec)
    attrs = {
        "kernel_shape": list(w.shape[2:]),
        "strides": [int(s) for s in p["window_strides"]],
        "pads": [lo for lo, _ in padding] + [hi for _, hi in padding],
        "dilations": [int(d) for d in p["rhs_dilation"]],
        "group": int(p["feature_group_count"]),
    }
    y = ctx.node(eqn, "Conv", [x, w], y_shape, ctx.out_dtype(eqn), attrs)
    return ctx.transpose(eqn, y, inverse(dn.out_spec))

