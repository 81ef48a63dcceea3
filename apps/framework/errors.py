"""The framework's user-facing errors: missing data, unsafe checkpoints, bad predict input."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DatasetNotFoundError", "InputError", "UnsafeCheckpointError"]


class DatasetNotFoundError(FileNotFoundError):
    """A dataset path given on the command line is missing or incomplete.

    The message is one paragraph: what is missing, how to obtain the real data and which
    offline default runs without it.

    Args:
        what_is_missing: the path (and what it should hold) that is not there.
        how_to_get_it: where the real data comes from and where to put it.
        offline_default: the flag or preset that runs without it (the app's default).
    """

    def __init__(self, what_is_missing: str, how_to_get_it: str, offline_default: str) -> None:
        self.what_is_missing = what_is_missing
        self.how_to_get_it = how_to_get_it
        self.offline_default = offline_default
        super().__init__(
            f"Dataset not found: {what_is_missing.rstrip('.')}. "
            f"To use the real data, {how_to_get_it.rstrip('.')}. "
            f"To run without it, {offline_default.rstrip('.')}."
        )


class UnsafeCheckpointError(RuntimeError):
    """A checkpoint file would need to run code (pickled globals) to load; it is not loaded."""

    def __init__(
        self, path: str | os.PathLike[str], globals_found: list[str], cause: str = ""
    ) -> None:
        self.path = Path(path)
        self.globals_found = list(globals_found)
        listed = ", ".join(self.globals_found) if self.globals_found else "unknown objects"
        why = f" ({cause})" if cause else ""
        super().__init__(
            f"refusing to load checkpoint {self.path}: it holds pickled objects that are not "
            f"plain tensors/containers ({listed}){why}. Loading it could run arbitrary code, so it "
            "was not loaded. Use checkpoints written by this framework, or re-save a trusted one "
            "as a plain state_dict."
        )


class InputError(ValueError):
    """Input given to a command (``predict``, ``--test_only``) that it cannot use.

    The message is one paragraph: what is wrong with the input, then what was expected.

    Args:
        problem: what is wrong, naming the file or flag and what was found.
        expected: what the command expects instead.
    """

    def __init__(self, problem: str, expected: str) -> None:
        self.problem, self.expected = problem, expected
        super().__init__(f"{problem.rstrip('.')}. Expected {expected.rstrip('.')}.")
