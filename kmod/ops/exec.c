// SPDX-License-Identifier: GPL-2.0
/*
 * Plan, node and tensor checks shared by every op; the op dispatch table.
 * Integer-only: runs before any FPU section.
 */
#include "ops/exec.h"

#define KINFER_OP_DESC(NAME_, id_, name_, class_, attr_, cost_)	\
	[id_] = {							\
		.name = #name_,						\
		.prepare = kinfer_prepare_##class_,			\
		.eval = kinfer_eval_##name_,				\
		.attr_bytes = KINFER_ATTR_BYTES_##attr_,		\
		.cost = cost_,						\
	},

static const struct kinfer_op_desc kinfer_op_table[KINFER_OP_LIMIT] = {
	KINFER_OP_LIST(KINFER_OP_DESC)
};

#undef KINFER_OP_DESC

/**
 * kinfer_op_desc() - the registry entry of an op
 * @op: enum kinfer_op value from a plan
 *
 * Return: the entry, or NULL when @op is not a known op.
 */
const struct kinfer_op_desc *kinfer_op_desc(uint32_t op)
{
	if (op >= KINFER_OP_LIMIT || !kinfer_op_table[op].prepare)
		return NULL;
	return &kinfer_op_table[op];
}

/**
 * kinfer_plan_header_check() - check a plan header copied out of its map
 * @hdr: the copy
 * @plan_sz: bytes of the plan map value
 *
 * Return: 0, -EPROTO for another ABI version, -EINVAL otherwise.
 */
int kinfer_plan_header_check(const struct kinfer_plan *hdr, uint32_t plan_sz)
{
	if (hdr->magic != KINFER_PLAN_MAGIC)
		return -EINVAL;
	if (hdr->abi_version != KINFER_ABI_VERSION)
		return -EPROTO;
	if (hdr->reserved0 || hdr->reserved[0] || hdr->reserved[1])
		return -EINVAL;
	if (!hdr->n_nodes || hdr->n_nodes > KINFER_MAX_NODES)
		return -EINVAL;
	if (plan_sz < sizeof(*hdr) || hdr->nodes_bytes > plan_sz - sizeof(*hdr))
		return -EINVAL;
	return 0;
}

/**
 * kinfer_node_load() - copy the node at @cursor and check its header
 * @nodes: the plan's node bytes (after struct kinfer_plan)
 * @nodes_bytes: their size, from the checked plan header
 * @cursor: byte offset of the node; advanced past it on success
 * @copy: KINFER_MAX_NODE_BYTES, 8-byte aligned; receives the node
 *
 * Return: 0 or -EINVAL.
 */
int kinfer_node_load(const uint8_t *nodes, uint32_t nodes_bytes,
		     uint32_t *cursor, void *copy)
{
	const struct kinfer_node *node = copy;
	struct kinfer_node hdr;
	uint32_t at = *cursor, n;

	if (at > nodes_bytes || nodes_bytes - at < sizeof(hdr))
		return -EINVAL;
	memcpy(&hdr, nodes + at, sizeof(hdr));
	if (hdr.size < sizeof(hdr) || hdr.size > KINFER_MAX_NODE_BYTES ||
	    hdr.size > nodes_bytes - at || hdr.size % 4)
		return -EINVAL;
	memcpy(copy, nodes + at, hdr.size);
	/* From here on only the copy is read: the map may be changing. */
	if (node->size != hdr.size || node->flags || node->reserved)
		return -EINVAL;
	n = (uint32_t)node->n_in + node->n_out;
	if (!n || n > KINFER_MAX_TENSORS ||
	    node->size != sizeof(*node) + n * sizeof(struct kinfer_tensor) +
			  node->attr_bytes)
		return -EINVAL;
	*cursor = at + hdr.size;
	return 0;
}

static uint32_t dtype_size(uint32_t dtype)
{
	switch (dtype) {
	case KINFER_DTYPE_FLOAT32:
	case KINFER_DTYPE_INT32:
		return 4;
	case KINFER_DTYPE_INT64:
		return 8;
	case KINFER_DTYPE_BOOL:
	case KINFER_DTYPE_UINT8:	/* text (TOKENIZE) */
	case KINFER_DTYPE_INT8:		/* quantised (the int8 ops) */
		return 1;
	default:	/* NONE */
		return 0;
	}
}

