/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel-agnostic execution core: plan nodes are read, checked and
 * prepared here, in integer-only code, before any FPU section.
 *
 * Running one node (the kernel does it in kmod/run.c, userspace in the
 * loader's reference executor, both with these functions):
 *
 *	kinfer_node_load()	copy the node at the cursor out of the plan
 *				(another program may be writing the plan) and
 *				check its header; only the copy is read later
 *	kinfer_node_prepare()	resolve every tensor to a checked view of the
 *				arena or a bound buffer, then the op's class
 *				prepare checks shapes and attributes and plans
 *				the compute as ex->units units of
 *				ex->unit_work work each
 *	ex->eval(ex, b, e)	compute units [b, e); the caller splits
 *				[0, units) into sections of bounded work
 *
 * Everything a node names is checked against the real buffer sizes with
 * overflow-safe arithmetic in kinfer_node_prepare(): eval trusts it.
 * Only data-dependent checks (a Gather index) remain for eval, which then
 * returns an error.
 */
#ifndef _KINFER_OPS_EXEC_H
#define _KINFER_OPS_EXEC_H

#include "math/platform.h"
#include "text/tokenizer.h"
#include "uapi/kinfer.h"

/*
 * Upper bound on the work of one section (one kernel_fpu_begin()/end()
 * pair): preemption is off inside, so every op splits its compute into
 * units small enough that a section holds at least one.
 */
#define KINFER_FPU_CHUNK	(256U * 1024U)

/* A buffer a node may address: the arena or one bound with kinfer_bind. */
struct kinfer_mem {
	void *data;
	uint32_t size;
};

struct kinfer_buffers {
	struct kinfer_mem arena;
	struct kinfer_mem bind[KINFER_MAX_BINDS];
	uint32_t n_binds;
};

/* A tensor of the node after its checks. */
struct kinfer_view {
	uint8_t *data;		/* NULL for an omitted optional tensor */
	uint64_t numel;
	uint32_t bytes;
	uint32_t esize;		/* bytes per element */
	uint32_t dtype;		/* enum kinfer_dtype */
	uint32_t rank;
	uint32_t buf;		/* enum kinfer_buf */
	uint32_t off;
	uint32_t dims[KINFER_MAX_RANK];
};

/*
 * numpy broadcasting of up to three operands onto an output: element
 * strides per output axis, 0 along broadcast axes.
 */
#define KINFER_BCAST_MAX	3
struct kinfer_bcast {
	uint32_t rank;
	uint32_t n;
	uint32_t dims[KINFER_MAX_RANK];
	uint64_t stride[KINFER_BCAST_MAX][KINFER_MAX_RANK];
};

/* MATMUL: batch broadcast plus the product's geometry. */
struct kinfer_matmul_plan {
	uint64_t m, k, n;
	uint64_t rows;		/* output rows per unit */
	uint64_t row_blocks;	/* units per k block */
	uint64_t k_block;	/* products per output element per unit */
	uint64_t k_blocks;	/* k blocks per column block */
	uint64_t col_block;	/* output columns per unit */
	uint64_t col_blocks;	/* column blocks per batch */
	uint64_t a_rs, a_ks;	/* element strides of A along m and k */
	uint64_t b_ks, b_ns;	/* element strides of B along k and n */
	uint64_t b_ps;		/* ... between B's panels; 0: not in panels */
	/* batch axes of Y: strides of A, B and Y per axis */
	struct kinfer_bcast batch;
	uint64_t batches;
	struct kinfer_bcast c;	/* C onto Y, when present */
};

/* SOFTMAX: rows of n elements, inner apart, outer * inner of them. */
struct kinfer_axis_plan {
	uint64_t outer, n, inner;
};

/*
 * COPY: the copy with unit axes dropped and axes that are contiguous on
 * both sides merged (rank >= 1), total elements, copied in units of
 * KINFER_COPY_ELEMS.
 */
#define KINFER_COPY_ELEMS	4096U
struct kinfer_copy_plan {
	uint32_t rank;
	uint64_t total;
	uint64_t dims[KINFER_MAX_RANK];
	int64_t in_stride[KINFER_MAX_RANK];
	int64_t out_stride[KINFER_MAX_RANK];
	uint64_t in_start, out_start;
};

/*
 * PAD: a unit is a chunk of up to KINFER_COPY_ELEMS elements of one
 * output row (the last axis); in_stride are x's element strides.
 */
struct kinfer_pad_plan {
	uint32_t mode;
	uint64_t row, chunk, chunks;
	uint64_t value;
	int64_t begin[KINFER_MAX_RANK];
	uint64_t in_stride[KINFER_MAX_RANK];
};

/*
 * GATHER: data as [outer, n, inner], m indices; a unit copies a chunk of
 * up to chunk elements of one gathered row.  GATHER_ELEMENTS: per
 * element, in units of KINFER_COPY_ELEMS, with data's element strides.
 */
struct kinfer_gather_plan {
	uint64_t outer, n, inner, m;
	uint64_t chunk, chunks;
	uint64_t total;
	uint64_t stride[KINFER_MAX_RANK];
};

/*
 * LSTM, GRU, RNN: a unit is one block of hidden units of one phase of one
 * time step of one (direction, batch row); see kmod/ops/recurrent.c.
 * Strides are in elements.
 */
struct kinfer_rnn_plan {
	uint64_t seq, batch, input, hidden;	/* T, B, I, H */
	uint64_t dirs, gates;			/* D; G rows of W per hidden unit */
	uint64_t work_row;			/* work floats per (direction, row) */
	uint64_t block, blocks, phases;		/* hidden units per unit; units */
	uint64_t x_ts, x_bs;			/* X: step, batch row */
	uint64_t y_ts, y_ds, y_bs;		/* Y: step, direction, batch row */
	uint64_t s_ds, s_bs;			/* h0, c0, Y_h, Y_c: direction, row */
};

/* Inputs of LSTM, GRU, RNN (GRU and RNN stop at H0). */
enum kinfer_rnn_input {
	KINFER_RNN_X, KINFER_RNN_W, KINFER_RNN_R, KINFER_RNN_B,
	KINFER_RNN_SEQ, KINFER_RNN_H0, KINFER_RNN_C0, KINFER_RNN_P,
};

/*
 * REDUCE_*, LAYER_NORM, RMS_NORM: a unit is one group of x's elements,
 * one per index of the kept axes (one output element of a reduction).
 * Neighbouring axes of one kind (kept or reduced) are merged and
 * dimensions of 1 dropped.  Strides are in elements, per stream: x (and
 * the norms' y, of x's shape), then scale and bias (0 along broadcast
 * axes).  count is the elements of one group.
 */
#define KINFER_REDUCE_STREAMS	3
struct kinfer_reduce_plan {
	uint32_t n_keep, n_red;
	uint32_t keep_dims[KINFER_MAX_RANK];
	uint32_t red_dims[KINFER_MAX_RANK];
	uint64_t keep_stride[KINFER_REDUCE_STREAMS][KINFER_MAX_RANK];
	uint64_t red_stride[KINFER_REDUCE_STREAMS][KINFER_MAX_RANK];
	uint64_t count;
};

/* INPUT, OUTPUT: a byte copy in blocks. */
#define KINFER_COPY_BLOCK	4096U

/*
 * CONV, CONV_TRANSPOSE and the pools: a window sliding over three spatial
 * axes (fewer are padded in front with axes of size 1, kernel 1, stride
 * 1, dilation 1, no padding).  Every value fits int64 with room to spare:
 * the prepare bounds them by the tensors' dims.  A unit is ow_block
 * output columns of one output row (n, channel, depth, height) of up to
 * mb output channels of one group (CONV computes mb > 1 together).
 */
struct kinfer_window_plan {
	int64_t n;		/* batch */
	int64_t c, m;		/* input and output channels (pools: equal) */
	int64_t cg, mg;		/* per group */
	int64_t in[3], out[3], k[3], s[3], d[3];
	int64_t pb[3], pe[3];	/* padding before and after each axis */
	int64_t taps;		/* k[0] * k[1] * k[2] */
	int64_t mb;		/* output channels per unit, 1..mg */
	int64_t mb_per_group;	/* channel blocks per group: mg / mb, up */
	int64_t ow_block;	/* output columns per unit */
	int64_t ow_blocks;	/* units per output row */
	int64_t istride[3];	/* MAXPOOL Indices: per spatial axis */
	/* CONV: the eval path kmod/ops/conv.c chose, and its blocking */
	int64_t path;		/* enum kinfer_conv_path */
	int64_t k_block;	/* GEMM: input channels per unit */
	int64_t k_blocks;	/* GEMM: units per output tile, in order */
	int64_t oh_block;	/* DEPTHWISE: output rows per unit */
	int64_t oh_blocks;	/* DEPTHWISE: units per output plane */
};

/*
 * CONV's eval paths.  GEMM: 1x1 kernels, stride 1, no padding; a tile is
 * mb output channels by ow_block positions of the flattened output plane,
 * ow_blocks tiles per plane.  DEPTHWISE: one input and one output channel
 * per group; a unit is oh_block output rows of one channel.
 */
enum kinfer_conv_path {
	KINFER_CONV_DIRECT,
	KINFER_CONV_GEMM,
	KINFER_CONV_DEPTHWISE,
};

/*
 * TOKENIZE: rows of row_bytes text bytes, len token ids each; a unit is
 * one chunk of one row, chunks per row.
 */
struct kinfer_tokenize_plan {
	struct kinfer_vocab_view vocab;
	uint64_t rows, row_bytes, len, max_tokens;
	uint64_t chunk, chunks;
};

struct kinfer_op_desc;

/**
 * struct kinfer_exec - one node, checked and planned
 * @desc: the op's registry entry
 * @node: the node (the caller's copy)
 * @attr: its attribute block, @desc->attr_bytes long
 * @n_in: inputs, in @t[0..n_in)
 * @n_out: outputs, in @t[n_in..n_in + n_out)
 * @t: the tensors
 * @inplace: index of the input that output 0 may share bytes with
 *	(same offset and size), or -1; set by the class prepare
 * @out_to_bind: the class allows outputs in bound buffers (OUTPUT)
 * @fpu: eval needs an FPU section
 * @units: eval covers [0, units)
 * @unit_work: work units of one unit, 1..KINFER_FPU_CHUNK
 * @work: units * unit_work
 * @s: what the class prepare precomputed for eval
 */
struct kinfer_exec {
	const struct kinfer_op_desc *desc;
	const struct kinfer_node *node;
	const void *attr;
	uint32_t n_in;
	uint32_t n_out;
	struct kinfer_view t[KINFER_MAX_TENSORS];
	int inplace;
	bool out_to_bind;
	bool fpu;
	bool per_run;	/* prepare read a buffer's contents: no reuse */
	uint64_t units;
	uint64_t unit_work;
	uint64_t work;
	union {
		struct kinfer_bcast bcast;
		struct kinfer_matmul_plan matmul;
		struct kinfer_axis_plan axis;
		struct kinfer_window_plan window;
		struct kinfer_copy_plan copy;
		struct kinfer_pad_plan pad;
		struct kinfer_gather_plan gather;
		struct kinfer_rnn_plan rnn;
		struct kinfer_reduce_plan reduce;
		struct kinfer_tokenize_plan tokenize;
	} s;
};

typedef int (*kinfer_prepare_fn)(struct kinfer_exec *ex);
typedef int (*kinfer_eval_fn)(const struct kinfer_exec *ex, uint64_t begin,
			      uint64_t end);

/* One row of KINFER_OP_LIST. */
struct kinfer_op_desc {
	const char *name;
	kinfer_prepare_fn prepare;
	kinfer_eval_fn eval;
	uint16_t attr_bytes;
	uint16_t cost;
};

const struct kinfer_op_desc *kinfer_op_desc(uint32_t op);

/* Class prepares and op evals, declared from the registry. */
#define KINFER_DECLARE_PREPARE(NAME, id, name, cls, attr, cost)		\
	int kinfer_prepare_##cls(struct kinfer_exec *ex);
#define KINFER_DECLARE_EVAL(NAME, id, name, cls, attr, cost)		\
	int kinfer_eval_##name(const struct kinfer_exec *ex, uint64_t begin, \
			       uint64_t end);
