"""A model rebuilt from its config after a JSON round trip, shared by the models' tests."""

from __future__ import annotations

import json
from typing import Any

import torch


def assert_json_round_trip(model: Any, x: torch.Tensor) -> dict[str, Any]:
    """Rebuild ``model`` from its config sent through JSON, load its weights (strict: the same
    architecture) and check that the config survives and that both models, in eval mode, give
    the same output on ``x``. Returns the JSON config."""
    cfg = json.loads(json.dumps(model.to_config()))
    clone = type(model).from_config(cfg)
    assert clone.to_config() == cfg == model.to_config()
    clone.load_state_dict(model.state_dict())
    model.eval(), clone.eval()
    torch.testing.assert_close(clone(x), model(x))
    return cfg
