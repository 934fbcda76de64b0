// SPDX-License-Identifier: GPL-2.0
/*
 * Module-wide counters: per-CPU, so any context (NMI included) may count.
 */
#include <linux/percpu.h>

#include "stats.h"

static DEFINE_PER_CPU(u64, kinfer_stats[KINFER_STAT_COUNT]);

void kinfer_stat_inc(enum kinfer_stat stat)
{
	this_cpu_inc(kinfer_stats[stat]);
}

u64 kinfer_stat_read(enum kinfer_stat stat)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu(kinfer_stats[stat], cpu));
	return sum;
}
