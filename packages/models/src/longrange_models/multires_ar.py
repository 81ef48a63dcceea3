"""MultiresAR: autoregressive image model from MultiresBlocks (Shi et al. Sec. 5.4, App. C.4).

Legend: N batch, C image channels (1 or 3), L = H·W positions, D width, P mixture parameters.

An image ``(N, C, H, W)`` of 8-bit values is flattened in raster order, ``x.flatten(2)``:
position ``i = row·W + col``, the ``C`` values of a pixel at one position (the authors'
``view(3, 1024)``). The network sees the sequence scaled to ``2v/255 − 1`` and shifted right by
one position (``(0, x_0, …, x_{L−2})``), so its output ``i`` — the discretised logistic mixture's
parameters of pixel ``i`` (``longrange_models.logistic_mixture``) — depends on pixels ``< i``
only. The body is a 1×1 encoder, ``num_blocks``
[`MultiresBlock`][longrange_models.MultiresBlock] with the extra 1×1 convolution after GLU
(Sec. 5.4) and a 1×1 head.

Streaming: every block is causal and position-wise apart from its MultiresConv, which
multires-core steps exactly with ring buffers (``O(K·J)`` per channel and step, fused numba
kernel where available). So [`MultiresAR.sample`][longrange_models.MultiresAR.sample] produces each
pixel with one step per block instead of a forward over the prefix
([`MultiresAR.sample_by_recompute`][longrange_models.MultiresAR.sample_by_recompute], the
reference: same model, same generator state, the same draws). Norms: a LayerNorm over channels
acts on one position at a time, and a BatchNorm in eval mode is a fixed per-channel affine map,
so both stream exactly; a BatchNorm in training mode (batch statistics) and dropout in training
mode cannot, and streaming raises then.

Off the CPU, sampling steps a ``_DeviceSampler``: one position is one function of module
buffers (ring slots picked from a position tensor on the device, the draw from given ``Exp(1)``
noise, [`mixture_sample_from_noise`][longrange_models.mixture_sample_from_noise]) that reads
nothing back to the host, so on CUDA ``torch.compile(mode="reduce-overhead", fullgraph=True)``
captures it once as a CUDA graph. The CPU loop (numba-fused steps, ``torch.multinomial``) is
unchanged; both make the same draws from the same generator state.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Unpack, cast

import torch
from torch import Tensor, nn
from torch.nn import functional as F

import arma_core
from multires_core import StreamState

from ._ar_sampling import _ARSampler, scale_values
from .config import ConfigMixin
from .logistic_mixture import (
    NUM_VALUES,
    LogisticMixtureHead,
    bits_per_dim,
    mixture_nll,
    mixture_params,
    mixture_sample_from_noise,
)
from .multiresnet import MultiresBlock, MultiresBlockOptions, _positive_int, block_stack

__all__ = [
    "AR_PAPER_PARAMETERS",
    "AR_PRESETS",
    "ARState",
    "MultiresAR",
    "MultiresARConfig",
    "scale_values",
]


@dataclass
class ARState:
    """Streaming state of [`MultiresAR`][longrange_models.MultiresAR]: one multires-core state per
    block; ``t`` is the position whose parameters the next
    [`MultiresAR.step`][longrange_models.MultiresAR.step] returns."""

    blocks: list[StreamState]
    batch: int
    t: int = 0


#: App. C.4's CIFAR-10 model (48 blocks, 512 channels, K = 4, 10 logistics, dropout 0.1,
#: LayerNorm) and the same architecture for 28×28 grey images.
AR_PRESETS: dict[str, dict[str, Any]] = {
    "cifar10": {"in_channels": 3, "seq_len": 32 * 32},
    "mnist": {"in_channels": 1, "seq_len": 28 * 28},
}

#: Parameter counts the paper prints (Table 4).
AR_PAPER_PARAMETERS: dict[str, str] = {"cifar10": "38M"}


class MultiresAR(_ARSampler, ConfigMixin, nn.Module):
    """Autoregressive MultiresNet over flattened 8-bit images ``(N, C, L)`` int64 in 0..255.

    Args:
        in_channels: ``C``, 1 or 3.
        seq_len: ``L = H·W``, the default sampling length; with ``kernel_size`` it sets the
            default tree depth ``ceil(log2((L − 1)/(K − 1) + 1))``.
        channels: width ``D``.
        num_blocks: number of blocks.
        kernel_size: ``K`` of every MultiresConv.
        num_mixtures: logistic components ``M``.
        dropout: channel dropout (see [`MultiresBlock`][longrange_models.MultiresBlock]).
        **block: the blocks' options
            ([`MultiresBlockOptions`][longrange_models.MultiresBlockOptions]: the tree's
            ``depth`` (default from ``seq_len``), ``tree_select``, ``memory_size``, ``init``,
            ``method`` and the blocks' ``norm`` and ``prenorm``, pre-norm blocks instead of the
            paper's post-norm; defaults those of the layers).

    ``MultiresAR.preset(name, **overrides)`` builds the paper's model ``name`` (a key of
    [`AR_PRESETS`][longrange_models.AR_PRESETS]); the config dataclass is ``MultiresARConfig``.
    """

    presets: ClassVar[dict[str, dict[str, Any]]] = AR_PRESETS

    def __init__(
        self,
        in_channels: int = 3,
        seq_len: int = 1024,
        channels: int = 512,
        num_blocks: int = 48,
        kernel_size: int = 4,
        num_mixtures: int = 10,
        dropout: float = 0.1,
        **block: Unpack[MultiresBlockOptions],
    ) -> None:
        super().__init__()
        if isinstance(in_channels, bool) or in_channels not in (1, 3):
            raise ValueError(f"in_channels should be 1 or 3, got {in_channels!r}")
        for name, v in (("seq_len", seq_len), ("channels", channels), ("num_blocks", num_blocks)):
            _positive_int(name, v)
        self.num_params = mixture_params(in_channels, num_mixtures)  # checks num_mixtures
        self._store_config(locals())
        self.encoder = nn.Conv1d(in_channels, channels, 1)
        self.blocks = block_stack(self.config, extra_conv=True)
        self.head = LogisticMixtureHead(channels, in_channels, num_mixtures)

    # -- full forward ------------------------------------------------------------------------

    def distribution_params(self, x: Tensor) -> Tensor:
        """Mixture parameters of every position, ``Tensor[N, P, L]``; output ``i`` depends on
        ``x[..., :i]`` only.

        Args:
            x: ``Tensor[N, C, L]`` int64 values 0..255 (raster order, see the module docstring).
        """
        return self._params(x)

    def body(self, inputs: Tensor) -> Tensor:
        """The network on prepared real inputs ``Tensor[N, C, L]`` (scaled and right-shifted by
        [`distribution_params`][longrange_models.MultiresAR.distribution_params]):
        ``Tensor[N, P, L]``; output ``i`` sees ``inputs[..., :i+1]``.
        """
        h = self.encoder(inputs)
        for block in self.blocks:
            h = block(h)
        return self.head(h)

    forward = distribution_params

    def loss(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(nll_nats (Tensor[N]), bits_per_dim (Tensor[]))`` of images ``x (N, C, L)``.

        ``nll_nats[n] = −log p(x_n)`` summed over the ``C·L`` sub-pixels; bits/dim is the batch
        mean ``Σ nll / (N · C · L · ln 2)``."""
        nll = mixture_nll(self.distribution_params(x), x, self.config.num_mixtures)
        return nll, bits_per_dim(nll.mean(), x.shape[1] * x.shape[2])

    # -- streaming ---------------------------------------------------------------------------

    def init_state(self, batch: int) -> ARState:
        """Fresh streaming state for ``batch`` sequences (raises if the model cannot stream in
        its current mode, see
        [`MultiresBlock.check_streamable`][longrange_models.MultiresBlock.check_streamable])."""
        return ARState([block.init_state(batch) for block in self._block_list()], batch)

    def _block_list(self) -> Sequence[MultiresBlock]:
        return cast("Sequence[MultiresBlock]", self.blocks)

    def step(self, x_prev: Tensor | None, state: ARState, path: str = "auto") -> Tensor:
        """Parameters ``Tensor[N, P]`` of position ``state.t``, given the value at ``t − 1``.

        Args:
            x_prev: ``Tensor[N, C]`` int64 values of position ``state.t − 1``; ``None`` at
                ``t = 0`` (the shifted input's leading zero).
            state: from [`init_state`][longrange_models.MultiresAR.init_state]; advanced in place.
            path: the MultiresConv step path
                ([`multires_core.stream_step`][multires_core.stream_step]).
        """
        w, c = self.encoder.weight, self.config.in_channels
        if x_prev is None:
            if state.t != 0:
                raise ValueError(f"x_prev should be given after the first step, t={state.t}")
            inp = w.new_zeros(state.batch, c)
        elif not isinstance(x_prev, Tensor) or x_prev.shape != (state.batch, c):
            shape = tuple(x_prev.shape) if isinstance(x_prev, Tensor) else type(x_prev).__name__
            raise ValueError(f"x_prev should be a Tensor[N={state.batch}, C={c}], got {shape}")
        else:
            inp = scale_values(x_prev, w.dtype)
        h = F.linear(inp, w[:, :, 0], self.encoder.bias)
        for block, s in zip(self._block_list(), state.blocks, strict=True):
            h = block.step(h, s, path)
        state.t += 1
        return self.head.proj(h)

    def stream_params(self, x: Tensor, path: str = "auto") -> Tensor:
        """[`distribution_params`][longrange_models.MultiresAR.distribution_params] computed step by
        step: ``Tensor[N, P, L]``."""
        self._check_values(x)
        state = self.init_state(x.shape[0])
        out = [self.step(None if i == 0 else x[..., i - 1], state, path) for i in range(x.shape[2])]
        return torch.stack(out, dim=-1)

    # -- sampling (sample_by_recompute: ``_ARSampler``) ------------------------------------

    def _check_count(self, name: str, value: Any) -> int:
        return _positive_int(name, value)

    def _check_modes(self) -> None:
        for block in self._block_list():
            block.check_streamable()  # sample_by_recompute: the modes of sampling by streaming

    @torch.no_grad()
    def sample(
        self,
        n: int,
        generator: torch.Generator | None = None,
        path: str = "auto",
        progress: bool = False,
        length: int | None = None,
    ) -> Tensor:
        """``n`` images as sequences ``Tensor[n, C, length]`` int64 (default ``seq_len``),
        streamed: one step per block and pixel (``O(K·J)`` per channel in each MultiresConv).

        Reshape to ``(n, C, H, W)`` with ``.view(n, C, H, W)`` (raster order). The draws are
        [`mixture_sample`][longrange_models.mixture_sample]'s from ``generator``, one call
        per position, exactly as
        [`sample_by_recompute`][longrange_models.MultiresAR.sample_by_recompute] makes them.

        Off the CPU (``path``: ``"auto"``, ``"map"`` or ``"recursion"``) a position is the
        noise draws, one call of a step that reads nothing back (one CUDA graph replay on CUDA,
        see the module docstring) and one copy; the first call for a batch size compiles, later
        ones reuse the buffers and the graph. Non-finite mixture parameters raise a
        ``ValueError`` after the loop (the one host synchronisation of the call)."""
        out = self._start(n, length)
        if not out.is_cpu:
            finite = self._sample_on_device(out, generator, path, progress)
            if not bool(finite):  # the one synchronisation of a device call, after the loop
                raise ValueError("the model gave non-finite mixture parameters while sampling")
            return out
        state = self.init_state(n)

        def params_at(i: int) -> Tensor:
            return self.step(None if i == 0 else out[..., i - 1], state, path)

        return self._fill(out, params_at, generator, progress)

    def _sample_on_device(
        self, out: Tensor, generator: torch.Generator | None, path: str, progress: bool
    ) -> Tensor:
        """[`sample`][longrange_models.MultiresAR.sample]'s loop for tensors off the CPU: fills
        ``out (n, C, L)`` and returns a ``Tensor[]`` bool, whether every mixture parameter was
        finite. Per position: ``C`` noise draws, one call of the per-position step (compiled
        into one CUDA graph where possible, see ``_DeviceSampler``) and one copy; nothing is
        read back to the host."""
        if path not in _DEVICE_PATHS:
            raise ValueError(
                f"path should be one of {_DEVICE_PATHS} for tensors on {out.device} (the fused "
                f"kernel runs on CPU tensors only), got {path!r}"
            )
        sampler, step = _device_sampler(self, out.shape[0], path)
        graphs = step is not sampler
        for i in self._positions(out.shape[2], progress):
            for c in range(out.shape[1]):  # the draws torch.multinomial would make
                sampler.noise[c].exponential_(generator=generator)
            if graphs:  # the previous position's output has been copied: its memory may go
                torch.compiler.cudagraph_mark_step_begin()
            out[..., i] = step(self)
        return sampler.finite

    def extra_repr(self) -> str:
        return f"{self._repr_head()}, kernel_size={self.config.kernel_size}"


