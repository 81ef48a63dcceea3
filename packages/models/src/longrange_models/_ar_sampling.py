"""What the autoregressive image models share: input checks, the prepared input and the sampling
loop ([`MultiresAR`][longrange_models.MultiresAR], [`WaveNetAR`][longrange_models.WaveNetAR]).

Legend: N batch, C image channels, L positions, P mixture parameters.

A model mixes in ``_ARSampler`` and has ``config.in_channels``, ``config.seq_len``,
``config.num_mixtures``, a 1×1 ``encoder`` (``nn.Conv1d``) and ``body`` (prepared inputs
``(N, C, L)`` to mixture parameters ``(N, P, L)``). A sampler fills a zero ``(n, C, length)`` int64
output position by position: the model gives the parameters of position ``i`` (from the draws
before it, already in the output), [`mixture_sample`][longrange_models.mixture_sample] draws it
from the generator, one call per position.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ._checks import positive_int
from .logistic_mixture import mixture_sample

__all__: list[str] = []


def scale_values(x: Tensor, dtype: torch.dtype) -> Tensor:
    """Integer values ``0..255`` to ``2v/255 − 1`` in ``[−1, 1]`` (the mixture's bin centres)."""
    return x.to(dtype) * (2.0 / 255.0) - 1.0


class _ARSampler:
    """Mixin of the autoregressive image models: checks, prepared input, sampling loop."""

    config: Any
    encoder: nn.Conv1d

    def body(self, inputs: Tensor) -> Tensor:
        raise NotImplementedError

    def _check_count(self, name: str, value: Any) -> int:
        """The check of ``n`` and ``length`` (a model may keep error messages of its own)."""
        return positive_int(name, value)

    def _check_modes(self) -> None:
        """Raise if the model cannot sample in its current mode (train/eval)."""

    def _repr_head(self) -> str:
        """The start of the model's ``extra_repr``."""
        cfg = self.config
        return (
            f"in_channels={cfg.in_channels}, seq_len={cfg.seq_len}, num_mixtures={cfg.num_mixtures}"
        )

    def _check_values(self, x: Tensor) -> None:
        """``x`` should be an integer ``Tensor[N, C, L]`` with values in 0..255."""
        c = self.config.in_channels
        if not isinstance(x, Tensor) or x.ndim != 3 or x.shape[1] != c:
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"x should be a Tensor[N, C={c}, L] of values 0..255, got {shape}")
        if x.is_floating_point() or x.is_complex() or x.dtype == torch.bool:
            raise TypeError(f"x should be an integer tensor (int64 values 0..255), got {x.dtype}")
        if x.numel() and (int(x.min()) < 0 or int(x.max()) > 255):
            raise ValueError(
                f"x should hold values in 0..255, got [{int(x.min())}, {int(x.max())}]"
            )

    def _params(self, x: Tensor) -> Tensor:
        """``body`` on ``x (N, C, L)`` checked, scaled and shifted right by one position (the
        input at ``i`` is ``x[..., i − 1]``, 0 at ``i = 0``): ``Tensor[N, P, L]``."""
        self._check_values(x)
        dtype = self.encoder.weight.dtype
        return self.body(F.pad(scale_values(x[..., :-1], dtype), (1, 0)))  # (0, x_0, ..)

    def _start(self, n: int, length: int | None) -> Tensor:
        """The zero output ``(n, C, length)`` int64 (``length`` checked, default ``seq_len``)."""
        self._check_count("n", n)
        length = self.config.seq_len if length is None else length
        self._check_count("length", length)
        shape = (n, self.config.in_channels, length)
        return torch.zeros(shape, dtype=torch.long, device=self.encoder.weight.device)

    @staticmethod
    def _positions(length: int, progress: bool) -> Iterator[int]:
        for i in range(length):
            if progress and (i % 64 == 0 or i == length - 1):
                print(f"sampling position {i + 1}/{length}", flush=True)
            yield i

    def _draw(self, params: Tensor, generator: torch.Generator | None) -> Tensor:
        return mixture_sample(params, self.config.num_mixtures, self.config.in_channels, generator)

    def _fill(
        self,
        out: Tensor,
        params_at: Callable[[int], Tensor],
        generator: torch.Generator | None,
        progress: bool,
    ) -> Tensor:
        """``out (n, C, L)`` drawn position by position: ``out[..., i]`` from
        ``params_at(i) (Tensor[n, P])``, called once ``out[..., :i]`` holds the earlier draws."""
        for i in self._positions(out.shape[2], progress):
            out[..., i] = self._draw(params_at(i), generator)
        return out

    @torch.no_grad()
    def sample_by_recompute(
        self,
        n: int,
        generator: torch.Generator | None = None,
        progress: bool = False,
        length: int | None = None,
    ) -> Tensor:
        """Reference sampler: ``n`` images as sequences ``Tensor[n, C, length]`` int64 (default
        ``seq_len``) from the full forward over the prefix drawn so far for every position
        (``O(i)`` work for pixel ``i``). Same arguments (but ``path``) and the same draws from
        ``generator`` as the model's ``sample``; the same modes raise."""
        out = self._start(n, length)
        self._check_modes()

        def params_at(i: int) -> Tensor:
            return self._params(out[..., : i + 1])[..., i]

        return self._fill(out, params_at, generator, progress)
