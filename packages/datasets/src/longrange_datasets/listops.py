"""ListOps in the Long Range Arena format (Nangia & Bowman 2018; Tay et al. 2021).

Expressions over digits 0-9 with the operators ``[MAX``, ``[MIN``, ``[MED`` (integer median) and
``[SM`` (sum modulo 10), written as LRA writes them: left-nested parentheses, e.g.
``( ( ( [MAX 2 ) 9 ) ] )`` for ``MAX(2, 9)``. The label is the value of the expression.
Tokenisation drops the parentheses (as LRA-derived code does) and maps the 16 symbols to ids.
"""

from __future__ import annotations

import csv
import os
import random
from collections.abc import Sequence
from pathlib import Path

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
    if op == "[MED":
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
) -> list[tuple[str, int]]:
    """Draw ``num`` expressions whose token count (parentheses excluded) is in
    ``[min_length, max_length]`` (LRA's defaults: depth 10, 10 arguments, 500-2000 tokens).

    A node above ``max_depth`` is an operator with probability ``op_prob`` (LRA's ``VALUE_P``,
    despite its name, is this probability) with 2 to ``max_args`` arguments, else a digit; the
    root is always an operator. Trees outside the length range are redrawn.

    Returns:
        ``(source, label)`` pairs, the source in LRA's parenthesised format.
    """
    if num < 0:
        raise ValueError(f"num should be >= 0, got {num}")
    if not 1 <= min_length <= max_length:
        raise ValueError(
            f"need 1 <= min_length <= max_length, got min_length={min_length}, "
            f"max_length={max_length}"
        )
    rng = random.Random(seed)
    out: list[tuple[str, int]] = []
    tries = 0
    while len(out) < num:
        tries += 1
        if tries > 1000 * max(num, 1):
            raise RuntimeError(
                f"could not draw expressions of {min_length}-{max_length} tokens with "
                f"max_depth={max_depth}, max_args={max_args}; relax the limits"
            )
        n = rng.randint(2, max_args)  # the root is an operator
        tree = (
            rng.choice(OPERATORS),
            [_random_tree(rng, 2, max_depth, max_args, op_prob) for _ in range(n)],
        )
        source = _to_string(tree)
        if min_length <= len(tokenize_source(source)) <= max_length:
            out.append((source, _value(tree)))
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


class ListOps(Dataset):
    """ListOps split: item -> ``(ids Tensor[max_length] int64, length Tensor[], label Tensor[])``.

    Reads ``root/basic_{split}.tsv`` (LRA's files). With ``generate=True`` and no file there, an
    offline default is generated first (``num`` expressions, seed by split) and written in the
    same format, so the same reader serves both.
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
        **generator_kwargs,
    ) -> None:
        if split not in self.SPLITS:
            raise ValueError(f"split should be one of {self.SPLITS}, got {split!r}")
        path = Path(root) / f"basic_{split}.tsv"
        if generate and not path.is_file():
            offset = self.SPLITS.index(split)
            kwargs = {"max_length": max_length, **generator_kwargs}
            write_listops_tsv(path, generate_listops(num, seed * 3 + offset, **kwargs))
        rows = read_listops_tsv(path)
        self.ids, self.lengths = tokenize([s for s, _ in rows], max_length)
        self.labels = torch.tensor([y for _, y in rows], dtype=torch.long)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor, Tensor]:
        return self.ids[index], self.lengths[index], self.labels[index]
