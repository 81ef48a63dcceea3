import statistics

import pytest
import torch

import longrange_datasets as lds
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
    rows = lds.generate_listops(40, seed=0, max_depth=6, max_args=5, min_length=10, max_length=300)
    assert len(rows) == 40
    for source, label in rows:
        assert 0 <= label <= 9
        assert independent_eval(_tokens(source)) == label
        assert lds.evaluate(source) == label
        n = len(_tokens(source))
        assert 10 < n < 300


def test_lra_format_and_hand_evaluated_expression():
    source = "( ( ( ( [MAX 2 ) 9 ) ( ( ( [SM 4 ) 8 ) ] ) ) ] )"
    assert lds.evaluate(source) == 9  # MAX(2, 9, SM(4, 8) = 2)
    assert lds.evaluate("( ( ( [MED 1 ) 5 ) ( ( [MIN 7 ) 3 ) ] ) ] )") == 3  # MED(1, 5, 3)


def test_median_of_an_even_count_is_the_floored_mean_of_the_middle_two():
    assert lds.evaluate("( ( ( [MED 1 ) 2 ) ] )") == 1  # (1 + 2) / 2 = 1.5 -> 1
    assert lds.evaluate("( ( ( ( ( [MED 3 ) 8 ) 1 ) 6 ) ] )") == 4  # sorted 1 3 6 8: 4.5 -> 4
    assert lds.evaluate("( ( ( ( ( [MED 9 ) 0 ) 2 ) 6 ) ] )") == 4  # sorted 0 2 6 9: 4


def test_lra_default_lengths_lie_strictly_inside_500_and_2000():
    rows = lds.generate_listops(40, seed=7)
    lengths = [len(_tokens(s)) for s, _ in rows]
    assert all(500 < n < 2000 for n in lengths)
    assert len({s for s, _ in rows}) == 40


def test_bounds_are_exclusive_and_expressions_unique():
    """Depth 2 and 2 arguments: every tree is ``[OP d d ]`` (4 tokens), 4 x 10 x 10 of them."""
    kwargs = {"max_depth": 2, "max_args": 2}
    everything = {
        f"( ( ( {op} {a} ) {b} ) ] )"
        for op in ("[MAX", "[MIN", "[MED", "[SM")
        for a in range(10)
        for b in range(10)
    }
    rows = lds.generate_listops(400, seed=0, min_length=3, max_length=5, **kwargs)
    assert {s for s, _ in rows} == everything  # 400 distinct draws exhaust the space
    with pytest.raises(RuntimeError, match="could not draw 401 distinct"):
        lds.generate_listops(401, seed=0, min_length=3, max_length=5, **kwargs)
    for low, high in ((4, 6), (2, 4)):  # 4 tokens is on a bound: excluded
        with pytest.raises(RuntimeError, match="could not draw"):
            lds.generate_listops(1, seed=0, min_length=low, max_length=high, **kwargs)
    with pytest.raises(ValueError, match="bounds are exclusive"):
        lds.generate_listops(1, min_length=5, max_length=6)


def test_splits_of_one_dataset_share_no_expression():
    kwargs = {"max_depth": 2, "max_args": 2, "min_length": 3, "max_length": 5}
    sizes = {"train": 200, "val": 100, "test": 100}  # 400 of 400 possible: collisions certain
    splits = lds.generate_listops_splits(sizes, seed=1, **kwargs)  # unless they are refused
    sets = {k: {s for s, _ in v} for k, v in splits.items()}
    assert {k: len(v) for k, v in sets.items()} == sizes
    assert not sets["train"] & sets["val"]
    assert not sets["train"] & sets["test"]
    assert not sets["val"] & sets["test"]
    assert splits == lds.generate_listops_splits(sizes, seed=1, **kwargs)
    with pytest.raises(ValueError, match=r"sizes\['val'\] should be an int >= 0"):
        lds.generate_listops_splits({"train": 1, "val": -1})


