#!/usr/bin/env bash
# One device check for a machine with one CUDA GPU, within 8 minutes (the step limits sum to 480 s):
#   1. every gpu-marked test (pytest -m gpu; the Triton kernels' tests run on CUDA there),
#   2. the arma benchmark at the ConvLSTM gate shape (16 x 64 -> 128 channels, 64 x 64) and the
#      multires and models benchmarks at their --quick sizes, all with --device cuda,
#   3. one summary (tools/gpu_check_summary.py): ARMA2d / cuDNN Conv2d fwd+bwd (target <= 1.3),
#      the AR part against the memory-bandwidth floor measured in the same run (target <= 2),
#      ARMA-LSTM / ConvLSTM, the streaming sampling speed-up, peak CUDA memory.
# Everything lands in RUN_DIR (default runs/gpu_check/<UTC time>): the benchmarks' JSON, logs,
# the test output and summary.json. Each step has its own time limit, so one slow step cannot
# eat the others' time; a failed step is reported in the summary, and the script exits non-zero.
#
# usage: bash tools/gpu_check.sh [RUN_DIR]      (PYTHON=... picks the interpreter; default .venv)
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
RUN="${1:-runs/gpu_check/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$RUN"
unset TRITON_INTERPRET  # the real GPU kernels, not the interpreter
if ! "$PY" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  echo "gpu_check: CUDA is not available to $PY" >&2
  exit 2
fi
nvidia-smi -L >"$RUN/device.txt" 2>&1 || true
status=0
step() {  # step NAME SECONDS COMMAND...: run with a time limit, log to RUN/NAME.log
  local name="$1" limit="$2"
  shift 2
  local t0=$SECONDS
  timeout "$limit" "$@" >"$RUN/$name.out" 2>"$RUN/$name.log"
  local rc=$?
  echo "gpu_check: $name rc=$rc in $((SECONDS - t0)) s" | tee -a "$RUN/steps.txt"
  [ "$rc" -eq 0 ] || status=1
}
step gpu_tests 180 "$PY" -m pytest tests -m gpu -q -p no:cacheprovider
cp "$RUN/gpu_tests.out" "$RUN/gpu_tests.txt"
step arma 120 "$PY" -m apps.benchmark arma --device cuda --out "$RUN"
step multires 60 "$PY" -m apps.benchmark multires --quick --device cuda --out "$RUN"
# models: MultiresAR.sample on CUDA compiles its per-position step (torch.compile,
# reduce-overhead: CUDA graphs) in the warm-up call before the timed one
step models 120 "$PY" -m apps.benchmark models --quick --device cuda --out "$RUN"
for name in arma multires models; do
  mv "$RUN/$name.out" "$RUN/$name.json"
done
"$PY" tools/gpu_check_summary.py "$RUN" || status=1
echo "gpu_check: outputs in $RUN"
exit "$status"
