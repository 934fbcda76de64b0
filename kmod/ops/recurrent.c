// SPDX-License-Identifier: GPL-2.0
/*
 * The recurrent class: LSTM, GRU and RNN (ONNX semantics).  Tensors and
 * attributes are described at struct kinfer_attr_rnn (uapi/kinfer.h).
 *
 * With plan ABI 2 every constant operand (W, R, B, P, and h0, c0 or the
 * sequence lengths when they are constants) is a buffer bound before the
 * node, so the op takes all eight of its inputs without the five-argument
 * limit of a kfunc call.
 *
 * A time step depends on the one before, so the compute is split along
 * the recurrence: a unit is one block of hidden units of one phase of one
 * step of one (direction, batch row).  Units are numbered
 *
 *	u = (((s * D + d) * B + b) * phases + phase) * blocks + block
 *
 * so that units run in increasing order (as the kernel and the reference
 * executor run them, whatever the split into sections) meet every step
 * after the one before it.  A unit computes the gate rows of its block
 * (x_t . W^T + h . R^T: G * (I + H) multiply-adds per hidden unit); the
 * last block of a phase then finishes the phase over all H hidden units
 * (activations, the cell update), once every gate row it reads is done.
 * GRU without linear_before_reset has two phases: (r (.) h) . Rh^T needs
 * all of r first.  The block is the largest that keeps a unit within
 * one section; it is fixed here, so the results do not depend on how the
 * units are split into sections.
 *
 * The recurrent state lives in the outputs: Y_h (and Y_c) hold h (and c)
 * of the last step done, and the work tensor the gates of the step in
 * progress, one row per (direction, batch row).  Eval never allocates.
 */
#include "ops/exec.h"

/* What differs between the three ops. */
struct rnn_kind {
	uint32_t gates;		/* G */
	uint32_t n_in;		/* most inputs */
	uint32_t n_out;		/* outputs, work included */
	uint32_t acts;		/* activation functions per direction */
	uint32_t flags;		/* allowed KINFER_RNN_* flags */
};

static const struct rnn_kind *rnn_kind_of(uint32_t op)
{
	static const struct rnn_kind lstm = {
		4, 8, 4, 3, KINFER_RNN_CLIP | KINFER_RNN_INPUT_FORGET,
	};
	static const struct rnn_kind gru = {
		3, 6, 3, 2, KINFER_RNN_CLIP | KINFER_RNN_LINEAR_BEFORE_RESET,
	};
	static const struct rnn_kind rnn = { 1, 6, 3, 1, KINFER_RNN_CLIP };

	switch (op) {
	case KINFER_OP_LSTM:
		return &lstm;
	case KINFER_OP_GRU:
		return &gru;
	case KINFER_OP_RNN:
		return &rnn;
	default:
		return NULL;
	}
}

static bool is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

/*
 * An activation is a unary-class op; parameters its attribute block does
 * not have must be 0.  Its cost per element goes to *cost.
 */
static int check_act(const struct kinfer_rnn_act *a, uint64_t *cost)
{
	const struct kinfer_op_desc *d = kinfer_op_desc(a->op);

	if (!d || d->prepare != kinfer_prepare_unary)
		return -EINVAL;
	if (d->attr_bytes < sizeof(a->attr.alpha) && a->attr.alpha.bits)
		return -EINVAL;
	if (d->attr_bytes < sizeof(a->attr) && a->attr.beta.bits)
		return -EINVAL;
	*cost = d->cost;
	return 0;
}

/*
 * Attributes; *elem receives the work of finishing one hidden unit of
 * one step (its activations and the arithmetic around them).
 */
