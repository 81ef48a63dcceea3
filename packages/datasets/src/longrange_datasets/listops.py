"""ListOps in the Long Range Arena format (Nangia & Bowman 2018; Tay et al. 2021).

Expressions over digits 0-9 with the operators ``[MAX``, ``[MIN``, ``[MED`` and ``[SM`` (sum
modulo 10), written as LRA writes them: left-nested parentheses, e.g. ``( ( ( [MAX 2 ) 9 ) ] )``
for ``MAX(2, 9)``. The label is the value of the expression. ``[MED`` is LRA's
``int(np.median(values))``: the middle value for an odd count, and for an even count the mean of
the two middle values rounded down (``MED(1, 2) = 1``, ``MED(3, 8, 1, 6) = 4``).
Tokenisation drops the parentheses (as LRA-derived code does) and maps the 16 symbols to ids.

As LRA's generator, lengths are counted without parentheses and kept strictly inside the bounds
(``500 < length < 2000`` by default), and examples are unique within and across the splits of
one generated dataset ([`generate_listops_splits`][longrange_datasets.generate_listops_splits]).
"""

from __future__ import annotations

import csv
import os
import random
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from .errors import CorruptDataError, MissingDataError

__all__ = [
    "OPERATORS",
    "VOCAB",
    "ListOps",
    "evaluate",
    "generate_listops",
    "generate_listops_splits",
    "read_listops_tsv",
    "tokenize",
    "write_listops_tsv",
]

OPERATORS = ("[MAX", "[MIN", "[MED", "[SM")
END = "]"
PAD, UNK = "<pad>", "<unk>"
VOCAB: dict[str, int] = {
    tok: i for i, tok in enumerate([PAD, UNK, *map(str, range(10)), *OPERATORS, END])
}

Tree = int | tuple


def _apply(op: str, values: list[int]) -> int:
    if op == "[MAX":
        return max(values)
    if op == "[MIN":
        return min(values)
    if op == "[MED":  # LRA: the even-count median is the middle values' mean, floored
        return int(np.median(values))
    if op == "[SM":
        return sum(values) % 10
    raise ValueError(f"unknown ListOps operator {op!r}")


def _random_tree(
    rng: random.Random, depth: int, max_depth: int, max_args: int, op_prob: float
) -> Tree:
    if depth >= max_depth or rng.random() >= op_prob:
        return rng.randrange(10)
    n = rng.randint(2, max_args)
    return (
        rng.choice(OPERATORS),
        [_random_tree(rng, depth + 1, max_depth, max_args, op_prob) for _ in range(n)],
    )


def _value(tree: Tree) -> int:
    if isinstance(tree, int):
        return tree
    op, args = tree
    return _apply(op, [_value(a) for a in args])


def _to_string(tree: Tree) -> str:
    if isinstance(tree, int):
        return str(tree)
    op, args = tree
    # LRA: ((op, a0), a1), ..., END) pairs, each pair in parentheses
    s = f"( {op} {_to_string(args[0])} )"
    for a in args[1:]:
        s = f"( {s} {_to_string(a)} )"
    return f"( {s} {END} )"


