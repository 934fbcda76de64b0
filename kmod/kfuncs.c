// SPDX-License-Identifier: GPL-2.0
/*
 * The kfuncs: thin wrappers that run one plan node each.
 *
 * A model run, as the loader emits it:
 *
 *	ctx = kinfer_ctx_acquire(plan, plan__sz);	NULL: give up
 *	kinfer_input(ctx, io, io__sz);			node 0
 *	kinfer_dense(ctx, w, w__sz, b, b__sz);		node 1
 *	...
 *	kinfer_output(ctx, io, io__sz);			node n-1
 *	kinfer_ctx_release(ctx);
 *
 * Each compute kfunc executes node ctx->pc.  On success it advances pc and
 * returns 0.  On failure it records the error in ctx->err and returns it;
 * every later kfunc of the run then returns -ECANCELED without doing
 * anything, and release counts the run as an error.  So a program may
 * ignore the return values and check only the output, or bail out early.
 *
 * Argument pairs (ptr, ptr__sz) are checked by the verifier for
 * readability only: the sizes are compared with the node's dimensions here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/module.h>

#include "ctx.h"
#include "kfuncs.h"
#include "ops/ops.h"

/* After a node ran: advance, or record the run's first error. */
static int node_done(struct kinfer_ctx *ctx, int ret)
{
	if (!ret)
		ctx->pc++;
	else if (ret != -ECANCELED)
		ctx->err = ret;
	return ret;
}

/**
 * kinfer_ctx_acquire() - start a model run on this CPU
 * @plan: the plan map value: struct kinfer_plan, then its nodes
 * @plan__sz: size of @plan (a constant the verifier checks)
 *
 * Checks the header (magic, abi_version, reserved, n_nodes against
 * KINFER_MAX_NODES and @plan__sz, arena_bytes against the per-CPU arena
 * and the model's registered arena_bytes), references the registered model
 * with id plan->model_id and claims this CPU's context.  Does not sleep.
 *
 * Return: the run context, to be passed to every other kfunc and finally
 * to kinfer_ctx_release(); NULL when the plan is bad, the model unknown,
 * or this CPU's context is already in use (counted in models/<name>/busy).
 */
struct kinfer_ctx *kinfer_ctx_acquire(const void *plan, u32 plan__sz)
{
	return kinfer_run_begin(plan, plan__sz);
}

/**
 * kinfer_ctx_release() - end a model run
 * @ctx: from kinfer_ctx_acquire()
 *
 * Counts the run (models/<name>/calls; also errors when a kfunc failed or
 * fewer than n_nodes nodes ran), stores its duration in last_run_ns, drops
 * the model reference and frees this CPU's context.
 */
void kinfer_ctx_release(struct kinfer_ctx *ctx)
{
	kinfer_run_end(ctx);
}

/**
 * kinfer_input() - run an INPUT node: copy io bytes into the arena
 * @ctx: the run
 * @io: the io buffer (map value)
 * @io__sz: its size; io_off + dims[0] must fit
 *
 * Return: 0, -EINVAL on a node/buffer mismatch, -ECANCELED after an error.
 */
int kinfer_input(struct kinfer_ctx *ctx, const void *io, u32 io__sz)
{
	return node_done(ctx, kinfer_op_input(kinfer_run_of(ctx), io, io__sz));
}

/**
 * kinfer_output() - run an OUTPUT node: copy arena bytes out to io
 * @ctx: the run
 * @io: the io buffer (map value), written
 * @io__sz: its size; io_off + dims[0] must fit
 *
 * Return: 0, -EINVAL on a node/buffer mismatch, -ECANCELED after an error.
 */
int kinfer_output(struct kinfer_ctx *ctx, void *io, u32 io__sz)
{
	return node_done(ctx, kinfer_op_output(kinfer_run_of(ctx), io, io__sz));
}

/**
 * kinfer_dense() - run a DENSE node: out[M,N] = in0[M,K] . W[K,N] + b[N]
 * @ctx: the run
 * @w: kernel, K*N floats, Flax layout [in_features, out_features], row-major
 * @w__sz: exactly K*N*4
 * @b: bias, N floats
 * @b__sz: exactly N*4
 *
 * M, K, N are the node's dims[0..2].  This is Flax nn.Dense (y = x @ W + b)
 * and ONNX MatMul+Add with the initializer as second MatMul input.
 *
 * Return: 0, -EINVAL on a node/buffer mismatch, -EBUSY when the FPU cannot
 * be used in this context, -ECANCELED after an error.
 */
int kinfer_dense(struct kinfer_ctx *ctx, const void *w, u32 w__sz,
		 const void *b, u32 b__sz)
{
	return node_done(ctx, kinfer_op_dense(kinfer_run_of(ctx),
					      KINFER_OP_DENSE,
					      w, w__sz, b, b__sz));
}

/**
 * kinfer_matmul() - run a MATMUL node: out[M,N] = in0[M,K] . W[K,N]
 * @ctx: the run
 * @w: K*N floats, row-major [K, N]
 * @w__sz: exactly K*N*4
 *
 * Return: as kinfer_dense().
 */
int kinfer_matmul(struct kinfer_ctx *ctx, const void *w, u32 w__sz)
{
	return node_done(ctx, kinfer_op_dense(kinfer_run_of(ctx),
					      KINFER_OP_MATMUL,
					      w, w__sz, NULL, 0));
}

/**
 * kinfer_relu() - run a RELU node: out = max(in0, 0), dims[0] elements
 * @ctx: the run
 *
 * Return: as kinfer_dense().
 */