static int check_attr(const struct kinfer_attr_rnn *a,
		      const struct rnn_kind *k, uint32_t dirs, uint64_t *elem)
{
	/* Applications of f, g, h per hidden unit and step. */
	static const uint64_t uses[5][KINFER_RNN_ACTS] = {
		[1] = { 1, 0, 0 }, [3] = { 2, 1, 0 }, [4] = { 3, 1, 1 },
	};
	uint64_t cost[KINFER_RNN_ACTS] = { 0 }, c;
	uint32_t d, i;
	int ret;

	if (a->reserved || a->layout > 1 || a->flags & ~k->flags)
		return -EINVAL;
	if (a->direction > KINFER_RNN_BIDIRECTIONAL ||
	    dirs != (a->direction == KINFER_RNN_BIDIRECTIONAL ? 2U : 1U))
		return -EINVAL;
	/* clip > 0, +Inf allowed, NaN not: as bits, 0 < clip <= +Inf. */
	if ((a->flags & KINFER_RNN_CLIP) ?
	    (!a->clip.bits || a->clip.bits > 0x7f800000U) : a->clip.bits)
		return -EINVAL;
	for (d = 0; d < 2; d++) {
		for (i = 0; i < KINFER_RNN_ACTS; i++) {
			const struct kinfer_rnn_act *act = &a->act[d][i];

			if (d >= dirs || i >= k->acts) {
				if (!is_zero(act, sizeof(*act)))
					return -EINVAL;
				continue;
			}
			ret = check_act(act, &c);
			if (ret)
				return ret;
			cost[i] = kinfer_max_u64(cost[i], c);
		}
	}
	*elem = 16;
	for (i = 0; i < KINFER_RNN_ACTS; i++)
		*elem += uses[k->gates][i] * cost[i];
	return 0;
}

static bool is_f32(const struct kinfer_view *v)
{
	return v->dtype == KINFER_DTYPE_FLOAT32;
}

static bool dims_are(const struct kinfer_view *v, uint32_t rank,
		     uint64_t d0, uint64_t d1, uint64_t d2, uint64_t d3)
{
	const uint64_t want[4] = { d0, d1, d2, d3 };
	uint32_t i;

	if (v->rank != rank)
		return false;
	for (i = 0; i < rank; i++)
		if (v->dims[i] != want[i])
			return false;
	return true;
}

/* A state tensor (h0, c0, Y_h, Y_c): [D, B, H], layout 1 [B, D, H]. */
static bool state_ok(const struct kinfer_view *v, const struct kinfer_rnn_plan *p,
		     uint32_t layout)
{
	if (!is_f32(v))
		return false;
	return layout ? dims_are(v, 3, p->batch, p->dirs, p->hidden, 0) :
			dims_are(v, 3, p->dirs, p->batch, p->hidden, 0);
}

/* X, W, R: the geometry. */
static int read_geometry(struct kinfer_exec *ex, const struct kinfer_attr_rnn *a,
			 const struct rnn_kind *k)
{
	struct kinfer_rnn_plan *p = &ex->s.rnn;
	const struct kinfer_view *x = kinfer_in(ex, KINFER_RNN_X);
	const struct kinfer_view *w = kinfer_in(ex, KINFER_RNN_W);
	const struct kinfer_view *r = kinfer_in(ex, KINFER_RNN_R);

	if (!is_f32(x) || !is_f32(w) || !is_f32(r) || x->rank != 3 ||
	    r->rank != 3)
		return -EINVAL;
	p->seq = x->dims[a->layout ? 1 : 0];
	p->batch = x->dims[a->layout ? 0 : 1];
	p->input = x->dims[2];
	p->hidden = r->dims[2];
	p->dirs = r->dims[0];
	p->gates = k->gates;
	if (p->hidden != a->hidden_size || p->dirs > 2)
		return -EINVAL;
	if (!dims_are(w, 3, p->dirs, k->gates * p->hidden, p->input, 0) ||
	    !dims_are(r, 3, p->dirs, k->gates * p->hidden, p->hidden, 0))
		return -EINVAL;
	return 0;
}

/* The optional inputs, present or not. */
static int check_optional(struct kinfer_exec *ex, const struct kinfer_attr_rnn *a)
{
	const struct kinfer_rnn_plan *p = &ex->s.rnn;
	const struct kinfer_view *v;
	uint32_t i;

	for (i = KINFER_RNN_B; i < ex->n_in; i++) {
		v = kinfer_in(ex, i);
		if (!v->data)
			continue;
		switch (i) {
		case KINFER_RNN_B:
			if (!is_f32(v) ||
			    !dims_are(v, 2, p->dirs, 2 * p->gates * p->hidden, 0, 0))
				return -EINVAL;
			break;
		case KINFER_RNN_SEQ:
			if (v->dtype != KINFER_DTYPE_INT32 ||
			    !dims_are(v, 1, p->batch, 0, 0, 0))
				return -EINVAL;
			break;
		case KINFER_RNN_P:
			if (!is_f32(v) || !dims_are(v, 2, p->dirs, 3 * p->hidden, 0, 0))
				return -EINVAL;
			break;
		default:	/* h0, c0 */
			if (!state_ok(v, p, a->layout))
				return -EINVAL;
		}
	}
	return 0;
}

