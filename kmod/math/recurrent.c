// SPDX-License-Identifier: GPL-2.0
/*
 * The parts of the LSTM, GRU and RNN evals they share (recurrent.h).
 *
 * Semantics at the sequence ends follow ONNX Runtime: steps past a batch
 * row's sequence length leave its state alone and write zeros to Y; a
 * row of length 0 gets zero Y_h and Y_c.  The reverse direction runs
 * t = len - 1 down to 0 within each row's own length.
 */
#include "recurrent.h"

/*
 * Four partial sums, added in a fixed order: a different association
 * than a single running sum, but the same on every run and every split.
 */
static inline float dot(const float *restrict a, const float *restrict b,
			size_t n)
{
	float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
	size_t i;

	for (i = 0; i + 4 <= n; i += 4) {
		s0 += a[i] * b[i];
		s1 += a[i + 1] * b[i + 1];
		s2 += a[i + 2] * b[i + 2];
		s3 += a[i + 3] * b[i + 3];
	}
	for (; i < n; i++)
		s0 += a[i] * b[i];
	return (s0 + s1) + (s2 + s3);
}

/**
 * kinfer_rnn_dots() - rows of a matrix dotted with a vector
 * @out: [n] results; added to when @add
 * @x: [k] the vector
 * @w: [n, k] the rows
 * @k: their length
 * @n: rows
 * @add: add to @out instead of replacing it
 */
void kinfer_rnn_dots(float *restrict out, const float *restrict x,
		     const float *restrict w, size_t k, size_t n, bool add)
{
	size_t j;

	for (j = 0; j < n; j++)
		out[j] = (add ? out[j] : 0.0f) + dot(x, w + j * k, k);
}

/**
 * kinfer_rnn_gates() - gate rows of a unit's block before bias and act
 * @un: the unit
 * @out: [un->n] results: x . W[row + j]^T + h . R[row + j]^T
 * @row: first row of W and R
 */
void kinfer_rnn_gates(const struct kinfer_rnn_unit *un, float *out,
		      uint64_t row)
{
	const struct kinfer_rnn_plan *p = un->p;

	kinfer_rnn_dots(out, un->x, un->w + row * p->input, p->input, un->n,
			false);
	kinfer_rnn_dots(out, un->h, un->r + row * p->hidden, p->hidden, un->n,
			true);
}

/**
 * kinfer_rnn_act() - apply one of the direction's activations in place
 * @un: the unit
 * @act: which: 0 f, 1 g, 2 h
 * @v: [n] values
 * @n: their number
 */
void kinfer_rnn_act(const struct kinfer_rnn_unit *un, uint32_t act, float *v,
		    size_t n)
{
	const struct kinfer_rnn_act *f = &un->act[act];
	kinfer_row_fn fn = kinfer_unary_row(f->op);

	fn(v, v, n, &f->attr);
}

/**
 * kinfer_rnn_gate_in() - finish a gate: peephole, bias, clip, activation
 * @un: the unit
 * @v: [n] the gate rows, x . W^T + h . R^T; the gate on return
 * @n: hidden units
 * @peep: peephole weights, or NULL
 * @cell: the cell state the peepholes weigh (with @peep)
 * @wb: Wb of the gate, or NULL
 * @rb: Rb of the gate, or NULL
 * @act: the activation, as for kinfer_rnn_act()
 */
void kinfer_rnn_gate_in(const struct kinfer_rnn_unit *un, float *v, size_t n,
			const float *peep, const float *cell, const float *wb,
			const float *rb, uint32_t act)
{
	const float lim = un->a->clip.f;
	size_t j;

	for (j = 0; j < n; j++) {
		float s = v[j];

		if (peep)
			s += peep[j] * cell[j];
		if (wb)
			s += rb ? wb[j] + rb[j] : wb[j];
		/* NaN compares false both ways and stays NaN. */
		if (un->a->flags & KINFER_RNN_CLIP) {
			if (s > lim)
				s = lim;
			else if (s < -lim)
				s = -lim;
		}
		v[j] = s;
	}
	kinfer_rnn_act(un, act, v, n);
}

