"""Benchmarks: ``python -m apps.benchmark arma``; one JSON object per run."""
