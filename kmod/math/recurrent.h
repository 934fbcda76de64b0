/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the LSTM, GRU and RNN evals share: where a unit's step is, what it
 * reads and writes, and the gate arithmetic.  The unit order and the
 * tensors are described in kmod/ops/recurrent.c.
 */
#ifndef _KINFER_MATH_RECURRENT_H
#define _KINFER_MATH_RECURRENT_H

#include "ops/exec.h"
#include "kinfer_math.h"

/**
 * struct kinfer_rnn_unit - one unit of a recurrent op, located
 * @p: the node's plan
 * @a: its attributes
 * @act: the activation functions of the unit's direction
 * @j0: first hidden unit of the block
 * @n: hidden units in the block
 * @phase: 0, or 1 (GRU's second phase)
 * @finish: the unit is the last block of its phase
 * @x: X[t, b], @p->input floats
 * @w: W of the direction, [G*H, I]
 * @r: R of the direction, [G*H, H]
 * @wb: Wb of the direction (G*H floats), or NULL
 * @rb: Rb of the direction (G*H floats), or NULL with @wb
 * @peep: LSTM: P of the direction (3*H floats), or NULL
 * @h: Y_h[d, b]: h of the step before, until the step finishes
 * @c: LSTM: Y_c[d, b], likewise
 * @y: Y[t, d, b], or NULL when Y is omitted
 * @work: the gates of the (direction, batch row), @p->work_row floats
 */
struct kinfer_rnn_unit {
	const struct kinfer_rnn_plan *p;
	const struct kinfer_attr_rnn *a;
	const struct kinfer_rnn_act *act;
	uint64_t j0, n, phase;
	bool finish;
	const float *x, *w, *r, *wb, *rb, *peep;
	float *h, *c, *y, *work;
};

int kinfer_rnn_unit(const struct kinfer_exec *ex, uint64_t u,
		    struct kinfer_rnn_unit *un);

/* out[j] (+)= sum_l x[l] * w[j * k + l], j < n: rows of w dotted with x */
void kinfer_rnn_dots(float *out, const float *x, const float *w, size_t k,
		     size_t n, bool add);

/* Gate rows [row, row + un->n) of the block: x . W^T + h . R^T. */
void kinfer_rnn_gates(const struct kinfer_rnn_unit *un, float *out,
		      uint64_t row);

/* v = act(v): the @act-th function of the unit's direction, in place. */
void kinfer_rnn_act(const struct kinfer_rnn_unit *un, uint32_t act, float *v,
		    size_t n);

/*
 * v[j] = clip((v[j] + peep[j] * cell[j]) + (wb[j] + rb[j])), j < n, then
 * act(v).  peep/cell, wb and rb may each be NULL (term left out).
 */
void kinfer_rnn_gate_in(const struct kinfer_rnn_unit *un, float *v, size_t n,
			const float *peep, const float *cell, const float *wb,
			const float *rb, uint32_t act);

#endif /* _KINFER_MATH_RECURRENT_H */
