"""Reading flags before the parser does: the pre-parsing every app command line needs.

``--smoke`` and ``--resume RUN_DIR`` put a config file in front of the arguments
(``configs/smoke.yaml``; the run's own ``config.yaml``), so they are read before jsonargparse
parses. Both spellings are understood everywhere: ``--name VALUE`` and ``--name=VALUE``; for a
repeated flag the last one wins, as in the parser.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["config_first", "flag_value", "pop_flag", "switch_value", "without_flag"]

_FALSE = ("false", "0", "no", "off")


def pop_flag(argv: list[str], name: str, takes_value: bool = True) -> tuple[list[str], str | None]:
    """``(argv without every ``name``, its last value)``.

    A flag that takes a value: ``--name VALUE`` or ``--name=VALUE``; the value is ``None`` when
    the flag is absent, and a trailing ``--name`` with nothing after it raises ``ValueError``.
    A switch (``takes_value=False``): ``--name`` gives ``"true"``, ``--name=VALUE`` gives
    ``VALUE`` (see :func:`switch_value`).
    """
    rest: list[str] = []
    value: str | None = None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == name:
            if not takes_value:
                value = "true"
            elif i + 1 < len(argv):
                value, i = argv[i + 1], i + 1
            else:
                raise ValueError(f"{name} needs a value, got nothing after it in {argv}")
        elif arg.startswith(name + "="):
            value = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        i += 1
    return rest, value


def flag_value(argv: list[str], name: str) -> str | None:
    """The value of ``--name VALUE`` / ``--name=VALUE`` in ``argv`` (last one wins), else None.

    A trailing ``--name`` without a value gives None: the parser reports it.
    """
    try:
        return pop_flag(argv, name)[1]
    except ValueError:
        return pop_flag(argv[:-1], name)[1]


def without_flag(argv: list[str], name: str, takes_value: bool = True) -> list[str]:
    """``argv`` without any ``name`` flag (and its value, when it ``takes_value``)."""
    try:
        return pop_flag(argv, name, takes_value)[0]
    except ValueError:  # a trailing bare flag: dropped as well
        return pop_flag(argv[:-1], name, takes_value)[0]


def switch_value(argv: list[str], name: str) -> bool:
    """Whether switch ``name`` is on: ``--name`` or ``--name=true`` (``false/0/no/off``: off)."""
    value = pop_flag(argv, name, takes_value=False)[1]
    return value is not None and value.lower() not in _FALSE


def config_first(argv: list[str], configs: str | Path) -> list[str]:
    """``argv`` with the config file that ``--resume`` or ``--smoke`` stands for in front.

    ``--resume RUN_DIR``: ``RUN_DIR/config.yaml`` first (the run's own settings; later flags
    still win), the flag moved to the end in one spelling. Else ``--smoke``:
    ``configs/smoke.yaml`` first. Else ``argv`` unchanged.

    Raises:
        FileNotFoundError: ``RUN_DIR`` holds no ``config.yaml``.
    """
    resume = flag_value(argv, "--resume")
    if resume is not None:
        saved = Path(resume) / "config.yaml"
        if not saved.is_file():
            raise FileNotFoundError(f"--resume {resume}: no run config at {saved}")
        return ["--config", str(saved), *without_flag(argv, "--resume"), "--resume", resume]
    if switch_value(argv, "--smoke"):
        return ["--config", str(Path(configs) / "smoke.yaml"), *argv]
    return list(argv)
