import ast
import csv

import numpy as np
import pytest
import torch

from longrange_datasets import PTBXL, TASKS, load_ptbxl, write_synthetic_ptbxl
from longrange_datasets.errors import CorruptDataError, MissingDataError


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return write_synthetic_ptbxl(
        tmp_path_factory.mktemp("ptbxl"), num_records=40, seed=0, sampling_rates=(100, 500)
    )


def _database(root):
    with open(root / "ptbxl_database.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_reader_round_trips_the_written_signals(root):
    import wfdb

    data = load_ptbxl(root, "all", 100, cache=False)
    assert data["signals"].shape == (40, 12, 1000)
    first = _database(root)[0]
    raw, fields = wfdb.rdsamp(str(root / first["filename_lr"]))
    assert fields["fs"] == 100
    np.testing.assert_allclose(data["signals"][0], raw.T, atol=1e-6)
    hr = load_ptbxl(root, "rhythm", 500, cache=False)
    assert hr["signals"].shape[-1] == 5000


@pytest.mark.parametrize("task", TASKS)
def test_labels_are_the_multi_hot_aggregation_of_scp_codes(root, task):
    data = load_ptbxl(root, task, 100, cache=False)
    statements = {  # written by the generator's statement table, re-derived here by hand
        "all": {c: c for c in ("NORM", "IMI", "LVH", "NDT", "LVOLT", "SR", "STACH", "SBRAD")},
        "diagnostic": {c: c for c in ("NORM", "IMI", "LVH", "NDT")},
        "subdiagnostic": {"NORM": "NORM", "IMI": "IMI", "LVH": "LVH", "NDT": "STTC"},
        "superdiagnostic": {"NORM": "NORM", "IMI": "MI", "LVH": "HYP", "NDT": "STTC"},
        "form": {"NDT": "NDT", "LVOLT": "LVOLT"},
        "rhythm": {"SR": "SR", "STACH": "STACH", "SBRAD": "SBRAD"},
    }[task]
    by_id = {int(r["ecg_id"]): ast.literal_eval(r["scp_codes"]) for r in _database(root)}
    classes = data["classes"]
    assert classes == sorted(classes)
    for ecg_id, target in zip(data["ecg_ids"], data["targets"], strict=True):
        expected = {statements[c] for c in by_id[int(ecg_id)] if c in statements}
        assert {classes[i] for i in np.flatnonzero(target)} == expected
    kept = {int(e) for e in data["ecg_ids"]}
    dropped = [e for e, codes in by_id.items() if not any(c in statements for c in codes)]
    assert not kept & set(dropped)  # records without a label of the task are dropped


def test_folds_and_train_only_standardisation(root):
    train = PTBXL(root, "train", "superdiagnostic")
    val = PTBXL(root, "val", "superdiagnostic")
    test = PTBXL(root, "test", "superdiagnostic")
    folds = {int(r["ecg_id"]): int(r["strat_fold"]) for r in _database(root)}
    assert {folds[int(e)] for e in train.ecg_ids} <= set(range(1, 9))
    assert {folds[int(e)] for e in val.ecg_ids} == {9}
    assert {folds[int(e)] for e in test.ecg_ids} == {10}
    assert len(train) + len(val) + len(test) == 40
    np.testing.assert_allclose(train.signals.mean(dim=(0, 2)).numpy(), 0, atol=1e-4)
    np.testing.assert_allclose(train.signals.std(dim=(0, 2)).numpy(), 1, atol=1e-3)
    # val is standardised with the training statistics, not its own
    np.testing.assert_allclose(val.mean, train.mean, rtol=1e-6)
    raw_val = val.signals.numpy() * val.std + val.mean
    assert np.abs(raw_val.mean(axis=(0, 2))[:, None] - train.mean).max() > 1e-4
    x, y = test[0]
    assert x.shape == (12, 1000)
    assert x.dtype == torch.float32
    assert y.shape == (len(test.classes),)


def test_labels_are_learnable_from_the_signal(root):
    """Rhythm sets the heart rate: the dominant beat frequency separates STACH from SBRAD."""
    from scipy.signal import find_peaks

    data = load_ptbxl(root, "rhythm", 100, cache=False)
    forms = load_ptbxl(root, "all", 100, cache=False)
    low = dict(
        zip(
            forms["ecg_ids"].tolist(),
            forms["targets"][:, forms["classes"].index("LVOLT")].tolist(),
            strict=True,
        )
    )
    # a crude detector: with low QRS voltage (LVOLT) the T wave also crosses half the maximum
    normal = np.array([low[int(e)] == 0 for e in data["ecg_ids"]])
    bpm = []
    for lead2 in data["signals"][:, 1]:  # R peaks over 10 s at 100 Hz
        peaks, _ = find_peaks(lead2, height=0.5 * lead2.max(), distance=25)
        bpm.append(6 * len(peaks))
    bpm = np.array(bpm)
    classes = data["classes"]
    tach = (data["targets"][:, classes.index("STACH")] == 1) & normal
    brad = (data["targets"][:, classes.index("SBRAD")] == 1) & normal
    assert tach.any()
    assert brad.any()
    assert bpm[tach].min() > 100 > 60 > bpm[brad].max()


def test_writer_is_deterministic_by_seed(tmp_path):
    a = write_synthetic_ptbxl(tmp_path / "a", num_records=10, seed=3)
    b = write_synthetic_ptbxl(tmp_path / "b", num_records=10, seed=3)
    c = write_synthetic_ptbxl(tmp_path / "c", num_records=10, seed=4)
    assert (a / "ptbxl_database.csv").read_text() == (b / "ptbxl_database.csv").read_text()
    sa, sb = (load_ptbxl(r, "all", cache=False)["signals"] for r in (a, b))
    np.testing.assert_array_equal(sa, sb)
    assert (a / "ptbxl_database.csv").read_text() != (c / "ptbxl_database.csv").read_text()


def test_cache_is_written_and_reused(root):
    first = load_ptbxl(root, "form", 100, cache=True)
    assert (root / ".longrange_cache" / "ptbxl_100hz.npz").is_file()
    again = load_ptbxl(root, "form", 100, cache=True)
    np.testing.assert_array_equal(first["signals"], again["signals"])


def test_missing_and_corrupt_files(root, tmp_path):
    with pytest.raises(MissingDataError, match=r"ptbxl_database\.csv: not found"):
        load_ptbxl(tmp_path, "all")
    broken = write_synthetic_ptbxl(tmp_path / "b", num_records=10, seed=1)
    header = next((broken / "records100").rglob("*.hea"))
    header.write_text("this is not a wfdb header\n")
    with pytest.raises(CorruptDataError, match=r"\.hea: cannot be read as a 12-lead WFDB record"):
        load_ptbxl(broken, "all", cache=False)
    with pytest.raises(ValueError, match="task should be one of"):
        load_ptbxl(root, "everything")