static bool tensor_is_omitted(const struct kinfer_tensor *t)
{
	static const struct kinfer_tensor zero;

	return !memcmp(t, &zero, sizeof(zero));
}

/* Check one tensor against its buffer; fill its view. */
static int view_init(struct kinfer_view *v, const struct kinfer_tensor *t,
		     const struct kinfer_buffers *bufs, uint32_t *binds_used)
{
	const struct kinfer_mem *buf;
	uint64_t n = 1, bytes;
	uint32_t i;

	memset(v, 0, sizeof(*v));
	if (t->dtype == KINFER_DTYPE_NONE)
		return tensor_is_omitted(t) ? 0 : -EINVAL;
	v->esize = dtype_size(t->dtype);
	if (!v->esize || t->flags || t->quant || t->reserved ||
	    t->rank > KINFER_MAX_RANK)
		return -EINVAL;
	for (i = 0; i < KINFER_MAX_RANK; i++) {
		if (i < t->rank ? !t->dims[i] : t->dims[i])
			return -EINVAL;
		if (i < t->rank && kinfer_mul_overflow(n, (uint64_t)t->dims[i], &n))
			return -EINVAL;
		v->dims[i] = t->dims[i];
	}
	if (kinfer_mul_overflow(n, (uint64_t)v->esize, &bytes) ||
	    bytes > KINFER_U32_MAX)
		return -EINVAL;

	if (t->buf == KINFER_BUF_ARENA) {
		buf = &bufs->arena;
	} else {
		uint32_t slot = (uint32_t)t->buf - KINFER_BUF_BIND0;

		if (slot >= bufs->n_binds)
			return -EINVAL;
		buf = &bufs->bind[slot];
		*binds_used |= 1U << slot;
	}
	if (!buf->data || t->off % v->esize || t->off > buf->size ||
	    bytes > buf->size - t->off)
		return -EINVAL;
	v->data = (uint8_t *)buf->data + t->off;
	if ((uintptr_t)v->data % v->esize)
		return -EINVAL;
	v->numel = n;
	v->bytes = (uint32_t)bytes;
	v->dtype = t->dtype;
	v->rank = t->rank;
	v->buf = t->buf;
	v->off = t->off;
	return 0;
}

static bool views_overlap(const struct kinfer_view *a,
			  const struct kinfer_view *b)
{
	return a->data && b->data && a->buf == b->buf &&
	       (uint64_t)a->off < (uint64_t)b->off + b->bytes &&
	       (uint64_t)b->off < (uint64_t)a->off + a->bytes;
}

/*
 * Outputs are written only to the arena (OUTPUT: to its bound io buffer),
 * never over another output, and never over an input unless the class
 * allows output 0 to replace one input exactly.
 */
static int check_outputs(const struct kinfer_exec *ex)
{
	uint32_t o, i;

	for (o = ex->n_in; o < ex->n_in + ex->n_out; o++) {
		const struct kinfer_view *out = &ex->t[o];

		if (!out->data)
			continue;
		if (out->buf != KINFER_BUF_ARENA && !ex->out_to_bind)
			return -EINVAL;
		for (i = 0; i < o; i++) {
			const struct kinfer_view *v = &ex->t[i];
			bool exact = v->off == out->off && v->bytes == out->bytes &&
				     v->buf == out->buf;

			if (!views_overlap(v, out))
				continue;
			if (o != ex->n_in || (int)i != ex->inplace || !exact)
				return -EINVAL;
		}
	}
	return 0;
}

/**
 * kinfer_node_prepare() - check a loaded node and plan its compute
 * @ex: filled on success
 * @node: a node copy that passed kinfer_node_load()
 * @bufs: the arena and the buffers bound for this node
 *
 * Return: 0, -EINVAL when anything in the node does not fit its op or its
 * buffers, -E2BIG when a dimension exceeds what one section may compute,
 * -EOPNOTSUPP for an unknown op.
 */
