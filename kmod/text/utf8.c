// SPDX-License-Identifier: GPL-2.0
/*
 * UTF-8 decoding, one byte at a time, lossy like Python's
 * bytes.decode("utf-8", "replace"): each maximal subpart of an invalid
 * sequence becomes one U+FFFD, and the byte that broke a sequence starts
 * the next one.  Overlong forms, surrogates and values above U+10FFFF are
 * invalid (the ranges of the Unicode standard's table 3-7).
 */
#include "text/tokenizer.h"

#define REPLACEMENT	0xfffdU

static void expect(struct kinfer_tok *t, uint32_t need, uint32_t cp,
		   uint32_t lo, uint32_t hi)
{
	t->u_need = need;
	t->u_cp = cp;
	t->u_lo = lo;
	t->u_hi = hi;
}

static void lead(struct kinfer_tok *t, const struct kinfer_vocab_view *v,
		 uint8_t b, int32_t *out)
{
	if (b < 0x80)
		kinfer_tok_char(t, v, b, out);
	else if (b >= 0xc2 && b <= 0xdf)
		expect(t, 1, b & 0x1f, 0x80, 0xbf);
	else if (b == 0xe0)
		expect(t, 2, 0, 0xa0, 0xbf);
	else if (b == 0xed)
		expect(t, 2, 0xd, 0x80, 0x9f);
	else if (b >= 0xe1 && b <= 0xef)
		expect(t, 2, b & 0xf, 0x80, 0xbf);
	else if (b == 0xf0)
		expect(t, 3, 0, 0x90, 0xbf);
	else if (b >= 0xf1 && b <= 0xf3)
		expect(t, 3, b & 0x7, 0x80, 0xbf);
	else if (b == 0xf4)
		expect(t, 3, 4, 0x80, 0x8f);
	else
		kinfer_tok_char(t, v, REPLACEMENT, out);
}

void kinfer_tok_utf8(struct kinfer_tok *t, const struct kinfer_vocab_view *v,
		     uint8_t b, int32_t *out)
{
	if (!t->u_need) {
		lead(t, v, b, out);
		return;
	}
	if (b < t->u_lo || b > t->u_hi) {
		t->u_need = 0;
		kinfer_tok_char(t, v, REPLACEMENT, out);
		lead(t, v, b, out);
		return;
	}
	t->u_cp = t->u_cp << 6 | (b & 0x3f);
	t->u_lo = 0x80;
	t->u_hi = 0xbf;
	if (!--t->u_need)
		kinfer_tok_char(t, v, t->u_cp, out);
}

/* The text ended (or an added token began) inside a sequence. */
void kinfer_tok_utf8_end(struct kinfer_tok *t,
			 const struct kinfer_vocab_view *v, int32_t *out)
{
	if (t->u_need) {
		t->u_need = 0;
		kinfer_tok_char(t, v, REPLACEMENT, out);
	}
}
