"""MultiresAR sampling off the CPU: the device-side step (no host sync, one compiled graph).

The path runs on CPU tensors too (eager or compiled), which is how these tests check it here;
the ``gpu``-marked tests run it on CUDA under ``torch.cuda.set_sync_debug_mode``.
"""

import warnings
from collections.abc import Iterator
from contextlib import ExitStack
from unittest import mock

import pytest
import torch

from longrange_models.logistic_mixture import (
    mixture_params,
    mixture_sample,
    mixture_sample_from_noise,
)
from longrange_models.multires_ar import MultiresAR, _device_sampler, _DeviceSampler

pytestmark = pytest.mark.usefixtures("one_thread")

#: (in_channels, tree_select, norm, prenorm): grey and RGB, both TreeSelects, every norm.
KINDS = [(1, "fading", "layer", False), (3, "uniform", "batch", True), (3, "fading", "none", False)]


def tiny(in_channels: int = 1, seed: int = 0, **kw) -> MultiresAR:
    torch.manual_seed(seed)
    args = {"seq_len": 12, "channels": 6, "num_blocks": 2, "kernel_size": 3, "num_mixtures": 3}
    model = MultiresAR(in_channels=in_channels, dropout=0.0, memory_size=4, **{**args, **kw})
    return model.double().eval()


def on_device_path(model: MultiresAR, n: int, length: int, seed: int, path="auto"):
    """``MultiresAR.sample``'s loop for tensors off the CPU, run on CPU tensors."""
    out = torch.zeros(n, model.config.in_channels, length, dtype=torch.long)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        finite = model._sample_on_device(out, gen, path, False)
    return out, finite


@pytest.fixture
def fresh_compiler() -> Iterator[None]:
    torch.compiler.reset()
    yield
    torch.compiler.reset()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("channels", [1, 3])
def test_noise_draws_equal_multinomial_draws(channels, dtype):
    """Exp(1) noise drawn per channel from a generator gives mixture_sample's values from the
    same generator state (torch.multinomial's one-sample method)."""
    g = torch.Generator().manual_seed(channels)
    params = 3 * torch.randn(7, mixture_params(channels, 4), generator=g, dtype=dtype)
    expected = mixture_sample(params, 4, channels, torch.Generator().manual_seed(5))
    noise = torch.empty(channels, 7, 256, dtype=dtype)
    g = torch.Generator().manual_seed(5)
    for c in range(channels):
        noise[c].exponential_(generator=g)
    assert torch.equal(mixture_sample_from_noise(params, 4, channels, noise), expected)
    # and the values follow the noise: other noise, other values
    other = mixture_sample_from_noise(params, 4, channels, noise.flip(-1))
    assert not torch.equal(other, expected)


def test_noise_of_the_wrong_shape_is_refused():
    params = torch.randn(2, mixture_params(3, 2))
    with pytest.raises(
        ValueError, match=r"noise should be a Tensor\[C=3, N=2, 256\], got \(3, 2, 255\)"
    ):
        mixture_sample_from_noise(params, 2, 3, torch.ones(3, 2, 255))


@pytest.mark.parametrize(("channels", "tree_select", "norm", "prenorm"), KINDS)
def test_device_path_draws_the_cpu_samples(channels, tree_select, norm, prenorm):
    """The same generator state, the same images as the CPU loop and the re-running sampler."""
    model = tiny(channels, tree_select=tree_select, norm=norm, prenorm=prenorm)
    expected = model.sample(2, generator=torch.Generator().manual_seed(3), length=12)
    rerun = model.sample_by_recompute(2, generator=torch.Generator().manual_seed(3), length=12)
    for path in ("auto", "map", "recursion"):
        out, finite = on_device_path(model, 2, 12, 3, path)
        assert torch.equal(out, expected), path
        assert bool(finite)
    assert torch.equal(rerun, expected)


def test_a_cached_sampler_starts_again_with_the_current_parameters():
    model = tiny(3, tree_select="uniform")
    first, _ = on_device_path(model, 2, 12, 0)
    sampler = _device_sampler(model, 2, "auto")[0]
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(1.5)
    second, _ = on_device_path(model, 2, 12, 0)
    assert _device_sampler(model, 2, "auto")[0] is sampler  # the same buffers, reset
    assert torch.equal(second, model.sample(2, generator=torch.Generator().manual_seed(0)))
    assert not torch.equal(second, first)


