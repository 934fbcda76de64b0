# kinfer: top-level entry points.
#   make demo   install what is needed, build, boot Debian's kernel in a VM
#               and run two text tasks in it (Flax and MiniLM models on
#               exec command lines and kernel log lines)
#   make test   install, build, run every test (C++, Python, in-kernel in a VM)
# Both are idempotent; a second run only rebuilds what changed.

ROOT      := $(abspath .)
BUILD     := $(ROOT)/build
VENV      := $(ROOT)/.venv
PY        := $(VENV)/bin/python
CMAKE_DIR := $(BUILD)/cmake
KINFER    := $(CMAKE_DIR)/loader/kinfer
ASAN_DIR  := $(BUILD)/cmake-asan
RESULTS   := $(BUILD)/test-results
FIXTURES  := $(BUILD)/fixtures

.PHONY: all deps build kmod loader bpf fixtures sanitize test test-cpp test-python \
	test-cli test-sanitize test-vm demo bench conformance clean help

all: build

help:
	@echo "make deps | build | test | demo | bench | conformance | sanitize | clean"

# deps.sh is cheap when everything is present; a stamp would hide a
# package removed by hand.
deps:
	@sh scripts/deps.sh

build: deps kmod loader bpf

kmod: deps
	$(MAKE) -C kmod

loader: deps
	@cmake -S . -B $(CMAKE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(CMAKE_DIR)

bpf: deps kmod
	$(MAKE) -C bpf

# The loader, its tests and the userspace core again, under AddressSanitizer
# and UndefinedBehaviorSanitizer (make test runs the malformed-model corpus,
# the mutation fuzzing, the tokenizer's tests and the C++ tests with it).
sanitize: deps
	@cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DKINFER_SANITIZE=ON -DKINFER_LINK_BIN=OFF >/dev/null
	cmake --build $(ASAN_DIR) --target kinfer kinfer_tests

# Models, inputs and JAX reference outputs for the in-kernel tests. Produced
# on the host: JAX under TCG emulation would be slow and adds nothing.
fixtures: deps $(FIXTURES)/exit0
	@sh tests/vm/make-fixtures.sh $(FIXTURES)
	@sh tests/conformance/run.sh data

$(FIXTURES)/exit0: tests/vm/exit0.c
	@mkdir -p $(@D)
	$(CC) -nostdlib -static -O2 -o $@ $<

# ONNX's own node test cases for every supported operator, in the kernel
# (one VM boot) and in userspace; writes docs/conformance.md.  Then the
# Python checks against whole reference corpora (all 252 MiniLM golden
# sentences).  make test runs a fixed slice of both
# (tests/conformance/slice.txt, the first MiniLM batch).
conformance: build
	@sh tests/conformance/run.sh full
	cd models && $(PY) -m pytest -q -m conformance

# Every suite runs even when an earlier one fails; summarize.py then prints
# the per-suite counts and the closing "N passed, N failed" line.
test: build sanitize fixtures
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	-@$(MAKE) --no-print-directory test-cpp
	-@$(MAKE) --no-print-directory test-python
	-@$(MAKE) --no-print-directory test-cli
	-@$(MAKE) --no-print-directory test-sanitize
	-@$(MAKE) --no-print-directory test-vm
	@$(PY) tests/summarize.py cpp python cli sanitize-cpp sanitize cli-kernel vm vm-isa \
		--results $(RESULTS)

test-cpp:
	@mkdir -p $(RESULTS)
	$(CMAKE_DIR)/tests/cpp/kinfer_tests -r junit -o $(RESULTS)/cpp.xml \
		|| $(CMAKE_DIR)/tests/cpp/kinfer_tests -r compact 2>&1 | tail -40

# The Python package's tests run under its own strict pytest settings
# (models/pyproject.toml); the CLI tests drive the built C++ binary.
test-python:
	@mkdir -p $(RESULTS)
	cd models && $(PY) -m pytest -q --junitxml=$(RESULTS)/python.xml

test-cli:
	@mkdir -p $(RESULTS)
	KINFER_BIN=$(KINFER) KINFER_TFLITE_FIXTURES=$(FIXTURES)/tflite $(PY) -m pytest -q \
		-c tests/python/pytest.ini -m "not kernel" tests/python --junitxml=$(RESULTS)/cli.xml

# A sanitizer report aborts the process: the test that ran it fails.  The
# 1.1 M code-point sweep and the 36,000-instruction program run natively
# only: under ASan they take a minute each and reach no code the rest of
# the suite does not.
SANITIZE_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
test-sanitize:
	@mkdir -p $(RESULTS)
	$(SANITIZE_ENV) $(ASAN_DIR)/tests/cpp/kinfer_tests "~[long]" -r junit -o $(RESULTS)/sanitize-cpp.xml \
		|| $(SANITIZE_ENV) $(ASAN_DIR)/tests/cpp/kinfer_tests "~[long]" -r compact 2>&1 | tail -40
	$(SANITIZE_ENV) KINFER_BIN=$(ASAN_DIR)/loader/kinfer $(PY) -m pytest -q \
		-c tests/python/pytest.ini -m "not kernel" -o junit_suite_name=sanitize \
		tests/python/test_malformed.py tests/python/test_cli_mutations.py \
		tests/python/test_tflite_malformed.py \
		tests/python/test_tokenizer.py -k "not every_code_point" --junitxml=$(RESULTS)/sanitize.xml

test-vm:
	@mkdir -p $(RESULTS) $(BUILD)/vm-out
	@rm -f $(BUILD)/vm-out/*.xml
	-scripts/vm-run.sh -- sh tests/vm/run-in-guest.sh $(BUILD)/vm-out
	-KINFER_VM_CPU=max scripts/vm-run.sh -- sh tests/vm/run-isa-in-guest.sh $(BUILD)/vm-out
	@cp $(BUILD)/vm-out/*.xml $(RESULTS)/ 2>/dev/null || true

demo: build
	@sh scripts/demo.sh

# Benchmarks: never part of make test.  Ratios measured side by side in one run.
bench: build
	@sh scripts/bench.sh

clean:
	-$(MAKE) -C kmod clean
	-$(MAKE) -C bpf clean
	rm -rf $(BUILD)