#: The config dataclass built from ``MultiresAR``'s signature.
MultiresARConfig = MultiresAR.config_class

#: MultiresConv step paths of the device-side sampling step (the fused kernel is CPU-only).
_DEVICE_PATHS = ("auto", "map", "recursion")


def _state_tensors(state: StreamState) -> Iterator[tuple[str, Tensor]]:
    """Every tensor of a stream state (its uniform rings included), with a buffer name."""
    for f in dataclasses.fields(state):
        value = getattr(state, f.name)
        if isinstance(value, Tensor):
            yield f.name, value
    if state.uniform is not None:
        for f in dataclasses.fields(state.uniform):
            value = getattr(state.uniform, f.name)
            if isinstance(value, Tensor):
                yield f"uniform_{f.name}", value


class _DeviceSampler(nn.Module):
    """The state of [`MultiresAR.sample`][longrange_models.MultiresAR.sample] off the CPU, for
    ``n`` sequences: one call of ``forward`` draws one position.

    Everything a position reads or writes is a buffer of this module: the blocks' stream states
    (rings and tables), the position ``t`` (``Tensor[1]`` int64: the ring slots are picked on
    the device), the previous draw scaled (the next input), the noise of the next draw and a
    running ``finite`` flag. ``torch.compile`` treats module buffers as static inputs, so the
    compiled step updates them in place and replays as one CUDA graph; ``forward`` reads no
    tensor value on the host and changes no Python value, so one graph serves every position.
    The model is an argument, not a submodule (a cached sampler does not keep it alive).
    """

    t: Tensor  # (1,) int64: the position the next call draws
    inp: Tensor  # (N, C): the previous draw scaled, the next input (0 at t = 0)
    noise: Tensor  # (C, N, 256): Exp(1) draws of the next position
    finite: Tensor  # (): bool, every mixture parameter so far finite

    def __init__(self, model: MultiresAR, n: int, path: str) -> None:
        super().__init__()
        w = model.encoder.weight
        c = model.config.in_channels
        self.path = path
        self.states = [block.init_state(n) for block in model._block_list()]
        for i, state in enumerate(self.states):
            for name, tensor in _state_tensors(state):
                self.register_buffer(f"block{i}_{name}", tensor, persistent=False)
        probs_dtype = torch.float32 if w.dtype in (torch.float16, torch.bfloat16) else w.dtype
        buffers = {
            "t": torch.zeros(1, dtype=torch.long, device=w.device),
            "inp": w.new_zeros(n, c),
            "noise": torch.empty(c, n, NUM_VALUES, dtype=probs_dtype, device=w.device),
            "finite": torch.ones((), dtype=torch.bool, device=w.device),
        }
        for name, tensor in buffers.items():
            self.register_buffer(name, tensor, persistent=False)

    def reset(self, model: MultiresAR) -> None:
        """Position 0 again, the tables recomputed from the model's current parameters, written
        into the same buffers (their addresses, which a CUDA graph reads, stay)."""
        n = self.inp.shape[0]
        for state, block in zip(self.states, model._block_list(), strict=True):
            fresh = block.init_state(n)
            for (_, old), (_, new) in zip(
                _state_tensors(state), _state_tensors(fresh), strict=True
            ):
                old.copy_(new)
        self.t.zero_()
        self.inp.zero_()
        self.finite.fill_(True)

    def forward(self, model: MultiresAR) -> Tensor:
        """Draw position ``t`` from ``noise``: ``Tensor[N, C]`` int64; advances ``t``."""
        w = model.encoder.weight
        h = F.linear(self.inp, w[:, :, 0], model.encoder.bias)
        for block, state in zip(model._block_list(), self.states, strict=True):
            h = block.step_at(h, state, self.t, self.path)
        params = model.head.proj(h)  # (N, P)
        self.finite &= torch.isfinite(params).all()
        cfg = model.config
        drawn = mixture_sample_from_noise(params, cfg.num_mixtures, cfg.in_channels, self.noise)
        self.inp.copy_(scale_values(drawn, self.inp.dtype))
        self.t.add_(1)
        return drawn


