import itertools

import pytest
import torch

from multires_core import MultiresConv1d, MultiresLayer


@pytest.mark.parametrize(
    ("tree_select", "k", "dtype"),
    list(itertools.product(["fading", "uniform"], [2, 3, 4], [torch.float32, torch.float64])),
)
def test_step_equals_full_forward(tree_select, k, dtype):
    torch.manual_seed(k)
    m = MultiresConv1d(4, k, seq_len=70, tree_select=tree_select, memory_size=11, dtype=dtype)
    x = torch.randn(3, 4, 70, dtype=dtype)
    with torch.no_grad():
        full = m(x)
        state = m.init_state(3)
        steps = []
        for t in range(70):
            y, state = m.step(x[:, :, t], state)
            steps.append(y)
    tol = 1e-12 if dtype == torch.float64 else 1e-5
    torch.testing.assert_close(torch.stack(steps, -1), full, rtol=tol, atol=tol)
    assert state.t == 70


def test_streaming_beyond_the_design_length_matches_forward_on_the_longer_sequence():
    torch.manual_seed(0)
    m = MultiresConv1d(2, 2, depth=3, dtype=torch.float64)
    x = torch.randn(1, 2, 50, dtype=torch.float64)
    with torch.no_grad():
        full = m(x)
        state = m.init_state(1)
        ys = [m.step(x[:, :, t], state)[0] for t in range(50)]
    torch.testing.assert_close(torch.stack(ys, -1), full)


def test_layer_stack_streams_exactly():
    torch.manual_seed(0)
    layers = torch.nn.ModuleList([MultiresLayer(3, 2, seq_len=40, dropout=0.2) for _ in range(2)])
    layers.eval()
    x = torch.randn(2, 3, 40, dtype=torch.float32)
    with torch.no_grad():
        h = x
        for layer in layers:
            h = layer(h)
        states = [layer.init_state(2) for layer in layers]
        out = []
        for t in range(40):
            z = x[:, :, t]
            for i, layer in enumerate(layers):
                z, states[i] = layer.step(z, states[i])
            out.append(z)
    torch.testing.assert_close(torch.stack(out, -1), h, rtol=1e-5, atol=1e-5)


def test_streaming_errors():
    m = MultiresConv1d(3, 2, depth=4)
    state = m.init_state(2)
    with pytest.raises(ValueError, match=r"x_t should be a Tensor\[N=2, C=3\]"):
        m.step(torch.randn(2, 4), state)
    with pytest.raises(ValueError, match="path should be one of"):
        m.step(torch.randn(2, 3), state, "dense")
    with pytest.raises(ValueError, match="batch should be a positive int"):
        m.init_state(0)
    layer = MultiresLayer(3, 2, depth=4, dropout=0.1)
    with pytest.raises(RuntimeError, match=r"call \.eval\(\)"):
        layer.step(torch.randn(1, 3), layer.init_state(1))


@pytest.mark.parametrize(
    ("path", "tree_select", "k"),
    list(itertools.product(["fused", "map", "recursion"], ["fading", "uniform"], [2, 3, 4])),
)
def test_each_step_path_equals_full_forward(path, tree_select, k):
    torch.manual_seed(k)
    m = MultiresConv1d(5, k, seq_len=40, tree_select=tree_select, memory_size=9)
    m.double()
    x = torch.randn(2, 5, 40, dtype=torch.float64)
    with torch.no_grad():
        state = m.init_state(2)
        ys = [m.step(x[:, :, t], state, path)[0] for t in range(40)]
        torch.testing.assert_close(torch.stack(ys, -1), m(x), rtol=1e-12, atol=1e-12)


def test_auto_path_runs_the_recursion_only_for_large_steps(monkeypatch):
    import multires_core._fused as fused
    import multires_core.streaming as streaming

    calls = []

    def spy(*args):
        calls.append(1)
        return level_step(*args)

    level_step = streaming._level_step
    m = MultiresConv1d(3, 2, depth=4)
    state = m.init_state(1)  # init_state runs the recursion on basis vectors
    monkeypatch.setattr(streaming, "_level_step", spy)
    monkeypatch.setenv(fused.BACKEND_VAR, "torch")  # the tensor paths (arma_core.backend("torch"))
    with torch.no_grad():
        m.step(torch.randn(1, 3), state)
        assert not calls  # small: the precomputed map
        monkeypatch.setattr(streaming, "_DENSE_MAX", 0)
        m.step(torch.randn(1, 3), state)
        assert calls == [1]


def _spy_kernel(monkeypatch):
    import multires_core._fused as fused

    calls = []
    kernel = fused.tree_step

    def spy(*args):
        calls.append(1)
        return kernel(*args)

    monkeypatch.setattr(fused, "tree_step", spy)
    return calls


