"""Discrete wavelet transforms computed by the MultiresConv tree, equal to PyWavelets.

With ``h0, h1`` set to a wavelet's reversed decomposition filters, the tree's level ``j``
(dilation ``2^(j−1)``) sampled every ``2^j`` steps is the decimated DWT (noble identity):

* ``mode="zero"``: the input is zero-extended and ``cA_j[i] = a_j[2^j i + 2^j − 1]`` (odd samples
  of the full convolution at every level, pywt's alignment);
* ``mode="periodization"``: the periodic (circular) tree, ``cA_j[i] = a_j[2^j i + (F/2)(2^j − 1)]``
  modulo the length, when the length is divisible by ``2^level``; otherwise pywt extends every
  odd-length level by repeating its last sample, and the levels run one at a time (the same
  two-filter convolution, at stride 2);
* [`swt`][multires_core.swt]: the circular tree unsampled; pywt's level ``j`` is the tree's advanced
  by ``(F/2)(2^j − 1)`` samples.

Legend: ``F`` the filter length, ``(...)`` any leading batch dimensions.
"""

from __future__ import annotations

import pywt
import torch
from torch import Tensor
from torch.nn import functional as F

from .filters import wavelet_filters
from .tree import tree_levels

__all__ = ["MODES", "swt", "wavedec"]

MODES = ("zero", "periodization")


def _prepare(x: Tensor, wavelet: str | pywt.Wavelet) -> tuple[Tensor, Tensor, Tensor, tuple]:
    if not isinstance(x, Tensor) or x.ndim < 1:
        raise ValueError(f"x should be a Tensor[..., L], got {x!r}")
    if not x.is_floating_point():
        raise TypeError(f"x should be floating point, got {x.dtype}")
    h0, h1 = wavelet_filters(wavelet, dtype=x.dtype)
    lead = tuple(x.shape[:-1])
    flat = x.reshape(-1, 1, x.shape[-1])
    return flat, h0[None].to(x.device), h1[None].to(x.device), lead


def _check_level(level: int | None, length: int, filt: int) -> int:
    max_level = pywt.dwt_max_level(length, filt)
    if level is None:
        return max(max_level, 1)
    if isinstance(level, bool) or not isinstance(level, int) or level < 1:
        raise ValueError(f"level should be a positive int, got {level!r}")
    return level


def _lengths(length: int, filt: int, level: int, mode: str) -> list[int]:
    out, n = [], length
    for _ in range(level):
        n = (n + filt - 1) // 2 if mode == "zero" else (n + 1) // 2
        out.append(n)
    return out


def wavedec(
    x: Tensor, wavelet: str | pywt.Wavelet, level: int | None = None, mode: str = "zero"
) -> list[Tensor]:
    """Multilevel DWT like ``pywt.wavedec``: ``[cA_n, cD_n, …, cD_1]``.

    Args:
        x (Tensor[..., L]): signals along the last dimension.
        wavelet: an orthogonal PyWavelets wavelet (name or object).
        level: number of levels; default ``pywt.dwt_max_level``.
        mode: ``"zero"`` (the default here; pywt's default is ``"symmetric"``, not offered) or
            ``"periodization"``.

    Returns:
        ``level + 1`` tensors ``Tensor[..., n_j]`` with pywt's lengths.
    """
    if mode not in MODES:
        raise ValueError(f"mode should be one of {MODES}, got {mode!r}")
    flat, h0, h1, lead = _prepare(x, wavelet)
    filt, length = h0.shape[-1], flat.shape[-1]
    level = _check_level(level, length, filt)
    sizes = _lengths(length, filt, level, mode)
    if mode == "zero":
        ext = (2**level) * sizes[-1]
        levels = tree_levels(F.pad(flat, (0, max(ext - length, 0))), h0, h1, level)
        picks = [(2**j) * torch.arange(n) + 2**j - 1 for j, n in enumerate(sizes, start=1)]
    elif length % 2**level == 0:
        levels = tree_levels(flat, h0, h1, level, circular=True)
        shift = filt // 2
        picks = [
            ((2**j) * torch.arange(n) + shift * (2**j - 1)) % length
            for j, n in enumerate(sizes, start=1)
        ]
    else:
        return _periodization_by_level(flat, h0, h1, level, lead)
    details = [b[..., idx.to(b.device)] for (_, b), idx in zip(levels, picks, strict=True)]
    approx = levels[-1][0][..., picks[-1].to(flat.device)]
    return [c.reshape(*lead, c.shape[-1]) for c in [approx, *details[::-1]]]


def _periodization_by_level(
    flat: Tensor, h0: Tensor, h1: Tensor, level: int, lead: tuple
) -> list[Tensor]:
    filt = h0.shape[-1]
    a, details = flat, []
    for _ in range(level):
        if a.shape[-1] % 2:
            a = torch.cat((a, a[..., -1:]), dim=-1)  # pywt's odd-length extension
        m = a.shape[-1]
        ((lo, hi),) = tree_levels(a, h0, h1, 1, circular=True)
        idx = (2 * torch.arange(m // 2, device=a.device) + filt // 2) % m
        a = lo[..., idx]
        details.append(hi[..., idx])
    return [c.reshape(*lead, c.shape[-1]) for c in [a, *details[::-1]]]


def swt(x: Tensor, wavelet: str | pywt.Wavelet, level: int) -> list[tuple[Tensor, Tensor]]:
    """Stationary wavelet transform like ``pywt.swt`` (``trim_approx=False``, ``norm=False``).

    Args:
        x (Tensor[..., L]): signals, ``L`` divisible by ``2^level``.
        wavelet: an orthogonal PyWavelets wavelet.
        level: number of levels.

    Returns:
        ``[(cA_n, cD_n), …, (cA_1, cD_1)]``, each Tensor[..., L]: the circular tree's level
        ``j`` outputs advanced by ``(F/2)(2^j − 1)`` samples.
    """
    flat, h0, h1, lead = _prepare(x, wavelet)
    length, filt = flat.shape[-1], h0.shape[-1]
    if isinstance(level, bool) or not isinstance(level, int) or level < 1:
        raise ValueError(f"level should be a positive int, got {level!r}")
    if length % 2**level:
        raise ValueError(
            f"x's length should be divisible by 2**level = {2**level} for swt, got {length}"
        )
    out: list[tuple[Tensor, Tensor]] = []
    for j, (a, b) in enumerate(tree_levels(flat, h0, h1, level, circular=True), start=1):
        shift = (filt // 2) * (2**j - 1)
        a, b = (torch.roll(c, -shift, dims=-1).reshape(*lead, length) for c in (a, b))
        out.append((a, b))
    return out[::-1]
