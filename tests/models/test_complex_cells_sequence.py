"""RecurrentSequenceModel and hidden_size_for_budget against hand computations and brute force."""

import json

import pytest
import torch
from torch.nn import functional as F

from longrange_models._complex import real_parameter_count
from longrange_models.rnn_baselines import GRUCellWrapper, LSTMCellWrapper
from longrange_models.sequence import (
    SEQUENCE_CELLS,
    RecurrentSequenceModel,
    build_cell,
    hidden_size_for_budget,
)


def closed_form(kind, i, h, o):
    """Real parameter counts with a read-out, written out by hand (complex entries count 2)."""
    gated = 6 * h * i + 6 * h + 4 * h * h + 4 * h + h + 2 * h * o + o
    return {
        "lstm": 4 * h * (i + h) + 8 * h + h * o + o,
        "gru": 3 * h * (i + h) + 6 * h + h * o + o,
        "urnn": 7 * h + 2 * h * i + h + 2 * h * o + o,
        "complex_circulant": gated + h,
        "complex_unitary": gated + 2 * h * h,
    }[kind]


@pytest.mark.parametrize("kind", list(SEQUENCE_CELLS))
@pytest.mark.parametrize(("i", "o", "budget"), [(10, 10, 2000), (1, 1, 500), (2, 10, 9000)])
def test_budget_picks_the_closest_count_by_brute_force(kind, i, o, budget):
    h = hidden_size_for_budget(kind, i, o, budget)
    counts = {k: closed_form(kind, i, k, o) for k in range(1, 400)}
    best = min(counts, key=lambda k: (abs(counts[k] - budget), k))
    assert h == best
    assert real_parameter_count(build_cell(kind, i, h, o)) == counts[h]


def test_budget_errors():
    with pytest.raises(ValueError, match=r"cell should be one of .* got 'rnn'"):
        hidden_size_for_budget("rnn", 1, 1, 100)
    with pytest.raises(ValueError, match="budget should be >= 1, got 0"):
        hidden_size_for_budget("lstm", 1, 1, 0)


@pytest.mark.parametrize("kind", list(SEQUENCE_CELLS))
def test_tokens_one_hot_equals_feeding_one_hot_features(kind):
    torch.manual_seed(0)
    model = RecurrentSequenceModel(kind, 10, 9, 6, num_tokens=10)
    tokens = torch.randint(0, 10, (3, 7), generator=torch.Generator().manual_seed(1))
    out = model(tokens)
    assert out.shape == (3, 7, 9)
    assert out.dtype == torch.float32
    ref, _ = model.cell(F.one_hot(tokens, 10).float())
    torch.testing.assert_close(out, ref)
    cfg = json.loads(json.dumps(model.to_config()))
    assert RecurrentSequenceModel.from_config(cfg).to_config() == model.to_config()


def test_learned_embedding_and_state_continuation():
    torch.manual_seed(0)
    model = RecurrentSequenceModel("gru", 4, 3, 5, num_tokens=10, embedding="learned").double()
    tokens = torch.randint(0, 10, (2, 8), generator=torch.Generator().manual_seed(2))
    full = model(tokens)
    first, state = model.forward_with_state(tokens[:, :5])
    rest, _ = model.forward_with_state(tokens[:, 5:], state)
    torch.testing.assert_close(torch.cat([first, rest], 1), full)
    ref, _ = model.cell(model.embedding.weight[tokens])  # embedding = row lookup
    torch.testing.assert_close(full, ref)


def test_cell_module_without_readout_gets_a_linear_head():
    torch.manual_seed(0)
    cell = LSTMCellWrapper(3, 4)
    model = RecurrentSequenceModel(cell, 3, 2)
    x = torch.randn(2, 5, 3)
    h, _ = cell(x)
    torch.testing.assert_close(model(x), h @ model.head.weight.T + model.head.bias)
    with pytest.raises(TypeError, match="to_config needs a model built from a cell kind"):
        model.to_config()


def test_sequence_errors():
    with pytest.raises(ValueError, match="hidden_size is needed with cell='lstm', got None"):
        RecurrentSequenceModel("lstm", 2, 3)
    with pytest.raises(ValueError, match="one_hot embedding needs input_size == num_tokens=10"):
        RecurrentSequenceModel("lstm", 4, 3, 5, num_tokens=10)
    with pytest.raises(ValueError, match=r"cell\.input_size should be input_size=2, got 3"):
        RecurrentSequenceModel(GRUCellWrapper(3, 4), 2, 1)
    with pytest.raises(ValueError, match="embedding should be one of"):
        RecurrentSequenceModel("lstm", 4, 3, 5, num_tokens=4, embedding="hash")
    model = RecurrentSequenceModel("urnn", 10, 3, 5, num_tokens=10)
    with pytest.raises(ValueError, match=r"tokens should be in \[0, 10\), got range \(0, 12\)"):
        model(torch.tensor([[0, 12]]))
    with pytest.raises(ValueError, match="x should be int64 tokens"):
        model(torch.zeros(2, 3, 10))
    real = RecurrentSequenceModel("urnn", 2, 3, 5)
    with pytest.raises(ValueError, match=r"x should be a Tensor\[N, T, 2\], got \(2, 3\)"):
        real(torch.zeros(2, 3))
