// SPDX-License-Identifier: GPL-2.0
/*
 * WordPiece: a word becomes the longest vocabulary token that starts it,
 * then the longest "##" continuation token at each following character;
 * when some position has none, the whole word is [UNK].  Tokens longer
 * than the vocabulary's longest are never tried.
 */
#include "text/tokenizer.h"

static uint32_t utf8_encode(uint8_t *p, uint32_t cp)
{
	if (cp < 0x80) {
		p[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		p[0] = 0xc0 | cp >> 6;
		p[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		p[0] = 0xe0 | cp >> 12;
		p[1] = 0x80 | (cp >> 6 & 0x3f);
		p[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	p[0] = 0xf0 | cp >> 18;
	p[1] = 0x80 | (cp >> 12 & 0x3f);
	p[2] = 0x80 | (cp >> 6 & 0x3f);
	p[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/* The word's bytes; char_end[i] is where character i ends. */
static void encode_word(struct kinfer_tok *t)
{
	uint32_t i, len = 0;

	t->char_end[0] = 0;
	for (i = 0; i < t->n_word; i++) {
		len += utf8_encode(t->bytes + len, t->word[i]);
		t->char_end[i + 1] = len;
	}
}

/*
 * The longest token of the word's characters [start, end) for some end,
 * or -1; *end receives it.  Hashes of every candidate are computed
 * forwards, then looked up from the longest down.
 */
static int32_t longest_piece(struct kinfer_tok *t,
			     const struct kinfer_vocab_view *v, uint32_t start,
			     uint32_t *end)
{
	uint32_t prefix = start ? 2 : 0;
	uint32_t h = kinfer_vocab_hash_init(v);
	uint32_t begin = start ? t->char_end[start] : 0;
	uint32_t e, last = start;

	if (prefix)
		h = kinfer_vocab_hash(h, (const uint8_t *)"##", 2);
	for (e = start + 1; e <= t->n_word; e++) {
		uint32_t from = t->char_end[e - 1], to = t->char_end[e];

		if (to - begin + prefix > v->hdr.max_key)
			break;
		h = kinfer_vocab_hash(h, t->bytes + from, to - from);
		t->hash[e] = h;
		last = e;
	}
	for (e = last; e > start; e--) {
		int32_t id = kinfer_vocab_find(v, t->hash[e], t->bytes + begin,
					       t->char_end[e] - begin, start > 0);

		if (id >= 0) {
			*end = e;
			return id;
		}
	}
	return -1;
}

void kinfer_tok_wordpiece(struct kinfer_tok *t,
			  const struct kinfer_vocab_view *v, int32_t *out)
{
	uint32_t start = 0, end = 0, n = 0, i;

	encode_word(t);
	while (start < t->n_word) {
		int32_t id = longest_piece(t, v, start, &end);

		if (id < 0) {
			kinfer_tok_emit(t, v->hdr.unk_id, out);
			return;
		}
		t->pieces[n++] = id;
		start = end;
	}
	for (i = 0; i < n; i++)
		kinfer_tok_emit(t, t->pieces[i], out);
}
