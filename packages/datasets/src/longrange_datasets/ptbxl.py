"""PTB-XL (Wagner et al. 2020) in the PhysioNet layout, with the six benchmark label tasks.

Layout read: ``ptbxl_database.csv`` (``ecg_id``, ``scp_codes`` as a dict literal, ``strat_fold``,
``filename_lr``, ``filename_hr``), ``scp_statements.csv`` (first column the statement code;
``diagnostic``, ``form``, ``rhythm`` flags; ``diagnostic_class``, ``diagnostic_subclass``) and
WFDB records under ``records100/`` and ``records500/`` read with ``wfdb.rdsamp``.

Tasks (Strodthoff et al. 2021): ``all`` (every statement), ``diagnostic``, ``subdiagnostic``
(the diagnostic statements' subclasses), ``superdiagnostic`` (their classes), ``form``,
``rhythm``; targets are multi-hot over the task's labels, and records without any label of the
task are dropped. Folds: train ``strat_fold <= 8``, val 9, test 10. Signals are standardised
per lead with statistics of the training folds only. Headers are checked (rate, leads and their
order, units mV, 10 s); signals are cached outside the data folder by
``longrange_datasets.cache``, keyed on every record file.

[`write_synthetic_ptbxl`][longrange_datasets.write_synthetic_ptbxl] (in ``ptbxl_synthetic``)
writes a small folder of the same layout with ``wfdb.wrsamp`` (ECG-like beats whose rate and
morphology follow the labels), so the real reader is exercised offline.
"""

from __future__ import annotations

import ast
import csv
import os
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from .cache import FINGERPRINTS, cached_arrays, make_key, stat_fingerprint
from .errors import CorruptDataError, HeaderMismatchError, MissingDataError

__all__ = ["LEADS", "PTBXL", "TASKS", "load_ptbxl"]

TASKS = ("all", "diagnostic", "subdiagnostic", "superdiagnostic", "form", "rhythm")
LEADS = ("I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6")
FOLDS = {"train": range(1, 9), "val": (9,), "test": (10,)}
RECORD_SECONDS = 10
FORMAT_VERSION = 2  # of the cached signals; bump when what the reader returns changes


def _read_csv(path: Path, expected: str) -> list[dict[str, str]]:
    if not path.is_file():
        raise MissingDataError(path, expected)
    try:
        with open(path, newline="") as f:
            return list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise CorruptDataError(path, expected, str(err)) from err


def _flag(value: str) -> bool:
    try:
        return float(value) == 1.0
    except ValueError:
        return False


def _statement_maps(root: Path) -> dict[str, dict[str, list[str]]]:
    path = root / "scp_statements.csv"
    rows = _read_csv(path, "PTB-XL's scp_statements.csv")
    if not rows:
        raise CorruptDataError(path, "PTB-XL's scp_statements.csv", "no rows")
    code_col = next(iter(rows[0]))  # the unnamed first column holds the statement code
    need = {"diagnostic", "form", "rhythm", "diagnostic_class", "diagnostic_subclass"}
    if not need <= rows[0].keys():
        raise CorruptDataError(
            path, "PTB-XL's scp_statements.csv", f"missing columns {sorted(need - rows[0].keys())}"
        )
    maps: dict[str, dict[str, list[str]]] = {t: {} for t in TASKS}
    for r in rows:
        code = r[code_col]
        maps["all"][code] = [code]
        if _flag(r["diagnostic"]):
            maps["diagnostic"][code] = [code]
            if r["diagnostic_subclass"]:
                maps["subdiagnostic"][code] = [r["diagnostic_subclass"]]
            if r["diagnostic_class"]:
                maps["superdiagnostic"][code] = [r["diagnostic_class"]]
        if _flag(r["form"]):
            maps["form"][code] = [code]
        if _flag(r["rhythm"]):
            maps["rhythm"][code] = [code]
    return maps


def _check(header: Path, field: str, expected: object, found: object) -> None:
    if expected != found:
        raise HeaderMismatchError(header, header.stem, field, expected, found)