/* Optional float input @i from element @off, or NULL when omitted. */
static const float *opt_in(const struct kinfer_exec *ex, uint32_t i,
			   uint64_t off)
{
	if (ex->n_in <= i || !ex->t[i].data)
		return NULL;
	return (const float *)ex->t[i].data + off;
}

/* Step 0 starts from h0 and c0, or zeros; a row of length 0 ends there. */
static void init_state(const struct kinfer_exec *ex, struct kinfer_rnn_unit *un,
		       uint64_t off, uint64_t len)
{
	size_t bytes = un->p->hidden * sizeof(float);
	const float *h0 = opt_in(ex, KINFER_RNN_H0, off);
	const float *c0 = opt_in(ex, KINFER_RNN_C0, off);

	if (h0 && len)
		memcpy(un->h, h0, bytes);
	else
		memset(un->h, 0, bytes);
	if (!un->c)
		return;
	if (c0 && len)
		memcpy(un->c, c0, bytes);
	else
		memset(un->c, 0, bytes);
}

/**
 * kinfer_rnn_unit() - locate unit @u of a recurrent node
 * @ex: the node
 * @u: the unit
 * @un: filled when the unit computes
 *
 * Starts the state at the first unit of step 0 and writes the zeros of
 * Y past the end of a sequence (at the last unit of that step).
 *
 * Return: 1 when the unit computes, 0 when its step is past the end of
 * its sequence (nothing more to do), -ERANGE for a sequence length
 * outside [0, T].
 */
int kinfer_rnn_unit(const struct kinfer_exec *ex, uint64_t u,
		    struct kinfer_rnn_unit *un)
{
	const struct kinfer_rnn_plan *p = &ex->s.rnn;
	const struct kinfer_attr_rnn *a = ex->attr;
	const int32_t *seq = ex->n_in > KINFER_RNN_SEQ ?
			     (const int32_t *)ex->t[KINFER_RNN_SEQ].data : NULL;
	float *y = (float *)ex->t[ex->n_in].data;
	uint64_t per_step = p->phases * p->blocks;
	uint64_t k = u % per_step, rest = u / per_step;
	uint64_t b = rest % p->batch, d = rest / p->batch % p->dirs;
	uint64_t s = rest / p->batch / p->dirs;
	uint64_t soff = d * p->s_ds + b * p->s_bs, len = p->seq, t;
	uint64_t blk = k % p->blocks, gh = p->gates * p->hidden;
	const float *bias = opt_in(ex, KINFER_RNN_B, d * 2 * gh);

	if (seq) {
		if (seq[b] < 0 || (uint64_t)seq[b] > p->seq)
			return -ERANGE;
		len = (uint64_t)seq[b];
	}
	un->p = p;
	un->a = a;
	un->h = (float *)ex->t[ex->n_in + 1].data + soff;
	un->c = ex->node->op == KINFER_OP_LSTM ?
		(float *)ex->t[ex->n_in + 2].data + soff : NULL;
	if (s == 0 && k == 0)
		init_state(ex, un, soff, len);
	if (s >= len) {
		if (y && k == per_step - 1)
			memset(y + s * p->y_ts + d * p->y_ds + b * p->y_bs, 0,
			       p->hidden * sizeof(float));
		return 0;
	}
	t = a->direction == KINFER_RNN_REVERSE || d == 1 ? len - 1 - s : s;
	un->act = a->act[d];
	un->j0 = blk * p->block;
	un->n = kinfer_min_u64(p->block, p->hidden - un->j0);
	un->phase = k / p->blocks;
	un->finish = blk == p->blocks - 1;
	un->x = (const float *)ex->t[KINFER_RNN_X].data + t * p->x_ts +
		b * p->x_bs;
	un->w = (const float *)ex->t[KINFER_RNN_W].data + d * gh * p->input;
	un->r = (const float *)ex->t[KINFER_RNN_R].data + d * gh * p->hidden;
	un->wb = bias;
	un->rb = bias ? bias + gh : NULL;
	un->peep = opt_in(ex, KINFER_RNN_P, d * 3 * p->hidden);
	un->y = y ? y + t * p->y_ts + d * p->y_ds + b * p->y_bs : NULL;
	un->work = (float *)ex->t[ex->n_in + ex->n_out - 1].data +
		   (d * p->batch + b) * p->work_row;
	return 1;
}
