// SPDX-License-Identifier: GPL-2.0
/*
 * The verdict of one task event, without the FPU.
 *
 * Hooks may fire where the FPU is off limits (kinfer_task_end() runs in
 * any context a BPF program does), so scores are compared as IEEE-754
 * bit patterns mapped to integers that sort like the floats, and the
 * threshold root writes in decimal is turned into such a key once, at the
 * write.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/ktime.h>

#include "tasks.h"

#define PPM		1000000U
#define SIGN_BIT	0x80000000U
#define EXP_MASK	0x7f800000U

/* Map binary32 bits to a u32 that orders as the floats do (NaN excluded). */
static u32 float_key(u32 bits)
{
	return bits & SIGN_BIT ? ~bits : bits | SIGN_BIT;
}

static bool float_is_nan(u32 bits)
{
	return (bits & ~SIGN_BIT) > EXP_MASK;
}

/* The binary32 nearest to @ppm / 10^6, |ppm| <= 10^6, as bits. */
static u32 ppm_to_float_bits(s32 ppm)
{
	u32 sign = ppm < 0 ? SIGN_BIT : 0;
	u64 num = ppm < 0 ? -(s64)ppm : ppm;
	u64 mant;
	int shift = 0;

	if (!num)
		return sign;
	/* Scale so that num * 2^shift / 10^6 lands in [2^23, 2^24). */
	while (div64_u64(num << (shift + 1), PPM) < BIT_ULL(24))
		shift++;
	/* One extra bit, then round half up. */
	mant = (div64_u64(num << (shift + 1), PPM) + 1) >> 1;
	if (mant == BIT_ULL(24)) {
		mant >>= 1;
		shift--;
	}
	return sign | (u32)(127 + 23 - shift) << 23 | ((u32)mant & 0x7fffff);
}

/**
 * kinfer_task_threshold_key() - the ordered key of a threshold
 * @ppm: the threshold in millionths, -10^6..10^6
 *
 * Return: what kinfer_task_event_end() compares scores' keys with.
 */
u32 kinfer_task_threshold_key(s32 ppm)
{
	return float_key(ppm_to_float_bits(ppm));
}

/**
 * kinfer_task_parse_threshold() - parse a decimal threshold in [-1, 1]
 * @buf: "[-]D[.DDDDDD]" or "[-].DDDDDD", at most six decimals, one
 *	trailing newline allowed
 * @ppm: receives the value in millionths
 *
 * Return: 0 or -EINVAL (not such a number, or outside [-1, 1]).
 */
int kinfer_task_parse_threshold(const char *buf, s32 *ppm)
{
	bool neg = false, digits = false;
	u32 whole = 0, frac = 0, scale = PPM;
	const char *p = buf;

	if (*p == '-') {
		neg = true;
		p++;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (*p - '0');
		digits = true;
		if (whole > 1)
			return -EINVAL;
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (scale == 1)
				return -EINVAL;	/* more than six decimals */
			scale /= 10;
			frac += (*p - '0') * scale;
			digits = true;
		}
	}
	if (*p == '\n')
		p++;
	if (!digits || *p)
		return -EINVAL;
	if (whole * PPM + frac > PPM)
		return -EINVAL;
	*ppm = (s32)(whole * PPM + frac) * (neg ? -1 : 1);
	return 0;
}

static void task_count(struct kinfer_task *task, enum kinfer_task_stat stat)
{
	this_cpu_inc(task->stats->n[stat]);
}

/**
 * kinfer_task_event_begin() - should the hook classify this event?
 * @task_id: the task's id (its config map)
 * @run: the event's record; start_ns is set, and max_tokens when the
 *	event is to be classified
 *
 * Counts the event when the task is enabled and applies sample_rate.
 * Safe in any context.
 *
 * Return: 1 to classify, 0 to let the event pass unclassified (disabled,
 * or sampled out), -ENOENT when no task has @task_id.
 */
int kinfer_task_event_begin(u32 task_id, struct kinfer_task_run *run)
{
	struct kinfer_task *task;
	u32 rate;
	int ret;

	run->start_ns = ktime_get_mono_fast_ns();
	rcu_read_lock();
	task = kinfer_task_find(task_id);
	if (!task) {
		ret = -ENOENT;
		goto out;
	}
	ret = 0;
	if (!READ_ONCE(task->set.enabled))
		goto out;
	task_count(task, KINFER_TASK_EVENTS);
	rate = READ_ONCE(task->set.sample_rate);
	if (rate > 1 && (u32)atomic_inc_return(&task->seq) % rate) {
		task_count(task, KINFER_TASK_SAMPLED_OUT);
		goto out;
	}
	run->max_tokens = READ_ONCE(task->set.max_tokens);
	ret = 1;
out:
	rcu_read_unlock();
	return ret;
}

static void note_latency(struct kinfer_task *task, u64 ns)
{
	s64 max = atomic64_read(&task->max_latency_ns);

	WRITE_ONCE(task->last_latency_ns, ns);
	while ((u64)max < ns &&
	       !atomic64_try_cmpxchg(&task->max_latency_ns, &max, ns))
		;
}

/**
 * kinfer_task_event_end() - the verdict on a classified event
 * @task_id: as given to kinfer_task_event_begin()
 * @run: err, label, score_bits and flag_label filled in by the hook;
 *	flags, verdict and latency_ns are set
 *
 * An event is flagged when the hook says its label is one the task flags
 * and the score is at least the threshold; it has an error when err is
 * set or the score is NaN.  In enforce mode a flagged event is denied,
 * and an error is denied when on_error is deny.  Safe in any context.
 *
 * Return: the verdict, 0 or -EPERM; 0 when no task has @task_id (it was
 * removed while the event was classified).
 */
int kinfer_task_event_end(u32 task_id, struct kinfer_task_run *run)
{
	struct kinfer_task *task;
	bool deny = false;
	u32 flags = 0;

	run->latency_ns = ktime_get_mono_fast_ns() - run->start_ns;
	run->verdict = 0;
	rcu_read_lock();
	task = kinfer_task_find(task_id);
	if (!task) {
		run->flags = 0;
		rcu_read_unlock();
		return 0;
	}
	if (READ_ONCE(task->set.mode) == KINFER_MODE_ENFORCE)
		flags |= KINFER_EVENT_ENFORCE;
	if (run->err || float_is_nan(run->score_bits)) {
		flags |= KINFER_EVENT_ERROR;
		task_count(task, KINFER_TASK_ERRORS);
		deny = READ_ONCE(task->set.on_error) == KINFER_ON_ERROR_DENY;
	} else if (run->flag_label &&
		   float_key(run->score_bits) >=
		   READ_ONCE(task->set.threshold_key)) {
		flags |= KINFER_EVENT_FLAGGED;
		task_count(task, KINFER_TASK_FLAGGED);
		deny = true;
	}
	if (deny && (flags & KINFER_EVENT_ENFORCE)) {
		flags |= KINFER_EVENT_DENIED;
		task_count(task, KINFER_TASK_DENIED);
		run->verdict = -EPERM;
	}
	note_latency(task, run->latency_ns);
	rcu_read_unlock();
	run->flags = flags;
	return run->verdict;
}
