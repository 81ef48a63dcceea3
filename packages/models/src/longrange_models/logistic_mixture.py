"""Discretised mixture of logistics with channel coupling (PixelCNN++, Salimans et al. 2017).

The likelihood head of an autoregressive image model over 8-bit data, 1 channel (grey) or 3
channels (RGB, coupled linearly inside each mixture component).

Conventions (as PixelCNN++):

* targets are integer values ``v`` in ``0..255`` (``int64``); inside, each value is the centre
  ``x = 2v/255 − 1`` of a bin of width ``2/255`` in ``[−1, 1]``;
* per component ``k`` and channel ``c`` the logistic has mean ``μ`` and scale ``s = exp(log s)``
  with the log-scale clamped below at ``−7``; the bin mass is
  ``σ((x − μ + 1/255)/s) − σ((x − μ − 1/255)/s)``, the lowest bin takes all mass to the left
  (``σ((x − μ + 1/255)/s)`` at ``v = 0``) and the highest all mass to the right
  (``1 − σ((x − μ − 1/255)/s)`` at ``v = 255``), so the 256 masses sum to exactly 1;
* channel coupling (3 channels): ``μ_1 ← μ_1 + α x_0`` and ``μ_2 ← μ_2 + β x_0 + γ x_1`` with
  ``(α, β, γ) = tanh(raw)``, per component, ``x_c`` the scaled target values;
* the mixture is over components of the *joint* pixel:
  ``p(x) = Σ_k π_k Π_c p_k(x_c | x_<c)`` with ``π = softmax(logits)``.

Parameter layout along dimension 1 of ``params`` (``P = mixture_params(C, M)``)::

    [ logits (M) | means (C, M) | log-scales (C, M) | coupling (3, M), only when C == 3 ]

each block channel-major (``means[c, k]`` at ``M + c·M + k``); coupling rows are
``α, β, γ``. PixelCNN++ interleaves the same numbers per channel; only the order differs.

Numerics: an interior bin's log-mass is evaluated in log space with the exact identity
``σ(b) − σ(a) = σ(b) · σ(−a) · (1 − e^{−(b−a)})`` (log-sigmoids and ``log1mexp``), so masses far
in either tail (``e^-1700``, below float64) keep an accurate log and gradients stay finite. Each
bin edge ``(2v − 254)/255`` is computed once the same way for both bins it bounds, so the 256
masses telescope and sum to 1 to a few ulps in float32 too. PixelCNN++ instead replaces interior
masses below ``1e-5`` by ``pdf(x) · 2/255`` (an approximation, not normalised);
``pixelcnn_fallback=True`` in [`mixture_nll`][longrange_models.mixture_nll] reproduces that rule for
reference numbers.

Dimension letters: ``N`` batch, ``P`` parameters, ``C`` channels (1 or 3), ``M`` mixture
components, ``S`` any trailing positions (``H, W`` or ``L``), ``V = 256`` values.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = [
    "NUM_VALUES",
    "LogisticMixtureHead",
    "bits_per_dim",
    "mixture_log_probs",
    "mixture_nll",
    "mixture_params",
    "mixture_sample",
    "mixture_sample_from_noise",
]

NUM_VALUES = 256
_LOG_BIN = math.log(2.0 / 255.0)
_LOG_SCALE_MIN = -7.0
_SMALL_D = 1e-3  # below this, log(1 − e^{−d}) by its series around d = 0
_TINY = 1e-30  # b − a below this (float32 subnormal territory) is taken from the log-scale


def mixture_params(channels: int, num_mixtures: int) -> int:
    """Number of parameters ``P``: ``3M`` for 1 channel, ``10M`` for 3 channels."""
    if isinstance(channels, bool) or not isinstance(channels, int) or channels not in (1, 3):
        raise ValueError(f"channels should be 1 or 3, got {channels!r}")
    if isinstance(num_mixtures, bool) or not isinstance(num_mixtures, int) or num_mixtures < 1:
        raise ValueError(f"num_mixtures should be a positive int, got {num_mixtures!r}")
    m = num_mixtures
    return m + 2 * channels * m + (3 * m if channels == 3 else 0)


def bits_per_dim(nll_nats: Tensor, dims: int) -> Tensor:
    """``nll_nats / (dims · ln 2)``: nats summed over ``dims`` sub-pixels to bits per sub-pixel.

    ``dims`` is ``C·H·W`` per image (3072 for CIFAR-10) when ``nll_nats`` is per image.
    """
    if isinstance(dims, bool) or not isinstance(dims, int) or dims < 1:
        raise ValueError(f"dims should be a positive int, got {dims!r}")
    return nll_nats / (dims * math.log(2.0))


def _scaled(values: Tensor, dtype: torch.dtype) -> Tensor:
    """Integer values 0..255 to bin centres ``2v/255 − 1``."""
    return values.to(dtype) * (2.0 / 255.0) - 1.0


def _float(params: Tensor) -> Tensor:
    if not isinstance(params, Tensor) or not params.is_floating_point():
        kind = params.dtype if isinstance(params, Tensor) else type(params).__name__
        raise TypeError(f"params should be a floating-point Tensor, got {kind}")
    return params.float() if params.dtype in (torch.float16, torch.bfloat16) else params


#: ``_split``'s parts: logits, means, log-scales, coupling coefficients (or None).
_Parts = tuple[Tensor, Tensor, Tensor, Tensor | None]


def _split(params: Tensor, channels: int, num_mixtures: int) -> _Parts:
    """``(N, P, *S)`` -> logits ``(N, M, *S)``, means / log-scales ``(N, C, M, *S)``, coupling
    ``(N, 3, M, *S)`` (tanh applied) or None; log-scales clamped at −7."""
    p = mixture_params(channels, num_mixtures)
    if params.ndim < 2 or params.shape[1] != p:
        raise ValueError(
            f"params should have P = mixture_params({channels}, {num_mixtures}) = {p} along "
            f"dim 1, got shape {tuple(params.shape)}"
        )
    n, m, c, rest = params.shape[0], num_mixtures, channels, params.shape[2:]
    logits = params[:, :m]
    means = params[:, m : m + c * m].reshape(n, c, m, *rest)
    log_scales = params[:, m + c * m : m + 2 * c * m].reshape(n, c, m, *rest)
    log_scales = log_scales.clamp(min=_LOG_SCALE_MIN)
    coeffs = None
    if c == 3:
        coeffs = torch.tanh(params[:, m + 2 * c * m :].reshape(n, 3, m, *rest))
    return logits, means, log_scales, coeffs


def _log1mexp_of(log_d: Tensor) -> Tensor:
    """``log(1 − e^{−d})`` for ``d = exp(log_d) > 0``, accurate and finite (with finite
    gradients) from ``d`` far below float's smallest number up to ``d → ∞``."""
    d = log_d.exp()
    small = d < _SMALL_D
    series = log_d - d / 2 + d * d / 24  # log(d) + log((1 − e^{−d})/d), error O(d⁴)
    d_safe = torch.where(small, torch.ones_like(d), d)
    exact = torch.where(
        d_safe < math.log(2.0), torch.log(-torch.expm1(-d_safe)), torch.log1p(-torch.exp(-d_safe))
    )
    return torch.where(small, series, exact)


