/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KINFER_ARGV_H
#define _KINFER_ARGV_H

#include <linux/types.h>

struct linux_binprm;

int kinfer_exec_argv(struct linux_binprm *bprm, u8 *buf, u32 size);

#endif /* _KINFER_ARGV_H */
