// SPDX-License-Identifier: GPL-2.0
// How `kinfer events` prints a hook's text: every byte stays visible and
// nothing it prints can break a terminal line or a JSON string.
#include "events.h"

#include <catch2/catch.hpp>

#include <string>

using kinfer::escape_text;

namespace {

std::string esc(const std::string &s) { return escape_text((const uint8_t *)s.data(), s.size()); }

} // namespace

TEST_CASE("escape_text keeps printable ASCII and escapes the rest", "[events]")
{
	CHECK(esc("ls -la /tmp") == "ls -la /tmp");
	CHECK(esc("a\"b\\c") == "a\\\"b\\\\c");
	CHECK(esc(std::string("a\0b", 3)) == "a\\x00b");
	CHECK(esc("tab\there\nline\x1b[31m") == "tab\\x09here\\x0aline\\x1b[31m");
	CHECK(esc("caf\xc3\xa9 \xff") == "caf\\xc3\\xa9 \\xff");
	CHECK(esc("\x7f~ ") == "\\x7f~ ");
	CHECK(esc("").empty());
}

TEST_CASE("escape_text output is plain ASCII for every byte value", "[events]")
{
	std::string all;
	for (int c = 0; c < 256; c++)
		all += (char)c;
	std::string out = esc(all);
	for (char c : out)
		CHECK((c >= 0x20 && c < 0x7f));
	// 95 printable, 2 of them escaped with one backslash, 161 as \xHH.
	CHECK(out.size() == 93 + 2 * 2 + 161 * 4);
}
