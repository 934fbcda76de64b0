// SPDX-License-Identifier: GPL-2.0
// The vocabulary map value: what the loader builds, and what the kernel's
// checks (kmod/text/vocab.c) refuse.  A corrupt value must fail the node
// or miss a lookup, never read outside the value (run under ASan by
// make test-sanitize).
#include "error.h"
#include "vocab.h"

extern "C" {
#include <text/tokenizer.h>
}

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstring>
#include <functional>

using namespace kinfer;
using Catch::Matchers::Contains;

namespace {

const char *kVocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\nun\n##aff\n##able\n,\n!\n";

std::vector<int32_t> ids_of(const std::vector<uint8_t> &blob, const std::string &text, uint32_t len = 12)
{
	std::vector<int32_t> ids(len), mask(len);
	tokenize_text(blob, (const uint8_t *)text.data(), text.size(), len, ids.data(), mask.data());
	size_t n = 0;
	while (n < len && mask[n])
		n++;
	ids.resize(n);
	return ids;
}

kinfer_vocab *header(std::vector<uint8_t> &blob)
{
	return reinterpret_cast<kinfer_vocab *>(blob.data());
}

int check(const std::vector<uint8_t> &blob, size_t size)
{
	kinfer_vocab_view v;
	return kinfer_vocab_check(&v, blob.data(), size);
}

} // namespace

TEST_CASE("vocab: vocab.txt into the map value, tokenised")
{
	std::vector<uint8_t> blob = build_vocab_blob(parse_vocab_txt(kVocab, "vocab.txt"));
	CHECK(check(blob, blob.size()) == 0);
	CHECK(ids_of(blob, "Hello, WORLD! unaffable") == std::vector<int32_t>{2, 5, 10, 6, 11, 7, 8, 9, 3});
	CHECK(ids_of(blob, "helloworld") == std::vector<int32_t>{2, 1, 3});	// no "##world"
	CHECK(ids_of(blob, "[MASK]hello") == std::vector<int32_t>{2, 4, 5, 3});
	CHECK(ids_of(blob, "hello hello hello hello", 4) == std::vector<int32_t>{2, 5, 5, 3});
}

TEST_CASE("vocab: every header field the kernel checks")
{
	const std::vector<uint8_t> good = build_vocab_blob(parse_vocab_txt(kVocab, "vocab.txt"));
	const std::vector<std::pair<const char *, std::function<void(kinfer_vocab &)>>> corrupt = {
		{"magic", [](kinfer_vocab &h) { h.magic ^= 1; }},
		{"version", [](kinfer_vocab &h) { h.version = 2; }},
		{"flags", [](kinfer_vocab &h) { h.flags |= 1u << 7; }},
		{"n_slots not a power of two", [](kinfer_vocab &h) { h.n_slots = 3; }},
		{"n_slots too many", [](kinfer_vocab &h) { h.n_slots = KINFER_VOCAB_MAX_SLOTS * 2; }},
		{"max_probe 0", [](kinfer_vocab &h) { h.max_probe = 0; }},
		{"max_probe too long", [](kinfer_vocab &h) { h.max_probe = KINFER_VOCAB_MAX_PROBE + 1; }},
		{"max_key", [](kinfer_vocab &h) { h.max_key = KINFER_VOCAB_MAX_KEY + 1; }},
		{"max_word_chars", [](kinfer_vocab &h) { h.max_word_chars = 0; }},
		{"pool past the end", [](kinfer_vocab &h) { h.pool_bytes += 1; }},
		{"unk id", [](kinfer_vocab &h) { h.unk_id = (int32_t)h.n_tokens; }},
		{"cls id", [](kinfer_vocab &h) { h.cls_id = -1; }},
		{"n_added", [](kinfer_vocab &h) { h.n_added = KINFER_VOCAB_MAX_ADDED + 1; }},
		{"added key past the pool", [](kinfer_vocab &h) { h.added[0].key_off = h.pool_bytes; }},
		{"added key length", [](kinfer_vocab &h) { h.added[0].key_len = 0; }},
		{"added id", [](kinfer_vocab &h) { h.added[1].id = 1 << 30; }},
		{"reserved", [](kinfer_vocab &h) { h.reserved = 1; }},
	};
	for (const auto &[what, change] : corrupt) {
		INFO(what);
		std::vector<uint8_t> blob = good;
		change(*header(blob));
		CHECK(check(blob, blob.size()) == -EINVAL);
	}
	CHECK(check(good, good.size() - 1) == -EINVAL);
	CHECK(check(good, sizeof(kinfer_vocab) - 1) == -EINVAL);
}

TEST_CASE("vocab: corrupt slots miss instead of reading outside the value")
{
	std::vector<uint8_t> blob = build_vocab_blob(parse_vocab_txt(kVocab, "vocab.txt"));
	kinfer_vocab h = *header(blob);
	auto *slots = reinterpret_cast<kinfer_vocab_slot *>(blob.data() + sizeof(kinfer_vocab));
	for (uint32_t i = 0; i < h.n_slots; i++) {
		if (!slots[i].key_len)
			continue;
		if (slots[i].id == 5)		// hello: key beyond the pool
			slots[i].key_off = h.pool_bytes - 1;
		if (slots[i].id == 6)		// world: id beyond the vocabulary
			slots[i].id = (int32_t)h.n_tokens;
	}
	CHECK(ids_of(blob, "hello world un") == std::vector<int32_t>{2, 1, 1, 7, 3});
}

TEST_CASE("vocab: limits of the format are errors that name the vocabulary")
{
	CHECK_THROWS_WITH(build_vocab_blob(parse_vocab_txt(std::string(kVocab) + std::string(65, 'x') + "\n", "v.txt")),
			  Contains("v.txt: token 12") && Contains("longer than 64 bytes"));
	CHECK_THROWS_WITH(parse_vocab_txt("a\nb\n", "v.txt"), Contains("'[UNK]' is not in the vocabulary"));
	CHECK_THROWS_WITH(parse_tokenizer_json("[]", "t.json"), Contains("t.json"));
}
