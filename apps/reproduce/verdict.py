"""The verdict rule: linear contrasts of cell means with Welch–Satterthwaite t intervals.

A comparison is ``sum_i c_i * mean_i`` over cells ``i`` (a plain difference ``a - b`` is
``[+1 a, -1 b]``; "the gap grows with speed" is ``(a@3x - b@3x) - (a@1x - b@1x)``), with standard
error ``sqrt(sum_i c_i^2 s_i^2 / n_i)``, Welch–Satterthwaite degrees of freedom
``(sum_i v_i)^2 / sum_i v_i^2 / (n_i - 1)`` where ``v_i = c_i^2 s_i^2 / n_i``, and a two-sided
95% t interval ``[lo, hi]``. Judged against ``margin`` ``m``, the bound on the claimed side (any
number for ``greater``/``less``, e.g. ``greater`` with ``m = -0.01`` is "not worse by more than
0.01"; ``m > 0`` for ``within``):

======== ================================ ==================================
side     holds                            reversed
======== ================================ ==================================
greater  lo > m                           hi < m
less     hi < m                           lo > m
within   -m < lo and hi < m               lo > m or hi < -m
======== ================================ ==================================

and "not shown" otherwise. Only finite values count: a non-finite value (a diverged run) or a
missing one is counted, reported and excluded; a cell with fewer than 2 finite values makes its
comparison "not shown" with the reason. A sub-claim combines its comparisons (``all``: holds if
every one holds, reversed if any is reversed; ``any``: holds if any holds, reversed if all are);
the overall verdict combines the sub-claims with ``all``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scipy import stats

from .claims import Claim, Comparison, SubClaim

__all__ = [
    "HOLDS",
    "NOT_SHOWN",
    "REVERSED",
    "CellStats",
    "Contrast",
    "combine",
    "contrast",
    "evaluate",
    "judge",
]

HOLDS, REVERSED, NOT_SHOWN = "holds", "reversed", "not shown"
LEVEL = 0.95


@dataclass(frozen=True)
class CellStats:
    """The values of one metric in one cell over its seeds (finite ones kept)."""

    values: tuple[float, ...]
    nonfinite: int = 0
    missing: int = 0

    @classmethod
    def of(cls, raw: Sequence[float | None]) -> CellStats:
        """From per-seed values; ``None`` = missing, NaN/inf = diverged."""
        finite = tuple(float(v) for v in raw if v is not None and math.isfinite(v))
        missing = sum(v is None for v in raw)
        return cls(finite, len(raw) - len(finite) - missing, missing)

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values) if self.values else math.nan

    @property
    def std(self) -> float:
        """Sample standard deviation (ddof 1); NaN below 2 values."""
        return statistics.stdev(self.values) if self.n >= 2 else math.nan


@dataclass(frozen=True)
class Contrast:
    estimate: float
    se: float
    df: float  # inf when every cell's variance is 0
    lo: float
    hi: float


def contrast(coefs: Sequence[float], cells: Sequence[CellStats], level: float = LEVEL) -> Contrast:
    """``sum c_i mean_i`` with its Welch–Satterthwaite t interval (every cell needs n >= 2)."""
    if len(coefs) != len(cells) or not cells:
        raise ValueError(f"need one coefficient per cell, got {len(coefs)} and {len(cells)}")
    if min(c.n for c in cells) < 2:
        raise ValueError(f"every cell needs >= 2 finite values, got {[c.n for c in cells]}")
    estimate = math.fsum(c * s.mean for c, s in zip(coefs, cells, strict=True))
    v = [c * c * s.std**2 / s.n for c, s in zip(coefs, cells, strict=True)]
    var = math.fsum(v)
    if var == 0.0:
        return Contrast(estimate, 0.0, math.inf, estimate, estimate)
    df = var**2 / math.fsum(vi * vi / (s.n - 1) for vi, s in zip(v, cells, strict=True))
    half = float(stats.t.ppf(0.5 + level / 2, df)) * math.sqrt(var)
    return Contrast(estimate, math.sqrt(var), df, estimate - half, estimate + half)


def judge(side: str, margin: float, lo: float, hi: float) -> str:
    """The table in the module docstring."""
    if side == "greater":
        return HOLDS if lo > margin else REVERSED if hi < margin else NOT_SHOWN
    if side == "less":
        return HOLDS if hi < margin else REVERSED if lo > margin else NOT_SHOWN
    if side == "within":
        if -margin < lo and hi < margin:
            return HOLDS
        return REVERSED if lo > margin or hi < -margin else NOT_SHOWN
    raise ValueError(f"side should be greater, less or within, got {side!r}")


def combine(verdicts: Sequence[str], how: str) -> str:
    """``all``: holds if all hold, reversed if any reversed; ``any``: holds if any holds,
    reversed if all are reversed; else not shown."""
    if how == "all":
        if verdicts and all(v == HOLDS for v in verdicts):
            return HOLDS
        return REVERSED if REVERSED in verdicts else NOT_SHOWN
    if how == "any":
        if HOLDS in verdicts:
            return HOLDS
        return REVERSED if verdicts and all(v == REVERSED for v in verdicts) else NOT_SHOWN
    raise ValueError(f"combine should be all or any, got {how!r}")


def _num(x: float) -> float | None:
    return x if math.isfinite(x) else None


CellValues = Mapping[tuple[str, str], Mapping[str, Sequence[float | None]]]


def _comparison(comp: Comparison, values: CellValues) -> dict[str, Any]:
    cells = [
        CellStats.of(values.get((t.row, t.column), {}).get(comp.metric, [])) for t in comp.terms
    ]
    terms = [
        {"row": t.row, "column": t.column, "coef": t.coef, "n": s.n, "mean": _num(s.mean),
         "std": _num(s.std), "nonfinite": s.nonfinite, "missing": s.missing}
        for t, s in zip(comp.terms, cells, strict=True)
    ]  # fmt: skip
    out: dict[str, Any] = {"metric": comp.metric, "side": comp.side, "margin": comp.margin,
                           "level": LEVEL, "terms": terms}  # fmt: skip
    short = [
        f"{t.row}/{t.column} has {s.n} finite value{'s' * (s.n != 1)}"
        + (f" ({s.nonfinite} non-finite excluded)" if s.nonfinite else "")
        for t, s in zip(comp.terms, cells, strict=True)
        if s.n < 2
    ]
    if short:
        reason = "; ".join(dict.fromkeys(short)) + " (needs >= 2)"
        none = {"estimate": None, "se": None, "df": None, "interval": None}
        return {**out, **none, "verdict": NOT_SHOWN, "reason": reason}
    c = contrast([t.coef for t in comp.terms], cells)
    verdict = judge(comp.side, comp.margin, c.lo, c.hi)
    excluded = sum(s.nonfinite for s in cells)
    reason = f"{excluded} non-finite value(s) excluded" if excluded else ""
    return {**out, "estimate": c.estimate, "se": c.se, "df": _num(c.df),
            "interval": [c.lo, c.hi], "verdict": verdict, "reason": reason}  # fmt: skip


def _sub_claim(sub: SubClaim, values: CellValues) -> dict[str, Any]:
    comps = [_comparison(comp, values) for comp in sub.comparisons]
    verdict = combine([c["verdict"] for c in comps], sub.combine)
    return {"id": sub.id, "text": sub.text, "combine": sub.combine, "verdict": verdict,
            "comparisons": comps}  # fmt: skip


def evaluate(claim: Claim, values: CellValues) -> dict[str, Any]:
    """The verdict of ``claim`` on per-seed values ``{(row, column): {metric: [v_seed, ...]}}``.

    Returns the content of ``verdict.json``: per comparison the estimate, interval, df, n per
    cell and verdict; per sub-claim and overall (``all`` over the sub-claims) the verdict.
    """
    subs = [_sub_claim(sub, values) for sub in claim.verdict]
    return {
        "claim": claim.name,
        "version": claim.version,
        "rule": "linear contrast of cell means, Welch-Satterthwaite t interval, two-sided 95%",
        "verdict": combine([s["verdict"] for s in subs], "all"),
        "claims": subs,
    }
