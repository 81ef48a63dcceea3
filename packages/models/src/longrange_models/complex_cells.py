"""Complex gated memory cell: a GRU in the complex domain.

After Wolter & Yao, complex gated memory cells (draft).

Legend: N batch, I input features, H hidden units (complex), O read-out features.

With complex weights (``W`` on the input, ``V`` on the state, biases ``b``) and a unitary
recurrent matrix ``R``, one step is

``g_r = W_r x + V_r h + b_r``,   ``g_z = W_z x + V_z h + b_z``      (complex gate pre-activations)

``r = σ(α_r Re g_r + β_r Im g_r)``,   ``z = σ(α_z Re g_z + β_z Im g_z)``   (real gates, mod-sigmoid)

``h̃ = modReLU(W_c x + R (r ⊙ h) + b_c, b)``                         (candidate)

``h_t = z ⊙ h̃ + (1 − z) ⊙ h``,   ``y_t = [Re h_t, Im h_t]`` (or a real read-out of it).

``R`` is either a unit-modulus circulant ``F⁻¹ diag(e^{iω}) F`` over the hidden vector seen as
a length-H signal (``recurrent="circulant"``, H angles) or a full unitary matrix, a complex
``nn.Linear`` weight under ``torch.nn.utils.parametrizations.orthogonal``
(``recurrent="unitary"``).

Initialisation: complex Glorot weights, ``α = β = 1``, modReLU bias 0, reset-gate bias
``b_r = +gate_bias`` (reset open, ``r ≈ 0.98``) and update-gate bias ``b_z = −gate_bias``
(``z ≈ 0.02``: the cell mostly carries its state, as a GRU with a chrono/forget-bias init).
``gate_bias = 4`` (the default) keeps the gradient of a loss at step 1,000 with respect to the
state at step 1 of order one (docs/guides/models-complex-cells.md has the measurements); with
both gates open (``z ≈ 1``) it swung between 1e-26 and 1e4 with the gate bias, because the
``(1 − z) + z r R`` Jacobian contracts unless the gates saturate.
"""

from __future__ import annotations

import math
from typing import Any, Literal, get_args

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrizations, parametrize

from arma_core.complex_activations import mod_relu, mod_sigmoid
from arma_core.spectral import unitary_circulant_conv1d

from ._complex import complex_glorot_
from ._vector_cell import State, VectorCell

__all__ = ["RECURRENT_KINDS", "ComplexGatedCell", "ComplexGatedCellConfig", "RecurrentKind"]

#: Kinds of unitary recurrent matrix.
RecurrentKind = Literal["circulant", "unitary"]
RECURRENT_KINDS: tuple[RecurrentKind, ...] = get_args(RecurrentKind)


