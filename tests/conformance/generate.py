#!/usr/bin/env python3
"""Write ONNX's own backend node test cases to a directory.

The pinned ``onnx`` wheel no longer ships ``onnx/backend/test/data/node``;
it ships the generators (``onnx.backend.test.case.node``), whose reference
outputs come from ONNX's numpy reference implementations.  This writes the
same layout the ONNX repository does:

    OUT/<case>/model.onnx
    OUT/<case>/test_data_set_<k>/input_<i>.pb, output_<i>.pb

plus ``OUT/index.json``: every case with the operator it tests (the op of a
single-node case; for an ``_expanded`` case, the op its twin tests), its
tolerances and the operators its graph uses.  Nothing is dropped: every
case the package defines is listed.

Usage: generate.py OUT
"""
from __future__ import annotations

import json
import os
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper


def write_tensor(path: Path, value: object, name: str) -> bool:
    if isinstance(value, onnx.TensorProto):
        path.write_bytes(value.SerializeToString())
        return True
    if not isinstance(value, np.ndarray) and not np.isscalar(value):
        return False    # sequences, maps, optionals: no tensor to write
    path.write_bytes(numpy_helper.from_array(np.asarray(value), name).SerializeToString())
    return True


def base_name(name: str) -> str:
    return re.sub(r"_expanded(_ver\d+)?$", "", name)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from onnx.backend.test.case import node as node_cases

        cases = node_cases.collect_testcases(None)
    single = {c.name: c.model.graph.node[0].op_type for c in cases if len(c.model.graph.node) == 1}
    index = []
    for case in sorted(cases, key=lambda c: c.name):
        graph = case.model.graph
        ops = sorted({n.op_type for n in graph.node})
        op = single.get(case.name) or single.get(base_name(case.name)) or graph.node[-1].op_type
        entry = {"name": case.name, "op": op, "ops": ops, "rtol": case.rtol, "atol": case.atol,
                 "data_sets": 0, "tensor_io": True}
        d = out / case.name
        d.mkdir(exist_ok=True)
        (d / "model.onnx").write_bytes(case.model.SerializeToString())
        for k, (inputs, outputs) in enumerate(case.data_sets or []):
            ds = d / f"test_data_set_{k}"
            ds.mkdir(exist_ok=True)
            for i, v in enumerate(inputs):
                name = graph.input[i].name if i < len(graph.input) else f"input_{i}"
                entry["tensor_io"] &= write_tensor(ds / f"input_{i}.pb", v, name)
            for i, v in enumerate(outputs):
                name = graph.output[i].name if i < len(graph.output) else f"output_{i}"
                entry["tensor_io"] &= write_tensor(ds / f"output_{i}.pb", v, name)
            entry["data_sets"] += 1
        index.append(entry)
    (out / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    print(f"conformance: wrote {len(index)} ONNX node test cases (onnx {onnx.__version__}) "
          f"to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main(sys.argv[1:]))
