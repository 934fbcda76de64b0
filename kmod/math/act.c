// SPDX-License-Identifier: GPL-2.0
/*
 * Row functions of the unary-class ops, by op id: how MATMUL (and later
 * CONV) apply a fused activation.  Only unary-class rows have one, so the
 * registry's class column picks between the function and NULL; a new
 * class adds one line to each of the two lists below.
 */
#include "ops/exec.h"
#include "kinfer_math.h"

#define KINFER_ROW_DECL_unary(name)					\
	void kinfer_row_##name(float *out, const float *in, size_t n,	\
			       const void *attr);
#define KINFER_ROW_DECL_io(name)
#define KINFER_ROW_DECL_matmul(name)
#define KINFER_ROW_DECL_softmax(name)
#define KINFER_ROW_DECL_binary(name)
#define KINFER_ROW_DECL_compare(name)
#define KINFER_ROW_DECL_logic(name)
#define KINFER_ROW_DECL_where(name)
#define KINFER_ROW_DECL_cast(name)
#define KINFER_ROW_DECL_copy(name)
#define KINFER_ROW_DECL_pad(name)
#define KINFER_ROW_DECL_gather(name)
#define KINFER_ROW_DECL_gather_elements(name)
#define KINFER_ROW_DECL_recurrent(name)
#define KINFER_ROW_DECL_reduce(name)
#define KINFER_ROW_DECL_arg(name)
#define KINFER_ROW_DECL_norm(name)
#define KINFER_ROW_DECL_batch_norm(name)
#define KINFER_ROW_DECL_conv(name)
#define KINFER_ROW_DECL_conv_transpose(name)
#define KINFER_ROW_DECL_pool(name)
#define KINFER_ROW_DECL_tokenize(name)
#define KINFER_ROW_DECL_qmatmul(name)
#define KINFER_ROW_DECL_qconv(name)
#define KINFER_ROW_DECL_qbinary(name)
#define KINFER_ROW_DECL_qpool(name)
#define KINFER_ROW_DECL_qsoftmax(name)
#define KINFER_ROW_DECL_qlut(name)
#define KINFER_ROW_DECL_qconvert(name)
#define KINFER_ROW_DECL_qmean(name)
#define KINFER_ROW_DECL_matmul_i8(name)

#define KINFER_ROW_unary(name)		kinfer_row_##name
#define KINFER_ROW_io(name)		NULL
#define KINFER_ROW_matmul(name)		NULL
#define KINFER_ROW_softmax(name)	NULL
#define KINFER_ROW_binary(name)		NULL
#define KINFER_ROW_compare(name)	NULL
#define KINFER_ROW_logic(name)		NULL
#define KINFER_ROW_where(name)		NULL
#define KINFER_ROW_cast(name)		NULL
#define KINFER_ROW_copy(name)		NULL
#define KINFER_ROW_pad(name)		NULL
#define KINFER_ROW_gather(name)		NULL
#define KINFER_ROW_gather_elements(name) NULL
#define KINFER_ROW_recurrent(name)	NULL
#define KINFER_ROW_reduce(name)		NULL
#define KINFER_ROW_arg(name)		NULL
#define KINFER_ROW_norm(name)		NULL
#define KINFER_ROW_batch_norm(name)	NULL
#define KINFER_ROW_conv(name)		NULL
#define KINFER_ROW_conv_transpose(name) NULL
#define KINFER_ROW_pool(name)		NULL
#define KINFER_ROW_tokenize(name)	NULL
#define KINFER_ROW_qmatmul(name)	NULL
#define KINFER_ROW_qconv(name)		NULL
#define KINFER_ROW_qbinary(name)	NULL
#define KINFER_ROW_qpool(name)		NULL
#define KINFER_ROW_qsoftmax(name)	NULL
#define KINFER_ROW_qlut(name)		NULL
#define KINFER_ROW_qconvert(name)	NULL
#define KINFER_ROW_qmean(name)		NULL
#define KINFER_ROW_matmul_i8(name)	NULL

#define KINFER_ROW_DECL(NAME, id, name, cls, attr, cost) \
	KINFER_ROW_DECL_##cls(name)
#define KINFER_ROW_ENTRY(NAME, id, name, cls, attr, cost) \
	[id] = KINFER_ROW_##cls(name),

KINFER_OP_LIST(KINFER_ROW_DECL)

static const kinfer_row_fn kinfer_rows[KINFER_OP_LIMIT] = {
	KINFER_OP_LIST(KINFER_ROW_ENTRY)
};

kinfer_row_fn kinfer_unary_row(uint32_t op)
{
	return op < KINFER_OP_LIMIT ? kinfer_rows[op] : NULL;
}
