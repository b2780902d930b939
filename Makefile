# ncpu — set-up and everyday commands. `make demo` and `make test` work on a
# fresh machine: they create .venv and install everything first.
PYTHON ?= python3
VENV   ?= .venv
# The torch that gets installed; override for a CUDA build, e.g.
#   make test TORCH='torch==2.13.0 --index-url <your index>'
TORCH  ?= torch==2.13.0
BIN    := $(VENV)/bin
# CUDA=1 also installs the [cuda] extra (triton, for --engine triton); pair it with a
# CUDA build of torch in TORCH.
CUDA   ?=
comma  := ,
EXTRAS := dev$(if $(CUDA),$(comma)cuda)
PYTEST_ARGS ?=

.PHONY: demo test fuzz bench bench-asm fit-bench gpu-check lint isa-docs clean

$(BIN)/ncpu: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e '.[$(EXTRAS)]'
	@touch $@

demo: $(BIN)/ncpu
	$(BIN)/ncpu asm programs/factorial.s -f listing -o -
	$(BIN)/ncpu run programs/factorial.s --set r1=10 --engine torch
	$(BIN)/ncpu run programs/string_reverse.s
	$(BIN)/ncpu run programs/collatz.s --sweep r1=1:16385 --engine native
	$(BIN)/ncpu run programs/factorial.s --set r1=5 --mode soft --addressing sparsemax --temperature 0.5
	$(BIN)/ncpu trace programs/gcd.s --set r1=12 --set r2=18 --addressing softmax --temperature 0.05
	$(BIN)/ncpu fit programs/fit/table16_sbox.yaml --time-limit 120

# Fuzzing. Every property-based fuzzer (tests/test_fuzz_*.py: the assembler, every
# image loader, --inputs files, the CLI) has a short variant and a long one marked
# `slow`. `make test` deselects `slow` and runs the short variants (a minute);
# `make fuzz` runs only the `slow` long variants with NCPU_FUZZ_EXAMPLES examples
# each, then the differential fuzzers that scale with the same variable
# (tests/test_*fuzz*.py) at that size.
FUZZ_EXAMPLES ?= 20000

test: $(BIN)/ncpu
	$(BIN)/python -m pytest -q -n 2 -m "not slow" $(PYTEST_ARGS)

fuzz: $(BIN)/ncpu
	NCPU_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -n 2 -m slow tests/ $(PYTEST_ARGS)
	NCPU_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -n 2 -m "not slow" \
		$(filter-out tests/test_fuzz_%,$(wildcard tests/test_*fuzz*.py)) $(PYTEST_ARGS)

lint: $(BIN)/ncpu
	$(BIN)/ruff check ncpu_cli tests

bench: $(BIN)/ncpu
	$(BIN)/ncpu bench all

# The fit suite by every method (a table per task and method; minutes), the Hacker's
# Delight suite by the default portfolio (auto) and by smt and mcmc alone (published
# Brahma and STOKE results in docs/hd.md), the side-by-side comparison of proposals
# (mcmc and evolve, uniform and gradient, and the gradient method: COMPARE_SEEDS seeds per
# task, COMPARE_TIME seconds per run; success rate, median seconds and evaluations to the
# answer; long: hours), then the cost of a gradient step at 16 and 256 restarts and the
# exact searches' fillings per second.
FIT_TIME ?= 60
HD_TIME ?= 60
COMPARE_TIME ?= 30
COMPARE_SEEDS ?= 10
COMPARE = --method mcmc,evolve,gradient --proposals uniform,gradient \
	--seeds $(COMPARE_SEEDS) --time-limit $(COMPARE_TIME)
fit-bench: $(BIN)/ncpu
	-$(BIN)/ncpu fit --suite programs/fit --method all --time-limit $(FIT_TIME)
	-$(BIN)/ncpu fit --suite programs/fit/hd --method auto --time-limit $(HD_TIME)
	-$(BIN)/ncpu fit --suite programs/fit/hd --method smt --time-limit $(HD_TIME)
	-$(BIN)/ncpu fit --suite programs/fit/hd --method mcmc --time-limit $(HD_TIME)
	-$(BIN)/ncpu fit --suite programs/fit $(COMPARE)
	-$(BIN)/ncpu fit --suite programs/fit/hd $(COMPARE)
	$(BIN)/ncpu bench fit

# On a machine with one CUDA GPU: the CUDA and Triton tests and `ncpu bench engines
# --device cuda --json > gpu-bench.json`, in under 6 minutes. Installs nothing (no
# dependency on the venv target): build the venv first with CUDA=1 and a CUDA TORCH.
gpu-check:
	scripts/gpu-check.sh $(BIN) gpu-bench.json

bench-asm: $(BIN)/ncpu
	$(BIN)/ncpu bench asm

isa-docs: $(BIN)/ncpu
	$(BIN)/python -m ncpu_cli.isadoc > isa/README.md

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis
