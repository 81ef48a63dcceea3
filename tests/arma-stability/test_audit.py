import pytest
import torch
from torch import nn

from arma_stability import (
    LayerAudit,
    UnstableFilterError,
    assert_stable,
    audit,
    icml_eq16,
    stable_coefficients,
)


class FakeAR(nn.Module):
    """Any module with ar_coefficients() -> (D, C, Q, 2) is audited."""

    def __init__(self, coeffs: torch.Tensor):
        super().__init__()
        self.register_buffer("coeffs", coeffs)

    def ar_coefficients(self) -> torch.Tensor:
        return self.coeffs


def _model(bad: bool) -> nn.Module:
    good = stable_coefficients(torch.randn(2, 4, 1, 2) * 3)
    params = torch.zeros(2, 4, 1, 2)
    params[0, 2, 0] = torch.tensor([3.0, 0.0]) if bad else torch.tensor([0.1, 0.0])
    return nn.Sequential(
        FakeAR(good), nn.ReLU(), nn.Sequential(nn.Identity(), FakeAR(icml_eq16(params)))
    )


def test_audit_has_one_row_per_ar_layer():
    rows = audit(_model(bad=False))
    assert [r.name for r in rows] == ["0", "2.1"]
    assert all(isinstance(r, LayerAudit) and r.stable for r in rows)
    assert all(r.margin > 0 and r.condition_number >= 1 for r in rows)


def test_audit_flags_eq16_zero_on_the_unit_circle():
    rows = audit(_model(bad=True))
    bad = rows[1]
    assert not bad.stable
    assert bad.worst_channel == 2
    assert bad.margin < 1e-6


def test_assert_stable_names_the_worst_layer():
    assert len(assert_stable(_model(bad=False))) == 2
    with pytest.raises(UnstableFilterError, match=r"'2\.1' \(channel 2\)"):
        assert_stable(_model(bad=True))


def test_audit_rejects_non_modules():
    with pytest.raises(TypeError, match=r"nn\.Module"):
        audit("model")  # type: ignore[arg-type]  # a wrong type, on purpose
