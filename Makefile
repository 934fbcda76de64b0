# kinfer: top-level entry points.
#   make demo   install what is needed, build, boot Debian's kernel in a VM
#               and run a Flax model in it
#   make test   install, build, run every test (C++, Python, in-kernel in a VM)
# Both are idempotent; a second run only rebuilds what changed.

ROOT      := $(abspath .)
BUILD     := $(ROOT)/build
VENV      := $(ROOT)/.venv
PY        := $(VENV)/bin/python
CMAKE_DIR := $(BUILD)/cmake
KINFER    := $(CMAKE_DIR)/loader/kinfer
RESULTS   := $(BUILD)/test-results
FIXTURES  := $(BUILD)/fixtures

.PHONY: all deps build kmod loader bpf fixtures test test-cpp test-python test-cli \
	test-vm demo conformance clean help

all: build

help:
	@echo "make deps | build | test | demo | conformance | clean"

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

# Models, inputs and JAX reference outputs for the in-kernel tests. Produced
# on the host: JAX under TCG emulation would be slow and adds nothing.
fixtures: deps
	@sh tests/vm/make-fixtures.sh $(FIXTURES)
	@sh tests/conformance/run.sh data

# ONNX's own node test cases for every supported operator, in the kernel
# (one VM boot) and in userspace; writes docs/conformance.md.  make test
# runs a fixed slice of it (tests/conformance/slice.txt).
conformance: build
	@sh tests/conformance/run.sh full

# Every suite runs even when an earlier one fails; summarize.py then prints
# the per-suite counts and the closing "N passed, N failed" line.
test: build fixtures
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	-@$(MAKE) --no-print-directory test-cpp
	-@$(MAKE) --no-print-directory test-python
	-@$(MAKE) --no-print-directory test-cli
	-@$(MAKE) --no-print-directory test-vm
	@$(PY) tests/summarize.py cpp python cli cli-kernel vm --results $(RESULTS)

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
	KINFER_BIN=$(KINFER) $(PY) -m pytest -q -c tests/python/pytest.ini \
		-m "not kernel" tests/python --junitxml=$(RESULTS)/cli.xml

test-vm:
	@mkdir -p $(RESULTS) $(BUILD)/vm-out
	@rm -f $(BUILD)/vm-out/*.xml
	-scripts/vm-run.sh -- sh tests/vm/run-in-guest.sh $(BUILD)/vm-out
	@cp $(BUILD)/vm-out/*.xml $(RESULTS)/ 2>/dev/null || true

demo: build
	@sh scripts/demo.sh

clean:
	-$(MAKE) -C kmod clean
	-$(MAKE) -C bpf clean
	rm -rf $(BUILD)