KINFER_OP_LIST(KINFER_DECLARE_PREPARE)
KINFER_OP_LIST(KINFER_DECLARE_EVAL)
#undef KINFER_DECLARE_PREPARE
#undef KINFER_DECLARE_EVAL

int kinfer_node_load(const uint8_t *nodes, uint32_t nodes_bytes,
		     uint32_t *cursor, void *copy);
int kinfer_node_prepare(struct kinfer_exec *ex, const struct kinfer_node *node,
			const struct kinfer_buffers *bufs);

/*
 * A node as kinfer_node_prepare() left it, kept for the next run.
 * Prepare is a pure function of the node's bytes and of the buffers it
 * is given (their addresses and sizes), except where a class prepare
 * reads what a buffer holds (TOKENIZE's max_tokens, a task's live knob,
 * read once per run): it sets ex->per_run, and such a node is prepared
 * on every run.  While all of those are what they were, a run takes the
 * kept exec as it is and skips the copy and every check: for a small
 * model they cost more than its math.
 *
 * Run contexts keep the first KINFER_KEPT_NODES nodes of a plan (in the
 * kernel each slot costs about 4 KiB per context; a node further on is
 * prepared on every run, where its compute dwarfs that anyway).
 */
#define KINFER_KEPT_NODES	16U

