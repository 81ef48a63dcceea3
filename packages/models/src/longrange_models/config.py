"""One declaration of a model's configuration: its constructor's signature.

A model ``M`` mixes in [`ConfigMixin`][longrange_models.ConfigMixin] and writes its arguments
once, in ``M.__init__``. When the class is created the mixin builds ``M.config_class``, a frozen
dataclass named ``MConfig`` with one field per constructor argument (same name, annotation,
default and order). The constructor ends its checks with ``self._store_config(locals())``, which
keeps the (normalised) arguments as ``self.config``. Then:

* ``M.from_config(cfg | dict)`` and ``m.to_config() -> dict`` (JSON values only:
  ``json.dumps(m.to_config())`` always works, ``M.from_config(m.to_config())`` rebuilds the same
  architecture);
* ``M.presets`` (a table ``name -> arguments``), ``M.preset(name, **overrides)`` and
  ``M.Preset``, the table's keys as a ``Literal`` (what a command line's ``--help`` lists);
* ``M.config_fields()``, the argument names, for code that forwards a subset of them (the apps).

[`literal_type`][longrange_models.config.literal_type] turns a table's keys into a ``Literal`` for
command-line parsers (jsonargparse/LightningCLI list its values in ``--help``), so a new preset
or kind is one new table entry.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Literal, Self, TypeAlias

from torch import nn

__all__ = ["ConfigMixin", "count_parameters", "literal_type"]


def count_parameters(
    model: nn.Module, trainable_only: bool = True, complex_as_two: bool = False
) -> int:
    """Number of (trainable, by default) parameters of ``model``; shared tensors count once.

    ``complex_as_two``: count stored real numbers (a complex entry is two), to compare complex
    and real models at an equal budget.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model should be an nn.Module, got {type(model).__name__}")
    seen: set[int] = set()
    total = 0
    for p in model.parameters():
        if id(p) in seen or (trainable_only and not p.requires_grad):
            continue
        seen.add(id(p))
        total += p.numel() * (2 if complex_as_two and p.is_complex() else 1)
    return total


def literal_type(names: Iterable[str]) -> Any:
    """``Literal[n_0, n_1, ...]`` of ``names`` (e.g. a table's keys), built at run time.

    For parsers that read annotations (jsonargparse lists a ``Literal``'s values as the choices);
    a static type checker cannot evaluate it, so modules declare the alias as ``str`` under
    ``typing.TYPE_CHECKING``.
    """
    values = tuple(names)
    if not values or not all(isinstance(v, str) for v in values):
        raise ValueError(f"names should be a non-empty collection of str, got {values!r}")
    return Literal[values]  # Literal[("a", "b")] is Literal["a", "b"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"config values should be JSON values, got {type(value).__name__}: {value!r}")


def _named_parameters(cls: type) -> list[inspect.Parameter] | None:
    """The arguments of ``cls.__init__`` after ``self``; ``None`` if it takes ``*args``/``**kw``."""
    params = list(inspect.signature(vars(cls)["__init__"]).parameters.values())[1:]
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        return None
    return params


def _config_dataclass(name: str, cls: type, params: list[inspect.Parameter]) -> type:
    """A frozen dataclass ``name`` with one field per argument in ``params`` (``cls.__init__``)."""
    fields: list[Any] = []
    for p in params:
        annotation = Any if p.annotation is p.empty else p.annotation
        if p.default is p.empty:
            fields.append((p.name, annotation))
            continue
        field = dataclasses.field(default=p.default, kw_only=p.kind is p.KEYWORD_ONLY)
        fields.append((p.name, annotation, field))
    config = dataclasses.make_dataclass(name, fields, frozen=True)
    config.__module__ = cls.__module__
    config.__qualname__ = name
    config.__doc__ = (
        f"The constructor arguments of [`{cls.__name__}`][{cls.__module__}.{cls.__name__}] "
        "(built from its signature; JSON values only)."
    )
    return config


class ConfigMixin:
    """``config_class`` from the constructor's signature, ``from_config``/``to_config``, presets.

    A subclass whose ``__init__`` names every argument gets ``config_class`` (named
    ``<Class>Config``, or the class keyword ``config_name``) unless its body sets one. A subclass
    without an ``__init__`` of its own, or whose ``__init__`` passes ``*args``/``**kwargs`` on,
    keeps its parent's.
    """

    config_class: ClassVar[type]
    #: Named argument sets for [`preset`][longrange_models.ConfigMixin.preset] (the papers' models).
    presets: ClassVar[Mapping[str, Mapping[str, Any]]] = MappingProxyType({})
    #: The keys of ``presets`` as a ``Literal`` (an annotation for command lines:
    #: ``preset: ConvLSTMNet.Preset``); set per subclass, ``str`` to a static type checker.
    Preset: TypeAlias = str
    config: Any

    def __init_subclass__(cls, config_name: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if vars(cls).get("presets"):  # an alias to type checkers, so set it as an attribute
            setattr(cls, "Preset", literal_type(cls.presets))  # noqa: B010
        if "__init__" not in vars(cls) or "config_class" in vars(cls):
            return
        params = _named_parameters(cls)
        if params is not None:
            name = config_name or f"{cls.__name__}Config"
            cls.config_class = _config_dataclass(name, cls, params)

    @classmethod
    def config_fields(cls) -> tuple[str, ...]:
        """The constructor's argument names, in order (the fields of ``config_class``)."""
        return tuple(f.name for f in dataclasses.fields(cls.config_class))

    def _store_config(self, values: Mapping[str, Any] | None = None, /, **fields: Any) -> None:
        """Keep the constructor's arguments as ``self.config`` (an instance of ``config_class``).

        Args:
            values: the constructor's ``locals()`` after its checks (arguments it normalised,
                e.g. a list made a tuple, are taken as they are then); other names are ignored.
            **fields: values that replace those of ``values`` (a normalised copy under another
                name).
        """
        given = {**(values or {}), **fields}
        missing = [name for name in self.config_fields() if name not in given]
        if missing:
            raise TypeError(f"{type(self).__name__} config is missing {missing}")
        self.config = self.config_class(**{name: given[name] for name in self.config_fields()})

    @classmethod
    def from_config(cls, config: Any) -> Self:
        """Build the model from a config dataclass or a dict of its fields (e.g. parsed JSON)."""
        if isinstance(config, dict):
            names = set(cls.config_fields())
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
        return cls(**{name: getattr(config, name) for name in cls.config_fields()})

    def to_config(self) -> dict[str, Any]:
        """The constructor's arguments as a JSON-safe dict (tuples become lists)."""
        return {name: _jsonable(getattr(self.config, name)) for name in self.config_fields()}

    @classmethod
    def preset(cls, name: str, /, **overrides: Any) -> Self:
        """The model ``cls(**presets[name], **overrides)``: a named model of
        [`presets`][longrange_models.ConfigMixin.presets], any argument overridden."""
        if name not in cls.presets:
            raise ValueError(f"name should be one of {sorted(cls.presets)}, got {name!r}")
        return cls(**{**cls.presets[name], **overrides})
