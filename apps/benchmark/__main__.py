"""``python -m apps.benchmark NAME [--quick] [--repeats R] [--device D] [--seed S]``.

``NAME``: ``arma``, ``multires``, ``models`` or ``all``.

Prints one JSON object and saves it, with the config, under ``runs/benchmark/<timestamp>/``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from typing import Any

import torch

from apps.framework import make_run_dir, write_json_atomic

from . import arma, models, multires

BENCHMARKS = {"arma": arma.run, "multires": multires.run, "models": models.run}


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info(device: torch.device) -> dict[str, Any]:
    info: dict[str, Any] = {
        "device": str(device),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "cpu": _cpu_name(),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m apps.benchmark", description=__doc__)
    parser.add_argument("name", choices=[*BENCHMARKS, "all"], help="which benchmark")
    parser.add_argument("--quick", action="store_true", help="tiny shapes (smoke test)")
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats per variant")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs", help="root folder for run outputs")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats should be >= 1, got {args.repeats}")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda requested but CUDA is not available")
    device = torch.device(args.device)
    names = list(BENCHMARKS) if args.name == "all" else [args.name]
    result: dict[str, Any] = {"machine": machine_info(device), "quick": args.quick}
    for name in names:
        result[name] = BENCHMARKS[name](args.quick, args.repeats, device, args.seed)
    if len(names) == 1:  # flat object for a single benchmark: its keys at the top level
        flat = result.pop(names[0])
        result = {**result, **flat, "benchmark": names[0]}
    run_dir = make_run_dir("benchmark", args.out)
    write_json_atomic(run_dir / "config.json", vars(args))
    write_json_atomic(run_dir / "summary.json", result)
    json.dump(result, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
