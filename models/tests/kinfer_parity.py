"""Test helpers: run an exported model in ONNX Runtime and compare with JAX.

Imported as ``kinfer_parity`` (pytest puts this directory on sys.path).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
import onnxruntime as ort

KERNEL_OPS = {"MatMul", "Add", "Mul", "Relu", "Sigmoid", "Tanh", "Softmax"}


def assert_kernel_subset(model: onnx.ModelProto) -> None:
    """The model uses only what kmod/uapi/kinfer.h can run, as the loader sees it.

    Add/Mul: first operand computed at run time with the result's shape,
    second a trailing-suffix broadcast; MatMul: 2-D runtime x, initializer W;
    unary ops and Softmax(axis=-1): runtime input; everything float32, static.
    """
    assert [(o.domain, o.version) for o in model.opset_import] == [("", 17)]
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True).graph
    shapes: dict[str, tuple[int, ...]] = {}
    for vi in [*inferred.input, *inferred.value_info, *inferred.output]:
        tt = vi.type.tensor_type
        assert tt.elem_type == onnx.TensorProto.FLOAT, vi.name
        assert all(d.HasField("dim_value") for d in tt.shape.dim), vi.name
        shapes[vi.name] = tuple(d.dim_value for d in tt.shape.dim)
    inits = {t.name: tuple(t.dims) for t in model.graph.initializer}
    assert all(t.data_type == onnx.TensorProto.FLOAT for t in model.graph.initializer)
    shapes.update(inits)
    for node in model.graph.node:
        assert node.op_type in KERNEL_OPS, node.op_type
        assert node.input[0] not in inits, f"{node.name}: in0 is an initializer"
        out = shapes[node.output[0]]
        if node.op_type in ("Add", "Mul"):
            assert shapes[node.input[0]] == out, node.name
            suffix = shapes[node.input[1]]
            while suffix and suffix[0] == 1:
                suffix = suffix[1:]
            assert out[len(out) - len(suffix) :] == suffix, node.name
        elif node.op_type == "MatMul":
            assert node.input[1] in inits and len(inits[node.input[1]]) == 2, node.name
            assert len(shapes[node.input[0]]) == 2, node.name
        elif node.op_type == "Softmax":
            assert [(a.name, a.i) for a in node.attribute] == [("axis", -1)], node.name
        else:
            assert len(node.input) == 1 and not node.attribute, node.name


def run_onnx(model: onnx.ModelProto, x: np.ndarray, input_name: str = "x") -> np.ndarray:
    """Run ``model`` on ``x`` in ONNX Runtime (after checking the kernel subset)."""
    assert_kernel_subset(model)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    (y,) = session.run(None, {input_name: np.asarray(x, dtype=np.float32)})
    return np.asarray(y)


def assert_close(actual: np.ndarray, expected: Any) -> None:
    """max |err| <= 1e-5 * max|y| + 1e-6, and equal shapes."""
    expected = np.asarray(expected, dtype=np.float32)
    assert actual.shape == expected.shape
    assert actual.dtype == np.float32
    err = float(np.max(np.abs(actual - expected))) if expected.size else 0.0
    tol = 1e-5 * float(np.max(np.abs(expected))) + 1e-6
    assert err <= tol, f"max abs error {err:.3g} > {tol:.3g}"


def op_types(model: onnx.ModelProto) -> list[str]:
    return [node.op_type for node in model.graph.node]


def initializers(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    return {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
