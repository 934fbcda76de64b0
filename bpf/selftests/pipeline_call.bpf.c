// SPDX-License-Identifier: GPL-2.0
/*
 * A BPF program that classifies text through one call: the shape a hook
 * takes (docs/nlp.md, "Calling a pipeline from BPF").
 *
 * kinfer_pipeline_call() is a global function whose body only says that no
 * pipeline is attached; `kinfer load PIPELINE --attach <pin of classify>`
 * replaces it with the pipeline's kfunc chain.  The text goes through a
 * per-CPU map value, writable memory as kfunc buffers must be.  The
 * syscall program stands in for a hook so that tests can feed it text.
 */
#include "kinfer_btf.h"
#include <bpf/bpf_helpers.h>

#include "pipeline_call.h"

#define ENOENT	2
#define EINVAL	22

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kinfer_call);
} calls SEC(".maps");

__noinline int kinfer_pipeline_call(struct kinfer_call *call)
{
	if (!call)
		return -EINVAL;
	call->err = -ENOENT;
	return -ENOENT;
}

SEC("syscall")
int classify(struct pcall_args *args)
{
	__u32 zero = 0;
	struct kinfer_call *call = bpf_map_lookup_elem(&calls, &zero);

	if (!call)
		return -ENOENT;
	if (bpf_probe_read_kernel(call->io, sizeof(args->text), args->text))
		return -EINVAL;
	args->ret = kinfer_pipeline_call(call);
	args->err = call->err;
	args->label = call->label;
	args->score = call->score.bits;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
