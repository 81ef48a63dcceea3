"""Every model's bad constructor arguments, and the sequence classifiers' bad inputs: each raises
the error that names the argument (or input) and the value it got.

One table for all models, so an argument check a model lacks shows as a missing row beside the
others'.
"""

from __future__ import annotations

import re
from functools import partial

import pytest
import torch

from longrange_models import (
    VGG11,
    MultiresAR,
    MultiresNet,
    ResNet18,
    TransformerClassifier,
    UNet,
    WaveNet,
)

pytestmark = pytest.mark.usefixtures("one_thread")

#: Small builders of each model; a row's keyword arguments replace theirs.
MODELS = {
    "vgg": VGG11,
    "resnet": ResNet18,
    "unet": partial(UNet, in_channels=3, out_channels=2, width=4, depth=2),
    "multiresnet": partial(
        MultiresNet, num_classes=5, in_channels=3, channels=8, num_blocks=2, seq_len=16
    ),
    "multiresar": partial(
        MultiresAR,
        in_channels=1,
        seq_len=12,
        channels=6,
        num_blocks=2,
        kernel_size=2,
        num_mixtures=3,
    ),
    "transformer": partial(
        TransformerClassifier, num_classes=5, in_channels=3, d_model=8, nhead=2, max_len=16
    ),
    "wavenet": partial(WaveNet, num_classes=5, in_channels=3, channels=6, seq_len=16),
}


def contains(*words: str) -> str:
    """A pattern that ``re.search`` finds iff the message holds every one of ``words``."""
    return "(?s)" + "".join(f"(?=.*{re.escape(w)})" for w in words)


#: The MultiresBlock arguments both MultiresBlock models (MultiresNet, MultiresAR) check.
MULTIRES_BLOCK = [
    ({"norm": "group"}, ValueError, "norm should be one of .*got 'group'"),
    ({"dropout": 1.0}, ValueError, r"dropout should be in \[0, 1\), got 1.0"),
    ({"dropout": 1.5}, ValueError, r"dropout should be in \[0, 1\), got 1.5"),
    ({"tree_select": "x"}, ValueError, "tree_select should be one of .*got 'x'"),
]

#: ``(model, kwargs, error, message pattern)``.
ROWS = [
    *[
        (name, kwargs, error, match)
        for name in ("vgg", "resnet")
        for kwargs, error, match in [
            ({"layer": "rnn"}, ValueError, contains("layer", "rnn")),
            ({"num_classes": 0}, ValueError, contains("num_classes", "0")),
            ({"width": -2}, ValueError, contains("width", "-2")),
            ({"in_channels": 1.0}, TypeError, contains("in_channels", "float")),
            ({"reparam": "none"}, TypeError, contains("reparam")),  # ARMA option, plain conv
        ]
    ],
    ("vgg", {"dropout": 1.5}, ValueError, r"dropout.*1\.5"),
    ("vgg", {"hidden": [0]}, ValueError, "hidden"),
    ("unet", {"layer": "lstm"}, ValueError, contains("layer", "lstm")),
    ("unet", {"width": 0}, ValueError, contains("width", "0")),
    ("unet", {"depth": -1}, ValueError, contains("depth", "-1")),
    ("unet", {"in_channels": 0}, ValueError, contains("in_channels", "0")),
    ("unet", {"width": 2.5}, TypeError, contains("width", "float")),
    ("unet", {"upsample": "cubic"}, ValueError, contains("upsample", "cubic")),
    ("unet", {"boundary": "zero"}, TypeError, contains("boundary")),  # ARMA option, plain conv
    (
        "multiresnet",
        {"num_tokens": 5},
        ValueError,
        "give exactly one of in_channels .*num_tokens=5",
    ),
    ("multiresnet", {"in_channels": 0}, ValueError, "in_channels should be a positive int, got 0"),
    ("multiresnet", {"num_classes": 0}, ValueError, "num_classes should be a positive int, got 0"),
    ("multiresnet", {"num_blocks": -1}, ValueError, "num_blocks should be a positive int, got -1"),
    ("multiresnet", {"seq_len": None}, ValueError, "give depth or seq_len"),
    *[("multiresnet", *row) for row in MULTIRES_BLOCK],
    ("multiresar", {"in_channels": 2}, ValueError, "in_channels should be 1 or 3, got 2"),
    ("multiresar", {"num_mixtures": 0}, ValueError, "num_mixtures should be a positive int, got 0"),
    ("multiresar", {"seq_len": 0}, ValueError, "seq_len should be a positive int, got 0"),
    *[("multiresar", *row) for row in MULTIRES_BLOCK],
    ("transformer", {"d_model": 9}, ValueError, "d_model should be a multiple of nhead=2, got 9"),
    ("transformer", {"nhead": 0}, ValueError, "nhead should be >= 1, got 0"),
    ("transformer", {"num_layers": 1.5}, TypeError, "num_layers should be an int"),
    ("transformer", {"dropout": 1.0}, ValueError, "dropout should be in"),
    ("transformer", {"positions": "rotary"}, ValueError, "positions should be one of"),
    ("transformer", {"activation": "tanh"}, ValueError, "activation should be one of"),
    ("transformer", {"num_tokens": 4}, ValueError, "give exactly one of in_channels"),
    ("wavenet", {"kernel_size": 1}, ValueError, "kernel_size should be >= 2, got 1"),
    ("wavenet", {"cycles": 0}, ValueError, "cycles should be >= 1, got 0"),
    (
        "wavenet",
        {"layers_per_cycle": 2},
        ValueError,
        "give exactly one of seq_len and layers_per_cycle",
    ),
    ("wavenet", {"channels": "8"}, TypeError, "channels should be an int"),
    ("wavenet", {"dropout": -0.1}, ValueError, r"dropout should be in \[0, 1\), got -0.1"),
    ("wavenet", {"num_tokens": 3}, ValueError, "give exactly one of in_channels"),
]


