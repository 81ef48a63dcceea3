"""ConfigMixin: each model's config is its constructor's signature (names, defaults, order), the
presets table and its Literal, round trips through JSON and pickle, and the subclass rules."""

from __future__ import annotations

import dataclasses
import inspect
import json
import pickle
import sys
from typing import ClassVar, TypedDict, Unpack, get_args

import pytest
from torch import nn

import longrange_models as lm
from arma_core import ARMA2d, ARMAOptions
from longrange_models.config import ConfigMixin, expanded_parameters, literal_type, option_defaults
from multires_core import MultiresConv1d

# (model class, its public config name, the smallest constructor arguments)
MODELS = [
    (lm.ConvLSTMNet, "ConvLSTMNetConfig", {"hidden_channels": 2, "num_layers": 3}),
    (lm.UNet, "UNetConfig", {"in_channels": 1, "out_channels": 1, "width": 2, "depth": 1}),
    (lm.VGG11, "VGG11Config", {"width": 1}),
    (lm.ResNet18, "ResNet18Config", {"width": 1}),
    (lm.MultiresNet, "MultiresNetConfig", {"num_classes": 2, "in_channels": 1, "seq_len": 8}),
    (lm.MultiresAR, "MultiresARConfig", {"in_channels": 1, "seq_len": 8, "num_blocks": 1}),
    (lm.ComplexGatedCell, "ComplexGatedCellConfig", {"input_size": 2, "hidden_size": 3}),
    (lm.URNNCell, "URNNCellConfig", {"input_size": 2, "hidden_size": 3}),
    (lm.LSTMCellWrapper, "RNNCellConfig", {"input_size": 2, "hidden_size": 3}),
    (lm.GRUCellWrapper, "RNNCellConfig", {"input_size": 2, "hidden_size": 3}),
    (lm.RecurrentSequenceModel, "RecurrentSequenceModelConfig", {"hidden_size": 3}),
]
IDS = [m.__name__ for m, _, _ in MODELS]


#: The layers whose signatures hold the defaults of the models' option groups.
CONSUMERS = {
    ARMAOptions: (ARMA2d,),
    lm.Conv2dOptions: (lm.make_conv2d, ARMA2d),
    lm.MultiresBlockOptions: (lm.MultiresBlock, MultiresConv1d),
}
#: The defaults a group declares itself, for keys its layer requires (a call names its kind).
GROUP_DEFAULTS = {lm.Conv2dOptions: {"layer": "conv"}}


def _consumer_default(options, name):
    for layer in CONSUMERS[options]:
        p = inspect.signature(layer).parameters.get(name)
        if p is not None and p.kind is not p.VAR_KEYWORD:
            return GROUP_DEFAULTS[options][name] if p.default is p.empty else p.default
    raise AssertionError(f"no layer takes {name!r}")


def _constructor_arguments(model):
    """The constructor's named arguments, then the keys of its ``**group: Unpack[Options]`` as
    keyword-only arguments at the consuming layer's defaults."""
    init = model.__init__
    out = []
    for p in list(inspect.signature(init).parameters.values())[1:]:
        if p.kind is not p.VAR_KEYWORD:
            out.append(p)
            continue
        (options,) = get_args(eval(p.annotation, init.__globals__))  # Unpack[Options]
        out += [
            inspect.Parameter(key, p.KEYWORD_ONLY, default=_consumer_default(options, key))
            for key in options.__annotations__
        ]
    return out


@pytest.mark.parametrize(("model", "name", "kwargs"), MODELS, ids=IDS)
def test_config_fields_are_the_constructor_arguments(model, name, kwargs):
    params = _constructor_arguments(model)
    fields = dataclasses.fields(model.config_class)
    assert [f.name for f in fields] == [p.name for p in params]
    assert model.config_fields() == tuple(p.name for p in params)
    for f, p in zip(fields, params, strict=True):
        want = dataclasses.MISSING if p.default is p.empty else p.default
        assert f.default == want, f.name
        assert f.kw_only == (p.kind is p.KEYWORD_ONLY), f.name
    assert getattr(sys.modules[model.__module__], name) is model.config_class
    assert model.config_class.__name__ == name
    assert dataclasses.is_dataclass(model.config_class)
    assert model.config_class.__dataclass_params__.frozen


