/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every task hook program has (bpf/hooks/, docs/tasks.md): its
 * config map, the shared events ring buffer, per-task scratch memory, the
 * pipeline stub the loader replaces, and the steps after the text is in
 * place -- classify, take the verdict, report.
 *
 * A hook program is loaded once per task; `kinfer task add` fills the
 * config map, replaces kinfer_pipeline_call() with the task's pipeline
 * and attaches the hook.  Include after kinfer_btf.h and bpf_helpers.h.
 */
#ifndef _KINFER_HOOK_BPF_H
#define _KINFER_HOOK_BPF_H

#include "kinfer_call.h"
#include "kinfer_task.h"
#include "kinfer_kfuncs.bpf.h"

#define KINFER_ENOENT	2
#define KINFER_ENOMEM	12
#define KINFER_EBUSY	16
#define KINFER_EINVAL	22

/* Filled by the loader before the hook is attached. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kinfer_task_config);
} task_config SEC(".maps");

/* One for all tasks, pinned by name under /sys/fs/bpf/kinfer. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} events SEC(".maps");

/*
 * The text and the pipeline's io: a pool of slots, each claimed for one
 * event.  A sleepable hook may be preempted between reading the text and
 * classifying it, so per-CPU memory could be overwritten by the next
 * event on that CPU; task storage was tried and fails under load on 6.1
 * (its per-CPU busy counter refuses a second task on a CPU whose first
 * one slept inside the allocation).  All slots busy: the event is an
 * error (-EBUSY), as when every sleepable run context is in use.
 */
#define KINFER_HOOK_SLOTS	64	/* a power of two */

struct kinfer_hook_scratch {
	__u32 busy;
	__u32 pad;
	struct kinfer_call call;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KINFER_HOOK_SLOTS);
	__type(key, __u32);
	__type(value, struct kinfer_hook_scratch);
} task_scratch SEC(".maps");

__noinline int kinfer_pipeline_call(struct kinfer_call *call)
{
	if (!call)
		return -KINFER_EINVAL;
	call->err = -KINFER_ENOENT;
	return -KINFER_ENOENT;
}

static __always_inline const struct kinfer_task_config *kinfer_hook_config(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&task_config, &zero);
}

/* Claim a free slot, starting from one that depends on the CPU. */
static __always_inline struct kinfer_hook_scratch *kinfer_hook_scratch_get(void)
{
	__u32 start = bpf_get_smp_processor_id() * 4, i;

	for (i = 0; i < KINFER_HOOK_SLOTS; i++) {
		__u32 k = (start + i) & (KINFER_HOOK_SLOTS - 1);
		struct kinfer_hook_scratch *s = bpf_map_lookup_elem(&task_scratch, &k);

		if (s && __sync_val_compare_and_swap(&s->busy, 0, 1) == 0)
			return s;
	}
	return 0;
}

static __always_inline void kinfer_hook_scratch_put(struct kinfer_hook_scratch *s)
{
	__sync_lock_test_and_set(&s->busy, 0);
}

/*
 * The pipeline's text length, 1..KINFER_CALL_TEXT_BYTES (a power of two)
 * in a form the verifier can bound; the loader writes a valid one.
 */
static __always_inline __u32 kinfer_hook_text_bytes(const struct kinfer_task_config *cfg)
{
	return ((cfg->text_bytes - 1) & (KINFER_CALL_TEXT_BYTES - 1)) + 1;
}

/* Events outside the task's scope pass unseen (not even counted). */
static __always_inline bool kinfer_hook_in_scope(const struct kinfer_task_config *cfg)
{
	if (cfg->scope & KINFER_SCOPE_UID)
		return (__u32)bpf_get_current_uid_gid() == cfg->scope_uid;
	return true;
}

/* Who caused an event, for hooks that classify it later (deferred). */
struct kinfer_hook_origin {
	__u32 pid;
	__u32 uid;
	char comm[16];
};

