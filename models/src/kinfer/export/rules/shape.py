"""Data movement: reshapes, broadcasts, transposes, joins, slices, padding, gathers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kinfer.export.ir import Const, Eqn
from kinfer.export.lower import Ctx, Tensor, Value, inverse
from kinfer.export.rules import rule


@rule("reshape")
def _reshape(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    if eqn.params.get("dimensions") is not None:
        raise ctx.fail(eqn, "reshape with a dimension order is not supported")
    shape = ctx.out(eqn).shape
    source = ctx.shape(args[0])
    k = len(shape) - len(source)
    if k >= 0 and shape[k:] == source and all(d == 1 for d in shape[:k]):
        return args[0]  # adds leading 1-dims only (Dense's bias): numpy broadcasting does it
    return ctx.reshape(eqn, ctx.full_arg(eqn, args, 0), shape)


@rule("squeeze")
def _squeeze(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    # the squeezed dims are 1 in the lazy shape too, so it stays lazy
    x = ctx.ranked(eqn, args[0], len(ctx.arg_shape(eqn, 0)))
    dims = {int(d) % len(x.shape) for d in eqn.params["dimensions"]}
    return ctx.reshape(eqn, x, tuple(s for d, s in enumerate(x.shape) if d not in dims))


@rule("expand_dims")
def _expand_dims(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    return ctx.reshape(eqn, ctx.full_arg(eqn, args, 0), ctx.out(eqn).shape)


@rule("broadcast_in_dim")
def _broadcast_in_dim(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    """Only the rank changes here; consumers broadcast (see lower.py)."""
    rank, dims = len(eqn.params["shape"]), tuple(eqn.params["broadcast_dimensions"])
    if dims == tuple(range(rank - len(dims), rank)):
        return args[0]  # numpy broadcasting prepends the missing dims
    x = ctx.ranked(eqn, args[0], len(ctx.arg_shape(eqn, 0)))
    lazy = [1] * rank
    for src, dst in enumerate(eqn.params["broadcast_dimensions"]):
        lazy[dst] = x.shape[src]
    return ctx.reshape(eqn, x, tuple(lazy))


@rule("transpose")
def _transpose(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    x = ctx.ranked(eqn, args[0], len(ctx.arg_shape(eqn, 0)))
    return ctx.transpose(eqn, x, [int(p) for p in eqn.params["permutation"]])


@rule("concatenate")
def _concatenate(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    parts = [ctx.full_arg(eqn, args, i) for i in range(len(args))]
    axis = int(eqn.params["dimension"])
    return ctx.node(eqn, "Concat", parts, ctx.out(eqn).shape, ctx.out_dtype(eqn), {"axis": axis})


@rule("stack")
def _stack(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    axis = int(eqn.params["axis"])
    out = ctx.out(eqn).shape
    row = (*out[:axis], 1, *out[axis + 1 :])
    parts = [ctx.reshape(eqn, ctx.full_arg(eqn, args, i), row) for i in range(len(args))]
    return ctx.node(eqn, "Concat", parts, out, ctx.out_dtype(eqn), {"axis": axis})


@rule("slice")
def _slice(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    x = ctx.full_arg(eqn, args, 0)
    starts = [int(s) for s in eqn.params["start_indices"]]
    limits = [int(s) for s in eqn.params["limit_indices"]]
    steps = [int(s) for s in (eqn.params.get("strides") or [1] * len(starts))]
    return slice_tensor(ctx, eqn, x, starts, limits, steps)


@rule("rev")
def _rev(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    x = ctx.full_arg(eqn, args, 0)
    dims = {int(d) for d in eqn.params["dimensions"]}
    starts = [-1 if d in dims else 0 for d in range(len(x.shape))]
    limits = [np.iinfo(np.int64).min if d in dims else s for d, s in enumerate(x.shape)]
    steps = [-1 if d in dims else 1 for d in range(len(x.shape))]
    return slice_tensor(ctx, eqn, x, starts, limits, steps, ctx.out(eqn).shape)


@rule("dynamic_slice")
def _dynamic_slice(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    x, indices = ctx.full_arg(eqn, args, 0), args[1:]
    if not all(isinstance(i, Const) for i in indices):
        raise ctx.fail(eqn, "slice positions computed at run time are not supported")
    sizes = [int(s) for s in eqn.params["slice_sizes"]]
    # lax.dynamic_slice clamps the start so that the slice fits
    starts = [
        min(max(int(np.asarray(i.value)), 0), dim - size)
        for i, dim, size in zip(indices, x.shape, sizes, strict=True)
        if isinstance(i, Const)
    ]
    limits = [s + n for s, n in zip(starts, sizes, strict=True)]
    return slice_tensor(ctx, eqn, x, starts, limits, [1] * len(starts))


@rule("split")
def _split(ctx: Ctx, eqn: Eqn, args: list[Value]) -> list[Value]:
    x = ctx.full_arg(eqn, args, 0)
    axis = int(eqn.params["axis"])
    parts: list[Value] = []
    offset = 0
    for size in eqn.params["sizes"]:
        starts = [offset if d == axis else 0 for d in range(len(x.shape))]
        limits = [offset + size if d == axis else s for d, s in enumerate(x.shape)]
        parts.append(slice_tensor(ctx, eqn, x, starts, limits, [1] * len(x.shape)))
        offset += size
    return parts


@rule("pad")
def _pad(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    x, fill = ctx.full_arg(eqn, args, 0), args[1]
    if not isinstance(fill, Const):
        raise ctx.fail(eqn, "the padding value must be a constant")
    config = [tuple(int(v) for v in c) for c in eqn.params["padding_config"]]
    if any(interior for _, _, interior in config):
        raise ctx.fail(eqn, "interior padding is not supported")
    lo = [max(c[0], 0) for c in config]
    hi = [max(c[1], 0) for c in config]
    padded_shape = tuple(s + a + b for s, a, b in zip(x.shape, lo, hi, strict=True))
    y = x
    if any(lo) or any(hi):
        value = Const(np.asarray(fill.value, dtype=x.dtype).reshape(()))
        y = ctx.node(eqn, "Pad", [x, ctx.i64(lo + hi), value], padded_shape, x.dtype)
    if all(c[0] >= 0 and c[1] >= 0 for c in config):
        return y
    starts = [-min(c[0], 0) for c in config]
    limits = [s + min(c[1], 0) for s, c in zip(padded_shape, config, strict=True)]
    return slice_tensor(ctx, eqn, y, starts, limits, [1] * len(starts))


@rule("gather")
def _gather(ctx: Ctx, eqn: Eqn, args: list[Value]) -> Value:
    """``jnp.take`` along one axis (nn.Embed, ``x[:, i]``): ONNX Gather."""
    data, indices = ctx.full_arg(eqn, args, 0), args[1]
    dn = eqn.params["dimension_numbers"]
    rank = len(data.shape)
    collapsed = tuple(dn.collapsed_slice_dims)
    if (
        len(collapsed) != 1
        or tuple(dn.start_index_map) != collapsed
        or getattr(dn, "operand_batching_dims", ())
    ):
        raise ctx.fail(eqn, "only a gather along one axis (jnp.take, embedding lookup) is supported")
    (axis,) = collapsed
    sizes = tuple(int(s) for s in eqn.params["slice_sizes"])
    if sizes != tuple(1 if d == axis else s for d, s in enumerate(data.shape)):
        raise ctx.fail(eqn, "only whole slices along the other axes are supported")
    index_shape = ctx.arg_shape(eqn, 1)
    if not index_shape or index_shape[-1] != 1:
        raise ctx.fail(eqn, f"index shape {index_shape} is not [..., 1]")
    ids = _squeeze_last(ctx, eqn, indices, index_shape)
    ids_shape = index_shape[:-1]
    onnx_shape = (*data.shape[:axis], *ids_shape, *data.shape[axis + 1 :])
    gathered = ctx.node(eqn, "Gather", [data, ids], onnx_shape, data.dtype, {"axis": axis})
    # JAX puts the slice dims at offset_dims and the index dims elsewhere, in order
    out_rank = len(ctx.out(eqn).shape)
    offset_dims = [int(d) for d in dn.offset_dims]
    batch_positions = [d for d in range(out_rank) if d not in offset_dims]
    onnx_of_jax = [0] * out_rank
    slice_axes = [d for d in range(rank) if d != axis]
    for pos, src in zip(offset_dims, slice_axes, strict=True):
        onnx_of_jax[pos] = src if src < axis else src - 1 + len(ids_shape)
    for k, pos in enumerate(batch_positions):
        onnx_of_jax[pos] = axis + k
    return ctx.transpose(eqn, gathered, onnx_of_jax)


def _squeeze_last(ctx: Ctx, eqn: Eqn, indices: Value, shape: Sequence[int]) -> Value:
    if isinstance(indices, Const):
        return Const(np.asarray(indices.value).reshape(tuple(shape[:-1])))
    full = ctx.full(eqn, indices, tuple(shape))
    return ctx.reshape(eqn, full, tuple(shape[:-1]))


def slice_tensor(
    ctx: Ctx,
    eqn: Eqn,
    x: Tensor,
    starts: Sequence[int],
    limits: Sequence[int],
    steps: Sequence[int],
    shape: Sequence[int] | None = None,
) -> Tensor:
    """ONNX Slice of the axes that change; the whole tensor if none does."""
    axes = [
        d
        for d in range(len(x.shape))
        if (starts[d], limits[d], steps[d]) != (0, x.shape[d], 1)
    ]
    if not axes:
        return x
    if shape is None:
        shape = [
            len(range(starts[d], limits[d], steps[d])) for d in range(len(x.shape))
        ]
    operands: list[Value] = [
        x,
        ctx.i64([starts[d] for d in axes]),
        ctx.i64([limits[d] for d in axes]),
        ctx.i64(axes),
        ctx.i64([steps[d] for d in axes]),
    ]
    return ctx.node(eqn, "Slice", operands, tuple(shape), x.dtype)
