# SPDX-License-Identifier: GPL-2.0
"""loader/src/tflite/schema.h against TensorFlow's generated schema module.

schema.h is a hand-written subset of the TFLite flatbuffer schema (no C++
header of it ships anywhere kinfer can depend on).  Every vtable slot, every
field default and every enum value in it, and the TensorType and Builtin
enums of reader.h, are compared here with
tensorflow/lite/python/schema_py_generated.py, which flatc generated from
the real schema: a slot that drifts fails this test instead of misreading
models.
"""
from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

schema_py = pytest.importorskip("tensorflow.lite.python.schema_py_generated")

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_H = (ROOT / "loader/src/tflite/schema.h").read_text()
READER_H = (ROOT / "loader/src/tflite/reader.h").read_text()
PY_SOURCE = Path(schema_py.__file__).read_text()


def camel(snake: str) -> str:
    """VT_DILATION_W_FACTOR -> DilationWFactor (the generated accessor)."""
    return "".join(p.capitalize() for p in snake.lower().split("_"))


def cpp_tables() -> dict[str, str]:
    """Each accessor struct of schema.h: name -> body."""
    out = {}
    for m in re.finditer(r"^struct (\w+) : \w+ \{(.*?)^\};", SCHEMA_H, re.S | re.M):
        out[m.group(1)] = m.group(2)
    return out


def cpp_slots(body: str) -> dict[str, int]:
    return {name: int(v) for name, v in re.findall(r"\bVT_(\w+) = (\d+)", body)}


def cpp_enum(text: str, name: str) -> dict[str, int]:
    m = re.search(r"enum (?:class )?" + name + r" : \w+ \{(.*?)\};", text, re.S)
    assert m, f"enum {name} not found"
    body = re.sub(r"/\*.*?\*/|//[^\n]*", "", m.group(1), flags=re.S)
    return {k: int(v) for k, v in re.findall(r"(\w+) = (-?\d+)", body)}


def py_method(table: str, method: str):
    cls = getattr(schema_py, table)
    assert hasattr(cls, method), f"{table}.{method} is not in the generated schema"
    return inspect.getsource(getattr(cls, method))


def py_offset(table: str, method: str) -> int:
    m = re.search(r"self\._tab\.Offset\((\d+)\)", py_method(table, method))
    assert m, f"{table}.{method} reads no slot"
    return int(m.group(1))


def py_default(table: str, method: str):
    """The value a scalar accessor returns when the field is absent."""
    last = re.findall(r"return (.+)", py_method(table, method))[-1].strip()
    return {"False": 0, "True": 1}.get(last, last)


TABLES = cpp_tables()


def test_the_subset_covers_what_the_reader_reads() -> None:
    for t in ("Model", "SubGraph", "Tensor", "Buffer", "Operator", "OperatorCode",
              "QuantizationParameters", "Conv2DOptions", "DepthwiseConv2DOptions",
              "Pool2DOptions", "FullyConnectedOptions", "SoftmaxOptions",
              "ConcatenationOptions", "AddOptions", "MulOptions", "ReshapeOptions",
              "ReducerOptions"):
        assert t in TABLES, t
    assert "schema version 3" in SCHEMA_H and "TensorFlow 2.21" in SCHEMA_H


@pytest.mark.parametrize("table", sorted(TABLES))
def test_slots_match_the_generated_schema(table: str) -> None:
    slots = cpp_slots(TABLES[table])
    assert slots, f"{table} has no VT_ constants"
    for field, voffset in slots.items():
        assert voffset == py_offset(table, camel(field)), f"{table}.VT_{field}"


@pytest.mark.parametrize("table", sorted(TABLES))
def test_defaults_match_the_generated_schema(table: str) -> None:
    """get<T>(VT_X, default) in schema.h returns what the generated accessor
    returns for an absent field."""
    body = TABLES[table]
    found = re.findall(r"get<\w+>\(VT_(\w+), ([^)]+)\)", body)
    for field, dflt in found:
        want = py_default(table, camel(field))
        assert float(dflt.rstrip("f")) == float(want), f"{table}.{field}: {dflt} != {want}"


@pytest.mark.parametrize("enum", ["BuiltinOptions", "QuantizationDetails", "Padding",
                                  "ActivationFunctionType",
                                  "FullyConnectedOptionsWeightsFormat"])
def test_schema_enums_match(enum: str) -> None:
    values = cpp_enum(SCHEMA_H, enum)
    py = getattr(schema_py, enum)
    for name, value in values.items():
        assert getattr(py, name) == value, f"{enum}.{name}"


@pytest.mark.parametrize("cpp,py", [("TensorType", "TensorType"), ("Builtin", "BuiltinOperator")])
def test_reader_enums_match(cpp: str, py: str) -> None:
    values = cpp_enum(READER_H, cpp)
    assert len(values) >= 10
    for name, value in values.items():
        assert getattr(getattr(schema_py, py), name) == value, f"{cpp}.{name}"


def test_the_parser_sees_a_wrong_slot() -> None:
    """The regexes above really compare: a shifted slot is caught."""
    bent = TABLES["Tensor"].replace("VT_TYPE = 6", "VT_TYPE = 8")
    assert cpp_slots(bent)["TYPE"] != py_offset("Tensor", "Type")
