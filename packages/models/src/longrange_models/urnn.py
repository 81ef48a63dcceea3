"""Unitary evolution RNN cell (Arjovsky, Shah & Bengio 2016).

A baseline of Wolter & Yao, complex gated memory cells (draft).

Legend: N batch, I input features, H hidden units (complex), O read-out features.

The recurrent matrix is a product of cheap unitary factors (7H real parameters):

``W = D3 R2 F⁻¹ D2 Π R1 F D1``,

with ``Dk = diag(exp(i θk))`` phase diagonals, ``Rk = I − 2 vk vkᴴ / ‖vk‖²`` complex
reflections, ``Π`` a fixed permutation (a buffer, drawn once from seed 0) and ``F`` the unitary
DFT (``torch.fft.fft(·, norm="ortho")``). The step is

``h_t = modReLU(W h + V x_t, b)``,  ``y_t = [Re h_t, Im h_t]`` (or a real read-out of it),

with complex ``V (H, I)`` and the real modReLU bias ``b (H)``. At initialisation ``b = 0``, so
the cell is the linear unitary recurrence and preserves the norm of its state exactly.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from arma_core.complex_activations import mod_relu

from ._complex import complex_glorot_
from ._vector_cell import State, VectorCell

__all__ = ["URNNCell", "URNNCellConfig"]


def _reflect(h: Tensor, v: Tensor) -> Tensor:
    """``(I − 2 v vᴴ / ‖v‖²) h`` for rows ``h (N, H)``."""
    coeff = (h @ v.conj()) / v.abs().square().sum()  # vᴴh per row
    return h - 2 * coeff[:, None] * v


class URNNCell(VectorCell):
    """Unitary evolution RNN cell: ``h_t = modReLU(D3 R2 F⁻¹ D2 Π R1 F D1 h + V x_t, b)``.

    Parameters (real numbers): ``7H`` (recurrence) ``+ 2HI`` (complex ``V``) ``+ H``
    (modReLU bias), plus ``2HO + O`` with a read-out.

    Args:
        input_size: ``I``.
        hidden_size: ``H`` complex units.
        output_size: ``O``; ``None``: ``y_t = [Re h, Im h]`` (``F = 2H``).

    Shape:
        ``step``: ``x_t (N, I)`` real, state ``(h,)`` with ``h (N, H)`` complex ->
        ``y_t (N, F)`` real.
    """

    is_complex = True
    permutation: Tensor  # buffer (H,): the fixed permutation Π

    def __init__(self, input_size: int, hidden_size: int, output_size: int | None = None) -> None:
        super().__init__(input_size, hidden_size, output_size)
        self._store_config(locals())
        h, i = self.hidden_size, self.input_size
        self.phases = nn.Parameter(torch.empty(3, h))  # θ1, θ2, θ3
        self.reflections = nn.Parameter(torch.empty(2, h, dtype=torch.complex64))  # v1, v2
        self.input_weight = nn.Parameter(torch.empty(h, i, dtype=torch.complex64))  # V
        self.bias = nn.Parameter(torch.empty(h))  # modReLU bias b
        gen = torch.Generator().manual_seed(0)
        self.register_buffer("permutation", torch.randperm(h, generator=gen))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Phases uniform in [−π, π), reflections uniform in [−1, 1]², ``V`` complex Glorot,
        ``b = 0`` (as Arjovsky et al.)."""
        with torch.no_grad():
            nn.init.uniform_(self.phases, -math.pi, math.pi)
            nn.init.uniform_(torch.view_as_real(self.reflections), -1.0, 1.0)
            complex_glorot_(self.input_weight)
            nn.init.zeros_(self.bias)
        if self.readout is not None:
            self.readout.reset_parameters()

    def recurrence(self, h: Tensor) -> Tensor:
        """``W h`` for rows ``h (N, H)`` complex: ``D3 R2 F⁻¹ D2 Π R1 F D1 h``."""
        d = torch.polar(torch.ones_like(self.phases), self.phases).to(h.dtype)
        v = self.reflections.to(h.dtype)
        u = torch.fft.fft(h * d[0], dim=-1, norm="ortho")
        u = _reflect(u, v[0])[:, self.permutation] * d[1]
        u = _reflect(torch.fft.ifft(u, dim=-1, norm="ortho"), v[1])
        return u * d[2]

    def step(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        """One step: ``x_t (N, I)`` real, ``state = (h,)`` -> ``(y_t (N, F), (h_t,))``."""
        self._check_step(x_t, state)
        (h,) = state
        v = self.input_weight.to(h.dtype)
        h = mod_relu(self.recurrence(h) + x_t.to(h.dtype) @ v.T, self.bias)
        return self._output(h), (h,)

    def matrix(self) -> Tensor:
        """The recurrent matrix ``W`` ``(H, H)`` (dense; for tests and small ``H``)."""
        p = self.phases
        eye = torch.eye(self.hidden_size, dtype=self.input_weight.dtype, device=p.device)
        return self.recurrence(eye).T  # row j of recurrence(I) is W e_j


#: The config dataclass built from ``URNNCell``'s signature.
URNNCellConfig = URNNCell.config_class
