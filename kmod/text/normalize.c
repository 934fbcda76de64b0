// SPDX-License-Identifier: GPL-2.0
/*
 * From decoded code points to words, as HF's BertNormalizer and
 * BertPreTokenizer do it, in their order: clean-up (drop controls, NUL and
 * U+FFFD; whitespace becomes ' '), CJK characters padded with spaces, NFD
 * with nonspacing marks dropped, lower-casing; then words split at
 * whitespace and punctuation isolated.
 *
 * NFD's canonical ordering sorts each run of non-starters by combining
 * class.  Dropping the nonspacing marks afterwards leaves the others in
 * the order a stable sort of them alone gives, so only those are kept in
 * t->run; starters (dropped or not) end a run.
 */
#include "text/tokenizer.h"
#include "text/unicode.h"

static void end_word(struct kinfer_tok *t, const struct kinfer_vocab_view *v,
		     int32_t *out)
{
	if (t->word_long)
		kinfer_tok_emit(t, v->hdr.unk_id, out);
	else if (t->n_word)
		kinfer_tok_wordpiece(t, v, out);
	t->n_word = 0;
	t->word_long = false;
}

static void append(struct kinfer_tok *t, const struct kinfer_vocab_view *v,
		   uint32_t cp)
{
	if (t->n_word < v->hdr.max_word_chars)
		t->word[t->n_word++] = cp;
	else
		t->word_long = true;
}

/* A normalised code point: joins the word, ends it, or is a word. */
static void pretokenize(struct kinfer_tok *t, const struct kinfer_vocab_view *v,
			uint32_t cp, int32_t *out)
{
	uint32_t cls = kinfer_uc_class(cp);

	if (cls & (KINFER_UC_WS | KINFER_UC_PUNCT))
		end_word(t, v, out);
	if (cls & KINFER_UC_WS)
		return;
	append(t, v, cp);
	if (cls & KINFER_UC_PUNCT)
		end_word(t, v, out);
}

static void lower(struct kinfer_tok *t, const struct kinfer_vocab_view *v,
		  uint32_t cp, int32_t *out)
{
	uint32_t m[KINFER_UC_MAX_MAP], n, i;

	if (!(v->hdr.flags & KINFER_VOCAB_LOWERCASE) ||
	    !(kinfer_uc_class(cp) & KINFER_UC_LOWER)) {
		pretokenize(t, v, cp, out);
		return;
	}
	n = kinfer_uc_lower(cp, m);
	for (i = 0; i < n; i++)
		pretokenize(t, v, m[i], out);
}

/* Stable insertion sort of the run by combining class, then onwards. */
static void flush_run(struct kinfer_tok *t, const struct kinfer_vocab_view *v,
		      int32_t *out)
{
	uint32_t i, j, n = t->n_run;

	for (i = 1; i < n; i++) {
		uint32_t cp = t->run[i], ccc = kinfer_uc_ccc(cp);

		for (j = i; j > 0 && kinfer_uc_ccc(t->run[j - 1]) > ccc; j--)
			t->run[j] = t->run[j - 1];
		t->run[j] = cp;
	}
	t->n_run = 0;
	for (i = 0; i < n; i++)
		lower(t, v, t->run[i], out);
}

/* One code point of the NFD form, accents stripped. */
static void decomposed(struct kinfer_tok *t, const struct kinfer_vocab_view *v,
		       uint32_t cp, int32_t *out)
{
	uint32_t cls = kinfer_uc_class(cp);

	if (cls & KINFER_UC_NONSTARTER) {
		if (cls & KINFER_UC_MN)
			return;
		/* A run this long makes the word longer than any allowed. */
		if (t->n_run < KINFER_VOCAB_MAX_WORD + 1)
			t->run[t->n_run++] = cp;
		else
			t->word_long = true;
		return;
	}
	flush_run(t, v, out);
	if (!(cls & KINFER_UC_MN))
		lower(t, v, cp, out);
}

static void strip_accents(struct kinfer_tok *t,
			  const struct kinfer_vocab_view *v, uint32_t cp,
			  uint32_t cls, int32_t *out)
{
	uint32_t d[KINFER_UC_MAX_MAP], n, i;

	if (!(cls & KINFER_UC_DECOMP)) {
		decomposed(t, v, cp, out);
		return;
	}
	n = kinfer_uc_decompose(cp, d);
	for (i = 0; i < n; i++)
		decomposed(t, v, d[i], out);
}

/* Words end: at the end of the text, and around added tokens. */
void kinfer_tok_flush(struct kinfer_tok *t, const struct kinfer_vocab_view *v,
		      int32_t *out)
{
	flush_run(t, v, out);
	end_word(t, v, out);
}

/**
 * kinfer_tok_char() - normalise and pre-tokenise one code point of the text
 * @t: the tokenizer state
 * @v: the vocabulary (its flags select the normalisation steps)
 * @cp: the code point
 * @out: where finished tokens go
 */
void kinfer_tok_char(struct kinfer_tok *t, const struct kinfer_vocab_view *v,
		     uint32_t cp, int32_t *out)
{
	uint32_t flags = v->hdr.flags;
	uint32_t cls = kinfer_uc_class(cp);
	bool cjk;

	if (flags & KINFER_VOCAB_CLEAN_TEXT) {
		if (cls & KINFER_UC_DROP)
			return;
		if (cls & KINFER_UC_SPACE) {
			cp = ' ';
			cls = kinfer_uc_class(cp);
		}
	}
	cjk = (flags & KINFER_VOCAB_CHINESE_CHARS) && (cls & KINFER_UC_CJK);
	if (cjk)
		kinfer_tok_flush(t, v, out);
	if (flags & KINFER_VOCAB_STRIP_ACCENTS)
		strip_accents(t, v, cp, cls, out);
	else
		lower(t, v, cp, out);
	if (cjk)
		kinfer_tok_flush(t, v, out);
}
