"""What a PTB-XL cache key costs: stat-based vs content-hash fingerprints of every record file.

Writes PTB-XL-sized stand-in records (``records{100,500}/NN000/NNNNN_{lr,hr}.{hea,dat}``: a
12-line header and 12 x 16-bit samples per time step, 10 s per record) for ``--records`` records
(PTB-XL has 21,799 in v1.0.3), then times each fingerprint of
``longrange_datasets.cache`` over one rate's ``.hea`` + ``.dat`` files: warm (files in the page
cache, as right after writing) and cold (each file's pages dropped with
``posix_fadvise(DONTNEED)`` first). Prints one JSON line per measurement.

    python packages/datasets/benchmarks/cache_key_cost.py --root /tmp/ptbxl_keycost
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from longrange_datasets.cache import content_fingerprint, stat_fingerprint

LEADS = ("I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6")


def write_records(root: Path, num: int, rate: int) -> list[Path]:
    suffix = "lr" if rate == 100 else "hr"
    rng = os.urandom
    files = []
    for ecg_id in range(1, num + 1):
        folder = root / f"records{rate}" / f"{(ecg_id // 1000) * 1000:05d}"
        base = folder / f"{ecg_id:05d}_{suffix}"
        hea, dat = base.with_suffix(".hea"), base.with_suffix(".dat")
        files += [hea, dat]
        if hea.is_file() and dat.is_file():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        lines = [f"{base.name} 12 {rate} {10 * rate}"]
        lines += [f"{base.name}.dat 16 1000.0(0)/mV 16 0 0 0 0 {lead}" for lead in LEADS]
        hea.write_text("\n".join(lines) + "\n")
        dat.write_bytes(rng(2 * 12 * 10 * rate))
    return files


def drop_pages(files: list[Path]) -> None:
    for p in files:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def timed(fn, files, repeats: int, cold: bool) -> float:
    best = float("inf")
    for _ in range(repeats):
        if cold:
            drop_pages(files)
        t0 = time.perf_counter()
        fn(files)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/tmp/ptbxl_keycost"))
    parser.add_argument("--records", type=int, default=21_800)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    for rate in (100, 500):
        t0 = time.perf_counter()
        files = write_records(args.root, args.records, rate)
        written = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in files)
        for name, fn in (("stat", stat_fingerprint), ("content", content_fingerprint)):
            for cold in (False, True):
                seconds = timed(fn, files, args.repeats, cold)
                print(
                    json.dumps(
                        {
                            "rate_hz": rate,
                            "records": args.records,
                            "files": len(files),
                            "bytes": size,
                            "fingerprint": name,
                            "pages": "cold" if cold else "warm",
                            "best_of": args.repeats,
                            "seconds": round(seconds, 3),
                            "write_seconds": round(written, 1),
                        }
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
