// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel test of kinfer's kfunc bounds checks (plan ABI 2).
 *
 * run_plan acquires a context on the plan map value (with
 * kinfer_ctx_acquire() or, when args->flags asks, its sleepable variant),
 * takes the steps listed in its context (bind the io, w or b map value
 * with a size the runner chose, or call the kfunc of one op), records
 * every return value, the acquire status and ctx->pc/err, and releases.
 * The runner writes good and bad plans and checks the results.
 * double_acquire checks that a second non-sleepable acquire on the same
 * CPU, at the same nesting level, fails while the first is held; null_buf passes NULL buffers.
 */
#include "kinfer_btf.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "kinfer_kfuncs.bpf.h"
#include "kfunc_bounds.h"

_Static_assert(KFS_MAX_STEPS == 16, "STEP() below is spelled out 16 times");

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

/* One case per row of the op registry: every op kfunc is reachable. */
static __always_inline int call_op(struct kinfer_ctx *ctx, __u32 op)
{
	switch (op) {
#define KFS_OP_CASE(NAME, id, name, cls, attr, cost)			\
	case id:							\
		return kinfer_##name(ctx);
	KINFER_OP_LIST(KFS_OP_CASE)
#undef KFS_OP_CASE
	default:
		return KFS_BAD_STEP;
	}
}

static __always_inline int take_step(struct kinfer_ctx *ctx, __u32 what,
				     __u32 sz, void *io, void *w, void *b)
{
	/*
	 * Bounds checked against the map value sizes: the verifier proves
	 * only these.  barrier_var() makes the call use the checked value;
	 * without it clang may pass an unchecked copy.
	 */
	switch (what) {
	case KFS_BIND_IO:
		if (sz > KFS_IO_BYTES)
			return KFS_BAD_STEP;
		barrier_var(sz);
		return kinfer_bind(ctx, io, sz);
	case KFS_BIND_W:
		if (sz > KFS_W_BYTES)
			return KFS_BAD_STEP;
		barrier_var(sz);
		return kinfer_bind(ctx, w, sz);
	case KFS_BIND_B:
		if (sz > KFS_B_BYTES)
			return KFS_BAD_STEP;
		barrier_var(sz);
		return kinfer_bind(ctx, b, sz);
	default:
		return call_op(ctx, what);
	}
}

SEC("syscall")
int run_plan(struct kfs_args *args)
{
	__u32 zero = 0, plan_sz, n_steps;
	void *plan, *io, *w, *b;
	struct kinfer_ctx *ctx;
	int status = 0;

	plan = bpf_map_lookup_elem(&plan_map, &zero);
	io = bpf_map_lookup_elem(&io_map, &zero);
	w = bpf_map_lookup_elem(&w_map, &zero);
	b = bpf_map_lookup_elem(&b_map, &zero);
	if (!plan || !io || !w || !b)
		return -1;

	plan_sz = args->plan_sz;
	n_steps = args->n_steps;
	if (plan_sz > KFS_PLAN_BYTES)
		return -2;
	barrier_var(plan_sz);

	args->acquired = 0;
	if (args->flags & KFS_F_SLEEPABLE)
		ctx = kinfer_ctx_acquire_sleepable(plan, plan_sz, &status);
	else
		ctx = kinfer_ctx_acquire(plan, plan_sz, &status);
	args->status = status;
	if (!ctx)
		return 0;
	args->acquired = 1;

	/* Spelled out: syscall program context offsets must be constant. */
#define STEP(i)								\
	do {								\
		if (n_steps > (i))					\
			args->ret[i] = take_step(ctx,			\
						 args->steps[i].what,	\
						 args->steps[i].sz,	\
						 io, w, b);		\
	} while (0)
	STEP(0);
	STEP(1);
	STEP(2);
	STEP(3);
	STEP(4);
	STEP(5);
	STEP(6);
	STEP(7);
	STEP(8);
	STEP(9);
	STEP(10);
	STEP(11);
	STEP(12);
	STEP(13);
	STEP(14);
	STEP(15);
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
	int status = 0;
	__u32 zero = 0;
	void *plan;

	plan = bpf_map_lookup_elem(&plan_map, &zero);
	if (!plan)
		return -1;
	args->acquired = 0;
	c1 = kinfer_ctx_acquire(plan, KFS_PLAN_BYTES, &status);
	args->status = status;
	if (!c1)
		return 0;
	status = 0;
	/* The same level on the same CPU (sleepable runs have a pool). */
	c2 = kinfer_ctx_acquire(plan, KFS_PLAN_BYTES, &status);
	args->status = status;
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
 * accepts (NULL, 0); the kfuncs must refuse it too.  ret[0] is what
 * kinfer_bind(ctx, NULL, 0) returned, ret[1] the op call after it (node 0
 * of the plan must be op args->steps[0].what); status is that of
 * kinfer_ctx_acquire(NULL, 0, &status), which must refuse.
 */
SEC("syscall")
int null_buf(struct kfs_args *args)
{
	struct kinfer_ctx *ctx;
	int status = 0;
	__u32 zero = 0;
	void *plan;

	plan = bpf_map_lookup_elem(&plan_map, &zero);
	if (!plan)
		return -1;
	args->acquired = 0;
	ctx = kinfer_ctx_acquire((void *)0, 0, &status);
	args->status = status;
	if (ctx) {
		args->acquired = 2;
		kinfer_ctx_release(ctx);
		return 0;
	}
	ctx = kinfer_ctx_acquire(plan, KFS_PLAN_BYTES, &status);
	if (!ctx)
		return 0;
	args->acquired = 1;
	args->ret[0] = kinfer_bind(ctx, (void *)0, 0);
	args->ret[1] = call_op(ctx, args->steps[0].what);
	args->pc = ctx->pc;
	args->err = ctx->err;
	kinfer_ctx_release(ctx);
	return 0;
}

/*
 * Must be refused by the verifier.  A tracing program on our own release
 * kfunc sees the context as a plain argument; bind and the op kfuncs are
 * KF_TRUSTED_ARGS, so only the referenced pointer an acquire returned may
 * be passed.  Not autoloaded ('?'): the runner loads it alone and expects
 * the load to fail.
 */
SEC("?fexit/kinfer_ctx_release")
int BPF_PROG(stale_ctx, struct kinfer_ctx *done)
{
	kinfer_relu(done);
	return 0;
}

/* The same for kinfer_bind(): a stale context cannot bind buffers. */
SEC("?fexit/kinfer_ctx_release")
int BPF_PROG(stale_ctx_bind, struct kinfer_ctx *done)
{
	__u32 zero = 0;
	void *io;

	io = bpf_map_lookup_elem(&io_map, &zero);
	if (io)
		kinfer_bind(done, io, KFS_IO_BYTES);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
