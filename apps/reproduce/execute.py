"""Running cells through submitit: local processes (``LocalExecutor``) or a SLURM job array.

Each submitit job calls a :class:`CellJob`, which runs the cell's command as a subprocess with
``cwd`` = the repository root, its output in ``RUN/logs/<row>/<column>/seed_<k>.log`` and a record
(command, exit status, times, host, commit) in ``seed_<k>.json`` beside it. Locally at most
``--jobs`` cells run at once, each with ``OMP_NUM_THREADS = cores // jobs`` (at least 1); on SLURM
the cells go in one job array (``array_parallelism = --jobs``) with the given resources. Waiting
is polling submitit's jobs and printing progress; the scheduling is submitit's (or SLURM's).
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import submitit

from apps.framework import write_json_atomic

__all__ = [
    "ROOT",
    "CellJob",
    "Outcome",
    "available_cores",
    "git_commit",
    "local_executor",
    "run_jobs",
    "slurm_executor",
    "submit_detached",
    "thread_env",
]

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class CellJob:
    """What one submitit job runs: the cell's command as a subprocess (picklable)."""

    name: str
    command: tuple[str, ...]
    log: str
    record: str
    commit: str
    cwd: str = str(ROOT)
    env: dict[str, str | None] = field(default_factory=dict)  # None: unset in the child

    def __call__(self) -> dict[str, Any]:
        env = dict(os.environ)
        for k, v in self.env.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        Path(self.log).parent.mkdir(parents=True, exist_ok=True)
        started = time.time()
        with open(self.log, "a") as log:
            log.write(f"$ cd {shlex.quote(self.cwd)} && {shlex.join(self.command)}\n")
            log.flush()
            proc = subprocess.run(
                self.command, cwd=self.cwd, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        record = {
            "cell": self.name,
            "command": list(self.command),
            "returncode": proc.returncode,
            "started": started,
            "ended": time.time(),
            "wall_s": round(time.time() - started, 2),
            "host": socket.gethostname(),
            "commit": self.commit,
            "threads": env.get("OMP_NUM_THREADS"),
        }
        write_json_atomic(self.record, record)
        return record


@dataclass
class Outcome:
    name: str
    ok: bool
    record: dict[str, Any] | None
    error: str = ""


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def thread_env(threads: int) -> dict[str, str | None]:
    """The thread count of a cell's process (torch reads OMP_NUM_THREADS at start)."""
    t = str(max(1, threads))
    return {"OMP_NUM_THREADS": t, "MKL_NUM_THREADS": t}


def git_commit(root: Path = ROOT) -> str:
    """``git rev-parse HEAD``, with ``-dirty`` when tracked files differ from it."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        head = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("-dirty" if dirty else "")


@contextmanager
def importable_root() -> Iterator[None]:
    """Put the repository root on ``PYTHONPATH`` while submitting (submitit's job processes
    unpickle a :class:`CellJob`, so they import ``apps``; local and SLURM jobs take the env)."""
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), old) if p)
    try:
        yield
    finally:
        if old is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = old


def local_executor(folder: Path, time_min: int) -> submitit.LocalExecutor:
    executor = submitit.LocalExecutor(folder=folder)
    executor.update_parameters(timeout_min=time_min)
    return executor


def slurm_executor(
    folder: Path,
    *,
    job_name: str,
    time_min: int,
    jobs: int,
    partition: str | None = None,
    gpus_per_node: int | None = None,
    cpus_per_task: int | None = None,
    account: str | None = None,
) -> submitit.SlurmExecutor:
    """A SLURM executor (needs ``srun``/``sbatch`` on PATH) for one job array of cells."""
    executor = submitit.SlurmExecutor(folder=folder)
    params: dict[str, Any] = {"job_name": job_name, "time": time_min, "array_parallelism": jobs}
    optional = {"partition": partition, "gpus_per_node": gpus_per_node,
                "cpus_per_task": cpus_per_task, "account": account}  # fmt: skip
    params.update({k: v for k, v in optional.items() if v is not None})
    executor.update_parameters(**params)
    return executor


def _elapsed(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"


def _outcome(cell: CellJob, job: submitit.Job) -> Outcome:
    try:
        record = job.result()
    except Exception as err:  # submitit re-raises the job's failure (or a lost job)
        return Outcome(cell.name, False, None, f"{type(err).__name__}: {str(err)[-500:]}")
    ok = record.get("returncode") == 0
    error = "" if ok else f"exit status {record.get('returncode')}, see {cell.log}"
    return Outcome(cell.name, ok, record, error)


def submit_detached(executor: submitit.Executor, cells: Sequence[CellJob]) -> list[str]:
    """Submit every cell (one SLURM array) and return the job ids without waiting."""
    with importable_root():
        jobs = executor.submit_array(list(cells))
    return [j.job_id for j in jobs]


def run_jobs(
    executor: submitit.Executor,
    cells: Sequence[CellJob],
    max_parallel: int,
    poll_s: float = 0.5,
    report_s: float = 60.0,
    out: Any = None,
) -> list[Outcome]:
    """Run ``cells`` on ``executor``, at most ``max_parallel`` at once, printing progress.

    A SLURM executor gets every cell at once as one array (SLURM keeps ``array_parallelism``);
    a local one gets a new cell when a running one ends. Returns one outcome per cell, in the
    order they ended. Ctrl-C cancels the running cells (their folders resume on the next run).
    """
    out = out or sys.stdout
    pending = list(cells)
    running: dict[str, tuple[CellJob, submitit.Job, float]] = {}
    outcomes: list[Outcome] = []
    t0, last_report, total = time.time(), 0.0, len(cells)

    def report() -> None:
        now = time.time()
        busy = ", ".join(f"{n} {_elapsed(now - t)}" for n, (_, _, t) in running.items())
        failed = sum(not o.ok for o in outcomes)
        print(
            f"[{_elapsed(now - t0):>9}] {len(outcomes) - failed}/{total} done, "
            f"{len(running)} running{f' ({busy})' if busy else ''}, {len(pending)} left, "
            f"{failed} failed",
            file=out,
            flush=True,
        )

    try:
        if isinstance(executor, submitit.SlurmExecutor) and pending:
            with importable_root():
                jobs = executor.submit_array(pending)
            now = time.time()
            running = {c.name: (c, j, now) for c, j in zip(pending, jobs, strict=True)}
            pending = []
        while pending or running:
            changed = False
            with importable_root():
                while pending and len(running) < max_parallel:
                    cell = pending.pop(0)
                    running[cell.name] = (cell, executor.submit(cell), time.time())
                    changed = True
            for name, (cell, job, _) in list(running.items()):
                if job.done():
                    del running[name]
                    outcome = _outcome(cell, job)
                    outcomes.append(outcome)
                    if not outcome.ok:
                        print(f"cell {name} failed: {outcome.error}", file=out, flush=True)
                    changed = True
            if changed or time.time() - last_report > report_s:
                report()
                last_report = time.time()
            if running:
                time.sleep(poll_s)
    except KeyboardInterrupt:
        for _, job, _ in running.values():
            job.cancel(check=False)
        raise
    return outcomes
