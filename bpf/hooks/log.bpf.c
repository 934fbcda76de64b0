// SPDX-License-Identifier: GPL-2.0
/*
 * Task hook: kernel log lines, audit only (docs/tasks.md).
 *
 * The console tracepoint fires for every printk as it is stored, in any
 * context (interrupts off, NMI, under the logbuf's locks), where no model
 * may run and nothing may wait.  So the hook only copies the line into a
 * queue map and calls kinfer_task_defer(); the module then runs
 * kinfer_log_drain -- this object's syscall program, the task's runner --
 * in a worker, where the pipeline gets a sleepable run.  A full queue
 * drops the line and counts it as an error (-ENOSPC).  Latency is from
 * the printk to the verdict.  Nothing here may printk.
 */
#include "kinfer_btf.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "kinfer_hook.bpf.h"

#define KINFER_ENOSPC	28
#define LOG_TEXT_BYTES	512	/* of each line, queued; a power of two */
#define LOG_QUEUE	256	/* lines waiting at most; a power of two */
#define DRAIN_BATCH	8	/* lines per run of the runner */

struct pending_line {
	struct kinfer_task_run run;	/* start_ns: when it was logged */
	struct kinfer_hook_origin from;
	__u32 len;
	__u8 text[LOG_TEXT_BYTES];
};

/*
 * The queue: a ring of slots with sequence numbers (Vyukov's bounded
 * queue), as sleepable programs may not use queue maps.  Producers on
 * several CPUs claim a position with a compare-and-swap on the tail and
 * publish the slot by its sequence number; the runner is the one consumer
 * (the module never runs it twice at once).  A slot k holds seq - k, so
 * the zeroed map starts with every slot free for the first lap.
 */
struct log_slot {
	__u64 seq;
	struct pending_line line;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LOG_QUEUE);
	__type(key, __u32);
	__type(value, struct log_slot);
} slots SEC(".maps");

__u64 queue_tail;	/* next position producers claim */
__u64 queue_head;	/* next position the runner takes */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pending_line);
} draining SEC(".maps");

#define barrier() asm volatile("" ::: "memory")

/* A free slot, claimed; NULL when the queue is full or stays contended. */
static __always_inline struct log_slot *claim(__u64 *pos_out)
{
	int try;

	for (try = 0; try < 4; try++) {
		__u64 pos = *(volatile __u64 *)&queue_tail;
		__u32 k = pos & (LOG_QUEUE - 1);
		struct log_slot *slot = bpf_map_lookup_elem(&slots, &k);
		__u64 seq;

		if (!slot)
			return 0;
		seq = slot->seq + k;
		if (seq == pos) {
			if (__sync_val_compare_and_swap(&queue_tail, pos, pos + 1) == pos) {
				*pos_out = pos;
				return slot;
			}
		} else if ((__s64)(seq - pos) < 0) {
			return 0;	/* full: the runner has not freed it */
		}
	}
	return 0;
}

SEC("tp_btf/console")
int BPF_PROG(kinfer_log_line, const char *text, size_t len)
{
	const struct kinfer_task_config *cfg = kinfer_hook_config();
	struct kinfer_task_run run = {};
	struct log_slot *slot;
	__u64 pos;
	__u32 n;

	if (!cfg || kinfer_task_begin(cfg->task_id, &run, sizeof(run)) <= 0)
		return 0;
	slot = claim(&pos);
	if (!slot) {
		run.err = -KINFER_ENOSPC;
		kinfer_task_end(cfg->task_id, &run, sizeof(run));
		return 0;
	}
	slot->line.run = run;
	kinfer_hook_origin_now(&slot->line.from);
	/* At most LOG_TEXT_BYTES - 1, in a form the verifier can bound. */
	n = len < LOG_TEXT_BYTES - 1 ? len : LOG_TEXT_BYTES - 1;
	n &= LOG_TEXT_BYTES - 1;
	__builtin_memset(slot->line.text, 0, sizeof(slot->line.text));
	if (bpf_probe_read_kernel(slot->line.text, n, text)) {
		slot->line.run.err = -KINFER_EINVAL;
		n = 0;
	}
	slot->line.len = n;
	barrier();
	slot->seq = pos + 1 - (pos & (LOG_QUEUE - 1));	/* published */
	kinfer_task_defer(cfg->task_id);
	return 0;
}

/* Take the next published line into @line; false when there is none. */
static __always_inline bool take(struct pending_line *line)
{
	__u64 pos = queue_head;
	__u32 k = pos & (LOG_QUEUE - 1);
	struct log_slot *slot = bpf_map_lookup_elem(&slots, &k);

	if (!slot || slot->seq + k != pos + 1)
		return false;
	__builtin_memcpy(line, &slot->line, sizeof(*line));
	barrier();
	slot->seq = pos + LOG_QUEUE - k;	/* free for the next lap */
	queue_head = pos + 1;
	return true;
}

SEC("syscall")
int kinfer_log_drain(struct kinfer_drain_ctx *ctx)
{
	const struct kinfer_task_config *cfg = kinfer_hook_config();
	struct kinfer_hook_scratch *s;
	struct pending_line *line;
	__u32 zero = 0;
	int i, ret = KINFER_DRAIN_MORE;

	line = bpf_map_lookup_elem(&draining, &zero);
	if (!cfg || !line)
		return 0;
	s = kinfer_hook_scratch_get();
	if (!s)
		return 0;
	for (i = 0; i < DRAIN_BATCH; i++) {
		if (!take(line)) {
			ret = 0;
			break;
		}
		if (line->run.err) {	/* the text could not be read */
			kinfer_hook_classify(cfg, &line->run, s, line->run.err, &line->from);
			continue;
		}
		__builtin_memcpy(s->call.io, line->text, LOG_TEXT_BYTES);
		kinfer_hook_classify(cfg, &line->run, s, line->len, &line->from);
	}
	kinfer_hook_scratch_put(s);
	return ret;
}

char LICENSE[] SEC("license") = "GPL";
