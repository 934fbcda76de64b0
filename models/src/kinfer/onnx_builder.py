"""Assemble a kinfer ONNX graph: inputs, initializers, nodes, one output.

The builder knows nothing about JAX; :mod:`kinfer.jaxpr_to_onnx` drives it.
It owns the naming rules the loader relies on:

* initializers keep the exact names they are given (Flax variable paths
  such as ``params/Dense_0/kernel``), except constants found in the model,
  which are named ``const/<n>`` and deduplicated by value;
* node names are ``<module path>/<OpType>`` (``Dense_0/MatMul``), made
  unique with a ``_<n>`` suffix; a node's output is ``<node name>/out``;
* the graph output is renamed to the requested output name.

Only float32 tensors with static shapes are produced.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from kinfer.errors import ExportError

#: The ONNX opset kinfer emits and the loader accepts.
OPSET = 17
#: IR version matching opset 17 (ONNX 1.12); readable by older protobufs.
IR_VERSION = 8

Shape = tuple[int, ...]


@dataclass(frozen=True)
class _Node:
    op_type: str
    name: str
    inputs: tuple[str, ...]
    output: str
    attrs: Mapping[str, object]


@dataclass
class GraphBuilder:
    """Collects one graph; :meth:`build` turns it into a checked ModelProto."""

    graph_name: str
    _names: set[str] = field(default_factory=set)
    _external: set[str] = field(default_factory=set)
    _inputs: list[tuple[str, Shape]] = field(default_factory=list)
    _initializers: dict[str, np.ndarray] = field(default_factory=dict)
    _consts: dict[tuple[Shape, bytes], str] = field(default_factory=dict)
    _nodes: list[_Node] = field(default_factory=list)
    _shapes: dict[str, Shape] = field(default_factory=dict)

    def _claim(self, name: str) -> str:
        if not name:
            raise ExportError("ONNX value names must not be empty")
        if name in self._names:
            raise ExportError(f"ONNX value name {name!r} is used twice")
        self._names.add(name)
        return name

    def _unique(self, base: str) -> str:
        name, n = base, 0
        while name in self._names or name in self._external:
            n += 1
            name = f"{base}_{n}"
        return name

    def avoid(self, names: Iterable[str]) -> None:
        """Never generate these names (initializers that may be added later)."""
        self._external.update(names)

    def reserve(self, name: str) -> None:
        """Keep ``name`` free for later use (e.g. the graph output)."""
        self._claim(name)

    def add_input(self, name: str, shape: Shape) -> str:
        self._claim(name)
        self._inputs.append((name, shape))
        self._shapes[name] = shape
        return name

    def add_initializer(self, name: str, value: np.ndarray) -> str:
        """Add a named float32 initializer, e.g. a Flax variable."""
        value = _as_float32(value, name)
        self._claim(name)
        self._initializers[name] = value
        self._shapes[name] = value.shape
        return name

    def add_const(self, value: np.ndarray) -> str:
        """Add (or reuse) an anonymous constant, named ``const/<n>``."""
        value = _as_float32(value, "a constant")
        key = (value.shape, value.tobytes())
        if key not in self._consts:
            n = len(self._consts)
            while f"const/{n}" in self._names or f"const/{n}" in self._external:
                n += 1
            name = self.add_initializer(f"const/{n}", value)
            self._consts[key] = name
        return self._consts[key]

    def add_node(
        self,
        op_type: str,
        inputs: Sequence[str],
        out_shape: Shape,
        *,
        scope: str = "",
        attrs: Mapping[str, object] | None = None,
    ) -> str:
        """Append a node; returns the name of its (single) output."""
        for name in inputs:
            if name not in self._shapes:
                raise ExportError(f"{op_type}: unknown input {name!r}")
        node_name = self._unique(f"{scope}/{op_type}" if scope else op_type)
        self._names.add(node_name)
        output = self._claim(self._unique(f"{node_name}/out"))
        self._nodes.append(_Node(op_type, node_name, tuple(inputs), output, dict(attrs or {})))
        self._shapes[output] = tuple(out_shape)
        return output

    @property
    def node_count(self) -> int:
        return len(self._nodes)

    def build(
        self,
        output: str,
        output_name: str,
        *,
        doc_string: str = "",
        producer_version: str = "",
    ) -> onnx.ModelProto:
        """Finish the graph with ``output`` renamed to ``output_name``.

        ``output_name`` must have been :meth:`reserve`\\ d. The model is
        checked with ``onnx.checker`` (including shape inference).
        """
        if output not in self._shapes:
            raise ExportError(f"unknown graph output {output!r}")
        if not any(node.output == output for node in self._nodes):
            raise ExportError(
                "the model output is the input or a variable, not computed by any "
                "operation; kinfer needs at least one operation"
            )
        rename = {output: output_name}

        def r(name: str) -> str:
            return rename.get(name, name)

        nodes = []
        for n in self._nodes:
            node = helper.make_node(n.op_type, [r(i) for i in n.inputs], [r(n.output)], name=n.name)
            node.attribute.extend(helper.make_attribute(k, v) for k, v in n.attrs.items())
            nodes.append(node)
        inputs = [_value_info(name, shape) for name, shape in self._inputs]
        initializers = [
            numpy_helper.from_array(value, name) for name, value in self._initializers.items()
        ]
        value_info = [
            _value_info(n.output, self._shapes[n.output]) for n in self._nodes if n.output != output
        ]
        graph = helper.make_graph(
            nodes,
            self.graph_name,
            inputs,
            [_value_info(output_name, self._shapes[output])],
            initializer=initializers,
            value_info=value_info,
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name="kinfer",
            producer_version=producer_version,
            doc_string=doc_string,
        )
        model.ir_version = IR_VERSION
        onnx.checker.check_model(model, full_check=True)
        return model


def _value_info(name: str, shape: Shape) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))


def _as_float32(value: np.ndarray, what: str) -> np.ndarray:
    value = np.asarray(value)
    if value.dtype != np.float32:
        raise ExportError(f"{what}: kinfer tensors are float32, got {value.dtype}")
    return np.ascontiguousarray(value)
