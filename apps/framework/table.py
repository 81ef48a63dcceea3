"""The console table every app prints at the end of a run (plain text, aligned columns)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["format_table", "format_value", "markdown_table", "metrics_table"]

#: Summary entries that are bookkeeping, not results (left out of :func:`metrics_table`).
NOT_METRICS = ("seed", "epochs", "steps")


def format_value(value: Any) -> str:
    """A float with 6 significant digits, ``None`` as ``-``, anything else as ``str``."""
    if isinstance(value, float):
        return f"{value:.6g}"
    return "-" if value is None else str(value)


def format_table(rows: Iterable[Sequence[Any]], header: Sequence[str]) -> str:
    """``header``, a rule of dashes and ``rows``, each column padded to its widest entry.

    Args:
        rows: one sequence of values per line, as long as ``header``; values are written by
            :func:`format_value`.
        header: the column names.

    Example:
        >>> print(format_table([("test_mse", 0.0362), ("params", 30433)], ("metric", "value")))
        metric    value
        --------  ------
        test_mse  0.0362
        params    30433
    """
    text = [[str(h) for h in header]]
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"rows should have {len(header)} values like header, got {row!r}")
        text.append([format_value(v) for v in row])
    widths = [max(len(line[i]) for line in text) for i in range(len(header))]
    text.insert(1, ["-" * w for w in widths])
    lines = ("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in text)
    return "\n".join(line.rstrip() for line in lines)


def metrics_table(summary: Mapping[str, Any], skip: Sequence[str] = NOT_METRICS) -> str:
    """The numbers of a ``summary.json`` (bools and the ``skip`` keys left out) as a table."""
    rows = [
        (k, v)
        for k, v in summary.items()
        if isinstance(v, float | int) and not isinstance(v, bool) and k not in skip
    ]
    return format_table(rows, ("metric", "value"))


def markdown_table(rows: Iterable[Sequence[Any]], header: Sequence[str]) -> list[str]:
    """The lines of a Markdown (GitHub) table: ``header``, the ``|---|`` rule, then ``rows``.

    Values are written by :func:`format_value`; an empty string leaves its cell blank.

    Example:
        >>> for line in markdown_table([("a = 0.6", 2.5)], ("", "radius")):
        ...     print(line)
        | | radius |
        |---|---|
        | a = 0.6 | 2.5 |
    """

    def line(cells: Sequence[str]) -> str:
        return "|" + "|".join(f" {c} " if c else " " for c in cells) + "|"

    lines = [line([str(h) for h in header]), "|---" * len(header) + "|"]
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"rows should have {len(header)} values like header, got {row!r}")
        lines.append(line([format_value(v) for v in row]))
    return lines
