/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kfuncs BPF programs call, by BTF name.  These prototypes are the
 * kernel side of the ABI in uapi/kinfer.h; BPF programs declare the same
 * functions as __ksym externs.
 */
#ifndef _KINFER_KFUNCS_H
#define _KINFER_KFUNCS_H

#include <linux/types.h>

struct kinfer_ctx;

int kinfer_kfuncs_init(void);

struct kinfer_ctx *kinfer_ctx_acquire(const void *plan, u32 plan__sz);
void kinfer_ctx_release(struct kinfer_ctx *ctx);
int kinfer_input(struct kinfer_ctx *ctx, const void *io, u32 io__sz);
int kinfer_output(struct kinfer_ctx *ctx, void *io, u32 io__sz);
int kinfer_dense(struct kinfer_ctx *ctx, const void *w, u32 w__sz,
		 const void *b, u32 b__sz);
int kinfer_matmul(struct kinfer_ctx *ctx, const void *w, u32 w__sz);
int kinfer_relu(struct kinfer_ctx *ctx);
int kinfer_sigmoid(struct kinfer_ctx *ctx);
int kinfer_tanh(struct kinfer_ctx *ctx);
int kinfer_softmax(struct kinfer_ctx *ctx);
int kinfer_add(struct kinfer_ctx *ctx);
int kinfer_mul(struct kinfer_ctx *ctx);
int kinfer_add_const(struct kinfer_ctx *ctx, const void *c, u32 c__sz);
int kinfer_mul_const(struct kinfer_ctx *ctx, const void *c, u32 c__sz);

#endif /* _KINFER_KFUNCS_H */
