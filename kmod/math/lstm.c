// SPDX-License-Identifier: GPL-2.0
/*
 * LSTM (ONNX), gates i, o, f, c; f, g, h are the direction's activations
 * (default Sigmoid, Tanh, Tanh), P the peepholes:
 *
 *	i = f(x W_i^T + h R_i^T + P_i (.) C + Wb_i + Rb_i)
 *	f = f(x W_f^T + h R_f^T + P_f (.) C + Wb_f + Rb_f)	input_forget: 1 - i
 *	c = g(x W_c^T + h R_c^T + Wb_c + Rb_c)
 *	C' = f (.) C + i (.) c
 *	o = f(x W_o^T + h R_o^T + P_o (.) C' + Wb_o + Rb_o)
 *	h' = o (.) h(C')
 *
 * clip bounds each gate's input to f or g (not C' going into h), as ONNX
 * Runtime does.  A unit computes the four gate rows of its block of
 * hidden units into the work row; the last block then applies the
 * update, after which Y_h and Y_c hold h' and C'.
 */
#include "recurrent.h"

/* Gate @g's part of a bias vector in gate order i, o, f, c, or NULL. */
static const float *part(const float *v, uint64_t g, uint64_t hn)
{
	return v ? v + g * hn : NULL;
}

static void lstm_update(const struct kinfer_rnn_unit *un)
{
	const uint64_t hn = un->p->hidden;
	float *gi = un->work, *go = gi + hn, *gf = go + hn, *gc = gf + hn;
	const float *pi = un->peep, *po = pi ? pi + hn : NULL;
	const float *pf = pi ? pi + 2 * hn : NULL;
	const float *wb = un->wb, *rb = un->rb;
	float *cell = un->c;
	uint64_t j;

	kinfer_rnn_gate_in(un, gi, hn, pi, cell, part(wb, 0, hn),
			   part(rb, 0, hn), 0);
	if (un->a->flags & KINFER_RNN_INPUT_FORGET) {
		for (j = 0; j < hn; j++)
			gf[j] = 1.0f - gi[j];
	} else {
		kinfer_rnn_gate_in(un, gf, hn, pf, cell, part(wb, 2, hn),
				   part(rb, 2, hn), 0);
	}
	kinfer_rnn_gate_in(un, gc, hn, NULL, NULL, part(wb, 3, hn),
			   part(rb, 3, hn), 1);
	for (j = 0; j < hn; j++)
		cell[j] = gf[j] * cell[j] + gi[j] * gc[j];
	kinfer_rnn_gate_in(un, go, hn, po, cell, part(wb, 1, hn),
			   part(rb, 1, hn), 0);
	/* h(C') in the c row, which is used up. */
	memcpy(gc, cell, hn * sizeof(float));
	kinfer_rnn_act(un, 2, gc, hn);
	for (j = 0; j < hn; j++)
		un->h[j] = go[j] * gc[j];
	if (un->y)
		memcpy(un->y, un->h, hn * sizeof(float));
}

/**
 * kinfer_eval_lstm() - compute units [@begin, @end) of an LSTM node
 * @ex: the node, prepared by kinfer_prepare_recurrent()
 * @begin: first unit
 * @end: past the last unit
 *
 * Return: 0, or -ERANGE for a sequence length outside [0, T].
 */
int kinfer_eval_lstm(const struct kinfer_exec *ex, uint64_t begin,
		     uint64_t end)
{
	struct kinfer_rnn_unit un;
	uint64_t u, g;
	int ret;

	for (u = begin; u < end; u++) {
		ret = kinfer_rnn_unit(ex, u, &un);
		if (ret < 0)
			return ret;
		if (!ret)
			continue;
		for (g = 0; g < 4; g++)
			kinfer_rnn_gates(&un, un.work + g * un.p->hidden + un.j0,
					 g * un.p->hidden + un.j0);
		if (un.finish)
			lstm_update(&un);
	}
	return 0;
}
