"""Rotation-GRU: a ConvGRU whose new state is rotated by a unit-modulus 2D spectral convolution.

After Wolter & Yao, complex gated memory cells (draft), Sec. 6.1.

Legend: N batch, C input channels, K hidden channels, H×W the frame.

The ConvGRU update ([`ConvGRUCell`][longrange_models.cells.ConvGRUCell], eqs. 107-110) is
wrapped by a depthwise circular convolution ``W_h`` whose eigenvalues all lie on the unit circle
(eq. 111):

``H_t = W_h * ((1 − Z_t) ⊙ H'_t + Z_t ⊙ H_{t−1})``,  ``W_h = F⁻¹ diag(e^{iω}) F`` per channel,

computed by ``arma_core.spectral.unitary_circulant_conv2d`` with angles ``ω (K, H, W//2+1)``.
``W_h`` is orthogonal, so it keeps the norm of what the gates produce (a rotation, never a
rescaling). The angles start at 0 (``W_h = I``: the cell *is* the ConvGRU at initialisation,
as an ARMA layer is its convolution at ``ar_init = 0``) and are learned. Because ``ω`` is sized
to the frame, the cell is built for one frame size ``size = (H, W)``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from arma_core.spectral import unitary_circulant_conv2d

from ._checks import positive_int
from .cells import ConvGRUCell, State

__all__ = ["RotationConvGRUCell"]


class RotationConvGRUCell(ConvGRUCell):
    """ConvGRU cell followed by a learnable unit-modulus 2D circulant on the new state.

    Same contract as [`ConvGRUCell`][longrange_models.cells.ConvGRUCell]: state ``(h,)`` with
    ``h (N, K, H, W)``; ``step(x_t (N, C, H, W), state) -> (h_t, (h_t,))``.

    Args:
        *args: as [`ConvGRUCell`][longrange_models.cells.ConvGRUCell] (``in_channels``,
            ``hidden_channels``, ``layer``, ``kernel_size``, ``dilation``, ``ar_order``).
        size: ``(H, W)`` of the frames the cell runs on (the angles are ``(K, H, W//2+1)``);
            keyword only.
        **kwargs: as ``ConvGRUCell``: those arguments by name, and the ARMA options.
    """

    #: ConvLSTMNet passes ``size=`` (the frame size after patching) to cells that need it.
    needs_size = True

    def __init__(self, *args: Any, size: tuple[int, int] | list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not isinstance(size, tuple | list) or len(size) != 2:
            raise ValueError(f"size should be (H, W), got {size!r}")
        h, w = (positive_int("size", s) for s in size)
        self.size = (h, w)
        self.omega = nn.Parameter(torch.zeros(self.hidden_channels, h, w // 2 + 1))

    def rotate(self, h: Tensor) -> Tensor:
        """``W_h * h`` for ``h (N, K, H, W)`` real (orthogonal: ``‖W_h * h‖ = ‖h‖``)."""
        return unitary_circulant_conv2d(h, self.omega.to(h.dtype))

    def step(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        """One time step (eq. 111).

        Args:
            x_t (Tensor[N, C, H, W]): the input frame, ``(H, W) = size``.
            state: ``(h,)`` with ``h`` ``Tensor[N, K, H, W]``.

        Returns:
            ``(h_t, (h_t,))`` with ``h_t`` ``Tensor[N, K, H, W]``.
        """
        if isinstance(x_t, Tensor) and x_t.ndim == 4 and tuple(x_t.shape[-2:]) != self.size:
            raise ValueError(
                f"x_t should have the cell's size={self.size} frames, got {tuple(x_t.shape[-2:])}"
            )
        gru, _ = super().step(x_t, state)
        h = self.rotate(gru)
        return h, (h,)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", size={self.size}"