def _edge(values: Tensor, dtype: torch.dtype) -> Tensor:
    """Upper bin edge ``(2v + 1)/255 − 1 = (2v − 254)/255`` of integer ``values``, computed the
    same way for every use, so the upper edge of ``v`` and the lower edge of ``v + 1`` are the
    same float and the 256 bin masses telescope to 1 in floating point too."""
    return (values.to(dtype) * 2.0 - 254.0) / 255.0


def _log_bin_mass(
    values: Tensor, mean: Tensor, log_scale: Tensor, pixelcnn_fallback: bool = False
) -> Tensor:
    """Log-mass of the discretised logistic at integer ``values`` (broadcast with ``mean``,
    ``log_scale``, which is already clamped)."""
    inv_s = torch.exp(-log_scale)
    plus_in = inv_s * (_edge(values, mean.dtype) - mean)
    min_in = inv_s * (_edge(values - 1, mean.dtype) - mean)
    log_cdf_plus = F.logsigmoid(plus_in)  # value 0: all mass left of its upper edge
    log_sf_min = F.logsigmoid(-min_in)  # value 255: all mass right of its lower edge
    if pixelcnn_fallback:
        cdf_delta = torch.sigmoid(plus_in) - torch.sigmoid(min_in)
        mid_in = inv_s * (_scaled(values, mean.dtype) - mean)
        log_pdf_mid = mid_in - log_scale - 2.0 * F.softplus(mid_in)
        interior = torch.where(
            cdf_delta > 1e-5,
            torch.log(cdf_delta.clamp(min=1e-12)),
            log_pdf_mid - math.log(127.5),
        )
    else:  # σ(b) − σ(a) = σ(b) σ(−a) (1 − e^{−(b−a)})
        # b − a as the floats give it (exact where it matters: Sterbenz), so the masses telescope;
        # where it underflows (huge scales) or cancels to 0, (2/255)/s from the log-scale.
        diff = plus_in - min_in
        ok = diff > _TINY
        log_d = torch.where(ok, torch.log(torch.where(ok, diff, 1.0)), _LOG_BIN - log_scale)
        interior = log_cdf_plus + log_sf_min + _log1mexp_of(log_d)
    return torch.where(values == 0, log_cdf_plus, torch.where(values == 255, log_sf_min, interior))