def test_non_finite_parameters_are_reported():
    model = tiny()
    with torch.no_grad():
        model.head.proj.bias[0] = float("nan")
    _, finite = on_device_path(model, 1, 3, 0)
    assert not bool(finite)


def test_the_fused_path_is_refused_off_the_cpu():
    with pytest.raises(ValueError, match=r"path should be one of .* got 'fused'"):
        on_device_path(tiny(), 1, 3, 0, path="fused")


#: Everything that reads a tensor's value back to the host (a synchronisation on CUDA), and the
#: ops that do so inside (torch.multinomial checks its probabilities, nonzero sizes its output).
READ_BACKS = ["item", "__bool__", "__int__", "__float__", "__index__", "cpu", "tolist", "numpy"]


def _no_read_back() -> ExitStack:
    stack = ExitStack()
    for name in READ_BACKS:
        error = AssertionError(f"Tensor.{name} called in the device-side step")
        stack.enter_context(mock.patch.object(torch.Tensor, name, side_effect=error))
    for name in ("multinomial", "nonzero"):
        error = AssertionError(f"torch.{name} called in the device-side step")
        stack.enter_context(mock.patch.object(torch, name, side_effect=error))
    return stack


@pytest.mark.parametrize(("channels", "tree_select", "norm", "prenorm"), KINDS)
def test_the_device_step_reads_nothing_back(channels, tree_select, norm, prenorm):
    model = tiny(channels, tree_select=tree_select, norm=norm, prenorm=prenorm)
    sampler = _DeviceSampler(model, 2, "auto")
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for _ in range(6):
            sampler.noise.exponential_(generator=g)
            with _no_read_back():
                sampler(model)
        # the guard can fail: the CPU loop's draw (torch.multinomial) is caught
        params = model.step(None, model.init_state(2), "map")
        with _no_read_back(), pytest.raises(AssertionError, match=r"torch\.multinomial"):
            model._draw(params, g)


@pytest.mark.parametrize(("channels", "tree_select", "norm", "prenorm"), KINDS)
def test_compiled_step_equals_eager_step_in_one_graph(
    fresh_compiler, channels, tree_select, norm, prenorm
):
    """torch.compile(fullgraph=True) traces one position with no graph break; the same graph
    serves every position (no recompilation); draws and buffers equal the eager step's; the
    buffers it updates are static inputs (so CUDA graphs update them in place)."""
    model = tiny(channels, tree_select=tree_select, norm=norm, prenorm=prenorm)
    eager, traced = _DeviceSampler(model, 2, "auto"), _DeviceSampler(model, 2, "auto")
    compiled = torch.compile(traced, fullgraph=True, backend="aot_eager")
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for i in range(5):
            eager.noise.exponential_(generator=g)
            traced.noise.copy_(eager.noise)
            if i == 0:
                expected, got = eager(model), compiled(model)
            else:
                with torch.compiler.set_stance("fail_on_recompile"):
                    expected, got = eager(model), compiled(model)
            assert torch.equal(got, expected), i
    for (name, a), (_, b) in zip(eager.named_buffers(), traced.named_buffers(), strict=True):
        torch.testing.assert_close(b, a, rtol=1e-12, atol=1e-12, msg=name)
        # what dynamo marks on module buffers; cudagraph trees skip graphs that mutate others
        assert getattr(b, "_dynamo_static_input_type", None) is not None, name


@pytest.mark.gpu
def test_cuda_sampling_without_sync_matches_the_rerunning_sampler():
    """On CUDA: the per-position loop under sync debug mode "error", one synchronisation per
    sample() call (the finiteness check), and the draws of torch.multinomial (the re-running
    sampler) from the same generator."""
    model = tiny(3, tree_select="uniform").cuda()

    def gen() -> torch.Generator:
        return torch.Generator(device="cuda").manual_seed(4)

    model.sample(2, generator=gen(), length=12)  # compiles and records the CUDA graph
    out = torch.zeros(2, 3, 12, dtype=torch.long, device="cuda")
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        with torch.no_grad():
            finite = model._sample_on_device(out, gen(), "auto", False)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert bool(finite)
    assert torch.equal(out, model.sample_by_recompute(2, generator=gen(), length=12))
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            again = model.sample(2, generator=gen(), length=12)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    syncs = [str(w.message) for w in record if "synchroniz" in str(w.message)]
    assert len(syncs) == 1, syncs  # the finiteness check after the loop, none per position
    assert torch.equal(again, out)
