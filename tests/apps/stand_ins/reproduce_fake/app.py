"""``python -m reproduce_fake.app``: a stand-in for an app under ``apps.reproduce``'s tests.

It honours the runner's contract: ``--run_dir DIR`` (refused when DIR holds a summary.json),
``--seed_everything K``, ``--resume DIR`` (arguments from DIR/config.yaml). It writes
``config.yaml`` first, then ``checkpoints/last.ckpt``, sleeps ``--sleep`` seconds and writes
``summary.json`` with ``score = mean + spread * OFFSETS[seed]`` (NaN for ``--diverge_seed``),
a nested copy under ``nested["a.b"][0]`` and its start and end times.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

OFFSETS = (-1.0, 0.0, 1.0, 0.5, -0.5)


def main(argv: list[str] | None = None) -> int:
    started = time.time()
    p = argparse.ArgumentParser()
    p.add_argument("--run_dir")
    p.add_argument("--resume")
    p.add_argument("--seed_everything", type=int, default=0)
    p.add_argument("--mean", type=float, default=0.0)
    p.add_argument("--spread", type=float, default=1.0)
    p.add_argument("--sleep", type=float, default=0.0)
    p.add_argument("--diverge_seed", type=int, default=-1)
    p.add_argument("--fail_seed", type=int, default=-1)
    p.add_argument("--smoke", action="store_true")
    args = p.parse_args(argv)
    if args.resume is not None:
        run = Path(args.resume)
        saved = json.loads((run / "config.yaml").read_text())  # JSON is YAML
        args = p.parse_args(saved["argv"])
        resumed = True
    else:
        run = Path(args.run_dir)
        if (run / "summary.json").exists():
            print(f"error: --run_dir {run} holds a summary.json", file=sys.stderr)
            return 2
        run.mkdir(parents=True, exist_ok=True)
        argv = list(sys.argv[1:] if argv is None else argv)
        (run / "config.yaml").write_text(json.dumps({"argv": argv}))
        resumed = False
    if args.seed_everything == args.fail_seed:
        print("failing on purpose", file=sys.stderr)
        return 3
    (run / "checkpoints").mkdir(exist_ok=True)
    (run / "checkpoints" / "last.ckpt").write_text("")
    time.sleep(args.sleep)
    k = args.seed_everything
    score = args.mean + args.spread * OFFSETS[k % len(OFFSETS)]
    if k == args.diverge_seed:
        score = math.nan
    summary = {
        "score": score if math.isfinite(score) else str(score),
        "nested": {"a.b": [2 * score if math.isfinite(score) else "nan"]},
        "seed": k,
        "resumed": resumed,
        "threads": os.environ.get("OMP_NUM_THREADS"),
        "device": "cpu (fake)",
        "wall_time_s": round(time.time() - started, 3),
        "started": started,
        "ended": time.time(),
    }
    tmp = run / ".summary.json.tmp"
    tmp.write_text(json.dumps(summary))
    os.replace(tmp, run / "summary.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
