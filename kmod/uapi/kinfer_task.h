/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Tasks: a text pipeline on a hook, with an action (docs/tasks.md).
 *
 * A hook program (bpf/hooks/) asks the module whether to classify the
 * event, kinfer_task_begin(), calls its pipeline (uapi/kinfer_call.h),
 * and hands the result to kinfer_task_end(), which applies the task's
 * live settings -- /sys/kernel/kinfer/tasks/<task>/{enabled, mode,
 * threshold, on_error, sample_rate} --, counts the event and returns the
 * verdict the hook returns.  Flagged events and errors go to the BPF ring
 * buffer pinned at /sys/fs/bpf/kinfer/events, one struct kinfer_event
 * each.
 *
 * This header stands alone so that BPF programs, which take kernel types
 * from BTF, can include it next to vmlinux.h.
 */
#ifndef _UAPI_KINFER_TASK_H
#define _UAPI_KINFER_TASK_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define KINFER_MAX_TASKS		64U
#define KINFER_TASK_NAME_BYTES		32U	/* names: KINFER_NAME_MAX + NUL */
#define KINFER_EVENT_TEXT_BYTES		256U
#define KINFER_EVENTS_PIN		"/sys/fs/bpf/kinfer/events"

/* tasks/<task>/mode */
#define KINFER_MODE_AUDIT	0	/* classify and report, never deny */
#define KINFER_MODE_ENFORCE	1	/* deny (-EPERM) what is flagged */

/* tasks/<task>/on_error: what an event without a result gets */
#define KINFER_ON_ERROR_ALLOW	0
#define KINFER_ON_ERROR_DENY	1	/* denied in enforce mode; audit never denies */

/* struct kinfer_task_run.flags and struct kinfer_event.flags */
#define KINFER_EVENT_FLAGGED	0x01U	/* a flagged label at or above the threshold */
#define KINFER_EVENT_DENIED	0x02U	/* the hook returned -EPERM */
#define KINFER_EVENT_ERROR	0x04U	/* no result: err says why */
#define KINFER_EVENT_ENFORCE	0x08U	/* the task was in enforce mode */
#define KINFER_EVENT_TRUNCATED	0x10U	/* the text was cut to the pipeline's length */

/*
 * One event between kinfer_task_begin() and kinfer_task_end(), in memory
 * the hook program owns (its stack or a map value).  The module uses it,
 * so BPF programs that include kinfer.ko's BTF dump (vmlinux.h style)
 * already have it from there.
 */
#if !defined(__bpf__) || !defined(__VMLINUX_H__)
struct kinfer_task_run {
	__u64 start_ns;		/* begin: when the event started (monotonic) */
	__u64 latency_ns;	/* end: from begin to end */
	__s32 err;		/* to end: 0, or why there is no result */
	__s32 label;		/* to end: the pipeline's label */
	__u32 score_bits;	/* to end: its score, IEEE-754 binary32 */
	__u32 flag_label;	/* to end: 1 when the task flags that label */
	__u32 flags;		/* end: KINFER_EVENT_* */
	__s32 verdict;		/* end: what the hook returns, 0 or -EPERM */
	__u32 max_tokens;	/* begin: the token cap for kinfer_call.max_tokens */
	__u32 reserved;
};
#endif

/*
 * The one value of a task's config map (…/kinfer/tasks/<task>/config),
 * written by the loader when it adds the task: what the hook program is
 * bound to.  The settings root changes live are in sysfs, not here.
 */
struct kinfer_task_config {
	__u32 task_id;		/* tasks/<task>/id */
	__u32 text_bytes;	/* the pipeline's text length, <= KINFER_CALL_TEXT_BYTES */
	__u64 flag_labels;	/* bit i set: the pipeline's label i is flagged */
	char task[KINFER_TASK_NAME_BYTES];
	char pipeline[KINFER_TASK_NAME_BYTES];
	char hook[16];		/* which hook program: "exec", ... */
	__u32 scope;		/* KINFER_SCOPE_*: which events the task sees */
	__u32 scope_uid;	/* with KINFER_SCOPE_UID: only this uid's */
};

#define KINFER_SCOPE_UID	0x1U	/* events of one user only */

/*
 * Hooks where the model cannot run inline (any context, interrupts off)
 * queue their text and call kinfer_task_defer(); the module's worker then
 * runs the task's runner -- a sleepable BPF_PROG_TYPE_SYSCALL program the
 * loader gave it (tasks/<task>/runner) -- in process context, with this
 * as its context.  The runner returns KINFER_DRAIN_MORE when it stopped
 * with text still queued, and is run again.
 */
#if !defined(__bpf__) || !defined(__VMLINUX_H__)
struct kinfer_drain_ctx {
	__u32 task_id;
	__u32 reserved;
};
#endif

#define KINFER_DRAIN_MORE	1

/* One record of the events ring buffer. */
struct kinfer_event {
	__u64 time_ns;		/* CLOCK_BOOTTIME of the event */
	__u64 latency_ns;	/* classification, from begin to end */
	__u32 task_id;
	__u32 flags;		/* KINFER_EVENT_* */
	__s32 verdict;		/* 0 or -EPERM */
	__s32 err;		/* 0, or why there was no result */
	__s32 label;
	__u32 score_bits;	/* IEEE-754 binary32 */
	__u32 pid;		/* thread group id */
	__u32 uid;
	__u32 text_len;		/* bytes the pipeline saw */
	char comm[16];
	__u8 text[KINFER_EVENT_TEXT_BYTES];	/* its first bytes, NUL padded */
};

#endif /* _UAPI_KINFER_TASK_H */
