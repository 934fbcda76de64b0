// SPDX-License-Identifier: GPL-2.0
/*
 * QUANTIZE's row kernel for AVX-512F (built with -mavx512f
 * -ffp-contract=off): 16 lanes, stored with vpmovdb.
 */
#define KINFER_VEC	16
#define KINFER_QUANTIZE	kinfer_quantize_avx512
#include "qgemm_tile.h"