int kinfer_node_prepare(struct kinfer_exec *ex, const struct kinfer_node *node,
			const struct kinfer_buffers *bufs)
{
	const struct kinfer_tensor *t = (const void *)(node + 1);
	uint32_t i, n = (uint32_t)node->n_in + node->n_out, used = 0;
	int ret;

	memset(ex, 0, sizeof(*ex));
	ex->desc = kinfer_op_desc(node->op);
	if (!ex->desc)
		return -EOPNOTSUPP;
	if (node->attr_bytes != ex->desc->attr_bytes ||
	    bufs->n_binds > KINFER_MAX_BINDS)
		return -EINVAL;
	ex->node = node;
	ex->attr = t + n;
	ex->n_in = node->n_in;
	ex->n_out = node->n_out;
	ex->inplace = -1;
	ex->fpu = true;
	for (i = 0; i < n; i++) {
		ret = view_init(&ex->t[i], &t[i], bufs, &used);
		if (ret)
			return ret;
	}
	/* A node consumes every buffer bound for it. */
	if (used != (bufs->n_binds ? (1U << bufs->n_binds) - 1 : 0))
		return -EINVAL;
	ret = ex->desc->prepare(ex);
	if (ret)
		return ret;
	if (!ex->unit_work || ex->unit_work > KINFER_FPU_CHUNK ||
	    kinfer_mul_overflow(ex->units, ex->unit_work, &ex->work))
		return -E2BIG;
	return check_outputs(ex);
}

static bool same_mem(const struct kinfer_mem *a, const struct kinfer_mem *b)
{
	return a->data == b->data && a->size == b->size;
}

static bool same_buffers(const struct kinfer_buffers *a,
			 const struct kinfer_buffers *b)
{
	uint32_t i;

	if (a->n_binds != b->n_binds || !same_mem(&a->arena, &b->arena))
		return false;
	for (i = 0; i < a->n_binds; i++)
		if (!same_mem(&a->bind[i], &b->bind[i]))
			return false;
	return true;
}

/* The node at @at is byte for byte the one @kept holds. */
static bool kept_matches(const struct kinfer_kept *kept, const uint8_t *nodes,
			 uint32_t nodes_bytes, uint32_t at)
{
	return kept->size && at <= nodes_bytes &&
	       kept->size <= nodes_bytes - at &&
	       !memcmp(nodes + at, kept->node, kept->size);
}

/**
 * kinfer_node_reuse() - the node at @cursor, prepared, from @kept if it can
 * @kept: the node this slot prepared last time (or nothing); refilled when
 *	the node or its buffers changed
 * @nodes: the plan's node bytes (after struct kinfer_plan)
 * @nodes_bytes: their size, from the checked plan header
 * @cursor: byte offset of the node; advanced past it on success
 * @bufs: the arena and the buffers bound for this node
 * @op: the op the caller runs (a kfunc's); the node must be this op
 *
 * When the plan holds, at @cursor, exactly the node @kept was prepared
 * from, @bufs are the same buffers, and the prepare read no buffer's
 * contents (per_run), the kept exec is the one kinfer_node_prepare()
 * would make again.  A plan written concurrently can only make the
 * comparison fail: the exec is then made from a fresh copy, as without a
 * slot.
 *
 * Return: 0 with @kept->exec ready; -EINVAL for a node of another op
 * (before it is prepared); or kinfer_node_load()'s or
 * kinfer_node_prepare()'s error with @kept emptied.
 */
int kinfer_node_reuse(struct kinfer_kept *kept, const uint8_t *nodes,
		      uint32_t nodes_bytes, uint32_t *cursor,
		      const struct kinfer_buffers *bufs, uint32_t op)
{
	const struct kinfer_node *node = (const void *)kept->node;
	int ret;

	if (kept_matches(kept, nodes, nodes_bytes, *cursor) &&
	    !kept->exec.per_run && same_buffers(&kept->bufs, bufs)) {
		if (node->op != op)
			return -EINVAL;
		*cursor += kept->size;
		return 0;
	}
	kept->size = 0;
	ret = kinfer_node_load(nodes, nodes_bytes, cursor, kept->node);
	if (ret)
		return ret;
	/* Before prepare: a node of another op is the caller's mistake. */
	if (node->op != op)
		return -EINVAL;
	ret = kinfer_node_prepare(&kept->exec, node, bufs);
	if (ret)
		return ret;
	kept->bufs = *bufs;
	kept->size = node->size;
	return 0;
}

