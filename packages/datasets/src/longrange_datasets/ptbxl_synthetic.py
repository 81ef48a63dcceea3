"""A small PTB-XL-shaped folder written with ``wfdb.wrsamp``, so the real reader runs offline.

ECG-like beats whose rate and morphology follow the labels: the rhythm statement sets the heart
rate; the diagnostic one sets Q waves, ST elevation, QRS voltage and T inversion.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from .ptbxl import LEADS

__all__ = ["write_synthetic_ptbxl"]

_STATEMENTS = [
    # code, description, diagnostic, form, rhythm, class, subclass
    ("NORM", "normal ECG", 1, 0, 0, "NORM", "NORM"),
    ("IMI", "inferior myocardial infarction", 1, 0, 0, "MI", "IMI"),
    ("LVH", "left ventricular hypertrophy", 1, 0, 0, "HYP", "LVH"),
    ("NDT", "non-diagnostic T abnormalities", 1, 1, 0, "STTC", "STTC"),
    ("LVOLT", "low QRS voltages", 0, 1, 0, "", ""),
    ("SR", "sinus rhythm", 0, 0, 1, "", ""),
    ("STACH", "sinus tachycardia", 0, 0, 1, "", ""),
    ("SBRAD", "sinus bradycardia", 0, 0, 1, "", ""),
]


def _beat(
    t: np.ndarray, center: float, qrs: float, st: float, t_amp: float, q_wave: float
) -> np.ndarray:
    def g(mu: float, sigma: float, amp: float) -> np.ndarray:
        return amp * np.exp(-0.5 * ((t - center - mu) / sigma) ** 2)

    return (
        g(-0.2, 0.025, 0.15)
        + g(-0.03, 0.01, -q_wave)
        + g(0.0, 0.012, qrs)
        + g(0.03, 0.01, -0.2 * qrs)
        + g(0.12, 0.05, st)
        + g(0.28, 0.045, t_amp)
    )


def write_synthetic_ptbxl(
    root: str | os.PathLike[str],
    num_records: int = 60,
    seed: int = 0,
    sampling_rates: tuple[int, ...] = (100,),
) -> Path:
    """Write a small PTB-XL-shaped folder (database, statements, WFDB records).

    Every record gets one diagnostic statement (NORM, IMI, LVH or NDT, which set Q waves, QRS
    voltage and ST/T shape) and one rhythm (SR, STACH, SBRAD: the heart rate), occasionally
    LVOLT (low voltage); folds cycle 1..10, so every split is populated. Ten seconds per record.
    """
    import wfdb

    if num_records < 10:
        raise ValueError(f"num_records should be >= 10 (one per fold), got {num_records}")
    for rate in sampling_rates:
        if rate not in (100, 500):
            raise ValueError(f"sampling_rates should hold 100 and/or 500, got {sampling_rates}")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    with open(root / "scp_statements.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "",
                "description",
                "diagnostic",
                "form",
                "rhythm",
                "diagnostic_class",
                "diagnostic_subclass",
            ]
        )
        for code, desc, is_diag, form, is_rhythm, cls, sub in _STATEMENTS:
            w.writerow(
                [
                    code,
                    desc,
                    "1.0" if is_diag else "",
                    "1.0" if form else "",
                    "1.0" if is_rhythm else "",
                    cls,
                    sub,
                ]
            )
    rows = []
    lead_gain = rng.uniform(0.5, 1.5, size=len(LEADS))
    for i in range(num_records):
        ecg_id = i + 1
        diag = ("NORM", "IMI", "LVH", "NDT")[rng.integers(4)]
        rhythm = ("SR", "STACH", "SBRAD")[rng.integers(3)]
        low = rng.random() < 0.2
        codes = {diag: 100.0, rhythm: 0.0}
        if low:
            codes["LVOLT"] = 0.0
        rate_bpm = {"SR": 70, "STACH": 120, "SBRAD": 48}[rhythm] + rng.normal(0, 4)
        qrs = {"LVH": 2.4}.get(diag, 1.2) * (0.4 if low else 1.0)
        st = {"IMI": 0.25}.get(diag, 0.0)
        t_amp = {"NDT": -0.25}.get(diag, 0.3)
        q_wave = {"IMI": 0.4}.get(diag, 0.05)
        folder = f"{(ecg_id // 1000) * 1000:05d}"
        names = {}
        for rate in sampling_rates:
            t = np.arange(10 * rate) / rate
            beats = np.arange(rng.uniform(0, 0.5), 10, 60.0 / rate_bpm)
            base = sum(_beat(t, c, qrs, st, t_amp, q_wave) for c in beats)
            sig = np.stack([g * base + rng.normal(0, 0.03, t.shape) for g in lead_gain], axis=1)
            suffix = "lr" if rate == 100 else "hr"
            rel = f"records{rate}/{folder}/{ecg_id:05d}_{suffix}"
            out = root / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            wfdb.wrsamp(
                out.name,
                fs=rate,
                units=["mV"] * len(LEADS),
                sig_name=list(LEADS),
                p_signal=sig,
                fmt=["16"] * len(LEADS),
                write_dir=str(out.parent),
            )
            names[rate] = rel
        rows.append(
            [
                ecg_id,
                int(rng.integers(1, 10_000)),
                repr(codes),
                i % 10 + 1,
                names.get(100, ""),
                names.get(500, ""),
            ]
        )
    tmp = root / ".ptbxl_database.csv.tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["ecg_id", "patient_id", "scp_codes", "strat_fold", "filename_lr", "filename_hr"]
        )
        w.writerows(rows)
    os.replace(tmp, root / "ptbxl_database.csv")
    return root
