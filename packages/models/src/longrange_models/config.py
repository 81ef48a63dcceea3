"""Config dataclasses shared by every model: JSON-safe ``to_config``/``from_config``.

A model ``M`` declares ``config_class = MConfig`` (a frozen dataclass whose fields are plain
JSON values: int, float, str, bool, None, lists/tuples of them) and is built as ``M(**fields)``.
Mixing in [`ConfigMixin`][longrange_models.ConfigMixin] gives ``M.from_config(cfg | dict)`` and
``m.to_config() -> dict``; ``json.dumps(m.to_config())`` always works and
``M.from_config(m.to_config())`` rebuilds the same architecture.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from torch import nn

__all__ = ["ConfigMixin", "count_parameters"]


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable, by default) parameters of ``model``; shared tensors count once."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model should be an nn.Module, got {type(model).__name__}")
    seen: set[int] = set()
    total = 0
    for p in model.parameters():
        if id(p) in seen or (trainable_only and not p.requires_grad):
            continue
        seen.add(id(p))
        total += p.numel()
    return total


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"config values should be JSON values, got {type(value).__name__}: {value!r}")


class ConfigMixin:
    """``from_config``/``to_config`` for a model whose constructor takes its config's fields."""

    config_class: ClassVar[type]
    config: Any

    def _store_config(self, **fields: Any) -> None:
        """Keep the constructor's arguments as ``self.config`` (an instance of ``config_class``)."""
        self.config = self.config_class(**fields)

    @classmethod
    def from_config(cls, config: Any) -> Any:
        """Build the model from a config dataclass or a dict of its fields (e.g. parsed JSON)."""
        if isinstance(config, dict):
            names = {f.name for f in dataclasses.fields(cls.config_class)}
            unknown = set(config) - names
            if unknown:
                raise ValueError(
                    f"config has unknown keys {sorted(unknown)} for {cls.__name__}; "
                    f"valid: {sorted(names)}"
                )
            config = cls.config_class(**config)
        if not isinstance(config, cls.config_class):
            raise TypeError(
                f"config should be a {cls.config_class.__name__} or a dict, "
                f"got {type(config).__name__}"
            )
        return cls(**{f.name: getattr(config, f.name) for f in dataclasses.fields(config)})

    def to_config(self) -> dict[str, Any]:
        """The constructor's arguments as a JSON-safe dict (tuples become lists)."""
        return {
            f.name: _jsonable(getattr(self.config, f.name)) for f in dataclasses.fields(self.config)
        }
