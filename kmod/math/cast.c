// SPDX-License-Identifier: GPL-2.0
/*
 * Cast between float32, int32, int64 and bool, elementwise.  Defined for
 * every input (ONNX leaves out-of-range float-to-integer casts undefined):
 *
 *	float -> int	truncation toward zero; NaN -> 0; values beyond the
 *			type's range saturate to its minimum or maximum
 *			(+-Inf included)
 *	int -> int	two's complement wrap (int64 -> int32 keeps the low
 *			32 bits), as numpy and ONNX Runtime do
 *	int -> float	rounded to nearest even (int64 beyond 2^24 rounds)
 *	x -> bool	x != 0 (NaN is true, as in numpy; -0.0 is false)
 *	bool -> x	0 or 1 (any nonzero byte counts as 1)
 */
#include "ops/exec.h"
#include "kinfer_math.h"

static inline int32_t f32_to_i32(float x)
{
	if (kinfer_isnan(x))
		return 0;
	if (x >= 2147483648.0f)
		return 0x7fffffff;
	if (x < -2147483648.0f)
		return -0x7fffffff - 1;
	return (int32_t)x;
}

static inline int64_t f32_to_i64(float x)
{
	if (kinfer_isnan(x))
		return 0;
	if (x >= 9223372036854775808.0f)
		return 0x7fffffffffffffffLL;
	if (x < -9223372036854775808.0f)
		return -0x7fffffffffffffffLL - 1;
	return (int64_t)x;
}

#define CAST_LOOP(o, s, conv)						\
	do {								\
		for (i = 0; i < n; i++)					\
			(o)[i] = conv((s)[i]);				\
	} while (0)

#define AS_IS(v)	(v)
#define TO_F32(v)	((float)(v))
#define TO_I64(v)	((int64_t)(v))
#define TO_BOOL(v)	((uint8_t)((v) != 0))
#define BOOL_TO_F32(v)	((float)((v) != 0))
#define BOOL_TO_INT(v)	((v) != 0)
#define WRAP_I32(v)	((int32_t)(uint32_t)(uint64_t)(v))

static void from_f32(void *out, uint32_t odt, const float *s, size_t n)
{
	float *of = out;	/* the output as each dtype: one is used */
	int32_t *oi = out;
	int64_t *ol = out;
	uint8_t *ob = out;
	size_t i;

	switch (odt) {
	case KINFER_DTYPE_FLOAT32:
		CAST_LOOP(of, s, AS_IS);
		break;
	case KINFER_DTYPE_INT32:
		CAST_LOOP(oi, s, f32_to_i32);
		break;
	case KINFER_DTYPE_INT64:
		CAST_LOOP(ol, s, f32_to_i64);
		break;
	case KINFER_DTYPE_BOOL:
		CAST_LOOP(ob, s, TO_BOOL);
		break;
	}
}

static void from_i32(void *out, uint32_t odt, const int32_t *s, size_t n)
{
	float *of = out;	/* the output as each dtype: one is used */
	int32_t *oi = out;
	int64_t *ol = out;
	uint8_t *ob = out;
	size_t i;

	switch (odt) {
	case KINFER_DTYPE_FLOAT32:
		CAST_LOOP(of, s, TO_F32);
		break;
	case KINFER_DTYPE_INT32:
		CAST_LOOP(oi, s, AS_IS);
		break;
	case KINFER_DTYPE_INT64:
		CAST_LOOP(ol, s, TO_I64);
		break;
	case KINFER_DTYPE_BOOL:
		CAST_LOOP(ob, s, TO_BOOL);
		break;
	}
}

static void from_i64(void *out, uint32_t odt, const int64_t *s, size_t n)
{
	float *of = out;	/* the output as each dtype: one is used */
	int32_t *oi = out;
	int64_t *ol = out;
	uint8_t *ob = out;
	size_t i;

	switch (odt) {
	case KINFER_DTYPE_FLOAT32:
		CAST_LOOP(of, s, TO_F32);
		break;
	case KINFER_DTYPE_INT32:
		CAST_LOOP(oi, s, WRAP_I32);
		break;
	case KINFER_DTYPE_INT64:
		CAST_LOOP(ol, s, AS_IS);
		break;
	case KINFER_DTYPE_BOOL:
		CAST_LOOP(ob, s, TO_BOOL);
		break;
	}
}

static void from_bool(void *out, uint32_t odt, const uint8_t *s, size_t n)
{
	float *of = out;	/* the output as each dtype: one is used */
	int32_t *oi = out;
	int64_t *ol = out;
	uint8_t *ob = out;
	size_t i;

	switch (odt) {
	case KINFER_DTYPE_FLOAT32:
		CAST_LOOP(of, s, BOOL_TO_F32);
		break;
	case KINFER_DTYPE_INT32:
		CAST_LOOP(oi, s, BOOL_TO_INT);
		break;
	case KINFER_DTYPE_INT64:
		CAST_LOOP(ol, s, BOOL_TO_INT);
		break;
	case KINFER_DTYPE_BOOL:
		CAST_LOOP(ob, s, TO_BOOL);
		break;
	}
}

/**
 * kinfer_math_cast() - convert @n elements between dtypes
 * @out: the result, of @out_dtype
 * @out_dtype: enum kinfer_dtype
 * @in: the source, of @in_dtype; may be @out when the sizes match
 * @in_dtype: enum kinfer_dtype
 * @n: elements
 */
void kinfer_math_cast(void *out, uint32_t out_dtype, const void *in,
		      uint32_t in_dtype, size_t n)
{
	switch (in_dtype) {
	case KINFER_DTYPE_FLOAT32:
		from_f32(out, out_dtype, in, n);
		break;
	case KINFER_DTYPE_INT32:
		from_i32(out, out_dtype, in, n);
		break;
	case KINFER_DTYPE_INT64:
		from_i64(out, out_dtype, in, n);
		break;
	case KINFER_DTYPE_BOOL:
		from_bool(out, out_dtype, in, n);
		break;
	}
}

/**
 * kinfer_eval_cast() - convert elements [@begin, @end)
 * @ex: the prepared node
 * @begin: first output element
 * @end: one past the last
 *
 * Return: 0.
 */
int kinfer_eval_cast(const struct kinfer_exec *ex, uint64_t begin,
		     uint64_t end)
{
	const struct kinfer_view *x = &ex->t[0], *y = &ex->t[1];

	kinfer_math_cast(y->data + begin * y->esize, y->dtype,
			 x->data + begin * x->esize, x->dtype, end - begin);
	return 0;
}