class _UnitaryCirculant(nn.Module):
    """``R h = ifft(fft(h) · e^{iω})`` over the last axis of ``h (N, H)`` complex."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.omega = nn.Parameter(torch.empty(size))
        nn.init.uniform_(self.omega, -math.pi, math.pi)

    def forward(self, h: Tensor) -> Tensor:
        omega = self.omega.to(h.real.dtype)[None]  # (1, H): one channel, the full spectrum
        return unitary_circulant_conv1d(h[:, None], omega)[:, 0]

    def extra_repr(self) -> str:
        return f"{self.omega.numel()}"


class ComplexGatedCell(VectorCell):
    """Complex gated recurrent cell with a unitary recurrent matrix (see the module docstring).

    Parameters (real numbers): ``6HI + 6H`` (complex input weights and biases for the two gates
    and the candidate) ``+ 4H²`` (complex ``V_r, V_z``) ``+ 4H`` (``α, β`` per gate)
    ``+ H`` (modReLU bias) ``+`` the recurrence: ``H`` angles (circulant) or ``2H²``
    (the complex ``H×H`` weight the orthogonal parametrisation stores), plus ``2HO + O``
    with a read-out.

    Args:
        input_size: ``I``.
        hidden_size: ``H`` complex units.
        recurrent: ``"circulant"`` or ``"unitary"``
            ([`RECURRENT_KINDS`][longrange_models.complex_cells.RECURRENT_KINDS]).
        output_size: ``O``; ``None``: ``y_t = [Re h, Im h]`` (``F = 2H``).
        gate_bias: initial real part of the gate biases, ``b_r = +gate_bias`` and
            ``b_z = −gate_bias``.

    Shape:
        ``step``: ``x_t (N, I)`` real, state ``(h,)`` with ``h (N, H)`` complex ->
        ``y_t (N, F)`` real.
    """

    is_complex = True

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        recurrent: RecurrentKind = "circulant",
        output_size: int | None = None,
        gate_bias: float = 4.0,
    ) -> None:
        super().__init__(input_size, hidden_size, output_size)
        if recurrent not in RECURRENT_KINDS:
            raise ValueError(f"recurrent should be one of {RECURRENT_KINDS}, got {recurrent!r}")
        if isinstance(gate_bias, bool) or not isinstance(gate_bias, int | float):
            raise TypeError(f"gate_bias should be a float, got {gate_bias!r}")
        self._store_config(locals(), gate_bias=float(gate_bias))
        self.recurrent = recurrent
        self.gate_bias = float(gate_bias)
        h, i, c64 = self.hidden_size, self.input_size, torch.complex64
        self.input_weight = nn.Parameter(torch.empty(3 * h, i, dtype=c64))  # W_r; W_z; W_c
        self.input_bias = nn.Parameter(torch.empty(3 * h, dtype=c64))  # b_r; b_z; b_c
        self.gate_weight = nn.Parameter(torch.empty(2 * h, h, dtype=c64))  # V_r; V_z
        self.gate_scales = nn.Parameter(torch.empty(2, 2, h))  # (α_r, β_r), (α_z, β_z)
        self.bias = nn.Parameter(torch.empty(h))  # modReLU bias
        if recurrent == "circulant":
            self.rotation: nn.Module = _UnitaryCirculant(h)
        else:
            linear = nn.Linear(h, h, bias=False, dtype=c64)
            self.rotation = parametrizations.orthogonal(linear)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """The initialisation of the module docstring (the recurrence keeps its own init)."""
        h = self.hidden_size
        complex_glorot_(self.input_weight)
        complex_glorot_(self.gate_weight)
        with torch.no_grad():
            self.input_bias.zero_()
            self.input_bias[:h] = self.gate_bias  # reset gate open
            self.input_bias[h : 2 * h] = -self.gate_bias  # update gate: carry the state
            self.gate_scales.fill_(1.0)
            self.bias.zero_()
        if self.readout is not None:
            self.readout.reset_parameters()

    def recurrence(self, h: Tensor) -> Tensor:
        """``R h`` for rows ``h (N, H)`` complex."""
        return self.rotation(h)

    def recurrent_matrix(self) -> Tensor:
        """``R`` ``(H, H)`` complex (dense; for tests and small ``H``)."""
        eye = torch.eye(self.hidden_size, dtype=self.input_weight.dtype, device=self.bias.device)
        return self.recurrence(eye).T  # row j of recurrence(I) is R e_j

    def step(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        """One step: ``x_t (N, I)`` real, ``state = (h,)`` -> ``(y_t (N, F), (h_t,))``."""
        self._check_step(x_t, state)
        (h,) = state
        n = self.hidden_size
        wx = x_t.to(h.dtype) @ self.input_weight.T + self.input_bias
        gates = wx[:, : 2 * n] + h @ self.gate_weight.T
        ab = self.gate_scales
        r = mod_sigmoid(gates[:, :n], ab[0, 0], ab[0, 1])
        z = mod_sigmoid(gates[:, n:], ab[1, 0], ab[1, 1])
        candidate = mod_relu(wx[:, 2 * n :] + self.recurrence(r * h), self.bias)
        h = z * candidate + (1 - z) * h
        return self._output(h), (h,)

    def _sequence_context(self) -> Any:
        """Compute the orthogonal parametrisation once per sequence, not once per step."""
        return parametrize.cached()

    def extra_repr(self) -> str:
        return super().extra_repr() + f", recurrent={self.recurrent!r}"


#: The config dataclass built from ``ComplexGatedCell``'s signature.
ComplexGatedCellConfig = ComplexGatedCell.config_class
