// SPDX-License-Identifier: GPL-2.0
/*
 * Lookups in the generated Unicode tables: a two-stage table of class
 * flags, and sorted key arrays (binary search) for the mappings.
 */
#include "text/unicode.h"
#include "text/unicode_data.h"

#if KINFER_UNICODE_MAX_DECOMP > KINFER_UC_MAX_MAP
#error "a generated decomposition is longer than KINFER_UC_MAX_MAP"
#endif
#if KINFER_UNICODE_MAX_LOWER > KINFER_UC_MAX_MAP
#error "a generated lowercase mapping is longer than KINFER_UC_MAX_MAP"
#endif

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* Hangul syllables decompose algorithmically (Unicode ch. 3.12). */
#define HANGUL_S	0xac00U
#define HANGUL_L	0x1100U
#define HANGUL_V	0x1161U
#define HANGUL_T	0x11a7U
#define HANGUL_NV	21U
#define HANGUL_NT	28U
#define HANGUL_COUNT	11172U

uint32_t kinfer_uc_class(uint32_t cp)
{
	uint32_t block;

	if (cp > KINFER_UC_MAX)
		return KINFER_UC_DROP;
	block = kinfer_class_index[cp >> KINFER_UNICODE_BLOCK_SHIFT];
	return kinfer_class_blocks[(block << KINFER_UNICODE_BLOCK_SHIFT) |
				   (cp & ((1U << KINFER_UNICODE_BLOCK_SHIFT) - 1))];
}

/* Index of @cp in the sorted @keys, or -1. */
static int find(const uint32_t *keys, uint32_t n, uint32_t cp)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (keys[mid] == cp)
			return (int)mid;
		if (keys[mid] < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static uint32_t map(const uint32_t *keys, const uint32_t *spans,
		    const uint32_t *pool, uint32_t n, uint32_t cp,
		    uint32_t out[KINFER_UC_MAX_MAP])
{
	int i = find(keys, n, cp);
	uint32_t len, j;

	if (i < 0) {
		out[0] = cp;
		return 1;
	}
	len = spans[i] & 7;
	for (j = 0; j < len; j++)
		out[j] = pool[(spans[i] >> 3) + j];
	return len;
}

/**
 * kinfer_uc_decompose() - full canonical decomposition (NFD) of one code point
 * @cp: the code point
 * @out: receives 1..KINFER_UC_MAX_MAP code points, in canonical order
 *
 * Return: how many.
 */
uint32_t kinfer_uc_decompose(uint32_t cp, uint32_t out[KINFER_UC_MAX_MAP])
{
	if (cp - HANGUL_S < HANGUL_COUNT) {
		uint32_t s = cp - HANGUL_S;

		out[0] = HANGUL_L + s / (HANGUL_NV * HANGUL_NT);
		out[1] = HANGUL_V + s % (HANGUL_NV * HANGUL_NT) / HANGUL_NT;
		out[2] = HANGUL_T + s % HANGUL_NT;
		return s % HANGUL_NT ? 3 : 2;
	}
	return map(kinfer_decomp_keys, kinfer_decomp_spans, kinfer_decomp_pool,
		   ARRAY_LEN(kinfer_decomp_keys), cp, out);
}

/**
 * kinfer_uc_lower() - lowercase mapping of one code point
 * @cp: the code point
 * @out: receives 1..KINFER_UC_MAX_MAP code points
 *
 * Return: how many.
 */
uint32_t kinfer_uc_lower(uint32_t cp, uint32_t out[KINFER_UC_MAX_MAP])
{
	return map(kinfer_lower_keys, kinfer_lower_spans, kinfer_lower_pool,
		   ARRAY_LEN(kinfer_lower_keys), cp, out);
}

/* Canonical combining class; 0 for starters. */
uint32_t kinfer_uc_ccc(uint32_t cp)
{
	int i = find(kinfer_ccc_keys, ARRAY_LEN(kinfer_ccc_keys), cp);

	return i < 0 ? 0 : kinfer_ccc_values[i];
}

/* Most code points normalisation makes of one byte of UTF-8. */
uint32_t kinfer_uc_max_per_byte(void)
{
	return KINFER_UNICODE_MAX_PER_BYTE;
}
