import ast
import csv

import numpy as np
import pytest
import torch

from longrange_datasets import LEADS, PTBXL, TASKS, load_ptbxl, write_synthetic_ptbxl
from longrange_datasets.errors import CorruptDataError, HeaderMismatchError, MissingDataError


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


def _tree(folder):
    """``folder`` and every path under it with its size and modification time (a folder's
    changes when an entry is created or removed in it, even a temporary one)."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in [folder, *sorted(folder.rglob("*"))]
    }


def test_cache_is_written_outside_the_root_and_reused(root, private_cache, monkeypatch):
    before = _tree(root)
    first = load_ptbxl(root, "form", 100, cache=True)
    assert _tree(root) == before  # nothing written beside the data
    entries = list((private_cache / "ptbxl").glob("*.npz"))
    assert len(entries) == 1

    def no_reading(*args, **kwargs):
        raise AssertionError("the records were read again")

    monkeypatch.setattr("longrange_datasets.ptbxl._read_signal", no_reading)
    again = load_ptbxl(root, "form", 100, cache=True)
    np.testing.assert_array_equal(first["signals"], again["signals"])
    other_task = load_ptbxl(root, "rhythm", 100, cache=True)  # one entry serves every task
    assert other_task["signals"].shape[0] == len(other_task["ecg_ids"])
    monkeypatch.undo()
    explicit = private_cache.parent / "elsewhere"
    load_ptbxl(root, "form", 100, cache_dir=explicit)  # the argument beats LONGRANGE_CACHE
    assert len(list((explicit / "ptbxl").glob("*.npz"))) == 1


def test_one_entry_whichever_way_the_root_is_named(tmp_path, private_cache, monkeypatch):
    folder = write_synthetic_ptbxl(tmp_path / "named", num_records=10, seed=7)
    load_ptbxl(folder, "all", 100)
    (entry,) = (private_cache / "ptbxl").glob("*.npz")
    stamp = entry.stat().st_mtime_ns
    monkeypatch.chdir(tmp_path)
    load_ptbxl("named", "all", 100)
    load_ptbxl("./named/../named", "all", 100)
    assert [p.name for p in (private_cache / "ptbxl").glob("*.npz")] == [entry.name]
    assert entry.stat().st_mtime_ns == stamp  # read, not rebuilt


def _raw(root):
    """Signals straight from wfdb, by ecg_id, independent of the loader."""
    import wfdb

    return {
        int(r["ecg_id"]): wfdb.rdsamp(str(root / r["filename_lr"]))[0].T for r in _database(root)
    }


def test_rewritten_records_invalidate_the_cache(tmp_path):
    folder = tmp_path / "data"
    write_synthetic_ptbxl(folder, num_records=10, seed=0)
    old = load_ptbxl(folder, "all", 100)
    write_synthetic_ptbxl(folder, num_records=10, seed=1)  # same files, new signals
    new = load_ptbxl(folder, "all", 100)
    raw = _raw(folder)
    for ecg_id, signal in zip(new["ecg_ids"], new["signals"], strict=True):
        np.testing.assert_allclose(signal, raw[int(ecg_id)], atol=1e-6)
    assert np.abs(new["signals"] - old["signals"][: len(new["signals"])]).max() > 0.1


def test_a_read_only_root_loads_and_is_left_untouched(tmp_path, private_cache):
    folder = write_synthetic_ptbxl(tmp_path / "ro", num_records=10, seed=2)
    paths = [folder, *folder.rglob("*")]
    before = _tree(folder)
    for p in paths:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        for _ in range(2):  # builds the entry, then reads it
            data = load_ptbxl(folder, "all", 100)
            train = PTBXL(folder, "train", "all")
        assert _tree(folder) == before
    finally:
        for p in paths:
            p.chmod(0o755 if p.is_dir() else 0o644)
    raw = _raw(folder)
    for ecg_id, signal in zip(data["ecg_ids"], data["signals"], strict=True):
        np.testing.assert_allclose(signal, raw[int(ecg_id)], atol=1e-6)
    assert len(train) == 8
    assert len(list((private_cache / "ptbxl").glob("*.npz"))) == 1


def test_a_truncated_cache_entry_is_rebuilt(tmp_path, private_cache):
    folder = write_synthetic_ptbxl(tmp_path / "d", num_records=10, seed=3)
    load_ptbxl(folder, "all", 100)
    (entry,) = (private_cache / "ptbxl").glob("*.npz")
    data = entry.read_bytes()
    entry.write_bytes(data[: len(data) // 3])
    loaded = load_ptbxl(folder, "all", 100)
    raw = _raw(folder)
    for ecg_id, signal in zip(loaded["ecg_ids"], loaded["signals"], strict=True):
        np.testing.assert_allclose(signal, raw[int(ecg_id)], atol=1e-6)
    with np.load(entry) as stored:  # rewritten whole
        assert stored["signals"].shape == (10, 12, 1000)


@pytest.mark.parametrize("fingerprint", ["stat", "content"])
def test_both_fingerprints_key_the_entry(tmp_path, fingerprint):
    folder = write_synthetic_ptbxl(tmp_path / "f", num_records=10, seed=4)
    load_ptbxl(folder, "all", 100, fingerprint=fingerprint)
    rel = _database(folder)[0]["filename_lr"]
    import wfdb

    raw, _ = wfdb.rdsamp(str(folder / rel))
    base = folder / rel
    wfdb.wrsamp(
        base.name,
        fs=100,
        units=["mV"] * 12,
        sig_name=list(LEADS),
        p_signal=raw[::-1].copy(),  # time-reversed: same size, other bytes
        fmt=["16"] * 12,
        write_dir=str(base.parent),
    )
    data = load_ptbxl(folder, "all", 100, fingerprint=fingerprint)
    np.testing.assert_allclose(data["signals"][0], raw[::-1].T, atol=1e-6)
    with pytest.raises(ValueError, match="fingerprint should be one of"):
        load_ptbxl(folder, "all", 100, fingerprint="mtime")


def _rewrite_first_record(folder, **changes):
    import wfdb

    rel = _database(folder)[0]["filename_lr"]
    base = folder / rel
    raw, _ = wfdb.rdsamp(str(base))
    spec = {
        "fs": 100,
        "units": ["mV"] * 12,
        "sig_name": list(LEADS),
        "p_signal": raw,
        "fmt": ["16"] * 12,
    }
    spec.update(changes)
    wfdb.wrsamp(base.name, write_dir=str(base.parent), **spec)
    return base.name


SWAPPED = ["II", "I", *LEADS[2:]]


@pytest.mark.parametrize(
    ("change", "field", "expected", "found"),
    [
        ({"sig_name": SWAPPED}, "sig_name", list(LEADS), SWAPPED),
        ({"units": ["uV"] * 12}, "units", ["mV"] * 12, ["uV"] * 12),
        ({"fs": 500, "p_signal": np.zeros((5000, 12))}, "fs", 100, 500),
        ({"p_signal": np.zeros((900, 12))}, "sig_len", 1000, 900),
    ],
    ids=["swapped-leads", "microvolts", "500-hz", "9-seconds"],
)
@pytest.mark.parametrize("cache", [False, True])
def test_headers_that_disagree_are_refused_with_the_record_named(
    tmp_path, change, field, expected, found, cache
):
    folder = write_synthetic_ptbxl(tmp_path / "h", num_records=10, seed=5)
    name = _rewrite_first_record(folder, **change)
    with pytest.raises(HeaderMismatchError) as info:
        load_ptbxl(folder, "all", 100, cache=cache)
    err = info.value
    assert isinstance(err, CorruptDataError)
    assert err.record == name == "00001_lr"
    assert err.field.startswith(field)
    assert (err.expected, err.found) == (expected, found)
    message = str(err)
    for part in (name, field, str(expected), str(found)):
        assert part in message


def test_lead_names_are_compared_without_case(tmp_path):
    folder = write_synthetic_ptbxl(tmp_path / "c", num_records=10, seed=6)
    _rewrite_first_record(folder, sig_name=[n.replace("AV", "aV") for n in LEADS])
    assert load_ptbxl(folder, "all", 100, cache=False)["signals"].shape == (10, 12, 1000)


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