def _check_values(values: Tensor, name: str) -> None:
    if not isinstance(values, Tensor) or values.is_floating_point() or values.is_complex():
        kind = values.dtype if isinstance(values, Tensor) else type(values).__name__
        raise TypeError(f"{name} should be an integer Tensor of values 0..255, got {kind}")
    if values.dtype == torch.bool:
        raise TypeError(f"{name} should be an integer Tensor of values 0..255, got torch.bool")
    if values.numel() and (int(values.min()) < 0 or int(values.max()) > 255):
        lo, hi = int(values.min()), int(values.max())
        raise ValueError(f"{name} should hold values in 0..255, got range [{lo}, {hi}]")


def mixture_nll(
    params: Tensor, target: Tensor, num_mixtures: int, *, pixelcnn_fallback: bool = False
) -> Tensor:
    """Negative log-likelihood in nats, summed over channels and positions.

    Args:
        params: ``Tensor[N, P, *S]``, real (unconstrained network outputs), layout in the module
            docstring; half precision is evaluated in float32.
        target: ``Tensor[N, C, *S]``, integer (``int64``) values in ``0..255``; ``C`` (1 or 3)
            is read from it.
        num_mixtures: ``M``.
        pixelcnn_fallback: use PixelCNN++'s ``pdf · 2/255`` for interior bins of mass below
            ``1e-5`` instead of the exact log-space mass (for reproducing reference numbers).

    Returns:
        ``Tensor[N]``: ``−log p(target)`` per sample. Divide by ``C·prod(S)·ln 2`` for
        bits/dim ([`bits_per_dim`][longrange_models.bits_per_dim]).
    """
    params = _float(params)
    _check_values(target, "target")
    if target.ndim < 2:
        raise ValueError(f"target should be a Tensor[N, C, *S], got shape {tuple(target.shape)}")
    channels = target.shape[1]
    if channels not in (1, 3):
        raise ValueError(f"target should have C = 1 or 3 channels, got {channels}")
    logits, means, log_scales, coeffs = _split(params, channels, num_mixtures)
    if params.shape[0] != target.shape[0] or params.shape[2:] != target.shape[2:]:
        raise ValueError(
            f"target shape {tuple(target.shape)} should match params shape "
            f"{tuple(params.shape)} in N and the positions *S"
        )
    v = target.long().unsqueeze(2)  # (N, C, 1, *S); int64 so that v − 1 cannot wrap (uint8)
    if coeffs is not None:
        x = _scaled(v, params.dtype)
        mu1 = means[:, 1] + coeffs[:, 0] * x[:, 0]
        mu2 = means[:, 2] + coeffs[:, 1] * x[:, 0] + coeffs[:, 2] * x[:, 1]
        means = torch.stack([means[:, 0], mu1, mu2], dim=1)
    log_mass = _log_bin_mass(v, means, log_scales, pixelcnn_fallback)  # (N, C, M, *S)
    log_joint = log_mass.sum(1) + torch.log_softmax(logits, dim=1)  # (N, M, *S)
    return -torch.logsumexp(log_joint, dim=1).reshape(log_joint.shape[0], -1).sum(1)


def _grid(params: Tensor) -> Tensor:
    return torch.arange(NUM_VALUES, device=params.device).view(1, NUM_VALUES, 1)  # (1, V, 1)


def _check_2d(params: Tensor, num_mixtures: int, channels: int) -> tuple[Tensor, _Parts]:
    """``params`` as ``Tensor[N, P]`` in float32/64, and its ``_split`` parts."""
    params = _float(params)
    if params.ndim != 2:
        raise ValueError(f"params should be a Tensor[N, P], got shape {tuple(params.shape)}")
    return params, _split(params, channels, num_mixtures)


