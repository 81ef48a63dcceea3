"""Griffe extension: docstrings that are built at import time (``__doc__ = _DOC.format(...)``).

Griffe reads sources statically, so a class whose docstring is assigned to ``__doc__`` (the
`ARMA1d`/`ARMA2d`/`ARMA3d` pattern that shares one template) has no docstring for it and
mkdocstrings would render it without its Args and Shape sections. This extension imports such
objects and takes the docstring Python sees. Only objects without a static docstring are imported.
"""

from __future__ import annotations

import inspect
from typing import Any

import griffe

__all__ = ["DynamicDocstrings"]


class DynamicDocstrings(griffe.Extension):
    """Fill a missing class or function docstring from the imported object's ``__doc__``."""

    def on_class_members(self, *, cls: griffe.Class, agent: Any = None, **kwargs: Any) -> None:
        self._fill(cls, agent)

    def on_function_instance(
        self, *, func: griffe.Function, agent: Any = None, **kwargs: Any
    ) -> None:
        self._fill(func, agent)

    @staticmethod
    def _fill(obj: griffe.Object, agent: Any) -> None:
        if obj.docstring is not None or obj.name.startswith("_"):
            return
        try:
            runtime = griffe.dynamic_import(obj.path)
        except ImportError:
            return
        doc = getattr(runtime, "__doc__", None)
        # A class without its own docstring inherits nothing here: only its own __doc__ counts.
        if isinstance(runtime, type) and "__doc__" not in vars(runtime):
            return
        if doc:  # parsed like every other docstring (the loader's Google style)
            obj.docstring = griffe.Docstring(
                inspect.cleandoc(doc),
                parent=obj,
                parser=getattr(agent, "docstring_parser", None),
                parser_options=getattr(agent, "docstring_options", None),
            )
