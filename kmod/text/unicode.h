/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Unicode properties the tokenizer needs, per code point, as
 * HuggingFace tokenizers' BERT normalizer and pre-tokenizer see them.
 * The tables are generated at build time (scripts/gen-unicode-tables.py
 * writes unicode_data.h); nothing here is typed by hand.
 */
#ifndef _KINFER_TEXT_UNICODE_H
#define _KINFER_TEXT_UNICODE_H

#include "math/platform.h"

/* Class flags: keep in sync with scripts/gen-unicode-tables.py. */
#define KINFER_UC_DROP		(1U << 0)	/* clean-up removes it */
#define KINFER_UC_SPACE		(1U << 1)	/* clean-up makes it ' ' */
#define KINFER_UC_CJK		(1U << 2)	/* a word of its own */
#define KINFER_UC_WS		(1U << 3)	/* splits words */
#define KINFER_UC_PUNCT		(1U << 4)	/* a word of its own */
#define KINFER_UC_MN		(1U << 5)	/* accent stripping removes it */
#define KINFER_UC_DECOMP	(1U << 6)	/* NFD changes it */
#define KINFER_UC_LOWER		(1U << 7)	/* lower-casing changes it */
#define KINFER_UC_NONSTARTER	(1U << 8)	/* canonical combining class != 0 */

/* Longest NFD and lowercase mappings of one code point. */
#define KINFER_UC_MAX_MAP	4U

#define KINFER_UC_MAX		0x10ffffU

uint32_t kinfer_uc_class(uint32_t cp);
uint32_t kinfer_uc_decompose(uint32_t cp, uint32_t out[KINFER_UC_MAX_MAP]);
uint32_t kinfer_uc_lower(uint32_t cp, uint32_t out[KINFER_UC_MAX_MAP]);
uint32_t kinfer_uc_ccc(uint32_t cp);
uint32_t kinfer_uc_max_per_byte(void);

#endif /* _KINFER_TEXT_UNICODE_H */
