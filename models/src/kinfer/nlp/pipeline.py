"""Text pipelines: UTF-8 bytes -> WordPiece tokenizer -> a Flax model -> label, score.

One ONNX graph holds the whole pipeline, so the kernel runs it as one BPF
program from raw text to a decision::

    text uint8[B, max_bytes], max_tokens int32[1]
      -> ai.kinfer.WordPieceTokenizer        input_ids, attention_mask int32[B, max_length]
      -> the exported Flax model             (values prefixed "model/")
      -> Softmax | MatMul(prototypes)        scores float32[B, C]
      -> ArgMax, ReduceMax                   label int64[B], score float32[B]

:class:`Pipeline` builds it from a Flax Linen module (a classifier returning
logits, or a sentence encoder returning unit vectors compared with
prototype sentences), saves it (``pipeline.onnx`` + ``pipeline.json``),
computes the expected answer in JAX (:meth:`Pipeline.reference`) and loads
it into the kernel (:meth:`Pipeline.load` -> :class:`LoadedPipeline`).
See docs/nlp.md.

Importing this module needs only numpy; JAX, Flax and ONNX are imported
when a pipeline is built or exported.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import struct
import subprocess
import tempfile
import warnings
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from kinfer.errors import ExportError, KernelError

if TYPE_CHECKING:
    import onnx

    from kinfer.runtime import Port

__all__ = [
    "DOMAIN",
    "MAX_TOKENS_INPUT",
    "MODEL_PREFIX",
    "OUTPUTS",
    "LoadedPipeline",
    "Pipeline",
    "Result",
    "compose",
    "encode_text",
    "kinfer_binary",
    "load_pipeline",
    "text_array",
    "tokenize",
    "tokenizer_node",
]

Kind = Literal["classifier", "similarity"]
Text = str | bytes | bytearray | memoryview

#: The ONNX domain of kinfer's own operators (opset version 1).
DOMAIN = "ai.kinfer"
#: Prefix of every name (value, initializer, node) taken from the model.
MODEL_PREFIX = "model/"
#: The pipeline's graph outputs, in order.
OUTPUTS = ("label", "score", "scores")
#: The pipeline's graph inputs: the text, and the token cap of this run
#: (0: ``max_length``; else at least 2 -- HF's truncation to that length,
#: then padding to ``max_length``).  A task's ``max_tokens`` arrives here.
TEXT_INPUT = "text"
MAX_TOKENS_INPUT = "max_tokens"
#: The tokenizer's outputs, wired to the model's two inputs.
TOKEN_OUTPUTS = ("input_ids", "attention_mask")

MANIFEST = "pipeline.json"
MODEL_FILE = "pipeline.onnx"

#: A kernel model name (KINFER_NAME_MAX, bpffs-safe characters).
_NAME = re.compile(r"[A-Za-z0-9_-]{1,31}")
_KINDS = ("classifier", "similarity")
_ONNX_OPSET = 17
_UNIT_NORM_TOLERANCE = 1e-3


# --- text and vocabulary ----------------------------------------------------------


def encode_text(text: Text, max_bytes: int) -> bytes:
    """The bytes a pipeline sees for ``text``.

    A ``str`` is encoded as UTF-8; bytes-like objects are taken as they
    are (invalid UTF-8 included: the tokenizer decodes it like
    ``bytes.decode("utf-8", "replace")`` and drops the U+FFFD). Anything
    longer than ``max_bytes`` is cut to its first ``max_bytes`` bytes; a
    character cut in the middle becomes an invalid tail, which the
    tokenizer drops. The empty text is allowed (``[CLS] [SEP]``).
    """
    return _as_bytes(text)[:max_bytes]


def _as_bytes(text: Text) -> bytes:
    if isinstance(text, str):
        return text.encode("utf-8")
    if isinstance(text, bytes | bytearray | memoryview):
        return bytes(text)
    raise TypeError(f"text must be str or bytes, not {type(text).__name__}")


def text_array(texts: Sequence[Text], max_bytes: int) -> np.ndarray:
    """``uint8[len(texts), max_bytes]``: each row one :func:`encode_text`, NUL padded."""
    out = np.zeros((len(texts), max_bytes), np.uint8)
    for i, text in enumerate(texts):
        data = encode_text(text, max_bytes)
        out[i, : len(data)] = np.frombuffer(data, np.uint8)
    return out


def _vocab_attribute(vocab: str | os.PathLike[str]) -> tuple[str, bytes]:
    """(``tokenizer_json`` | ``vocab_txt``, the file's bytes)."""
    path = Path(vocab)
    if not path.is_file():
        raise ExportError(
            f"vocabulary {str(path)!r} does not exist or is not a file "
            "(give a BERT vocab.txt or a Hugging Face tokenizer.json)"
        )
    data = path.read_bytes()
    if not data.strip():
        raise ExportError(f"vocabulary {str(path)!r} is empty")
    is_json = path.suffix.lower() == ".json" or data.lstrip()[:1] == b"{"
    return ("tokenizer_json" if is_json else "vocab_txt"), data


def tokenizer_node(
    vocab: str | os.PathLike[str],
    max_length: int,
    *,
    text: str = TEXT_INPUT,
    outputs: Sequence[str] = TOKEN_OUTPUTS,
    name: str = "tokenizer",
    max_tokens: str | None = None,
) -> onnx.NodeProto:
    """The ``ai.kinfer.WordPieceTokenizer`` node for a vocabulary file.

    ``vocab`` is a ``tokenizer.json`` (a ``.json`` file, or one starting
    with ``{``: attribute ``tokenizer_json``) or a ``vocab.txt`` (attribute
    ``vocab_txt``); the file's bytes are embedded in the node. The node
    reads ``text`` (uint8 [B, N]) and writes ``input_ids`` and
    ``attention_mask`` (int32 [B, max_length]); with ``max_tokens`` (the
    name of an int32 [1] value) it truncates each text to that many ids
    at run time (0: ``max_length``).
    """
    from onnx import helper

    _check_length(max_length)
    if len(outputs) != 2:
        raise ExportError(f"the tokenizer has 2 outputs (ids, mask), got {list(outputs)}")
    attribute, data = _vocab_attribute(vocab)
    node = helper.make_node(
        "WordPieceTokenizer",
        [text] if max_tokens is None else [text, max_tokens],
        list(outputs),
        name=name,
        domain=DOMAIN,
        max_length=int(max_length),
    )
    node.attribute.append(helper.make_attribute(attribute, data))
    return node


def _check_max_tokens(max_tokens: int) -> None:
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int | np.integer):
        raise ExportError(f"max_tokens must be an int, got {type(max_tokens).__name__}")
    if max_tokens < 0 or max_tokens == 1:
        raise ExportError(
            f"max_tokens must be 0 (max_length) or >= 2 ([CLS] and [SEP]), got {max_tokens}"
        )