#: Per model, the last device sampler and its step: ``(key, sampler, step)``. A second call
#: with the same batch size, path, device and dtype reuses the buffers and the compiled graph.
_SAMPLERS: weakref.WeakKeyDictionary[MultiresAR, tuple[tuple[Any, ...], _DeviceSampler, Any]]
_SAMPLERS = weakref.WeakKeyDictionary()


def _device_sampler(model: MultiresAR, n: int, path: str) -> tuple[_DeviceSampler, Any]:
    """The model's device sampler for ``n`` sequences at position 0, and the callable that
    steps it: compiled with ``torch.compile(mode="reduce-overhead", fullgraph=True)`` (CUDA
    graphs) on CUDA where Triton is installed and the backend switch allows Triton
    (``arma_core.get_backend()`` ``"auto"`` or ``"triton"``), else the module itself."""
    w = model.encoder.weight
    key = (n, path, w.device, w.dtype)
    entry = _SAMPLERS.get(model)
    if entry is not None and entry[0] == key:
        entry[1].reset(model)
        return entry[1], entry[2]
    sampler = _DeviceSampler(model, n, path)
    step: Any = sampler
    if (
        w.device.type == "cuda"
        and arma_core.get_backend() in ("auto", "triton")
        and importlib.util.find_spec("triton") is not None
    ):
        step = torch.compile(sampler, mode="reduce-overhead", fullgraph=True)
    _SAMPLERS[model] = (key, sampler, step)
    return sampler, step
