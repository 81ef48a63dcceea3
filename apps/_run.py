"""Compatibility alias: the run folder and the atomic writers live in :mod:`apps.framework`.

``apps._run.make_run_dir`` is :func:`apps.framework.run_dir.make_run_dir`; ``atomic_path``,
``write_json_atomic`` and ``write_text_atomic`` are :mod:`apps.framework.atomic`'s. Import them
from ``apps.framework``.
"""

from __future__ import annotations

from apps.framework.atomic import atomic_path, write_json_atomic, write_text_atomic
from apps.framework.run_dir import make_run_dir

__all__ = ["atomic_path", "make_run_dir", "write_json_atomic", "write_text_atomic"]
