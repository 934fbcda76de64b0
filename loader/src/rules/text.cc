// SPDX-License-Identifier: GPL-2.0
// ai.kinfer.WordPieceTokenizer (kernel op TOKENIZE): text bytes in, BERT
// token ids and attention mask out, as HF tokenizers makes them.
//
//	text uint8 [B, N] or [N], max_tokens int32 [1] (optional)
//		->  input_ids, attention_mask int32 [B, L]
//
// Attributes: max_length (L, >= 2), and the vocabulary as the text of a
// tokenizer.json (tokenizer_json) or of a vocab.txt (vocab_txt).  Texts
// shorter than N are padded with NUL bytes, which the tokenizer drops.
// The vocabulary becomes one weight map (struct kinfer_vocab), the
// tokenizer's state a scratch tensor in the arena.  max_tokens is read at
// run time: a tighter truncation for the same L (0: L), so a task's
// token cap can change without recompiling (kmod/ops/tokenize.c).
#include "error.h"
#include "rules.h"
#include "vocab.h"

extern "C" {
#include <text/tokenizer.h>
}

namespace kinfer {

namespace {

// Longest sequence: far beyond BERT's 512, and the arena bounds it anyway.
constexpr int64_t kMaxLength = 1 << 16;

Vocab node_vocab(const NodeAttrs &c)
{
	bool json = c.has_attr("tokenizer_json"), txt = c.has_attr("vocab_txt");
	if (json == txt)
		c.fail("needs exactly one of the attributes tokenizer_json and vocab_txt");
	try {
		if (json)
			return parse_tokenizer_json(c.attr_string("tokenizer_json", ""), "attribute tokenizer_json");
		return parse_vocab_txt(c.attr_string("vocab_txt", ""), "attribute vocab_txt");
	} catch (const ModelError &e) {
		c.fail(e.what());
	}
}

uint32_t max_length(const NodeAttrs &c)
{
	int64_t l = c.attr_int("max_length", 0);
	if (l < 2 || l > kMaxLength)
		c.fail("max_length " + std::to_string(l) + " is outside 2.." + std::to_string(kMaxLength));
	return (uint32_t)l;
}

std::vector<uint8_t> blob_of(const NodeAttrs &c)
{
	try {
		return build_vocab_blob(node_vocab(c));
	} catch (const ModelError &e) {
		c.fail(e.what());
	}
}

} // namespace

void infer_wordpiece(NodeCtx &c)
{
	c.arity(1, 2, 2, 2);
	const Value &text = c.in(0, {DType::u8});
	if (text.shape.empty() || text.shape.size() > 2)
		c.fail("the text " + c.what(0) + " must be uint8 [N] or [B, N], not " + shape_str(text.shape));
	if (c.has_in(1) && shape_numel(c.in(1, {DType::i32}).shape) != 1)
		c.fail("max_tokens " + c.what(1) + " must be one int32, not " + shape_str(c.in(1).shape));
	uint32_t len = max_length(c);
	blob_of(c);
	Shape out{text.shape.size() == 2 ? text.shape[0] : 1, len};
	c.define(0, DType::i32, out);
	c.define(1, DType::i32, out);
}

void lower_wordpiece(LowerCtx &c)
{
	std::vector<uint8_t> blob = blob_of(c);
	HostTensor vocab;
	vocab.dtype = DType::u8;
	vocab.shape = {(int64_t)blob.size()};
	vocab.data = std::move(blob);
	std::string base = node_short(c.n);
	LRef v = c.weight(base + "/vocab", std::move(vocab));
	LRef state = c.scratch(DType::u8, {(int64_t)sizeof(kinfer_tok)}, base + "/state");
	std::vector<LRef> in{c.in(0), v};
	if (c.has_in(1))
		in.push_back(c.in(1));
	c.emit(KINFER_OP_TOKENIZE, std::move(in), {c.out(0), c.out(1), state});
}

} // namespace kinfer