def _check_length(max_length: int) -> None:
    if isinstance(max_length, bool) or not isinstance(max_length, int | np.integer):
        raise ExportError(f"max_length must be an int, got {type(max_length).__name__}")
    if max_length < 2:
        raise ExportError(f"max_length must be >= 2 ([CLS] and [SEP]), got {max_length}")


def kinfer_binary() -> Path:
    """The ``kinfer`` CLI: ``KINFER_BIN``, the source tree's build, or ``kinfer`` on PATH.

    Raises:
        KernelError: none of them exists.
    """
    explicit = os.environ.get("KINFER_BIN")
    if explicit:
        if not Path(explicit).is_file():
            raise KernelError(f"KINFER_BIN={explicit} does not exist")
        return Path(explicit)
    tree = Path(__file__).resolve().parents[4] / "build/cmake/loader/kinfer"
    if tree.is_file():
        return tree
    found = shutil.which("kinfer")
    if found is None:
        raise KernelError(
            "the kinfer binary was not found: build the loader (make loader), put kinfer "
            "on PATH or set KINFER_BIN"
        )
    return Path(found)


def tokenize(
    vocab: str | os.PathLike[str], texts: Sequence[Text], max_length: int, max_tokens: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and attention masks, int32[len(texts), max_length], as the kernel makes them.

    Runs ``kinfer tokenize --records ... --json`` (the kernel's tokenizer
    source built for userspace): ``[CLS] tokens [SEP] [PAD]...``, truncated
    like Hugging Face tokenizers. Texts are taken whole (no ``max_bytes``).
    ``max_tokens`` (0, or 2 and up) truncates to that many ids first, as the
    pipeline's ``max_tokens`` input does; the rows stay ``max_length`` long.
    """
    _check_length(max_length)
    _check_max_tokens(max_tokens)
    if 0 < max_tokens < max_length:
        ids, mask = tokenize(vocab, texts, max_tokens)
        pad = tokenize(vocab, [b""], max_length)[0][0, -1] if max_length > 2 else 0
        full = np.full((len(texts), max_length), pad, np.int32)
        full[:, :max_tokens] = ids
        padded = np.zeros((len(texts), max_length), np.int32)
        padded[:, :max_tokens] = mask
        return full, padded
    _vocab_attribute(vocab)  # exists and is not empty
    ids = np.zeros((len(texts), max_length), np.int32)
    mask = np.zeros((len(texts), max_length), np.int32)
    if not texts:
        return ids, mask
    records = bytearray()
    for text in texts:
        data = _as_bytes(text)
        records += struct.pack("<I", len(data)) + data
    with tempfile.TemporaryDirectory(prefix="kinfer-tok-") as tmp:
        path = Path(tmp) / "texts.rec"
        path.write_bytes(bytes(records))
        command = [
            str(kinfer_binary()), "tokenize", "--records", str(path), "--json",
            "--max-len", str(int(max_length)), os.fspath(vocab),
        ]  # fmt: skip
        proc = subprocess.run(command, capture_output=True, check=False)
    if proc.returncode != 0:
        raise KernelError(
            f"kinfer tokenize {os.fspath(vocab)} failed: "
            f"{proc.stderr.decode(errors='replace').strip()}",
            proc.returncode,
        )
    lines = [line for line in proc.stdout.decode().splitlines() if line.strip()]
    if len(lines) != len(texts):
        raise KernelError(f"kinfer tokenize printed {len(lines)} results for {len(texts)} texts")
    for i, line in enumerate(lines):
        row = json.loads(line)
        ids[i] = row["ids"]
        mask[i] = row["mask"]
    return ids, mask


# --- the graph --------------------------------------------------------------------


def compose(
    model: onnx.ModelProto,
    vocab: str | os.PathLike[str],
    *,
    kind: Kind,
    max_bytes: int,
    prototypes: np.ndarray | None = None,
    name: str = "pipeline",
    prefix: str = MODEL_PREFIX,
) -> onnx.ModelProto:
    """One ONNX model: tokenizer, ``model``, post-processing.

    ``model`` takes exactly two inputs, int32 ``[B, L]`` token ids then
    attention mask, and has one float32 ``[B, D]`` output. Its values,
    initializers and nodes are renamed ``<prefix><name>``, its inputs
    become the tokenizer's outputs ``input_ids`` and ``attention_mask``
    (``max_length`` is ``L``), and the graph inputs are ``text`` uint8
    ``[B, max_bytes]`` and ``max_tokens`` int32 ``[1]``, the run's token cap
    (see :data:`MAX_TOKENS_INPUT`). Outputs (:data:`OUTPUTS`):

    * ``kind="classifier"``: the model's output are logits ``[B, C]``;
      ``scores`` = Softmax, ``score`` = ReduceMax of it, ``label`` = ArgMax
      (int64 ``[B]``).
    * ``kind="similarity"``: the model's output is an L2-normalised
      embedding ``[B, D]``; ``prototypes`` (``float32[P, D]``, one unit
      vector per row) become the constant ``pipeline/prototypes`` ``[D, P]``;
      ``scores`` = MatMul (cosines ``[B, P]``), then ReduceMax and ArgMax.

    Raises:
        ExportError: the model's inputs or output do not fit, the model has
            state or subgraphs, the prototypes do not match.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    if kind not in _KINDS:
        raise ExportError(f"kind must be one of {_KINDS}, got {kind!r}")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int | np.integer) or max_bytes < 1:
        raise ExportError(f"max_bytes must be a positive int, got {max_bytes!r}")
    g = model.graph
    init_names = {t.name for t in g.initializer}
    inputs = [i for i in g.input if i.name not in init_names]
    if len(inputs) != 2:
        raise ExportError(
            f"the model must take 2 inputs (token ids, attention mask), it takes {len(inputs)}: "
            f"{[i.name for i in inputs]}"
        )
    shapes = [_value_shape(i, "model input") for i in inputs]
    for value, (dtype, shape) in zip(inputs, shapes, strict=True):
        if dtype != TensorProto.INT32 or len(shape) != 2:
            raise ExportError(
                f"model input {value.name!r} is {_type_str(dtype, shape)}; the tokenizer gives "
                "int32 [B, max_length]"
            )
    if shapes[0][1] != shapes[1][1]:
        raise ExportError(
            f"the model's inputs have different shapes: {shapes[0][1]}, {shapes[1][1]}"
        )
    batch, max_length = shapes[0][1]
    _check_length(max_length)
    if len(g.output) != 1:
        raise ExportError(
            f"the model must have one output ({'logits' if kind == 'classifier' else 'embedding'}),"
            f" it has {len(g.output)}: {[o.name for o in g.output]}"
        )
    out_dtype, out_shape = _value_shape(g.output[0], "model output")
    if out_dtype != TensorProto.FLOAT or len(out_shape) != 2 or out_shape[0] != batch:
        raise ExportError(
            f"model output {g.output[0].name!r} is {_type_str(out_dtype, out_shape)}; a "
            f"{kind} pipeline needs float32 [{batch}, D]"
        )
    metadata = {p.key: p.value for p in model.metadata_props}
    if json.loads(metadata.get("kinfer.state", "{}")):
        raise ExportError("models with state (mutable collections) cannot be a pipeline")
    width = out_shape[1]

    renamed = {i.name: TOKEN_OUTPUTS[k] for k, i in enumerate(inputs)}

    def rename(value: str) -> str:
        if not value:
            return value  # an omitted optional input
        return renamed.get(value) or prefix + value

    nodes = [tokenizer_node(vocab, max_length, name="tokenizer", max_tokens=MAX_TOKENS_INPUT)]
    for node in g.node:
        for attr in node.attribute:
            if attr.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
                raise ExportError(f"model node {node.name!r} ({node.op_type}) has a subgraph")
        copy = onnx.NodeProto()
        copy.CopyFrom(node)
        copy.name = prefix + node.name if node.name else ""
        copy.ClearField("input")
        copy.ClearField("output")
        copy.input.extend(rename(v) for v in node.input)
        copy.output.extend(rename(v) for v in node.output)
        nodes.append(copy)
    initializers = [_renamed(tensor, rename) for tensor in g.initializer]
    value_info = [_renamed(info, rename) for info in g.value_info]

    output = rename(g.output[0].name)
    if kind == "classifier":
        if prototypes is not None:
            raise ExportError("prototypes are for similarity pipelines")
        nodes.append(helper.make_node("Softmax", [output], ["scores"], name="post/Softmax",
                                      axis=-1))  # fmt: skip
        classes = width
    else:
        if prototypes is None:
            raise ExportError("a similarity pipeline needs prototypes float32[P, D]")
        protos = np.asarray(prototypes, np.float32)
        if protos.ndim != 2 or protos.shape[0] < 1 or protos.shape[1] != width:
            raise ExportError(
                f"prototypes have shape {protos.shape}; the model's embeddings need [P, {width}]"
            )
        initializers.append(
            numpy_helper.from_array(np.ascontiguousarray(protos.T), "pipeline/prototypes")
        )
        nodes.append(helper.make_node("MatMul", [output, "pipeline/prototypes"], ["scores"],
                                      name="post/MatMul"))  # fmt: skip
        classes = protos.shape[0]
    nodes.append(helper.make_node("ReduceMax", ["scores"], ["score"], name="post/ReduceMax",
                                  axes=[1], keepdims=0))  # fmt: skip
    nodes.append(helper.make_node("ArgMax", ["scores"], ["label"], name="post/ArgMax",
                                  axis=1, keepdims=0))  # fmt: skip

    graph = helper.make_graph(
        nodes,
        name,
        [
            helper.make_tensor_value_info(TEXT_INPUT, TensorProto.UINT8, [batch, int(max_bytes)]),
            helper.make_tensor_value_info(MAX_TOKENS_INPUT, TensorProto.INT32, [1]),
        ],
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, [batch]),
            helper.make_tensor_value_info("score", TensorProto.FLOAT, [batch]),
            helper.make_tensor_value_info("scores", TensorProto.FLOAT, [batch, classes]),
        ],
        initializer=initializers,
        value_info=value_info,
    )
    opsets = [helper.make_opsetid("", _ONNX_OPSET), helper.make_opsetid(DOMAIN, 1)]
    for opset in model.opset_import:
        if opset.domain not in ("", "ai.onnx", DOMAIN):
            opsets.append(opset)
        elif opset.domain in ("", "ai.onnx") and opset.version != _ONNX_OPSET:
            raise ExportError(f"the model uses ONNX opset {opset.version}; pipelines use 17")
    out = helper.make_model(graph, opset_imports=opsets, producer_name="kinfer.nlp")
    out.ir_version = model.ir_version or 8
    metadata.pop("kinfer.state", None)
    about = {"kind": kind, "max_length": int(max_length), "max_bytes": int(max_bytes),
             "model_prefix": prefix}  # fmt: skip
    metadata["kinfer.pipeline"] = json.dumps(about)
    helper.set_model_props(out, metadata)
    onnx.checker.check_model(out)
    return out