/**
 * kinfer_check_arity() - count a node's inputs and outputs
 * @ex: the node
 * @min_in: fewest inputs
 * @max_in: most inputs
 * @min_out: fewest outputs
 * @max_out: most outputs
 *
 * The first @min_in inputs and @min_out outputs must be present.
 *
 * Return: 0 or -EINVAL.
 */
int kinfer_check_arity(const struct kinfer_exec *ex, uint32_t min_in,
		       uint32_t max_in, uint32_t min_out, uint32_t max_out)
{
	uint32_t i;

	if (ex->n_in < min_in || ex->n_in > max_in ||
	    ex->n_out < min_out || ex->n_out > max_out)
		return -EINVAL;
	for (i = 0; i < min_in; i++)
		if (!ex->t[i].data)
			return -EINVAL;
	for (i = 0; i < min_out; i++)
		if (!ex->t[ex->n_in + i].data)
			return -EINVAL;
	return 0;
}

bool kinfer_same_shape(const struct kinfer_view *a, const struct kinfer_view *b)
{
	return a->rank == b->rank &&
	       !memcmp(a->dims, b->dims, sizeof(a->dims));
}

/**
 * kinfer_bcast_init() - numpy broadcasting of operands onto an output
 * @bc: strides per output axis, filled on success
 * @out: the output; its shape must be exactly the broadcast shape
 * @ops: up to KINFER_BCAST_MAX operands
 * @n: their number
 *
 * @exact: @out must be exactly the broadcast of the operands (elementwise
 *	ops); otherwise the operands need only broadcast onto it (a bias)
 *
 * Return: 0, or -EINVAL when an operand has a higher rank than @out, a
 * dimension that is neither 1 nor @out's, or (@exact) @out is larger than
 * the broadcast of the operands.
 */
int kinfer_bcast_init(struct kinfer_bcast *bc, const struct kinfer_view *out,
		      const struct kinfer_view *const *ops, uint32_t n, bool exact)
{
	uint32_t axis, j;

	if (n > KINFER_BCAST_MAX)
		return -EINVAL;
	memset(bc, 0, sizeof(*bc));
	bc->rank = out->rank;
	bc->n = n;
	memcpy(bc->dims, out->dims, sizeof(bc->dims));
	for (j = 0; j < n; j++) {
		const struct kinfer_view *v = ops[j];
		uint32_t lead = out->rank - v->rank;
		uint64_t stride = 1;

		if (v->rank > out->rank)
			return -EINVAL;
		for (axis = out->rank; axis-- > lead;) {
			uint32_t d = v->dims[axis - lead];

			if (d != out->dims[axis] && d != 1)
				return -EINVAL;
			/* Broadcast along axes where the operand has 1. */
			bc->stride[j][axis] = d == 1 ? 0 : stride;
			stride *= d;
		}
	}
	/* Every output dimension > 1 must come from some operand. */
	for (axis = 0; exact && axis < out->rank; axis++) {
		bool found = out->dims[axis] == 1;

		for (j = 0; j < n && !found; j++) {
			uint32_t lead = out->rank - ops[j]->rank;

			found = axis >= lead &&
				ops[j]->dims[axis - lead] == out->dims[axis];
		}
		if (!found)
			return -EINVAL;
	}
	return 0;
}

/**
 * kinfer_plan_units() - set a node's compute plan
 * @ex: the node
 * @units: eval covers [0, @units)
 * @unit_work: work of one unit; must not exceed KINFER_FPU_CHUNK
 *
 * Return: 0, or -E2BIG when one unit is more than one section's work.
 */
int kinfer_plan_units(struct kinfer_exec *ex, uint64_t units,
		      uint64_t unit_work)
{
	if (!unit_work)
		unit_work = 1;
	if (unit_work > KINFER_FPU_CHUNK)
		return -E2BIG;
	ex->units = units;
	ex->unit_work = unit_work;
	return 0;
}

/* Product of dims[from..to); dims were checked not to overflow. */
uint64_t kinfer_dims_product(const uint32_t *dims, uint32_t from, uint32_t to)
{
	uint64_t p = 1;

	for (; from < to; from++)
		p *= dims[from];
	return p;
}