@pytest.mark.parametrize(("model", "name", "kwargs"), MODELS, ids=IDS)
def test_config_round_trips_through_json_and_pickle(model, name, kwargs):
    built = model(**kwargs)
    assert isinstance(built.config, model.config_class)
    cfg = json.loads(json.dumps(built.to_config()))
    again = model.from_config(cfg)
    assert again.config == built.config
    assert pickle.loads(pickle.dumps(built.config)) == built.config
    for key, value in kwargs.items():
        assert getattr(built.config, key) == value


@pytest.mark.parametrize(
    ("model", "table"),
    [
        (lm.ConvLSTMNet, lm.CONVLSTM_PRESETS),
        (lm.UNet, lm.UNET_PRESETS),
        (lm.MultiresNet, lm.MULTIRESNET_PRESETS),
        (lm.MultiresAR, lm.AR_PRESETS),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_presets_table_preset_and_its_literal(model, table):
    assert model.presets is table
    assert get_args(model.Preset) == tuple(table)
    with pytest.raises(ValueError, match=r"name should be one of \[.*got 'nope'"):
        model.preset("nope")


def test_models_without_presets_keep_the_plain_alias():
    assert lm.VGG11.presets == {}
    assert lm.VGG11.Preset is str
    with pytest.raises(ValueError, match=r"name should be one of \[\], got 'x'"):
        lm.VGG11.preset("x")


@pytest.mark.parametrize(
    ("alias", "values"),
    [
        (lm.CellKind, tuple(lm.CELLS)),
        (lm.SequenceCellKind, tuple(lm.SEQUENCE_CELLS)),
        (lm.LayerKind, lm.LAYER_KINDS),
        (lm.NormKind, lm.NORMS),
        (lm.UpsampleMode, lm.UPSAMPLE_MODES),
        (lm.RecurrentKind, lm.RECURRENT_KINDS),
        (lm.EmbeddingKind, lm.EMBEDDINGS),
        (lm.OutputActivation, lm.OUTPUT_ACTIVATIONS),
    ],
)
def test_choice_types_list_their_tables(alias, values):
    assert get_args(alias) == tuple(values)


def test_subclass_rules_and_config_name():
    class Base(ConfigMixin, nn.Module):
        presets: ClassVar[dict[str, dict[str, int]]] = {"small": {"width": 1}}

        def __init__(self, width: int = 2, *, name: str = "b") -> None:
            super().__init__()
            width = int(width)
            self._store_config(locals())

    class Passes(Base):  # passes its arguments on: keeps the parent's config
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)

    class Own(Base, config_name="OwnSettings"):
        def __init__(self, depth: int = 3) -> None:
            nn.Module.__init__(self)
            self._store_config({"depth": depth, "unrelated": 0})

    assert Base.config_fields() == ("width", "name")
    assert Passes.config_class is Base.config_class
    assert Passes(5).config == Base.config_class(width=5)
    assert Own.config_class.__name__ == "OwnSettings"
    assert Own().to_config() == {"depth": 3}
    assert get_args(Own.Preset) == ("small",)  # inherited table, inherited literal
    assert Base.preset("small", name="c").config == Base.config_class(width=1, name="c")
    with pytest.raises(TypeError, match=r"Base config is missing \['name'\]"):
        Base.__new__(Base)._store_config({"width": 1})


ARMA_MODELS = [
    (lm.VGG11, {"width": 1}),
    (lm.ResNet18, {"width": 1}),
    (lm.UNet, {"in_channels": 1, "out_channels": 1, "width": 2, "depth": 1}),
    (lm.ConvLSTMNet, {"hidden_channels": 2, "num_layers": 3}),
]


@pytest.mark.parametrize(("model", "kwargs"), ARMA_MODELS, ids=lambda v: getattr(v, "__name__", ""))
def test_arma_options_are_one_group_at_the_layers_defaults(model, kwargs):
    defaults = {k: p.default for k, p in inspect.signature(ARMA2d).parameters.items()}
    built = model(**kwargs)
    for key in ARMAOptions.__annotations__:
        assert getattr(built.config, key) == defaults[key], key
    arma = model(**kwargs, layer="arma", boundary="zero", ar_init=[0.2, 0.1], method="matmul")
    assert arma.to_config()["ar_init"] == [0.2, 0.1]
    assert arma.config.ar_init == (0.2, 0.1)  # a JSON pair made a tuple
    assert model.from_config(arma.to_config()).config == arma.config
    layers = [m for m in arma.modules() if isinstance(m, ARMA2d)]
    assert layers
    assert all(m.boundary == "zero" and m.method == "matmul" for m in layers)
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['colour'\]"):
        model(**kwargs, colour="red")


#: The keys Conv2dOptions adds to the ARMA options (make_conv2d's own).
FACTORY = ("layer", "kernel_size", "ar_order")


@pytest.mark.parametrize(("model", "kwargs"), ARMA_MODELS, ids=lambda v: getattr(v, "__name__", ""))
def test_factory_options_are_one_group_at_make_conv2d_defaults(model, kwargs):
    factory = inspect.signature(lm.make_conv2d).parameters
    want = {
        **lm.ARMA_DEFAULTS,
        "layer": "conv",  # make_conv2d requires a kind; the group's own default
        "kernel_size": factory["kernel_size"].default,
        "ar_order": factory["ar_order"].default,
    }
    assert list(lm.Conv2dOptions.__annotations__) == [*ARMAOptions.__annotations__, *FACTORY]
    assert want == lm.CONV2D_DEFAULTS
    built = model(**kwargs)
    assert {k: getattr(built.config, k) for k in want} == want
    arma = model(**kwargs, layer="dilated-arma", kernel_size=5, ar_order=2)
    assert [getattr(arma.config, k) for k in FACTORY] == ["dilated-arma", 5, 2]
    layers = [m for m in arma.modules() if isinstance(m, ARMA2d)]
    assert layers
    assert all(m.kernel_size == (5, 5) and m.ar_order == 2 for m in layers)
    assert model.from_config(arma.to_config()).config == arma.config
    with pytest.raises(ValueError, match=r"layer should be one of .*, got 'conv2d'"):
        model(**kwargs, layer="conv2d")


MULTIRES_MODELS = [
    (lm.MultiresNet, {"num_classes": 2, "in_channels": 1, "seq_len": 8, "channels": 2}),
    (lm.MultiresAR, {"in_channels": 1, "seq_len": 8, "channels": 2, "num_blocks": 1}),
]


@pytest.mark.parametrize(
    ("model", "kwargs"), MULTIRES_MODELS, ids=lambda v: getattr(v, "__name__", "")
)
def test_multires_block_options_are_one_group_at_the_layers_defaults(model, kwargs):
    built = model(**kwargs)
    for key in lm.MultiresBlockOptions.__annotations__:
        assert getattr(built.config, key) == _consumer_default(lm.MultiresBlockOptions, key), key
    uniform = model(**kwargs, tree_select="uniform", memory_size=3, norm="batch", prenorm=True)
    assert model.from_config(uniform.to_config()).config == uniform.config
    for block in uniform.blocks:
        assert (block.layer.conv.tree_select, block.layer.conv.memory_size) == ("uniform", 3)
        assert (block.norm_kind, block.prenorm) == ("batch", True)
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['tree'\]"):
        model(**kwargs, tree="uniform")


class _Options(TypedDict, total=False):
    ar_eps: float
    boundary: str


def _layer(x: int, *, boundary: str = "zero", ar_eps: float = 0.5) -> None:
    """The consumer of ``_Options``: its signature holds the defaults."""


_Options.__defaults_from__ = _layer  # type: ignore[attr-defined]  # the hook, set on a TypedDict class


class _Net(ConfigMixin, nn.Module):
    def __init__(self, width: int = 2, **opts: Unpack[_Options]) -> None:
        super().__init__()
        self._store_config(locals())


def test_option_groups_of_a_config():
    Options, Net = _Options, _Net
    assert option_defaults(Options) == {"ar_eps": 0.5, "boundary": "zero"}
    assert [p.name for p in expanded_parameters(Net)] == ["width", "ar_eps", "boundary"]
    assert Net.config_fields() == ("width", "ar_eps", "boundary")
    assert Net(boundary="circular").to_config() == {
        "width": 2,
        "ar_eps": 0.5,
        "boundary": "circular",
    }
    with pytest.raises(TypeError, match=r"Net\(\) got unexpected keyword arguments \['eps'\]"):
        Net(eps=0.1)

    class Local(TypedDict, total=False):  # not in the module's namespace: cannot resolve
        ar_eps: float

    with pytest.raises(TypeError, match=r"\*\*opts: Unpack\[Local\] should name a TypedDict"):

        class Hidden(ConfigMixin, nn.Module):
            def __init__(self, **opts: Unpack[Local]) -> None:
                super().__init__()

    class Orphan(TypedDict, total=False):
        ar_eps: float

    with pytest.raises(TypeError, match="Orphan should name the callable"):
        option_defaults(Orphan)
    Orphan.__defaults_from__ = lambda: None  # type: ignore[attr-defined]  # the hook, set on a TypedDict class
    with pytest.raises(TypeError, match=r"takes no \['ar_eps'\] of Orphan"):
        option_defaults(Orphan)


def test_a_group_declares_the_defaults_its_layer_requires():
    class Kind(TypedDict, total=False):
        kind: str
        ar_eps: float

    def make(kind: str, *, ar_eps: float = 0.5) -> None:
        """``kind`` has no default here: a call names it."""

    Kind.__defaults_from__ = make  # type: ignore[attr-defined]  # the hook, set on a TypedDict class
    assert option_defaults(Kind) == {"kind": inspect.Parameter.empty, "ar_eps": 0.5}
    Kind.__required_defaults__ = {"kind": "plain"}  # type: ignore[attr-defined]  # the hook, set on a TypedDict class
    assert option_defaults(Kind) == {"kind": "plain", "ar_eps": 0.5}
    Kind.__required_defaults__ = {"kind": "plain", "ar_eps": 0.1}  # type: ignore[attr-defined]  # the hook, set on a TypedDict class
    with pytest.raises(TypeError, match=r"only keys that .*make requires, got \['ar_eps'\]"):
        option_defaults(Kind)
    Kind.__required_defaults__ = {"colour": 1}  # type: ignore[attr-defined]  # the hook, set on a TypedDict class
    with pytest.raises(TypeError, match=r"got \['colour'\]"):
        option_defaults(Kind)


def test_from_config_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"unknown keys \['colour'\] for UNet"):
        lm.UNet.from_config({"in_channels": 1, "out_channels": 1, "colour": "red"})
    with pytest.raises(TypeError, match="config should be a UNetConfig or a dict, got VGG11Config"):
        lm.UNet.from_config(lm.VGG11Config())


def test_literal_type():
    assert get_args(literal_type({"a": 1, "b": 2})) == ("a", "b")
    with pytest.raises(ValueError, match="non-empty collection of str"):
        literal_type([])
    with pytest.raises(ValueError, match="non-empty collection of str"):
        literal_type([1, 2])
