/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Op Prepare + Eval, one file per op family.
 *
 * Every kinfer_op_*() function is integer-only up to its FPU section:
 *	1. kinfer_node_fetch(): copy node ctx->pc out of the plan (another BPF
 *	   program may be writing the plan map), check its op and that
 *	   flags/reserved are 0;
 *	2. check every dimension, arena range and buffer size in the copy
 *	   against the real sizes, with overflow-safe arithmetic;
 *	3. only then take the FPU (kinfer_fpu_begin()) and call kmod/math/.
 * They return 0 or a negative errno and never touch ctx->pc / ctx->err:
 * kfuncs.c does that.
 */
#ifndef _KINFER_OPS_H
#define _KINFER_OPS_H

#include <linux/types.h>

#include "ctx.h"
#include "uapi/kinfer.h"

/*
 * Upper bound on work per FPU section (multiply-adds or elements):
 * preemption is off inside kernel_fpu_begin()/end(), so large layers are
 * split into several sections.
 */
#define KINFER_FPU_CHUNK	(256U * 1024U)

int kinfer_node_fetch(struct kinfer_run *run, u32 op, struct kinfer_node *node);
bool kinfer_arena_ok(const struct kinfer_run *run, u32 off, u64 bytes);
bool kinfer_f32_bytes(u64 rows, u64 cols, u64 *bytes);
int kinfer_fpu_begin(void);
void kinfer_fpu_end(void);

/* [a, a + alen) and [b, b + blen) share a byte; lengths < 2^34. */
static inline bool kinfer_overlap(u32 a, u64 alen, u32 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

/* Arena byte offset to pointer; offset already checked. */
static inline float *kinfer_arena_f32(const struct kinfer_run *run, u32 off)
{
	return (float *)((u8 *)run->arena + off);
}

int kinfer_op_input(struct kinfer_run *run, const void *io, u32 io_sz);
int kinfer_op_output(struct kinfer_run *run, void *io, u32 io_sz);
int kinfer_op_dense(struct kinfer_run *run, u32 op, const void *w, u32 w_sz,
		    const void *b, u32 b_sz);
int kinfer_op_activation(struct kinfer_run *run, u32 op);
int kinfer_op_softmax(struct kinfer_run *run);
int kinfer_op_binary(struct kinfer_run *run, u32 op);
int kinfer_op_const(struct kinfer_run *run, u32 op, const void *c, u32 c_sz);

#endif /* _KINFER_OPS_H */
