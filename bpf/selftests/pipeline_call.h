/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The context of pipeline_call.bpf.c's syscall program, shared with the
 * tests that run it (BPF_PROG_TEST_RUN, e.g. bpftool prog run ... ctx_in).
 */
#ifndef _KINFER_PIPELINE_CALL_H
#define _KINFER_PIPELINE_CALL_H

#include "kinfer_call.h"

struct pcall_args {
	__s32 ret;	/* what kinfer_pipeline_call() returned */
	__s32 err;	/* call->err */
	__s32 label;	/* call->label */
	__u32 score;	/* call->score.bits */
	__u8 text[KINFER_CALL_TEXT_BYTES];	/* NUL padded */
};

#endif /* _KINFER_PIPELINE_CALL_H */