def _read_signal(root: Path, rel: str, rate: int) -> np.ndarray:
    """One record as ``float32[12, 10 * rate]`` in mV, its header checked field by field."""
    import wfdb

    base = root / rel
    header = base.with_suffix(".hea")
    if not header.is_file():
        raise MissingDataError(header, "a WFDB header of a PTB-XL record")
    try:
        signal, fields = wfdb.rdsamp(str(base))
    except Exception as err:  # wfdb raises many kinds for a bad header or data file
        raise CorruptDataError(
            header, "a 12-lead WFDB record", f"{type(err).__name__}: {err}"
        ) from err
    _check(header, "fs (sampling rate, Hz)", rate, fields["fs"])
    _check(header, "n_sig (number of leads)", len(LEADS), fields["n_sig"])
    names = [n.upper() for n in fields["sig_name"]]
    _check(header, "sig_name (leads, in order)", list(LEADS), names)
    _check(header, "units", ["mV"] * len(LEADS), list(fields["units"]))
    _check(header, "sig_len (samples, 10 s)", RECORD_SECONDS * rate, fields["sig_len"])
    if signal.shape != (RECORD_SECONDS * rate, len(LEADS)):
        raise CorruptDataError(header, "a 12-lead WFDB record", f"signal shape {signal.shape}")
    return signal.T.astype(np.float32)  # (12, L)


def _read_signals(root: Path, rels: list[str], rate: int) -> np.ndarray:
    out = np.empty((len(rels), len(LEADS), RECORD_SECONDS * rate), dtype=np.float32)
    for i, rel in enumerate(rels):
        out[i] = _read_signal(root, rel, rate)
    return out


def _record_files(root: Path, rel: str) -> tuple[Path, Path]:
    base = root / rel
    return base.with_suffix(".hea"), base.with_suffix(".dat")


def load_ptbxl(
    root: str | os.PathLike[str],
    task: str = "superdiagnostic",
    sampling_rate: int = 100,
    cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    fingerprint: str = "stat",
) -> dict[str, object]:
    """Read every record with a label of ``task``.

    Every record's header is checked: sampling rate ``sampling_rate``, the 12 leads of
    ``LEADS`` in that order (case-insensitive), units ``mV``, 10 s of samples; a mismatch raises
    [`HeaderMismatchError`][longrange_datasets.HeaderMismatchError] (a
    ``CorruptDataError``) naming the record, the field, what was expected and what was found.

    Args:
        root: the PTB-XL folder (only read, never written).
        task: one of ``TASKS``.
        sampling_rate: 100 (``filename_lr``) or 500 (``filename_hr``).
        cache: keep the signals of every record of the database (at this rate) in one cache
            entry (see ``longrange_datasets.cache``); with it, the
            first load reads and checks every record, later loads read the entry.
        cache_dir: the cache directory; default ``$LONGRANGE_CACHE``, else
            ``$XDG_CACHE_HOME/longrange``, else ``~/.cache/longrange``.
        fingerprint: what keys the entry besides the format version, the rate and the database's
            (ecg_id, file) list: ``"stat"`` (size, modification/change time and inode of every
            ``.hea``/``.dat``; 0.2 s for 21,800 records) or ``"content"`` (a hash of their bytes;
            1.4 s at 100 Hz with the files in memory, 5.6 s from disk).

    Returns:
        dict with ``signals float32[N, 12, L]`` (raw, in mV), ``targets float32[N, K]``
        (multi-hot), ``folds int64[N]``, ``ecg_ids int64[N]`` and ``classes`` (the K labels,
        sorted).
    """
    if task not in TASKS:
        raise ValueError(f"task should be one of {TASKS}, got {task!r}")
    if sampling_rate not in (100, 500):
        raise ValueError(f"sampling_rate should be 100 or 500, got {sampling_rate}")
    if fingerprint not in FINGERPRINTS:
        raise ValueError(f"fingerprint should be one of {tuple(FINGERPRINTS)}, got {fingerprint!r}")
    root = Path(root)
    db_path = root / "ptbxl_database.csv"
    db = _read_csv(db_path, "PTB-XL's ptbxl_database.csv")
    column = "filename_lr" if sampling_rate == 100 else "filename_hr"
    need = {"ecg_id", "scp_codes", "strat_fold", column}
    if not db or not need <= db[0].keys():
        raise CorruptDataError(
            db_path,
            "PTB-XL's ptbxl_database.csv",
            f"missing columns {sorted(need - (db[0].keys() if db else set()))}",
        )
    mapping = _statement_maps(root)[task]
    records = []
    for line, r in enumerate(db, start=2):
        try:
            codes = ast.literal_eval(r["scp_codes"])
            fold, ecg_id = int(float(r["strat_fold"])), int(float(r["ecg_id"]))
        except (ValueError, SyntaxError) as err:
            raise CorruptDataError(
                db_path, "PTB-XL's ptbxl_database.csv", f"line {line}: {err}"
            ) from err
        labels = sorted({lab for code in codes for lab in mapping.get(code, [])})
        records.append((ecg_id, fold, r[column], labels))
    classes = sorted({lab for *_, labels in records for lab in labels})
    every = [(e, rel) for e, _, rel, _ in records]
    records = [rec for rec in records if rec[3]]
    if cache:
        signals = _cached_signals(root, every, records, sampling_rate, cache_dir, fingerprint)
    else:
        signals = _read_signals(root, [rel for _, _, rel, _ in records], sampling_rate)
    index = {c: i for i, c in enumerate(classes)}
    targets = np.zeros((len(records), len(classes)), dtype=np.float32)
    for i, (*_, labels) in enumerate(records):
        targets[i, [index[lab] for lab in labels]] = 1.0
    return {
        "signals": signals,
        "targets": targets,
        "folds": np.array([f for _, f, _, _ in records], dtype=np.int64),
        "ecg_ids": np.array([e for e, _, _, _ in records], dtype=np.int64),
        "classes": classes,
    }


