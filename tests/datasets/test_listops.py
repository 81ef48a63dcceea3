import statistics

import pytest
import torch

from longrange_datasets import (
    VOCAB,
    ListOps,
    evaluate,
    generate_listops,
    read_listops_tsv,
    tokenize,
    write_listops_tsv,
)
from longrange_datasets.errors import CorruptDataError, MissingDataError


def independent_eval(tokens: list[str]) -> int:
    """A recursive-descent evaluator written here, separate from the library's stack machine."""

    def parse(i: int) -> tuple[int, int]:
        tok = tokens[i]
        if tok.isdigit():
            return int(tok), i + 1
        op, i, args = tok, i + 1, []
        while tokens[i] != "]":
            v, i = parse(i)
            args.append(v)
        if op == "[MAX":
            return max(args), i + 1
        if op == "[MIN":
            return min(args), i + 1
        if op == "[MED":
            return int(statistics.median(args)), i + 1
        return sum(args) % 10, i + 1

    value, end = parse(0)
    assert end == len(tokens)
    return value


def _tokens(source: str) -> list[str]:
    return source.replace("(", " ").replace(")", " ").split()


def test_generated_labels_match_an_independent_evaluator():
    rows = generate_listops(40, seed=0, max_depth=6, max_args=5, min_length=10, max_length=300)
    assert len(rows) == 40
    for source, label in rows:
        assert 0 <= label <= 9
        assert independent_eval(_tokens(source)) == label
        assert evaluate(source) == label
        n = len(_tokens(source))
        assert 10 <= n <= 300


def test_lra_format_and_hand_evaluated_expression():
    source = "( ( ( ( [MAX 2 ) 9 ) ( ( ( [SM 4 ) 8 ) ] ) ) ] )"
    assert evaluate(source) == 9  # MAX(2, 9, SM(4, 8) = 2)
    assert evaluate("( ( ( [MED 1 ) 5 ) ( ( [MIN 7 ) 3 ) ] ) ] )") == 3  # MED(1, 5, 3)


def test_generation_is_deterministic():
    a = generate_listops(5, seed=3, min_length=5, max_length=200)
    assert a == generate_listops(5, seed=3, min_length=5, max_length=200)
    assert a != generate_listops(5, seed=4, min_length=5, max_length=200)


def test_tokenize_pads_and_reports_lengths():
    ids, lengths = tokenize(["( ( [MAX 2 ) 9 ] )", "3"], max_length=6)
    assert ids.shape == (2, 6)
    assert lengths.tolist() == [4, 1]
    assert ids[0, :4].tolist() == [VOCAB["[MAX"], VOCAB["2"], VOCAB["9"], VOCAB["]"]]
    assert (ids[1, 1:] == 0).all()


def test_tsv_round_trip_and_dataset(tmp_path):
    rows = generate_listops(6, seed=1, min_length=5, max_length=100)
    path = write_listops_tsv(tmp_path / "basic_val.tsv", rows)
    assert read_listops_tsv(path) == rows
    ds = ListOps(tmp_path, "val", max_length=100)
    ids, length, label = ds[2]
    assert ids.shape == (100,)
    assert int(label) == rows[2][1]
    assert int(length) == len(_tokens(rows[2][0]))


def test_offline_default_is_generated_once(tmp_path):
    ds = ListOps(tmp_path, "train", max_length=300, generate=True, num=8, min_length=20)
    assert len(ds) == 8
    path = tmp_path / "basic_train.tsv"
    stamp = path.stat().st_mtime_ns
    ListOps(tmp_path, "train", max_length=300, generate=True, num=8, min_length=20)
    assert path.stat().st_mtime_ns == stamp


def test_errors(tmp_path):
    with pytest.raises(MissingDataError, match=r"basic_test\.tsv: not found"):
        ListOps(tmp_path, "test")
    bad = tmp_path / "basic_train.tsv"
    bad.write_text("Source\tTarget\n( [MAX 1 ] )\tnine\n")
    with pytest.raises(CorruptDataError, match="bad row at line 2"):
        read_listops_tsv(bad)
    bad.write_text("a,b\n")
    with pytest.raises(CorruptDataError, match="header"):
        read_listops_tsv(bad)
    with pytest.raises(ValueError, match="split should be one of"):
        ListOps(tmp_path, "dev")
    with pytest.raises(ValueError, match="unknown ListOps token"):
        evaluate("( [MAX 1 x ] )")
    assert torch.is_tensor(tokenize(["1"])[0])
