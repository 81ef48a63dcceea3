"""apps.reproduce's verdict rule against scipy.stats and hand computations, and the dotted
metric paths of summary.json."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from apps.reproduce.aggregate import lookup, metric_value
from apps.reproduce.claims import claim_from_dict
from apps.reproduce.verdict import (
    HOLDS,
    NOT_SHOWN,
    REVERSED,
    CellStats,
    combine,
    contrast,
    evaluate,
    judge,
)

A = [18.31, 18.02, 18.55, 18.40, 17.96]
B = [17.10, 17.85, 17.42, 16.90]


def test_two_group_contrast_is_welchs_t_interval():
    c = contrast([1.0, -1.0], [CellStats.of(A), CellStats.of(B)])
    res = stats.ttest_ind(A, B, equal_var=False)
    ci = res.confidence_interval(0.95)
    assert c.estimate == pytest.approx(np.mean(A) - np.mean(B), rel=1e-12)
    assert c.df == pytest.approx(res.df, rel=1e-12)
    assert (c.lo, c.hi) == (pytest.approx(ci.low, rel=1e-12), pytest.approx(ci.high, rel=1e-12))
    assert c.estimate / c.se == pytest.approx(res.statistic, rel=1e-12)


def test_four_term_contrast_by_hand():
    # "the gap grows with speed": (a@3x - b@3x) - (a@1x - b@1x)
    cells = {
        "a3": [20.0, 21.5, 19.0],
        "b3": [15.0, 15.5, 16.5, 14.0],
        "a1": [18.0, 18.5],
        "b1": [17.0, 16.0, 17.5, 16.5, 18.0],
    }
    coefs = [1.0, -1.0, -1.0, 1.0]
    c = contrast(coefs, [CellStats.of(v) for v in cells.values()])
    means = [sum(v) / len(v) for v in cells.values()]
    var = [
        sum((x - m) ** 2 for x in v) / (len(v) - 1)
        for v, m in zip(cells.values(), means, strict=True)
    ]
    n = [len(v) for v in cells.values()]
    terms = [ci**2 * s2 / ni for ci, s2, ni in zip(coefs, var, n, strict=True)]
    se = math.sqrt(sum(terms))
    df = sum(terms) ** 2 / sum(t**2 / (ni - 1) for t, ni in zip(terms, n, strict=True))
    est = sum(ci * m for ci, m in zip(coefs, means, strict=True))
    half = stats.t.ppf(0.975, df) * se
    assert c.estimate == pytest.approx(est, rel=1e-12)
    assert c.se == pytest.approx(se, rel=1e-12)
    assert c.df == pytest.approx(df, rel=1e-12)
    assert (c.lo, c.hi) == (pytest.approx(est - half), pytest.approx(est + half))
    assert 2 < c.df < sum(n) - 4  # Welch's df is below the pooled one


def test_zero_variance_gives_a_point_interval():
    c = contrast([1.0, -1.0], [CellStats.of([2.0, 2.0]), CellStats.of([1.0, 1.0, 1.0])])
    assert (c.estimate, c.se, c.lo, c.hi, c.df) == (1.0, 0.0, 1.0, 1.0, math.inf)


@pytest.mark.parametrize(
    ("side", "margin", "lo", "hi", "expected"),
    [
        ("greater", 0, 0.1, 2, HOLDS),
        ("greater", 0, -0.1, 2, NOT_SHOWN),
        ("greater", 0, -2, -0.1, REVERSED),
        ("greater", 1, 0.5, 2, NOT_SHOWN),
        ("greater", 1, 0.1, 0.9, REVERSED),
        ("greater", -1, -0.5, 2, HOLDS),  # non-inferiority: not worse by more than 1
        ("less", 0, -2, -0.1, HOLDS),
        ("less", 0, -2, 0.1, NOT_SHOWN),
        ("less", 0, 0.1, 2, REVERSED),
        ("less", 1e-6, 1e-9, 1e-7, HOLDS),  # "the error is below 1e-6"
        ("less", 1e-6, 1e-9, 2e-6, NOT_SHOWN),
        ("less", 1e-6, 2e-6, 3e-6, REVERSED),
        ("within", 1, -0.5, 0.9, HOLDS),
        ("within", 1, -0.5, 1.1, NOT_SHOWN),
        ("within", 1, 1.1, 3, REVERSED),
        ("within", 1, -3, -1.1, REVERSED),
    ],
)
def test_judge(side, margin, lo, hi, expected):
    assert judge(side, margin, lo, hi) == expected


@pytest.mark.parametrize(
    ("verdicts", "all_", "any_"),
    [
        ([HOLDS, HOLDS], HOLDS, HOLDS),
        ([HOLDS, NOT_SHOWN], NOT_SHOWN, HOLDS),
        ([HOLDS, REVERSED], REVERSED, HOLDS),
        ([REVERSED, REVERSED], REVERSED, REVERSED),
        ([REVERSED, NOT_SHOWN], REVERSED, NOT_SHOWN),
        ([NOT_SHOWN], NOT_SHOWN, NOT_SHOWN),
    ],
)
def test_combine(verdicts, all_, any_):
    assert combine(verdicts, "all") == all_
    assert combine(verdicts, "any") == any_


def test_nonfinite_and_missing_values_are_counted_and_excluded():
    s = CellStats.of([1.0, math.nan, 3.0, math.inf, None])
    assert (s.values, s.nonfinite, s.missing, s.mean) == ((1.0, 3.0), 2, 1, 2.0)
    with pytest.raises(ValueError, match="needs >= 2 finite"):
        contrast([1.0], [CellStats.of([1.0, math.nan])])


def _claim():
    return claim_from_dict(
        {
            "name": "t", "version": 1, "app": "receptive_field", "paper": "p", "table": "T1",
            "claim": "a beats b",
            "metrics": {"acc": {"label": "Acc", "higher_is_better": True}},
            "rows": {"a": {"label": "A"}, "b": {"label": "B"}},
            "columns": {"x1": {"label": "1x"}, "x3": {"label": "3x"}},
            "scales": {"smoke": {"seeds": 2}},
            "verdict": {"claims": [
                {"id": "beats", "text": "a > b at both", "comparisons": [
                    {"metric": "acc", "side": "greater", "terms": [
                        {"row": "a", "column": c, "coef": 1}, {"row": "b", "column": c, "coef": -1}
                    ]} for c in ("x1", "x3")]},
                {"id": "any", "text": "a > b somewhere", "combine": "any", "comparisons": [
                    {"metric": "acc", "side": "greater", "terms": [
                        {"row": "a", "column": c, "coef": 1}, {"row": "b", "column": c, "coef": -1}
                    ]} for c in ("x1", "x3")]},
            ]},
        }
    )  # fmt: skip


def test_evaluate_reports_estimates_counts_and_reasons():
    values = {
        ("a", "x1"): {"acc": A},
        ("b", "x1"): {"acc": [*B, math.nan]},  # a diverged seed
        ("a", "x3"): {"acc": [0.5, math.nan]},  # one finite value: not shown
        ("b", "x3"): {"acc": [0.1, 0.2]},
    }
    v = evaluate(_claim(), values)
    x1, x3 = v["claims"][0]["comparisons"]
    ci = stats.ttest_ind(A, B, equal_var=False).confidence_interval(0.95)
    assert x1["interval"] == [pytest.approx(ci.low), pytest.approx(ci.high)]
    assert x1["verdict"] == HOLDS
    assert [t["n"] for t in x1["terms"]] == [5, 4]
    assert x1["terms"][1]["nonfinite"] == 1
    assert "1 non-finite" in x1["reason"]
    assert x3["verdict"] == NOT_SHOWN
    assert x3["interval"] is None
    assert "a/x3 has 1 finite value (1 non-finite excluded)" in x3["reason"]
    assert v["claims"][0]["verdict"] == NOT_SHOWN  # all: one not shown
    assert v["claims"][1]["verdict"] == HOLDS  # any: x1 holds
    assert v["verdict"] == NOT_SHOWN


def test_dotted_paths():
    summary = {
        "curves": {"radius": {"arma_0.8": 3.5, "arma": {"0": 1.0}}},
        "records": [{"rel_error": 0.25}, {"rel_error": "nan"}],
        "flag": True,
        "text": "x",
    }
    assert lookup(summary, "curves.radius.arma_0.8") == 3.5
    assert lookup(summary, "curves.radius.arma.0") == 1.0
    assert metric_value(summary, "records.0.rel_error") == 0.25
    assert math.isnan(metric_value(summary, "records.-1.rel_error"))
    assert math.isnan(metric_value(summary, "records.1.rel_error"))
    assert metric_value(summary, "records.2.rel_error") is None
    assert metric_value(summary, "flag") is None
    assert metric_value(summary, "text") is None
    with pytest.raises(KeyError):
        lookup(summary, "curves.nope")
