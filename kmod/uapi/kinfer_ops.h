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
	/* 50..69: reductions and normalisation */			\
	/* 70..89: data movement and gather */				\
	/* 90..109: convolution and pooling */				\
	/* 110..119: recurrent layers */

/* Bound on ids: every id is below it (tables are indexed by id). */
#define KINFER_OP_LIMIT		120U

#endif /* _UAPI_KINFER_OPS_H */
