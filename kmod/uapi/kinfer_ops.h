/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The kinfer operator registry: every op the kernel runs, listed once.
 *
 *	X(NAME, id, name, class, attr, cost)
 *
 * NAME	 KINFER_OP_<NAME> in enum kinfer_op.
 * id	 its value in plans; never renumbered or reused.  Rows are in
 *	 increasing id order; retired ids stay as comments.
 * name	 the kfunc is kinfer_<name>(struct kinfer_ctx *ctx); its compute
 *	 step is kinfer_eval_<name>() (kmod/math/ or kmod/ops/).
 * class the prepare step kinfer_prepare_<class>() (kmod/ops/<class>.c),
 *	 which validates the node and plans its compute; ops of a class share
 *	 shapes, checks and attributes.
 * attr	 its attribute block is struct kinfer_attr_<attr>, or none.
 * cost	 work units per element (per multiply-add for matmul) that the
 *	 class prepare charges against the run's budget.
 *
 * Everything else is derived from this list: the enum, the kfuncs and
 * their BTF id set (kmod/kfuncs.c), the dispatch table (kmod/ops/exec.c),
 * the BPF declarations (bpf/include/kinfer_kfuncs.bpf.h) and the loader's
 * names (loader/src/ops.cc).  docs/architecture.md, "Adding an operator",
 * lists the files a new op touches.
 */
#ifndef _UAPI_KINFER_OPS_H
#define _UAPI_KINFER_OPS_H

/*
 * This header holds only the list, so that BPF programs, which get kinfer's
 * types from the module's BTF, can include it too.  uapi/kinfer.h defines
 * the attribute structs and the enum.
 */

