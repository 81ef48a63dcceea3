"""``python -m apps.receptive_field``: pure analysis (no training) on the apps' conventions.

Same command-line habits as the Lightning apps (jsonargparse; ``configs/default.yaml`` as the
default config, ``--config FILE`` presets, ``--smoke`` merges ``configs/smoke.yaml``,
``--print_config``), the same run folder (``<out>/receptive_field/<timestamp>/`` with
``config.yaml``, ``figures/``, ``summary.json``; ``--run_dir DIR`` names the folder exactly).
The work is split in parts (grid, curves, multires, checkpoint); each part writes
``parts/<part>.json`` when done, and ``--resume RUN_DIR`` reruns the saved config in that folder,
skipping the parts already written.
"""

from __future__ import annotations

import inspect
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from jsonargparse import ActionConfigFile, ArgumentParser, Namespace
from tqdm.auto import tqdm

from apps.framework import (
    DatasetNotFoundError,
    UnsafeCheckpointError,
    check_int,
    config_first,
    flag_value,
    format_table,
    write_json_atomic,
)
from apps.framework.run_dir import add_run_dir_arguments, resolve_run_dir

from . import analysis, figures
from .checkpoint import checkpoint_analysis, find_checkpoint
from .settings import CurveSettings, GridSettings, MultiresSettings

__all__ = ["build_parser", "main"]

APP = "receptive_field"
CONFIGS = Path(inspect.getfile(analysis)).parent / "configs"


def build_parser() -> ArgumentParser:
    """The app's parser (its defaults come from ``configs/default.yaml``)."""
    p = ArgumentParser(
        prog=f"python -m apps.{APP}",
        description="ERF analysis: linear ARMA nets, Theorem 3, multires filters, checkpoints",
        default_config_files=[str(CONFIGS / "default.yaml")],
    )
    p.add_argument("--config", action=ActionConfigFile, help="a YAML preset (configs/*.yaml)")
    p.add_argument("--smoke", action="store_true", help="toy sizes (merges configs/smoke.yaml)")
    p.add_argument("--resume", type=str | None, default=None, help="finish the run in RUN_DIR")
    add_run_dir_arguments(p)
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs/inits")
    p.add_argument(
        "--checkpoint",
        type=str | None,
        default=None,
        help="a run folder of apps.video_prediction or apps.segmentation to analyse",
    )
    p.add_argument("--checkpoint_inputs", type=int, default=8, help="test inputs of the ERF")
    p.add_class_arguments(GridSettings, "grid")
    p.add_class_arguments(CurveSettings, "curves")
    p.add_class_arguments(MultiresSettings, "multires")
    return p


def _check(cfg: Namespace) -> None:
    for a in [*cfg.grid.magnitudes, *cfg.curves.magnitudes]:
        if not 0.0 <= a < 1.0:
            raise ValueError(f"AR magnitudes should be in [0, 1), got {a}")
    for name, values in (("grid.depths", cfg.grid.depths), ("curves.depths", cfg.curves.depths)):
        if not values:
            raise ValueError(f"{name} should be positive ints, got {values}")
        for v in values:
            check_int(f"each of {name}", v)
    if set(cfg.curves.dims) - {1, 2}:
        raise ValueError(f"curves.dims should hold 1 and/or 2, got {cfg.curves.dims}")
    check_int("checkpoint_inputs", cfg.checkpoint_inputs)
    if cfg.checkpoint is not None:
        find_checkpoint(cfg.checkpoint)  # a missing run or checkpoint fails before any work


def _grid(cfg: Namespace, fig_dir: Path) -> dict[str, Any]:
    g = cfg.grid
    grid = analysis.erf_grid(g.depths, g.magnitudes, g.size)
    figures.plot_grid(grid, g.depths, g.magnitudes, fig_dir / "erf_grid.png")
    return {"radius_eq4": grid["radius_eq4"], "radius_cov": grid["radius_cov"]}


def _curves(cfg: Namespace, fig_dir: Path) -> dict[str, Any]:
    c = cfg.curves
    records = analysis.radius_curves(c.depths, c.magnitudes, c.dilations, c.dims)
    figures.plot_curves(records, fig_dir / "radius_vs_theorem3.png")
    worst = {
        f"max_rel_error_{d}d": max((r["rel_error"] for r in records if r["dims"] == d), default=0)
        for d in c.dims
    }
    return {"records": records, **worst}