def mixture_log_probs(
    params: Tensor, num_mixtures: int, channels: int, previous: Tensor | None = None
) -> Tensor:
    """Log-probabilities of all 256 values, channel by channel given the previous channels.

    Args:
        params: ``Tensor[N, P]``, one pixel's parameters per row.
        num_mixtures: ``M``.
        channels: ``C``, 1 or 3.
        previous: for ``C = 3``, ``Tensor[N, 3]`` (or ``[N, 2]``) integer values ``0..255``;
            ``previous[:, 0]`` and ``previous[:, 1]`` condition channels 1 and 2 (the last
            column is not used). Not used for ``C = 1``.

    Returns:
        ``C = 1``: ``Tensor[N, 256]``, ``log p(v)``. ``C = 3``: ``Tensor[N, 3, 256]`` whose row
        ``c`` is ``log p(x_c = v | x_<c = previous[:, :c])`` — a mixture with the components
        reweighted by how well each explains the previous channels (exact conditionals of the
        joint, so ``Σ_c row_c[x_c]`` with ``previous = x`` is ``log p(x)``).
    """
    params, (logits, means, log_scales, coeffs) = _check_2d(params, num_mixtures, channels)
    log_w = torch.log_softmax(logits, dim=1)  # (N, M)
    if channels == 1:
        return _channel(log_w, means, log_scales, None, None, 0)[0]
    if previous is None:
        raise ValueError("previous should be a Tensor[N, 3] of values 0..255 for channels=3")
    _check_values(previous, "previous")
    if previous.ndim != 2 or previous.shape[0] != params.shape[0] or previous.shape[1] < 2:
        raise ValueError(
            f"previous should be a Tensor[N={params.shape[0]}, 3], got shape "
            f"{tuple(previous.shape)}"
        )
    previous = previous.long()
    rows = []
    for c in range(3):
        row, log_mass = _channel(log_w, means, log_scales, coeffs, previous, c)
        rows.append(row)
        log_w = _observe(log_w, log_mass, previous[:, c]) if c < 2 else log_w
    return torch.stack(rows, dim=1)


def _channel(
    log_w: Tensor,
    means: Tensor,
    log_scales: Tensor,
    coeffs: Tensor | None,
    previous: Tensor | None,
    c: int,
) -> tuple[Tensor, Tensor]:
    """Row ``c`` of the conditionals, ``(N, V)``, given component log-weights ``log_w``
    ``(N, M)`` (any constant offset) and ``previous[:, :c]``; also the per-component log-masses
    ``(N, V, M)`` for ``_observe``."""
    mu = means[:, c]  # (N, M)
    if c >= 1:
        # channel c >= 1 exists for RGB only, which has coupling coefficients and previous
        assert previous is not None
        assert coeffs is not None
        x = _scaled(previous[:, :c], means.dtype)  # (N, c)
        if c == 1:
            mu = mu + coeffs[:, 0] * x[:, :1]
        else:
            mu = mu + coeffs[:, 1] * x[:, :1] + coeffs[:, 2] * x[:, 1:2]
    # posterior over components; the max first (exact), so that log-weights of large magnitude
    # (far-tail observations) still give weights that sum to 1 in float32
    log_w = log_w - log_w.max(dim=1, keepdim=True).values
    log_w = log_w - torch.logsumexp(log_w, dim=1, keepdim=True)
    log_mass = _log_bin_mass(_grid(mu), mu.unsqueeze(1), log_scales[:, c].unsqueeze(1))
    return torch.logsumexp(log_w.unsqueeze(1) + log_mass, dim=2), log_mass


def _observe(log_w: Tensor, log_mass: Tensor, values: Tensor) -> Tensor:
    """Component log-weights after observing ``values`` ``(N,)`` of the channel whose
    log-masses are ``log_mass`` ``(N, V, M)`` (Bayes' rule, unnormalised)."""
    idx = values.view(-1, 1, 1).expand(-1, 1, log_mass.shape[2])
    return log_w + log_mass.gather(1, idx).squeeze(1)


