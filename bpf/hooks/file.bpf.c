// SPDX-License-Identifier: GPL-2.0
/*
 * Task hook: file paths at open, at the LSM enforcement point
 * (docs/tasks.md).
 *
 * Sleepable, like the exec hook: the pipeline runs inline and enforce
 * mode makes the open fail with -EPERM.  The text is the path as d_path
 * gives it (absolute, in the opener's mount namespace), cut to the
 * pipeline's length and FILE_TEXT_BYTES.  Every open in the system passes
 * here, so tasks on this hook usually have a scope (one uid) or a
 * sample_rate.
 */
#include "kinfer_btf.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "kinfer_hook.bpf.h"

#define FILE_TEXT_BYTES	1024	/* a power of two, <= KINFER_CALL_TEXT_BYTES */

SEC("lsm.s/file_open")
int BPF_PROG(kinfer_file_open, struct file *file, int ret)
{
	const struct kinfer_task_config *cfg;
	struct kinfer_task_run run = {};
	struct kinfer_hook_scratch *s;
	int verdict;
	__u32 n;
	long len;

	if (ret)
		return ret;
	s = kinfer_hook_start(&cfg, &run, &verdict);
	if (!s)
		return verdict;
	/* d_path leaves the bytes after its NUL alone: the tokenizer reads them. */
	__builtin_memset(s->call.io, 0, FILE_TEXT_BYTES);
	n = kinfer_hook_text_bytes(cfg) & (FILE_TEXT_BYTES - 1) ?: FILE_TEXT_BYTES;
	len = bpf_d_path(&file->f_path, (char *)s->call.io, n);
	/* d_path counts the NUL; a path that did not fit is -ENAMETOOLONG. */
	verdict = kinfer_hook_classify(cfg, &run, s, len > 0 ? len - 1 : len, 0);
	kinfer_hook_scratch_put(s);
	return verdict;
}

char LICENSE[] SEC("license") = "GPL";