int kinfer_relu(struct kinfer_ctx *ctx)
{
	return node_done(ctx, kinfer_op_activation(kinfer_run_of(ctx),
						   KINFER_OP_RELU));
}

/**
 * kinfer_sigmoid() - run a SIGMOID node: out = 1 / (1 + exp(-in0))
 * @ctx: the run
 *
 * Return: as kinfer_dense().
 */
int kinfer_sigmoid(struct kinfer_ctx *ctx)
{
	return node_done(ctx, kinfer_op_activation(kinfer_run_of(ctx),
						   KINFER_OP_SIGMOID));
}

/**
 * kinfer_tanh() - run a TANH node: out = tanh(in0)
 * @ctx: the run
 *
 * Return: as kinfer_dense().
 */
int kinfer_tanh(struct kinfer_ctx *ctx)
{
	return node_done(ctx, kinfer_op_activation(kinfer_run_of(ctx),
						   KINFER_OP_TANH));
}

/**
 * kinfer_softmax() - run a SOFTMAX node over rows of in0[M,N]
 * @ctx: the run
 *
 * Return: as kinfer_dense().
 */
int kinfer_softmax(struct kinfer_ctx *ctx)
{
	return node_done(ctx, kinfer_op_softmax(kinfer_run_of(ctx)));
}

/**
 * kinfer_add() - run an ADD node: out = in0 + in1, in1 broadcast
 * @ctx: the run
 *
 * Return: as kinfer_dense().
 */
int kinfer_add(struct kinfer_ctx *ctx)
{
	return node_done(ctx, kinfer_op_binary(kinfer_run_of(ctx),
					       KINFER_OP_ADD));
}

/**
 * kinfer_mul() - run a MUL node: out = in0 * in1, in1 broadcast
 * @ctx: the run
 *
 * Return: as kinfer_dense().
 */
int kinfer_mul(struct kinfer_ctx *ctx)
{
	return node_done(ctx, kinfer_op_binary(kinfer_run_of(ctx),
					       KINFER_OP_MUL));
}

/**
 * kinfer_add_const() - run an ADD_CONST node: out = in0 + C, C broadcast
 * @ctx: the run
 * @c: dims[1] floats
 * @c__sz: exactly dims[1]*4
 *
 * Return: as kinfer_dense().
 */
int kinfer_add_const(struct kinfer_ctx *ctx, const void *c, u32 c__sz)
{
	return node_done(ctx, kinfer_op_const(kinfer_run_of(ctx),
					      KINFER_OP_ADD_CONST, c, c__sz));
}

/**
 * kinfer_mul_const() - run a MUL_CONST node: out = in0 * C, C broadcast
 * @ctx: the run
 * @c: dims[1] floats
 * @c__sz: exactly dims[1]*4
 *
 * Return: as kinfer_dense().
 */
int kinfer_mul_const(struct kinfer_ctx *ctx, const void *c, u32 c__sz)
{
	return node_done(ctx, kinfer_op_const(kinfer_run_of(ctx),
					      KINFER_OP_MUL_CONST, c, c__sz));
}

/*
 * KF_TRUSTED_ARGS: the compute kfuncs accept only the referenced context
 * kinfer_ctx_acquire() returned, never a struct kinfer_ctx pointer a
 * tracing program found elsewhere (an fentry argument of our own
 * functions), which could name a finished run or another task's run.
 */
BTF_SET8_START(kinfer_kfunc_ids)
BTF_ID_FLAGS(func, kinfer_ctx_acquire, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, kinfer_ctx_release, KF_RELEASE)
BTF_ID_FLAGS(func, kinfer_input, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, kinfer_output, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, kinfer_dense, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, kinfer_matmul, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, kinfer_relu, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, kinfer_sigmoid, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, kinfer_tanh, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, kinfer_softmax, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, kinfer_add, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, kinfer_mul, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, kinfer_add_const, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, kinfer_mul_const, KF_TRUSTED_ARGS)
BTF_SET8_END(kinfer_kfunc_ids)

static const struct btf_kfunc_id_set kinfer_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &kinfer_kfunc_ids,
};

/*
 * Program types that may call the kfuncs, one registration each.
 *
 * On 6.1 each program type maps to a kfunc "hook" and a module may register
 * only one set per hook: a second registration for the same hook WARNs and
 * frees the module's whole kfunc table.  BPF_PROG_TYPE_LSM shares the
 * TRACING hook (bpf_prog_type_to_kfunc_hook()), so registering TRACING
 * covers LSM programs (and freplace programs attached to either); LSM must
 * not get its own row.  XDP and SCHED_CLS have hooks of their own and can
 * be added here.
 */
static const enum bpf_prog_type kinfer_kfunc_prog_types[] = {
	BPF_PROG_TYPE_SYSCALL,
	BPF_PROG_TYPE_TRACING,	/* and BPF_PROG_TYPE_LSM */
};

/**
 * kinfer_kfuncs_init() - register the kfunc set for each program type
 *
 * Return: 0 or the first registration error.
 */
int kinfer_kfuncs_init(void)
{
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(kinfer_kfunc_prog_types); i++) {
		ret = register_btf_kfunc_id_set(kinfer_kfunc_prog_types[i],
						&kinfer_kfunc_set);
		if (ret) {
			pr_err("kfunc registration for program type %d failed: %d\n",
			       kinfer_kfunc_prog_types[i], ret);
			return ret;
		}
	}
	return 0;
}
