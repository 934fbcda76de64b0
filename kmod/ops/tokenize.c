// SPDX-License-Identifier: GPL-2.0
/*
 * TOKENIZE: text to BERT token ids, as HuggingFace tokenizers makes them
 * (kmod/text/tokenizer.h).  No FPU.
 *
 *	text uint8 [B, N] or [N] (arena or bound), the vocabulary, uint8
 *	(bound: struct kinfer_vocab ...), optionally max_tokens int32 [1]
 *	-> ids int32 [B, L], mask int32 [B, L], scratch uint8 (>=
 *	sizeof(struct kinfer_tok), 8-byte aligned), all three in the arena
 *
 * Each row of text is the bytes of one text; shorter texts are padded
 * with NUL bytes, which clean-up drops, so padding never changes the
 * tokens.  ids = [CLS] tokens [SEP] [PAD]..., truncated to L as HF
 * truncates; mask is 1 up to [SEP].  max_tokens, read once per run, is a
 * tighter truncation (HF's max_length) for the same L: at most
 * max_tokens ids before the padding; 0, or more than L, means L.  It is
 * how a task's live token cap reaches the tokenizer.  A unit is one chunk of one row, so
 * a long text is tokenised over several sections: the tokenizer's state
 * waits in the scratch tensor in between.  Units run in order, and
 * every row's first unit starts it afresh.
 */
#include "ops/exec.h"

/* The run's length: max_tokens, or L when it is 0 or above L. */
static int read_max_tokens(const struct kinfer_exec *ex, uint64_t len,
			   uint64_t *max_tokens)
{
	const struct kinfer_view *limit = &ex->t[2];
	int32_t k;

	*max_tokens = len;
	if (ex->n_in < 3 || !limit->data)
		return 0;
	if (limit->dtype != KINFER_DTYPE_INT32 || limit->bytes != sizeof(k))
		return -EINVAL;
	memcpy(&k, limit->data, sizeof(k));
	if (k < 0 || k == 1)
		return -EINVAL;
	if (k && (uint64_t)k < len)
		*max_tokens = (uint64_t)k;
	return 0;
}

static int check_shapes(const struct kinfer_view *text,
			const struct kinfer_view *ids,
			const struct kinfer_view *mask,
			const struct kinfer_view *state)
{
	uint64_t rows = text->rank == 2 ? text->dims[0] : 1;

	if (text->dtype != KINFER_DTYPE_UINT8 || !text->rank ||
	    text->rank > 2 || ids->dtype != KINFER_DTYPE_INT32 ||
	    !kinfer_same_shape(ids, mask) || mask->dtype != KINFER_DTYPE_INT32)
		return -EINVAL;
	if (ids->rank != 2 || ids->dims[0] != rows || ids->dims[1] < 2)
		return -EINVAL;
	if (state->dtype != KINFER_DTYPE_UINT8 ||
	    state->bytes < sizeof(struct kinfer_tok) ||
	    (uintptr_t)state->data % 8)
		return -EINVAL;
	return 0;
}

/**
 * kinfer_prepare_tokenize() - check a TOKENIZE node and its vocabulary
 * @ex: the node, its tensors checked against their buffers
 *
 * Return: 0, -EINVAL for wrong arity, dtypes, shapes, max_tokens below 0
 * or equal to 1, or a vocabulary whose header does not check, -E2BIG when
 * one byte of text could cost more work than a section holds.
 */
int kinfer_prepare_tokenize(struct kinfer_exec *ex)
{
	const struct kinfer_view *text = kinfer_in(ex, 0);
	const struct kinfer_view *vocab = kinfer_in(ex, 1);
	struct kinfer_tokenize_plan *p = &ex->s.tokenize;
	uint64_t per_byte;
	int ret;

	ret = kinfer_check_arity(ex, 2, 3, 3, 3);
	if (ret)
		return ret;
	ret = check_shapes(text, kinfer_out(ex, 0), kinfer_out(ex, 1),
			   kinfer_out(ex, 2));
	if (ret)
		return ret;
	if (vocab->dtype != KINFER_DTYPE_UINT8 ||
	    vocab->buf == KINFER_BUF_ARENA)
		return -EINVAL;
	ret = kinfer_vocab_check(&p->vocab, vocab->data, vocab->bytes);
	if (ret)
		return ret;
	per_byte = kinfer_tok_work_per_byte(&p->vocab);
	if (2 * per_byte > KINFER_FPU_CHUNK)
		return -E2BIG;
	p->rows = text->rank == 2 ? text->dims[0] : 1;
	p->row_bytes = text->dims[text->rank - 1];
	p->len = kinfer_out(ex, 0)->dims[1];
	ret = read_max_tokens(ex, p->len, &p->max_tokens);
	if (ret)
		return ret;
	/* max_tokens is live (a task's knob): read it again every run. */
	ex->per_run = true;
	p->chunk = kinfer_min_u64(p->row_bytes,
				  (KINFER_FPU_CHUNK - per_byte) / per_byte);
	p->chunks = (p->row_bytes + p->chunk - 1) / p->chunk;
	ex->fpu = false;
	/* + 1 chunk per row: finishing flushes the last word. */
	return kinfer_plan_units(ex, p->rows * p->chunks,
				 p->chunk * per_byte + per_byte);
}

/**
 * kinfer_eval_tokenize() - tokenise chunks [@begin, @end) of the rows
 * @ex: the prepared node
 * @begin: first unit
 * @end: one past the last
 *
 * Return: 0.
 */
int kinfer_eval_tokenize(const struct kinfer_exec *ex, uint64_t begin,
			 uint64_t end)
{
	const struct kinfer_tokenize_plan *p = &ex->s.tokenize;
	const struct kinfer_view *out = &ex->t[ex->n_in];
	struct kinfer_tok *t = (void *)out[2].data;
	uint64_t u;

	for (u = begin; u < end; u++) {
		uint64_t row = u / p->chunks, c = u % p->chunks;
		uint64_t from = c * p->chunk;
		uint64_t n = kinfer_min_u64(p->chunk, p->row_bytes - from);
		int32_t *ids = (int32_t *)out[0].data + row * p->len;
		int32_t *mask = (int32_t *)out[1].data + row * p->len;

		if (!c)
			kinfer_tok_start(t, p->max_tokens - 2);
		kinfer_tok_feed(t, &p->vocab,
				ex->t[0].data + row * p->row_bytes + from, n,
				ids + 1);
		if (c + 1 < p->chunks)
			continue;
		kinfer_tok_finish(t, &p->vocab, ids + 1);
		kinfer_tok_layout(&p->vocab, t->n, ids, mask, p->len);
	}
	return 0;
}
