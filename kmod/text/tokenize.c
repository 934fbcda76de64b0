// SPDX-License-Identifier: GPL-2.0
/*
 * The tokenizer's entry points: added tokens matched in the raw bytes
 * (leftmost, longest), everything else decoded and normalised.
 */
#include "text/tokenizer.h"

/**
 * kinfer_tok_start() - begin a text
 * @t: the state
 * @cap: most content tokens to produce (the sequence length less two);
 *	later ones are dropped, as HF's truncation drops them
 */
void kinfer_tok_start(struct kinfer_tok *t, uint32_t cap)
{
	memset(t, 0, offsetof(struct kinfer_tok, word));
	t->cap = cap;
}

void kinfer_tok_emit(struct kinfer_tok *t, int32_t id, int32_t *out)
{
	if (t->n < t->cap)
		out[t->n++] = id;
}

/*
 * How the pending bytes match the added tokens: the id of one they equal
 * (or -1), and whether a longer one starts with them.
 */
static int32_t match_added(const struct kinfer_tok *t,
			   const struct kinfer_vocab_view *v, bool *longer)
{
	int32_t id = -1;
	uint32_t i;

	*longer = false;
	for (i = 0; i < v->hdr.n_added; i++) {
		const struct kinfer_vocab_added *a = &v->hdr.added[i];

		if (a->key_len < t->n_pending ||
		    memcmp(v->pool + a->key_off, t->pending, t->n_pending))
			continue;
		if (a->key_len == t->n_pending)
			id = a->id;
		else
			*longer = true;
	}
	return id;
}

static bool starts_added(const struct kinfer_vocab_view *v, uint8_t b)
{
	uint32_t i;

	for (i = 0; i < v->hdr.n_added; i++)
		if (v->pool[v->hdr.added[i].key_off] == b)
			return true;
	return false;
}

/* Bytes to match again: never more than one added token's worth. */
struct requeue {
	uint8_t b[KINFER_TOK_PENDING];
	uint32_t head, tail;
};

/*
 * The pending bytes cannot grow into a longer added token: take the
 * longest one they started with, or send their first byte to the
 * decoder; what follows is matched again, ahead of the queued bytes.
 */
static void resolve(struct kinfer_tok *t, const struct kinfer_vocab_view *v,
		    struct requeue *q, int32_t *out)
{
	uint32_t used = t->best_len ? t->best_len : 1;
	uint32_t rest = t->n_pending - used, queued = q->tail - q->head;
	uint8_t b[KINFER_TOK_PENDING];

	memcpy(b, t->pending + used, rest);
	memcpy(b + rest, q->b + q->head, queued);
	memcpy(q->b, b, rest + queued);
	q->head = 0;
	q->tail = rest + queued;
	if (t->best_len) {
		kinfer_tok_utf8_end(t, v, out);
		kinfer_tok_flush(t, v, out);
		kinfer_tok_emit(t, t->best_id, out);
	} else {
		kinfer_tok_utf8(t, v, t->pending[0], out);
	}
	t->n_pending = 0;
	t->best_len = 0;
}

/* Leftmost-longest matching of the added tokens, as HF's added vocabulary. */
static void match(struct kinfer_tok *t, const struct kinfer_vocab_view *v,
		  struct requeue *q, bool at_end, int32_t *out)
{
	for (;;) {
		bool longer;
		int32_t id;
		uint8_t b;

		if (q->head == q->tail) {
			if (!at_end || !t->n_pending)
				return;
			resolve(t, v, q, out);
			continue;
		}
		b = q->b[q->head++];
		if (!t->n_pending && !starts_added(v, b)) {
			kinfer_tok_utf8(t, v, b, out);
			continue;
		}
		t->pending[t->n_pending++] = b;
		id = match_added(t, v, &longer);
		if (id >= 0) {
			t->best_len = t->n_pending;
			t->best_id = id;
		}
		if (!longer)
			resolve(t, v, q, out);
	}
}

/**
 * kinfer_tok_feed() - tokenise the next bytes of the text
 * @t: the state, from kinfer_tok_start()
 * @v: the checked vocabulary
 * @text: the bytes; NUL bytes are text too (and clean-up drops them)
 * @n: how many
 * @out: content tokens, at least @t->cap of them
 *
 * Returns at once when @t->cap tokens were produced.
 */
void kinfer_tok_feed(struct kinfer_tok *t, const struct kinfer_vocab_view *v,
		     const uint8_t *text, size_t n, int32_t *out)
{
	struct requeue q;
	size_t i;

	for (i = 0; i < n && !kinfer_tok_full(t); i++) {
		if (!t->n_pending && !starts_added(v, text[i])) {
			kinfer_tok_utf8(t, v, text[i], out);
			continue;
		}
		q.b[0] = text[i];
		q.head = 0;
		q.tail = 1;
		match(t, v, &q, false, out);
	}
}

/**
 * kinfer_tok_finish() - end the text
 * @t: the state
 * @v: the vocabulary
 * @out: content tokens
 *
 * After it, @t->n content tokens are in @out.
 */
void kinfer_tok_finish(struct kinfer_tok *t, const struct kinfer_vocab_view *v,
		       int32_t *out)
{
	struct requeue q = { .head = 0, .tail = 0 };

	match(t, v, &q, true, out);
	kinfer_tok_utf8_end(t, v, out);
	kinfer_tok_flush(t, v, out);
}

/**
 * kinfer_tok_layout() - the model's inputs from the content tokens
 * @v: the vocabulary (its [CLS], [SEP] and [PAD] ids)
 * @n: content tokens, already in @ids[1 .. n]; n <= @len - 2
 * @ids: [CLS] tokens [SEP] [PAD]... (len of them)
 * @mask: 1 for each token up to [SEP], then 0
 * @len: the sequence length, >= 2
 */
void kinfer_tok_layout(const struct kinfer_vocab_view *v, uint32_t n,
		       int32_t *ids, int32_t *mask, uint32_t len)
{
	uint32_t i;

	ids[0] = v->hdr.cls_id;
	ids[n + 1] = v->hdr.sep_id;
	for (i = n + 2; i < len; i++)
		ids[i] = v->hdr.pad_id;
	for (i = 0; i < len; i++)
		mask[i] = i < n + 2;
}
