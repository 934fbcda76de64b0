// SPDX-License-Identifier: GPL-2.0
/*
 * The vocabulary map value: its header is checked once per node, each
 * slot and key when a lookup touches it.
 */
#include "text/tokenizer.h"
#include "text/unicode.h"

static bool id_ok(const struct kinfer_vocab *h, int32_t id)
{
	return id >= 0 && (uint32_t)id < h->n_tokens;
}

static int check_added(const struct kinfer_vocab *h)
{
	uint32_t i;

	if (h->n_added > KINFER_VOCAB_MAX_ADDED)
		return -EINVAL;
	for (i = 0; i < h->n_added; i++) {
		const struct kinfer_vocab_added *a = &h->added[i];

		if (!a->key_len || a->key_len > KINFER_VOCAB_MAX_ADDED_KEY ||
		    a->reserved || a->key_off > h->pool_bytes ||
		    a->key_len > h->pool_bytes - a->key_off || !id_ok(h, a->id))
			return -EINVAL;
	}
	return 0;
}

/**
 * kinfer_vocab_check() - check a vocabulary's header against its size
 * @v: receives the header and the addresses of the slots and the pool
 * @blob: the map value
 * @size: its size in bytes
 *
 * Return: 0, or -EINVAL for a header that is not a valid vocabulary of
 * this size (magic, version, limits, special ids, layout).
 */
int kinfer_vocab_check(struct kinfer_vocab_view *v, const void *blob,
		       uint64_t size)
{
	struct kinfer_vocab *h = &v->hdr;
	uint64_t need;

	if (size < sizeof(*h))
		return -EINVAL;
	memcpy(h, blob, sizeof(*h));
	if (h->magic != KINFER_VOCAB_MAGIC ||
	    h->version != KINFER_VOCAB_VERSION ||
	    (h->flags & ~KINFER_VOCAB_FLAGS) || h->reserved)
		return -EINVAL;
	if (!h->n_slots || h->n_slots > KINFER_VOCAB_MAX_SLOTS ||
	    (h->n_slots & (h->n_slots - 1)) || !h->max_probe ||
	    h->max_probe > KINFER_VOCAB_MAX_PROBE ||
	    h->max_probe > h->n_slots || !h->max_key ||
	    h->max_key > KINFER_VOCAB_MAX_KEY || !h->max_word_chars ||
	    h->max_word_chars > KINFER_VOCAB_MAX_WORD)
		return -EINVAL;
	if (!id_ok(h, h->unk_id) || !id_ok(h, h->cls_id) ||
	    !id_ok(h, h->sep_id) || !id_ok(h, h->pad_id))
		return -EINVAL;
	need = sizeof(*h) + (uint64_t)h->n_slots * sizeof(*v->slots) +
	       h->pool_bytes;
	if (need > size || check_added(h))
		return -EINVAL;
	v->slots = (const void *)((const uint8_t *)blob + sizeof(*h));
	v->pool = (const uint8_t *)(v->slots + h->n_slots);
	return 0;
}

/*
 * Work units per byte of text, an upper bound: each byte makes at most
 * kinfer_uc_max_per_byte() characters of a word, and each character
 * starts at most max_key lookups of at most max_probe probes, each of
 * which may compare max_key bytes.
 */
uint64_t kinfer_tok_work_per_byte(const struct kinfer_vocab_view *v)
{
	uint64_t probe = 1 + v->hdr.max_key / 16;

	return 16 + (uint64_t)kinfer_uc_max_per_byte() * v->hdr.max_key *
		    v->hdr.max_probe * probe;
}

static bool key_equals(const struct kinfer_vocab_view *v,
		       const struct kinfer_vocab_slot *s, const uint8_t *key,
		       uint32_t len, bool continuation)
{
	uint32_t prefix = continuation ? 2 : 0;
	const uint8_t *p;

	if (s->key_len != len + prefix || s->key_off > v->hdr.pool_bytes ||
	    s->key_len > v->hdr.pool_bytes - s->key_off)
		return false;
	p = v->pool + s->key_off;
	if (continuation && (p[0] != '#' || p[1] != '#'))
		return false;
	return !memcmp(p + prefix, key, len);
}

/**
 * kinfer_vocab_find() - the id of a token
 * @v: the checked vocabulary
 * @hash: kinfer_vocab_hash() of the token's bytes ("##" included)
 * @key: the bytes, without "##"
 * @len: their count
 * @continuation: the token is "##" followed by @key
 *
 * Return: its id, or -1 when the vocabulary does not hold it (or the
 * slot that would is corrupt).
 */
int32_t kinfer_vocab_find(const struct kinfer_vocab_view *v, uint32_t hash,
			  const uint8_t *key, uint32_t len, bool continuation)
{
	uint32_t mask = v->hdr.n_slots - 1;
	uint32_t i, probe;

	for (probe = 0, i = hash & mask; probe < v->hdr.max_probe;
	     probe++, i = (i + 1) & mask) {
		struct kinfer_vocab_slot s;

		memcpy(&s, &v->slots[i], sizeof(s));
		if (!s.key_len)
			return -1;
		if (s.hash == hash && key_equals(v, &s, key, len, continuation))
			return id_ok(&v->hdr, s.id) ? s.id : -1;
	}
	return -1;
}
