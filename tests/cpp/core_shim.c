// SPDX-License-Identifier: GPL-2.0
/*
 * kinfer_core behind one C entry point, for Python tests that run single
 * hand-built nodes through the kernel's own prepare and eval
 * (tests/python/test_int8_kernels.py, through ctypes).
 */
#include "ops/exec.h"

/*
 * Prepare the node in @node_bytes against @arena and evaluate it in
 * sections of at most @section units (0: all at once).  Returns the
 * prepare's or the eval's error, or 0; *@units gets the node's units.
 */
__attribute__((visibility("default")))
int kinfer_test_run_node(const void *node_bytes, uint32_t node_size,
			 void *arena, uint32_t arena_size, uint64_t section,
			 uint64_t *units)
{
	static uint64_t copy[KINFER_MAX_NODE_BYTES / 8];
	struct kinfer_buffers bufs;
	struct kinfer_exec ex;
	uint32_t cursor = 0;
	uint64_t u, end;
	int ret;

	ret = kinfer_node_load(node_bytes, node_size, &cursor, copy);
	if (ret)
		return ret;
	memset(&bufs, 0, sizeof(bufs));
	bufs.arena.data = arena;
	bufs.arena.size = arena_size;
	ret = kinfer_node_prepare(&ex, (const struct kinfer_node *)copy, &bufs);
	if (ret)
		return ret;
	*units = ex.units;
	for (u = 0; u < ex.units; u = end) {
		end = section && ex.units - u > section ? u + section : ex.units;
		ret = ex.desc->eval(&ex, u, end);
		if (ret)
			return ret;
	}
	return 0;
}
