"""The stability ablation (ICML draft Fig. 4 / NeurIPS Fig. 5): the same ARMA VGG-11 trained with
each AR re-parameterisation, ``stable``, the papers' printed ``icml_eq16`` / ``neurips_eq9`` and
``none`` (the coefficients learnt directly, the papers' "naive training").

``python -m apps.image_classification.ablation [--smoke] [--out ROOT] [app flags...]`` runs the
image-classification app once per re-parameterisation with ``configs/ablation.yaml`` (the setting
where the papers' maps break down; ``configs/ablation_smoke.yaml`` on top with ``--smoke``) and
any further app flags, then writes ``ROOT/image_classification_ablation/<timestamp>/``:
``<reparam>/...`` (each run's folder), ``figures/ablation.png`` (training loss and smallest AR
stability margin against the step, an ✕ where a loss went non-finite) and ``summary.json``
(per variant: ``first_nonfinite_step`` — int, or null when every loss was finite —, the test
accuracy, the final margin and the run folder).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from apps.framework import (
    format_table,
    make_run_dir,
    pop_flag,
    switch_value,
    without_flag,
    write_json_atomic,
)
from apps.framework import main as app_main

from .data import ClassificationDataModule
from .figures import plot_ablation
from .module import REPARAMS, ClassificationModule

__all__ = ["run_ablation"]

CONFIGS = Path(__file__).parent / "configs"


def run_ablation(argv: list[str] | None = None) -> int:
    """Run the three variants and draw their learning curves; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if "-h" in argv or "--help" in argv:
        print(__doc__)
        return 0
    try:
        argv, out = pop_flag(argv, "--out")
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    smoke = switch_value(argv, "--smoke")
    argv = without_flag(argv, "--smoke", takes_value=False)
    root = make_run_dir("image_classification_ablation", out or "runs")
    presets = ["--config", str(CONFIGS / "ablation.yaml")]
    if smoke:
        presets = ["--smoke", *presets, "--config", str(CONFIGS / "ablation_smoke.yaml")]
    runs: dict[str, dict[str, Any]] = {}
    for reparam in REPARAMS:
        args = [*presets, *argv, "--model.reparam", reparam, "--out", str(root / reparam)]
        saved, sys.argv = sys.argv, sys.argv[:1]  # LightningCLI warns when both are given
        try:
            status = app_main("image_classification", ClassificationModule,
                              ClassificationDataModule, argv=args)  # fmt: skip
        finally:
            sys.argv = saved
        if status != 0:
            return status
        summaries = sorted((root / reparam).glob("image_classification/*/summary.json"))
        if not summaries:  # not rank 0
            return 0
        s = json.loads(summaries[-1].read_text())
        runs[reparam] = {
            "first_nonfinite_step": s.get("first_nonfinite_step"),
            "steps": s.get("steps"),
            "test_acc": s.get("test_acc"),
            "final_ar_margin": s.get("final_ar_margin"),
            "wall_time_s": s.get("wall_time_s"),
            "run_dir": s["run_dir"],
            "metrics_csv": str(Path(s["run_dir"]) / "metrics.csv"),
        }
    figure = plot_ablation(runs, root / "figures" / "ablation.png",
                           title="ARMA VGG-11: AR re-parameterisations")  # fmt: skip
    summary = {
        "variants": {
            k: {kk: vv for kk, vv in v.items() if kk != "metrics_csv"} for k, v in runs.items()
        },
        "figure": str(figure.relative_to(root)),
        "smoke": bool(smoke),
        "extra_args": argv,
    }
    write_json_atomic(root / "summary.json", summary)
    print(f"\nablation folder: {root}")
    header = ("reparam", "first_nonfinite_step", "steps", "test_acc", "final_ar_margin")
    rows = [
        (name, "never" if r["first_nonfinite_step"] is None else r["first_nonfinite_step"],
         r["steps"], r["test_acc"], r["final_ar_margin"])
        for name, r in runs.items()
    ]  # fmt: skip
    print(format_table(rows, header))
    return 0


if __name__ == "__main__":
    raise SystemExit(run_ablation())