def test_generated_dataset_files_share_no_expression(tmp_path):
    kwargs = {"max_depth": 2, "max_args": 2, "min_length": 3}
    lds.ListOps(tmp_path, "val", max_length=5, generate=True, num=120, **kwargs)
    files = sorted(p.name for p in tmp_path.glob("*.tsv"))
    assert files == ["basic_test.tsv", "basic_train.tsv", "basic_val.tsv"]
    sources = [s for f in files for s, _ in lds.read_listops_tsv(tmp_path / f)]
    assert len(sources) == 360
    assert len(set(sources)) == 360
    for split in lds.ListOps.SPLITS:
        ds = lds.ListOps(tmp_path, split, max_length=5, generate=True, num=120, **kwargs)
        assert len(ds) == 120
    # a stale file of another generation that repeats an expression is refused
    (tmp_path / "basic_val.tsv").unlink()
    repeated = lds.read_listops_tsv(tmp_path / "basic_train.tsv")[:3]
    lds.write_listops_tsv(tmp_path / "basic_test.tsv", repeated)
    with pytest.raises(ValueError, match=r"is in both basic_train\.tsv and basic_test\.tsv"):
        lds.ListOps(tmp_path, "val", max_length=5, generate=True, num=120, **kwargs)


def test_generation_is_deterministic():
    a = lds.generate_listops(5, seed=3, min_length=5, max_length=200)
    assert a == lds.generate_listops(5, seed=3, min_length=5, max_length=200)
    assert a != lds.generate_listops(5, seed=4, min_length=5, max_length=200)


def test_tokenize_pads_and_reports_lengths():
    ids, lengths = lds.tokenize(["( ( [MAX 2 ) 9 ] )", "3"], max_length=6)
    assert ids.shape == (2, 6)
    assert lengths.tolist() == [4, 1]
    assert ids[0, :4].tolist() == [
        lds.VOCAB["[MAX"],
        lds.VOCAB["2"],
        lds.VOCAB["9"],
        lds.VOCAB["]"],
    ]
    assert (ids[1, 1:] == 0).all()


def test_tsv_round_trip_and_dataset(tmp_path):
    rows = lds.generate_listops(6, seed=1, min_length=5, max_length=100)
    path = lds.write_listops_tsv(tmp_path / "basic_val.tsv", rows)
    assert lds.read_listops_tsv(path) == rows
    ds = lds.ListOps(tmp_path, "val", max_length=100)
    ids, length, label = ds[2]
    assert ids.shape == (100,)
    assert int(label) == rows[2][1]
    assert int(length) == len(_tokens(rows[2][0]))


def test_offline_default_is_generated_once(tmp_path):
    ds = lds.ListOps(tmp_path, "train", max_length=300, generate=True, num=8, min_length=20)
    assert len(ds) == 8
    path = tmp_path / "basic_train.tsv"
    stamp = path.stat().st_mtime_ns
    lds.ListOps(tmp_path, "train", max_length=300, generate=True, num=8, min_length=20)
    assert path.stat().st_mtime_ns == stamp


def test_errors(tmp_path):
    with pytest.raises(MissingDataError, match=r"basic_test\.tsv: not found"):
        lds.ListOps(tmp_path, "test")
    bad = tmp_path / "basic_train.tsv"
    bad.write_text("Source\tTarget\n( [MAX 1 ] )\tnine\n")
    with pytest.raises(CorruptDataError, match="bad row at line 2"):
        lds.read_listops_tsv(bad)
    bad.write_text("a,b\n")
    with pytest.raises(CorruptDataError, match="header"):
        lds.read_listops_tsv(bad)
    with pytest.raises(ValueError, match="split should be one of"):
        lds.ListOps(tmp_path, "dev")
    with pytest.raises(ValueError, match="unknown ListOps token"):
        lds.evaluate("( [MAX 1 x ] )")
    assert torch.is_tensor(lds.tokenize(["1"])[0])
