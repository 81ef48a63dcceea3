"""Complex gated cell, URNN and LSTM/GRU wrappers against dense numpy oracles and closed forms."""

import json

import numpy as np
import pytest
import torch

from longrange_models._complex import real_parameter_count
from longrange_models.complex_cells import ComplexGatedCell
from longrange_models.config import count_parameters
from longrange_models.rnn_baselines import GRUCellWrapper, LSTMCellWrapper
from longrange_models.urnn import URNNCell

KINDS = {
    "lstm": lambda i, h, o=None: LSTMCellWrapper(i, h, output_size=o),
    "gru": lambda i, h, o=None: GRUCellWrapper(i, h, output_size=o),
    "urnn": lambda i, h, o=None: URNNCell(i, h, output_size=o),
    "complex_circulant": lambda i, h, o=None: ComplexGatedCell(i, h, output_size=o),
    "complex_unitary": lambda i, h, o=None: ComplexGatedCell(
        i, h, recurrent="unitary", output_size=o
    ),
}


def closed_form(kind, i, h, o):
    """Real parameter counts written out by hand (complex entries count 2)."""
    real_head = h * o + o if o else 0
    complex_head = 2 * h * o + o if o else 0
    gated = 2 * (3 * h * i + 3 * h) + 2 * (2 * h * h) + 4 * h + h  # W, b, V_r/V_z, α/β, modReLU b
    return {
        "lstm": 4 * h * (i + h) + 8 * h + real_head,
        "gru": 3 * h * (i + h) + 6 * h + real_head,
        "urnn": 3 * h + 2 * 2 * h + 2 * h * i + h + complex_head,  # phases, reflections, V, b
        "complex_circulant": gated + h + complex_head,
        "complex_unitary": gated + 2 * h * h + complex_head,
    }[kind]


def _x(n, t, i, dtype=torch.float64, seed=0):
    return torch.randn(n, t, i, dtype=dtype, generator=torch.Generator().manual_seed(seed))


# ----------------------------------------------------------------------------- counts
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize(("i", "h", "o"), [(1, 3, None), (4, 7, 5), (10, 16, 10)])
def test_parameter_counts_match_closed_forms(kind, i, h, o):
    assert real_parameter_count(KINDS[kind](i, h, o)) == closed_form(kind, i, h, o)


def test_real_parameter_count_counts_complex_twice():
    cell = URNNCell(2, 5)
    assert count_parameters(cell) == 3 * 5 + 2 * 5 + 5 * 2 + 5  # numel: complex counts once
    assert real_parameter_count(cell) == 3 * 5 + 4 * 5 + 2 * 5 * 2 + 5


# ----------------------------------------------------------------------------- unitarity
def _numpy_urnn_matrix(cell):
    """``D3 R2 F⁻¹ D2 Π R1 F D1`` built factor by factor in numpy."""
    h = cell.hidden_size
    theta = cell.phases.detach().double().numpy()
    v = cell.reflections.detach().cdouble().numpy()
    d = [np.diag(np.exp(1j * t)) for t in theta]
    r = [np.eye(h) - 2 * np.outer(vk, vk.conj()) / np.vdot(vk, vk).real for vk in v]
    f = np.fft.fft(np.eye(h), norm="ortho")  # DFT matrix: f @ x == fft(x, norm="ortho")
    perm = np.zeros((h, h))
    perm[np.arange(h), cell.permutation.numpy()] = 1.0  # (Π x)_i = x_perm[i]
    return d[2] @ r[1] @ f.conj().T @ d[1] @ perm @ r[0] @ f @ d[0]


@pytest.mark.parametrize("h", [5, 8])
def test_urnn_matrix_is_the_numpy_product_and_unitary(h):
    torch.manual_seed(h)
    cell = URNNCell(3, h).double()
    w = cell.matrix().detach().numpy()
    np.testing.assert_allclose(w, _numpy_urnn_matrix(cell), atol=1e-12)
    np.testing.assert_allclose(w.conj().T @ w, np.eye(h), atol=1e-12)


def test_urnn_step_is_modrelu_of_dense_product():
    torch.manual_seed(1)
    cell = URNNCell(3, 6).double()
    with torch.no_grad():
        cell.bias.uniform_(-0.5, 0.1)
    x = _x(4, 1, 3)[:, 0]
    h0 = torch.randn(4, 6, dtype=torch.cdouble)
    y, (h1,) = cell.step(x, (h0,))
    w, v = _numpy_urnn_matrix(cell), cell.input_weight.detach().numpy()
    pre = h0.numpy() @ w.T + x.numpy() @ v.T
    m = np.abs(pre)
    ref = np.maximum(m + cell.bias.detach().numpy(), 0) * pre / m
    np.testing.assert_allclose(h1.detach().numpy(), ref, atol=1e-12)
    np.testing.assert_allclose(
        y.detach().numpy(), np.concatenate([ref.real, ref.imag], 1), atol=1e-12
    )


