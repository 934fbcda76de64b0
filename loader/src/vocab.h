// SPDX-License-Identifier: GPL-2.0
// WordPiece vocabularies: read from vocab.txt or tokenizer.json (or a
// model's kinfer tokenizer node), built into the map value the kernel's
// TOKENIZE reads (struct kinfer_vocab, kmod/uapi/kinfer.h), and used in
// userspace through the kernel's own tokenizer source (kmod/text/).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kinfer {

// What HF's BertNormalizer, BertPreTokenizer and WordPiece need.
struct Vocab {
	std::string source;			// file (and node) it came from, for errors
	std::vector<std::string> tokens;	// by id
	std::map<std::string, int32_t> added;	// matched in the raw text
	std::string unk = "[UNK]", cls = "[CLS]", sep = "[SEP]", pad = "[PAD]";
	bool clean_text = true, chinese_chars = true, strip_accents = true, lowercase = true;
	uint32_t max_word_chars = 100;
};

// vocab.txt (one token per line, the line number is its id; [UNK],
// [CLS], [SEP], [PAD] and [MASK] become added tokens where present, as
// in HF's BertWordPieceTokenizer) or tokenizer.json (its BertNormalizer,
// WordPiece model, template and added tokens; other pipelines are refused).
Vocab read_vocab(const std::string &file);
Vocab parse_vocab_txt(const std::string &text, const std::string &source);
Vocab parse_tokenizer_json(const std::string &text, const std::string &source);

// The id of a token; throws ModelError naming the vocabulary when absent.
int32_t vocab_id(const Vocab &v, const std::string &token, const char *role);

// The map value: header, hash slots, pool.  Throws ModelError when a
// limit of the kernel's format is exceeded.
std::vector<uint8_t> build_vocab_blob(const Vocab &v);

// Tokenise in userspace with the kernel's code: ids and mask of `len`
// ([CLS] ... [SEP] [PAD]...).  blob from build_vocab_blob().
void tokenize_text(const std::vector<uint8_t> &blob, const uint8_t *text, size_t n, uint32_t len,
		   int32_t *ids, int32_t *mask);

} // namespace kinfer
