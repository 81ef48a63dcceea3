"""nox sessions for longrange (`nox -l` lists them; plain `nox` runs the default ones).

Every session syncs its own virtualenv from the committed ``uv.lock`` with ``uv sync --frozen``,
so CI and developers test exactly the locked versions.
"""

from __future__ import annotations

import shutil

import nox

nox.options.default_venv_backend = "uv"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = [
    "tests-arma-stability",
    "tests-arma-core",
    "tests-multires-core",
    "tests-datasets",
    "tests-models",
    "triton",
    "apps",
    "packaging",
    "typecheck",
    "docs",
    "lint",
]

PYTHON = "3.11"
#: Optional extras each package's tests exercise (the bundled offline digits, the numba kernel).
EXTRAS = {
    "datasets": ("--extra", "offline"),
    "multires-core": ("--extra", "fast"),
    "arma-core": ("--extra", "fast"),
}
#: tests/<folder> (= packages/<folder>) -> distribution name (every one prefixed `longrange-`).
PACKAGES = {
    "arma-stability": "longrange-arma-stability",
    "arma-core": "longrange-arma-core",
    "multires-core": "longrange-multires-core",
    "datasets": "longrange-datasets",
    "models": "longrange-models",
}


def _uv() -> str:
    """The uv binary installed beside nox (``pip install uv``), whether or not it is on PATH."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv") or "uv"


def _sync(session: nox.Session, *args: str) -> None:
    """Install from uv.lock into this session's virtualenv (nothing else is installed)."""
    session.run_install(
        _uv(),
        "sync",
        "--frozen",
        "--no-default-groups",
        *args,
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
        external=True,
    )


def _pytest(session: nox.Session, *args: str, env: dict[str, str] | None = None) -> None:
    session.run("python", "-m", "pytest", *args, *session.posargs, env=env)


for _folder, _dist in PACKAGES.items():

    @nox.session(name=f"tests-{_folder}", python=PYTHON)
    def _tests(session: nox.Session, folder: str = _folder, dist: str = _dist) -> None:
        _sync(session, "--package", dist, *EXTRAS.get(folder, ()), "--group", "test")
        _pytest(session, f"tests/{folder}", "-m", "not gpu")

    _tests.__doc__ = (
        f"Test {_dist} alone: a fresh env with it, its declared workspace siblings and the test "
        f"group; runs tests/{_folder}. A missing dependency declaration fails here."
    )


@nox.session(python=PYTHON)
def apps(session: nox.Session) -> None:
    """Apps in the whole workspace: every `--smoke` run, resume, safety, torchrun, benchmarks."""
    _sync(session, "--all-packages", "--all-extras", "--group", "test")
    _pytest(session, "tests/apps", "-m", "not gpu")


@nox.session(python=PYTHON)
def triton(session: nox.Session) -> None:
    """The Triton kernels (arma-core's banded AR solve) without a GPU: run on CPU tensors under
    TRITON_INTERPRET=1 against a dense solve, float64 gradcheck and the PyTorch reference, and
    compiled to a cubin for sm_90 (about two minutes on 2 cores). Triton comes with the locked
    torch wheel on Linux."""
    _sync(session, "--package", "longrange-arma-core", "--group", "test")
    # Triton reads the variable when a kernel is defined: set before Python starts
    _pytest(session, "tests/arma-core/test_triton.py", env={"TRITON_INTERPRET": "1"})
    _pytest(session, "tests/arma-core/test_triton_compile.py")


@nox.session(python=PYTHON)
def packaging(session: nox.Session) -> None:
    """Build wheels with `uv build`; a fresh venv with ONLY longrange-arma-core (and the wheel it
    needs), or ONLY longrange-multires-core, works and brings none of the apps' stack along."""
    _sync(session, "--only-group", "test")
    _pytest(session, "tests/packaging", env={"LONGRANGE_UV": _uv()})


@nox.session(python=PYTHON)
def gpu(session: nox.Session) -> None:
    """Run the `gpu`-marked tests of every package; skipped cleanly where CUDA is absent."""
    _sync(session, "--all-packages", "--all-extras", "--group", "test")
    has_cuda = session.run(
        "python", "-c", "import torch; print(torch.cuda.is_available())", silent=True
    )
    if not has_cuda or "True" not in has_cuda:
        session.skip("CUDA is not available")
    _pytest(session, "tests", "-m", "gpu")


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the site (`mkdocs build --strict`), then open every page in headless Chromium
    (tools/docs/check_site.py): API entries, math, images, console, search; screenshots in
    runs/docs/. Needs /usr/bin/chromium (Debian's `chromium`; .ci/run installs it)."""
    _sync(session, "--all-packages", "--group", "docs")
    env = {"NO_MKDOCS_2_WARNING": "1"}
    session.run("mkdocs", "build", "--strict", "--site-dir", "site", env=env)
    session.run("python", "-m", "pytest", "tests/docs", "-q")
    session.run("python", "tools/docs/check_site.py", "site", "--screenshots", "runs/docs")


#: The docs' figure scripts (each writes docs/images/<name>.png, deterministically).
FIGURES = (
    "arma_erf",
    "arma_boundary",
    "stability_roots",
    "multires_filters",
    "datasets_samples",
    "logistic_mixture",
    "benchmark_ratios",
    "cells_norms",
    "spectral_eigenvalues",
    "baselines_receptive_field",
)


@nox.session(python=PYTHON)
def figures(session: nox.Session) -> None:
    """Regenerate the docs' figures (python docs/figures/<name>.py; commit the PNGs)."""
    _sync(session, "--all-packages", "--all-extras")
    for name in session.posargs or FIGURES:
        session.run("python", f"docs/figures/{name}.py")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy over the five packages and the apps (pyproject's [tool.mypy]). The packages ship
    py.typed, so an app's call into a package is checked against the package's signatures; the
    whole workspace is installed so that mypy sees torch, Lightning and the rest."""
    _sync(session, "--all-packages", "--all-extras", "--group", "typecheck")
    session.run("mypy")


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole repository."""
    _sync(session, "--only-group", "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Run the benchmarks (`python -m apps.benchmark all`); JSON under runs/benchmark/."""
    _sync(session, "--all-packages", "--all-extras")
    session.run("python", "-m", "apps.benchmark", *(session.posargs or ["all"]))
