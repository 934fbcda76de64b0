/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kinfer ABI shared by kinfer.ko, the loader and BPF programs.
 *
 * A loaded model is a *plan* (one single-entry BPF array map, "config")
 * plus one single-entry array map per weight tensor, plus an "io" map,
 * plus a BPF program that is a straight chain of kfunc calls:
 *
 *	ctx = kinfer_ctx_acquire(plan, plan__sz);   KF_ACQUIRE | KF_RET_NULL
 *	kinfer_input(ctx, io, io__sz);              node 0
 *	kinfer_dense(ctx, W, W__sz, b, b__sz);      node 1
 *	kinfer_relu(ctx);                           node 2
 *	...
 *	kinfer_output(ctx, io, io__sz);             node n-1
 *	kinfer_ctx_release(ctx);                    KF_RELEASE
 *
 * Every compute kfunc executes plan node number ctx->pc and advances pc.
 * The node says which op it is; a kfunc whose op does not match the node,
 * or whose buffers do not match the node's dimensions, returns -EINVAL and
 * marks the run failed.  BPF kfuncs take at most five arguments on 6.1, so
 * the node is found through the context instead of being passed: that
 * leaves room for two (pointer, size) weight pairs per call.
 *
 * All offsets and sizes are in bytes.  Float tensors are IEEE-754 binary32,
 * 4-byte aligned, row-major.  Fields are little-endian host order (the plan
 * is built on the machine that runs it).  Values are never renumbered; new
 * ops and flags are appended.
 */
#ifndef _UAPI_KINFER_H
#define _UAPI_KINFER_H

#include <linux/types.h>

#define KINFER_PLAN_MAGIC	0x464e494bU	/* "KINF" read as LE bytes */
#define KINFER_ABI_VERSION	1U

/* Longest model name, without the terminating NUL.  [A-Za-z0-9_.-] only. */
#define KINFER_NAME_MAX		31U
/*
 * Longest softmax row: a row is normalised inside one FPU section, so its
 * length bounds the time preemption is off.
 */
#define KINFER_MAX_SOFTMAX_N	(256U * 1024U)

/* Upper bound on nodes in one plan; keeps the config map small. */
#define KINFER_MAX_NODES	4096U

enum kinfer_op {
	KINFER_OP_INVALID	= 0,
	KINFER_OP_INPUT		= 1,	/* io[io_off, +bytes) -> arena[out]   */
	KINFER_OP_OUTPUT	= 2,	/* arena[in0] -> io[io_off, +bytes)   */
	KINFER_OP_DENSE		= 3,	/* out[M,N] = in0[M,K] . W[K,N] + b[N] */
	KINFER_OP_MATMUL	= 4,	/* out[M,N] = in0[M,K] . W[K,N]        */
	KINFER_OP_RELU		= 5,	/* out = max(in0, 0)                   */
	KINFER_OP_SIGMOID	= 6,	/* out = 1 / (1 + exp(-in0))           */
	KINFER_OP_TANH		= 7,	/* out = tanh(in0)                     */
	KINFER_OP_SOFTMAX	= 8,	/* rows M of N: softmax over last axis */
	KINFER_OP_ADD		= 9,	/* out = in0 + in1 (in1 broadcast)     */
	KINFER_OP_MUL		= 10,	/* out = in0 * in1 (in1 broadcast)     */
	KINFER_OP_ADD_CONST	= 11,	/* out = in0 + C   (C from a map)      */
	KINFER_OP_MUL_CONST	= 12,	/* out = in0 * C   (C from a map)      */
	KINFER_OP_COUNT
};

/*
 * One plan node: 48 bytes.  Meaning of dims[] per op:
 *
 *	INPUT, OUTPUT	dims[0] = byte count, io_off = byte offset in io
 *	DENSE, MATMUL	dims[0] = M (rows), dims[1] = K (in), dims[2] = N (out)
 *			W is K*N floats (Flax kernel layout [in, out]), b is N
 *	RELU, SIGMOID,	dims[0] = element count
 *	TANH
 *	SOFTMAX		dims[0] = M (rows), dims[1] = N (row length),
 *			N <= KINFER_MAX_SOFTMAX_N
 *	ADD, MUL,	dims[0] = element count of in0 and out,
 *	*_CONST		dims[1] = element count of in1 / C; it must divide
 *			dims[0] and in1 repeats along the flattened in0
 *			(numpy broadcasting of a trailing-suffix shape)
 *
 * in0, in1, out are byte offsets into the per-CPU arena.  Elementwise ops
 * may run in place (out == in0).  DENSE/MATMUL/SOFTMAX outputs must not
 * overlap their inputs.
 *
 * What kinfer.ko enforces (a node failing any of it gets -EINVAL):
 *   - every dimension used by the op is non-zero; byte sizes are computed
 *     without overflow and must fit in u32;
 *   - arena offsets and INPUT/OUTPUT byte counts and io_off are multiples
 *     of 4; each arena range lies within the plan's arena_bytes;
 *   - io_off + dims[0] <= io__sz; weight, bias and constant buffers are
 *     exactly as large as the dims imply (no slack either way);
 *   - elementwise out is either == in0 or disjoint from it; ADD/MUL in1 is
 *     disjoint from out, or == out with dims[1] == dims[0];
 *   - flags and reserved are 0.  Fields an op does not use (e.g. in1 for
 *     RELU, dims[3]) are ignored; keep them 0.
 */
struct kinfer_node {
	__u32 op;		/* enum kinfer_op */
	__u32 flags;		/* none defined yet; must be 0 */
	__u32 in0;
	__u32 in1;
	__u32 out;
	__u32 io_off;
	__u32 dims[4];
	__u32 reserved[2];	/* must be 0 */
};

/* The config map's value starts with this header, then n_nodes nodes. */
struct kinfer_plan {
	__u32 magic;		/* KINFER_PLAN_MAGIC */
	__u32 abi_version;	/* KINFER_ABI_VERSION */
	__u32 model_id;		/* from /sys/kernel/kinfer/models/<name>/id */
	__u32 n_nodes;
	/*
	 * Per-CPU arena bytes this plan touches; at most the model's
	 * registered arena_bytes and /sys/kernel/kinfer/arena_bytes.
	 */
	__u32 arena_bytes;
	/* Size of one io slot (informational: kfuncs check io__sz). */
	__u32 io_bytes;
	__u32 reserved[2];	/* must be 0 */
	struct kinfer_node nodes[];
};

#endif /* _UAPI_KINFER_H */
