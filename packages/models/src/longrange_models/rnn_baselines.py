"""LSTM and GRU baselines with the vector-cell contract (for the memory tasks).

Legend: N batch, T time, I input features, H hidden units, O read-out features.

Thin wrappers over ``nn.LSTMCell`` / ``nn.GRUCell`` that follow the same contract as the
complex cells ([`complex_cells`][longrange_models.complex_cells],
[`urnn`][longrange_models.urnn]):
``init_state(batch)``, ``step(x_t (N, I), state) -> (y_t, state)``,
``forward(x (N, T, I), state=None) -> ((N, T, F), state)``, plus an optional real read-out
``nn.Linear(H, O)``.
"""

from __future__ import annotations

from typing import ClassVar

from torch import Tensor, nn

from ._vector_cell import State, VectorCell

__all__ = ["GRUCellWrapper", "LSTMCellWrapper", "RNNCellConfig"]


class _RNNCellWrapper(VectorCell, config_name="RNNCellConfig"):
    """What both wrappers share: the arguments and the wrapped ``torch.nn`` cell."""

    #: The wrapped cell class (``nn.LSTMCell`` or ``nn.GRUCell``).
    rnn_cell: ClassVar[type[nn.Module]]

    def __init__(self, input_size: int, hidden_size: int, output_size: int | None = None) -> None:
        super().__init__(input_size, hidden_size, output_size)
        self._store_config(locals())
        self.cell = self.rnn_cell(self.input_size, self.hidden_size)


class LSTMCellWrapper(_RNNCellWrapper):
    """``nn.LSTMCell`` with the vector-cell contract; state ``(h, c)``, each ``(N, H)``.

    Parameters: ``4H(I + H) + 8H`` (+ ``HO + O`` with a read-out).

    Args:
        input_size: ``I``.
        hidden_size: ``H``.
        output_size: ``O``; ``None``: ``y_t`` is ``h`` itself (``F = H``).
    """

    rnn_cell = nn.LSTMCell
    num_states = 2

    def step(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        """One step: ``x_t (N, I)``, ``state = (h, c)`` -> ``(y_t (N, F), (h_t, c_t))``."""
        self._check_step(x_t, state)
        h, c = self.cell(x_t, state)
        return self._output(h), (h, c)


class GRUCellWrapper(_RNNCellWrapper):
    """``nn.GRUCell`` with the vector-cell contract; state ``(h,)`` with ``h (N, H)``.

    Parameters: ``3H(I + H) + 6H`` (+ ``HO + O`` with a read-out). Arguments as
    [`LSTMCellWrapper`][longrange_models.rnn_baselines.LSTMCellWrapper].
    """

    rnn_cell = nn.GRUCell
    num_states = 1

    def step(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        """One step: ``x_t (N, I)``, ``state = (h,)`` -> ``(y_t (N, F), (h_t,))``."""
        self._check_step(x_t, state)
        h = self.cell(x_t, state[0])
        return self._output(h), (h,)


#: The constructor arguments of the LSTM and GRU wrappers (built from their signature).
RNNCellConfig = _RNNCellWrapper.config_class
