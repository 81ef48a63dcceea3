"""``python -m apps.reproduce``: list the claims, run one claim's grid, or collect a run folder.

::

    python -m apps.reproduce                                  # the claims and their costs
    python -m apps.reproduce CLAIM [--scale smoke|cpu|paper] [--seeds N] [--jobs J]
                                   [--executor local|slurm] [--out DIR] [--print_commands]
                                   [-- ARGS...]               # ARGS go to every cell
    python -m apps.reproduce --collect RUN                    # aggregate what has finished
    python -m apps.reproduce --collect DIR/results.csv        # re-aggregate a recorded grid

``CLAIM`` is a name under ``apps/reproduce/claims/`` or the path of a claim file. The default
``--out`` is ``runs/reproduce/<claim>-<scale>``, a fixed folder: the same command again resumes
(finished cells are skipped, half-finished ones continue). ``RUN/grid.json`` records which
claim, version, scale and ``-- ARGS`` a folder holds; another one is refused. Exit status: 0 when
every cell finished, 1 when some failed (the rest is still aggregated), 2 for a bad claim or
argument.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from apps.framework import check_int, write_json_atomic

from .claims import SCALES, Claim, available_claims, load_claim, resolve_claim
from .grid import DONE, RESUMABLE, cell_command, cell_state, cells, plan

if TYPE_CHECKING:  # submitit is imported with .execute, only when a grid runs
    import submitit

__all__ = ["build_parser", "main"]

SLURM_FLAGS = ("partition", "gpus_per_node", "account", "cpus_per_task")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m apps.reproduce",
        description="Run a paper claim's grid of app runs and judge it (docs/reproductions.md).",
        epilog="Arguments after -- go to every cell's command (e.g. -- --data.root DIR).",
    )
    p.add_argument("claim", nargs="?", help="claim name (apps/reproduce/claims/) or YAML path")
    p.add_argument("--scale", choices=SCALES, default="smoke", help="grid scale (default smoke)")
    p.add_argument("--seeds", type=int, help="seeds 0..N-1 per cell (default: the scale's)")
    p.add_argument("--jobs", type=int, default=1, help="cells at once (default 1)")
    p.add_argument("--executor", choices=("local", "slurm"), default="local")
    p.add_argument("--out", help="run folder (default runs/reproduce/<claim>-<scale>)")
    p.add_argument("--print_commands", action="store_true", help="print each cell's command")
    p.add_argument(
        "--collect",
        metavar="RUN",
        help="aggregate the finished cells of RUN, or re-aggregate a recorded RUN/results.csv",
    )
    p.add_argument("--time_min", type=int, default=1440, help="time limit of one cell (minutes)")
    p.add_argument("--no_figures", action="store_true", help="skip RUN/figures/")
    slurm = p.add_argument_group("slurm (with --executor slurm)")
    slurm.add_argument("--partition")
    slurm.add_argument("--gpus_per_node", type=int)
    slurm.add_argument("--account")
    slurm.add_argument("--cpus_per_task", type=int)
    slurm.add_argument("--detach", action="store_true", help="submit and exit; --collect RUN later")
    return p


def _cost(claim: Claim) -> str:
    parts = []
    for name in SCALES:
        s = claim.scales.get(name)
        if s is None:
            continue
        cost = []
        if s.minutes is not None:
            cost.append(f"{s.minutes:g} min measured")
        if s.gpu_hours is not None:
            cost.append(f"{s.gpu_hours:g} GPU-h estimated")
        if s.requires:
            cost.append(f"needs {', '.join(s.requires)}")
        parts.append(f"{name} ({s.seeds} seeds): {', '.join(cost) or 'not measured'}")
    return "; ".join(parts)


def list_claims() -> int:
    files = available_claims()
    if not files:
        print("no claims yet (apps/reproduce/claims/*.yaml)")
        return 0
    status = 0
    for path in files:
        try:
            claim = load_claim(path)
        except ValueError as err:
            print(f"{path.stem}: INVALID: {err}\n")
            status = 2
            continue
        cells = len(claim.rows) * len(claim.columns)
        print(f"{claim.name} (v{claim.version}, {claim.module}, {cells} cells per seed)")
        print(f"  {claim.paper}, {claim.table}")
        print(f"  {claim.claim}")
        print(f"  cost: {_cost(claim)}\n")
    return status


def _print_commands(claim: Claim, scale_name: str, seeds: int, out: Path, extra: list[str]) -> None:
    scale = claim.scale(scale_name)
    grid = cells(claim, seeds, out)
    if scale.gpu_hours is None:
        gpu = "GPU-hours: not estimated"
    else:
        total = scale.gpu_hours * seeds / scale.seeds
        gpu = f"estimated GPU-hours: {total:.3g} in all, {total / len(grid):.3g} per cell"
    print(f"# {claim.name} scale {scale_name}: {len(grid)} cells; {gpu}")
    print(f"# run from {Path(__file__).resolve().parents[2]}")
    for cell in grid:
        print(shlex.join(cell_command(claim, scale, cell, extra)))


def _grid_file(run: Path, claim: Claim, scale: str, seeds: int, extra: list[str]) -> None:
    """Refuse a folder that holds another claim/version/scale/extra args; record this one."""
    path = run / "grid.json"
    if path.is_file():
        g = json.loads(path.read_text())
        held = (g.get("claim"), g.get("version"), g.get("scale"))
        if held != (claim.name, claim.version, scale):
            raise ValueError(
                f"{run} holds the grid of claim {held[0]} version {held[1]} scale {held[2]}, "
                f"not {claim.name} version {claim.version} scale {scale}; choose another --out"
            )
        if g.get("extra_args", []) != extra:
            raise ValueError(
                f"the cells in {run} ran with extra arguments {g.get('extra_args', [])}, "
                f"not {extra}; pass the same after -- or choose another --out"
            )
        seeds = max(seeds, int(g.get("seeds", 0)))
    run.mkdir(parents=True, exist_ok=True)
    write_json_atomic(
        path,
        {"claim": claim.name, "version": claim.version, "scale": scale, "seeds": seeds,
         "app": claim.app, "claim_file": str(claim.path) if claim.path else None,
         "extra_args": extra},
    )  # fmt: skip


def _lock(run: Path) -> None:
    """Refuse a folder another live runner is filling (``RUN/runner.pid``); claim it."""
    path = run / "runner.pid"
    try:
        pid = int(path.read_text())
    except (OSError, ValueError):
        pid = None
    if pid is not None and pid != os.getpid():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            pass  # that runner is gone
        except PermissionError:
            raise ValueError(f"{run} is being filled by process {pid}") from None
        else:
            raise ValueError(f"{run} is being filled by process {pid} (see {path})")
    path.write_text(f"{os.getpid()}\n")


def _collect(run: Path, figures: bool) -> int:
    from .aggregate import read_results, write_outputs

    if run.is_file():  # a recorded results.csv: re-aggregate next to it
        with open(run, newline="") as f:
            name = next(csv.DictReader(f), {}).get("claim")
        if not name:
            raise ValueError(f"--collect {run}: not a results.csv of apps.reproduce")
        claim = resolve_claim(name)
        scale, records = read_results(run, claim)
        print(write_outputs(claim, scale, run.parent, figures=figures, records=records))
        print(f"run folder: {run.parent}")
        return 0
    path = run / "grid.json"
    if not path.is_file():
        raise ValueError(f"--collect {run}: no grid.json (not a run folder of apps.reproduce)")
    g = json.loads(path.read_text())
    source = g.get("claim_file")
    claim = load_claim(source) if source and Path(source).is_file() else resolve_claim(g["claim"])
    if claim.version != g["version"]:
        raise ValueError(
            f"--collect {run}: the grid ran claim {claim.name} version {g['version']}, "
            f"the claim file is now version {claim.version}"
        )
    print(write_outputs(claim, g["scale"], run, figures=figures))
    print(f"run folder: {run}")
    return 0


def _run(args: argparse.Namespace) -> int:
    claim = resolve_claim(args.claim)
    scale = claim.scale(args.scale)
    seeds = scale.seeds if args.seeds is None else args.seeds
    check_int("--seeds", seeds)
    check_int("--jobs", args.jobs)
    out = Path(args.out or f"runs/reproduce/{claim.name}-{args.scale}").resolve()
    missing = scale.missing(args.extra)
    if missing:
        needs = "; ".join(f"{flag}: {why}" for flag, why in missing.items())
        raise ValueError(
            f"claim {claim.name} at scale {args.scale} needs {', '.join(missing)} after '--' "
            f"(python -m apps.reproduce {claim.name} --scale {args.scale} -- "
            f"{' '.join(f'{f} ...' for f in missing)}); nothing was run. {needs}"
        )
    if args.print_commands:
        _print_commands(claim, args.scale, seeds, out, args.extra)
        return 0
    _grid_file(out, claim, args.scale, seeds, args.extra)
    submitted = out / "submitted.json"
    if submitted.is_file():
        raise ValueError(
            f"cells of {out} were submitted with --detach (job ids in {submitted}); collect "
            f"them with --collect {out}, or delete {submitted.name} to submit the unfinished "
            "cells again"
        )
    _lock(out)
    try:
        return _run_grid(args, claim, seeds, out)
    finally:
        (out / "runner.pid").unlink(missing_ok=True)


def _run_grid(args: argparse.Namespace, claim: Claim, seeds: int, out: Path) -> int:
    from . import execute
    from .aggregate import write_outputs

    scale = claim.scale(args.scale)
    submitted = out / "submitted.json"
    grid = cells(claim, seeds, out)
    states = [cell_state(c.run_dir) for c in grid]
    commit = execute.git_commit()
    cores = execute.available_cores()
    if args.executor == "local":
        threads = max(1, cores // args.jobs)
        # submitit's local jobs get CUDA_VISIBLE_DEVICES="" (no GPU asked for): the cells see
        # the GPUs this process sees
        env = {**execute.thread_env(threads)}
        env["CUDA_VISIBLE_DEVICES"] = os.environ.get("CUDA_VISIBLE_DEVICES")
        how = f"local, {args.jobs} at once × {threads} threads ({cores} cores)"
    else:
        env = {} if args.cpus_per_task is None else execute.thread_env(args.cpus_per_task)
        how = f"slurm array, {args.jobs} at once"
    jobs = []
    for cell in grid:
        command = plan(claim, scale, cell, args.extra)
        if command is None:
            continue
        logs = out / "logs" / cell.row / cell.column
        jobs.append(
            execute.CellJob(
                name=cell.name,
                command=tuple(command),
                log=str(logs / f"seed_{cell.seed}.log"),
                record=str(logs / f"seed_{cell.seed}.json"),
                commit=commit,
                env=env,
            )
        )
    print(
        f"{claim.name} scale {args.scale}: {len(grid)} cells ({len(claim.rows)} rows × "
        f"{len(claim.columns)} columns × {seeds} seeds): {states.count(DONE)} done, "
        f"{states.count(RESUMABLE)} to resume, {len(jobs) - states.count(RESUMABLE)} to run; "
        f"{how}\nrun folder: {out}",
        flush=True,
    )
    failed, started = 0, time.perf_counter()
    if jobs:
        folder = out / ".submitit"
        executor: submitit.Executor
        if args.executor == "local":
            executor = execute.local_executor(folder, args.time_min)
        else:
            executor = execute.slurm_executor(
                folder,
                job_name=f"reproduce-{claim.name}",
                time_min=args.time_min,
                jobs=args.jobs,
                **{k: getattr(args, k) for k in SLURM_FLAGS},
            )
        if args.detach:
            ids = execute.submit_detached(executor, jobs)
            write_json_atomic(submitted, {"job_ids": ids, "cells": [j.name for j in jobs]})
            print(f"submitted {len(ids)} cells: {', '.join(ids)}")
            print(f"when they finish: python -m apps.reproduce --collect {out}")
            return 0
        outcomes = execute.run_jobs(executor, jobs, args.jobs)
        failed = sum(not o.ok for o in outcomes)
    print(write_outputs(claim, args.scale, out, figures=not args.no_figures))
    verdict = json.loads((out / "verdict.json").read_text())["verdict"]
    print(f"verdict: {verdict}  ({out / 'verdict.json'}, table.md, results.csv, figures/)")
    minutes = (time.perf_counter() - started) / 60
    print(f"wall time: {minutes:.1f} min for {len(jobs)} of {len(grid)} cells ({how})")
    if failed:
        print(f"{failed} cell(s) failed; their logs are under {out / 'logs'}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:  # everything after it goes to every cell
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    args = build_parser().parse_args(argv)
    args.extra = extra
    try:
        if args.executor == "local":
            given = [f"--{k}" for k in (*SLURM_FLAGS, "detach") if getattr(args, k)]
            if given:
                raise ValueError(f"{', '.join(given)} need --executor slurm")
        if args.collect is not None:
            if args.claim is not None:
                raise ValueError("--collect RUN takes no CLAIM (RUN/grid.json names it)")
            return _collect(Path(args.collect).resolve(), figures=not args.no_figures)
        if args.claim is None:
            return list_claims()
        return _run(args)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