@pytest.mark.parametrize(
    ("model", "kwargs", "error", "match"),
    ROWS,
    ids=[f"{r[0]}-{'-'.join(f'{k}={v}' for k, v in r[1].items())}" for r in ROWS],
)
def test_bad_constructor_arguments_name_themselves(model, kwargs, error, match):
    with pytest.raises(error, match=match):
        MODELS[model](**kwargs)


@pytest.mark.parametrize("model", ["multiresnet", "transformer", "wavenet"])
def test_sequence_classifier_inputs_name_themselves(model):
    """The input checks every sequence classifier shares (its
    [`SequenceInput`][longrange_models.SequenceInput] checks and the ``lengths`` checks)."""
    torch.manual_seed(0)
    real = MODELS[model]()
    tokens = MODELS[model](in_channels=None, num_tokens=7)
    x = torch.randn(2, 3, 5)
    with pytest.raises(ValueError, match=r"x should be a Tensor\[N, C_in=3, L\], got \(2, 4, 5\)"):
        real(torch.randn(2, 4, 5))
    with pytest.raises(ValueError, match=r"x should be a Tensor\[N, C_in=3, L\], got \(2, 8\)"):
        real(torch.randn(2, 8))
    with pytest.raises(TypeError, match=r"x should be real-valued, got torch\.int64"):
        real(torch.zeros(2, 3, 5, dtype=torch.long))
    with pytest.raises(ValueError, match=r"lengths should be in \[1, L=5\], got \[0, 5\]"):
        real(x, torch.tensor([0, 5]))
    with pytest.raises(ValueError, match=r"lengths should be a Tensor\[N=2\], got \(3,\)"):
        real(x, torch.tensor([1, 2, 3]))
    with pytest.raises(TypeError, match=r"lengths should be an integer tensor, got torch\.float32"):
        real(x, torch.tensor([1.0, 2.0]))
    with pytest.raises(
        ValueError, match=r"x should be a Tensor\[N, L\] of token ids, got \(2, 1, 5\)"
    ):
        tokens(torch.zeros(2, 1, 5, dtype=torch.long))
    with pytest.raises(TypeError, match=r"x should hold integer token ids, got torch\.float32"):
        tokens(torch.zeros(2, 5))
    with pytest.raises(ValueError, match=r"x should hold token ids in \[0, 7\), got \(0, 7\)"):
        tokens(torch.tensor([[0, 7]]))


def test_contains_needs_every_word():
    assert re.search(contains("rnn", "layer"), "layer should be one of (...), got 'rnn'")
    assert not re.search(contains("layer", "lstm"), "layer should be one of (...), got 'rnn'")
    assert re.search(contains("a.b"), "x a.b")
    assert not re.search(contains("a.b"), "x axb")
