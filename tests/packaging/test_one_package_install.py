"""A user who wants one layer installs one package: its wheel and the wheel it depends on, nothing
of ours besides, and none of the apps' stack (datasets, models, torchvision, lightning).

The wheels are built from this checkout with ``uv build`` into a temporary folder; a fresh
virtualenv gets them with ``uv pip install --find-links`` (pip's interface; our wheels from the
local folder, third-party wheels — torch, numpy, pywavelets — from the registry, through uv's
cache). torch is constrained to the workspace's locked version so the cache serves it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: distribution -> (folder, workspace distributions its wheel needs, import probe)
CASES = {
    "longrange-arma-core": (
        ("arma-core", "arma-stability"),
        "import torch, arma_core; x = torch.randn(1, 2, 8, 8);"
        " y = arma_core.ARMA2d(2, 3, 3, padding=1)(x);"
        " assert y.shape == (1, 3, 8, 8), y.shape",
    ),
    "longrange-multires-core": (
        ("multires-core",),
        "import torch, multires_core; m = multires_core.MultiresConv1d(4, kernel_size=2, depth=3);"
        " y = m(torch.randn(2, 4, 16)); assert y.shape == (2, 4, 16), y.shape",
    ),
}
#: what a one-package install must not bring along
ABSENT = ("longrange_datasets", "longrange_models", "torchvision", "lightning", "pytorch_lightning")


def _uv() -> str:
    env = os.environ.get("LONGRANGE_UV")
    if env:
        return env
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            pytest.fail("uv is needed to build and install the wheels (pip install uv)")
        return found


def _locked_torch() -> str:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    versions = [p["version"] for p in lock["package"] if p["name"] == "torch"]
    assert versions, "torch is not in uv.lock"
    return versions[0]


def _run(*args: str, **kw) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, capture_output=True, text=True, check=False, **kw)
    assert proc.returncode == 0, f"{' '.join(args)}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.mark.parametrize("dist", sorted(CASES))
def test_one_package_installs_alone(dist: str, tmp_path: Path) -> None:
    folders, probe = CASES[dist]
    uv = _uv()
    wheels = tmp_path / "wheels"
    for folder in folders:
        _run(uv, "build", "--wheel", "--out-dir", str(wheels), str(ROOT / "packages" / folder))
    built = sorted(p.name for p in wheels.glob("*.whl"))
    assert len(built) == len(folders), built

    venv = tmp_path / "venv"
    _run(uv, "venv", "--quiet", "--python", sys.executable, str(venv))
    python = venv / "bin" / "python"
    constraints = tmp_path / "constraints.txt"
    constraints.write_text(f"torch=={_locked_torch()}\n")
    _run(
        uv, "pip", "install", "--quiet", "--python", str(python), "--find-links", str(wheels),
        "--constraint", str(constraints), dist,
    )  # fmt: skip

    _run(str(python), "-c", probe, cwd=tmp_path)  # cwd outside the checkout: the wheel, not src/
    listed = _run(uv, "pip", "list", "--python", str(python), "--format", "freeze").stdout
    ours = sorted(
        line.split("==")[0] for line in listed.splitlines() if line.startswith("longrange")
    )
    expected = sorted(
        tomllib.loads((ROOT / "packages" / f / "pyproject.toml").read_text())["project"]["name"]
        for f in folders
    )
    assert ours == expected
    check = (
        "import importlib.util, sys; names = sys.argv[1:];"
        " found = [n for n in names if importlib.util.find_spec(n) is not None];"
        " assert not found, f'installed with it: {found}'"
    )
    _run(str(python), "-c", check, *ABSENT, cwd=tmp_path)
