"""Two of the project's own claim files at --scale smoke, end to end on the real apps: every
cell × seed finishes in its folder, and results.csv, table.md, verdict.json and the figures
cover the whole grid (the numbers of a smoke run mean nothing; the pipeline is what is tested)."""

from __future__ import annotations

import csv
import json

import pytest

from apps.reproduce.claims import resolve_claim
from apps.reproduce.cli import main

VERDICTS = {"holds", "reversed", "not shown"}


@pytest.mark.parametrize("name", ["arma-classification", "arma-isic"])
def test_claim_smoke_end_to_end(name, tmp_path, capsys):
    claim = resolve_claim(name)
    seeds = claim.scale("smoke").seeds
    run = tmp_path / name
    assert main([name, "--scale", "smoke", "--jobs", "2", "--out", str(run)]) == 0
    out = capsys.readouterr().out
    assert f"verdict: {json.loads((run / 'verdict.json').read_text())['verdict']}" in out
    with open(run / "results.csv") as f:
        rows = list(csv.DictReader(f))
    cells = {(r, c) for r in claim.rows for c in claim.columns}
    assert {(r["row"], r["column"]) for r in rows} == cells
    assert len(rows) == len(cells) * seeds
    for r in rows:
        assert (run / r["row"] / r["column"] / f"seed_{r['seed']}" / "summary.json").is_file()
        for metric in claim.metrics:
            assert r[metric] != ""  # every metric was found in every summary
    verdict = json.loads((run / "verdict.json").read_text())
    assert verdict["verdict"] in VERDICTS
    assert [s["id"] for s in verdict["claims"]] == [s.id for s in claim.verdict]
    for sub in verdict["claims"]:
        for comp in sub["comparisons"]:
            assert comp["verdict"] in VERDICTS
            assert all(t["n"] == seeds for t in comp["terms"])
    table = (run / "table.md").read_text()
    assert all(row.label in table for row in claim.rows.values())
    assert sorted(p.stem for p in (run / "figures").glob("*.png")) == sorted(claim.metrics)