def _renamed(proto: Any, rename: Callable[[str], str]) -> Any:
    """A copy of a named ONNX message (tensor, value info) under its new name."""
    copy = type(proto)()
    copy.CopyFrom(proto)
    copy.name = rename(proto.name)
    return copy


def _value_shape(value: onnx.ValueInfoProto, what: str) -> tuple[int, tuple[int, ...]]:
    tensor = value.type.tensor_type
    dims = []
    for d in tensor.shape.dim:
        if not d.HasField("dim_value"):
            raise ExportError(f"{what} {value.name!r} has a dynamic dimension; kinfer needs static")
        dims.append(int(d.dim_value))
    return int(tensor.elem_type), tuple(dims)


def _type_str(dtype: int, shape: Sequence[int]) -> str:
    from onnx import helper

    try:
        name = helper.tensor_dtype_to_np_dtype(dtype).name
    except Exception:
        name = f"element type {dtype}"
    return f"{name} {list(shape)}"


# --- Pipeline ---------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """One classification: the label, its score, its output index, and
    whether the score is below the pipeline's threshold."""

    label: str
    score: float
    index: int
    below_threshold: bool


class Pipeline:
    """A text pipeline built from a Flax Linen module; see :mod:`kinfer.nlp`.

    Build one with :meth:`classifier` or :meth:`similarity`. ``labels``
    gives the label of each output index (of ``scores``); for a similarity
    pipeline several indices share a label (one per prototype sentence).
    """

    def __init__(
        self,
        *,
        kind: Kind,
        module: Any,
        variables: Mapping[str, Any],
        vocab: str | os.PathLike[str],
        labels: Sequence[str],
        max_length: int,
        max_bytes: int,
        threshold: float,
        method: str | None,
        name: str,
        prototypes: np.ndarray | None = None,
        sentences: Sequence[str] = (),
    ) -> None:
        self.kind: Kind = kind
        self.module = module
        self.variables = variables
        self.vocab = Path(vocab)
        self.labels = list(labels)
        self.max_length = int(max_length)
        self.max_bytes = int(max_bytes)
        self.threshold = float(threshold)
        self.method = method
        self.name = name
        #: similarity: the unit prototype embeddings, float32[P, D], row i for labels[i]
        self.prototypes = prototypes
        #: similarity: the sentence behind each prototype row
        self.sentences = list(sentences)
        self._models: dict[int, onnx.ModelProto] = {}
        self._apply: Callable[..., Any] | None = None

    # constructors

    @classmethod
    def classifier(
        cls,
        module: Any,
        variables: Mapping[str, Any],
        vocab: str | os.PathLike[str],
        labels: Sequence[str],
        *,
        max_length: int = 32,
        max_bytes: int = 256,
        threshold: float = 0.5,
        method: str | None = None,
        name: str = "classifier",
    ) -> Pipeline:
        """A pipeline around a classifier: ``module(ids, mask) -> logits float32[B, C]``.

        ``labels[c]`` names class ``c``; the score is the softmax
        probability of the winning class, and :attr:`Result.below_threshold`
        is ``score < threshold``.

        Raises:
            ExportError: the vocabulary is missing, ``len(labels)`` is not
                the model's number of classes, labels repeat or are empty,
                the sizes or the name are invalid.
        """
        _check_common(vocab, max_length, max_bytes, threshold, name)
        labels = _check_labels(labels)
        if len(set(labels)) != len(labels):
            raise ExportError(f"labels must be distinct, got {labels}")
        width = _output_width(module, variables, max_length, method)
        if width != len(labels):
            raise ExportError(
                f"{len(labels)} labels {labels} for a model with {width} classes (its output is "
                f"float32[B, {width}])"
            )
        return cls(kind="classifier", module=module, variables=variables, vocab=vocab,
                   labels=labels, max_length=max_length, max_bytes=max_bytes,
                   threshold=threshold, method=method, name=name)  # fmt: skip

    @classmethod
    def similarity(
        cls,
        module: Any,
        variables: Mapping[str, Any],
        vocab: str | os.PathLike[str],
        prototypes: Mapping[str, Sequence[str]],
        *,
        max_length: int = 32,
        max_bytes: int = 256,
        threshold: float = 0.5,
        method: str | None = None,
        name: str = "similarity",
    ) -> Pipeline:
        """A pipeline around a sentence encoder: ``module(ids, mask) -> unit vectors [B, D]``.

        ``prototypes`` maps each label to example sentences. Every sentence
        is its own prototype row (not averaged per label): the text gets
        the label of its nearest example sentence by cosine, and the score
        is that cosine. ``labels`` (and the manifest) list the label of
        each row. The prototype embeddings are computed now, in JAX, on the
        ids the kernel's tokenizer gives (``kinfer tokenize``).

        Raises:
            ExportError: no prototypes, a label without sentences, an
                encoder whose outputs are not unit vectors, or an invalid
                vocabulary, size or name.
            KernelError: the kinfer binary is missing or failed.
        """
        _check_common(vocab, max_length, max_bytes, threshold, name)
        if not isinstance(prototypes, Mapping) or not prototypes:
            raise ExportError("prototypes must be a non-empty dict: label -> example sentences")
        _check_labels(list(prototypes))
        rows: list[str] = []
        sentences: list[str] = []
        for label, examples in prototypes.items():
            if isinstance(examples, str | bytes) or not list(examples):
                raise ExportError(
                    f"prototype label {label!r} needs a non-empty list of sentences, got "
                    f"{examples!r}"
                )
            for sentence in examples:
                if not isinstance(sentence, str) or not sentence.strip():
                    raise ExportError(f"prototype sentences of {label!r} must be non-empty str, "
                                      f"got {sentence!r}")  # fmt: skip
                rows.append(label)
                sentences.append(sentence)
        _output_width(module, variables, max_length, method)
        pipeline = cls(kind="similarity", module=module, variables=variables, vocab=vocab,
                       labels=rows, max_length=max_length, max_bytes=max_bytes,
                       threshold=threshold, method=method, name=name,
                       sentences=sentences)  # fmt: skip
        embeddings = pipeline.embed(sentences)
        finite = np.all(np.isfinite(embeddings), axis=1)
        if not np.all(finite):
            bad = sentences[int(np.argmin(finite))]
            raise ExportError(
                f"the embedding of the prototype {bad!r} is not finite (NaN or inf); are the "
                "token ids within the module's vocabulary?"
            )
        norms = np.linalg.norm(embeddings.astype(np.float64), axis=1)
        worst = int(np.argmax(np.abs(norms - 1.0)))
        if not abs(norms[worst] - 1.0) <= _UNIT_NORM_TOLERANCE:
            raise ExportError(
                f"a similarity pipeline needs an encoder whose outputs are L2-normalised; the "
                f"embedding of {sentences[worst]!r} has norm {norms[worst]:.6g}"
            )
        pipeline.prototypes = (embeddings / norms[:, None]).astype(np.float32)
        return pipeline

    # JAX side

    def _applied(self) -> Callable[..., Any]:
        if self._apply is None:
            import jax

            module, method = self.module, self.method

            def apply(variables: Any, ids: Any, mask: Any) -> Any:
                return module.apply(variables, ids, mask, method=method or "__call__")

            self._apply = jax.jit(apply)
        return self._apply

    def model_outputs(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The module's output in JAX for token ids and masks int32[B, max_length]."""
        return np.asarray(self._applied()(self.variables, ids, mask), np.float32)

    def embed(self, texts: Sequence[Text]) -> np.ndarray:
        """The module's output for texts, on the kernel tokenizer's ids (full texts)."""
        ids, mask = tokenize(self.vocab, texts, self.max_length)
        return self.model_outputs(ids, mask)

    def scores_of(self, outputs: np.ndarray) -> np.ndarray:
        """The pipeline's ``scores`` for module outputs, in JAX (float32[B, C])."""
        import jax
        import jax.numpy as jnp

        if self.kind == "classifier":
            return np.asarray(jax.nn.softmax(jnp.asarray(outputs), axis=-1))
        assert self.prototypes is not None
        return np.asarray(jnp.asarray(outputs) @ jnp.asarray(self.prototypes.T))

    def reference_scores(self, texts: Sequence[Text], max_tokens: int = 0) -> np.ndarray:
        """``scores`` float32[len(texts), C] computed in JAX, for the bytes the
        kernel would see (:func:`encode_text` with ``max_bytes``) and the
        token cap ``max_tokens`` (0: ``max_length``)."""
        clipped = [encode_text(t, self.max_bytes) for t in texts]
        ids, mask = tokenize(self.vocab, clipped, self.max_length, max_tokens)
        return self.scores_of(self.model_outputs(ids, mask))

    def reference(self, text: Text, max_tokens: int = 0) -> tuple[str, float]:
        """(label, score) the pipeline should give ``text``, computed in JAX."""
        return self.reference_batch([text], max_tokens)[0]

    def reference_batch(
        self, texts: Sequence[Text], max_tokens: int = 0
    ) -> list[tuple[str, float]]:
        """:meth:`reference` for several texts (one tokenizer run, one JAX call)."""
        if not texts:
            return []
        scores = self.reference_scores(texts, max_tokens)
        best = np.argmax(scores, axis=1)
        return [(self.labels[int(i)], float(scores[row, i])) for row, i in enumerate(best)]

    # ONNX side

    def onnx(self, batch: int = 1) -> onnx.ModelProto:
        """The pipeline as one ONNX model taking ``text`` uint8[batch, max_bytes]
        and ``max_tokens`` int32[1].

        The kernel program is built with ``batch=1`` (one text per run);
        other batches serve tests with ``kinfer run --reference``.
        """
        if not isinstance(batch, int) or batch < 1:
            raise ExportError(f"batch must be a positive int, got {batch!r}")
        if batch not in self._models:
            import jax.numpy as jnp

            from kinfer.flax.exporter import export

            ids = jnp.zeros((batch, self.max_length), jnp.int32)
            mask = jnp.ones((batch, self.max_length), jnp.int32)
            model = export(self.module, self.variables, ids, mask, method=self.method,
                           input_names=list(TOKEN_OUTPUTS), output_names=["output"],
                           model_name=self.name)  # fmt: skip
            self._models[batch] = compose(
                model, self.vocab, kind=self.kind, max_bytes=self.max_bytes,
                prototypes=self.prototypes, name=self.name,
            )  # fmt: skip
        return self._models[batch]

    def manifest(self) -> dict[str, Any]:
        """The ``pipeline.json`` contents."""
        return {
            "name": self.name,
            "kind": self.kind,
            "model": MODEL_FILE,
            "labels": list(self.labels),
            "threshold": self.threshold,
            "max_bytes": self.max_bytes,
            "max_length": self.max_length,
        }

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write ``pipeline.onnx`` and ``pipeline.json`` into ``directory`` (created
        if needed); returns the manifest's path."""
        import onnx

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        onnx.save_model(self.onnx(1), os.fspath(out / MODEL_FILE))
        manifest = out / MANIFEST
        manifest.write_text(json.dumps(self.manifest(), indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")  # fmt: skip
        return manifest

    # kernel side

    def load(self, name: str) -> LoadedPipeline:
        """Compile the pipeline and load it into the kernel as the model ``name``.

        Raises:
            ValueError: ``name`` is not 1-31 characters of ``[A-Za-z0-9_-]``.
            KernelError: a model of that name is loaded already, or the
                loader or the kernel refused the program.
        """
        import onnx

        _check_name(name)
        with tempfile.TemporaryDirectory(prefix="kinfer-nlp-") as tmp:
            path = Path(tmp) / MODEL_FILE
            onnx.save_model(self.onnx(1), os.fspath(path))
            return LoadedPipeline._load(path, name, self.manifest())

    def __repr__(self) -> str:
        return (f"<Pipeline {self.name!r} {self.kind} labels={self.labels} "
                f"max_length={self.max_length} max_bytes={self.max_bytes}>")  # fmt: skip


def _check_common(
    vocab: str | os.PathLike[str], max_length: int, max_bytes: int, threshold: float, name: str
) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ExportError(f"pipeline name must be 1-31 characters of [A-Za-z0-9_-], got {name!r}")
    _vocab_attribute(vocab)
    _check_length(max_length)
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ExportError(f"max_bytes must be a positive int, got {max_bytes!r}")
    if not isinstance(threshold, int | float) or not math.isfinite(threshold):
        raise ExportError(f"threshold must be a finite number, got {threshold!r}")


def _check_labels(labels: Sequence[str]) -> list[str]:
    if isinstance(labels, str) or not isinstance(labels, Sequence | Mapping):
        raise ExportError(f"labels must be a list of str, got {labels!r}")
    out = list(labels)
    if not out:
        raise ExportError("labels must not be empty")
    for label in out:
        if not isinstance(label, str) or not label:
            raise ExportError(f"labels must be non-empty str, got {label!r}")
    return out


def _output_width(module: Any, variables: Any, max_length: int, method: str | None) -> int:
    """D of the module's float32[B, D] output, found by tracing shapes only."""
    import jax
    import jax.numpy as jnp

    spec = jax.ShapeDtypeStruct((1, max_length), jnp.int32)  # type: ignore[no-untyped-call]
    try:
        out = jax.eval_shape(
            lambda v, i, m: module.apply(v, i, m, method=method or "__call__"), variables,
            spec, spec,
        )  # fmt: skip
    except Exception as e:
        raise ExportError(
            f"{type(module).__name__}.{method or '__call__'}(ids, mask) with int32[1, "
            f"{max_length}] failed: {type(e).__name__}: {e}"
        ) from e
    if not hasattr(out, "shape") or len(out.shape) != 2 or out.dtype != jnp.float32:
        raise ExportError(
            f"{type(module).__name__}.{method or '__call__'} must return one float32[B, D] "
            f"array, got {out}"
        )
    return int(out.shape[1])


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"kernel model name must be 1-31 characters of [A-Za-z0-9_-], "
                         f"got {name!r}")  # fmt: skip


# --- in the kernel ----------------------------------------------------------------


class LoadedPipeline:
    """A pipeline loaded in the kernel as one model; :meth:`classify` runs it.

    ``close()`` (or leaving the ``with`` block) unloads it. A pipeline
    dropped without ``close()`` warns (``ResourceWarning``) and stays
    loaded: ``kinfer unload <name>`` removes it.
    """

    def __init__(
        self,
        name: str,
        labels: Sequence[str],
        *,
        threshold: float,
        max_bytes: int,
        owned: bool = True,
    ) -> None:
        self.name = name
        self.labels = list(labels)
        self.threshold = float(threshold)
        self.max_bytes = int(max_bytes)
        self._closed = False
        self._ports: tuple[list[Port], list[Port]] | None = None
        self._finalizer = weakref.finalize(self, _warn_leaked, name) if owned else None

    @classmethod
    def _load(cls, path: Path, name: str, manifest: Mapping[str, Any]) -> LoadedPipeline:
        from kinfer.runtime import loaded, runtime

        _check_name(name)
        if loaded(name):
            raise KernelError(
                f"a model named {name!r} is already loaded; close its pipeline or "
                f"kinfer unload {name}",
                model=name,
            )
        runtime().load(path, name)
        pipeline = cls(name, manifest["labels"], threshold=manifest["threshold"],
                       max_bytes=manifest["max_bytes"])  # fmt: skip
        try:
            pipeline._check_ports()
        except BaseException:
            pipeline.close()
            raise
        return pipeline

    def _check_ports(self) -> None:
        from kinfer.runtime import runtime

        ins, outs = runtime().ports(self.name)
        want_in = [(TEXT_INPUT, np.dtype(np.uint8), (1, self.max_bytes)),
                   (MAX_TOKENS_INPUT, np.dtype(np.int32), (1,))]  # fmt: skip
        got_in = [(p.name, p.dtype, p.shape) for p in ins]
        if got_in not in (want_in, want_in[:1]):  # pipelines saved before max_tokens
            raise KernelError(f"pipeline {self.name!r} has inputs {got_in}, expected {want_in}",
                              model=self.name)  # fmt: skip
        by_name = {p.name: p for p in outs}
        if set(by_name) != set(OUTPUTS):
            raise KernelError(f"pipeline {self.name!r} has outputs {sorted(by_name)}, expected "
                              f"{list(OUTPUTS)}", model=self.name)  # fmt: skip
        if by_name["scores"].shape != (1, len(self.labels)):
            raise KernelError(
                f"pipeline {self.name!r} has {by_name['scores'].shape} scores for "
                f"{len(self.labels)} labels",
                model=self.name,
            )
        self._ports = (ins, outs)

    def classify(self, text: Text, max_tokens: int = 0) -> Result:
        """Run the pipeline in the kernel on one text (see :func:`encode_text`),
        cut to ``max_tokens`` token ids (0: the pipeline's length)."""
        return self._run(text, max_tokens)[0]

    def scores(self, text: Text, max_tokens: int = 0) -> np.ndarray:
        """The ``scores`` output, float32[C]: class probabilities or prototype cosines."""
        return self._run(text, max_tokens)[1]

    def _run(self, text: Text, max_tokens: int) -> tuple[Result, np.ndarray]:
        from kinfer.runtime import loaded, runtime

        if self._closed:
            raise KernelError(f"pipeline {self.name!r} is closed", model=self.name)
        if not loaded(self.name):
            raise KernelError(f"pipeline {self.name!r} is not loaded any more (unloaded with "
                              "kinfer unload, or kinfer.ko was reloaded)",
                              model=self.name)  # fmt: skip
        if self._ports is None:
            self._check_ports()
        assert self._ports is not None
        _check_max_tokens(max_tokens)
        arrays = [text_array([text], self.max_bytes)]
        if len(self._ports[0]) == 2:
            arrays.append(np.asarray([max_tokens], np.int32))
        elif max_tokens:
            raise KernelError(f"pipeline {self.name!r} has no max_tokens input (saved before "
                              "kinfer had it: save it again)", model=self.name)  # fmt: skip
        results = runtime().run(self.name, arrays, self._ports)
        out = {p.name: r for p, r in zip(self._ports[1], results, strict=True)}
        index = int(out["label"].reshape(-1)[0])
        score = float(out["score"].reshape(-1)[0])
        if not 0 <= index < len(self.labels):
            raise KernelError(f"pipeline {self.name!r} returned label index {index} of "
                              f"{len(self.labels)}", model=self.name)  # fmt: skip
        result = Result(self.labels[index], score, index, score < self.threshold)
        return result, np.asarray(out["scores"]).reshape(-1)

    def close(self) -> None:
        """Unload the pipeline's program and maps. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._finalizer is not None:
            self._finalizer.detach()
        from kinfer.runtime import loaded, runtime

        if loaded(self.name):
            runtime().unload(self.name)

    def __enter__(self) -> LoadedPipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "loaded"
        return f"<LoadedPipeline {self.name!r} labels={self.labels} {state}>"


def load_pipeline(directory: str | os.PathLike[str], name: str | None = None) -> LoadedPipeline:
    """Load a pipeline :meth:`Pipeline.save` wrote (no JAX needed) into the kernel.

    ``name`` defaults to the manifest's ``name``.

    Raises:
        ValueError: the manifest is missing or malformed, or the name is invalid.
        KernelError: the name is taken, or the loader or kernel refused the model.
    """
    root = Path(directory)
    path = root / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ValueError(f"cannot read the pipeline manifest {path}: {e}") from e
    fields: dict[str, type | tuple[type, ...]]
    fields = {"name": str, "kind": str, "model": str, "labels": list, "threshold": (int, float),
              "max_bytes": int, "max_length": int}  # fmt: skip
    for key, kind in fields.items():
        if not isinstance(manifest.get(key), kind):
            raise ValueError(f"{path}: field {key!r} is missing or not a {kind}")
    if manifest["kind"] not in _KINDS:
        raise ValueError(f"{path}: kind {manifest['kind']!r} is not one of {_KINDS}")
    return LoadedPipeline._load(root / manifest["model"], name or manifest["name"], manifest)


def _warn_leaked(name: str) -> None:
    warnings.warn(
        f"pipeline {name!r} was never closed: its program stays loaded in the kernel "
        f"(kinfer unload {name})",
        ResourceWarning,
        stacklevel=2,
    )
