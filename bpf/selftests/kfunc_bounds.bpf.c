// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel test of kinfer's kfunc bounds checks.
 *
 * run_plan acquires a context on the plan map value, calls the kfuncs
 * listed in its context (args->calls, one enum kinfer_op each) with the
 * w/b/io map values and the sizes the runner chose, records every return
 * value and ctx->pc/err, and releases.  The runner writes good and bad
 * plans and checks the results.  double_acquire checks that a second
 * acquire on the same CPU fails while the first is held.
 */
#include "kinfer_btf.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "kinfer_kfuncs.bpf.h"
#include "kfunc_bounds.h"

_Static_assert(KFS_MAX_CALLS == 8, "STEP() below is spelled out 8 times");

/* The uapi header cannot be included next to kinfer_btf.h: op numbers. */
enum {
	OP_INPUT = 1, OP_OUTPUT, OP_DENSE, OP_MATMUL, OP_RELU, OP_SIGMOID,
	OP_TANH, OP_SOFTMAX, OP_ADD, OP_MUL, OP_ADD_CONST, OP_MUL_CONST,
};

#define ARRAY1(name, bytes)					\
	struct {						\
		__uint(type, BPF_MAP_TYPE_ARRAY);		\
		__uint(max_entries, 1);				\
		__type(key, __u32);				\
		__type(value, struct { char b[bytes]; });	\
	} name SEC(".maps")

ARRAY1(plan_map, KFS_PLAN_BYTES);
ARRAY1(io_map, KFS_IO_BYTES);
ARRAY1(w_map, KFS_W_BYTES);
ARRAY1(b_map, KFS_B_BYTES);

static __always_inline int call_one(struct kinfer_ctx *ctx, __u32 op,
				    void *io, __u32 io_sz, void *w, __u32 w_sz,
				    void *b, __u32 b_sz)
{
	switch (op) {
	case OP_INPUT:
		return kinfer_input(ctx, io, io_sz);
	case OP_OUTPUT:
		return kinfer_output(ctx, io, io_sz);
	case OP_DENSE:
		return kinfer_dense(ctx, w, w_sz, b, b_sz);
	case OP_MATMUL:
		return kinfer_matmul(ctx, w, w_sz);
	case OP_RELU:
		return kinfer_relu(ctx);
	case OP_SIGMOID:
		return kinfer_sigmoid(ctx);
	case OP_TANH:
		return kinfer_tanh(ctx);
	case OP_SOFTMAX:
		return kinfer_softmax(ctx);
	case OP_ADD:
		return kinfer_add(ctx);
	case OP_MUL:
		return kinfer_mul(ctx);
	case OP_ADD_CONST:
		return kinfer_add_const(ctx, b, b_sz);
	case OP_MUL_CONST:
		return kinfer_mul_const(ctx, b, b_sz);
	default:
		return -1000;
	}
}

SEC("syscall")
int run_plan(struct kfs_args *args)
{
	__u32 zero = 0, plan_sz, io_sz, w_sz, b_sz, n_calls;
	void *plan, *io, *w, *b;
	struct kinfer_ctx *ctx;

	plan = bpf_map_lookup_elem(&plan_map, &zero);
	io = bpf_map_lookup_elem(&io_map, &zero);
	w = bpf_map_lookup_elem(&w_map, &zero);
	b = bpf_map_lookup_elem(&b_map, &zero);
	if (!plan || !io || !w || !b)
		return -1;

	/* Clamp to the map value sizes: the verifier proves only these. */
	plan_sz = args->plan_sz;
	io_sz = args->io_sz;
	w_sz = args->w_sz;
	b_sz = args->b_sz;
	n_calls = args->n_calls;
	if (plan_sz > KFS_PLAN_BYTES || io_sz > KFS_IO_BYTES ||
	    w_sz > KFS_W_BYTES || b_sz > KFS_B_BYTES)
		return -2;
	/*
	 * Make later uses read the checked values: without this clang may
	 * spill the unchecked copies and the verifier sees unbounded sizes.
	 */
	barrier_var(plan_sz);
	barrier_var(io_sz);
	barrier_var(w_sz);
	barrier_var(b_sz);

	args->acquired = 0;
	ctx = kinfer_ctx_acquire(plan, plan_sz);
	if (!ctx)
		return 0;
	args->acquired = 1;

	/* Spelled out: syscall program context offsets must be constant. */
#define STEP(i)								\
	do {								\
		if (n_calls > (i))					\
			args->ret[i] = call_one(ctx, args->calls[i],	\
						io, io_sz, w, w_sz,	\
						b, b_sz);		\
	} while (0)
	STEP(0);
	STEP(1);
	STEP(2);
	STEP(3);
	STEP(4);
	STEP(5);
	STEP(6);
	STEP(7);
#undef STEP
	args->pc = ctx->pc;
	args->err = ctx->err;
	kinfer_ctx_release(ctx);
	return 0;
}

SEC("syscall")
int double_acquire(struct kfs_args *args)
{
	struct kinfer_ctx *c1, *c2;
	__u32 zero = 0;
	void *plan;

	plan = bpf_map_lookup_elem(&plan_map, &zero);
	if (!plan)
		return -1;
	args->acquired = 0;
	c1 = kinfer_ctx_acquire(plan, KFS_PLAN_BYTES);
	if (!c1)
		return 0;
	c2 = kinfer_ctx_acquire(plan, KFS_PLAN_BYTES);
	/*
	 * One NULL test per pointer: the 6.1 verifier does not know that a
	 * pointer it already proved non-NULL is non-NULL at a second test.
	 */
	if (c2) {
		args->acquired = 2;
		kinfer_ctx_release(c2);
	} else {
		args->acquired = 1;
	}
	kinfer_ctx_release(c1);
	return 0;
}

/*
 * NULL buffers: the 6.1 verifier refuses NULL with a non-zero size but
 * accepts (NULL, 0); the kfuncs must refuse that too.
 */
SEC("syscall")
int null_io(struct kfs_args *args)
{
	struct kinfer_ctx *ctx;
	__u32 zero = 0;
	void *plan;

	plan = bpf_map_lookup_elem(&plan_map, &zero);
	if (!plan)
		return -1;
	args->acquired = 0;
	ctx = kinfer_ctx_acquire(plan, KFS_PLAN_BYTES);
	if (!ctx)
		return 0;
	args->acquired = 1;
	args->ret[0] = kinfer_input(ctx, (void *)0, 0);
	args->ret[1] = kinfer_add_const(ctx, (void *)0, 0);
	args->pc = ctx->pc;
	args->err = ctx->err;
	kinfer_ctx_release(ctx);
	return 0;
}

/*
 * Must be refused by the verifier.  A tracing program on our own release
 * kfunc sees the context as a plain argument; compute kfuncs are
 * KF_TRUSTED_ARGS, so only the referenced pointer kinfer_ctx_acquire()
 * returned may be passed.  Not autoloaded ('?'): the runner loads it alone
 * and expects the load to fail.
 */
SEC("?fexit/kinfer_ctx_release")
int BPF_PROG(stale_ctx, struct kinfer_ctx *done)
{
	kinfer_relu(done);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
