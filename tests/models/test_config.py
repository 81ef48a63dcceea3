"""ConfigMixin: each model's config is its constructor's signature (names, defaults, order), the
presets table and its Literal, round trips through JSON and pickle, and the subclass rules."""

from __future__ import annotations

import dataclasses
import inspect
import json
import pickle
import sys
from typing import ClassVar, get_args

import pytest
from torch import nn

import longrange_models as lm
from longrange_models.config import ConfigMixin, literal_type

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


@pytest.mark.parametrize(("model", "name", "kwargs"), MODELS, ids=IDS)
def test_config_fields_are_the_constructor_arguments(model, name, kwargs):
    params = list(inspect.signature(model.__init__).parameters.values())[1:]
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
