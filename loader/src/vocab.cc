// SPDX-License-Identifier: GPL-2.0
#include "vocab.h"

#include "error.h"

extern "C" {
#include <text/tokenizer.h>
}

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

namespace kinfer {

using nlohmann::json;

namespace {

constexpr const char *kSpecials[] = {"[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"};

std::string read_file(const std::string &file)
{
	std::ifstream in(file, std::ios::binary);
	if (!in)
		throw InputError(file + ": cannot read (" + errno_name(errno) + ")");
	std::ostringstream s;
	s << in.rdbuf();
	return s.str();
}

bool ends_with(const std::string &s, const std::string &suffix)
{
	return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// HF trims the end of each vocab.txt line (Rust's trim_end; vocabularies
// hold no non-ASCII trailing whitespace).
std::string trim_end(std::string s)
{
	while (!s.empty() && std::strchr(" \t\r\n\v\f", s.back()))
		s.pop_back();
	return s;
}

template <typename T>
T field(const json &j, const char *key, const T &def, const std::string &where)
{
	if (!j.contains(key) || j.at(key).is_null())
		return def;
	try {
		return j.at(key).get<T>();
	} catch (const json::exception &) {
		throw ModelError(where + ": field '" + key + "' has the wrong type");
	}
}

void read_normalizer(Vocab &v, const json &n, const std::string &src)
{
	if (!n.is_object() || n.value("type", "") != "BertNormalizer")
		throw ModelError(src + ": normalizer: only BertNormalizer is supported");
	v.clean_text = field<bool>(n, "clean_text", true, src + ": normalizer");
	v.chinese_chars = field<bool>(n, "handle_chinese_chars", true, src + ": normalizer");
	v.lowercase = field<bool>(n, "lowercase", true, src + ": normalizer");
	v.strip_accents = field<bool>(n, "strip_accents", v.lowercase, src + ": normalizer");
}

void read_model(Vocab &v, const json &m, const std::string &src)
{
	if (!m.is_object() || m.value("type", "") != "WordPiece")
		throw ModelError(src + ": model: only WordPiece is supported");
	if (field<std::string>(m, "continuing_subword_prefix", "##", src + ": model") != "##")
		throw ModelError(src + ": model: continuing_subword_prefix must be \"##\"");
	v.unk = field<std::string>(m, "unk_token", "[UNK]", src + ": model");
	int64_t max_chars = field<int64_t>(m, "max_input_chars_per_word", 100, src + ": model");
	if (max_chars < 1 || max_chars > KINFER_VOCAB_MAX_WORD)
		throw ModelError(src + ": model: max_input_chars_per_word " + std::to_string(max_chars) +
				 " is outside 1.." + std::to_string(KINFER_VOCAB_MAX_WORD));
	v.max_word_chars = (uint32_t)max_chars;
	const json &vocab = m.at("vocab");
	if (!vocab.is_object() || vocab.empty())
		throw ModelError(src + ": model: vocab must be a non-empty object");
	v.tokens.assign(vocab.size(), std::string());
	for (const auto &[token, id] : vocab.items()) {
		int64_t i = id.is_number_integer() ? id.get<int64_t>() : -1;
		if (i < 0 || (size_t)i >= v.tokens.size() || !v.tokens[(size_t)i].empty())
			throw ModelError(src + ": model: token '" + printable(token) +
					 "' has an id outside 0.." + std::to_string(v.tokens.size() - 1) +
					 " or one given twice");
		v.tokens[(size_t)i] = token;
	}
}

void read_added(Vocab &v, const json &added, const std::string &src)
{
	for (const json &a : added) {
		std::string content = field<std::string>(a, "content", "", src + ": added_tokens");
		if (field<bool>(a, "normalized", false, src) || field<bool>(a, "lstrip", false, src) ||
		    field<bool>(a, "rstrip", false, src) || field<bool>(a, "single_word", false, src))
			throw ModelError(src + ": added token '" + printable(content) +
					 "': only normalized, lstrip, rstrip and single_word false are supported");
		v.added[content] = field<int32_t>(a, "id", -1, src + ": added_tokens");
	}
}

// [CLS] A [SEP] from the TemplateProcessing or BertProcessing post-processor.
void read_template(Vocab &v, const json &p, const std::string &src)
{
	std::string type = p.is_object() ? p.value("type", "") : "";
	if (type == "BertProcessing") {
		v.sep = p.at("sep").at(0).get<std::string>();
		v.cls = p.at("cls").at(0).get<std::string>();
		return;
	}
	if (type != "TemplateProcessing")
		throw ModelError(src + ": post_processor: only TemplateProcessing and BertProcessing are supported");
	const json &single = p.at("single");
	if (single.size() != 3 || !single[0].contains("SpecialToken") || !single[1].contains("Sequence") ||
	    !single[2].contains("SpecialToken"))
		throw ModelError(src + ": post_processor: the template must be [CLS] $A [SEP]");
	v.cls = single[0]["SpecialToken"].at("id").get<std::string>();
	v.sep = single[2]["SpecialToken"].at("id").get<std::string>();
}

void check_ids(const Vocab &v)
{
	for (const auto &[token, id] : v.added)
		if (id < 0 || (size_t)id >= v.tokens.size())
			throw ModelError(v.source + ": added token '" + printable(token) + "' has id " +
					 std::to_string(id) + ", outside the vocabulary");
	vocab_id(v, v.unk, "unknown token");
	vocab_id(v, v.cls, "[CLS] token");
	vocab_id(v, v.sep, "[SEP] token");
	vocab_id(v, v.pad, "padding token");
}

} // namespace

Vocab parse_vocab_txt(const std::string &text, const std::string &source)
{
	Vocab v;
	v.source = source;
	std::istringstream in(text);
	std::string line;
	while (std::getline(in, line))
		v.tokens.push_back(trim_end(line));
	if (v.tokens.empty())
		throw ModelError(source + ": the vocabulary is empty");
	for (size_t i = 0; i < v.tokens.size(); i++)
		for (const char *s : kSpecials)
			if (v.tokens[i] == s)
				v.added[s] = (int32_t)i;
	check_ids(v);
	return v;
}

Vocab parse_tokenizer_json(const std::string &text, const std::string &source)
{
	json j;
	try {
		j = json::parse(text);
	} catch (const json::exception &e) {
		throw ModelError(source + ": not JSON: " + e.what());
	}
	Vocab v;
	v.source = source;
	try {
		read_normalizer(v, j.at("normalizer"), source);
		if (!j.at("pre_tokenizer").is_object() ||
		    j["pre_tokenizer"].value("type", "") != "BertPreTokenizer")
			throw ModelError(source + ": pre_tokenizer: only BertPreTokenizer is supported");
		read_model(v, j.at("model"), source);
		if (j.contains("added_tokens"))
			read_added(v, j["added_tokens"], source);
		read_template(v, j.at("post_processor"), source);
		if (j.contains("padding") && j["padding"].is_object())
			v.pad = field<std::string>(j["padding"], "pad_token", "[PAD]", source);
	} catch (const json::exception &e) {
		throw ModelError(source + ": " + e.what());
	}
	check_ids(v);
	return v;
}

Vocab read_vocab(const std::string &file)
{
	std::string text = read_file(file);
	if (ends_with(file, ".json"))
		return parse_tokenizer_json(text, file);
	return parse_vocab_txt(text, file);
}

int32_t vocab_id(const Vocab &v, const std::string &token, const char *role)
{
	for (size_t i = v.tokens.size(); i-- > 0;)
		if (v.tokens[i] == token)
			return (int32_t)i;
	throw ModelError(v.source + ": the " + role + " '" + printable(token) +
			 "' is not in the vocabulary");
}

namespace {

struct Slots {
	std::vector<kinfer_vocab_slot> slots;
	uint32_t max_probe = 0;
};

// Linear probing; a later duplicate replaces an earlier one (as HF's map).
Slots place(const std::vector<std::string> &tokens, const std::vector<uint32_t> &offs,
	    const std::vector<uint32_t> &hashes, uint32_t n_slots)
{
	Slots s;
	s.slots.assign(n_slots, kinfer_vocab_slot{});
	for (size_t id = 0; id < tokens.size(); id++) {
		if (tokens[id].empty())
			continue;
		uint32_t i = hashes[id] & (n_slots - 1), probe = 1;
		for (;; i = (i + 1) & (n_slots - 1), probe++) {
			kinfer_vocab_slot &slot = s.slots[i];
			if (!slot.key_len || (slot.hash == hashes[id] && tokens[slot.id] == tokens[id]))
				break;
		}
		s.slots[i] = kinfer_vocab_slot{hashes[id], offs[id], (uint16_t)tokens[id].size(), 0,
						(int32_t)id};
		s.max_probe = std::max(s.max_probe, probe);
	}
	return s;
}

} // namespace

std::vector<uint8_t> build_vocab_blob(const Vocab &v)
{
	if (v.tokens.size() >= KINFER_VOCAB_MAX_SLOTS / 2)
		throw ModelError(v.source + ": " + std::to_string(v.tokens.size()) +
				 " tokens are more than the kernel's format holds");
	if (v.added.size() > KINFER_VOCAB_MAX_ADDED)
		throw ModelError(v.source + ": more than " + std::to_string(KINFER_VOCAB_MAX_ADDED) +
				 " added tokens");
	kinfer_vocab h{};
	h.magic = KINFER_VOCAB_MAGIC;
	h.version = KINFER_VOCAB_VERSION;
	h.flags = (v.clean_text ? KINFER_VOCAB_CLEAN_TEXT : 0) |
		  (v.chinese_chars ? KINFER_VOCAB_CHINESE_CHARS : 0) |
		  (v.strip_accents ? KINFER_VOCAB_STRIP_ACCENTS : 0) |
		  (v.lowercase ? KINFER_VOCAB_LOWERCASE : 0);
	h.n_tokens = (uint32_t)v.tokens.size();
	h.max_word_chars = v.max_word_chars;
	h.unk_id = vocab_id(v, v.unk, "unknown token");
	h.cls_id = vocab_id(v, v.cls, "[CLS] token");
	h.sep_id = vocab_id(v, v.sep, "[SEP] token");
	h.pad_id = vocab_id(v, v.pad, "padding token");

	std::string pool;
	std::vector<uint32_t> offs, hashes;
	kinfer_vocab_view hv{};
	hv.hdr = h;
	for (size_t id = 0; id < v.tokens.size(); id++) {
		const std::string &t = v.tokens[id];
		if (t.size() > KINFER_VOCAB_MAX_KEY)
			throw ModelError(v.source + ": token " + std::to_string(id) + " ('" + printable(t) +
					 "') is longer than " + std::to_string(KINFER_VOCAB_MAX_KEY) + " bytes");
		offs.push_back((uint32_t)pool.size());
		hashes.push_back(kinfer_vocab_hash(kinfer_vocab_hash_init(&hv),
						   (const uint8_t *)t.data(), (uint32_t)t.size()));
		pool += t;
		h.max_key = std::max<uint32_t>(h.max_key, (uint32_t)t.size());
	}
	for (const auto &[token, id] : v.added) {
		if (token.empty() || token.size() > KINFER_VOCAB_MAX_ADDED_KEY)
			throw ModelError(v.source + ": added token '" + printable(token) + "' is empty or longer than " +
					 std::to_string(KINFER_VOCAB_MAX_ADDED_KEY) + " bytes");
		h.added[h.n_added++] = kinfer_vocab_added{(uint32_t)pool.size(), (uint16_t)token.size(), 0, id};
		pool += token;
	}
	h.pool_bytes = (uint32_t)pool.size();

	uint32_t n_slots = 16;
	while (n_slots < 2 * v.tokens.size())
		n_slots *= 2;
	Slots s = place(v.tokens, offs, hashes, n_slots);
	while (s.max_probe > KINFER_VOCAB_MAX_PROBE / 4 && n_slots < KINFER_VOCAB_MAX_SLOTS) {
		n_slots *= 2;
		s = place(v.tokens, offs, hashes, n_slots);
	}
	if (!h.max_key || s.max_probe > KINFER_VOCAB_MAX_PROBE)
		throw ModelError(v.source + ": the vocabulary has no tokens, or cannot be hashed");
	h.n_slots = n_slots;
	h.max_probe = s.max_probe;

	std::vector<uint8_t> blob(sizeof(h) + n_slots * sizeof(kinfer_vocab_slot) + pool.size());
	std::memcpy(blob.data(), &h, sizeof(h));
	std::memcpy(blob.data() + sizeof(h), s.slots.data(), n_slots * sizeof(kinfer_vocab_slot));
	std::memcpy(blob.data() + sizeof(h) + n_slots * sizeof(kinfer_vocab_slot), pool.data(), pool.size());
	return blob;
}

void tokenize_text(const std::vector<uint8_t> &blob, const uint8_t *text, size_t n, uint32_t len,
		   int32_t *ids, int32_t *mask)
{
	kinfer_vocab_view v;
	if (len < 2 || kinfer_vocab_check(&v, blob.data(), blob.size()))
		throw InputError("tokenize: a sequence length of at least 2 and a valid vocabulary are needed");
	auto t = std::make_unique<kinfer_tok>();
	kinfer_tok_start(t.get(), len - 2);
	kinfer_tok_feed(t.get(), &v, text, n, ids + 1);
	kinfer_tok_finish(t.get(), &v, ids + 1);
	kinfer_tok_layout(&v, t->n, ids, mask, len);
}

} // namespace kinfer
