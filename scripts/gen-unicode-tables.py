#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Generate kmod/text/unicode_data.h, the tokenizer's Unicode tables.

Usage: gen-unicode-tables.py OUT.h

The source is the pinned HuggingFace ``tokenizers`` package
(models/requirements.txt), asked one code point at a time, because kinfer's
tokenizer must equal it and no single Unicode version does: its Rust crates
embed different ones (measured with tokenizers 0.23.3 against Python 3.11's
unicodedata, Unicode 14.0: 106 punctuation characters differ, because the
unicode_categories crate it uses is Unicode 8.0; unassigned code points are
kept, not removed as "other").  What each table holds, and which of the
package's components answers:

  class flags   BertNormalizer(clean_text) drops or maps to a space;
                BertNormalizer(handle_chinese_chars) pads with spaces (CJK);
                BertPreTokenizer splits on it (whitespace) or isolates it
                (punctuation); BertNormalizer(strip_accents) removes it
                (nonspacing mark; not StripAccents, which removes all marks)
  decomposition NFD of the single code point (Hangul syllables excluded:
                the C code decomposes them algorithmically, checked here)
  lowercase     Lowercase of the single code point
  ccc           the canonical combining class of Python's unicodedata
                (Unicode 14.0.0, pinned with the interpreter) for the code
                points the package's NFD treats as non-starters; ccc values
                never change once assigned (Unicode stability policy), so
                only whether the package knows the character is probed

The output is deterministic: the same package gives the same bytes.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Iterable

from tokenizers import __version__ as tokenizers_version
from tokenizers import normalizers, pre_tokenizers

MAX_CP = 0x110000
BLOCK = 256

# Flag bits: keep in sync with kmod/text/unicode.h.
F_DROP = 1 << 0  # clean_text removes it
F_SPACE = 1 << 1  # clean_text maps it to ' '
F_CJK = 1 << 2  # surrounded by spaces (a word of its own)
F_WS = 1 << 3  # the pre-tokenizer splits on it
F_PUNCT = 1 << 4  # the pre-tokenizer isolates it
F_MN = 1 << 5  # strip_accents removes it (after NFD)
F_DECOMP = 1 << 6  # NFD changes it (table or Hangul)
F_LOWER = 1 << 7  # lowercase changes it
F_NONSTARTER = 1 << 8  # canonical combining class != 0

HANGUL_S, HANGUL_COUNT = 0xAC00, 11172
HANGUL_L, HANGUL_V, HANGUL_T = 0x1100, 0x1161, 0x11A7
HANGUL_NV, HANGUL_NT = 21, 28


