/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Geometry shared by the sliding-window classes (conv, conv_transpose,
 * pool): their attribute arrays checked and laid out as the three axes of
 * struct kinfer_window_plan.  Integer-only, like every prepare.
 */
#ifndef _KINFER_OPS_WINDOW_H
#define _KINFER_OPS_WINDOW_H

#include "ops/exec.h"

/*
 * Output channels a CONV unit computes together (at most): the eval reuses
 * each input value for 4 channels in registers, and for all of a unit's
 * channels from the cache.  Fewer when a run of KINFER_WINDOW_RUN columns
 * of them would not fit one section.
 */
#define KINFER_CONV_MB		16U
#define KINFER_WINDOW_RUN	32U

/* The spatial fields of an attribute block, one entry per spatial axis. */
struct kinfer_window_attr {
	uint32_t n_spatial;
	const uint32_t *kernel;
	const uint32_t *strides;
	const uint32_t *dilations;
	const uint32_t *pads_begin;
	const uint32_t *pads_end;
};

int kinfer_window_axes(struct kinfer_window_plan *p,
		       const struct kinfer_window_attr *a,
		       const struct kinfer_view *x,
		       const struct kinfer_view *y);
int kinfer_window_span(const struct kinfer_window_plan *p, uint32_t axis,
		       uint64_t *span);
int kinfer_window_units(struct kinfer_exec *ex, struct kinfer_window_plan *p,
			uint64_t col_work, uint64_t mb);
int kinfer_window_check_act(uint32_t act,
			    const struct kinfer_attr_alpha_beta *act_attr);

/* True when every entry of @v[0..n) is 0. */
static inline bool kinfer_all_zero(const uint32_t *v, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (v[i])
			return false;
	return true;
}

#endif /* _KINFER_OPS_WINDOW_H */
