"""From finished cells to ``results.csv``, ``verdict.json``, ``table.md`` and ``figures/``.

A cell is finished when its ``summary.json`` exists; unfinished cells are left out (so this
works on a partial grid, ``--collect``). Metric values are read from ``summary.json`` by key,
a dotted path reaching into nested mappings (``curves.radius.arma_0.8``: a key may itself hold
dots, the longest matching key wins, with backtracking) and lists (``records.0.rel_error``).
A value that is not a number (or is absent) is *missing*; ``"nan"``/``"inf"`` strings (how the
apps write non-finite floats) and non-finite numbers are *non-finite*: both are counted and
excluded by the verdict (see :mod:`apps.reproduce.verdict`).

A recorded ``results.csv`` (the ones committed under ``docs/reproductions/``) is read back by
:func:`read_results`, so a grid can be re-aggregated without its run folders.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from apps.framework import write_json_atomic, write_text_atomic
from apps.framework.table import markdown_table

from .claims import Claim
from .verdict import CellStats, evaluate

__all__ = [
    "collect",
    "format_table",
    "lookup",
    "metric_value",
    "read_results",
    "summarize",
    "values_by_cell",
    "write_outputs",
]

_MISSING = object()


def lookup(obj: Any, path: str) -> Any:
    """``obj`` at the dotted ``path`` (see the module docstring); raises ``KeyError``."""
    found = _lookup(obj, path.split("."))
    if found is _MISSING:
        raise KeyError(path)
    return found


def _lookup(obj: Any, parts: list[str]) -> Any:
    if not parts:
        return obj
    if isinstance(obj, dict):
        for j in range(len(parts), 0, -1):  # longest key first: "arma_0.8" holds a dot
            key = ".".join(parts[:j])
            if key in obj:
                found = _lookup(obj[key], parts[j:])
                if found is not _MISSING:
                    return found
        return _MISSING
    if isinstance(obj, list) and re.fullmatch(r"-?\d+", parts[0]):
        i = int(parts[0])
        return _lookup(obj[i], parts[1:]) if -len(obj) <= i < len(obj) else _MISSING
    return _MISSING


def metric_value(summary: dict[str, Any], path: str) -> float | None:
    """The metric as a float (NaN/inf kept), or None when absent or not a number."""
    try:
        v = lookup(summary, path)
    except KeyError:
        return None
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str) and v.strip().lower() in ("nan", "inf", "-inf", "+inf"):
        return float(v)
    return None


def _seed_dirs(cell: Path) -> list[tuple[int, Path]]:
    found = [(int(p.name[5:]), p) for p in cell.glob("seed_*") if p.name[5:].isdigit()]
    return sorted(found)


def collect(claim: Claim, scale: str, run: Path) -> list[dict[str, Any]]:
    """One record per finished cell × seed, in grid order (the rows of ``results.csv``)."""
    run = Path(run)
    records = []
    for r in claim.rows:
        for c in claim.columns:
            for seed, d in _seed_dirs(run / r / c):
                path = d / "summary.json"
                if not path.is_file():
                    continue
                summary = json.loads(path.read_text())
                log = run / "logs" / r / c / f"seed_{seed}.json"
                job = json.loads(log.read_text()) if log.is_file() else {}
                records.append(
                    {
                        "claim": claim.name,
                        "version": claim.version,
                        "scale": scale,
                        "row": r,
                        "column": c,
                        "seed": seed,
                        **{m: metric_value(summary, m) for m in claim.metrics},
                        "wall_time_s": summary.get("wall_time_s"),
                        "device": summary.get("device", "not recorded by the app"),
                        "commit": job.get("commit", "unknown"),
                        "run_dir": _relative(d),
                    }
                )
    return records


def _relative(path: Path) -> str:
    """``path`` relative to the working directory (the repository root) when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_results(path: str | Path, claim: Claim) -> tuple[str, list[dict[str, Any]]]:
    """The scale and records of a recorded ``results.csv`` of ``claim`` (checked: its claim,
    version and one scale; every metric column present)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f"{path}: no finished cell in it")
    missing = [m for m in claim.metrics if m not in rows[0]]
    if missing:
        raise ValueError(f"{path}: no column for the claim's metrics {missing}")
    found = {(r["claim"], r["version"], r["scale"]) for r in rows}
    if len(found) != 1:
        raise ValueError(f"{path}: rows of several grids {sorted(found)}")
    name, version, scale = found.pop()
    if (name, int(version)) != (claim.name, claim.version):
        raise ValueError(
            f"{path}: recorded for claim {name} version {version}, the claim file is "
            f"{claim.name} version {claim.version}"
        )
    records = []
    for r in rows:
        rec: dict[str, Any] = dict(r)
        rec["seed"] = int(r["seed"])
        for key in (*claim.metrics, "wall_time_s"):
            rec[key] = None if r[key] == "" else float(r[key])
        records.append(rec)
    return scale, records


def values_by_cell(claim: Claim, records: Sequence[dict[str, Any]]) -> dict:
    """``{(row, column): {metric: [value per seed]}}``, as the verdict takes them."""
    out: dict[tuple[str, str], dict[str, list[float | None]]] = {}
    for rec in records:
        cell = out.setdefault((rec["row"], rec["column"]), {m: [] for m in claim.metrics})
        for m in claim.metrics:
            cell[m].append(rec[m])
    return out


def _csv(claim: Claim, records: Sequence[dict[str, Any]]) -> str:
    fields = ["claim", "version", "scale", "row", "column", "seed", *claim.metrics]
    fields += ["wall_time_s", "device", "commit", "run_dir"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for rec in records:
        writer.writerow({k: "" if rec[k] is None else rec[k] for k in fields})
    return buf.getvalue()


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _cell_text(s: CellStats, paper: float | None) -> str:
    if s.n == 0:
        ours = "—"
    elif s.n == 1:
        ours = f"{_fmt(s.mean)} (1)"
    else:
        ours = f"{_fmt(s.mean)} ± {s.std:.2g} ({s.n})"
    notes = [f"{s.nonfinite} non-finite"] if s.nonfinite else []
    notes += [f"{s.missing} missing"] if s.missing else []
    if notes:
        ours += f" [{', '.join(notes)} excluded]"
    return ours if paper is None else f"{ours} · paper {_fmt(paper)}"


def format_table(
    claim: Claim, scale: str, records: Sequence[dict[str, Any]], verdict: dict[str, Any]
) -> str:
    """``table.md``: per metric the paper's layout (rows × columns), ours beside the paper's."""
    cells = values_by_cell(claim, records)
    commits = sorted({rec["commit"] for rec in records}) or ["none"]
    lines = [
        f"# {claim.name} (version {claim.version}), scale {scale}",
        "",
        f"{claim.paper}, {claim.table}: {claim.claim}",
        "",
        f"Cells: ours = mean ± std (n seeds) over finished seeds; {len(records)} finished runs; "
        f"commit {', '.join(commits)}.",
    ]
    for key, metric in claim.metrics.items():
        better = "higher" if metric.higher_is_better else "lower"
        lines += ["", f"## {metric.label} (`{key}`, {better} is better)", ""]
        table = []
        for r, row in claim.rows.items():
            texts = []
            for c in claim.columns:
                stats = CellStats.of(cells.get((r, c), {}).get(key, []))
                paper = claim.paper_values.get(r, {}).get(c, {}).get(key)
                texts.append(_cell_text(stats, paper))
            table.append([row.label, *texts])
        lines += markdown_table(table, ["", *(c.label for c in claim.columns.values())])
    lines += ["", f"## Verdict: {verdict['verdict']}", ""]
    for sub in verdict["claims"]:
        lines.append(f"- **{sub['id']}** ({sub['combine']}): {sub['verdict']} — {sub['text']}")
        for comp in sub["comparisons"]:
            terms = " ".join(
                f"{t['coef']:+g}·{t['row']}/{t['column']}(n={t['n']})" for t in comp["terms"]
            )
            if comp["interval"] is None:
                detail = comp["reason"]
            else:
                lo, hi = comp["interval"]
                df = "inf" if comp["df"] is None else f"{comp['df']:.3g}"
                detail = f"{_fmt(comp['estimate'])} [{_fmt(lo)}, {_fmt(hi)}], df {df}"
                if comp["reason"]:
                    detail += f"; {comp['reason']}"
            lines.append(
                f"  - `{comp['metric']}` {terms}, {comp['side']} (margin {comp['margin']:g}): "
                f"{detail} → {comp['verdict']}"
            )
    return "\n".join(lines) + "\n"


def summarize(claim: Claim, scale: str, run: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The records of the finished cells and the claim's verdict on them."""
    records = collect(claim, scale, run)
    return records, evaluate(claim, values_by_cell(claim, records))


def write_outputs(
    claim: Claim,
    scale: str,
    run: Path,
    figures: bool = True,
    records: Sequence[dict[str, Any]] | None = None,
) -> str:
    """Write ``results.csv``, ``verdict.json``, ``table.md`` (and ``figures/``) into ``run``;
    return the table's text. ``records``: aggregate these (a recorded ``results.csv``) instead
    of the finished cells under ``run``."""
    run = Path(run)
    if records is None:
        records, verdict = summarize(claim, scale, run)
    else:
        verdict = evaluate(claim, values_by_cell(claim, records))
    nonfinite = {
        m: sum(1 for rec in records if rec[m] is not None and not math.isfinite(rec[m]))
        for m in claim.metrics
    }
    verdict = {**verdict, "scale": scale, "runs": len(records), "nonfinite_runs": nonfinite}
    write_text_atomic(run / "results.csv", _csv(claim, records))
    write_json_atomic(run / "verdict.json", verdict)
    table = format_table(claim, scale, records, verdict)
    write_text_atomic(run / "table.md", table)
    if figures:
        from .figures import plot_metrics  # matplotlib only when drawing

        plot_metrics(claim, values_by_cell(claim, records), run / "figures")
    return table
