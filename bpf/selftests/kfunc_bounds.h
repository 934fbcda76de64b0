/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between kfunc_bounds.bpf.c and tests/kernel/kfunc_selftest.c:
 * map value sizes and the syscall programs' context.
 */
#ifndef _KINFER_KFUNC_BOUNDS_H
#define _KINFER_KFUNC_BOUNDS_H

#define KFS_PLAN_BYTES	(32 + 16 * 48)	/* header + 16 nodes */
#define KFS_IO_BYTES	256
#define KFS_W_BYTES	1024
#define KFS_B_BYTES	256
#define KFS_MAX_CALLS	8

/* kfs_args.calls[]: which kfunc to call; enum kinfer_op values. */

/*
 * The context of both programs (BPF_PROG_TEST_RUN copies it in and back).
 * The *_sz fields are the __sz arguments passed with each buffer; the
 * program clamps them to the map value sizes so the verifier accepts them,
 * and the kfuncs must then catch every mismatch with the plan.
 */
struct kfs_args {
	__u32 plan_sz;
	__u32 io_sz;
	__u32 w_sz;
	__u32 b_sz;
	__u32 n_calls;
	__u32 calls[KFS_MAX_CALLS];
	/* out */
	__s32 acquired;		/* run_plan: 1/0; double_acquire: contexts */
	__s32 ret[KFS_MAX_CALLS];
	__u32 pc;		/* ctx->pc and ctx->err just before release */
	__s32 err;
};

#endif /* _KINFER_KFUNC_BOUNDS_H */
