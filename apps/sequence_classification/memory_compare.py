"""``python -m apps.sequence_classification.memory_compare``: recurrent cells on a memory task.

Trains every cell of ``--cells`` (default: ComplexGatedCell with circulant recurrence, URNN,
LSTM, GRU) at one parameter budget (``hidden_size_for_budget``) on the copy task (delay ``T``)
or the adding problem, for a fixed number of steps and ``--seeds`` seeds each, all on the same
batches per seed, and writes

- ``RUN/summary.json``: per cell the hidden size, parameters, final training loss (mean of the last
  ``--record_every`` steps) and test loss after the budget per seed, with mean/std, next to the
  memoryless baseline (copy: ``10·log(8)/(T + 20)``; adding: ``1/6``);
- ``RUN/figures/<task>_loss_curves.png``: training-loss curves of all cells on one plot (mean over
  seeds, min-max band) with the baseline, the shape of Fig. 1 of Wolter & Yao, complex gated
  memory cells (draft).

A plain loop (no Lightning): many short runs, where the framework's ~10 s start-up per run would
dominate. The cells, the loss and the data are the app's (``MemoryModel``, ``copy_loss``,
``CopyMemory`` / ``AddingProblem``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path

import torch
from torch.nn import functional as F
from torch.utils.data import Dataset

from apps.framework import check_int, write_json_atomic
from longrange_datasets import (
    AddingProblem,
    CopyMemory,
    adding_baseline_mse,
    copy_baseline_loss,
)
from longrange_models._complex import real_parameter_count
from longrange_models.sequence import SEQUENCE_CELLS, hidden_size_for_budget

from .figures import plot_memory_comparison
from .metrics import copy_loss
from .models import MemoryModel

__all__ = ["main", "run_cell"]

DEFAULT_CELLS = ("complex_circulant", "urnn", "lstm", "gru")


def _batches(task: str, length: int, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    ds: Dataset = CopyMemory(length, n, seed) if task == "copy" else AddingProblem(length, n, seed)
    xs, ys = zip(*(ds[i] for i in range(n)), strict=True)
    return torch.stack(xs), torch.stack(ys)


def _loss(task: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return copy_loss(out, y) if task == "copy" else F.mse_loss(out, y)


def run_cell(
    cell: str,
    task: str,
    train: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    budget: int,
    steps: int,
    batch_size: int,
    lr: float,
    seed: int,
) -> dict:
    """Train one cell for ``steps`` steps on ``train`` (``steps · batch_size`` sequences, in
    order) with RMSprop and gradient-norm clipping at 1; returns its losses."""
    inputs, outputs = (10, 9) if task == "copy" else (2, 1)
    hidden = hidden_size_for_budget(cell, inputs, outputs, budget)
    torch.manual_seed(seed)
    model = MemoryModel(cell, task, hidden)
    opt = torch.optim.RMSprop(model.parameters(), lr=lr)
    x, y = train
    losses = []
    started = time.perf_counter()
    for step in range(steps):
        sl = slice(step * batch_size, (step + 1) * batch_size)
        loss = _loss(task, model(x[sl]), y[sl])
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    with torch.no_grad():
        test_loss = float(_loss(task, model(test[0]), test[1]))
    return {
        "hidden_size": hidden,
        "params": real_parameter_count(model),
        "train_losses": losses,
        "test_loss": test_loss,
        "seconds": round(time.perf_counter() - started, 2),
    }


def _job(a: argparse.Namespace, seed: int, cell: str) -> tuple[int, str, dict]:
    """One (seed, cell) run; its data depends on the seed alone (the same batches per cell)."""
    torch.set_num_threads(a.threads)
    train = _batches(a.task, a.length, a.steps * a.batch_size, seed)
    test = _batches(a.task, a.length, a.num_test, 10_000)
    r = run_cell(cell, a.task, train, test, a.budget, a.steps, a.batch_size, a.lr, seed)
    return seed, cell, r


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m apps.sequence_classification.memory_compare")
    p.add_argument("--task", choices=("copy", "adding"), default="copy")
    p.add_argument("--length", type=int, default=100, help="copy: delay T; adding: length")
    p.add_argument("--cells", nargs="+", default=list(DEFAULT_CELLS), choices=list(SEQUENCE_CELLS))
    p.add_argument("--budget", type=int, default=4000, help="real parameters of every cell")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch_size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--num_test", type=int, default=500)
    p.add_argument("--record_every", type=int, default=10, help="steps per plotted point")
    p.add_argument("--threads", type=int, default=1, help="torch threads per run")
    p.add_argument("--jobs", type=int, default=1, help="runs in parallel processes")
    p.add_argument("--out", default="runs")
    a = p.parse_args(argv)
    for name in (
        "jobs",
        "length",
        "budget",
        "steps",
        "batch_size",
        "seeds",
        "num_test",
        "record_every",
    ):
        try:
            check_int(f"--{name}", getattr(a, name))
        except ValueError as err:
            p.error(str(err))
    if a.steps % a.record_every:
        p.error(f"--steps should be a multiple of --record_every, got {a.steps}, {a.record_every}")
    torch.set_num_threads(a.threads)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    run = Path(a.out) / "sequence_classification" / f"{a.task}_compare" / stamp
    run.mkdir(parents=True, exist_ok=False)
    baseline = copy_baseline_loss(a.length) if a.task == "copy" else adding_baseline_mse()
    jobs = [(seed, cell) for cell in a.cells for seed in range(a.seeds)]  # slow cells first
    by_seed: dict[str, dict[int, dict]] = {c: {} for c in a.cells}
    pool = None
    done: Iterator[tuple[int, str, dict]]
    if a.jobs == 1:
        done = (_job(a, seed, cell) for seed, cell in jobs)
    else:  # separate processes (spawned: no fork of a threaded torch)
        pool = ProcessPoolExecutor(a.jobs, mp_context=multiprocessing.get_context("spawn"))
        futures = as_completed([pool.submit(_job, a, seed, cell) for seed, cell in jobs])
        done = (f.result() for f in futures)
    for seed, cell, r in done:
        by_seed[cell][seed] = r
        print(
            f"seed {seed} {cell:>18}: hidden {r['hidden_size']:>3}, params {r['params']}, "
            f"final train {statistics.fmean(r['train_losses'][-a.record_every :]):.4f}, "
            f"test {r['test_loss']:.4f}  ({r['seconds']} s)",
            flush=True,
        )
    if pool is not None:
        pool.shutdown()
    results = {c: [runs[seed] for seed in range(a.seeds)] for c, runs in by_seed.items()}
    k = a.record_every
    curves = {
        c: [
            [statistics.fmean(r["train_losses"][i : i + k]) for i in range(0, a.steps, k)]
            for r in rs
        ]
        for c, rs in results.items()
    }
    summary: dict = {
        "task": a.task,
        "length": a.length,
        "baseline": baseline,
        "budget": a.budget,
        "steps": a.steps,
        "batch_size": a.batch_size,
        "lr": a.lr,
        "optimizer": "rmsprop, grad-norm clip 1",
        "seeds": a.seeds,
        "command": "python -m apps.sequence_classification.memory_compare "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "cells": {},
    }
    for c, rs in results.items():
        final = [curve[-1] for curve in curves[c]]
        tests = [r["test_loss"] for r in rs]
        summary["cells"][c] = {
            "hidden_size": rs[0]["hidden_size"],
            "params": rs[0]["params"],
            "final_train_loss": final,
            "test_loss": tests,
            "test_loss_mean": statistics.fmean(tests),
            "test_loss_std": statistics.stdev(tests) if len(tests) > 1 else 0.0,
            "test_loss_over_baseline": statistics.fmean(tests) / baseline,
            "seconds": [r["seconds"] for r in rs],
            "curve_mean": [statistics.fmean(v) for v in zip(*curves[c], strict=True)],
            "curves": curves[c],
        }
    what = f"copy task, T = {a.length}" if a.task == "copy" else f"adding problem, L = {a.length}"
    fig = plot_memory_comparison(
        curves,
        baseline,
        run / "figures" / f"{a.task}_loss_curves.png",
        f"{what}: {a.budget} parameters per cell, batch {a.batch_size}",
        "cross-entropy (nats / step)" if a.task == "copy" else "MSE",
        every=k,
    )
    summary["figure"] = str(fig.relative_to(run))
    write_json_atomic(run / "summary.json", summary)
    print(f"\nrun folder: {run}\nbaseline {baseline:.4f}")
    for c, s in summary["cells"].items():
        print(
            f"{c:>18}: hidden {s['hidden_size']:>3}  params {s['params']:>5}  test loss "
            f"{s['test_loss_mean']:.4f} ± {s['test_loss_std']:.4f}  "
            f"({s['test_loss_over_baseline']:.3f} x baseline)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