def test_auto_path_runs_the_fused_kernel_where_it_can(monkeypatch):
    calls = _spy_kernel(monkeypatch)
    m = MultiresConv1d(3, 2, depth=4)
    state = m.init_state(2)
    with torch.no_grad():
        m.step(torch.randn(2, 3), state)
    assert calls == [1]
    # autograd through x_t: the tensor paths, and the gradient flows
    x = torch.randn(2, 3, requires_grad=True)
    y, _ = m.step(x, state)
    assert calls == [1]
    y.sum().backward()
    assert x.grad is not None
    # half precision: the kernel takes float32/64 only, the tensor paths run
    h = MultiresConv1d(3, 2, depth=4, dtype=torch.bfloat16)
    with torch.no_grad():
        h.step(torch.randn(2, 3, dtype=torch.bfloat16), h.init_state(2))
    assert calls == [1]


@pytest.mark.parametrize(
    ("backend", "fused_runs"),
    [("auto", True), ("numba", True), ("torch", False), ("triton", False)],
)
def test_the_shared_backend_switch_decides_auto(backend, fused_runs, monkeypatch):
    """``LONGRANGE_BACKEND`` (written by ``arma_core.set_backend``) rules the kernel in or out
    of ``path="auto"``; an explicit ``path="fused"`` runs it whatever the setting."""
    calls = _spy_kernel(monkeypatch)
    monkeypatch.setenv("LONGRANGE_BACKEND", backend)
    m = MultiresConv1d(3, 2, depth=4).double()
    x = torch.randn(2, 3, 12, dtype=torch.float64)
    with torch.no_grad():
        state = m.init_state(2)
        ys = [m.step(x[:, :, t], state)[0] for t in range(12)]
        torch.testing.assert_close(torch.stack(ys, -1), m(x), rtol=1e-12, atol=1e-12)
        assert len(calls) == (12 if fused_runs else 0)
        m.step(x[:, :, 0], state, "fused")
    assert len(calls) == (13 if fused_runs else 1)


def test_fused_step_refuses_what_it_cannot_run_by_name(monkeypatch):
    import multires_core._fused as fused

    m = MultiresConv1d(3, 2, depth=4)
    state = m.init_state(1)
    with pytest.raises(ValueError, match="does not record autograd"):
        m.step(torch.randn(1, 3, requires_grad=True), state, "fused")
    monkeypatch.setattr(fused, "AVAILABLE", False)
    hint = r"needs numba: pip install 'longrange-multires-core\[fast\]'"
    with pytest.raises(ValueError, match=hint):
        m.step(torch.randn(1, 3), state, "fused")


def test_fused_layer_step_applies_gelu_in_the_kernel(monkeypatch):
    torch.manual_seed(0)
    for tree_select in ("fading", "uniform"):
        layer = MultiresLayer(6, 3, seq_len=30, tree_select=tree_select, memory_size=7).double()
        x = torch.randn(2, 6, 30, dtype=torch.float64)
        calls = _spy_kernel(monkeypatch)
        with torch.inference_mode():
            state = layer.init_state(2)
            ys = torch.stack([layer.step(x[:, :, t], state, "fused")[0] for t in range(30)], -1)
            torch.testing.assert_close(ys, layer(x), rtol=1e-12, atol=1e-12)
        assert len(calls) == 30


def test_fused_kernel_compiles_without_a_writable_cache(monkeypatch):
    import multires_core._fused as fused

    njit, asked = fused.njit, []

    def no_cache_folder(**options):  # numba's answer where no cache folder is writable
        asked.append(options.get("cache", False))
        if options.get("cache"):
            raise RuntimeError("cannot cache function: no locator available")
        return njit(**options)

    monkeypatch.setattr(fused, "njit", no_cache_folder)
    kernel = fused._compile(fused._tree_step)
    assert asked == [True, False]
    torch.manual_seed(0)
    m = MultiresConv1d(3, 2, depth=3, dtype=torch.float64)
    x = torch.randn(1, 3, 12, dtype=torch.float64)
    monkeypatch.setattr(fused, "tree_step", kernel)
    with torch.no_grad():
        state = m.init_state(1)
        ys = [m.step(x[:, :, t], state, "fused")[0] for t in range(12)]
    torch.testing.assert_close(torch.stack(ys, -1), m(x), rtol=1e-12, atol=1e-12)


def _renew(state, how: str):
    """The state a stream goes on with: its rings replaced, or a copy (e.g. one beam)."""
    import copy
    import pickle

    if how == "replaced":
        state.levels = state.levels.clone()
        return state
    return copy.deepcopy(state) if how == "deepcopy" else pickle.loads(pickle.dumps(state))


@pytest.mark.parametrize("how", ["replaced", "deepcopy", "pickle"])
def test_fused_step_writes_the_rings_of_the_state_it_is_given(how):
    # the kernel's cached views must follow the state's own rings, or the rings go stale
    torch.manual_seed(0)
    m = MultiresConv1d(4, 3, depth=3, dtype=torch.float64)
    x = torch.randn(1, 4, 20, dtype=torch.float64)
    with torch.no_grad():
        fused, tensor = m.init_state(1), m.init_state(1)
        for t in range(20):
            if t == 10:
                fused = _renew(fused, how)
            m.step(x[:, :, t], fused, "fused")
            m.step(x[:, :, t], tensor, "map")
    torch.testing.assert_close(fused.levels, tensor.levels, rtol=1e-12, atol=1e-12)
    assert fused.t == tensor.t == 20