def mixture_sample(
    params: Tensor,
    num_mixtures: int,
    channels: int,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Exact draws from the discretised distribution, channel by channel.

    Each channel is a categorical draw (``torch.multinomial``) from its conditional
    log-probabilities (the rows of [`mixture_log_probs`][longrange_models.mixture_log_probs]) given
    the channels already drawn, so the draw follows the joint exactly and is a deterministic
    function of ``params`` and the generator's state. (PixelCNN++ instead draws a component, then
    continuous logistics, and couples on the continuous values.)

    Args:
        params: ``Tensor[N, P]``.
        num_mixtures: ``M``.
        channels: ``C``, 1 or 3.
        generator: random source (on the device of ``params``); default the global one.

    Returns:
        ``Tensor[N, C]`` int64 values in ``0..255``.
    """
    with torch.no_grad():
        return _draw(
            params,
            num_mixtures,
            channels,
            lambda probs, c: torch.multinomial(probs, 1, generator=generator).squeeze(1),
        )


def mixture_sample_from_noise(
    params: Tensor, num_mixtures: int, channels: int, noise: Tensor
) -> Tensor:
    """[`mixture_sample`][longrange_models.mixture_sample] with the randomness given: no host
    synchronisation, for compiled and CUDA-graph sampling.

    Channel ``c`` takes ``argmax_v p_c(v) / noise[c, :, v]``: with ``Exp(1)`` noise, the
    exponential race, which is how ``torch.multinomial`` draws one sample (after checking the
    probabilities on the host, a synchronisation on CUDA). So ``noise`` filled channel by channel
    with ``noise[c].exponential_(generator=g)`` gives the values ``mixture_sample(params, …, g)``
    gives from the same generator state (up to rounding ties), and nothing is read back.

    Args:
        params: ``Tensor[N, P]``.
        num_mixtures: ``M``.
        channels: ``C``, 1 or 3.
        noise: ``Tensor[C, N, 256]`` of ``Exp(1)`` draws, the dtype of the probabilities
            (``params``'s, float32 for half precision).

    Returns:
        ``Tensor[N, C]`` int64 values in ``0..255``.
    """
    if isinstance(params, Tensor) and params.ndim == 2:  # (else _draw names the params' fault)
        expected = (channels, params.shape[0], NUM_VALUES)
        if not isinstance(noise, Tensor) or noise.shape != expected:
            shape = tuple(noise.shape) if isinstance(noise, Tensor) else type(noise).__name__
            raise ValueError(
                f"noise should be a Tensor[C={channels}, N={params.shape[0]}, {NUM_VALUES}], "
                f"got {shape}"
            )
    with torch.no_grad():
        return _draw(
            params, num_mixtures, channels, lambda probs, c: torch.argmax(probs / noise[c], 1)
        )


def _draw(
    params: Tensor, num_mixtures: int, channels: int, pick: Callable[[Tensor, int], Tensor]
) -> Tensor:
    """Values ``(N, C)`` drawn channel by channel; ``pick(probs (N, V), c) -> (N,)`` draws
    channel ``c`` from its conditional probabilities."""
    params, (logits, means, log_scales, coeffs) = _check_2d(params, num_mixtures, channels)
    log_w = torch.log_softmax(logits, dim=1)
    drawn = torch.zeros(params.shape[0], channels, dtype=torch.long, device=params.device)
    for c in range(channels):
        row, log_mass = _channel(log_w, means, log_scales, coeffs, drawn, c)
        drawn[:, c] = pick(row.exp(), c)
        log_w = _observe(log_w, log_mass, drawn[:, c])
    return drawn


class LogisticMixtureHead(nn.Module):
    """A 1×1 projection from ``hidden`` features to the mixture's ``P`` parameters.

    ``(N, hidden, *S) -> (N, P, *S)`` for any trailing positions (``(L,)`` or ``(H, W)``);
    [`nll`][longrange_models.LogisticMixtureHead.nll] and
    [`sample`][longrange_models.LogisticMixtureHead.sample] apply
    [`mixture_nll`][longrange_models.mixture_nll] /
    [`mixture_sample`][longrange_models.mixture_sample].

    Args:
        hidden: input features.
        channels: ``C``, 1 or 3.
        num_mixtures: ``M`` (PixelCNN++ uses 10 for CIFAR-10).
    """

    def __init__(self, hidden: int, channels: int = 3, num_mixtures: int = 10) -> None:
        super().__init__()
        if isinstance(hidden, bool) or not isinstance(hidden, int) or hidden < 1:
            raise ValueError(f"hidden should be a positive int, got {hidden!r}")
        self.num_params = mixture_params(channels, num_mixtures)
        self.hidden, self.channels, self.num_mixtures = hidden, channels, num_mixtures
        self.proj = nn.Linear(hidden, self.num_params)

    def forward(self, h: Tensor) -> Tensor:
        if not isinstance(h, Tensor) or h.ndim < 2 or h.shape[1] != self.hidden:
            shape = tuple(h.shape) if isinstance(h, Tensor) else type(h).__name__
            raise ValueError(f"h should be a Tensor[N, {self.hidden}, *S], got {shape}")
        return self.proj(h.movedim(1, -1)).movedim(-1, 1)

    def nll(self, h: Tensor, target: Tensor) -> Tensor:
        """``Tensor[N]`` NLL in nats of ``target`` (``(N, C, *S)`` int64) given ``h``."""
        return mixture_nll(self(h), target, self.num_mixtures)

    def sample(self, h: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """``(N, hidden)`` features to ``(N, C)`` int64 values."""
        return mixture_sample(self(h), self.num_mixtures, self.channels, generator)

    def extra_repr(self) -> str:
        return f"{self.hidden}, channels={self.channels}, num_mixtures={self.num_mixtures}"
