"""Print the one-screen summary of ``tools/gpu_check.sh`` from the JSON it wrote.

``python tools/gpu_check_summary.py RUN_DIR`` reads ``RUN_DIR/{arma,multires,models}.json`` (the
benchmarks' stdout) and ``RUN_DIR/gpu_tests.txt`` and prints each headline number beside its
target, with the device name; also writes ``RUN_DIR/summary.json``. A missing file (a step that
failed or timed out) is reported as missing, not skipped silently.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["main", "summarise"]

MIB = 1 << 20


def _load(run: Path, name: str) -> dict[str, Any] | None:
    path = run / f"{name}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def _get(data: dict[str, Any] | None, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def summarise(run: Path) -> list[dict[str, Any]]:
    """Rows ``{"what", "value", "target", "ok"}`` (``ok`` None where there is no target)."""
    arma, multires, models = (_load(run, n) for n in ("arma", "multires", "models"))
    rows: list[dict[str, Any]] = []

    def row(what: str, value: Any, target: str | None = None, ok: bool | None = None) -> None:
        rows.append({"what": what, "value": value, "target": target, "ok": ok})

    row("device", _get(arma, "machine", "gpu") or _get(models, "machine", "gpu"))
    row("banded kernel on CUDA (auto)", _get(arma, "banded_kernel"), "triton", None)
    for name in ("arma2d", "arma2d_zero", "arma2d_order2", "arma2d_order2_zero"):
        ratio = _get(arma, f"{name}_over_conv2d_time")
        ok = None if ratio is None else ratio <= 1.3
        row(f"{name} / cuDNN Conv2d fwd+bwd (gate shape)", ratio, "<= 1.3", ok)
    for name, over in (_get(arma, "ar_time_over_floor") or {}).items():
        row(f"{name}: AR part / memory-bandwidth floor", over, "<= 2", over <= 2)
    ratio = _get(models, "armalstm_over_convlstm_time")
    row("ARMA-LSTM / ConvLSTM fwd+bwd", ratio, "<= 1.3", None if ratio is None else ratio <= 1.3)
    speedup = _get(models, "streaming_sampling_speedup")
    row("MultiresAR streaming sampling speed-up", speedup, ">= 100",
        None if speedup is None else speedup >= 100)  # fmt: skip
    row("MultiresConv streaming speed-up (multires)", _get(multires, "streaming_speedup"))
    for name, peak in (_get(arma, "peak_memory_bytes") or {}).items():
        row(f"peak CUDA memory, {name} fwd+bwd (MiB)", None if peak is None else peak / MIB)
    tests = run / "gpu_tests.txt"
    last = tests.read_text().strip().splitlines()[-1:] if tests.exists() else ["missing"]
    row("gpu-marked tests", last[0] if last else "no output")
    for name, data in (("arma", arma), ("multires", multires), ("models", models)):
        if data is None:
            row(f"{name} benchmark", "missing (failed or timed out: see its .log)")
    return rows


def _fmt(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python tools/gpu_check_summary.py RUN_DIR", file=sys.stderr)
        return 2
    run = Path(args[0])
    rows = summarise(run)
    (run / "summary.json").write_text(json.dumps(rows, indent=2) + "\n")
    width = max(len(r["what"]) for r in rows)
    for r in rows:
        verdict = "ok" if r["ok"] else "MISSED"
        target = "" if r["ok"] is None else f"  (target {r['target']}: {verdict})"
        print(f"{r['what']:<{width}}  {_fmt(r['value'])}{target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
