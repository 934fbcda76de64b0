/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kinfer plan ABI, version 2: shared by kinfer.ko, the loader and BPF
 * programs.
 *
 * A loaded model is a *plan* (one single-entry BPF array map, "config"),
 * one single-entry array map per weight tensor, an "io" map, and a BPF
 * program that is a straight chain of kfunc calls:
 *
 *	ctx = kinfer_ctx_acquire_sleepable(plan, plan__sz, &status);
 *	kinfer_bind(ctx, io, io__sz);		operands of node 0
 *	kinfer_input(ctx);			node 0
 *	kinfer_bind(ctx, W, W__sz);		operands of node 1
 *	kinfer_bind(ctx, b, b__sz);
 *	kinfer_matmul(ctx);			node 1
 *	kinfer_relu(ctx);			node 2
 *	...
 *	kinfer_ctx_release(ctx);
 *
 * Every op kfunc executes the plan node at the context's cursor and moves
 * the cursor to the next node.  The node names its op; a kfunc whose op is
 * not the node's, a node whose tensors do not fit their buffers, or
 * attributes that do not fit the op get -EINVAL and end the run.  Buffers
 * that are not the per-CPU arena (weights, io) are *bound* before the node
 * that uses them, in the order the node's tensors name them
 * (KINFER_BUF_BIND0 + i); a node consumes all bound buffers.  There is no
 * limit of five kfunc arguments on how many weights an op takes.
 *
 * Layout of the config map value:
 *
 *	struct kinfer_plan			header
 *	node 0: struct kinfer_node		16 bytes
 *		struct kinfer_tensor[n_in + n_out]	inputs, then outputs
 *		attribute block (attr_bytes)	struct kinfer_attr_<op class>
 *	node 1: ...
 *
 * Nodes are packed: each starts where the previous one's size ends.
 * All offsets and sizes are in bytes, little-endian host order (a plan is
 * built on the machine that runs it).  Tensors are dense and row-major.
 * Values of enums are never renumbered; new ones are appended.  Fields an
 * op does not use must be zero.
 */
#ifndef _UAPI_KINFER_H
#define _UAPI_KINFER_H

#include <linux/types.h>

#define KINFER_PLAN_MAGIC	0x464e494bU	/* "KINF" read as LE bytes */
#define KINFER_ABI_VERSION	2U

/* Longest model name, without the terminating NUL.  [A-Za-z0-9_.-] only. */
#define KINFER_NAME_MAX		31U

/* Upper bound on nodes in one plan. */
#define KINFER_MAX_NODES	8192U
/* Largest tensor rank. */
#define KINFER_MAX_RANK		8U
/* Inputs plus outputs of one node. */
#define KINFER_MAX_TENSORS	16U
/* Buffers bound for one node. */
#define KINFER_MAX_BINDS	8U
/* Largest node: header, tensors and attributes. */
#define KINFER_MAX_NODE_BYTES	2048U
/* Spatial dimensions of convolution and pooling (1-D and 2-D today). */
#define KINFER_MAX_SPATIAL	3U

/*
 * Element types.  BOOL is one byte holding 0 or 1.  INT8 and UINT8 are
 * reserved for quantised tensors (with kinfer_tensor.quant) and refused
 * until an op accepts them.
 */
enum kinfer_dtype {
	KINFER_DTYPE_NONE	= 0,	/* an omitted optional tensor */
	KINFER_DTYPE_FLOAT32	= 1,
	KINFER_DTYPE_INT32	= 2,
	KINFER_DTYPE_INT64	= 3,
	KINFER_DTYPE_BOOL	= 4,
	KINFER_DTYPE_INT8	= 5,	/* reserved */
	KINFER_DTYPE_UINT8	= 6,	/* reserved */
	KINFER_DTYPE_COUNT
};

/* Where a tensor's bytes are: the per-CPU arena or a bound buffer. */
enum kinfer_buf {
	KINFER_BUF_ARENA	= 0,
	KINFER_BUF_BIND0	= 1,	/* KINFER_BUF_BIND0 + i: the i-th bound */
};

/*
 * One tensor of a node (48 bytes).
 *
 * An omitted optional input or output has every field 0.  Otherwise:
 * dtype is FLOAT32, INT32, INT64 or BOOL; rank <= KINFER_MAX_RANK;
 * dims[0..rank) >= 1 and the rest 0; the byte size (product of dims times
 * the element size) fits in 32 bits; off is aligned to the element size;
 * [off, off + size) lies within the buffer.  A rank-0 tensor is a scalar.
 */
struct kinfer_tensor {
	__u32 off;		/* byte offset in its buffer */
	__u8 buf;		/* enum kinfer_buf */
	__u8 dtype;		/* enum kinfer_dtype */
	__u8 rank;
	__u8 flags;		/* none defined; 0 */
	__u32 quant;		/* reserved for quantisation parameters; 0 */
	__u32 reserved;		/* 0 */
	__u32 dims[KINFER_MAX_RANK];
};