def generate_listops(
    num: int,
    seed: int = 0,
    max_depth: int = 10,
    max_args: int = 10,
    min_length: int = 500,
    max_length: int = 2000,
    op_prob: float = 0.25,
    exclude: Collection[str] = (),
) -> list[tuple[str, int]]:
    """Draw ``num`` distinct expressions whose token count (parentheses excluded) lies strictly
    between ``min_length`` and ``max_length`` (LRA's ``length > min_length and length <
    max_length``; its defaults: depth 10, 10 arguments, 500 and 2000).

    A node above ``max_depth`` is an operator with probability ``op_prob`` (LRA's ``VALUE_P``,
    despite its name, is this probability) with 2 to ``max_args`` arguments, else a digit; the
    root is always an operator. Trees outside the length bounds, already drawn, or in
    ``exclude`` (sources) are redrawn.

    Returns:
        ``(source, label)`` pairs, the source in LRA's parenthesised format.
    """
    if num < 0:
        raise ValueError(f"num should be >= 0, got {num}")
    if not 0 <= min_length < max_length - 1:
        raise ValueError(
            "need 0 <= min_length < max_length - 1 (the bounds are exclusive), got "
            f"min_length={min_length}, max_length={max_length}"
        )
    rng = random.Random(seed)
    out: list[tuple[str, int]] = []
    seen = set(exclude)
    tries = 0
    while len(out) < num:
        tries += 1
        if tries > 1000 * max(num, 1):
            raise RuntimeError(
                f"could not draw {num} distinct expressions of more than {min_length} and fewer "
                f"than {max_length} tokens with max_depth={max_depth}, max_args={max_args}; "
                "relax the limits"
            )
        n = rng.randint(2, max_args)  # the root is an operator
        tree = (
            rng.choice(OPERATORS),
            [_random_tree(rng, 2, max_depth, max_args, op_prob) for _ in range(n)],
        )
        source = _to_string(tree)
        if min_length < len(tokenize_source(source)) < max_length and source not in seen:
            seen.add(source)
            out.append((source, _value(tree)))
    return out


def generate_listops_splits(
    sizes: Mapping[str, int], seed: int = 0, **kwargs: Any
) -> dict[str, list[tuple[str, int]]]:
    """One generated dataset: ``sizes[split]`` expressions per split, no expression twice in it.

    As LRA, all examples are drawn from one stream and shared out (here in the order of
    ``sizes``, which keeps them seeded: same sizes and seed, same splits).

    Args:
        sizes: examples per split, e.g. ``{"train": 96000, "val": 2000, "test": 2000}`` (LRA's).
        seed: seeds the stream.
        **kwargs: passed to [`generate_listops`][longrange_datasets.generate_listops].
    """
    for split, n in sizes.items():
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"sizes[{split!r}] should be an int >= 0, got {n!r}")
    rows = generate_listops(sum(sizes.values()), seed, **kwargs)
    out, start = {}, 0
    for split, n in sizes.items():
        out[split] = rows[start : start + n]
        start += n
    return out


def tokenize_source(source: str) -> list[str]:
    """Whitespace tokens without parentheses."""
    return source.replace("(", " ").replace(")", " ").split()


def evaluate(source: str) -> int:
    """Value of a ListOps expression (parenthesised or not), by a stack machine."""
    stack: list[list] = []
    result: int | None = None
    for tok in tokenize_source(source):
        if tok in OPERATORS:
            stack.append([tok])
        elif tok == END:
            if not stack:
                raise ValueError(f"unbalanced ']' in ListOps source {source[:60]!r}")
            op, *args = stack.pop()
            value = _apply(op, args)
            if stack:
                stack[-1].append(value)
            else:
                result = value
        elif tok.isdigit() and len(tok) == 1:
            if not stack:
                result = int(tok)
            else:
                stack[-1].append(int(tok))
        else:
            raise ValueError(f"unknown ListOps token {tok!r}")
    if stack or result is None:
        raise ValueError(f"incomplete ListOps source {source[:60]!r}")
    return result


