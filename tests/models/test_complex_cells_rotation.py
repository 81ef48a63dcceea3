"""RotationConvGRUCell: ConvGRU oracle at ω = 0, dense orthogonal/circulant checks, ConvLSTMNet."""

import json

import numpy as np
import pytest
import torch

from longrange_models.cells import ConvGRUCell
from longrange_models.convlstm_net import ConvLSTMNet
from longrange_models.rotation_gru import RotationConvGRUCell


def _cells(dtype=torch.float64, size=(5, 6), seed=0):
    torch.manual_seed(seed)
    rot = RotationConvGRUCell(2, 3, kernel_size=3, size=size).to(dtype)
    gru = ConvGRUCell(2, 3, kernel_size=3).to(dtype)
    state = {k: v for k, v in rot.state_dict().items() if k != "omega"}
    gru.load_state_dict(state)
    return rot, gru


def _random_omega(cell, seed=1):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        cell.omega.uniform_(-np.pi, np.pi, generator=gen)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_zero_angles_is_the_conv_gru(dtype):
    rot, gru = _cells(dtype)
    x = torch.randn(2, 4, 2, 5, 6, dtype=dtype)
    out, (h,) = rot(x)
    ref, (h_ref,) = gru(x)
    assert out.shape == (2, 4, 3, 5, 6)
    assert out.dtype == dtype
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {}
    torch.testing.assert_close(out, ref, **tol)
    torch.testing.assert_close(h, h_ref, **tol)


def _dense(cell, channel):
    """The rotation of one channel as a dense (H·W, H·W) matrix, column by column."""
    hh, ww = cell.size
    basis = torch.zeros(hh * ww, cell.hidden_channels, hh, ww, dtype=torch.float64)
    basis[torch.arange(hh * ww), channel] = torch.eye(hh * ww, dtype=torch.float64).reshape(
        -1, hh, ww
    )
    out = cell.rotate(basis)[:, channel].reshape(hh * ww, hh * ww)
    return out.T.detach().numpy()  # column j = image of basis j


@pytest.mark.parametrize("size", [(4, 6), (5, 5), (3, 4)])
def test_rotation_is_orthogonal_doubly_block_circulant(size):
    rot, _ = _cells(size=size)
    _random_omega(rot)
    hh, ww = size
    # circular shift by one row / one column as permutation matrices
    idx = np.arange(hh * ww).reshape(hh, ww)
    s_row = np.eye(hh * ww)[np.roll(idx, 1, axis=0).reshape(-1)]
    s_col = np.eye(hh * ww)[np.roll(idx, 1, axis=1).reshape(-1)]
    for c in range(rot.hidden_channels):
        m = _dense(rot, c)
        np.testing.assert_allclose(m.T @ m, np.eye(hh * ww), atol=1e-12)
        np.testing.assert_allclose(np.abs(np.linalg.eigvals(m)), 1.0, atol=1e-9)
        np.testing.assert_allclose(m @ s_row, s_row @ m, atol=1e-12)  # commutes with shifts
        np.testing.assert_allclose(m @ s_col, s_col @ m, atol=1e-12)
    assert np.abs(_dense(rot, 0) - np.eye(hh * ww)).max() > 0.1  # a real rotation


def test_step_is_the_rotated_conv_gru_update_and_keeps_its_norm():
    rot, gru = _cells()
    _random_omega(rot)
    x = torch.randn(2, 2, 5, 6, dtype=torch.float64)
    h0 = torch.randn(2, 3, 5, 6, dtype=torch.float64)
    h, _ = rot.step(x, (h0,))
    g, _ = gru.step(x, (h0,))
    flat = h.detach().reshape(2 * 3, -1).numpy()
    ref = np.stack(
        [_dense(rot, c) @ g[n, c].detach().reshape(-1).numpy() for n in range(2) for c in range(3)]
    )
    np.testing.assert_allclose(flat, ref, atol=1e-12)
    torch.testing.assert_close(h.flatten(2).norm(dim=2), g.flatten(2).norm(dim=2))


def test_convlstmnet_takes_the_rotation_gru_forward_and_backward():
    torch.manual_seed(0)
    net = ConvLSTMNet(
        hidden_channels=4,
        num_layers=2,
        block_size=1,
        cell="rotation_gru",
        patch_size=2,
        frame_size=(8, 6),
    ).double()
    assert all(isinstance(c, RotationConvGRUCell) for c in net.cells)
    assert net.cells[0].size == (4, 3)
    with torch.no_grad():
        for c in net.cells:
            c.omega.uniform_(-1, 1)
    x = torch.rand(2, 3, 1, 8, 6, dtype=torch.float64)
    y = net(x, future=2)
    assert y.shape == (2, 2, 1, 8, 6)
    y.square().mean().backward()
    assert all(c.omega.grad is not None and c.omega.grad.abs().sum() > 0 for c in net.cells)
    cfg = json.loads(json.dumps(net.to_config()))
    assert cfg["frame_size"] == [8, 6]
    assert ConvLSTMNet.from_config(cfg).to_config() == net.to_config()


def test_errors_name_argument_and_value():
    with pytest.raises(ValueError, match=r"frame_size \(H, W\) is needed for cell='rotation_gru'"):
        ConvLSTMNet(num_layers=1, block_size=1, cell="rotation_gru")
    with pytest.raises(ValueError, match=r"patch_size=2 should divide frame_size, got \(5, 6\)"):
        ConvLSTMNet(
            num_layers=1, block_size=1, cell="rotation_gru", patch_size=2, frame_size=(5, 6)
        )
    with pytest.raises(ValueError, match=r"size should be \(H, W\), got \(4,\)"):
        RotationConvGRUCell(1, 2, size=(4,))
    net = ConvLSTMNet(num_layers=1, block_size=1, cell="rotation_gru", frame_size=(4, 4))
    with pytest.raises(ValueError, match=r"inputs should have frame_size=\(4, 4\) frames"):
        net(torch.zeros(1, 2, 1, 4, 6))
    cell = RotationConvGRUCell(1, 2, size=(4, 4))
    with pytest.raises(ValueError, match=r"x_t should have the cell's size=\(4, 4\) frames"):
        cell.step(torch.zeros(1, 1, 4, 5), cell.init_state(1, (4, 5)))
    assert "size=(4, 4)" in repr(cell)
