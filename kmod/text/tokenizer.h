/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BERT WordPiece tokenisation, equal to HuggingFace tokenizers' (a
 * BertNormalizer, BertPreTokenizer and WordPiece model, with the
 * vocabulary's added tokens), over caller-supplied memory only.
 *
 *	kinfer_vocab_check()	once per node: the vocabulary's header
 *	kinfer_tok_start()	once per text
 *	kinfer_tok_feed()	any number of times, with consecutive bytes
 *	kinfer_tok_finish()	[CLS] tokens [SEP] [PAD]..., and the mask
 *
 * The state lives in struct kinfer_tok (the kernel keeps it in the run's
 * arena, between the sections of one node).  Work is linear in the bytes
 * fed: kinfer_tok_work_per_byte() bounds it.  No allocation, no FPU.
 *
 * Text is bytes.  Invalid UTF-8 is decoded as Python's
 * bytes.decode("utf-8", "replace") does (one U+FFFD per maximal invalid
 * subpart), and the clean-up step then removes U+FFFD like NUL: both
 * vanish without splitting words.  docs/nlp.md has the details.
 */
#ifndef _KINFER_TEXT_TOKENIZER_H
#define _KINFER_TEXT_TOKENIZER_H

#include "math/platform.h"
#include "uapi/kinfer.h"

/* The vocabulary, its header copied (the map value may change under us). */
struct kinfer_vocab_view {
	struct kinfer_vocab hdr;
	const struct kinfer_vocab_slot *slots;
	const uint8_t *pool;
};

int kinfer_vocab_check(struct kinfer_vocab_view *v, const void *blob,
		       uint64_t size);
uint64_t kinfer_tok_work_per_byte(const struct kinfer_vocab_view *v);

/* FNV-1a, as the vocabulary's slots are hashed. */
static inline uint32_t kinfer_vocab_hash(uint32_t h, const uint8_t *p,
					 uint32_t n)
{
	while (n--) {
		h ^= *p++;
		h *= 16777619U;
	}
	return h;
}

static inline uint32_t kinfer_vocab_hash_init(const struct kinfer_vocab_view *v)
{
	return 2166136261U ^ v->hdr.hash_seed;
}

int32_t kinfer_vocab_find(const struct kinfer_vocab_view *v, uint32_t hash,
			  const uint8_t *key, uint32_t len, bool continuation);

/* Longest byte sequence matched against the added tokens at once. */
#define KINFER_TOK_PENDING	KINFER_VOCAB_MAX_ADDED_KEY

struct kinfer_tok {
	/* output: content tokens go to out[0 .. cap) */
	uint32_t cap;
	uint32_t n;
	/* added-token matching on the raw bytes */
	uint32_t n_pending;
	uint32_t best_len;	/* longest added token the pending bytes held */
	int32_t best_id;
	uint8_t pending[KINFER_TOK_PENDING];
	/* UTF-8 decoding */
	uint32_t u_cp;
	uint32_t u_need;
	uint32_t u_lo;
	uint32_t u_hi;
	/* non-starters after NFD, waiting for canonical ordering */
	uint32_t n_run;
	uint32_t run[KINFER_VOCAB_MAX_WORD + 1];
	/* the normalised word being collected */
	uint32_t n_word;
	bool word_long;
	uint32_t word[KINFER_VOCAB_MAX_WORD];
	/* WordPiece scratch */
	uint8_t bytes[KINFER_VOCAB_MAX_WORD * 4];
	uint16_t char_end[KINFER_VOCAB_MAX_WORD + 1];
	uint32_t hash[KINFER_VOCAB_MAX_WORD + 1];
	int32_t pieces[KINFER_VOCAB_MAX_WORD];
};

void kinfer_tok_start(struct kinfer_tok *t, uint32_t cap);
void kinfer_tok_feed(struct kinfer_tok *t, const struct kinfer_vocab_view *v,
		     const uint8_t *text, size_t n, int32_t *out);
void kinfer_tok_finish(struct kinfer_tok *t, const struct kinfer_vocab_view *v,
		       int32_t *out);
void kinfer_tok_layout(const struct kinfer_vocab_view *v, uint32_t n,
		       int32_t *ids, int32_t *mask, uint32_t len);

static inline bool kinfer_tok_full(const struct kinfer_tok *t)
{
	return t->n >= t->cap;
}

/* Internal steps, one file each. */
void kinfer_tok_utf8(struct kinfer_tok *t, const struct kinfer_vocab_view *v,
		     uint8_t byte, int32_t *out);
void kinfer_tok_utf8_end(struct kinfer_tok *t,
			 const struct kinfer_vocab_view *v, int32_t *out);
void kinfer_tok_char(struct kinfer_tok *t, const struct kinfer_vocab_view *v,
		     uint32_t cp, int32_t *out);
void kinfer_tok_flush(struct kinfer_tok *t, const struct kinfer_vocab_view *v,
		      int32_t *out);
void kinfer_tok_emit(struct kinfer_tok *t, int32_t id, int32_t *out);
void kinfer_tok_wordpiece(struct kinfer_tok *t,
			  const struct kinfer_vocab_view *v, int32_t *out);

#endif /* _KINFER_TEXT_TOKENIZER_H */
