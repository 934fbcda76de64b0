// SPDX-License-Identifier: GPL-2.0
/*
 * Task hook: exec command lines, at the LSM enforcement point
 * (docs/tasks.md).
 *
 * Sleepable: the argument strings are read from the new process's stack
 * pages (kinfer_exec_argv_read), and the pipeline runs inline as a
 * sleepable run -- so enforce mode can stop the exec with -EPERM before
 * it happens.  The text is " ".join(argv), cut to the pipeline's length.
 * For a script, the kernel checks the exec again for its interpreter, so
 * the hook sees that command line too.
 */
#include "kinfer_btf.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "kinfer_hook.bpf.h"

SEC("lsm.s/bprm_check_security")
int BPF_PROG(kinfer_exec, struct linux_binprm *bprm, int ret)
{
	const struct kinfer_task_config *cfg;
	struct kinfer_task_run run = {};
	struct kinfer_hook_scratch *s;
	int len, verdict;

	if (ret)
		return ret;
	s = kinfer_hook_start(&cfg, &run, &verdict);
	if (!s)
		return verdict;
	len = kinfer_exec_argv_read(bprm, s->call.io,
				    kinfer_hook_text_bytes(cfg));
	verdict = kinfer_hook_classify(cfg, &run, s, len, 0);
	kinfer_hook_scratch_put(s);
	return verdict;
}

char LICENSE[] SEC("license") = "GPL";
