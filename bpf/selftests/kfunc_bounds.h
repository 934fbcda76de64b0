/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between kfunc_bounds.bpf.c and tests/kernel/kfunc_selftest.c:
 * map value sizes and the syscall programs' context.
 */
#ifndef _KINFER_KFUNC_BOUNDS_H
#define _KINFER_KFUNC_BOUNDS_H

#define KFS_PLAN_BYTES	4096
#define KFS_IO_BYTES	512
#define KFS_W_BYTES	1024
#define KFS_B_BYTES	256
#define KFS_MAX_STEPS	16

/*
 * kfs_step.what: an enum kinfer_op value (call kinfer_<op>(ctx)), or one
 * of these: bind a map value with size kfs_step.sz.
 */
#define KFS_BIND_IO	0x100
#define KFS_BIND_W	0x101
#define KFS_BIND_B	0x102

/* kfs_args.ret[] of a step the program could not take (bad what or sz). */
#define KFS_BAD_STEP	(-1000)

/* kfs_args.flags */
#define KFS_F_SLEEPABLE	1U	/* kinfer_ctx_acquire_sleepable() */

struct kfs_step {
	__u32 what;
	__u32 sz;
};

/*
 * The context of the programs (BPF_PROG_TEST_RUN copies it in and back).
 * The sz of each bind is the __sz argument passed with its buffer; the
 * program refuses sizes above the map value size so that the verifier
 * accepts the call, and the kfuncs must then catch every mismatch with
 * the plan.
 */
struct kfs_args {
	__u32 plan_sz;
	__u32 flags;
	__u32 n_steps;
	struct kfs_step steps[KFS_MAX_STEPS];
	/* out */
	__s32 acquired;		/* run_plan: 1/0; double_acquire: contexts */
	__s32 status;		/* acquire's *status (the second's: double) */
	__s32 ret[KFS_MAX_STEPS];
	__u32 pc;		/* ctx->pc and ctx->err just before release */
	__s32 err;
};

#endif /* _KINFER_KFUNC_BOUNDS_H */