@pytest.mark.parametrize("recurrent", ["circulant", "unitary"])
@pytest.mark.parametrize("h", [5, 8])
def test_recurrent_matrix_is_unitary(recurrent, h):
    torch.manual_seed(0)
    cell = ComplexGatedCell(2, h, recurrent=recurrent)  # float32 / complex64
    r = cell.recurrent_matrix().detach().cdouble().numpy()
    np.testing.assert_allclose(r.conj().T @ r, np.eye(h), atol=1e-5)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(r)), 1.0, atol=1e-5)


def test_circulant_recurrence_is_a_circulant_with_the_angles_as_eigenvalues():
    torch.manual_seed(0)
    cell = ComplexGatedCell(2, 6).double()
    r = cell.recurrent_matrix().detach().numpy()
    for j in range(6):  # every column is the first one shifted down j places
        np.testing.assert_allclose(r[:, j], np.roll(r[:, 0], j), atol=1e-12)
    omega = cell.rotation.omega.detach().numpy()
    fm = np.fft.fft(np.eye(6))  # r = F⁻¹ diag(e^{iω}) F
    np.testing.assert_allclose(fm @ r @ np.linalg.inv(fm), np.diag(np.exp(1j * omega)), atol=1e-12)


def test_gated_step_equals_hand_written_equations():
    torch.manual_seed(3)
    n, i, h = 3, 2, 4
    cell = ComplexGatedCell(i, h, recurrent="unitary", output_size=3).double()
    with torch.no_grad():
        for p in (cell.gate_scales, cell.bias):
            p.uniform_(-1, 1)
        cell.input_bias.copy_(torch.randn(3 * h, dtype=torch.cdouble))
    x = _x(n, 1, i)[:, 0].numpy()
    h0 = torch.randn(n, h, dtype=torch.cdouble)
    y, (h1,) = cell.step(torch.from_numpy(x), (h0,))
    w, b = cell.input_weight.detach().numpy(), cell.input_bias.detach().numpy()
    v, ab = cell.gate_weight.detach().numpy(), cell.gate_scales.detach().numpy()
    rmat = cell.recurrent_matrix().detach().numpy()
    hn = h0.numpy()

    def sig(a):
        return 1 / (1 + np.exp(-a))

    g = x @ w[: 2 * h].T + b[: 2 * h] + hn @ v.T
    r = sig(ab[0, 0] * g[:, :h].real + ab[0, 1] * g[:, :h].imag)
    z = sig(ab[1, 0] * g[:, h:].real + ab[1, 1] * g[:, h:].imag)
    pre = x @ w[2 * h :].T + b[2 * h :] + (r * hn) @ rmat.T
    cand = np.maximum(np.abs(pre) + cell.bias.detach().numpy(), 0) * pre / np.abs(pre)
    ref = z * cand + (1 - z) * hn
    np.testing.assert_allclose(h1.detach().numpy(), ref, atol=1e-12)
    feats = np.concatenate([ref.real, ref.imag], 1)
    lin = cell.readout
    ref_y = feats @ lin.weight.detach().numpy().T + lin.bias.detach().numpy()
    np.testing.assert_allclose(y.detach().numpy(), ref_y, atol=1e-12)