/*
 * One node (16 bytes), followed by its tensors and attribute block.
 * size == 16 + 48 * (n_in + n_out) + attr_bytes, and attr_bytes is exactly
 * the size of the op's attribute struct (0 for ops without attributes).
 */
struct kinfer_node {
	__u16 op;		/* enum kinfer_op */
	__u8 n_in;
	__u8 n_out;
	__u16 size;		/* bytes of this node, <= KINFER_MAX_NODE_BYTES */
	__u16 attr_bytes;
	__u32 flags;		/* none defined; 0 */
	__u32 reserved;		/* 0 */
};

/* The config map value starts with this header (56 bytes). */
struct kinfer_plan {
	__u32 magic;		/* KINFER_PLAN_MAGIC */
	__u32 abi_version;	/* KINFER_ABI_VERSION */
	__u32 model_id;		/* from /sys/kernel/kinfer/models/<name>/id */
	__u32 n_nodes;
	__u32 nodes_bytes;	/* bytes of all nodes after the header */
	/*
	 * Per-CPU arena bytes this plan touches; at most the model's
	 * registered arena_bytes and /sys/kernel/kinfer/arena_bytes.
	 */
	__u32 arena_bytes;
	__u32 io_bytes;		/* size of one io slot (informational) */
	__u32 reserved0;	/* 0 */
	/*
	 * Work units the run may spend (see docs/architecture.md): the sum of
	 * every node's work as its prepare step computes it, plus clearing the
	 * arena.  A run is refused when this exceeds the module's budget for
	 * its context, and fails when its nodes would spend more.
	 */
	__u64 work;
	__u64 reserved[2];	/* 0 */
};

/* Work units a run is charged per this many arena bytes it clears. */
#define KINFER_CLEAR_BYTES_PER_WORK	16U

/*
 * A binary32 value in an attribute block.  Integer-only code (the
 * prepare steps, which run outside FPU sections) reads .bits.
 */
union kinfer_f32 {
	float f;
	__u32 bits;
};

#include "kinfer_ops.h"

/*
 * Attribute blocks, one struct per attr column value.  Each has a
 * KINFER_ATTR_BYTES_<attr> so that "none" can be 0.
 */
#define KINFER_ATTR_BYTES_none	0U

/*
 * Parameters of elementwise ops: alpha (LeakyRelu, Elu, ...), or alpha and
 * beta (HardSigmoid, Selu's alpha and gamma, Clip's min and max).
 */
struct kinfer_attr_alpha {
	union kinfer_f32 alpha;
};
#define KINFER_ATTR_BYTES_alpha	((__u16)sizeof(struct kinfer_attr_alpha))

struct kinfer_attr_alpha_beta {
	union kinfer_f32 alpha;
	union kinfer_f32 beta;
};
#define KINFER_ATTR_BYTES_alpha_beta \
	((__u16)sizeof(struct kinfer_attr_alpha_beta))

/* axis: one axis of the first input, 0 <= axis < rank. */
struct kinfer_attr_axis {
	__u32 axis;
	__u32 reserved;		/* 0 */
};
#define KINFER_ATTR_BYTES_axis	((__u16)sizeof(struct kinfer_attr_axis))

/*
 * matmul: Y = alpha * op(A) . op(B) + beta * C, then act(Y).
 * A [..., M, K] (trans_a: [..., K, M]), B [..., K, N] (trans_b:
 * [..., N, K]), optional C broadcast onto Y [..., M, N]; batch dimensions
 * broadcast as numpy does.  act is 0 or a unary op (KINFER_OP_RELU, ...)
 * with its parameters: the activation fused into the product.
 */
struct kinfer_attr_matmul {
	__u32 trans_a;		/* 0 or 1 */
	__u32 trans_b;		/* 0 or 1 */
	union kinfer_f32 alpha;
	union kinfer_f32 beta;
	__u32 act;		/* 0 or a unary-class enum kinfer_op */
	struct kinfer_attr_alpha_beta act_attr;	/* its parameters */
	__u32 reserved;		/* 0 */
};
#define KINFER_ATTR_BYTES_matmul ((__u16)sizeof(struct kinfer_attr_matmul))

/* The op enum, generated from KINFER_OP_LIST (kinfer_ops.h). */
enum kinfer_op {
	KINFER_OP_INVALID = 0,
#define KINFER_OP_ENUM(NAME, id, name, cls, attr, cost) KINFER_OP_##NAME = id,
	KINFER_OP_LIST(KINFER_OP_ENUM)
#undef KINFER_OP_ENUM
};

#endif /* _UAPI_KINFER_H */
