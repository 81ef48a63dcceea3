"""What every vector recurrent cell of the models package shares (private).

Legend: N batch, T time, I input features, H hidden units, O read-out features,
F = ``output_features`` (O with a read-out; else H for a real cell, 2H for a complex one).

The contract (as the convolutional cells, ``longrange_models.cells``):

* ``init_state(batch, device=None, dtype=None)`` -> the zero state, a tuple of ``(N, H)``
  tensors (complex for the complex cells; ``dtype`` is the *real* dtype of the inputs);
* ``step(x_t, state) -> (y_t, state)`` with ``x_t (N, I)`` real and ``y_t (N, F)`` real;
* ``forward(x, state=None) -> (outputs, state)`` over ``x (N, T, I)``, outputs ``(N, T, F)``.

A complex cell's ``y_t`` is ``[Re h, Im h]`` (or the read-out of it): always real.
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch
from torch import Tensor, nn

from ._checks import positive_int
from ._complex import ComplexParamsMixin, check_vector_input, complex_dtype
from .config import ConfigMixin

__all__ = ["State", "VectorCell"]

State = tuple[Tensor, ...]


class VectorCell(ConfigMixin, ComplexParamsMixin):
    """Base of the vector cells: sizes, optional real read-out, zero state, loop over time."""

    num_states: int = 1
    is_complex: bool = False

    def __init__(self, input_size: int, hidden_size: int, output_size: int | None) -> None:
        super().__init__()
        self.input_size = positive_int("input_size", input_size)
        self.hidden_size = positive_int("hidden_size", hidden_size)
        if output_size is not None:
            positive_int("output_size", output_size)
        self.output_size = output_size
        self.readout = nn.Linear(self.feature_size, output_size) if output_size else None

    @property
    def feature_size(self) -> int:
        """Real features of the state: ``2H`` (``[Re h, Im h]``) for complex cells, else ``H``."""
        return self.hidden_size * (2 if self.is_complex else 1)

    @property
    def output_features(self) -> int:
        """``F``: features of ``y_t`` returned by ``step``."""
        return self.output_size if self.output_size else self.feature_size

    def real_dtype(self) -> torch.dtype:
        """The real dtype of the cell's parameters (float32 for complex64, ...)."""
        p = next(self.parameters())
        return p.real.dtype if p.is_complex() else p.dtype

    def init_state(
        self,
        batch: int,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> State:
        """Zero state: ``num_states`` tensors ``(N, H)``, complex for a complex cell.

        ``dtype`` is the real dtype (float32/float64); default that of the parameters.
        """
        positive_int("batch", batch)
        p = next(self.parameters())
        dtype = dtype or self.real_dtype()
        if self.is_complex:
            dtype = complex_dtype(dtype)
        shape = (batch, self.hidden_size)
        return tuple(
            torch.zeros(shape, device=device or p.device, dtype=dtype)
            for _ in range(self.num_states)
        )

    def _check_step(self, x: Any, state: Any) -> None:
        check_vector_input("x_t", x, self.input_size)
        want = (x.shape[0], self.hidden_size)
        if not isinstance(state, tuple) or len(state) != self.num_states:
            raise ValueError(
                f"state should be a tuple of {self.num_states} Tensor{list(want)}, got {state!r}"
            )
        for s in state:
            if not isinstance(s, Tensor) or tuple(s.shape) != want:
                got = tuple(s.shape) if isinstance(s, Tensor) else type(s).__name__
                raise ValueError(f"state tensors should have shape {want}, got {got}")
            if s.is_complex() != self.is_complex:
                kind = "complex" if self.is_complex else "real"
                raise TypeError(f"state should be {kind} for {type(self).__name__}, got {s.dtype}")

    def _output(self, h: Tensor) -> Tensor:
        """``y_t``: real features of ``h`` (``[Re h, Im h]`` if complex), then the read-out."""
        y = torch.cat([h.real, h.imag], dim=-1) if h.is_complex() else h
        return self.readout(y) if self.readout is not None else y

    def step(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:  # pragma: no cover
        raise NotImplementedError

    def forward(self, x: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        """Run the cell over a sequence.

        Args:
            x (Tensor[N, T, I]): real inputs.
            state: from ``init_state`` or a previous call; default zeros.

        Returns:
            ``(outputs, state)``: ``Tensor[N, T, F]`` and the last state.
        """
        if not isinstance(x, Tensor) or x.ndim != 3 or x.shape[-1] != self.input_size:
            got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"x should be a Tensor[N, T, {self.input_size}], got {got}")
        if state is None:
            state = self.init_state(x.shape[0], x.device, x.dtype)
        outputs = []
        with self._sequence_context():
            for t in range(x.shape[1]):
                y, state = self.step(x[:, t], state)
                outputs.append(y)
        return torch.stack(outputs, dim=1), state

    def _sequence_context(self) -> Any:
        """Context around a whole sequence (the unitary cell caches its parametrisation)."""
        return contextlib.nullcontext()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        return s + (f", output_size={self.output_size}" if self.output_size else "")
