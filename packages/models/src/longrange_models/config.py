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

Option groups: a constructor may take a group of options that belongs to a layer it builds as
``**name: Unpack[SomeOptions]`` (a ``TypedDict(total=False)`` defined once, by the package that
owns the layer: [`arma_core.ARMAOptions`][arma_core.ARMAOptions],
[`multires_core.MultiresConvOptions`][multires_core.MultiresConvOptions],
[`Conv2dOptions`][longrange_models.Conv2dOptions]). The config then has one field per key of the
``TypedDict``, after the named arguments, whose default is the consuming layer's own: the
``TypedDict``'s ``__defaults_from__`` names that callable and
[`option_defaults`][longrange_models.config.option_defaults] reads its signature, so a default is
written once, where the option is used (a key the callable requires takes the group's
``__required_defaults__``). A keyword that is neither an argument nor a key of the
group raises a ``TypeError`` naming it.

[`literal_type`][longrange_models.config.literal_type] turns a table's keys into a ``Literal`` for
command-line parsers (jsonargparse/LightningCLI list its values in ``--help``), so a new preset
or kind is one new table entry.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import (
    Any,
    ClassVar,
    Literal,
    Self,
    TypeAlias,
    Unpack,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

from torch import nn

__all__ = [
    "ConfigMixin",
    "count_parameters",
    "expanded_parameters",
    "literal_type",
    "option_defaults",
]


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


def _unpacked(function: Callable[..., Any], param: inspect.Parameter) -> type | None:
    """The ``TypedDict`` of ``**param: Unpack[TypedDict]`` in ``function``'s signature, else
    ``None`` (a string annotation is evaluated in the function's module)."""
    annotation = param.annotation
    if isinstance(annotation, str):
        namespace = getattr(inspect.unwrap(function), "__globals__", {})
        try:
            annotation = eval(annotation, dict(namespace))
        except Exception as err:  # a name only a type checker sees
            if "Unpack[" in annotation:
                raise TypeError(
                    f"{function.__qualname__}'s **{param.name}: {annotation} should name a "
                    "TypedDict of its module's namespace"
                ) from err
            return None
    if get_origin(annotation) is not Unpack:
        return None
    (options,) = get_args(annotation)
    return options if is_typeddict(options) else None


def _init_of(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function``, or the ``__init__`` of a class (whose signature names its arguments)."""
    # mypy refuses __init__ read off an instance of type (misc); a class's __init__ is what we want
    return function.__init__ if isinstance(function, type) else function  # type: ignore[misc]  # see above


def expanded_parameters(function: Callable[..., Any]) -> list[inspect.Parameter]:
    """The parameters of ``function`` (a class: its constructor's, without ``self``), with each
    ``**name: Unpack[TypedDict]`` replaced by one keyword-only parameter per key of the
    ``TypedDict``, at its default from
    [`option_defaults`][longrange_models.config.option_defaults]."""
    init = _init_of(function)
    params = list(inspect.signature(init).parameters.values())
    if isinstance(function, type):
        params = params[1:]
    out: list[inspect.Parameter] = []
    for p in params:
        options = _unpacked(init, p) if p.kind is p.VAR_KEYWORD else None
        if options is None:
            out.append(p)
            continue
        hints = _option_annotations(options)
        for name, default in option_defaults(options).items():
            out.append(
                inspect.Parameter(name, p.KEYWORD_ONLY, default=default, annotation=hints[name])
            )
    return out


def _option_annotations(options: type) -> dict[str, Any]:
    """The types of an option group's keys (their source text where they do not resolve)."""
    try:
        return get_type_hints(options)
    except Exception:  # a name only a type checker sees
        raw = options.__annotations__
        return {k: getattr(v, "__forward_arg__", v) for k, v in raw.items()}


def option_defaults(options: type) -> dict[str, Any]:
    """The keys of the option group ``options`` (a ``TypedDict``), in order, with their
    defaults: those of the callable that consumes them, ``options.__defaults_from__`` (a layer
    class or a function; its own option groups are followed). A key without a default there
    takes the group's own, ``options.__required_defaults__`` (a dict; e.g. the layer kind, which
    a call of the factory names but a model defaults), else maps to ``inspect.Parameter.empty``
    (a required argument)."""
    if not is_typeddict(options):
        raise TypeError(f"options should be a TypedDict, got {options!r}")
    consumer = getattr(options, "__defaults_from__", None)
    if consumer is None:
        raise TypeError(
            f"{options.__name__} should name the callable that consumes it as __defaults_from__ "
            "(its signature holds the defaults)"
        )
    found = {p.name: p.default for p in expanded_parameters(consumer)}
    missing = [k for k in options.__annotations__ if k not in found]
    if missing:
        raise TypeError(f"{consumer.__qualname__} takes no {missing} of {options.__name__}")
    own = getattr(options, "__required_defaults__", {})
    empty = inspect.Parameter.empty
    wrong = [k for k in own if k not in options.__annotations__ or found[k] is not empty]
    if wrong:
        raise TypeError(
            f"{options.__name__}.__required_defaults__ should name only keys that "
            f"{consumer.__qualname__} requires, got {wrong}"
        )
    found.update(own)
    return {k: found[k] for k in options.__annotations__}


def _option_groups(cls: type) -> dict[str, type] | None:
    """``{name: TypedDict}`` of the ``**name: Unpack[TypedDict]`` of ``cls.__init__``;
    ``None`` if it takes ``*args`` or other ``**kwargs`` (then it has no config of its own)."""
    init = vars(cls)["__init__"]
    groups: dict[str, type] = {}
    for p in inspect.signature(init).parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            return None
        if p.kind is p.VAR_KEYWORD:
            options = _unpacked(init, p)
            if options is None:
                return None
            groups[p.name] = options
    return groups


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
    ``<Class>Config``, or the class keyword ``config_name``) unless its body sets one; an option
    group ``**name: Unpack[SomeOptions]`` counts as its keys (see the module docstring). A
    subclass without an ``__init__`` of its own, or whose ``__init__`` passes ``*args``/
    ``**kwargs`` on, keeps its parent's.
    """

    config_class: ClassVar[type]
    #: ``{name: TypedDict}`` of the constructor's option groups ``**name: Unpack[TypedDict]``.
    _config_options: ClassVar[Mapping[str, type]] = MappingProxyType({})
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
        groups = _option_groups(cls)
        if groups is not None:
            name = config_name or f"{cls.__name__}Config"
            cls.config_class = _config_dataclass(name, cls, expanded_parameters(cls))
            cls._config_options = MappingProxyType(groups)

    @classmethod
    def config_fields(cls) -> tuple[str, ...]:
        """The constructor's argument names, in order (the fields of ``config_class``)."""
        return tuple(f.name for f in dataclasses.fields(cls.config_class))

    def _store_config(self, values: Mapping[str, Any] | None = None, /, **fields: Any) -> None:
        """Keep the constructor's arguments as ``self.config`` (an instance of ``config_class``).

        Args:
            values: the constructor's ``locals()`` after its checks (arguments it normalised,
                e.g. a list made a tuple, are taken as they are then); other names are ignored.
                An option group ``**name: Unpack[SomeOptions]`` (``values[name]``, a dict) gives
                its keys, at the consumer's defaults where not passed, a list made a tuple (as
                JSON and YAML give a pair); a key the group does not hold raises a
                ``TypeError``.
            **fields: values that replace those of ``values`` (a normalised copy under another
                name).
        """
        given = dict(values or {})
        for group, options in self._config_options.items():
            passed = given.pop(group, None) or {}
            defaults = option_defaults(options)
            unknown = sorted(set(passed) - set(defaults))
            if unknown:
                raise TypeError(
                    f"{type(self).__name__}() got unexpected keyword arguments {unknown}; "
                    f"its {options.__name__} are {list(defaults)}"
                )
            passed = {k: tuple(v) if isinstance(v, list) else v for k, v in passed.items()}
            given.update({**defaults, **passed})
        given.update(fields)
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
