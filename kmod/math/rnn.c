// SPDX-License-Identifier: GPL-2.0
/*
 * RNN (ONNX's simple recurrent layer), f the direction's activation
 * (default Tanh):
 *
 *	h' = f(x W^T + h R^T + Wb + Rb)
 *
 * clip bounds the input of f.  A unit computes the rows of its block of
 * hidden units; the last block applies f and writes h'.
 */
#include "recurrent.h"

/**
 * kinfer_eval_rnn() - compute units [@begin, @end) of an RNN node
 * @ex: the node, prepared by kinfer_prepare_recurrent()
 * @begin: first unit
 * @end: past the last unit
 *
 * Return: 0, or -ERANGE for a sequence length outside [0, T].
 */
int kinfer_eval_rnn(const struct kinfer_exec *ex, uint64_t begin,
		    uint64_t end)
{
	struct kinfer_rnn_unit un;
	uint64_t u, hn;
	int ret;

	for (u = begin; u < end; u++) {
		ret = kinfer_rnn_unit(ex, u, &un);
		if (ret < 0)
			return ret;
		if (!ret)
			continue;
		kinfer_rnn_gates(&un, un.work + un.j0, un.j0);
		if (!un.finish)
			continue;
		hn = un.p->hidden;
		kinfer_rnn_gate_in(&un, un.work, hn, NULL, NULL, un.wb, un.rb, 0);
		memcpy(un.h, un.work, hn * sizeof(float));
		if (un.y)
			memcpy(un.y, un.h, hn * sizeof(float));
	}
	return 0;
}
