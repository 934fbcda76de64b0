#!/bin/sh
# Export the Flax MLPs the in-kernel tests load, with random inputs and the
# JAX outputs they must reproduce, and build the real models with ONNX
# Runtime's outputs. Runs on the host (JAX is slow under TCG).
#   make-fixtures.sh OUTDIR
# Regenerates only when the exporter or this script changed.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$1
GEN="$ROOT/.venv/bin/kinfer-models"
mkdir -p "$OUT"

stamp="$OUT/.stamp"
want=$(cat "$0" $(find "$ROOT/models/src" "$ROOT/tests/models" -name '*.py' | sort) \
	"$ROOT/tests/python/tokenizer_corpus.py" "$ROOT/models/requirements.txt" \
	"$ROOT/models/tests/data/minilm_golden.json" |
	sha256sum | cut -d' ' -f1)
[ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && exit 0

echo "fixtures: exporting Flax MLPs to $OUT"
# Three shapes: a small setup-style classifier with softmax, a deeper
# compact-style tanh network with batch 4, and one with > 1 MiB of weights
# whose 1024x512 layer is larger than one FPU section (KINFER_FPU_CHUNK
# multiply-adds), so the kernel computes it in tiles.
"$GEN" export-mlp --layers 16,32,10 --activation relu --style setup \
	--softmax --batch 1 --samples 16 --seed 1 --out "$OUT/mlp_relu"
"$GEN" export-mlp --layers 8,64,64,4 --activation tanh --style compact \
	--batch 4 --samples 16 --seed 2 --out "$OUT/mlp_tanh"
"$GEN" export-mlp --layers 256,1024,512,16 --activation sigmoid --style setup \
	--batch 2 --samples 16 --seed 3 --out "$OUT/mlp_big"
# Every model and method of the Flax zoo, with JAX's outputs.
"$GEN" export-zoo --out "$OUT/zoo"
# The three real models (ResNet-style CNN, bidirectional LSTM, transformer
# encoder) with ONNX Runtime's outputs.
"$ROOT/.venv/bin/python" "$ROOT/tests/models/real_models.py" "$OUT/real" --samples 3 --skip minilm_shaped
"$ROOT/.venv/bin/python" "$ROOT/tests/models/real_models.py" "$OUT/real" --samples 1 --only minilm_shaped
# The tokenizer corpus in batches, with HF tokenizers' ids of each text.
"$ROOT/.venv/bin/python" "$ROOT/tests/python/tokenizer_corpus.py" "$OUT/tokenizer" \
	--count 5000 --rows 250 --bytes 1024 --max-len 64
# Text pipelines: the demo classifier with JAX's answers, MiniLM with
# sentence-transformers' embeddings.
"$ROOT/.venv/bin/python" "$ROOT/tests/models/nlp_fixtures.py" "$OUT/nlp"
# The shipped task cmdline-guard: its pipeline, task manifest and held-out
# commands with JAX's answers.
"$ROOT/.venv/bin/python" -m kinfer.examples.cmdline_guard "$OUT/tasks/cmdline-guard"
# The shipped task log-sentinel: MiniLM against prototype sentences, and
# probe lines with JAX's cosines.
"$ROOT/.venv/bin/python" -m kinfer.examples.log_sentinel "$OUT/tasks/log-sentinel"
# The Keras zoo with TensorFlow's outputs, and the conversions `kinfer load
# model.keras` makes, cached so that the VM needs no TensorFlow.
"$ROOT/.venv/bin/python" -m kinfer.examples.keras_zoo "$OUT/tf" --cache "$OUT/tf/cache"
# The .tflite zoo (int8, float-io and float CNNs, one int8 model per
# builtin) with the TFLite interpreter's outputs, reference kernels and
# default ones.
"$ROOT/.venv/bin/python" -m kinfer.examples.tflite_zoo "$OUT/tflite"
echo "$want" > "$stamp"