def tokenize(sources: Sequence[str], max_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Token ids, right-padded with 0 (``<pad>``), and the lengths.

    Args:
        sources: ListOps sources.
        max_length: pad/truncate to this length (default: the longest source).

    Returns:
        ``(ids Tensor[N, L] int64, lengths Tensor[N] int64)``; unknown tokens map to 1.
    """
    toks = [tokenize_source(s) for s in sources]
    length = max_length if max_length is not None else max((len(t) for t in toks), default=0)
    ids = torch.zeros(len(toks), length, dtype=torch.long)
    lengths = torch.zeros(len(toks), dtype=torch.long)
    for i, t in enumerate(toks):
        t = t[:length]
        ids[i, : len(t)] = torch.tensor([VOCAB.get(x, VOCAB[UNK]) for x in t], dtype=torch.long)
        lengths[i] = len(t)
    return ids, lengths


def write_listops_tsv(path: str | os.PathLike[str], rows: Sequence[tuple[str, int]]) -> Path:
    """Write LRA's ``Source\\tTarget`` TSV (atomically)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f, delimiter="\t")
        w.writerow(["Source", "Target"])
        w.writerows(rows)
    os.replace(tmp, path)
    return path


def read_listops_tsv(path: str | os.PathLike[str]) -> list[tuple[str, int]]:
    """Read an LRA ``basic_{train,val,test}.tsv`` (header ``Source\\tTarget``)."""
    path = Path(path)
    if not path.is_file():
        raise MissingDataError(path, "an LRA ListOps TSV with header 'Source\\tTarget'")
    rows = []
    with open(path, newline="") as f:
        reader = csv.reader(f, delimiter="\t")
        header = next(reader, None)
        if header != ["Source", "Target"]:
            raise CorruptDataError(path, "an LRA ListOps TSV", f"header {header!r}")
        for n, row in enumerate(reader, start=2):
            if len(row) != 2 or not row[1].strip().isdigit():
                raise CorruptDataError(path, "an LRA ListOps TSV", f"bad row at line {n}")
            rows.append((row[0], int(row[1])))
    return rows


def _generate_missing_splits(
    root: Path, num: int, seed: int, max_length: int, generator_kwargs: dict[str, Any]
) -> None:
    splits = ListOps.SPLITS
    kwargs = {"max_length": max_length, **generator_kwargs}
    rows = generate_listops_splits(dict.fromkeys(splits, num), seed, **kwargs)
    for split in splits:
        path = root / f"basic_{split}.tsv"
        if not path.is_file():
            write_listops_tsv(path, rows[split])
    owner: dict[str, str] = {}
    for split in splits:
        for source, _ in read_listops_tsv(root / f"basic_{split}.tsv"):
            if owner.setdefault(source, split) != split:
                raise ValueError(
                    f"an expression is in both basic_{owner[source]}.tsv and basic_{split}.tsv "
                    f"under {root}: files of another generation? delete them and generate again"
                )


class ListOps(Dataset):
    """ListOps split: item -> ``(ids Tensor[max_length] int64, length Tensor[], label Tensor[])``.

    Reads ``root/basic_{split}.tsv`` (LRA's files). With ``generate=True`` and no file there, an
    offline default is generated first: one dataset of ``num`` expressions per split (see
    [`generate_listops_splits`][longrange_datasets.generate_listops_splits]), its missing split
    files written in the same format, so the same reader serves both. Split files already there
    are kept; an expression found in two of them raises ``ValueError`` (stale files of another
    generation: delete them).

    ``max_length`` pads/truncates the token ids; when generating, it is also the generator's
    exclusive upper bound (so every generated expression fits), ``min_length`` (default 500)
    its exclusive lower one.
    """

    SPLITS = ("train", "val", "test")

    def __init__(
        self,
        root: str | os.PathLike[str],
        split: str = "train",
        max_length: int = 2000,
        generate: bool = False,
        num: int = 2000,
        seed: int = 0,
        **generator_kwargs: Any,
    ) -> None:
        if split not in self.SPLITS:
            raise ValueError(f"split should be one of {self.SPLITS}, got {split!r}")
        path = Path(root) / f"basic_{split}.tsv"
        if generate and not path.is_file():
            _generate_missing_splits(Path(root), num, seed, max_length, generator_kwargs)
        rows = read_listops_tsv(path)
        self.ids, self.lengths = tokenize([s for s, _ in rows], max_length)
        self.labels = torch.tensor([y for _, y in rows], dtype=torch.long)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor, Tensor]:
        return self.ids[index], self.lengths[index], self.labels[index]
