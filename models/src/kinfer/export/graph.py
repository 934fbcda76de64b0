"""Assemble an ONNX graph: inputs, initializers, nodes, outputs.

The builder knows nothing about JAX; :mod:`kinfer.export.lower` drives it.
It owns the naming rules the loader and ``KernelModule`` rely on:

* initializers keep the exact names they are given (Flax variable paths
  such as ``params/Dense_0/kernel``), except constants found in the model,
  which are named ``const/<n>`` and deduplicated by dtype and value;
* node names are ``<module path>/<OpType>`` (``Dense_0/MatMul``), made
  unique with a ``_<n>`` suffix; a node's output is ``<node name>/out``;
  the loader reports errors by node name, so they name the Flax module;
* graph outputs are renamed to the requested names.

Tensors are float32, int32, int64 or bool, with static shapes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import helper, numpy_helper

from kinfer.errors import ExportError

#: The ONNX opset kinfer emits (the loader reads 7 to 28).
OPSET = 17
#: IR version matching opset 17 (ONNX 1.12); readable by older protobufs.
IR_VERSION = 8

Shape = tuple[int, ...]

#: numpy dtypes a kinfer tensor may have, and their ONNX element types.
DTYPES: Mapping[np.dtype, int] = {
    np.dtype(np.float32): onnx.TensorProto.FLOAT,
    np.dtype(np.int32): onnx.TensorProto.INT32,
    np.dtype(np.int64): onnx.TensorProto.INT64,
    np.dtype(np.bool_): onnx.TensorProto.BOOL,
}


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
    _inputs: list[str] = field(default_factory=list)
    _initializers: dict[str, np.ndarray] = field(default_factory=dict)
    _consts: dict[tuple[str, Shape, bytes], str] = field(default_factory=dict)
    _nodes: list[_Node] = field(default_factory=list)
    _types: dict[str, tuple[Shape, np.dtype]] = field(default_factory=dict)

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
        """Keep ``name`` free for later use (a graph output)."""
        self._claim(name)

    def add_input(self, name: str, shape: Shape, dtype: np.dtype) -> str:
        self._claim(name)
        self._inputs.append(name)
        self._types[name] = (tuple(shape), _checked_dtype(dtype, name))
        return name

    def add_initializer(self, name: str, value: np.ndarray) -> str:
        """Add a named initializer, e.g. a Flax variable."""
        value = np.asarray(value, order="C")  # (ascontiguousarray makes scalars 1-d)
        _checked_dtype(value.dtype, name)
        self._claim(name)
        self._initializers[name] = value
        self._types[name] = (tuple(value.shape), value.dtype)
        return name

    def add_const(self, value: np.ndarray) -> str:
        """Add (or reuse) an anonymous constant, named ``const/<n>``."""
        value = np.asarray(value, order="C")  # (ascontiguousarray makes scalars 1-d)
        _checked_dtype(value.dtype, "a constant")
        key = (value.dtype.str, tuple(value.shape), value.tobytes())
        if key not in self._consts:
            n = len(self._consts)
            while f"const/{n}" in self._names or f"const/{n}" in self._external:
                n += 1
            self._consts[key] = self.add_initializer(f"const/{n}", value)
        return self._consts[key]

    def add_node(
        self,
        op_type: str,
        inputs: Sequence[str],
        out_shape: Shape,
        out_dtype: np.dtype,
        *,
        scope: str = "",
        attrs: Mapping[str, object] | None = None,
    ) -> str:
        """Append a node; returns the name of its (single) output."""
        for name in inputs:
            if name and name not in self._types:
                raise ExportError(f"{op_type}: unknown input {name!r}")
        node_name = self._unique(f"{scope}/{op_type}" if scope else op_type)
        self._names.add(node_name)
        output = self._claim(self._unique(f"{node_name}/out"))
        self._nodes.append(_Node(op_type, node_name, tuple(inputs), output, dict(attrs or {})))
        self._types[output] = (tuple(out_shape), _checked_dtype(out_dtype, node_name))
        return output

    def add_identity(self, source: str, scope: str = "") -> str:
        """A copy of ``source`` (a graph output must be a node's output)."""
        shape, dtype = self._types[source]
        return self.add_node("Identity", [source], shape, dtype, scope=scope)

    def is_node_output(self, name: str) -> bool:
        return any(node.output == name for node in self._nodes)

    @property
    def node_count(self) -> int:
        return len(self._nodes)

    def build(
        self,
        outputs: Sequence[tuple[str, str]],
        *,
        doc_string: str = "",
        producer_version: str = "",
        metadata: Mapping[str, str] | None = None,
        keep: Iterable[str] = (),
    ) -> onnx.ModelProto:
        """Finish the graph; ``outputs`` pairs a value with its output name.

        Initializers no kept node reads are left out, but those in ``keep``
        (model state, read by the runtime rather than a node).

        Each output name must have been :meth:`reserve`\\ d and each value
        must be a distinct node output. The model is checked with
        ``onnx.checker`` (including shape inference).
        """
        rename: dict[str, str] = {}
        for value, name in outputs:
            if not self.is_node_output(value) or value in rename:
                raise ExportError(f"graph output {name!r} is not a distinct node output")
            rename[value] = name

        def r(name: str) -> str:
            return rename.get(name, name)

        live = self._live(rename)
        used = {i for n in live for i in n.inputs} | set(keep)
        nodes = []
        for n in live:
            node = helper.make_node(n.op_type, [r(i) for i in n.inputs], [r(n.output)], name=n.name)
            node.attribute.extend(helper.make_attribute(k, v) for k, v in n.attrs.items())
            nodes.append(node)
        graph = helper.make_graph(
            nodes,
            self.graph_name,
            [self._value_info(name, name) for name in self._inputs],
            [self._value_info(value, name) for value, name in outputs],
            initializer=[
                numpy_helper.from_array(v, k) for k, v in self._initializers.items() if k in used
            ],
            value_info=[self._value_info(n.output, n.output) for n in live if n.output not in rename],
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name="kinfer",
            producer_version=producer_version,
            doc_string=doc_string,
        )
        model.ir_version = IR_VERSION
        for key, value in (metadata or {}).items():
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.checker.check_model(model, full_check=True)
        return model

    def _live(self, outputs: Mapping[str, str]) -> list[_Node]:
        """The nodes the outputs depend on (a rewrite may leave others unused)."""
        needed = set(outputs)
        kept: list[_Node] = []
        for node in reversed(self._nodes):
            if node.output in needed:
                kept.append(node)
                needed.update(node.inputs)
        kept.reverse()
        return kept

    def _value_info(self, value: str, name: str) -> onnx.ValueInfoProto:
        shape, dtype = self._types[value]
        return helper.make_tensor_value_info(name, DTYPES[dtype], list(shape))


def onnx_type(dtype: np.dtype) -> int:
    """The ONNX element type of a kinfer dtype."""
    return DTYPES[_checked_dtype(dtype, "a cast")]


def _checked_dtype(dtype: np.dtype, what: str) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype not in DTYPES:
        allowed = ", ".join(str(d) for d in DTYPES)
        raise ExportError(f"{what}: kinfer tensors are {allowed}; got {dtype}")
    return dtype