def hangul_nfd(cp: int) -> str:
    s = cp - HANGUL_S
    lv = [HANGUL_L + s // (HANGUL_NV * HANGUL_NT), HANGUL_V + (s % (HANGUL_NV * HANGUL_NT)) // HANGUL_NT]
    if s % HANGUL_NT:
        lv.append(HANGUL_T + s % HANGUL_NT)
    return "".join(map(chr, lv))


def code_points() -> Iterable[int]:
    return (cp for cp in range(MAX_CP) if not 0xD800 <= cp <= 0xDFFF)


class Probe:
    """One question per component of the package, per code point."""

    def __init__(self) -> None:
        self.clean = normalizers.BertNormalizer(
            clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False
        )
        self.cjk = normalizers.BertNormalizer(
            clean_text=False, handle_chinese_chars=True, strip_accents=False, lowercase=False
        )
        self.nfd = normalizers.NFD()
        self.strip = normalizers.BertNormalizer(
            clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False
        )
        self.lower = normalizers.Lowercase()
        self.pre = pre_tokenizers.BertPreTokenizer()

    def flags(self, c: str) -> int:
        f = 0
        cleaned = self.clean.normalize_str(c)
        if cleaned == "":
            f |= F_DROP
        elif cleaned == " " and c != " ":
            f |= F_SPACE
        elif cleaned != c:
            raise SystemExit(f"clean_text maps U+{ord(c):04X} to {cleaned!r}")
        if self.cjk.normalize_str(c) == f" {c} ":
            f |= F_CJK
        pieces = [p for p, _ in self.pre.pre_tokenize_str(f"a{c}a")]
        if pieces == ["a", "a"]:
            f |= F_WS
        elif pieces == ["a", c, "a"]:
            f |= F_PUNCT
        elif pieces != [f"a{c}a"]:
            raise SystemExit(f"pre-tokenizer splits a U+{ord(c):04X} a as {pieces!r}")
        # Only NFD-stable code points reach the filter on their own.
        if self.nfd.normalize_str(c) != c:
            f |= F_DECOMP
        elif self.strip.normalize_str(c) == "":
            f |= F_MN
        if self.lower.normalize_str(c) != c:
            f |= F_LOWER
        return f

    def is_nonstarter(self, c: str) -> bool:
        """Does the package's NFD reorder c before U+0345 (ccc 240)?"""
        if c == "\u0345":
            return True
        return self.nfd.normalize_str(f"a\u0345{c}") == f"a{c}\u0345"


def build() -> dict[str, object]:
    probe = Probe()
    flags = [0] * MAX_CP
    decomp: dict[int, list[int]] = {}
    lower: dict[int, list[int]] = {}
    ccc: dict[int, int] = {}
    for cp in code_points():
        c = chr(cp)
        f = probe.flags(c)
        if unicodedata.combining(c) and probe.is_nonstarter(c):
            f |= F_NONSTARTER
            ccc[cp] = unicodedata.combining(c)
        if f & F_DECOMP:
            d = probe.nfd.normalize_str(c)
            if HANGUL_S <= cp < HANGUL_S + HANGUL_COUNT:
                if d != hangul_nfd(cp):
                    raise SystemExit(f"Hangul U+{cp:04X} decomposes as {d!r}")
            else:
                decomp[cp] = [ord(x) for x in d]
        if f & F_LOWER:
            lower[cp] = [ord(x) for x in probe.lower.normalize_str(c)]
        flags[cp] = f
    check_context_free(probe)
    check_nonstarters(flags)
    return {"flags": flags, "decomp": decomp, "lower": lower, "ccc": ccc}


def check_nonstarters(flags: list[int]) -> None:
    """The C code buffers non-starters inside a word: none may end one."""
    for cp, f in enumerate(flags):
        if f & F_NONSTARTER and f & (F_WS | F_PUNCT | F_CJK | F_DROP | F_SPACE):
            raise SystemExit(f"non-starter U+{cp:04X} has flags {f:#x}")


def max_per_byte(t: dict[str, object]) -> int:
    """Most code points the normalizer makes of one byte of UTF-8 input."""
    flags, decomp, lower = t["flags"], t["decomp"], t["lower"]
    assert isinstance(flags, list) and isinstance(decomp, dict) and isinstance(lower, dict)
    worst = 1
    for cp in code_points():
        if not flags[cp] & (F_DECOMP | F_LOWER):
            continue
        if HANGUL_S <= cp < HANGUL_S + HANGUL_COUNT:
            parts = [ord(x) for x in hangul_nfd(cp)]
        else:
            parts = decomp.get(cp, [cp])
        n = sum(len(lower.get(p, [p])) for p in parts)
        worst = max(worst, -(-n // len(chr(cp).encode())))
    return worst


def check_context_free(probe: Probe) -> None:
    """The C code maps code points one at a time: so must the package."""
    for s in ("\u0391\u03a3", "\u03a3\u0391\u03a3 \u03a3", "A\u0130B"):
        one_by_one = "".join(probe.lower.normalize_str(c) for c in s)
        if probe.lower.normalize_str(s) != one_by_one:
            raise SystemExit(f"Lowercase is context sensitive on {s!r}")


def stage_tables(flags: list[int]) -> tuple[list[int], list[list[int]]]:
    index: list[int] = []
    blocks: list[list[int]] = []
    seen: dict[tuple[int, ...], int] = {}
    for start in range(0, MAX_CP, BLOCK):
        block = tuple(flags[start : start + BLOCK])
        if block not in seen:
            seen[block] = len(blocks)
            blocks.append(list(block))
        index.append(seen[block])
    return index, blocks


def c_array(ctype: str, name: str, values: list[int], per_line: int, fmt: str) -> str:
    lines = []
    for i in range(0, len(values), per_line):
        lines.append("\t" + ", ".join(fmt.format(v) for v in values[i : i + per_line]) + ",")
    body = "\n".join(lines)
    return f"static const {ctype} {name}[{len(values)}] = {{\n{body}\n}};\n"


def mapping(name: str, table: dict[int, list[int]]) -> str:
    """Sorted keys, then (offset << 3 | length) into one pool of code points."""
    keys = sorted(table)
    pool: list[int] = []
    spans: list[int] = []
    for cp in keys:
        cps = table[cp]
        if not 1 <= len(cps) <= 7:
            raise SystemExit(f"{name}: U+{cp:04X} maps to {len(cps)} code points")
        spans.append(len(pool) << 3 | len(cps))
        pool.extend(cps)
    return (
        c_array("uint32_t", f"kinfer_{name}_keys", keys, 8, "0x{:05x}")
        + c_array("uint32_t", f"kinfer_{name}_spans", spans, 8, "0x{:05x}")
        + c_array("uint32_t", f"kinfer_{name}_pool", pool, 8, "0x{:05x}")
    )


def render(t: dict[str, object]) -> str:
    flags = t["flags"]
    assert isinstance(flags, list)
    index, blocks = stage_tables(flags)
    decomp = t["decomp"]
    lower = t["lower"]
    ccc = t["ccc"]
    assert isinstance(decomp, dict) and isinstance(lower, dict) and isinstance(ccc, dict)
    ccc_keys = sorted(ccc)
    out = [
        "/* SPDX-License-Identifier: GPL-2.0 */\n",
        "/*\n * Generated by scripts/gen-unicode-tables.py from HuggingFace tokenizers\n",
        f" * {tokenizers_version} and Python {sys.version.split()[0]}'s unicodedata "
        f"{unicodedata.unidata_version}.\n * Do not edit.\n */\n",
        f'#define KINFER_UNICODE_SOURCE "tokenizers {tokenizers_version}, '
        f'unicodedata {unicodedata.unidata_version}"\n',
        f"#define KINFER_UNICODE_BLOCK_SHIFT {BLOCK.bit_length() - 1}\n",
        f"#define KINFER_UNICODE_MAX_PER_BYTE {max_per_byte(t)}\n",
        f"#define KINFER_UNICODE_MAX_DECOMP {max(map(len, decomp.values()))}\n",
        f"#define KINFER_UNICODE_MAX_LOWER {max(map(len, lower.values()))}\n\n",
        c_array("uint16_t", "kinfer_class_index", index, 12, "{:3d}"),
        c_array(
            "uint16_t", "kinfer_class_blocks", [f for b in blocks for f in b], 12, "0x{:03x}"
        ),
        mapping("decomp", decomp),
        mapping("lower", lower),
        c_array("uint32_t", "kinfer_ccc_keys", ccc_keys, 8, "0x{:05x}"),
        c_array("uint8_t", "kinfer_ccc_values", [ccc[k] for k in ccc_keys], 16, "{:3d}"),
    ]
    return "".join(out)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    text = render(build())
    tmp = f"{argv[0]}.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, argv[0])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
