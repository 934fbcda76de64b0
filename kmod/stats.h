/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module-wide counters under /sys/kernel/kinfer/stats/: refused runs that
 * belong to no model (the plan named none, or could not be read), and
 * acquires by the kind of context they asked for (ctx.h, enum
 * kinfer_level): granted, refused because that context was in use, or
 * refused because a sleepable context could not be allocated.
 */
#ifndef _KINFER_STATS_H
#define _KINFER_STATS_H

#include <linux/types.h>

enum kinfer_stat {
	KINFER_STAT_DENIED,		/* context not allowed */
	KINFER_STAT_BAD_PLAN,		/* header malformed or other ABI */
	KINFER_STAT_UNKNOWN_MODEL,	/* no model has the plan's id */
	/* Granted, per enum kinfer_level, in its order. */
	KINFER_STAT_ACQUIRED_TASK,
	KINFER_STAT_ACQUIRED_SOFTIRQ,
	KINFER_STAT_ACQUIRED_HARDIRQ,
	KINFER_STAT_ACQUIRED_SLEEPABLE,
	/* -EBUSY, per enum kinfer_level, in its order. */
	KINFER_STAT_BUSY_TASK,
	KINFER_STAT_BUSY_SOFTIRQ,
	KINFER_STAT_BUSY_HARDIRQ,
	KINFER_STAT_BUSY_SLEEPABLE,
	KINFER_STAT_SLEEPABLE_NOMEM,	/* a pooled context: -ENOMEM */
	KINFER_STAT_COUNT
};

void kinfer_stat_inc(enum kinfer_stat stat);
u64 kinfer_stat_read(enum kinfer_stat stat);

#endif /* _KINFER_STATS_H */