def _multires(cfg: Namespace, fig_dir: Path) -> dict[str, Any]:
    m = cfg.multires
    result = analysis.multires_filters(m.wavelet, m.depth)
    figures.plot_multires(result, m.wavelet, fig_dir / "multires_equivalent_filters.png")
    return {k: result[k] for k in ("names", "lengths", "max_abs_error")}


def _checkpoint(cfg: Namespace, fig_dir: Path) -> dict[str, Any]:
    result = checkpoint_analysis(cfg.checkpoint, cfg.checkpoint_inputs, cfg.seed)
    figures.plot_checkpoint(result, fig_dir)
    ar = torch.cat(list(result["ar"].values())) if result["ar"] else torch.zeros(0)
    return {
        "app": result["app"],
        "checkpoint": result["checkpoint"],
        "radius": result["radius"],
        "radius_init": result["radius_init"],
        "frame_shares": result["frame_shares"],
        "ar_layers": len(result["ar"]),
        "ar_abs_mean": float(ar.abs().mean()) if ar.numel() else math.nan,
        "ar_abs_max": float(ar.abs().max()) if ar.numel() else math.nan,
    }


PARTS: dict[str, Callable[[Namespace, Path], dict[str, Any]]] = {
    "grid": _grid,
    "curves": _curves,
    "multires": _multires,
    "checkpoint": _checkpoint,
}


def _json_safe(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    return obj


def run(cfg: Namespace, run_dir: Path) -> dict[str, Any]:
    """Run every part not yet in ``run_dir/parts``; write and return ``summary.json``."""
    started = time.perf_counter()
    torch.manual_seed(cfg.seed)
    fig_dir, part_dir = run_dir / "figures", run_dir / "parts"
    fig_dir.mkdir(parents=True, exist_ok=True)
    part_dir.mkdir(exist_ok=True)
    names = [n for n in PARTS if n != "checkpoint" or cfg.checkpoint is not None]
    results, seconds = {}, {}
    for name in (bar := tqdm(names, desc="receptive field", unit="part")):
        bar.set_postfix_str(name)
        done = part_dir / f"{name}.json"
        if done.is_file():  # --resume: finished before
            results[name] = json.loads(done.read_text())
            continue
        t0 = time.perf_counter()
        results[name] = _json_safe(PARTS[name](cfg, fig_dir))
        seconds[name] = round(time.perf_counter() - t0, 2)
        write_json_atomic(done, results[name])
    summary: dict[str, Any] = {
        "app": APP,
        "run_dir": str(run_dir),
        "seed": cfg.seed,
        "smoke": bool(cfg.smoke),
        "resumed": cfg.resume is not None,
        **results,
        "part_seconds": seconds,
        "wall_time_s": round(time.perf_counter() - started, 2),
        "figures": sorted(str(p.relative_to(run_dir)) for p in fig_dir.glob("*.png")),
    }
    write_json_atomic(run_dir / "summary.json", summary)
    return summary


def _table(summary: dict[str, Any]) -> str:
    rows: list[tuple[str, Any]] = []
    curves = summary.get("curves", {})
    rows += [(k, v) for k, v in curves.items() if k.startswith("max_rel_error")]
    if "multires" in summary:
        rows.append(("multires_max_abs_error", summary["multires"]["max_abs_error"]))
    if "checkpoint" in summary:
        rows += [(f"checkpoint_{k}", summary["checkpoint"][k]) for k in ("radius", "radius_init")]
    rows.append(("wall_time_s", summary["wall_time_s"]))
    return format_table(rows, ("metric", "value"))


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit status (0 ok, 2 bad arguments or data)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    resume = flag_value(argv, "--resume")
    try:
        cfg = parser.parse_args(config_first(argv, CONFIGS))  # a missing run config: exit 2
        _check(cfg)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: invalid argument: {err}", file=sys.stderr)
        return 2
    try:
        run_dir = resolve_run_dir(APP, cfg.out, resume, run_dir=cfg.run_dir)
    except ValueError as err:  # --run_dir names a finished run
        print(f"error: {err}", file=sys.stderr)
        return 2
    if resume is None:
        parser.save(cfg, run_dir / "config.yaml", overwrite=True, multifile=False)
    try:
        summary = run(cfg, run_dir)
    except (FileNotFoundError, ValueError, DatasetNotFoundError, UnsafeCheckpointError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"\nrun folder: {run_dir}")
    print(_table(summary))
    return 0