static __always_inline void kinfer_hook_origin_now(struct kinfer_hook_origin *o)
{
	o->pid = bpf_get_current_pid_tgid() >> 32;
	o->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

/* @from: who caused the event; NULL: the current task. */
static __always_inline void kinfer_hook_report(const struct kinfer_task_config *cfg,
					       const struct kinfer_task_run *run,
					       const __u8 *text, __u32 text_len,
					       const struct kinfer_hook_origin *from)
{
	struct kinfer_event *ev;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev)
		return;
	ev->time_ns = bpf_ktime_get_boot_ns();
	ev->latency_ns = run->latency_ns;
	ev->task_id = cfg->task_id;
	ev->flags = run->flags;
	ev->verdict = run->verdict;
	ev->err = run->err;
	ev->label = run->label;
	ev->score_bits = run->score_bits;
	ev->text_len = text_len;
	if (from) {
		ev->pid = from->pid;
		ev->uid = from->uid;
		__builtin_memcpy(ev->comm, from->comm, sizeof(ev->comm));
	} else {
		ev->pid = bpf_get_current_pid_tgid() >> 32;
		ev->uid = (__u32)bpf_get_current_uid_gid();
		bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	}
	if (!text || bpf_probe_read_kernel(ev->text, sizeof(ev->text), text))
		__builtin_memset(ev->text, 0, sizeof(ev->text));
	bpf_ringbuf_submit(ev, 0);
}

/*
 * Classify the text in s->call.io (@len: what the reader returned: its
 * length, text_bytes + 1 when cut, or a negative errno), take the verdict
 * and report flagged events and errors (@from as kinfer_hook_report()).
 * Returns what the hook returns.
 */
static __always_inline int kinfer_hook_classify(const struct kinfer_task_config *cfg,
						struct kinfer_task_run *run,
						struct kinfer_hook_scratch *s,
						int len,
						const struct kinfer_hook_origin *from)
{
	__u32 text_bytes = kinfer_hook_text_bytes(cfg);
	__u32 truncated = 0;
	int verdict;

	if (len < 0) {
		run->err = len;
		len = 0;
	} else {
		if ((__u32)len > text_bytes) {
			truncated = KINFER_EVENT_TRUNCATED;
			len = text_bytes;
		}
		s->call.max_tokens = run->max_tokens;
		run->err = kinfer_pipeline_call(&s->call);
		if (!run->err)
			run->err = s->call.err;
		run->label = s->call.label;
		run->score_bits = s->call.score.bits;
		run->flag_label = (__u32)run->label < 64 &&
				  (cfg->flag_labels >> run->label) & 1;
	}
	verdict = kinfer_task_end(cfg->task_id, run, sizeof(*run));
	run->flags |= truncated;
	if (run->flags & (KINFER_EVENT_FLAGGED | KINFER_EVENT_ERROR))
		kinfer_hook_report(cfg, run, s->call.io, len, from);
	return verdict;
}

/* An event the hook could not get scratch memory for. */
static __always_inline int kinfer_hook_fail(const struct kinfer_task_config *cfg,
					    struct kinfer_task_run *run, int err)
{
	int verdict;

	run->err = err;
	verdict = kinfer_task_end(cfg->task_id, run, sizeof(*run));
	kinfer_hook_report(cfg, run, 0, 0, 0);
	return verdict;
}

/*
 * The start every inline hook shares: the config, the scope, the task's
 * say, a scratch slot.  Returns the slot, or NULL with *@verdict set:
 * what the hook returns (0 when the event is not classified).
 */
static __always_inline struct kinfer_hook_scratch *
kinfer_hook_start(const struct kinfer_task_config **cfg, struct kinfer_task_run *run,
		  int *verdict)
{
	struct kinfer_hook_scratch *s;

	*verdict = 0;
	*cfg = kinfer_hook_config();
	if (!*cfg || !kinfer_hook_in_scope(*cfg) ||
	    kinfer_task_begin((*cfg)->task_id, run, sizeof(*run)) <= 0)
		return 0;
	s = kinfer_hook_scratch_get();
	if (!s)
		*verdict = kinfer_hook_fail(*cfg, run, -KINFER_EBUSY);
	return s;
}

#endif /* _KINFER_HOOK_BPF_H */