struct kinfer_kept {
	struct kinfer_exec exec;
	struct kinfer_buffers bufs;	/* as exec was prepared with them */
	uint32_t size;			/* bytes of node; 0: nothing kept */
	uint64_t node[KINFER_MAX_NODE_BYTES / sizeof(uint64_t)];
};

/*
 * The slot of node @pc among a context's KINFER_KEPT_NODES + 1: the last
 * serves every node after the kept ones and is emptied for each.
 */
static inline struct kinfer_kept *kinfer_kept_slot(struct kinfer_kept *slots,
						   uint32_t pc)
{
	if (pc < KINFER_KEPT_NODES)
		return &slots[pc];
	slots[KINFER_KEPT_NODES].size = 0;
	return &slots[KINFER_KEPT_NODES];
}

int kinfer_node_reuse(struct kinfer_kept *kept, const uint8_t *nodes,
		      uint32_t nodes_bytes, uint32_t *cursor,
		      const struct kinfer_buffers *bufs, uint32_t op);
int kinfer_plan_header_check(const struct kinfer_plan *hdr, uint32_t plan_sz);

/* Helpers for class prepares. */
static inline struct kinfer_view *kinfer_in(struct kinfer_exec *ex,
					    uint32_t i)
{
	return &ex->t[i];
}

static inline struct kinfer_view *kinfer_out(struct kinfer_exec *ex,
					     uint32_t i)
{
	return &ex->t[ex->n_in + i];
}

int kinfer_check_arity(const struct kinfer_exec *ex, uint32_t min_in,
		       uint32_t max_in, uint32_t min_out, uint32_t max_out);
bool kinfer_same_shape(const struct kinfer_view *a,
		       const struct kinfer_view *b);
int kinfer_bcast_init(struct kinfer_bcast *bc, const struct kinfer_view *out,
		      const struct kinfer_view *const *ops, uint32_t n, bool exact);
int kinfer_plan_units(struct kinfer_exec *ex, uint64_t units,
		      uint64_t unit_work);
uint64_t kinfer_dims_product(const uint32_t *dims, uint32_t from,
			     uint32_t to);

/* f32 attribute checks on the bit pattern (no FPU here). */
static inline bool kinfer_f32_is_finite(union kinfer_f32 v)
{
	return (v.bits & 0x7f800000U) != 0x7f800000U;
}

#endif /* _KINFER_OPS_EXEC_H */
