/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Calling a text pipeline from a BPF program (docs/nlp.md).
 *
 * A BPF program declares a global, non-inlined function
 *
 *	int kinfer_pipeline_call(struct kinfer_call *call);
 *
 * whose own body only reports that no pipeline is attached, and calls it
 * with the text in call->io.  `kinfer load PIPELINE --attach PROG` replaces
 * that function (BPF_PROG_TYPE_EXT, freplace) with the pipeline's kfunc
 * chain: the text is tokenised and classified in the kernel, and the call
 * returns with err, label and score set.
 *
 * io[0 .. N) holds the text, NUL padded, where N is the pipeline's text
 * length (<= KINFER_CALL_TEXT_BYTES): NUL bytes are dropped by the
 * tokenizer, so padding never changes the result.  The rest of io is the
 * pipeline's scratch for its outputs.  The struct is BPF-writable memory
 * (a map value), as kfunc buffers must be.
 *
 * max_tokens caps the token ids the tokenizer makes, [CLS] and [SEP]
 * included, as HF's truncation to max_length does; 0, or more than the
 * pipeline's length, means the pipeline's length.  Pipelines exported
 * without a max_tokens input ignore it.
 *
 * This header stands alone so that BPF programs, which take kernel types
 * from BTF, can include it next to vmlinux.h.
 */
#ifndef _UAPI_KINFER_CALL_H
#define _UAPI_KINFER_CALL_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define KINFER_CALL_TEXT_BYTES	4096
#define KINFER_CALL_IO_BYTES	8192
#define KINFER_CALL_FUNC	"kinfer_pipeline_call"

struct kinfer_call {
	__s32 err;		/* 0, or why no label: -ENOENT (none attached), ... */
	__s32 label;		/* index of the pipeline's label */
	union {
		float f;	/* the label's score (probability or cosine) */
		__u32 bits;	/* the same, for code without float */
	} score;
	__u32 max_tokens;	/* 0: the pipeline's length; else >= 2 */
	__u8 io[KINFER_CALL_IO_BYTES];
};

#endif /* _UAPI_KINFER_CALL_H */
