/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module-wide counters of refused runs that belong to no model (the plan
 * named none, or could not be read), under /sys/kernel/kinfer/stats/.
 */
#ifndef _KINFER_STATS_H
#define _KINFER_STATS_H

#include <linux/types.h>

enum kinfer_stat {
	KINFER_STAT_DENIED,		/* context not allowed */
	KINFER_STAT_BAD_PLAN,		/* header malformed or other ABI */
	KINFER_STAT_UNKNOWN_MODEL,	/* no model has the plan's id */
	KINFER_STAT_COUNT
};

void kinfer_stat_inc(enum kinfer_stat stat);
u64 kinfer_stat_read(enum kinfer_stat stat);

#endif /* _KINFER_STATS_H */
