/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kfuncs BPF programs call, by BTF name.  These prototypes are the
 * kernel side of the ABI in uapi/kinfer.h; BPF programs declare the same
 * functions as __ksym externs (bpf/include/kinfer_kfuncs.bpf.h).
 */
#ifndef _KINFER_KFUNCS_H
#define _KINFER_KFUNCS_H

#include <linux/types.h>

#include "uapi/kinfer.h"

struct kinfer_ctx;
struct linux_binprm;

int kinfer_kfuncs_init(void);

struct kinfer_ctx *kinfer_ctx_acquire(const void *plan, u32 plan__sz,
				      int *status);
struct kinfer_ctx *kinfer_ctx_acquire_sleepable(const void *plan, u32 plan__sz,
						int *status);
struct kinfer_ctx *kinfer_ctx_acquire_auto(const void *plan, u32 plan__sz,
					   int *status);
void kinfer_ctx_release(struct kinfer_ctx *ctx);
int kinfer_bind(struct kinfer_ctx *ctx, void *buf, u32 buf__sz);
int kinfer_task_begin(u32 task_id, void *run, u32 run__sz);
int kinfer_task_end(u32 task_id, void *run, u32 run__sz);
int kinfer_task_defer(u32 task_id);
int kinfer_exec_argv_read(struct linux_binprm *bprm, void *buf, u32 buf__sz);

#define KINFER_OP_KFUNC_DECL(NAME, id, name, cls, attr, cost)		\
	int kinfer_##name(struct kinfer_ctx *ctx);
KINFER_OP_LIST(KINFER_OP_KFUNC_DECL)
#undef KINFER_OP_KFUNC_DECL

#endif /* _KINFER_KFUNCS_H */
