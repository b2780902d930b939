#!/usr/bin/env bash
# `make gpu-check`: on one CUDA GPU, the CUDA and Triton tests, then the engines benchmark
# (reference, torch, native, triton up to B = 65,536) as JSON. Installs nothing from the
# network: it needs the venv built beforehand with a CUDA torch and triton
#   make test CUDA=1 TORCH='torch==2.13.0 --index-url <a CUDA wheel index>'
# Sized for under 6 minutes on one H100/H200 (each step has its own time limit).
# Usage: scripts/gpu-check.sh [venv bin folder, default .venv/bin] [output, default gpu-bench.json]
set -u
BIN=${1:-.venv/bin}
OUT=${2:-gpu-bench.json}
fail() { echo "gpu-check: $*" >&2; exit 1; }
step() { echo "gpu-check: $* ($((SECONDS - START)) s so far)"; }
START=$SECONDS

[ -x "$BIN/python" ] || fail "no $BIN/python: build the venv first (make test CUDA=1 TORCH=...)"
"$BIN/python" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' \
    || fail "no CUDA GPU visible to torch (torch.cuda.is_available() is False); this check needs one"
"$BIN/python" -c 'import triton' 2>/dev/null \
    || fail "triton is not installed in $BIN (make test CUDA=1, or pip install '.[cuda]')"
"$BIN/python" -c 'import torch; print("gpu-check on", torch.cuda.get_device_name(0))'

step "CUDA tests: exact, soft, Triton (compiled kernel)"
env -u TRITON_INTERPRET timeout 140 "$BIN/python" -m pytest -q -n 4 -m "not slow" \
    tests/test_exact_cuda.py tests/test_soft_cuda.py tests/test_triton_cuda.py \
    tests/test_triton_compile.py
rc=$?
[ $rc -eq 124 ] && fail "the CUDA tests ran past 140 s"
[ $rc -eq 0 ] || fail "the CUDA tests failed (exit $rc)"

step "Triton interpreter tests (TRITON_INTERPRET=1, on the CPU)"
TRITON_INTERPRET=1 timeout 60 "$BIN/python" -m pytest -q -n 4 tests/test_triton.py
rc=$?
[ $rc -eq 124 ] && fail "the interpreter tests ran past 60 s"
[ $rc -eq 0 ] || fail "the interpreter tests failed (exit $rc)"

step "ncpu bench engines --device cuda --json > $OUT"
env -u TRITON_INTERPRET timeout 150 "$BIN/ncpu" bench engines --device cuda --json > "$OUT.tmp"
rc=$?
[ $rc -eq 124 ] && fail "the benchmark ran past 150 s"
[ $rc -eq 0 ] || fail "the benchmark failed (exit $rc)"
mv "$OUT.tmp" "$OUT"
"$BIN/python" - "$OUT" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for r in doc["results"]:
    print(f"  {r['engine']:9} {r['mode']:9} B={r['batch']:<6} {r['ips']:10.3g} instr/s  "
          f"ratio {r['ratio']:9.3g}  compile {r['compile_s']:.2f} s")
PY
step "done; the figures are in $OUT"