def _cached_signals(
    root: Path,
    every: list[tuple[int, str]],
    records: list,
    rate: int,
    cache_dir: str | os.PathLike[str] | None,
    fingerprint: str,
) -> np.ndarray:
    """The signals of ``records`` from the cache entry of all records ``every`` at ``rate``."""
    root = root.resolve()  # one entry and one key, whichever way the folder is named
    files = [p for _, rel in every for p in _record_files(root, rel)]
    before = stat_fingerprint(files)
    prints = before if fingerprint == "stat" else FINGERPRINTS[fingerprint](files)
    key = make_key(FORMAT_VERSION, rate, every, fingerprint, prints)

    def build() -> dict[str, np.ndarray]:
        ids = np.array([e for e, _ in every], dtype=np.int64)
        return {"ecg_ids": ids, "signals": _read_signals(root, [rel for _, rel in every], rate)}

    data = cached_arrays(
        "ptbxl",
        [str(root), rate],
        key,
        ("ecg_ids", "signals"),
        build,
        cache_dir=cache_dir,
        still_valid=lambda: stat_fingerprint(files) == before,
    )
    lookup = {int(e): i for i, e in enumerate(data["ecg_ids"])}
    return data["signals"][[lookup[e] for e, _, _, _ in records]]


class PTBXL(Dataset):
    """One split of a task: item -> ``(signal Tensor[12, L] float32, target Tensor[K] float32)``.

    Signals are standardised per lead with the training folds' mean and standard deviation
    (``self.mean``, ``self.std``, float32[12, 1]), whatever the split. The arguments after
    ``split`` are [`load_ptbxl`][longrange_datasets.load_ptbxl]'s.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        split: str = "train",
        task: str = "superdiagnostic",
        sampling_rate: int = 100,
        cache: bool = True,
        cache_dir: str | os.PathLike[str] | None = None,
        fingerprint: str = "stat",
    ) -> None:
        if split not in FOLDS:
            raise ValueError(f"split should be one of {tuple(FOLDS)}, got {split!r}")
        data = load_ptbxl(root, task, sampling_rate, cache, cache_dir, fingerprint)
        signals, folds = data["signals"], data["folds"]
        targets, classes, ecg_ids = data["targets"], data["classes"], data["ecg_ids"]
        assert isinstance(signals, np.ndarray)
        assert isinstance(folds, np.ndarray)
        assert isinstance(targets, np.ndarray)
        assert isinstance(ecg_ids, np.ndarray)
        assert isinstance(classes, list)
        train = np.isin(folds, list(FOLDS["train"]))
        if not train.any():
            raise CorruptDataError(
                Path(root) / "ptbxl_database.csv", "PTB-XL with folds 1-8", "no training records"
            )
        ref = signals[train].astype(np.float64)
        self.mean = ref.mean(axis=(0, 2))[:, None].astype(np.float32)
        self.std = (ref.std(axis=(0, 2))[:, None] + 1e-8).astype(np.float32)
        keep = np.isin(folds, list(FOLDS[split]))
        self.signals = torch.from_numpy((signals[keep] - self.mean) / self.std)
        self.targets = torch.from_numpy(targets[keep])
        self.classes: list[str] = classes
        self.ecg_ids = ecg_ids[keep]

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        return self.signals[index], self.targets[index]