static int check_outputs(struct kinfer_exec *ex, const struct kinfer_attr_rnn *a,
			 const struct rnn_kind *k)
{
	const struct kinfer_rnn_plan *p = &ex->s.rnn;
	const struct kinfer_view *y = kinfer_out(ex, 0);
	const struct kinfer_view *work = kinfer_out(ex, k->n_out - 1);
	uint32_t i;

	if (y->data && (!is_f32(y) ||
			!(a->layout ? dims_are(y, 4, p->batch, p->seq, p->dirs, p->hidden) :
				      dims_are(y, 4, p->seq, p->dirs, p->batch, p->hidden))))
		return -EINVAL;
	/* Y_h (and Y_c) hold the state: always present. */
	for (i = 1; i < k->n_out - 1; i++)
		if (!kinfer_out(ex, i)->data || !state_ok(kinfer_out(ex, i), p, a->layout))
			return -EINVAL;
	if (!work->data || !is_f32(work) ||
	    !dims_are(work, 3, p->dirs, p->batch, p->work_row, 0))
		return -EINVAL;
	return 0;
}

static void set_strides(struct kinfer_rnn_plan *p, uint32_t layout)
{
	uint64_t dh = p->dirs * p->hidden;

	if (layout) {
		p->x_ts = p->input;
		p->x_bs = p->seq * p->input;
		p->y_ts = dh;
		p->y_ds = p->hidden;
		p->y_bs = p->seq * dh;
		p->s_ds = p->hidden;
		p->s_bs = dh;
	} else {
		p->x_ts = p->batch * p->input;
		p->x_bs = p->input;
		p->y_ts = p->batch * dh;
		p->y_ds = p->batch * p->hidden;
		p->y_bs = p->hidden;
		p->s_ds = p->batch * p->hidden;
		p->s_bs = p->hidden;
	}
}

/*
 * The block of hidden units per unit: the gate rows of a block plus the
 * finishing of a phase (elem work per hidden unit) fit one section.
 */
static int plan_blocks(struct kinfer_exec *ex, uint64_t elem)
{
	struct kinfer_rnn_plan *p = &ex->s.rnn;
	uint64_t per_unit = p->gates * (p->input + p->hidden) * ex->desc->cost;
	uint64_t finish = p->hidden * elem, units;

	if (finish >= KINFER_FPU_CHUNK || per_unit > KINFER_FPU_CHUNK - finish)
		return -E2BIG;
	p->block = kinfer_min_u64(p->hidden, (KINFER_FPU_CHUNK - finish) / per_unit);
	p->blocks = (p->hidden + p->block - 1) / p->block;
	if (kinfer_mul_overflow(p->seq * p->dirs * p->batch,
				p->phases * p->blocks, &units))
		return -E2BIG;
	return kinfer_plan_units(ex, units, p->block * per_unit + finish);
}

/**
 * kinfer_prepare_recurrent() - check an LSTM, GRU or RNN node; plan units
 * @ex: the node
 *
 * Return: 0, -EINVAL for a node that does not fit its op, -E2BIG when
 * finishing one step (activations over the hidden units) plus one hidden
 * unit's gate rows is more than a section's work.
 */
int kinfer_prepare_recurrent(struct kinfer_exec *ex)
{
	const struct kinfer_attr_rnn *a = ex->attr;
	const struct rnn_kind *k = rnn_kind_of(ex->node->op);
	struct kinfer_rnn_plan *p = &ex->s.rnn;
	uint64_t elem;
	int ret;

	if (!k)
		return -EINVAL;
	ret = kinfer_check_arity(ex, 3, k->n_in, 0, k->n_out);
	if (ret || ex->n_out != k->n_out)
		return -EINVAL;
	ret = read_geometry(ex, a, k);
	if (ret)
		return ret;
	ret = check_attr(a, k, (uint32_t)p->dirs, &elem);
	if (ret)
		return ret;
	p->work_row = (k->gates == 1 ? 1 : 4) * p->hidden;
	p->phases = ex->node->op == KINFER_OP_GRU &&
		    !(a->flags & KINFER_RNN_LINEAR_BEFORE_RESET) ? 2 : 1;
	ret = check_optional(ex, a);
	if (!ret)
		ret = check_outputs(ex, a, k);
	if (ret)
		return ret;
	set_strides(p, a->layout);
	return plan_blocks(ex, elem);
}
