"""Convolutional recurrent cells (ConvLSTM, ConvGRU) whose convolutions come from the factory.

Legend: N batch, T time, C input channels, K hidden channels, H×W the frame.

Both cells share one contract (as the recurrent layers of ``state-spaces/s4``):

* ``init_state(batch, (H, W))`` -> the zero state (a tuple of ``(N, K, H, W)`` tensors);
* ``step(x_t, state) -> (h_t, state)`` for one frame ``x_t (N, C, H, W)``;
* ``forward(x, state=None) -> (outputs, state)`` over a clip ``x (N, T, C, H, W)``, outputs
  ``(N, T, K, H, W)``.

Every convolution is built by
[`longrange_models.factory.make_conv2d`][longrange_models.make_conv2d], so the layer kind
(``"conv"``, ``"dilated"``, ``"arma"``, ``"dilated-arma"``) is one argument and the spatial size is
kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from ._checks import positive_int
from .factory import LayerKind, check_layer_kind, make_conv2d

__all__ = ["ConvGRUCell", "ConvLSTMCell"]

State = tuple[Tensor, ...]


class _ConvCell(nn.Module):
    """What the cells share: the arguments (see
    [`ConvLSTMCell`][longrange_models.ConvLSTMCell]), the zero state, the loop over time.

    A cell defines ``_build(conv)`` (its convolutions, each ``conv(C_out)`` from
    ``cat([x_t, h])``), ``num_states`` and ``step``."""

    num_states: int
    gates: nn.Conv2d

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        layer: LayerKind = "conv",
        kernel_size: int = 3,
        dilation: int | None = None,
        ar_order: int = 1,
        **arma_options: Any,
    ) -> None:
        super().__init__()
        self.in_channels = positive_int("in_channels", in_channels)
        self.hidden_channels = positive_int("hidden_channels", hidden_channels)
        self.layer = check_layer_kind(layer)
        self.kernel_size = kernel_size
        conv_args: dict[str, Any] = {"dilation": dilation, "ar_order": ar_order, **arma_options}
        total = self.in_channels + self.hidden_channels
        self._build(lambda out: make_conv2d(layer, total, out, kernel_size, **conv_args))
        self.reset_parameters()

    def _build(self, conv: Callable[[int], nn.Conv2d]) -> None:  # pragma: no cover
        """Create the cell's convolutions; ``conv(C_out)`` makes one from ``cat([x_t, h])``."""
        raise NotImplementedError

    def init_state(
        self,
        batch: int,
        size: tuple[int, int],
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> State:
        """Zero state for ``batch`` frames of ``size = (H, W)``: tensors ``(N, K, H, W)``.

        ``device``/``dtype`` default to those of the cell's weights.
        """
        positive_int("batch", batch)
        if len(tuple(size)) != 2:
            raise ValueError(f"size should be (H, W), got {size!r}")
        h, w = (positive_int("size", int(s)) for s in size)
        weight = self.gates.weight
        shape = (batch, self.hidden_channels, h, w)
        return tuple(
            torch.zeros(shape, device=device or weight.device, dtype=dtype or weight.dtype)
            for _ in range(self.num_states)
        )

    def _check_step(self, x: Tensor, state: State) -> None:
        if not isinstance(x, Tensor) or x.ndim != 4 or x.shape[1] != self.in_channels:
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"x_t should be a Tensor[N, C={self.in_channels}, H, W], got {shape}")
        want = (x.shape[0], self.hidden_channels, *x.shape[2:])
        if len(state) != self.num_states or any(tuple(s.shape) != want for s in state):
            got = [tuple(s.shape) for s in state]
            raise ValueError(
                f"state should be {self.num_states} tensors of shape {want}, got {got}"
            )

    def step(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:  # pragma: no cover
        raise NotImplementedError

    def forward(self, x: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        """Run the cell over a clip.

        Args:
            x (Tensor[N, T, C, H, W]): the input frames.
            state: from ``init_state`` or a previous call; default zeros.

        Returns:
            ``(outputs, state)``: the hidden states ``Tensor[N, T, K, H, W]`` and the last state.
        """
        if not isinstance(x, Tensor) or x.ndim != 5:
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"x should be a Tensor[N, T, C, H, W], got {shape}")
        if state is None:
            state = self.init_state(x.shape[0], (x.shape[-2], x.shape[-1]), x.device, x.dtype)
        outputs = []
        for t in range(x.shape[1]):
            h, state = self.step(x[:, t], state)
            outputs.append(h)
        return torch.stack(outputs, dim=1), state

    def reset_parameters(self) -> None:
        """Xavier-uniform convolution weights, zero biases (the papers' init, App. D.1).

        The AR part of an ARMA convolution is left as it is (identity at ``ar_init=0``).
        """
        for conv in self._convs():
            nn.init.xavier_uniform_(conv.weight)
            if conv.bias is not None:
                nn.init.zeros_(conv.bias)

    def _convs(self) -> list[nn.Conv2d]:
        return [m for m in self.children() if isinstance(m, nn.Conv2d)]

    def extra_repr(self) -> str:
        conv = self.gates
        s = f"{self.in_channels}, {self.hidden_channels}, layer={self.layer!r}"
        s += f", kernel_size={self.kernel_size}, dilation={conv.dilation[0]}"
        return s


class ConvLSTMCell(_ConvCell):
    """Convolutional LSTM cell (Shi et al. 2015, without peepholes), as in the ARMA papers.

    One convolution of the chosen kind maps ``cat([x_t, h]) (N, C + K, H, W)`` to the four
    gates ``(N, 4K, H, W)``, split over channels in the order **i, f, o, g**:

    ``c_t = σ(f) ⊙ c + σ(i) ⊙ tanh(g)``,  ``h_t = σ(o) ⊙ tanh(c_t)``.

    The state is ``(h, c)``, both ``(N, K, H, W)``.

    Args:
        in_channels: ``C``.
        hidden_channels: ``K``.
        layer: a [`LAYER_KINDS`][longrange_models.LAYER_KINDS] kind.
        kernel_size: of the gate convolution (odd).
        dilation: of the gate convolution; default per kind (1, or 2 for the dilated kinds).
        ar_order: AR stages per axis for the ARMA kinds.
        **arma_options: passed to [`arma_core.ARMA2d`][arma_core.ARMA2d] (ARMA kinds only).
    """

    num_states = 2

    def _build(self, conv: Callable[[int], nn.Conv2d]) -> None:
        self.gates = conv(4 * self.hidden_channels)

    def step(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        """One time step.

        Args:
            x_t (Tensor[N, C, H, W]): the input frame.
            state: ``(h, c)``, each ``Tensor[N, K, H, W]``.

        Returns:
            ``(h_t, (h_t, c_t))`` with ``h_t`` ``Tensor[N, K, H, W]``.
        """
        self._check_step(x_t, state)
        h, c = state
        i, f, o, g = self.gates(torch.cat([x_t, h], dim=1)).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, (h, c)


class ConvGRUCell(_ConvCell):
    """Convolutional GRU cell (Ballas et al. 2016), in ``nn.GRU``'s convention.

    One convolution maps ``cat([x_t, h])`` to the reset and update gates ``(N, 2K, H, W)``,
    split in the order **r, z**; a second convolution (same kind) maps ``cat([x_t, r ⊙ h])`` to
    the candidate:

    ``n = tanh(conv_n([x_t, σ(r) ⊙ h]))``,  ``h_t = (1 − σ(z)) ⊙ n + σ(z) ⊙ h``.

    The state is ``(h,)``. Arguments as [`ConvLSTMCell`][longrange_models.ConvLSTMCell].
    """

    num_states = 1

    def _build(self, conv: Callable[[int], nn.Conv2d]) -> None:
        self.gates = conv(2 * self.hidden_channels)
        self.candidate = conv(self.hidden_channels)

    def step(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        """One time step.

        Args:
            x_t (Tensor[N, C, H, W]): the input frame.
            state: ``(h,)`` with ``h`` ``Tensor[N, K, H, W]``.

        Returns:
            ``(h_t, (h_t,))`` with ``h_t`` ``Tensor[N, K, H, W]``.
        """
        self._check_step(x_t, state)
        (h,) = state
        r, z = torch.sigmoid(self.gates(torch.cat([x_t, h], dim=1))).chunk(2, dim=1)
        n = torch.tanh(self.candidate(torch.cat([x_t, r * h], dim=1)))
        h = (1 - z) * n + z * h
        return h, (h,)