# ----------------------------------------------------------------------------- 1,000 steps
def _rollout(cell, steps=1000, seed=0):
    """States over ``steps`` of N(0, 1) input; the gradient of ``<u, y_T>`` w.r.t. ``h_1``."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(1, steps, cell.input_size, dtype=torch.float64, generator=gen)
    s0 = tuple(s.requires_grad_(True) for s in cell.init_state(1))
    state, hs = s0, []
    with cell._sequence_context():
        for t in range(steps):
            y, state = cell.step(x[:, t], state)
            hs.append(state[0])
    u = torch.randn(y.shape, dtype=torch.float64, generator=gen)
    (y * u).sum().backward()
    grad = torch.cat([s.grad.reshape(-1) for s in s0 if s.grad is not None])
    return x, torch.cat(hs), grad.abs().norm().item()


@pytest.mark.parametrize("kind", ["urnn", "complex_circulant", "complex_unitary"])
def test_unitary_cells_keep_state_bounded_and_gradients_alive_over_1000_steps(kind):
    torch.manual_seed(0)
    cell = KINDS[kind](2, 16).double()
    x, hs, grad = _rollout(cell)
    norms = hs.abs().norm(dim=1)
    assert torch.isfinite(norms).all()
    # |h_t| <= |h_{t-1}| + |input term|: unitary R and b <= 0 never amplify the state.
    with torch.no_grad():
        if kind == "urnn":
            drive = (x[0].to(torch.cdouble) @ cell.input_weight.T).abs().norm(dim=1)
        else:
            w, b = cell.input_weight[2 * 16 :], cell.input_bias[2 * 16 :]
            drive = (x[0].to(torch.cdouble) @ w.T + b).abs().norm(dim=1)
    assert (norms[1:] <= norms[:-1] + drive[1:] + 1e-9).all()
    assert norms.max() < 100.0  # bounded: a random walk of 1,000 unit steps would reach ~30
    assert 1e-6 <= grad <= 1e6, grad


def test_urnn_without_input_preserves_the_norm_exactly():
    torch.manual_seed(0)
    cell = URNNCell(2, 8).double()  # modReLU bias 0 at init: h_t = W h_{t-1}
    h = (torch.randn(3, 8, dtype=torch.cdouble),)
    start = h[0].abs().norm(dim=1)
    for _ in range(200):
        _, h = cell.step(torch.zeros(3, 2, dtype=torch.float64), h)
    torch.testing.assert_close(h[0].abs().norm(dim=1), start, rtol=1e-10, atol=0)


def test_lstm_state_is_bounded_by_one_per_unit():
    torch.manual_seed(0)
    _, hs, grad = _rollout(KINDS["lstm"](2, 16).double(), steps=300)
    assert hs.abs().max() <= 1.0  # h = o · tanh(c)
    assert np.isfinite(grad)


# ----------------------------------------------------------------------------- contract
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_shapes_dtypes_and_forward_equals_steps(kind, dtype):
    torch.manual_seed(0)
    cell = KINDS[kind](3, 5, 2).to(dtype)
    x = _x(2, 4, 3, dtype)
    out, state = cell(x)
    assert out.shape == (2, 4, 2)
    assert out.dtype == dtype
    complex_state = kind not in ("lstm", "gru")
    want_dtype = {torch.float32: torch.complex64, torch.float64: torch.complex128}[dtype]
    assert state[0].dtype == (want_dtype if complex_state else dtype)
    s = cell.init_state(2)
    for t in range(4):
        y, s = cell.step(x[:, t], s)
        torch.testing.assert_close(y, out[:, t])
    out.sum().backward()
    assert all(p.grad is not None for p in cell.parameters())


@pytest.mark.parametrize("kind", ["urnn", "complex_unitary"])
def test_dtype_moves_keep_complex_parameters_complex(kind):
    cell = KINDS[kind](2, 4)
    cell.to(torch.float64)
    assert {p.dtype for p in cell.parameters() if p.is_complex()} == {torch.complex128}
    cell.float()
    assert {p.dtype for p in cell.parameters() if p.is_complex()} == {torch.complex64}
    r = cell.matrix() if kind == "urnn" else cell.recurrent_matrix()
    torch.testing.assert_close(
        r.conj().T @ r, torch.eye(4, dtype=torch.complex64), atol=1e-5, rtol=0
    )


@pytest.mark.parametrize("kind", list(KINDS))
def test_config_round_trip(kind):
    cell = KINDS[kind](3, 5, 2)
    cfg = json.loads(json.dumps(cell.to_config()))
    again = type(cell).from_config(cfg)
    assert again.to_config() == cell.to_config()
    assert real_parameter_count(again) == real_parameter_count(cell)
    assert repr(cell).startswith(type(cell).__name__)


def test_errors_name_argument_and_value():
    cell = ComplexGatedCell(3, 4)
    state = cell.init_state(2)
    with pytest.raises(ValueError, match=r"x_t should be a Tensor\[N, 3\], got shape \(2, 5\)"):
        cell.step(torch.randn(2, 5), state)
    with pytest.raises(TypeError, match="x_t should be a real floating tensor"):
        cell.step(torch.randn(2, 3, dtype=torch.cfloat), state)
    with pytest.raises(TypeError, match=r"state should be complex.*torch.float32"):
        cell.step(torch.randn(2, 3), (torch.zeros(2, 4),))
    with pytest.raises(ValueError, match=r"state tensors should have shape \(2, 4\)"):
        cell.step(torch.randn(2, 3), (torch.zeros(2, 5, dtype=torch.cfloat),))
    with pytest.raises(ValueError, match=r"x should be a Tensor\[N, T, 3\], got \(2, 3\)"):
        cell(torch.randn(2, 3))
    with pytest.raises(ValueError, match=r"recurrent should be one of .* got 'dense'"):
        ComplexGatedCell(3, 4, recurrent="dense")
    with pytest.raises(ValueError, match="hidden_size should be >= 1, got 0"):
        URNNCell(3, 0)
    with pytest.raises(TypeError, match="input_size should be an int, got float"):
        LSTMCellWrapper(2.0, 3)
    with pytest.raises(TypeError, match="state should be real for GRUCellWrapper"):
        GRUCellWrapper(3, 4).step(torch.randn(2, 3), (torch.zeros(2, 4, dtype=torch.cfloat),))
