// SPDX-License-Identifier: GPL-2.0
/*
 * GRU (ONNX), gates z, r, h; f, g are the direction's activations
 * (default Sigmoid, Tanh):
 *
 *	z = f(x W_z^T + h R_z^T + Wb_z + Rb_z)
 *	r = f(x W_r^T + h R_r^T + Wb_r + Rb_r)
 *	n = g(x W_h^T + (r (.) h) R_h^T + Rb_h + Wb_h)	(linear_before_reset 0)
 *	n = g(x W_h^T + r (.) (h R_h^T + Rb_h) + Wb_h)	(linear_before_reset 1)
 *	h' = (1 - z) (.) n + z (.) h
 *
 * clip bounds the inputs of f and g.  Work row: z, r, n and an extra
 * row (r (.) h, or h R_h^T).  Phase 0 computes the gate rows of a block;
 * its last block computes r.  Without linear_before_reset, phase 1 then
 * adds (r (.) h) R_h^T block by block, which needs all of r; the last
 * block of the last phase applies the update.
 */
#include "recurrent.h"

/* Phase 0's last block: r, and what n needs of it. */
static void gru_reset(const struct kinfer_rnn_unit *un, bool lbr)
{
	const uint64_t hn = un->p->hidden;
	float *gr = un->work + hn, *gn = gr + hn, *aux = gn + hn;
	const float *rbh = un->rb ? un->rb + 2 * hn : NULL;
	uint64_t j;

	kinfer_rnn_gate_in(un, gr, hn, NULL, NULL, un->wb ? un->wb + hn : NULL,
			   un->rb ? un->rb + hn : NULL, 0);
	if (!lbr) {
		for (j = 0; j < hn; j++)
			aux[j] = gr[j] * un->h[j];
		return;
	}
	for (j = 0; j < hn; j++)
		gn[j] += gr[j] * (rbh ? aux[j] + rbh[j] : aux[j]);
}

static void gru_update(const struct kinfer_rnn_unit *un, bool lbr)
{
	const uint64_t hn = un->p->hidden;
	float *gz = un->work, *gn = gz + 2 * hn;
	uint64_t j;

	kinfer_rnn_gate_in(un, gz, hn, NULL, NULL, un->wb, un->rb, 0);
	/* With linear_before_reset, Rb_h is inside already. */
	kinfer_rnn_gate_in(un, gn, hn, NULL, NULL,
			   un->wb ? un->wb + 2 * hn : NULL,
			   un->rb && !lbr ? un->rb + 2 * hn : NULL, 1);
	for (j = 0; j < hn; j++)
		un->h[j] = (1.0f - gz[j]) * gn[j] + gz[j] * un->h[j];
	if (un->y)
		memcpy(un->y, un->h, hn * sizeof(float));
}

/* Phase 0 of a block: x W^T + h R^T for z and r, x W_h^T for n. */
static void gru_rows(const struct kinfer_rnn_unit *un, bool lbr)
{
	const struct kinfer_rnn_plan *p = un->p;
	const uint64_t hn = p->hidden, j0 = un->j0;
	float *w = un->work;

	kinfer_rnn_gates(un, w + j0, j0);
	kinfer_rnn_gates(un, w + hn + j0, hn + j0);
	kinfer_rnn_dots(w + 2 * hn + j0, un->x,
			un->w + (2 * hn + j0) * p->input, p->input, un->n,
			false);
	if (lbr)
		kinfer_rnn_dots(w + 3 * hn + j0, un->h,
				un->r + (2 * hn + j0) * hn, hn, un->n, false);
}

/**
 * kinfer_eval_gru() - compute units [@begin, @end) of a GRU node
 * @ex: the node, prepared by kinfer_prepare_recurrent()
 * @begin: first unit
 * @end: past the last unit
 *
 * Return: 0, or -ERANGE for a sequence length outside [0, T].
 */
int kinfer_eval_gru(const struct kinfer_exec *ex, uint64_t begin,
		    uint64_t end)
{
	const struct kinfer_attr_rnn *a = ex->attr;
	const bool lbr = a->flags & KINFER_RNN_LINEAR_BEFORE_RESET;
	struct kinfer_rnn_unit un;
	uint64_t u, hn;
	int ret;

	for (u = begin; u < end; u++) {
		ret = kinfer_rnn_unit(ex, u, &un);
		if (ret < 0)
			return ret;
		if (!ret)
			continue;
		hn = un.p->hidden;
		if (un.phase == 0) {
			gru_rows(&un, lbr);
			if (un.finish)
				gru_reset(&un, lbr);
		} else {
			/* n += (r (.) h) R_h^T */
			kinfer_rnn_dots(un.work + 2 * hn + un.j0, un.work + 3 * hn,
					un.r + (2 * hn + un.j0) * hn, hn, un.n,
					true);
		}
		if (un.finish && un.phase == un.p->phases - 1)
			gru_update(&un, lbr);
	}
	return 0;
}