#define KINFER_OP_LIST(X)						\
	X(INPUT,	1,  input,	io,	 none,	 0)		\
	X(OUTPUT,	2,  output,	io,	 none,	 0)		\
	/* 3: DENSE, ABI 1 (now MATMUL with a bias input) */		\
	X(MATMUL,	4,  matmul,	matmul,	 matmul, 1)		\
	X(RELU,		5,  relu,	unary,	 none,	 1)		\
	X(SIGMOID,	6,  sigmoid,	unary,	 none,	 8)		\
	X(TANH,		7,  tanh,	unary,	 none,	 8)		\
	X(SOFTMAX,	8,  softmax,	softmax, axis,	 8)		\
	X(ADD,		9,  add,	binary,	 none,	 1)		\
	X(MUL,		10, mul,	binary,	 none,	 1)		\
	/* 11: ADD_CONST, 12: MUL_CONST, ABI 1 (now ADD/MUL) */	\
	/* 13..49: elementwise, comparison, logic, where, cast */	\
	X(LEAKY_RELU,		13, leaky_relu,		unary,	 alpha,		 1)	\
	X(ELU,			14, elu,		unary,	 alpha,		 8)	\
	X(SELU,			15, selu,		unary,	 alpha_beta,	 8)	\
	X(CELU,			16, celu,		unary,	 alpha,		 8)	\
	X(THRESHOLDED_RELU,	17, thresholded_relu,	unary,	 alpha,		 1)	\
	X(HARD_SIGMOID,		18, hard_sigmoid,	unary,	 alpha_beta,	 1)	\
	X(HARD_SWISH,		19, hard_swish,		unary,	 none,		 1)	\
	X(SOFTPLUS,		20, softplus,		unary,	 none,		 16)	\
	X(SOFTSIGN,		21, softsign,		unary,	 none,		 2)	\
	X(MISH,			22, mish,		unary,	 none,		 16)	\
	X(ERF,			23, erf,		unary,	 none,		 12)	\
	X(GELU,			24, gelu,		unary,	 none,		 12)	\
	X(GELU_TANH,		25, gelu_tanh,		unary,	 none,		 8)	\
	X(SQRT,			26, sqrt,		unary,	 none,		 2)	\
	X(EXP,			27, exp,		unary,	 none,		 8)	\
	X(LOG,			28, log,		unary,	 none,		 8)	\
	X(ABS,			29, abs,		unary,	 none,		 1)	\
	X(SIGN,			30, sign,		unary,	 none,		 1)	\
	X(FLOOR,		31, floor,		unary,	 none,		 1)	\
	X(CEIL,			32, ceil,		unary,	 none,		 1)	\
	X(ROUND,		33, round,		unary,	 none,		 1)	\
	X(CLIP,			34, clip,		unary,	 alpha_beta,	 1)	\
	X(SUB,			35, sub,		binary,	 none,		 1)	\
	X(DIV,			36, div,		binary,	 none,		 2)	\
	X(POW,			37, pow,		binary,	 none,		 16)	\
	X(MAX,			38, max,		binary,	 none,		 1)	\
	X(MIN,			39, min,		binary,	 none,		 1)	\
	X(PRELU,		40, prelu,		binary,	 none,		 1)	\
	X(EQUAL,		41, equal,		compare,  none,		 1)	\
	X(LESS,			42, less,		compare,  none,		 1)	\
	X(LESS_OR_EQUAL,	43, less_or_equal,	compare,  none,		 1)	\
	X(NOT,			44, logical_not,	logic,	 none,		 1)	\
	X(AND,			45, logical_and,	logic,	 none,		 1)	\
	X(OR,			46, logical_or,		logic,	 none,		 1)	\
	X(XOR,			47, logical_xor,	logic,	 none,		 1)	\
	X(WHERE,		48, where,		where,	 none,		 1)	\
	X(CAST,			49, cast,		cast,	 none,		 1)	\
	/* 50..69: reductions and normalisation */			\
	X(REDUCE_SUM,		50, reduce_sum,		reduce,	 reduce,	 1)	\
	X(REDUCE_MEAN,		51, reduce_mean,	reduce,	 reduce,	 1)	\
	X(REDUCE_MAX,		52, reduce_max,		reduce,	 reduce,	 1)	\
	X(REDUCE_MIN,		53, reduce_min,		reduce,	 reduce,	 1)	\
	X(REDUCE_PROD,		54, reduce_prod,	reduce,	 reduce,	 1)	\
	X(REDUCE_L1,		55, reduce_l1,		reduce,	 reduce,	 1)	\
	X(REDUCE_L2,		56, reduce_l2,		reduce,	 reduce,	 1)	\
	X(REDUCE_SUM_SQUARE,	57, reduce_sum_square,	reduce,	 reduce,	 1)	\
	X(REDUCE_LOG_SUM,	58, reduce_log_sum,	reduce,	 reduce,	 1)	\
	X(REDUCE_LOG_SUM_EXP,	59, reduce_log_sum_exp,	reduce,	 reduce,	 10)	\
	X(ARGMAX,		60, argmax,		arg,	 arg,		 1)	\
	X(ARGMIN,		61, argmin,		arg,	 arg,		 1)	\
	X(LOG_SOFTMAX,		62, log_softmax,	softmax, axis,		 8)	\
	X(LAYER_NORM,		63, layer_norm,		norm,	 norm,		 4)	\
	X(RMS_NORM,		64, rms_norm,		norm,	 norm,		 3)	\
	X(BATCH_NORM,		65, batch_norm,		batch_norm, epsilon,	 2)	\
	X(L1_NORMALIZE,		66, l1_normalize,	softmax, axis,		 3)	\
	X(L2_NORMALIZE,		67, l2_normalize,	softmax, axis,		 3)	\
	/* 70..89: data movement and gather */				\
	X(COPY,			70, copy,		copy,	 copy,		 1)	\
	X(PAD,			71, pad,		pad,	 pad,		 1)	\
	X(GATHER,		72, gather,		gather,	 axis,		 1)	\
	X(GATHER_ELEMENTS,	73, gather_elements,	gather_elements, axis,	 2)	\
	/* 90..109: convolution and pooling */				\
	X(CONV,			90, conv,		conv,	 conv,		 1)	\
	X(CONV_TRANSPOSE,	91, conv_transpose,	conv_transpose, conv,	 1)	\
	X(MAXPOOL,		92, maxpool,		pool,	 pool,		 1)	\
	X(AVERAGEPOOL,		93, averagepool,	pool,	 pool,		 1)	\
	X(LPPOOL,		94, lppool,		pool,	 pool,		 8)	\
	/* 110..119: recurrent layers */				\
	X(LSTM,			110, lstm,		recurrent, rnn,		 1)	\
	X(GRU,			111, gru,		recurrent, rnn,		 1)	\
	X(RNN,			112, rnn,		recurrent, rnn,		 1)	\
	/* 120..129: text */						\
	X(TOKENIZE,		120, tokenize,		tokenize, none,		 1)	\
	/* 130..149: int8, TensorFlow Lite's quantised semantics */	\
	X(QFULLY_CONNECTED,	130, qfully_connected,	qmatmul, qmatmul,	 1)	\
	X(QCONV,		131, qconv,		qconv,	 qconv,		 1)	\
	X(QDEPTHWISE_CONV,	132, qdepthwise_conv,	qconv,	 qconv,		 1)	\
	X(QADD,			133, qadd,		qbinary, qbinary,	 2)	\
	X(QMUL,			134, qmul,		qbinary, qbinary,	 2)	\
	X(QMAXPOOL,		135, qmaxpool,		qpool,	 qpool,		 1)	\
	X(QAVERAGEPOOL,		136, qaveragepool,	qpool,	 qpool,		 1)	\
	X(QSOFTMAX,		137, qsoftmax,		qsoftmax, qsoftmax,	16)	\
	X(QLUT,			138, qlut,		qlut,	 qlut,		 1)	\
	X(QUANTIZE,		139, quantize,		qconvert, qconvert,	 2)	\
	X(DEQUANTIZE,		140, dequantize,	qconvert, qconvert,	 1)	\
	X(QMEAN,		141, qmean,		qmean,	 qmean,		 1)	\
	X(MATMUL_I8,		142, matmul_i8,	matmul_i8, matmul_i8,	 1)

/* Bound on ids: every id is below it (tables are indexed by id). */
#define KINFER_OP_LIMIT		150U

#endif /* _UAPI_KINFER_OPS_H */
